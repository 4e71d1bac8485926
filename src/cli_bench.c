/* cli_bench.c: `ternchat bench`: prompt processing and generation speed of
 * a model (optionally converted in memory to another weight type first,
 * with the live switch's code), repeated, with median and spread; the
 * memory bandwidth of the machine and how close generation comes to the
 * bound it sets (every weight is read once per token); the int8 GOPS of
 * prompt processing; CPU flags and kernels; peak RSS; and with a draft
 * model or n-gram lookup, target-only versus speculative generation. */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "chat.h"
#include "cli.h"
#include "cli_opts.h"
#include "json.h"
#include "kern.h"
#include "model.h"
#include "qtype.h"
#include "xmalloc.h"

#define BENCH_MAX_REPEATS 100
#define BENCH_BW_PASSES 10 /* passes of the bandwidth probe; the best counts */

/* Options of one run. */
struct bench_opts {
    cli_run run;             /* models, context, threads, speculation */
    long n_prompt;           /* -p: prompt tokens (0: no prompt test) */
    long n_gen;              /* -n: generated tokens (0: no generation test) */
    long batch;              /* -b: prompt tokens per forward pass */
    long repeats;            /* -r */
    int type;                /* --type: convert first (-1: as loaded) */
    int opt;                 /* ternary quantizer: least squares (1) or reference */
    int json;                /* --json */
    long bw_mib;             /* --bw-mib: probe size (0: no probe) */
    const char *prompt_file; /* --prompt-file: the speculative test's prompt */
    int repetitive;          /* --repetitive: the repetitive prompt only */
};

/* What was measured. */
struct bench_res {
    const model_info *info;  /* the model */
    int loaded_type;         /* type as loaded */
    double t_convert;        /* seconds converting (--type) */
    char note[192];          /* conversion note */
    size_t token_bytes;      /* weight bytes read per generated token */
    double bw;               /* bytes/s read by the probe (0: not measured) */
    bench_stat pp;           /* prompt tokens/s */
    bench_stat tg;           /* generation tokens/s */
    double gops;             /* prompt: 2 * multiply-adds / s, in 1e9 */
    double pp_cpu;           /* prompt: CPU time / (wall time * threads), all repeats */
    double tg_cpu;           /* generation: the same */
    double tg_best;          /* generation: tokens/s of the fastest single token */
    int has_spec;            /* spec was measured */
    bench_spec_result spec;  /* target-only versus speculative */
};

/* Fixed chat prompts of the speculative test. */
static const char *const bench_prompts[] = {
    "Write a short poem about the sea.",
    "Explain in a few sentences how a bicycle works.",
    "List the first ten prime numbers and say why each is prime.",
};
static const char bench_repetitive_prompt[] =
    "Repeat this list three times, exactly as written: apple, banana, cherry, date, "
    "elderberry, fig, grape, honeydew, kiwi, lemon, mango, nectarine.";

static double
bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the whole process (all threads). */
static double
bench_cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
bench_help(void)
{
    printf(
        "Usage: ternchat bench [-m MODEL] [-d DRAFT] [OPTIONS]\n"
        "\n"
        "Measure how fast a model processes a prompt and generates, repeated, with the\n"
        "median and the spread (min-max); the machine's memory bandwidth and how close\n"
        "generation comes to the bound it sets (all weights are read once per token);\n"
        "the int8 GOPS of prompt processing; the CPU flags and kernels in use; peak\n"
        "memory. With a draft model (-d, or the shipped pair when no -m is given) or\n"
        "--spec lookup, also target-only versus speculative generation of a few chat\n"
        "prompts, with acceptance rate, mean draft length, cost ratio and the speedup\n"
        "Leviathan et al.'s formula predicts next to the measured one.\n"
        "\n"
        "Options:\n"
        "  -p, --n-prompt N       prompt tokens (default 512; 0: skip)\n"
        "  -n, --n-gen N          generated tokens, greedy, from an empty context\n"
        "                         (default 128; 0: skip)\n"
        "  -b, --batch N          prompt tokens per forward pass (default 512)\n"
        "  -r, --repeats N        repetitions (default 3)\n"
        "      --type TYPE        convert the loaded model in memory first (as the\n"
        "                         chat's live switch does): f16, bf16, f32, q8_0, q4_0,\n"
        "                         tq2_0, tq1_0\n"
        "      --ref              ternary types: llama.cpp's reference quantizer (default:\n"
        "                         least squares)\n"
        "      --json             print one JSON object instead of text\n"
        "      --bw-mib N         size of the bandwidth probe (default 512; 0: skip)\n"
        "      --prompt-file FILE the speculative test's prompt, from a file\n"
        "      --repetitive       the speculative test's prompt asks to repeat a list\n"
        "                         (where --spec lookup shines)\n"
        "\n"
        "TERNCHAT_KERNELS=scalar|avx2|avx512 caps the kernels used.\n"
        "\n");
    cli_run_help(stdout, 0);
    printf("\n"
           "  -h, --help             show this help and exit\n");
}

enum { BO_TYPE = 300, BO_REF, BO_JSON, BO_BW, BO_PROMPT_FILE, BO_REPETITIVE };

static int
bench_parse(int argc, char **argv, struct bench_opts *o)
{
    static const struct option longopts[] = {
        CLI_RUN_LONGOPTS,
        { "n-prompt", required_argument, NULL, 'p' },
        { "n-gen", required_argument, NULL, 'n' },
        { "batch", required_argument, NULL, 'b' },
        { "repeats", required_argument, NULL, 'r' },
        { "type", required_argument, NULL, BO_TYPE },
        { "ref", no_argument, NULL, BO_REF },
        { "json", no_argument, NULL, BO_JSON },
        { "bw-mib", required_argument, NULL, BO_BW },
        { "prompt-file", required_argument, NULL, BO_PROMPT_FILE },
        { "repetitive", no_argument, NULL, BO_REPETITIVE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c, r;

    memset(o, 0, sizeof *o);
    cli_run_init(&o->run);
    o->n_prompt = 512;
    o->n_gen = 128;
    o->batch = 512;
    o->repeats = 3;
    o->type = -1;
    o->opt = 1;
    o->bw_mib = 512;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":" CLI_RUN_SHORTOPTS "p:n:b:r:h", longopts, NULL)) != -1) {
        if ((r = cli_run_option(&o->run, "bench", c, optarg)) >= 0) {
            if (r > 0)
                return r;
            continue;
        }
        switch (c) {
        case 'p':
            if (cli_parse_long(optarg, 0, 1 << 20, &o->n_prompt) != 0)
                return cli_usage_error("bench", "-p wants a number of tokens >= 0, not '%s'", optarg);
            break;
        case 'n':
            if (cli_parse_long(optarg, 0, 1 << 20, &o->n_gen) != 0)
                return cli_usage_error("bench", "-n wants a number of tokens >= 0, not '%s'", optarg);
            break;
        case 'b':
            if (cli_parse_long(optarg, 1, 1 << 20, &o->batch) != 0)
                return cli_usage_error("bench", "-b wants a batch size >= 1, not '%s'", optarg);
            break;
        case 'r':
            if (cli_parse_long(optarg, 1, BENCH_MAX_REPEATS, &o->repeats) != 0)
                return cli_usage_error("bench", "-r wants a number of repeats from 1 to %d, not '%s'",
                                       BENCH_MAX_REPEATS, optarg);
            break;
        case BO_TYPE:
            o->type = qtype_from_name(optarg);
            if (o->type < 0 || !model_quant_supported(o->type))
                return cli_usage_error("bench", "--type wants one of %s, not '%s'",
                                       model_quant_supported_names(), optarg);
            break;
        case BO_REF:
            o->opt = 0;
            break;
        case BO_JSON:
            o->json = 1;
            break;
        case BO_BW:
            if (cli_parse_long(optarg, 0, 1 << 16, &o->bw_mib) != 0)
                return cli_usage_error("bench", "--bw-mib wants a size in MiB >= 0, not '%s'", optarg);
            break;
        case BO_PROMPT_FILE:
            o->prompt_file = optarg;
            break;
        case BO_REPETITIVE:
            o->repetitive = 1;
            break;
        case 'h':
            bench_help();
            return 0;
        case ':':
            return cli_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("bench", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    if (o->prompt_file != NULL && o->repetitive)
        return cli_usage_error("bench", "give either --prompt-file or --repetitive, not both");
    return cli_run_finish(&o->run, "bench");
}

/* Deterministic prompt ids in [3, n_vocab) (past the usual control tokens). */
static void
bench_fill_prompt(int32_t *ids, long n, int n_vocab)
{
    uint64_t s = 0x2545f4914f6cdd1dull;
    long i;

    for (i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = n_vocab > 4 ? 3 + (int32_t)((s >> 33) % (uint64_t)(n_vocab - 3)) : 0;
    }
}

static int32_t
bench_argmax(const float *v, int n)
{
    int i, best = 0;

    for (i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* The prompt and generation tests. Returns 0 or -1 after printing. */
static int
bench_speed(const struct bench_opts *o, model_ctx *ctx, struct bench_res *res)
{
    const model_info *in = res->info;
    int32_t *ids = xmalloc((size_t)(o->n_prompt > 0 ? o->n_prompt : 1) * sizeof *ids);
    float *logits = xmalloc((size_t)in->n_vocab * sizeof *logits);
    double pp[BENCH_MAX_REPEATS], tg[BENCH_MAX_REPEATS];
    double pp_wall = 0, pp_cpu = 0, tg_wall = 0, tg_cpu = 0;
    char err[512];
    int rep, rc = -1;
    long i;

    bench_fill_prompt(ids, o->n_prompt, in->n_vocab);
    for (rep = 0; rep < o->repeats; rep++) {
        double t0, c0;

        if (o->n_prompt > 0) {
            model_ctx_truncate(ctx, 0);
            c0 = bench_cpu_s();
            t0 = bench_now();
            for (i = 0; i < o->n_prompt; i += o->batch) {
                long n = o->n_prompt - i < o->batch ? o->n_prompt - i : o->batch;

                if (model_forward(ctx, ids + i, (int)n, i + n == o->n_prompt ? logits : NULL, 0,
                                  err, sizeof err) != 0) {
                    cli_fail("%s", err);
                    goto out;
                }
            }
            pp_wall += bench_now() - t0;
            pp_cpu += bench_cpu_s() - c0;
            pp[rep] = (double)o->n_prompt / (bench_now() - t0);
        }
        if (o->n_gen > 0) {
            int32_t t = 1;

            model_ctx_truncate(ctx, 0);
            c0 = bench_cpu_s();
            t0 = bench_now();
            for (i = 0; i < o->n_gen; i++) {
                double t1 = bench_now();

                if (model_forward(ctx, &t, 1, logits, 0, err, sizeof err) != 0) {
                    cli_fail("%s", err);
                    goto out;
                }
                t = bench_argmax(logits, in->n_vocab);
                t1 = bench_now() - t1;
                if (t1 > 0 && 1.0 / t1 > res->tg_best)
                    res->tg_best = 1.0 / t1;
            }
            tg_wall += bench_now() - t0;
            tg_cpu += bench_cpu_s() - c0;
            tg[rep] = (double)o->n_gen / (bench_now() - t0);
        }
    }
    if (pp_wall > 0)
        res->pp_cpu = pp_cpu / (pp_wall * (double)o->run.n_threads);
    if (tg_wall > 0)
        res->tg_cpu = tg_cpu / (tg_wall * (double)o->run.n_threads);
    if (o->n_prompt > 0)
        bench_stat_of(pp, (int)o->repeats, &res->pp);
    if (o->n_gen > 0)
        bench_stat_of(tg, (int)o->repeats, &res->tg);
    rc = 0;
out:
    free(ids);
    free(logits);
    return rc;
}

/* The speculative test: prompts through the chat template, target alone
 * versus speculation. Returns 0, 1 when skipped (no tokenizer), or -1
 * after printing. */
static int
bench_spec(const struct bench_opts *o, const model *m, model_ctx *ctx, struct bench_res *res)
{
    char err[512];
    model *dm = NULL;
    model_ctx *dctx = NULL;
    tok *tk = NULL;
    tok_ids prompts[4];
    const char *texts[4];
    char *file_text = NULL;
    int n = 0, i, tmpl, rc = -1;
    spec_params pp = o->run.pp;

    memset(prompts, 0, sizeof prompts);
    if (gguf_find_kv(model_gguf(m), "tokenizer.ggml.model") < 0)
        return 1;
    tk = tok_load(model_gguf(m), err, sizeof err);
    if (tk == NULL) {
        cli_fail("%s", err);
        return -1;
    }
    tmpl = chat_for_model(model_gguf(m), o->run.chat_template, err, sizeof err);
    if (tmpl == CHAT_UNKNOWN) {
        cli_fail("%s", err);
        goto out;
    }
    if (o->prompt_file != NULL) {
        size_t len;

        file_text = cli_read_file(o->prompt_file, &len, err, sizeof err);
        if (file_text == NULL) {
            cli_fail("--prompt-file: %s", err);
            goto out;
        }
        texts[n++] = file_text;
    } else if (o->repetitive) {
        texts[n++] = bench_repetitive_prompt;
    } else {
        for (i = 0; i < (int)(sizeof bench_prompts / sizeof bench_prompts[0]); i++)
            texts[n++] = bench_prompts[i];
    }
    for (i = 0; i < n; i++) {
        chat_msg msg = { "user", texts[i] };
        size_t len;
        char *r = chat_render(tmpl, &msg, 1, 1, &len);
        int erc = tok_encode(tk, r, len, TOK_ADD_BOS | TOK_PARSE_SPECIAL, &prompts[i], err,
                             sizeof err);

        free(r);
        if (erc != 0) {
            cli_fail("%s", err);
            goto out;
        }
        if ((long)prompts[i].n + o->n_gen + SPEC_DRAFT_LIMIT + 2 > model_ctx_n_ctx(ctx)) {
            cli_fail("the speculative test's prompt (%zu tokens) and -n %ld do not fit the "
                     "%d-token context: raise -c", prompts[i].n, o->n_gen, model_ctx_n_ctx(ctx));
            goto out;
        }
    }
    if (o->run.draft != NULL) {
        dm = model_load(o->run.draft, err, sizeof err);
        if (dm == NULL) {
            cli_fail("draft model: %s", err);
            goto out;
        }
        dctx = model_ctx_new(dm, model_ctx_n_ctx(ctx), err, sizeof err);
        if (dctx == NULL) {
            cli_fail("draft model: %s", err);
            goto out;
        }
        model_ctx_set_threads(dctx, (int)o->run.n_threads);
        if (spec_check_pair(m, dm, err, sizeof err) != 0) {
            cli_fail("-d: %s", err);
            goto out;
        }
        pp.mode = SPEC_DRAFT;
    } else {
        pp.mode = SPEC_LOOKUP;
    }
    if (bench_spec_run(m, ctx, dm, dctx, tk, &pp, prompts, n, (int)o->n_gen, (int)o->repeats,
                       &res->spec, err, sizeof err) != 0) {
        cli_fail("%s", err);
        goto out;
    }
    res->has_spec = 1;
    rc = 0;
out:
    for (i = 0; i < 4; i++)
        tok_ids_free(&prompts[i]);
    free(file_text);
    model_ctx_free(dctx);
    model_free(dm);
    tok_free(tk);
    return rc;
}

static void
bench_json_stat(json_writer *w, const char *key, const bench_stat *s)
{
    json_key(w, key);
    json_begin_object(w);
    json_key(w, "median");
    json_double(w, s->median);
    json_key(w, "min");
    json_double(w, s->min);
    json_key(w, "max");
    json_double(w, s->max);
    json_key(w, "mad");
    json_double(w, s->mad);
    json_key(w, "n");
    json_int(w, s->n);
    json_end_object(w);
}

static void
bench_print_json(const struct bench_opts *o, const struct bench_res *r, const char *cpu,
                 const char *flags)
{
    json_writer *w = json_writer_new(0);
    double bound = r->bw > 0 && r->token_bytes > 0 ? r->bw / (double)r->token_bytes : 0;
    char *text;

    json_begin_object(w);
    json_key(w, "model");
    json_string(w, o->run.model);
    json_key(w, "arch");
    json_string(w, r->info->arch_name);
    json_key(w, "threads");
    json_int(w, o->run.n_threads);
    json_key(w, "cpu");
    json_begin_object(w);
    json_key(w, "name");
    json_string(w, cpu);
    json_key(w, "flags");
    json_string(w, flags);
    json_key(w, "kernels");
    json_string(w, kern_isa_name(kern_isa()));
    json_end_object(w);
    json_key(w, "weights");
    json_begin_object(w);
    json_key(w, "type");
    json_string(w, qtype_name(r->info->weight_type));
    json_key(w, "loaded_type");
    json_string(w, qtype_name(r->loaded_type));
    json_key(w, "bytes");
    json_int(w, (int64_t)r->info->weight_bytes);
    json_key(w, "bytes_per_token");
    json_int(w, (int64_t)r->token_bytes);
    json_key(w, "convert_s");
    json_double(w, r->t_convert);
    json_key(w, "note");
    json_string(w, r->note);
    json_end_object(w);
    json_key(w, "bandwidth_bytes_per_s");
    json_double(w, r->bw);
    json_key(w, "prompt");
    json_begin_object(w);
    json_key(w, "tokens");
    json_int(w, o->n_prompt);
    json_key(w, "batch");
    json_int(w, o->batch);
    bench_json_stat(w, "tokens_per_s", &r->pp);
    json_key(w, "gops");
    json_double(w, r->gops);
    json_key(w, "cpu_share");
    json_double(w, r->pp_cpu);
    json_end_object(w);
    json_key(w, "generation");
    json_begin_object(w);
    json_key(w, "tokens");
    json_int(w, o->n_gen);
    bench_json_stat(w, "tokens_per_s", &r->tg);
    json_key(w, "cpu_share");
    json_double(w, r->tg_cpu);
    json_key(w, "best_token_per_s");
    json_double(w, r->tg_best);
    json_key(w, "bound_tokens_per_s");
    json_double(w, bound);
    json_key(w, "bound_ratio");
    json_double(w, bound > 0 ? r->tg.median / bound : 0);
    json_end_object(w);
    json_key(w, "prompt_over_generation");
    json_double(w, r->tg.median > 0 ? r->pp.median / r->tg.median : 0);
    json_key(w, "peak_rss_bytes");
    json_int(w, (int64_t)bench_peak_rss());
    json_key(w, "speculative");
    if (!r->has_spec) {
        json_null(w);
    } else {
        const bench_spec_result *s = &r->spec;

        json_begin_object(w);
        json_key(w, "mode");
        json_string(w, spec_mode_name(s->mode));
        json_key(w, "draft");
        if (o->run.draft != NULL)
            json_string(w, o->run.draft);
        else
            json_null(w);
        json_key(w, "prompts");
        json_int(w, s->n_prompts);
        json_key(w, "tokens");
        json_int(w, s->n_tokens);
        bench_json_stat(w, "target_tokens_per_s", &s->base_tps);
        bench_json_stat(w, "spec_tokens_per_s", &s->spec_tps);
        json_key(w, "acceptance");
        json_double(w, s->accept_rate);
        json_key(w, "gamma_mean");
        json_double(w, s->gamma_mean);
        json_key(w, "cost_ratio");
        json_double(w, s->cost_ratio);
        json_key(w, "speedup");
        json_double(w, s->speedup);
        json_key(w, "speedup_predicted");
        json_double(w, s->speedup_pred);
        json_key(w, "identical");
        json_bool(w, s->identical);
        json_end_object(w);
    }
    json_end_object(w);
    text = json_writer_finish(w, NULL);
    printf("%s\n", text);
    free(text);
}

static void
bench_print_stat(const char *unit, const bench_stat *s)
{
    printf("%.2f %s median (min %.2f, max %.2f, %d run%s)", s->median, unit, s->min, s->max,
           s->n, s->n == 1 ? "" : "s");
}

static void
bench_print_text(const struct bench_opts *o, const struct bench_res *r, const char *cpu,
                 const char *flags)
{
    const model_info *in = r->info;
    double gib = 1024.0 * 1024.0 * 1024.0;
    double bound = r->bw > 0 && r->token_bytes > 0 ? r->bw / (double)r->token_bytes : 0;

    printf("model: %s (%s, %d layers, %d embd, %d ff, %d heads / %d kv, vocab %d)\n",
           o->run.model, in->arch_name, in->n_layer, in->n_embd, in->n_ff, in->n_head,
           in->n_head_kv, in->n_vocab);
    printf("cpu: %s; flags: %s; kernels: %s; threads: %ld\n", cpu, flags,
           kern_isa_name(kern_isa()), o->run.n_threads);
    printf("weights: %s", qtype_name(in->weight_type));
    if (in->weight_type != r->loaded_type || o->type >= 0)
        printf(" (converted from %s in %.1f s%s%s)", qtype_name(r->loaded_type), r->t_convert,
               r->note[0] ? "; " : "", r->note);
    printf(", %.3f GiB read per token, %.3f GiB in all (%zu bytes)\n",
           (double)r->token_bytes / gib, (double)in->weight_bytes / gib, in->weight_bytes);
    if (r->bw > 0)
        printf("memory bandwidth: %.2f GB/s (%ld MiB read by %ld thread%s, best of %d passes)\n",
               r->bw / 1e9, o->bw_mib, o->run.n_threads, o->run.n_threads == 1 ? "" : "s",
               BENCH_BW_PASSES);
    if (o->n_prompt > 0) {
        printf("prompt: %ld tokens in batches of %ld: ", o->n_prompt, o->batch);
        bench_print_stat("tokens/s", &r->pp);
        printf("; %.1f %s; cpu %.0f%% of %ld thread%s\n", r->gops,
               in->weight_type == QT_F32 || in->weight_type == QT_F16 || in->weight_type == QT_BF16
               ? "GFLOPS" : "int8 GOPS", 100.0 * r->pp_cpu, o->run.n_threads,
               o->run.n_threads == 1 ? "" : "s");
    }
    if (o->n_gen > 0) {
        printf("generation: %ld tokens, greedy: ", o->n_gen);
        bench_print_stat("tokens/s", &r->tg);
        printf("; cpu %.0f%% of %ld thread%s\n", 100.0 * r->tg_cpu, o->run.n_threads,
               o->run.n_threads == 1 ? "" : "s");
        if (bound > 0)
            printf("bandwidth bound: %.2f tokens/s (%.3f GiB per token at %.2f GB/s); "
                   "generation reaches %.1f%% of it (the fastest token %.1f%%)\n", bound,
                   (double)r->token_bytes / gib, r->bw / 1e9, 100.0 * r->tg.median / bound,
                   100.0 * r->tg_best / bound);
    }
    if (o->n_prompt > 0 && o->n_gen > 0 && r->tg.median > 0)
        printf("prompt / generation speed: %.2fx\n", r->pp.median / r->tg.median);
    if (r->has_spec) {
        const bench_spec_result *s = &r->spec;

        printf("speculative (%s%s%s), %d prompt%s through the chat template, greedy, up to %ld "
               "tokens each:\n", spec_mode_name(s->mode), o->run.draft ? ": " : "",
               o->run.draft ? o->run.draft : "", s->n_prompts, s->n_prompts == 1 ? "" : "s",
               o->n_gen);
        printf("  target only: ");
        bench_print_stat("tokens/s", &s->base_tps);
        printf("\n  speculative: ");
        bench_print_stat("tokens/s", &s->spec_tps);
        printf("\n  acceptance %.1f%%, mean draft length (gamma) %.2f, cost ratio c %.3f\n",
               100.0 * s->accept_rate, s->gamma_mean, s->cost_ratio);
        printf("  speedup: measured %.2fx, predicted %.2fx ((1-a^(g+1))/((1-a)(g c+1)))\n",
               s->speedup, s->speedup_pred);
        printf("  same tokens with and without speculation: %s\n", s->identical ? "yes" : "NO");
    }
    printf("peak RSS: %.2f GiB\n", (double)bench_peak_rss() / gib);
}

int
cli_bench(int argc, char **argv)
{
    struct bench_opts o;
    struct bench_res res;
    char err[512], cpu[256], flags[256];
    model *m = NULL;
    model_ctx *ctx = NULL;
    long n_ctx;
    int rc, want_spec;

    if ((rc = bench_parse(argc, argv, &o)) >= 0) {
        cli_run_free(&o.run);
        return rc;
    }
    rc = 1;
    memset(&res, 0, sizeof res);
    m = model_load(o.run.model, err, sizeof err);
    if (m == NULL) {
        cli_fail("%s", err);
        goto out;
    }
    res.info = model_get_info(m);
    res.loaded_type = model_loaded_type(m);
    if (o.type >= 0) {
        double t0 = bench_now();
        model_weights *w = model_weights_build(m, o.type, o.opt, (int)o.run.n_threads, NULL,
                                               NULL, err, sizeof err);

        if (w == NULL) {
            cli_fail("--type %s: %s", qtype_name(o.type), err);
            goto out;
        }
        res.t_convert = bench_now() - t0;
        snprintf(res.note, sizeof res.note, "%s", model_weights_note(w));
        model_weights_free(model_weights_swap(m, w));
    } else {
        (void)model_weights_copy_in(m); /* as generate and the chat do */
    }
    res.token_bytes = model_token_bytes(m);

    want_spec = o.run.pp.mode != SPEC_OFF && o.n_gen > 0 &&
                (o.run.draft != NULL || (o.run.spec_given && o.run.pp.mode == SPEC_LOOKUP));
    n_ctx = o.run.n_ctx;
    if (n_ctx == 0) {
        n_ctx = o.n_prompt > o.n_gen + 1 ? o.n_prompt : o.n_gen + 1;
        if (want_spec && n_ctx < 512 + o.n_gen + SPEC_DRAFT_LIMIT + 2)
            n_ctx = 512 + o.n_gen + SPEC_DRAFT_LIMIT + 2;
    } else if (n_ctx < o.n_prompt || n_ctx < o.n_gen + 1) {
        rc = cli_usage_error("bench", "-c %ld is smaller than -p %ld or -n %ld + 1", n_ctx,
                             o.n_prompt, o.n_gen);
        goto out;
    }
    ctx = model_ctx_new(m, (int)n_ctx, err, sizeof err);
    if (ctx == NULL) {
        cli_fail("%s", err);
        goto out;
    }
    model_ctx_set_threads(ctx, (int)o.run.n_threads);

    bench_cpu_name(cpu, sizeof cpu);
    bench_cpu_flags(flags, sizeof flags);
    if (o.bw_mib > 0)
        res.bw = bench_bandwidth((size_t)o.bw_mib << 20, (int)o.run.n_threads, BENCH_BW_PASSES);
    if (bench_speed(&o, ctx, &res) != 0)
        goto out;
    if (o.n_prompt > 0 && res.pp.median > 0)
        res.gops = 2.0 * (double)model_token_macs(m, 0) * res.pp.median / 1e9;
    if (want_spec && bench_spec(&o, m, ctx, &res) < 0)
        goto out;
    if (o.json)
        bench_print_json(&o, &res, cpu, flags);
    else
        bench_print_text(&o, &res, cpu, flags);
    rc = 0;
out:
    model_ctx_free(ctx);
    model_free(m);
    cli_run_free(&o.run);
    return rc;
}
