/* cli_history.c: `ternchat history`: list, show, search, export, import,
 * rename and delete saved conversations. Text from the database goes
 * through tsafe so that it cannot drive the terminal. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "store.h"
#include "tsafe.h"
#include "xmalloc.h"

#define SNIPPET_CONTEXT 40   /* characters shown around a search match */
#define SNIPPETS_PER_HIT 3   /* match snippets shown per message */

/* Options every history command takes. */
struct hist_opts {
    const char *db;       /* --db PATH (NULL: default) */
    const char *cmd;      /* "history list" etc., for messages */
};

static void
hist_help(void)
{
    printf(
        "Usage: ternchat history [--db PATH] COMMAND [ARGS]\n"
        "\n"
        "Saved conversations.\n"
        "\n"
        "Commands:\n"
        "  list [--limit N] [--offset N]   conversations, most recent first\n"
        "  show ID [--all]                 a conversation's messages\n"
        "  search [--regex] [-i] PATTERN   messages containing words or matching a\n"
        "                                  regular expression\n"
        "  export ID [--format md|json] [-o FILE]\n"
        "                                  write a conversation as Markdown or JSON\n"
        "  import FILE.json                add a conversation exported as JSON\n"
        "  rename ID TITLE                 change a conversation's title\n"
        "  delete ID                       delete a conversation and its messages\n"
        "\n"
        "Options:\n"
        "      --db PATH   the database (default: $TERNCHAT_DB, else\n"
        "                  $XDG_DATA_HOME/ternchat/ternchat.db, XDG_DATA_HOME\n"
        "                  defaulting to ~/.local/share)\n"
        "  -h, --help      show this help and exit\n"
        "\n"
        "Run 'ternchat history COMMAND --help' for the options of a command.\n");
}

/* ---- output helpers ---- */

static void
fmt_time(int64_t ms, char *buf, size_t sz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, sz, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(buf, sz, "?");
}

/* Code points in s. */
static size_t
utf8_count(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Write n bytes of stored text on one line: newlines, tabs and CRs as
 * spaces, other control characters made visible. */
static void
put_flat(const char *s, size_t n)
{
    size_t i, start = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
            tsafe_write(stdout, s + start, i - start);
            putchar(' ');
            start = i + 1;
        }
    }
    tsafe_write(stdout, s + start, n - start);
}

/* Write stored text on one line, at most max characters (0: all; longer
 * text ends with "..."); returns the characters written. */
static size_t
put_field(const char *s, size_t max)
{
    char *flat, *safe;
    size_t i, n = strlen(s), cnt = 0;

    flat = xstrdup(s);
    for (i = 0; i < n; i++) {
        if (flat[i] == '\n' || flat[i] == '\t' || flat[i] == '\r')
            flat[i] = ' ';
    }
    safe = tsafe_string(flat, n);
    free(flat);
    if (max > 0 && utf8_count(safe) > max) {
        for (i = 0; safe[i]; i++) {
            if (((unsigned char)safe[i] & 0xc0) != 0x80 && ++cnt > max - 3) {
                safe[i] = '\0';
                break;
            }
        }
        fputs(safe, stdout);
        fputs("...", stdout);
        cnt = max;
    } else {
        fputs(safe, stdout);
        cnt = utf8_count(safe);
    }
    free(safe);
    return cnt;
}

/* Print an error that may hold untrusted text (file contents, a pattern,
 * a path) as one line with control characters made visible; returns 1. */
static int
fail_line(const char *prefix, const char *msg)
{
    char *safe = tsafe_string(msg, strlen(msg)), *p;

    for (p = safe; *p; p++) {
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    }
    cli_fail("%s%s", prefix, safe);
    free(safe);
    return 1;
}

static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s != NULL && s[1] != '\0' ? s + 1 : path;
}

/* ---- option parsing ---- */

enum { OPT_DB = 1000, OPT_LIMIT, OPT_OFFSET, OPT_ALL, OPT_REGEX, OPT_FTS, OPT_FORMAT };

/* Parse options of a history command. spec: short options (getopt style,
 * after the leading ':'); long: the long ones besides --db/--help. handle
 * gets the rest. Returns -1 to go on, else an exit status. */
typedef int (*opt_handler)(int c, const char *arg, void *ctx);

static int
parse_opts(struct hist_opts *ho, int argc, char **argv, const char *shortopts,
           const struct option *extra, opt_handler handle, void *ctx, void (*help)(void))
{
    struct option longopts[16];
    char spec[32];
    size_t n = 0;
    int c, r;

    longopts[n++] = (struct option){ "db", required_argument, NULL, OPT_DB };
    longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
    while (extra != NULL && extra->name != NULL && n < 15)
        longopts[n++] = *extra++;
    longopts[n] = (struct option){ NULL, 0, NULL, 0 };
    snprintf(spec, sizeof spec, ":h%s", shortopts);
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, spec, longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            ho->db = optarg;
            break;
        case 'h':
            help();
            return 0;
        case ':':
            return cli_usage_error(ho->cmd, "option '%s' needs a value", argv[optind - 1]);
        case '?':
            return cli_usage_error(ho->cmd, "unknown option '%s'", argv[optind - 1]);
        default:
            r = handle(c, optarg, ctx);
            if (r >= 0)
                return r;
        }
    }
    return -1;
}

static int
no_more_opts(int c, const char *arg, void *ctx)
{
    (void)c;
    (void)arg;
    (void)ctx;
    return 2;
}

/* Parse a conversation id argument; -1 after printing a usage error. */
static int
parse_id(struct hist_opts *ho, const char *s, int64_t *id)
{
    long v;

    if (s == NULL) {
        cli_usage_error(ho->cmd, "missing conversation ID");
        return -1;
    }
    if (cli_parse_long(s, 1, LONG_MAX, &v) < 0) {
        cli_usage_error(ho->cmd, "bad conversation ID '%s' (want a number from 'history list')",
                        s);
        return -1;
    }
    *id = v;
    return 0;
}

static store *
open_store(struct hist_opts *ho)
{
    char err[1024];
    store *st;

    if (store_open_default(ho->db, &st, err, sizeof err) < 0) {
        fail_line("", err);
        return NULL;
    }
    return st;
}

/* Fail with the store's message and close it; returns 1. */
static int
store_failed(store *st)
{
    fail_line("", store_errmsg(st));
    store_close(st);
    return 1;
}

/* ---- list ---- */

struct list_ctx {
    long limit;    /* --limit */
    long offset;   /* --offset */
    struct hist_opts *ho;
};

static void
list_help(void)
{
    printf("Usage: ternchat history list [--limit N] [--offset N] [--db PATH]\n"
           "\n"
           "List saved conversations, most recently updated first: id, date, number\n"
           "of messages, model and title.\n"
           "\n"
           "      --limit N    show at most N conversations (default 20; 0: all)\n"
           "      --offset N   skip the N most recent first (for paging)\n"
           "      --db PATH    the database\n");
}

static int
list_opt(int c, const char *arg, void *p)
{
    struct list_ctx *lc = p;
    long *dst = c == OPT_LIMIT ? &lc->limit : &lc->offset;

    if (cli_parse_long(arg, 0, 1000000000L, dst) < 0)
        return cli_usage_error(lc->ho->cmd, "bad %s value '%s'",
                               c == OPT_LIMIT ? "--limit" : "--offset", arg);
    return -1;
}

static int
hist_list(struct hist_opts *ho, int argc, char **argv)
{
    static const struct option extra[] = {
        { "limit", required_argument, NULL, OPT_LIMIT },
        { "offset", required_argument, NULL, OPT_OFFSET },
        { NULL, 0, NULL, 0 },
    };
    struct list_ctx lc = { 20, 0, ho };
    store_conv *v;
    size_t n, i;
    store *st;
    int r;

    if ((r = parse_opts(ho, argc, argv, "", extra, list_opt, &lc, list_help)) >= 0)
        return r;
    if (optind < argc)
        return cli_usage_error(ho->cmd, "unexpected argument '%s'", argv[optind]);
    if ((st = open_store(ho)) == NULL)
        return 1;
    if (store_conv_list(st, lc.offset, lc.limit, &v, &n) < 0)
        return store_failed(st);
    if (n == 0) {
        printf(lc.offset > 0 ? "No more conversations.\n" : "No saved conversations.\n");
    } else {
        printf("%6s  %-16s  %5s  %-24s  %s\n", "ID", "UPDATED", "MSGS", "MODEL", "TITLE");
        for (i = 0; i < n; i++) {
            char tbuf[64];
            size_t w;

            fmt_time(v[i].updated_ms, tbuf, sizeof tbuf);
            printf("%6lld  %-16s  %5lld  ", (long long)v[i].id, tbuf, (long long)v[i].n_messages);
            w = put_field(v[i].target_model ? base_name(v[i].target_model) : "-", 24);
            printf("%*s  ", (int)(24 - w), "");
            put_field(v[i].title[0] ? v[i].title : "(untitled)", 0);
            putchar('\n');
        }
    }
    store_convs_free(v, n);
    store_close(st);
    return 0;
}

/* ---- show ---- */

struct show_ctx {
    int all;   /* --all: every branch */
};

static void
show_help(void)
{
    printf("Usage: ternchat history show ID [--all] [--db PATH]\n"
           "\n"
           "Show a conversation: its settings and the messages of its current branch.\n"
           "\n"
           "      --all       every message, including branches left by edits\n"
           "      --db PATH   the database\n");
}

static int
show_opt(int c, const char *arg, void *p)
{
    (void)arg;
    if (c == OPT_ALL)
        ((struct show_ctx *)p)->all = 1;
    return -1;
}

static int
hist_show(struct hist_opts *ho, int argc, char **argv)
{
    static const struct option extra[] = {
        { "all", no_argument, NULL, OPT_ALL },
        { NULL, 0, NULL, 0 },
    };
    struct show_ctx sc = { 0 };
    store_conv c;
    store_msg *m;
    size_t n, i;
    int64_t id;
    store *st;
    char tbuf[64];
    int r;

    if ((r = parse_opts(ho, argc, argv, "", extra, show_opt, &sc, show_help)) >= 0)
        return r;
    if (parse_id(ho, optind < argc ? argv[optind] : NULL, &id) < 0)
        return 2;
    if (optind + 1 < argc)
        return cli_usage_error(ho->cmd, "unexpected argument '%s'", argv[optind + 1]);
    if ((st = open_store(ho)) == NULL)
        return 1;
    if (store_conv_get(st, id, &c) < 0)
        return store_failed(st);
    if (store_msgs_get(st, id, sc.all ? STORE_MSGS_ALL : STORE_MSGS_BRANCH, &m, &n) < 0) {
        store_conv_clear(&c);
        return store_failed(st);
    }
    printf("Conversation %lld: ", (long long)c.id);
    put_field(c.title[0] ? c.title : "(untitled)", 0);
    fmt_time(c.created_ms, tbuf, sizeof tbuf);
    printf("\nStarted %s", tbuf);
    fmt_time(c.updated_ms, tbuf, sizeof tbuf);
    printf(", updated %s\n", tbuf);
    if (c.target_model != NULL) {
        printf("Model: ");
        put_field(c.target_model, 0);
        if (c.draft_model != NULL) {
            printf(" (draft: ");
            put_field(c.draft_model, 0);
            putchar(')');
        }
        putchar('\n');
    }
    if (c.system_prompt[0] != '\0') {
        printf("System prompt:\n");
        tsafe_write(stdout, c.system_prompt, strlen(c.system_prompt));
        putchar('\n');
    }
    for (i = 0; i < n; i++) {
        fmt_time(m[i].created_ms, tbuf, sizeof tbuf);
        printf("\n--- %s", store_role_name(m[i].role));
        if (sc.all)
            printf(" #%lld%s", (long long)m[i].id, m[i].id == c.head_id ? " (head)" : "");
        if (sc.all && m[i].parent_id > 0)
            printf(" after #%lld", (long long)m[i].parent_id);
        printf(", %s", tbuf);
        if (m[i].tokens > 0)
            printf(", %lld tokens", (long long)m[i].tokens);
        if (m[i].gen_ms >= 0)
            printf(", %.1f s", (double)m[i].gen_ms / 1000.0);
        if (m[i].state == STORE_STATE_STOPPED)
            printf(" [stopped]");
        else if (m[i].state == STORE_STATE_ERROR)
            printf(" [generation failed]");
        else if (m[i].state == STORE_STATE_STREAMING)
            printf(" [incomplete]");
        printf("\n");
        tsafe_write(stdout, m[i].text, strlen(m[i].text));
        putchar('\n');
    }
    store_msgs_free(m, n);
    store_conv_clear(&c);
    store_close(st);
    return 0;
}

/* ---- search ---- */

struct search_ctx {
    unsigned flags;   /* STORE_SEARCH_* */
    long limit;       /* --limit */
    struct hist_opts *ho;
};

static void
search_help(void)
{
    printf("Usage: ternchat history search [--regex [-i]] [--limit N] [--db PATH] PATTERN\n"
           "\n"
           "Find saved messages. Without --regex, messages containing all the words of\n"
           "PATTERN (full-text index; case and accents are ignored; 'word*' matches a\n"
           "prefix), best matches first. With --regex, messages matching the PCRE2\n"
           "regular expression PATTERN (UTF-8, Unicode classes), newest first.\n"
           "Matches are shown in context, highlighted when the output is a terminal.\n"
           "\n"
           "  -E, --regex       PATTERN is a regular expression\n"
           "  -i, --ignore-case with --regex: ignore case\n"
           "      --fts         PATTERN is an FTS5 query (AND, OR, NOT, \"phrases\", NEAR)\n"
           "      --limit N     at most N messages (default 50)\n"
           "      --db PATH     the database\n");
}

static int
search_opt(int c, const char *arg, void *p)
{
    struct search_ctx *sc = p;

    switch (c) {
    case 'E':
    case OPT_REGEX:
        sc->flags |= STORE_SEARCH_REGEX;
        break;
    case 'i':
        sc->flags |= STORE_SEARCH_ICASE;
        break;
    case OPT_FTS:
        sc->flags |= STORE_SEARCH_FTS;
        break;
    case OPT_LIMIT:
        if (cli_parse_long(arg, 1, 1000000L, &sc->limit) < 0)
            return cli_usage_error(sc->ho->cmd, "bad --limit value '%s'", arg);
        break;
    }
    return -1;
}

/* Start of the character that holds byte i. */
static size_t
char_start(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
        i--;
    return i;
}

/* Move from byte i by k characters back (dir < 0) or forward, within [0, len]. */
static size_t
step_chars(const char *s, size_t len, size_t i, int dir, int k)
{
    while (k-- > 0) {
        if (dir < 0) {
            if (i == 0)
                break;
            i = char_start(s, i - 1);
        } else {
            if (i >= len)
                break;
            i++;
            while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
                i++;
        }
    }
    return i;
}

static void
print_hit(const store_hit *h, int tty)
{
    const char *t = h->text;
    size_t len = strlen(t), i = 0, shown = 0;
    char tbuf[64];

    fmt_time(h->created_ms, tbuf, sizeof tbuf);
    printf("#%lld in conversation %lld \"", (long long)h->msg_id, (long long)h->conv_id);
    put_field(h->conv_title[0] ? h->conv_title : "(untitled)", 60);
    printf("\" (%s, %s):\n", store_role_name(h->role), tbuf);
    if (h->n_spans == 0) {
        size_t end = step_chars(t, len, 0, 1, 2 * SNIPPET_CONTEXT);

        printf("    ");
        put_flat(t, end);
        printf("%s\n", end < len ? "..." : "");
        return;
    }
    while (i < h->n_spans && shown < SNIPPETS_PER_HIT) {
        size_t s0 = h->spans[2 * i], from, to, pos, j;

        from = step_chars(t, len, char_start(t, s0 < len ? s0 : len), -1, SNIPPET_CONTEXT);
        to = step_chars(t, len, h->spans[2 * i + 1] < len ? h->spans[2 * i + 1] : len, 1,
                        SNIPPET_CONTEXT);
        printf("    %s", from > 0 ? "..." : "");
        pos = from;
        /* every match that ends inside this window */
        for (j = i; j < h->n_spans && h->spans[2 * j + 1] <= to; j++) {
            size_t a = h->spans[2 * j], b = h->spans[2 * j + 1];

            if (a < pos || b > len)
                continue;
            put_flat(t + pos, a - pos);
            if (tty)
                fputs("\033[7m", stdout);
            put_flat(t + a, b - a);
            if (tty)
                fputs("\033[27m", stdout);
            pos = b;
        }
        put_flat(t + pos, to - pos);
        printf("%s\n", to < len ? "..." : "");
        i = j > i ? j : i + 1;
        shown++;
    }
    if (i < h->n_spans)
        printf("    (%zu more matches)\n", h->n_spans - i);
}

static int
hist_search(struct hist_opts *ho, int argc, char **argv)
{
    static const struct option extra[] = {
        { "regex", no_argument, NULL, OPT_REGEX },
        { "ignore-case", no_argument, NULL, 'i' },
        { "fts", no_argument, NULL, OPT_FTS },
        { "limit", required_argument, NULL, OPT_LIMIT },
        { NULL, 0, NULL, 0 },
    };
    struct search_ctx sc = { 0, 50, ho };
    store_hit *hits;
    size_t n, i;
    store *st;
    int r, tty;

    if ((r = parse_opts(ho, argc, argv, "Ei", extra, search_opt, &sc, search_help)) >= 0)
        return r;
    if (optind >= argc)
        return cli_usage_error(ho->cmd, "missing PATTERN");
    if (optind + 1 < argc)
        return cli_usage_error(ho->cmd, "unexpected argument '%s' (quote a PATTERN with spaces)",
                               argv[optind + 1]);
    if ((sc.flags & STORE_SEARCH_ICASE) && !(sc.flags & STORE_SEARCH_REGEX))
        return cli_usage_error(ho->cmd, "-i goes with --regex (word search ignores case anyway)");
    if ((sc.flags & STORE_SEARCH_FTS) && (sc.flags & STORE_SEARCH_REGEX))
        return cli_usage_error(ho->cmd, "--fts and --regex do not go together");
    if ((st = open_store(ho)) == NULL)
        return 1;
    if (store_search(st, argv[optind], sc.flags, sc.limit, &hits, &n) < 0)
        return store_failed(st);
    tty = isatty(STDOUT_FILENO);
    if (n == 0)
        printf("No messages match.\n");
    for (i = 0; i < n; i++) {
        if (i > 0)
            putchar('\n');
        print_hit(&hits[i], tty);
    }
    store_hits_free(hits, n);
    store_close(st);
    return 0;
}

/* ---- export / import ---- */

struct export_ctx {
    int json;            /* --format json */
    const char *output;  /* -o FILE */
    struct hist_opts *ho;
};

static void
export_help(void)
{
    printf("Usage: ternchat history export ID [--format md|json] [-o FILE] [--db PATH]\n"
           "\n"
           "Write a conversation to standard output or a file. Markdown (the default)\n"
           "holds the current branch, for reading; JSON holds every message of every\n"
           "branch and the settings, and 'ternchat history import' reads it back.\n"
           "\n"
           "  -f, --format FMT   md (Markdown) or json\n"
           "  -o, --output FILE  write to FILE (created with mode 0600) instead\n"
           "      --db PATH      the database\n");
}

static int
export_opt(int c, const char *arg, void *p)
{
    struct export_ctx *ec = p;

    if (c == 'o') {
        ec->output = arg;
    } else if (c == 'f' || c == OPT_FORMAT) {
        if (strcmp(arg, "json") == 0)
            ec->json = 1;
        else if (strcmp(arg, "md") == 0 || strcmp(arg, "markdown") == 0)
            ec->json = 0;
        else
            return cli_usage_error(ec->ho->cmd, "unknown format '%s' (want md or json)", arg);
    }
    return -1;
}

/* Write all of buf to the file path (mode 0600 when created). */
static int
write_file(const char *path, const char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;

    if (fd < 0)
        return cli_fail("cannot write %s: %s", path, strerror(errno));
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;

            close(fd);
            return cli_fail("cannot write %s: %s", path, strerror(e));
        }
        done += (size_t)w;
    }
    if (close(fd) < 0)
        return cli_fail("cannot write %s: %s", path, strerror(errno));
    return 0;
}

static int
hist_export(struct hist_opts *ho, int argc, char **argv)
{
    static const struct option extra[] = {
        { "format", required_argument, NULL, OPT_FORMAT },
        { "output", required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 },
    };
    struct export_ctx ec = { 0, NULL, ho };
    char *text;
    size_t len;
    int64_t id;
    store *st;
    int r, rc;

    if ((r = parse_opts(ho, argc, argv, "f:o:", extra, export_opt, &ec, export_help)) >= 0)
        return r;
    if (parse_id(ho, optind < argc ? argv[optind] : NULL, &id) < 0)
        return 2;
    if (optind + 1 < argc)
        return cli_usage_error(ho->cmd, "unexpected argument '%s'", argv[optind + 1]);
    if ((st = open_store(ho)) == NULL)
        return 1;
    rc = ec.json ? store_export_json(st, id, &text, &len) : store_export_markdown(st, id, &text,
                                                                                  &len);
    if (rc < 0)
        return store_failed(st);
    store_close(st);
    if (ec.json) {
        char *nl = xasprintf("%s\n", text);

        free(text);
        text = nl;
        len++;
    } else {
        /* Markdown is for reading: control characters made visible (JSON
         * escapes them itself). */
        char *safe = tsafe_string(text, len);

        free(text);
        text = safe;
        len = strlen(safe);
    }
    if (ec.output != NULL && strcmp(ec.output, "-") != 0) {
        r = write_file(ec.output, text, len);
    } else {
        fwrite(text, 1, len, stdout);
        r = 0;
    }
    free(text);
    return r;
}

static void
import_help(void)
{
    printf("Usage: ternchat history import FILE.json [--db PATH]\n"
           "\n"
           "Add a conversation written by 'ternchat history export --format json' as a\n"
           "new conversation ('-' reads standard input) and print its id.\n"
           "\n"
           "      --db PATH   the database\n");
}

static int
hist_import(struct hist_opts *ho, int argc, char **argv)
{
    char err[1024], *text;
    size_t len;
    int64_t id;
    store *st;
    int r;

    if ((r = parse_opts(ho, argc, argv, "", NULL, no_more_opts, NULL, import_help)) >= 0)
        return r;
    if (optind >= argc)
        return cli_usage_error(ho->cmd, "missing FILE.json");
    if (optind + 1 < argc)
        return cli_usage_error(ho->cmd, "unexpected argument '%s'", argv[optind + 1]);
    text = cli_read_file(argv[optind], &len, err, sizeof err);
    if (text == NULL)
        return fail_line("", err);
    if ((st = open_store(ho)) == NULL) {
        free(text);
        return 1;
    }
    if (store_import_json(st, text, len, &id) < 0) {
        char *msg = xasprintf("%s: %s", argv[optind], store_errmsg(st));

        fail_line("", msg);
        free(msg);
        free(text);
        store_close(st);
        return 1;
    }
    free(text);
    store_close(st);
    printf("imported conversation %lld\n", (long long)id);
    return 0;
}

/* ---- rename / delete ---- */

static void
rename_help(void)
{
    printf("Usage: ternchat history rename ID TITLE [--db PATH]\n"
           "\n"
           "Change the title of a conversation.\n"
           "\n"
           "      --db PATH   the database\n");
}

static void
delete_help(void)
{
    printf("Usage: ternchat history delete ID [--db PATH]\n"
           "\n"
           "Delete a conversation and all its messages (their speed statistics stay).\n"
           "\n"
           "      --db PATH   the database\n");
}

static int
hist_rename_delete(struct hist_opts *ho, int argc, char **argv, int is_rename)
{
    int64_t id;
    store *st;
    int r, want = is_rename ? 2 : 1;

    if ((r = parse_opts(ho, argc, argv, "", NULL, no_more_opts, NULL,
                        is_rename ? rename_help : delete_help)) >= 0)
        return r;
    if (parse_id(ho, optind < argc ? argv[optind] : NULL, &id) < 0)
        return 2;
    if (argc - optind < want)
        return cli_usage_error(ho->cmd, "missing TITLE");
    if (argc - optind > want)
        return cli_usage_error(ho->cmd, "unexpected argument '%s'%s", argv[optind + want],
                               is_rename ? " (quote a TITLE with spaces)" : "");
    if ((st = open_store(ho)) == NULL)
        return 1;
    if ((is_rename ? store_conv_rename(st, id, argv[optind + 1]) : store_conv_delete(st, id)) < 0)
        return store_failed(st);
    store_close(st);
    return 0;
}

/* ---- dispatch ---- */

int
cli_history(int argc, char **argv)
{
    static const char *const names[] = { "list", "show", "search", "export", "import", "rename",
                                         "delete" };
    struct hist_opts ho = { NULL, "history" };
    char **sub;
    int i, nsub = 0, rc;
    const char *name = NULL;
    char cmd[32];

    /* Options before the command: --db PATH, --help. */
    sub = xcalloc((size_t)argc + 1, sizeof *sub);
    for (i = 1; i < argc; i++) {
        if (name == NULL && strcmp(argv[i], "--db") == 0) {
            if (i + 1 >= argc) {
                free(sub);
                return cli_usage_error("history", "option '--db' needs a value");
            }
            ho.db = argv[++i];
        } else if (name == NULL && strncmp(argv[i], "--db=", 5) == 0) {
            ho.db = argv[i] + 5;
        } else if (name == NULL && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
            free(sub);
            hist_help();
            return 0;
        } else if (name == NULL && argv[i][0] == '-') {
            free(sub);
            return cli_usage_error("history", "unknown option '%s'", argv[i]);
        } else {
            if (name == NULL)
                name = argv[i];
            sub[nsub++] = argv[i];
        }
    }
    if (name == NULL) {
        free(sub);
        return cli_usage_error("history", "missing command (list, show, search, export, import, "
                               "rename, delete)");
    }
    for (i = 0; i < (int)(sizeof names / sizeof names[0]); i++) {
        if (strcmp(name, names[i]) == 0)
            break;
    }
    if (i == (int)(sizeof names / sizeof names[0])) {
        free(sub);
        return cli_usage_error("history", "unknown history command '%s'", name);
    }
    snprintf(cmd, sizeof cmd, "history %s", name);
    ho.cmd = cmd;
    switch (i) {
    case 0: rc = hist_list(&ho, nsub, sub); break;
    case 1: rc = hist_show(&ho, nsub, sub); break;
    case 2: rc = hist_search(&ho, nsub, sub); break;
    case 3: rc = hist_export(&ho, nsub, sub); break;
    case 4: rc = hist_import(&ho, nsub, sub); break;
    case 5: rc = hist_rename_delete(&ho, nsub, sub, 1); break;
    default: rc = hist_rename_delete(&ho, nsub, sub, 0); break;
    }
    if (fflush(stdout) != 0 && rc == 0)
        rc = cli_fail("cannot write the output: %s", strerror(errno));
    free(sub);
    return rc;
}
