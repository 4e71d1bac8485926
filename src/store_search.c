/* store_search.c: searching message texts: the full-text index (FTS5, with
 * a helper function that reports where the words matched) and the REGEXP
 * SQL function backed by PCRE2 (UTF-8, Unicode properties; the compiled
 * pattern is cached across rows with sqlite3_get_auxdata). */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

#define RE_MATCH_LIMIT 10000000u  /* backtracking steps per match attempt */
#define RE_DEPTH_LIMIT 100000u    /* backtracking depth */
#define MAX_SPANS 1000            /* match positions reported per message */

/* A compiled pattern with what matching needs. */
struct re {
    pcre2_code *code;            /* compiled pattern */
    pcre2_match_data *md;        /* match results */
    pcre2_match_context *mctx;   /* limits */
};

static void
re_free(void *p)
{
    struct re *re = p;

    if (re == NULL)
        return;
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mctx);
    pcre2_code_free(re->code);
    free(re);
}

/* Compile a pattern; NULL with "bad regular expression 'P': why at offset
 * N" in err on failure. */
static struct re *
re_compile(const char *pat, size_t len, int icase, char *err, size_t errsz)
{
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
    PCRE2_SIZE erroff;
    int errcode;
    struct re *re;
    PCRE2_UCHAR msg[256];

    if (icase)
        opts |= PCRE2_CASELESS;
    re = xcalloc(1, sizeof *re);
    re->code = pcre2_compile((PCRE2_SPTR)pat, len, opts, &errcode, &erroff, NULL);
    if (re->code == NULL) {
        if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", errcode);
        snprintf(err, errsz, "bad regular expression '%.*s': %s at offset %zu",
                 (int)(len > 200 ? 200 : len), pat, (const char *)msg, (size_t)erroff);
        re_free(re);
        return NULL;
    }
    (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* optional speed-up */
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    re->mctx = pcre2_match_context_create(NULL);
    if (re->md == NULL || re->mctx == NULL) {
        snprintf(err, errsz, "out of memory compiling a regular expression");
        re_free(re);
        return NULL;
    }
    pcre2_set_match_limit(re->mctx, RE_MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, RE_DEPTH_LIMIT);
    return re;
}

/* Match at or after start: 1 (match; ovector in re->md), 0 (none), or -1
 * with a message in err. */
static int
re_match(struct re *re, const char *s, size_t len, size_t start, char *err, size_t errsz)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, re->md, re->mctx);
    PCRE2_UCHAR msg[256];

    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "error %d", rc);
    snprintf(err, errsz, "regular expression match failed: %s", (const char *)msg);
    return -1;
}

/* SQL: regexp(PATTERN, TEXT), i.e. TEXT REGEXP PATTERN: 1 when the text
 * matches, NULL when either is NULL. regexp_i(PATTERN, TEXT) ignores case. */
static void
sql_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct re *re;
    const char *text;
    char err[512];
    int fresh = 0, m;

    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return;
    re = sqlite3_get_auxdata(ctx, 0);
    if (re == NULL) {
        const char *pat = (const char *)sqlite3_value_text(argv[0]);

        re = re_compile(pat ? pat : "", (size_t)sqlite3_value_bytes(argv[0]),
                        sqlite3_user_data(ctx) != NULL, err, sizeof err);
        if (re == NULL) {
            sqlite3_result_error(ctx, err, -1);
            return;
        }
        fresh = 1;
    }
    text = (const char *)sqlite3_value_text(argv[1]);
    m = re_match(re, text ? text : "", (size_t)sqlite3_value_bytes(argv[1]), 0, err, sizeof err);
    if (m < 0)
        sqlite3_result_error(ctx, err, -1);
    else
        sqlite3_result_int(ctx, m);
    /* Keep the compiled pattern for the next rows (SQLite may free it at
     * once, so it is not used after this). */
    if (fresh)
        sqlite3_set_auxdata(ctx, 0, re, re_free);
}

/* ---- FTS5: where did the words match ---- */

/* One phrase instance: token range, and the byte range found for it. */
struct inst {
    int first, last;        /* token indexes */
    int start, end;         /* byte offsets (-1 until found) */
};

/* State of the tokenizer walk over a column. */
struct span_walk {
    struct inst *inst;      /* instances */
    int n;                  /* how many */
    int token;              /* index of the next token */
};

static int
span_token(void *p, int tflags, const char *tok, int ntok, int start, int end)
{
    struct span_walk *w = p;
    int i;

    (void)tok;
    (void)ntok;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    for (i = 0; i < w->n; i++) {
        if (w->inst[i].first == w->token)
            w->inst[i].start = start;
        if (w->inst[i].last == w->token)
            w->inst[i].end = end;
    }
    w->token++;
    return SQLITE_OK;
}

static int
inst_cmp(const void *a, const void *b)
{
    const struct inst *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/* SQL (FTS5 auxiliary): match_spans(messages_fts) -> "start end start end
 * ...", byte offsets of the matched phrases in the text, in order. */
static void
fts_match_spans(const Fts5ExtensionApi *api, Fts5Context *fctx, sqlite3_context *ctx, int nval,
                sqlite3_value **vals)
{
    struct span_walk w = { NULL, 0, 0 };
    const char *text;
    int ninst, i, rc, ntext, prev_end = -1;
    char *out = NULL, num[48];
    size_t olen = 0;

    (void)nval;
    (void)vals;
    rc = api->xInstCount(fctx, &ninst);
    if (rc == SQLITE_OK && ninst > 0) {
        w.inst = xcalloc((size_t)ninst, sizeof *w.inst);
        for (i = 0; i < ninst && rc == SQLITE_OK; i++) {
            int phrase, col, off;

            rc = api->xInst(fctx, i, &phrase, &col, &off);
            if (rc == SQLITE_OK && col == 0) {
                w.inst[w.n].first = off;
                w.inst[w.n].last = off + api->xPhraseSize(fctx, phrase) - 1;
                w.inst[w.n].start = w.inst[w.n].end = -1;
                w.n++;
            }
        }
    }
    if (rc == SQLITE_OK && w.n > 0)
        rc = api->xColumnText(fctx, 0, &text, &ntext);
    if (rc == SQLITE_OK && w.n > 0)
        rc = api->xTokenize(fctx, text, ntext, &w, span_token);
    if (rc != SQLITE_OK) {
        free(w.inst);
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    qsort(w.inst, (size_t)w.n, sizeof *w.inst, inst_cmp);
    out = xstrdup("");
    for (i = 0; i < w.n && i < MAX_SPANS; i++) {
        if (w.inst[i].start < 0 || w.inst[i].end < w.inst[i].start || w.inst[i].start < prev_end)
            continue;
        snprintf(num, sizeof num, "%s%d %d", olen ? " " : "", w.inst[i].start, w.inst[i].end);
        out = xrealloc(out, olen + strlen(num) + 1);
        memcpy(out + olen, num, strlen(num) + 1);
        olen += strlen(num);
        prev_end = w.inst[i].end;
    }
    free(w.inst);
    sqlite3_result_text(ctx, out, (int)olen, free);
}

/* The FTS5 API of a connection (see the FTS5 documentation). */
static fts5_api *
fts5_api_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *stmt;

    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_pointer(stmt, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return api;
}

int
store_search_init(store *st)
{
    fts5_api *api;
    int rc;

    rc = sqlite3_create_function_v2(st->db, "regexp", 2,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                    sql_regexp, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(st->db, "regexp_i", 2,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                        (void *)st, sql_regexp, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sql(st, rc, "registering the REGEXP function", 0);
    api = fts5_api_of(st->db);
    if (api == NULL || api->iVersion < 2)
        return store_fail(st, STORE_E_IO, "this SQLite library has no FTS5 full-text search");
    rc = api->xCreateFunction(api, "match_spans", NULL, fts_match_spans, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sql(st, rc, "registering the full-text search helper", 0);
    return 0;
}

/* ---- store_search ---- */

/* The FTS5 query for plain words: each word quoted (so punctuation is no
 * syntax), all required; a trailing * keeps its prefix meaning. */
static char *
fts_query(const char *pattern)
{
    /* worst case: each byte doubled ("), 3 more per word, words >= 2 bytes apart */
    size_t cap = strlen(pattern) * 3 + 8, n = 0;
    char *q = xmalloc(cap);
    const char *p = pattern;

    while (*p) {
        const char *w;
        size_t len;
        int prefix;

        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (*p == '\0')
            break;
        w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        len = (size_t)(p - w);
        prefix = len > 1 && w[len - 1] == '*';
        if (prefix)
            len--;
        if (n > 0)
            q[n++] = ' ';
        q[n++] = '"';
        while (len--) {
            if (*w == '"')
                q[n++] = '"';
            q[n++] = *w++;
        }
        q[n++] = '"';
        if (prefix)
            q[n++] = '*';
    }
    q[n] = '\0';
    return q;
}

/* Parse "s e s e ..." into a span array. */
static void
parse_spans(const char *s, store_hit *h)
{
    size_t cap = 0;
    char *end;

    while (s != NULL && *s) {
        long a = strtol(s, &end, 10), b;

        if (end == s)
            break;
        s = end;
        b = strtol(s, &end, 10);
        if (end == s)
            break;
        s = end;
        if (h->n_spans * 2 + 2 > cap) {
            cap = cap ? cap * 2 : 8;
            h->spans = xreallocarray(h->spans, cap, sizeof *h->spans);
        }
        h->spans[h->n_spans * 2] = (size_t)a;
        h->spans[h->n_spans * 2 + 1] = (size_t)b;
        h->n_spans++;
    }
}

/* Spans of every match of re in h->text. */
static int
regex_spans(struct re *re, store_hit *h, char *err, size_t errsz)
{
    size_t len = strlen(h->text), pos = 0, cap = 0;
    PCRE2_SIZE *ov;
    int m;

    while (pos <= len && h->n_spans < MAX_SPANS) {
        m = re_match(re, h->text, len, pos, err, errsz);
        if (m < 0)
            return -1;
        if (m == 0)
            break;
        ov = pcre2_get_ovector_pointer(re->md);
        if (h->n_spans * 2 + 2 > cap) {
            cap = cap ? cap * 2 : 8;
            h->spans = xreallocarray(h->spans, cap, sizeof *h->spans);
        }
        h->spans[h->n_spans * 2] = ov[0];
        h->spans[h->n_spans * 2 + 1] = ov[1];
        h->n_spans++;
        if (ov[1] > ov[0]) {
            pos = ov[1];
        } else {
            /* an empty match: step over one character */
            pos = ov[1] + 1;
            while (pos < len && ((unsigned char)h->text[pos] & 0xc0) == 0x80)
                pos++;
        }
    }
    return 0;
}

int
store_search(store *st, const char *pattern, unsigned flags, int64_t limit, store_hit **out,
             size_t *n)
{
    static const char fts_sql[] =
        "SELECT m.id, m.conversation_id, c.title, m.role, m.created_ms, m.text,"
        " match_spans(messages_fts)"
        " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
        " JOIN conversations c ON c.id = m.conversation_id"
        " WHERE messages_fts MATCH ?1 ORDER BY rank, m.id DESC LIMIT ?2";
    static const char re_sql[] =
        "SELECT m.id, m.conversation_id, c.title, m.role, m.created_ms, m.text"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE regexp(?1, m.text) ORDER BY m.id DESC LIMIT ?2";
    static const char re_i_sql[] =
        "SELECT m.id, m.conversation_id, c.title, m.role, m.created_ms, m.text"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE regexp_i(?1, m.text) ORDER BY m.id DESC LIMIT ?2";
    int regex = (flags & STORE_SEARCH_REGEX) != 0;
    struct re *re = NULL;
    char err[512], *query = NULL;
    sqlite3_stmt *stmt;
    store_hit *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (regex) {
        re = re_compile(pattern, strlen(pattern), (flags & STORE_SEARCH_ICASE) != 0, err,
                        sizeof err);
        if (re == NULL)
            return store_fail(st, STORE_E_INVALID, "%s", err);
        query = xstrdup(pattern);
    } else {
        query = (flags & STORE_SEARCH_FTS) ? xstrdup(pattern) : fts_query(pattern);
        if (query[strspn(query, " \t\r\n")] == '\0') {
            free(query);
            return store_fail(st, STORE_E_INVALID, "nothing to search for");
        }
    }
    if (store_prepare(st, !regex ? fts_sql : (flags & STORE_SEARCH_ICASE) ? re_i_sql : re_sql,
                      &stmt, "searching") < 0) {
        free(query);
        re_free(re);
        return -1;
    }
    sqlite3_bind_text(stmt, 1, query, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 2, limit > 0 ? limit : 100);
    free(query);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        store_hit *h;

        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = xreallocarray(v, cap, sizeof *v);
        }
        h = &v[cnt++];
        memset(h, 0, sizeof *h);
        h->msg_id = sqlite3_column_int64(stmt, 0);
        h->conv_id = sqlite3_column_int64(stmt, 1);
        h->conv_title = store_col_dup(stmt, 2);
        if (store_role_parse((const char *)sqlite3_column_text(stmt, 3), &h->role) < 0)
            h->role = STORE_ROLE_USER;
        h->created_ms = sqlite3_column_int64(stmt, 4);
        h->text = store_col_dup(stmt, 5);
        if (h->conv_title == NULL)
            h->conv_title = xstrdup("");
        if (h->text == NULL)
            h->text = xstrdup("");
        if (!regex) {
            parse_spans((const char *)sqlite3_column_text(stmt, 6), h);
        } else if (regex_spans(re, h, err, sizeof err) < 0) {
            sqlite3_finalize(stmt);
            re_free(re);
            store_hits_free(v, cnt);
            return store_fail(st, STORE_E_INVALID, "%s", err);
        }
    }
    if (rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_ERROR && regex)
            store_fail(st, STORE_E_INVALID, "%s", sqlite3_errmsg(st->db));
        else if ((rc & 0xff) == SQLITE_ERROR)
            store_fail(st, STORE_E_INVALID, "bad search query '%s': %s", pattern,
                       sqlite3_errmsg(st->db));
        else
            store_fail_sql(st, rc, "searching", 0);
        sqlite3_finalize(stmt);
        re_free(re);
        store_hits_free(v, cnt);
        return -1;
    }
    sqlite3_finalize(stmt);
    re_free(re);
    *out = v;
    *n = cnt;
    return 0;
}

void
store_hits_free(store_hit *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(v[i].conv_title);
        free(v[i].text);
        free(v[i].spans);
    }
    free(v);
}
