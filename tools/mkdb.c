/* mkdb.c: ternchat-mkdb, a test tool that fills a history database with
 * N conversations holding M messages in all, through the store API, for
 * the scale tests and benchmarks (docs/testing.md). Each conversation is
 * written as an export document and added with store_import_json: one
 * transaction per conversation. Texts are random words (deterministic for
 * a seed); one message in 1000 holds the word "zebrafish" and one in
 * 100000 the word "quetzalcoatl", so that searches have known answers.
 * Timestamps spread over the last three years. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

static const char *const words[] = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "with", "was", "on", "be",
    "at", "by", "this", "had", "not", "are", "but", "from", "or", "have", "an", "they", "which",
    "one", "you", "were", "her", "all", "she", "there", "would", "their", "we", "him", "been",
    "has", "when", "who", "will", "more", "no", "if", "out", "so", "said", "what", "up", "its",
    "about", "into", "than", "them", "can", "only", "other", "new", "some", "could", "time",
    "these", "two", "may", "then", "do", "first", "any", "my", "now", "such", "like", "our",
    "over", "man", "me", "even", "most", "made", "after", "also", "did", "many", "before",
    "must", "through", "back", "years", "where", "much", "your", "way", "well", "down", "should",
    "because", "each", "just", "those", "people", "how", "too", "little", "state", "good",
    "very", "make", "world", "still", "own", "see", "men", "work", "long", "get", "here",
    "between", "both", "life", "being", "under", "never", "day", "same", "another", "know",
    "while", "last", "might", "us", "great", "old", "year", "off", "come", "since", "against",
    "go", "came", "right", "used", "take", "three", "model", "token", "tea", "kernel", "matrix",
    "ternary", "quantize", "draft", "speculative", "cache", "context", "prompt", "reply",
    "caf\xc3\xa9", "na\xc3\xafve", "\xc3\xbc" "ber", "\xe6\x97\xa5\xe6\x9c\xac", "\xd0\xbc\xd0\xb8\xd1\x80",
    "function", "return", "struct", "pointer", "buffer", "thread", "socket", "file", "error",
};
#define N_WORDS (sizeof words / sizeof words[0])

/* What to generate. */
struct mk {
    int64_t convs;     /* conversations */
    int64_t msgs;      /* messages in all */
    uint64_t rng;      /* random state */
    int64_t t0_ms;     /* time of the first message */
    int64_t span_ms;   /* spread of the times */
    int64_t n_made;    /* messages written so far */
};

static uint64_t
rnd(struct mk *k)
{
    uint64_t z = (k->rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ISO 8601 UTC time with milliseconds, as the export format writes it. */
static void
iso(int64_t ms, char *buf, size_t sz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, (int)(ms % 1000));
}

/* A random text of n words into buf (size sz). */
static void
text(struct mk *k, int n, int assistant, char *buf, size_t sz)
{
    size_t o = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && o + 64 < sz; i++) {
        const char *w = words[rnd(k) % N_WORDS];

        o += (size_t)snprintf(buf + o, sz - o, "%s%s", i ? (rnd(k) % 12 ? " " : ".\n") : "", w);
    }
    if (k->n_made % 1000 == 999 && o + 64 < sz)
        o += (size_t)snprintf(buf + o, sz - o, " zebrafish");
    if (k->n_made % 100000 == 99999 && o + 64 < sz)
        o += (size_t)snprintf(buf + o, sz - o, " quetzalcoatl");
    if (assistant && rnd(k) % 8 == 0 && o + 128 < sz)
        snprintf(buf + o, sz - o, "\n\n```c\nint main(void) { return %d; }\n```\n",
                 (int)(rnd(k) % 100));
}

/* Conversation c as an export document. */
static char *
conv_json(struct mk *k, int64_t c, int64_t n_msgs, size_t *len)
{
    json_writer *w = json_writer_new(0);
    int64_t t = k->t0_ms + (int64_t)((double)k->span_ms * (double)c / (double)k->convs);
    char buf[4096], tb[64];

    json_begin_object(w);
    json_key(w, "format");
    json_string(w, "ternchat-conversation");
    json_key(w, "version");
    json_int(w, 1);
    snprintf(buf, sizeof buf, "conversation %" PRId64 " about %s and %s", c + 1,
             words[rnd(k) % N_WORDS], words[rnd(k) % N_WORDS]);
    json_key(w, "title");
    json_string(w, buf);
    json_key(w, "system_prompt");
    json_string(w, c % 3 == 0 ? "You are a helpful assistant." : "");
    json_key(w, "target_model");
    json_string(w, c % 2 ? "bitnet-2b.gguf" : "llama-1b-q8_0.gguf");
    iso(t, tb, sizeof tb);
    json_key(w, "created");
    json_string(w, tb);
    json_key(w, "messages");
    json_begin_array(w);
    for (int64_t i = 0; i < n_msgs; i++) {
        int assistant = i % 2 == 1;

        json_begin_object(w);
        json_key(w, "id");
        json_int(w, i + 1);
        json_key(w, "parent");
        if (i > 0)
            json_int(w, i);
        else
            json_null(w);
        json_key(w, "role");
        json_string(w, assistant ? "assistant" : "user");
        text(k, assistant ? 20 + (int)(rnd(k) % 100) : 5 + (int)(rnd(k) % 30), assistant, buf,
             sizeof buf);
        json_key(w, "text");
        json_string(w, buf);
        json_key(w, "tokens");
        json_int(w, assistant ? (int64_t)strlen(buf) / 4 : 0);
        t += 1000 + (int64_t)(rnd(k) % 60000);
        iso(t, tb, sizeof tb);
        json_key(w, "created");
        json_string(w, tb);
        json_end_object(w);
        k->n_made++;
    }
    json_end_array(w);
    json_key(w, "updated");
    json_string(w, tb);
    json_end_object(w);
    return json_writer_finish(w, len);
}

static int64_t
count(store *st, const char *sql)
{
    sqlite3_stmt *s;
    int64_t n = -1;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: ternchat-mkdb [--convs N] [--msgs M] [--seed S] DB\n"
               "  --convs N   conversations (10000)\n"
               "  --msgs M    messages in all, spread evenly (1000000)\n"
               "  --seed S    random seed (1)\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "convs", required_argument, NULL, 'c' }, { "msgs", required_argument, NULL, 'm' },
        { "seed", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct mk k = { 10000, 1000000, 1, 0, 0, 0 };
    struct timespec a, b;
    char err[1024];
    struct stat sb;
    store *st;
    int o;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'c': k.convs = strtoll(optarg, NULL, 10); break;
        case 'm': k.msgs = strtoll(optarg, NULL, 10); break;
        case 's': k.rng = strtoull(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || k.convs < 1 || k.msgs < 0) {
        usage(stderr);
        return 2;
    }
#ifdef M_TRIM_THRESHOLD
    mallopt(M_TRIM_THRESHOLD, 8 << 20); /* as ternchat does (src/main.c) */
#endif
    k.span_ms = 3ll * 365 * 24 * 3600 * 1000;
    k.t0_ms = (int64_t)time(NULL) * 1000 - k.span_ms - 24 * 3600 * 1000;
    if (store_open(argv[optind], &st, err, sizeof err) != 0) {
        fprintf(stderr, "ternchat-mkdb: %s\n", err);
        return 1;
    }
    /* test data: commits need not wait for the disk */
    sqlite3_exec(st->db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int64_t c = 0; c < k.convs; c++) {
        int64_t n = k.msgs / k.convs + (c < k.msgs % k.convs), id;
        size_t len;
        char *doc = conv_json(&k, c, n, &len);

        if (store_import_json(st, doc, len, &id) != 0) {
            fprintf(stderr, "ternchat-mkdb: conversation %" PRId64 ": %s\n", c + 1,
                    store_errmsg(st));
            free(doc);
            store_close(st);
            return 1;
        }
        free(doc);
        if ((c + 1) % 1000 == 0)
            fprintf(stderr, "\r%" PRId64 " conversations, %" PRId64 " messages", c + 1, k.n_made);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (k.convs >= 1000)
        fputc('\n', stderr);
    printf("%" PRId64 " conversations, %" PRId64 " messages in the database; %.1f s\n",
           count(st, "SELECT count(*) FROM conversations"),
           count(st, "SELECT count(*) FROM messages"),
           (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    store_close(st);
    if (stat(argv[optind], &sb) == 0)
        printf("%s: %.1f MiB\n", argv[optind], (double)sb.st_size / (1024.0 * 1024.0));
    return 0;
}
