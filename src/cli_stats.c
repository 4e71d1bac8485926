/* cli_stats.c: `ternchat stats`: the saved speed statistics (tokens per
 * second, draft acceptance) summed per quantisation mode, model pair or
 * session, as a table. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "store.h"
#include "tsafe.h"
#include "xmalloc.h"

enum { STATS_OPT_DB = 1000, STATS_OPT_SESSION, STATS_OPT_BY };

static void
stats_help(void)
{
    printf("Usage: ternchat stats [--by quant|model|session] [--session ID] [--db PATH]\n"
           "\n"
           "Speed statistics of the saved replies, one row per group: replies, prompt\n"
           "and generated tokens with their tokens per second, and for speculative\n"
           "decoding the drafted and accepted tokens, acceptance rate and mean draft\n"
           "length (gamma).\n"
           "\n"
           "      --by KEY       group by quant (the default), model or session\n"
           "      --session ID   only the replies of one session\n"
           "      --db PATH      the database (default: $TERNCHAT_DB, else\n"
           "                     $XDG_DATA_HOME/ternchat/ternchat.db)\n"
           "  -h, --help         show this help and exit\n");
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

/* The group name on one line, control characters made visible, cut to
 * width characters and padded to it. */
static void
put_key(const char *key, int width)
{
    char *safe = tsafe_string(key, strlen(key));
    size_t i, cnt = 0;

    for (i = 0; safe[i]; i++) {
        if (safe[i] == '\n' || safe[i] == '\t')
            safe[i] = ' ';
        if (((unsigned char)safe[i] & 0xc0) != 0x80 && ++cnt > (size_t)width) {
            safe[i] = '\0';
            cnt--;
            break;
        }
    }
    fputs(safe, stdout);
    printf("%*s", width - (int)cnt, "");
    free(safe);
}

int
cli_stats(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, STATS_OPT_DB },
        { "session", required_argument, NULL, STATS_OPT_SESSION },
        { "by", required_argument, NULL, STATS_OPT_BY },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = NULL, *head;
    store_group by = STORE_BY_QUANT;
    long session = 0;
    store_stats_row *rows;
    size_t n, i;
    char err[1024];
    store *st;
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case STATS_OPT_DB:
            db = optarg;
            break;
        case STATS_OPT_SESSION:
            if (cli_parse_long(optarg, 1, LONG_MAX, &session) < 0)
                return cli_usage_error("stats", "bad session id '%s'", optarg);
            break;
        case STATS_OPT_BY:
            if (strcmp(optarg, "quant") == 0)
                by = STORE_BY_QUANT;
            else if (strcmp(optarg, "model") == 0)
                by = STORE_BY_MODEL;
            else if (strcmp(optarg, "session") == 0)
                by = STORE_BY_SESSION;
            else
                return cli_usage_error("stats", "bad --by value '%s' (want quant, model or "
                                       "session)", optarg);
            break;
        case 'h':
            stats_help();
            return 0;
        case ':':
            return cli_usage_error("stats", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("stats", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("stats", "unexpected argument '%s'", argv[optind]);
    if (store_open_default(db, &st, err, sizeof err) < 0)
        return fail_line("", err);
    if (store_stats_query(st, by, session, &rows, &n) < 0) {
        fail_line("", store_errmsg(st));
        store_close(st);
        return 1;
    }
    store_close(st);
    if (n == 0) {
        if (session > 0)
            printf("No statistics for session %ld.\n", session);
        else
            printf("No statistics saved yet.\n");
        store_stats_rows_free(rows, n);
        return 0;
    }
    head = by == STORE_BY_QUANT ? "QUANT" : by == STORE_BY_MODEL ? "MODEL" : "SESSION";
    printf("%-*s %7s %10s %9s %10s %9s %9s %9s %7s %6s\n", by == STORE_BY_MODEL ? 32 : 24, head,
           "REPLIES", "PROMPT TOK", "PROMPT/S", "GEN TOK", "GEN/S", "DRAFTED", "ACCEPTED",
           "ACCEPT", "GAMMA");
    for (i = 0; i < n; i++) {
        const store_stats_row *r = &rows[i];
        char acc[16], gamma[16];

        if (by == STORE_BY_SESSION) {
            char key[64], tbuf[32];
            time_t t = (time_t)(r->started_ms / 1000);
            struct tm tm;

            if (r->session_id <= 0 || r->started_ms <= 0 || localtime_r(&t, &tm) == NULL
                || strftime(tbuf, sizeof tbuf, "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(key, sizeof key, "%s", r->session_id > 0 ? r->key : "(none)");
            else
                snprintf(key, sizeof key, "%lld %s", (long long)r->session_id, tbuf);
            put_key(key, 24);
        } else {
            put_key(r->key, by == STORE_BY_MODEL ? 32 : 24);
        }
        if (r->acceptance >= 0)
            snprintf(acc, sizeof acc, "%.1f%%", r->acceptance * 100.0);
        else
            snprintf(acc, sizeof acc, "-");
        if (r->mean_gamma > 0)
            snprintf(gamma, sizeof gamma, "%.1f", r->mean_gamma);
        else
            snprintf(gamma, sizeof gamma, "-");
        printf(" %7lld %10lld %9.1f %10lld %9.1f %9lld %9lld %7s %6s\n", (long long)r->replies,
               (long long)r->prompt_tokens, r->prompt_tps, (long long)r->gen_tokens, r->gen_tps,
               (long long)r->drafted, (long long)r->accepted, acc, gamma);
    }
    store_stats_rows_free(rows, n);
    if (fflush(stdout) != 0)
        return cli_fail("cannot write the output: %s", strerror(errno));
    return 0;
}
