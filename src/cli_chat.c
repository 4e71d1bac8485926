/* cli_chat.c: `ternchat chat` in line mode: each line of standard input is
 * a user message, each reply is streamed to standard output and ends with
 * a newline. The conversation is saved like any other (scriptable: pipe
 * questions in, read answers out). Ctrl-C stops the reply being written;
 * end of input ends the chat. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "convo.h"
#include "engine.h"
#include "qtype.h"
#include "store.h"
#include "tsafe.h"
#include "xmalloc.h"

/* Options of `ternchat chat`. */
struct chat_opts {
    cli_run run;          /* models, sampling, speculation */
    const char *db;       /* --db PATH */
    long conv;            /* --conv ID: continue a saved conversation */
    long n_predict;       /* -n per reply */
    int no_save;          /* --no-save */
    int show_stats;       /* --stats: a speed line per reply on stderr */
};

static volatile sig_atomic_t chat_sigint;

static void
chat_on_sigint(int sig)
{
    (void)sig;
    chat_sigint++;
}

static void
chat_help(void)
{
    printf("Usage: ternchat chat [OPTIONS]\n"
           "\n"
           "A conversation in plain lines: every line read from standard input is a\n"
           "message, every reply is written to standard output followed by a newline.\n"
           "The conversation is saved in the history database like any other. Ctrl-C\n"
           "stops the reply being written (the text so far is kept, marked stopped);\n"
           "end of input ends the chat.\n"
           "\n"
           "Chat:\n"
           "      --db PATH          the history database (default: $TERNCHAT_DB, else\n"
           "                         $XDG_DATA_HOME/ternchat/ternchat.db)\n"
           "      --conv ID          continue saved conversation ID\n"
           "      --no-save          keep the conversation in memory only\n"
           "  -n, --n-predict N      at most N tokens per reply (default -1: until the\n"
           "                         model ends its turn or the context is full)\n"
           "      --stats            after each reply, print its speed on standard error\n"
           "\n");
    cli_run_help(stdout, 1);
    printf("\n"
           "  -h, --help             show this help and exit\n");
}

enum { OPT_DB = 256, OPT_CONV, OPT_NO_SAVE, OPT_STATS };

static int
chat_parse(int argc, char **argv, struct chat_opts *o)
{
    static const struct option longopts[] = {
        CLI_RUN_LONGOPTS,
        { "db", required_argument, NULL, OPT_DB },
        { "conv", required_argument, NULL, OPT_CONV },
        { "no-save", no_argument, NULL, OPT_NO_SAVE },
        { "stats", no_argument, NULL, OPT_STATS },
        { "n-predict", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c, r;

    memset(o, 0, sizeof *o);
    cli_run_init(&o->run);
    o->n_predict = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":" CLI_RUN_SHORTOPTS "n:h", longopts, NULL)) != -1) {
        if ((r = cli_run_option(&o->run, "chat", c, optarg)) >= 0) {
            if (r > 0)
                return r;
            continue;
        }
        switch (c) {
        case OPT_DB:
            o->db = optarg;
            break;
        case OPT_CONV:
            if (cli_parse_long(optarg, 1, INT32_MAX, &o->conv) != 0)
                return cli_usage_error("chat", "--conv wants a conversation id, not '%s'", optarg);
            break;
        case OPT_NO_SAVE:
            o->no_save = 1;
            break;
        case OPT_STATS:
            o->show_stats = 1;
            break;
        case 'n':
            if (cli_parse_long(optarg, -1, INT32_MAX, &o->n_predict) != 0)
                return cli_usage_error("chat", "-n wants a number of tokens >= -1, not '%s'", optarg);
            break;
        case 'h':
            chat_help();
            return 0;
        case ':':
            return cli_usage_error("chat", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("chat", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("chat", "unexpected argument '%s'", argv[optind]);
    if (o->no_save && (o->conv != 0 || o->db != NULL))
        return cli_usage_error("chat", "--no-save cannot be combined with --db or --conv");
    return cli_run_finish(&o->run, "chat");
}

/* Print a warning line once per distinct text. */
static void
warn_once(char **last, const char *msg)
{
    if (msg == NULL || (*last != NULL && strcmp(*last, msg) == 0))
        return;
    fprintf(stderr, "ternchat: warning: %s\n", msg);
    free(*last);
    *last = xstrdup(msg);
}

/* Wait for the models; returns 0, or 1 after printing the error. */
static int
wait_loaded(engine *e, convo_env *env, char **quant)
{
    engine_event ev;

    while (engine_wait(e, &ev, -1)) {
        int t = ev.type;

        if (t == ENGINE_EV_ERROR) {
            cli_fail("%s", ev.text ? ev.text : "the models did not load");
            engine_event_clear(&ev);
            return 1;
        }
        if (t == ENGINE_EV_LOADED) {
            *quant = xstrdup(qtype_name(ev.quant_type) ? qtype_name(ev.quant_type) : "?");
            env->quant = *quant;
            engine_event_clear(&ev);
            return 0;
        }
        engine_event_clear(&ev);
    }
    return 1;
}

/* Run one reply to its end, printing it. Returns 0, or -1 if the engine
 * could not be asked. */
static int
run_reply(const struct chat_opts *o, engine *e, convo *c, int tty)
{
    engine_event ev;
    int cancelled = 0;
    char last = '\n';

    if (convo_send(c, e, &o->run.sp, &o->run.pp, (int)o->n_predict) == 0)
        return -1;
    for (;;) {
        int got = engine_wait(e, &ev, 100);

        if (chat_sigint && !cancelled) {
            engine_cancel(e);
            cancelled = 1;
        }
        if (!got)
            continue;
        if (ev.type == ENGINE_EV_PIECE && ev.len > 0) {
            if (tty)
                tsafe_write(stdout, ev.text, ev.len);
            else
                fwrite(ev.text, 1, ev.len, stdout);
            last = ev.text[ev.len - 1];
            fflush(stdout);
        } else if (ev.type == ENGINE_EV_CONTEXT) {
            fprintf(stderr, "ternchat: %s\n", ev.text ? ev.text : "the context is full");
        }
        if (convo_handle(c, &ev)) {
            if (last != '\n')
                fputc('\n', stdout);
            fflush(stdout);
            if (ev.state == ENGINE_REPLY_ERROR)
                fprintf(stderr, "ternchat: the reply failed: %s\n", ev.text ? ev.text : "?");
            else if (o->show_stats)
                fprintf(stderr, "[%d prompt tokens in %.2f s, %d tokens in %.2f s: %.1f tokens/s; "
                        "%s: %ld proposed, %ld accepted%s]\n",
                        ev.n_prompt, ev.t_prompt, ev.n_gen, ev.stats.t_total, ev.stats.tokens_per_s,
                        spec_mode_name(ev.stats.mode), ev.stats.n_drafted, ev.stats.n_accepted,
                        ev.state == ENGINE_REPLY_STOPPED ? "; stopped" : "");
            engine_event_clear(&ev);
            return 0;
        }
        engine_event_clear(&ev);
    }
}

int
cli_chat(int argc, char **argv)
{
    struct chat_opts o;
    char err[512];
    engine_config cfg;
    engine *e = NULL;
    convo_env env;
    convo *c = NULL;
    char *line = NULL, *quant = NULL, *warned = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc, tty = isatty(STDOUT_FILENO), in_tty = isatty(STDIN_FILENO);
    struct sigaction sa;

    if ((rc = chat_parse(argc, argv, &o)) >= 0) {
        cli_run_free(&o.run);
        return rc;
    }
    rc = 1;
    memset(&env, 0, sizeof env);
    env.target_model = o.run.model;
    env.draft_model = o.run.draft;
    if (!o.no_save) {
        if (store_open_default(o.db, &env.st, err, sizeof err) != 0) {
            if (o.conv != 0) {
                cli_fail("%s", err);
                goto out;
            }
            fprintf(stderr, "ternchat: warning: %s; the chat is not saved\n", err);
            env.st = NULL;
        }
    }

    memset(&cfg, 0, sizeof cfg);
    cfg.target_path = o.run.model;
    cfg.draft_path = o.run.draft;
    cfg.n_ctx = (int)o.run.n_ctx;
    cfg.n_threads = (int)o.run.n_threads;
    cfg.chat_template = o.run.chat_template;
    e = engine_start(&cfg, err, sizeof err);
    if (e == NULL) {
        cli_fail("%s", err);
        goto out;
    }
    if (wait_loaded(e, &env, &quant) != 0)
        goto out;
    if (env.st != NULL) {
        store_session_params sp = { o.run.model, o.run.draft, (int)o.run.n_threads, quant };

        if (store_session_start(env.st, &sp, &env.session_id) != 0)
            warn_once(&warned, store_errmsg(env.st));
    }
    if (o.conv != 0) {
        c = convo_open(&env, o.conv, err, sizeof err);
        if (c == NULL) {
            cli_fail("%s", err);
            goto out;
        }
        if (o.run.system != NULL)
            convo_set_system(c, o.run.system);
    } else {
        c = convo_new(&env, o.run.system);
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = chat_on_sigint;
    sigaction(SIGINT, &sa, NULL);

    for (;;) {
        if (in_tty) {
            fputs("> ", stdout);
            fflush(stdout);
        }
        chat_sigint = 0;
        errno = 0;
        n = getline(&line, &cap, stdin);
        if (n < 0) {
            if (errno == EINTR && chat_sigint && in_tty) {
                clearerr(stdin);
                fputc('\n', stdout);
                continue;
            }
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        convo_add_user(c, line);
        warn_once(&warned, convo_warning(c));
        if (run_reply(&o, e, c, tty) != 0) {
            cli_fail("the engine did not take the message");
            goto out;
        }
        warn_once(&warned, convo_warning(c));
    }
    if (convo_id(c) > 0 && in_tty)
        fprintf(stderr, "saved as conversation %lld\n", (long long)convo_id(c));
    rc = 0;
out:
    convo_free(c);
    engine_stop(e);
    if (env.st != NULL) {
        if (env.session_id > 0)
            store_session_end(env.st, env.session_id);
        store_close(env.st);
    }
    free(line);
    free(quant);
    free(warned);
    cli_run_free(&o.run);
    return rc;
}
