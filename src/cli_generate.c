/* cli_generate.c: `ternchat generate`, one-shot completion. Loads a model
 * (and optionally a draft model), runs the prompt in batches, then generates
 * with speculative decoding (a draft model or n-gram lookup proposes, the
 * model verifies; the output has the model's own distribution) until an
 * end-of-generation token, the token limit or a full context, streams the
 * text to stdout and prints the speed and speculation statistics to stderr.
 * Stateless: nothing is saved. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"
#include "cli.h"
#include "cli_opts.h"
#include "model.h"
#include "sampler.h"
#include "spec.h"
#include "tok.h"
#include "tsafe.h"
#include "xmalloc.h"

/* Options of one generate run. */
struct gen_opts {
    cli_run run;             /* models, context, threads, sampling, speculation */
    const char *prompt;      /* -p (NULL: none; "-": stdin) */
    const char *tokens;      /* --tokens: comma-separated ids */
    long n_predict;          /* -n; -1 = until end of generation or full context */
    int print_ids;           /* --ids: print token ids instead of text */
    int raw;                 /* --raw: no chat template */
    int special;             /* --special: print control tokens as text */
};

static volatile sig_atomic_t gen_interrupted;
static int gen_tty; /* stdout is a terminal: show control characters visibly */

static void
gen_on_sigint(int sig)
{
    (void)sig;
    gen_interrupted = 1;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
gen_help(void)
{
    printf(
        "Usage: ternchat generate [-m MODEL.gguf] (-p PROMPT | --tokens IDS) [OPTIONS]\n"
        "\n"
        "Complete a prompt once and stream the completion to standard output.\n"
        "The speed (prompt and generation tokens per second) and the statistics\n"
        "of speculative decoding go to standard error at the end. Nothing is\n"
        "saved; press Ctrl-C to stop early.\n"
        "\n"
        "Input:\n"
        "  -p, --prompt TEXT      the prompt; '-p -' reads it from standard input\n"
        "      --tokens IDS       the prompt as comma-separated token ids (e.g. 1,15043),\n"
        "                         used as they are (no template, no BOS added)\n"
        "\n"
        "Chat format:\n"
        "  A model with a chat template (tokenizer.chat_template) gets the prompt as\n"
        "  a user message, rendered with that template, and the reply ends at the\n"
        "  model's end-of-turn token. Other models get the prompt as it is.\n"
        "      --raw              no chat template: complete the prompt text as it is\n"
        "\n"
        "Output:\n"
        "  -n, --n-predict N      stop after N tokens (default -1: until the model\n"
        "                         ends its reply or the context is full)\n"
        "      --ids              print token ids, one per line, instead of text\n"
        "      --special          print control tokens (e.g. <|im_end|>) as text\n"
        "\n");
    cli_run_help(stdout, 1);
    printf("\n"
           "  -h, --help             show this help and exit\n");
}

/* Parse "1,2,3" into a new array. Returns the count, or -1. */
static int
parse_token_list(const char *s, int32_t **out)
{
    int32_t *ids = NULL;
    int n = 0, cap = 0;
    const char *p = s;

    while (*p != '\0') {
        char *end;
        long v = strtol(p, &end, 10);

        if (end == p || v < 0 || v > INT32_MAX || (*end != ',' && *end != '\0')) {
            free(ids);
            return -1;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            ids = xreallocarray(ids, (size_t)cap, sizeof *ids);
        }
        ids[n++] = (int32_t)v;
        p = *end == ',' ? end + 1 : end;
    }
    *out = ids;
    return n;
}

enum { OPT_TOKENS = 256, OPT_IDS, OPT_RAW, OPT_SPECIAL };

/* Parse the command line into o. Returns -1 to continue, else an exit status. */
static int
gen_parse(int argc, char **argv, struct gen_opts *o)
{
    static const struct option longopts[] = {
        CLI_RUN_LONGOPTS,
        { "prompt", required_argument, NULL, 'p' },
        { "tokens", required_argument, NULL, OPT_TOKENS },
        { "n-predict", required_argument, NULL, 'n' },
        { "ids", no_argument, NULL, OPT_IDS },
        { "raw", no_argument, NULL, OPT_RAW },
        { "special", no_argument, NULL, OPT_SPECIAL },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c, r;

    memset(o, 0, sizeof *o);
    cli_run_init(&o->run);
    o->n_predict = -1;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":" CLI_RUN_SHORTOPTS "p:n:h", longopts, NULL)) != -1) {
        if ((r = cli_run_option(&o->run, "generate", c, optarg)) >= 0) {
            if (r > 0)
                return r;
            continue;
        }
        switch (c) {
        case 'p':
            o->prompt = optarg;
            break;
        case OPT_TOKENS:
            o->tokens = optarg;
            break;
        case 'n':
            if (cli_parse_long(optarg, -1, INT32_MAX, &o->n_predict) != 0)
                return cli_usage_error("generate", "-n wants a number of tokens >= -1, not '%s'", optarg);
            break;
        case OPT_IDS:
            o->print_ids = 1;
            break;
        case OPT_RAW:
            o->raw = 1;
            break;
        case OPT_SPECIAL:
            o->special = 1;
            break;
        case 'h':
            gen_help();
            return 0;
        case ':':
            return cli_usage_error("generate", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("generate", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("generate", "unexpected argument '%s'", argv[optind]);
    if (o->prompt == NULL && o->tokens == NULL)
        return cli_usage_error("generate", "no prompt: give -p TEXT, -p - (standard input) or --tokens IDS");
    if (o->prompt != NULL && o->tokens != NULL)
        return cli_usage_error("generate", "give either -p or --tokens, not both");
    if (o->raw && (o->run.system != NULL || o->run.chat_template != NULL))
        return cli_usage_error("generate", "--raw cannot be combined with --system or --chat-template");
    if (o->tokens != NULL && (o->run.system != NULL || o->run.chat_template != NULL))
        return cli_usage_error("generate", "--tokens is used as it is: no --system or --chat-template");
    return cli_run_finish(&o->run, "generate");
}

/* Decode one generated id (-1: flush the decoder) and write the complete
 * characters to stdout, remembering the last byte written. */
static void
gen_piece(tok_stream *ts, int32_t id, char *last)
{
    size_t len;
    const char *p = id < 0 ? tok_stream_flush(ts, &len) : tok_stream_push(ts, id, &len);

    if (len == 0)
        return;
    if (gen_tty)
        tsafe_write(stdout, p, len);
    else
        fwrite(p, 1, len, stdout);
    *last = p[len - 1];
}

/* Build the prompt's token ids: --tokens as given, or the text (from -p
 * or stdin) through the chat template and the tokenizer. Returns 0, or an
 * exit status after printing the error. */
static int
gen_prompt(const struct gen_opts *o, const model *m, const tok *tk, tok_ids *ids)
{
    char err[512];
    char *text = NULL, *rendered = NULL;
    size_t len;
    int tmpl = CHAT_UNKNOWN, rc = 1;
    int64_t kv = gguf_find_kv(model_gguf(m), "tokenizer.chat_template");

    if (o->tokens != NULL) {
        int32_t *v;
        int n = parse_token_list(o->tokens, &v);

        if (n < 0)
            return cli_usage_error("generate", "--tokens wants comma-separated ids, not '%s'", o->tokens);
        ids->v = v;
        ids->n = ids->cap = (size_t)n;
        return 0;
    }
    if (tk == NULL)
        return 1; /* the caller reported why there is no tokenizer */
    if (strcmp(o->prompt, "-") == 0) {
        text = cli_read_file("-", &len, err, sizeof err);
        if (text == NULL)
            return cli_fail("%s", err);
    } else {
        text = xstrdup(o->prompt);
        len = strlen(text);
    }
    if (!o->raw && (o->run.chat_template != NULL || kv >= 0)) {
        chat_msg msgs[2];
        size_t n = 0;

        tmpl = chat_for_model(model_gguf(m), o->run.chat_template, err, sizeof err);
        if (tmpl == CHAT_UNKNOWN) {
            cli_fail("%s", err);
            goto out;
        }
        if (o->run.system != NULL)
            msgs[n++] = (chat_msg){ "system", o->run.system };
        msgs[n++] = (chat_msg){ "user", text };
        rendered = chat_render(tmpl, msgs, n, 1, &len);
    } else if (o->run.system != NULL) {
        cli_usage_error("generate", "--system needs the chat format, but this model has no chat template (use --chat-template NAME)");
        rc = 2;
        goto out;
    }
    if (tok_encode(tk, rendered ? rendered : text, len, TOK_ADD_BOS | TOK_PARSE_SPECIAL, ids,
                   err, sizeof err) != 0) {
        cli_fail("%s", err);
        goto out;
    }
    rc = 0;
out:
    free(rendered);
    free(text);
    return rc;
}

/* End of generation, for spec_set_stop. */
static int
gen_is_eog(void *ud, int32_t id)
{
    return tok_is_eog(ud, id);
}

/* Load the draft model (if any) and pair it with the model. Returns the
 * spec object, or NULL after printing the error. */
static spec *
gen_spec_new(const struct gen_opts *o, model *m, model_ctx *ctx, model **dm, model_ctx **dctx)
{
    char err[512];
    spec *s;

    if (o->run.draft != NULL) {
        *dm = model_load(o->run.draft, err, sizeof err);
        if (*dm == NULL) {
            cli_fail("draft model: %s", err);
            return NULL;
        }
        *dctx = model_ctx_new(*dm, model_ctx_n_ctx(ctx), err, sizeof err);
        if (*dctx == NULL) {
            cli_fail("draft model: %s", err);
            return NULL;
        }
        model_ctx_set_threads(*dctx, (int)o->run.n_threads);
    }
    s = spec_new(m, ctx, *dm, *dctx, &o->run.sp, &o->run.pp, err, sizeof err);
    if (s == NULL)
        cli_fail("%s%s", o->run.draft != NULL ? "-d: " : "", err);
    return s;
}

/* The speculation statistics line (nothing when speculation is off). */
static void
gen_print_spec_stats(const spec *s)
{
    spec_stats st;

    spec_get_stats(s, &st);
    if (st.mode == SPEC_OFF)
        return;
    fprintf(stderr, "speculative (%s): %ld proposed, %ld accepted (%.1f%%), %.2f accepted per "
            "proposal run, %.2f tokens per pass; proposal length %.2f mean, %d last; "
            "draft %.3f s, verify %.3f s\n",
            spec_mode_name(st.mode), st.n_drafted, st.n_accepted, 100.0 * st.accept_rate,
            st.mean_run, st.n_rounds > 0 ? (double)st.n_tokens / (double)st.n_rounds : 0.0,
            st.gamma_mean, st.gamma_last, st.t_draft, st.t_verify);
}

int
cli_generate(int argc, char **argv)
{
    struct gen_opts o;
    char err[512];
    model *m = NULL, *dm = NULL;
    model_ctx *ctx = NULL, *dctx = NULL;
    spec *sp = NULL;
    tok *tk = NULL;
    tok_stream *ts = NULL;
    const model_info *info;
    tok_ids prompt = { 0 };
    int32_t out[SPEC_DRAFT_LIMIT + 1];
    int rc = 1, n_gen = 0, done = 0;
    char last = '\0';
    size_t i;
    double t0, t_prompt = 0, t_gen = 0;
    struct sigaction sa;

    if ((rc = gen_parse(argc, argv, &o)) >= 0) {
        cli_run_free(&o.run);
        return rc;
    }
    rc = 1;

    m = model_load(o.run.model, err, sizeof err);
    if (m == NULL) {
        cli_fail("%s", err);
        goto out;
    }
    (void)model_weights_copy_in(m); /* big weights out of the mapping */
    info = model_get_info(m);
    if (gguf_find_kv(model_gguf(m), "tokenizer.ggml.model") >= 0) {
        tk = tok_load(model_gguf(m), err, sizeof err);
        if (tk == NULL) {
            cli_fail("%s", err);
            goto out;
        }
    } else if (o.prompt != NULL) {
        cli_fail("%s has no tokenizer (no tokenizer.ggml.model key): give the prompt with --tokens",
                 o.run.model);
        goto out;
    }
    if ((rc = gen_prompt(&o, m, tk, &prompt)) != 0)
        goto out;
    rc = 1;
    if (prompt.n == 0) {
        rc = cli_usage_error("generate", "the prompt is empty");
        goto out;
    }
    for (i = 0; i < prompt.n; i++) {
        if (prompt.v[i] >= info->n_vocab) {
            cli_fail("token id %d of the prompt is out of range (the vocabulary has %d tokens)",
                     (int)prompt.v[i], info->n_vocab);
            goto out;
        }
    }
    ctx = model_ctx_new(m, (int)o.run.n_ctx, err, sizeof err);
    if (ctx == NULL) {
        cli_fail("%s", err);
        goto out;
    }
    model_ctx_set_threads(ctx, (int)o.run.n_threads);
    if (prompt.n >= (size_t)model_ctx_n_ctx(ctx)) {
        cli_fail("the prompt is %zu tokens but the context holds %d; shorten it or raise -c",
                 prompt.n, model_ctx_n_ctx(ctx));
        goto out;
    }
    sp = gen_spec_new(&o, m, ctx, &dm, &dctx);
    if (sp == NULL)
        goto out;
    if (tk != NULL)
        spec_set_stop(sp, gen_is_eog, tk);
    if (tk != NULL && !o.print_ids)
        ts = tok_stream_new(tk, o.special ? TOK_STREAM_SPECIAL : 0);

    gen_tty = isatty(STDOUT_FILENO);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = gen_on_sigint;
    sigaction(SIGINT, &sa, NULL);

    /* The prompt, in batches (the last token goes with the first round). */
    t0 = now_s();
    if (spec_feed(sp, prompt.v, (int)prompt.n, err, sizeof err) != 0) {
        cli_fail("%s", err);
        goto out;
    }
    t_prompt = now_s() - t0;

    /* Generation: one speculative round at a time (1 or more tokens), each
     * token printed; stop at the end of the reply, the limit, a full
     * context or Ctrl-C (between rounds). */
    t0 = now_s();
    while (!done && !gen_interrupted && (o.n_predict < 0 || n_gen < o.n_predict)) {
        long cap = o.n_predict < 0 ? SPEC_DRAFT_LIMIT + 1 : o.n_predict - n_gen;
        int k = spec_step(sp, out, cap < SPEC_DRAFT_LIMIT + 1 ? (int)cap : SPEC_DRAFT_LIMIT + 1,
                          err, sizeof err);

        if (k < 0) {
            cli_fail("%s", err);
            goto out;
        }
        for (i = 0; i < (size_t)k; i++) {
            int32_t id = out[i];
            int eog = tk != NULL && tok_is_eog(tk, id);

            n_gen++;
            if (o.print_ids)
                printf("%d\n", (int)id);
            else if (ts != NULL && (!eog || o.special))
                gen_piece(ts, id, &last);
            if (eog)
                done = 1;
        }
        fflush(stdout);
        if (!done && spec_full(sp) && (o.n_predict < 0 || n_gen < o.n_predict)) {
            fprintf(stderr, "\nternchat: stopped: the context (%d tokens) is full\n",
                    model_ctx_n_ctx(ctx));
            break;
        }
        if (k == 0)
            break;
    }
    if (ts != NULL) {
        gen_piece(ts, -1, &last);
        if (last != '\0' && last != '\n')
            fputc('\n', stdout); /* end the text with a newline */
    }
    t_gen = now_s() - t0;
    fflush(stdout);
    fprintf(stderr, "prompt: %zu tokens in %.3f s (%.1f tokens/s); "
            "generation: %d tokens in %.3f s (%.1f tokens/s)%s\n",
            prompt.n, t_prompt, t_prompt > 0 ? (double)prompt.n / t_prompt : 0.0,
            n_gen, t_gen, t_gen > 0 ? n_gen / t_gen : 0.0,
            gen_interrupted ? " [interrupted]" : "");
    gen_print_spec_stats(sp);
    rc = gen_interrupted ? 130 : 0;
out:
    tok_ids_free(&prompt);
    tok_stream_free(ts);
    tok_free(tk);
    spec_free(sp);
    model_ctx_free(dctx);
    model_free(dm);
    model_ctx_free(ctx);
    model_free(m);
    cli_run_free(&o.run);
    return rc;
}
