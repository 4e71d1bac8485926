/* cli_ui.c: `ternchat` (no command) and `ternchat chat` on a terminal:
 * the chat screen. Options are those of every command that runs a model
 * plus the screen's own; they override the config file. Without a
 * terminal on stdin and stdout (or with --plain) the line-mode chat runs
 * instead (cli_chat.c). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "conf.h"
#include "ui_ctl.h"
#include "xmalloc.h"

enum { OPT_DB = 300, OPT_CONV, OPT_NO_SAVE, OPT_NO_COLOR, OPT_CONFIG, OPT_PLAIN, OPT_STATS };

/* What the options said that is not a setting. */
struct ui_opts {
    conf *over;          /* settings given as options */
    const char *config;  /* --config FILE */
    long conv;           /* --conv ID */
    int no_save;         /* --no-save */
};

static void
ui_help(void)
{
    printf("Usage: ternchat [chat] [OPTIONS]\n"
           "\n"
           "The chat screen: the conversation (Markdown, streamed as it is written), the\n"
           "saved conversations and a speed panel on the left, an input box, a status\n"
           "line. F1 (or ?) lists every key and /command. Without a terminal on standard\n"
           "input and output, or with --plain, the chat runs in plain lines instead.\n"
           "\n"
           "Screen:\n"
           "      --db PATH          the history database (default: $TERNCHAT_DB, else\n"
           "                         $XDG_DATA_HOME/ternchat/ternchat.db)\n"
           "      --conv ID          open saved conversation ID\n"
           "      --no-save          keep the conversation in memory only\n"
           "  -n, --n-predict N      at most N tokens per reply (default -1: no limit)\n"
           "      --no-color         no colours (also when NO_COLOR is set)\n"
           "      --config FILE      settings file (default:\n"
           "                         $XDG_CONFIG_HOME/ternchat/config); options win\n"
           "      --plain            the line mode even on a terminal\n"
           "\n"
           "Line mode (each line of standard input is a message, each reply goes to\n"
           "standard output; Ctrl-C stops a reply; no config file; the options above\n"
           "but --no-color and --config, and):\n"
           "      --stats            after each reply, print its speed on standard error\n"
           "\n");
    cli_run_help(stdout, 1);
    printf("\n"
           "  -h, --help             show this help and exit\n");
}

/* The config key of a shared option, or NULL. */
static const char *
option_key(int c)
{
    switch (c) {
    case 'm': return "model";
    case 'd': return "draft";
    case CLI_OPT_MODELS_DIR: return "models_dir";
    case 'c': return "ctx";
    case 't': return "threads";
    case CLI_OPT_TEMP: return "temp";
    case CLI_OPT_TOP_K: return "top_k";
    case CLI_OPT_TOP_P: return "top_p";
    case CLI_OPT_MIN_P: return "min_p";
    case CLI_OPT_REPEAT_PENALTY: return "repeat_penalty";
    case CLI_OPT_REPEAT_LAST_N: return "repeat_last_n";
    case CLI_OPT_SEED: return "seed";
    case CLI_OPT_SPEC: return "spec";
    case CLI_OPT_DRAFT_MAX: return "draft_max";
    case CLI_OPT_DRAFT_MIN: return "draft_min";
    case CLI_OPT_DRAFT: return "draft_max";
    case CLI_OPT_SYSTEM: return "system";
    case CLI_OPT_TEMPLATE: return "template";
    default: return NULL;
    }
}

/* Record a setting given as an option; an exit status, or -1 to go on. */
static int
set_over(conf *over, const char *key, const char *value)
{
    char err[256];

    if (conf_set(over, key, value, err, sizeof err) != 0)
        return cli_usage_error("chat", "%s", err);
    return -1;
}

/* Parse the options: -1 to go on, or an exit status. */
static int
ui_parse(int argc, char **argv, struct ui_opts *o)
{
    static const struct option longopts[] = {
        CLI_RUN_LONGOPTS,
        { "db", required_argument, NULL, OPT_DB },
        { "conv", required_argument, NULL, OPT_CONV },
        { "no-save", no_argument, NULL, OPT_NO_SAVE },
        { "no-color", no_argument, NULL, OPT_NO_COLOR },
        { "config", required_argument, NULL, OPT_CONFIG },
        { "plain", no_argument, NULL, OPT_PLAIN },
        { "stats", no_argument, NULL, OPT_STATS },
        { "n-predict", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    cli_run scratch;
    int c, r;

    cli_run_init(&scratch);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":" CLI_RUN_SHORTOPTS "n:h", longopts, NULL)) != -1) {
        const char *key;

        if ((r = cli_run_option(&scratch, "chat", c, optarg)) >= 0) {
            if (r > 0)
                return r;
            key = option_key(c);
            if (key != NULL && (r = set_over(o->over, key, optarg)) >= 0)
                return r;
            if (c == CLI_OPT_DRAFT && (r = set_over(o->over, "draft_min", optarg)) >= 0)
                return r;
            continue;
        }
        switch (c) {
        case OPT_DB:
            if ((r = set_over(o->over, "db", optarg)) >= 0)
                return r;
            break;
        case OPT_CONV:
            if (cli_parse_long(optarg, 1, INT32_MAX, &o->conv) != 0)
                return cli_usage_error("chat", "--conv wants a conversation id, not '%s'", optarg);
            break;
        case OPT_NO_SAVE:
            o->no_save = 1;
            break;
        case OPT_NO_COLOR:
            set_over(o->over, "no_color", "true");
            break;
        case OPT_CONFIG:
            o->config = optarg;
            break;
        case OPT_PLAIN:
            break;
        case OPT_STATS:
            return cli_usage_error("chat", "--stats is for the line mode (add --plain)");
        case 'n':
            if ((r = set_over(o->over, "n_predict", optarg)) >= 0)
                return r;
            break;
        case 'h':
            ui_help();
            return 0;
        case ':':
            return cli_usage_error("chat", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("chat", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("chat", "unexpected argument '%s'", argv[optind]);
    if (o->no_save && (o->conv != 0 || conf_given(o->over, "db")))
        return cli_usage_error("chat", "--no-save cannot be combined with --db or --conv");
    return -1;
}

/* The models and sampling from the settings; -1 to go on, or an exit
 * status after printing why not. The draft model is loaded even when
 * speculation starts off, so that /spec can turn it on. */
static int
resolve_run(const conf *cfg, cli_run *r)
{
    int mode = cfg->spec, rc;

    cli_run_init(r);
    r->model = cfg->model;
    r->draft = cfg->draft;
    r->models_dir = cfg->model == NULL ? cfg->models_dir : NULL;
    r->n_ctx = cfg->n_ctx;
    if (cfg->threads > 0)
        r->n_threads = cfg->threads;
    r->sp.temp = (float)cfg->temp;
    r->sp.top_k = cfg->top_k;
    r->sp.top_p = (float)cfg->top_p;
    r->sp.min_p = (float)cfg->min_p;
    r->sp.repeat_penalty = (float)cfg->repeat_penalty;
    r->sp.repeat_last_n = cfg->repeat_last_n;
    if (cfg->seed != 0) {
        r->sp.seed = cfg->seed;
        r->seed_given = 1;
    }
    r->pp.mode = mode == SPEC_OFF || mode == SPEC_LOOKUP ? SPEC_AUTO : mode;
    r->spec_given = conf_given(cfg, "spec");
    r->pp.draft_max = cfg->draft_max;
    r->pp.draft_min = cfg->draft_min;
    r->system = cfg->system_prompt;
    r->chat_template = cfg->chat_template;
    if ((rc = cli_run_finish(r, "chat")) >= 0)
        return rc;
    r->pp.mode = mode;
    if (mode == SPEC_DRAFT && r->draft == NULL)
        return cli_usage_error("chat", "--spec draft needs a draft model: give -d FILE");
    return -1;
}

/* argv without --plain, for the line mode. */
static int
run_plain(int argc, char **argv)
{
    char **av = xcalloc((size_t)argc + 1, sizeof *av);
    int n = 0, rc;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--plain") == 0)
            continue;
        av[n++] = argv[i];
    }
    av[n] = NULL;
    rc = cli_chat(n, av);
    free(av);
    return rc;
}

int
cli_ui(int argc, char **argv)
{
    struct ui_opts o;
    conf *cfg = NULL;
    cli_run run;
    ui_ctl_config cc;
    ui_ctl *ctl = NULL;
    char err[512], *path = NULL, *report = NULL;
    int rc, plain = 0, help = 0, sig;
    int64_t id;

    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        plain |= strcmp(argv[i], "--plain") == 0;
        help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    }
    if (plain || (!help && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))))
        return run_plain(argc, argv);

    memset(&o, 0, sizeof o);
    o.over = conf_new();
    cli_run_init(&run);
    if ((rc = ui_parse(argc, argv, &o)) >= 0)
        goto out;
    rc = 1;
    cfg = conf_new();
    path = o.config != NULL ? xstrdup(o.config) : conf_default_path();
    if (path != NULL && conf_load(cfg, path, o.config == NULL, &report) < 0) {
        cli_fail("%s", report != NULL ? report : path);
        goto out;
    }
    conf_merge(cfg, o.over);
    if ((rc = resolve_run(cfg, &run)) >= 0)
        goto out;
    rc = 1;

    memset(&cc, 0, sizeof cc);
    cc.cfg = cfg;
    cc.target_path = run.model;
    cc.draft_path = run.draft;
    cc.n_ctx = (int)run.n_ctx;
    cc.n_threads = (int)run.n_threads;
    cc.chat_template = run.chat_template;
    cc.sp = run.sp;
    cc.pp = run.pp;
    cc.n_predict = cfg->n_predict;
    cc.db = cfg->db;
    cc.no_save = o.no_save;
    cc.conv_id = o.conv;
    ctl = ui_ctl_new(&cc, err, sizeof err);
    if (ctl == NULL) {
        cli_fail("%s", err);
        goto out;
    }
    if (report != NULL) {
        char *m = xasprintf("The config file has problems (those lines are ignored):\n%s", report);

        ui_add_message(ui_ctl_ui(ctl), UI_INFO, m);
        free(m);
    }
    if (ui_run(ui_ctl_ui(ctl), err, sizeof err) < 0) {
        cli_fail("%s (--plain chats in plain lines)", err);
        goto out;
    }
    sig = ui_signal(ui_ctl_ui(ctl));
    id = convo_id(ui_ctl_convo(ctl));
    ui_ctl_free(ctl); /* a reply still running is stopped and saved */
    ctl = NULL;
    if (id > 0 && isatty(STDERR_FILENO))
        fprintf(stderr, "saved as conversation %lld\n", (long long)id);
    rc = sig ? 128 + sig : 0;
out:
    ui_ctl_free(ctl);
    cli_run_free(&run);
    conf_free(o.over);
    conf_free(cfg);
    free(path);
    free(report);
    return rc;
}
