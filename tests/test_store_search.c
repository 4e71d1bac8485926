/* test_store_search.c: the REGEXP SQL function (PCRE2: UTF-8, Unicode
 * classes, case-insensitive, bad patterns with PCRE2's message and offset)
 * and store_search over the full-text index and regular expressions, with
 * the byte offsets of the matches. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "tap.h"
#include "xmalloc.h"

/* Evaluate "SELECT subject REGEXP pattern": 1, 0, NULL (-2) or error (-1,
 * message in err). */
static int
sql_re(store *st, const char *subject, const char *pattern, char *err, size_t errsz)
{
    sqlite3_stmt *stmt;
    int rc, r = -1;

    err[0] = '\0';
    if (sqlite3_prepare_v2(st->db, "SELECT ?1 REGEXP ?2", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    if (subject != NULL)
        sqlite3_bind_text(stmt, 1, subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, pattern, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        r = sqlite3_column_type(stmt, 0) == SQLITE_NULL ? -2 : sqlite3_column_int(stmt, 0);
    else
        snprintf(err, errsz, "%s", sqlite3_errmsg(st->db));
    sqlite3_finalize(stmt);
    return r;
}

static void
test_regexp_function(store *st)
{
    char err[512];

    ok(sql_re(st, "hello world", "wor", err, sizeof err) == 1, "REGEXP matches a substring");
    ok(sql_re(st, "hello world", "^world", err, sizeof err) == 0, "REGEXP: anchored miss");
    ok(sql_re(st, NULL, "x", err, sizeof err) == -2, "REGEXP on NULL is NULL");
    ok(sql_re(st, "d\xc3\xad" "a", "^...$", err, sizeof err) == 1,
       "UTF-8: '.' is one character (d\xc3\xad" "a has 3)");
    ok(sql_re(st, "na\xc3\xafve", "^\\w+$", err, sizeof err) == 1, "UCP: \\w matches \xc3\xaf");
    ok(sql_re(st, "\xc3\x89T\xc3\x89", "(?i)^\xc3\xa9t\xc3\xa9$", err, sizeof err) == 1,
       "case-insensitive: \xc3\xa9t\xc3\xa9 matches \xc3\x89T\xc3\x89");
    ok(sql_re(st, "\xce\xa3\xce\xb9\xcf\x83", "(?i)\xcf\x83\xce\xb9\xcf\x83", err, sizeof err) == 1,
       "case-insensitive Greek sigma forms");
    ok(sql_re(st, "emoji \xf0\x9f\x98\x80!", "\\p{So}", err, sizeof err) == 1,
       "Unicode property \\p{So} matches an emoji");
    ok(sql_re(st, "bad \xff\xfe bytes here", "here", err, sizeof err) == 1,
       "invalid UTF-8 in the text does not stop a match");
    ok(sql_re(st, "abc", "a(b", err, sizeof err) == -1, "a bad pattern is an error");
    is_str(err, "bad regular expression 'a(b': missing closing parenthesis at offset 3",
           "... with PCRE2's message and the offset");
    ok(sql_re(st, "abc", "x{2,1}", err, sizeof err) == -1, "another bad pattern");
    contains(err, "at offset", "... also with an offset");
    {
        int r = sql_re(st, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "(a+)+$", err,
                       sizeof err);

        ok(r == -1, "catastrophic backtracking stops at the match limit");
        contains(err, "match limit", "... with PCRE2's message");
    }
    {
        /* the same pattern over many rows (cached compilation) */
        sqlite3_stmt *stmt;
        int cnt = -1;

        sqlite3_exec(st->db, "CREATE TEMP TABLE words (w TEXT);"
                     "INSERT INTO words VALUES ('apple'), ('banana'), ('apricot'), ('cherry'),"
                     " ('Avocado')", NULL, NULL, NULL);
        if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM words WHERE w REGEXP '(?i)^a'", -1,
                               &stmt, NULL) == SQLITE_OK) {
            if (sqlite3_step(stmt) == SQLITE_ROW)
                cnt = sqlite3_column_int(stmt, 0);
            sqlite3_finalize(stmt);
        }
        ok(cnt == 3, "REGEXP in a WHERE clause over many rows (3 start with a/A)");
    }
}

static const char *
span_text(const store_hit *h, size_t i, char *buf, size_t sz)
{
    size_t a = h->spans[2 * i], b = h->spans[2 * i + 1];

    snprintf(buf, sz, "%.*s", (int)(b - a), h->text + a);
    return buf;
}

/* The hit for message id, or NULL. */
static const store_hit *
find_hit(const store_hit *v, size_t n, int64_t id)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (v[i].msg_id == id)
            return &v[i];
    }
    return NULL;
}

static void
test_search(store *st)
{
    store_conv_params p = { "Cooking \xe2\x80\x94 notes", NULL, NULL, NULL, NULL };
    int64_t c1, c2, m1, m2, m3, m4;
    store_hit *h;
    const store_hit *x;
    size_t n;
    char buf[128];

    store_conv_create(st, &p, &c1);
    p.title = "Other";
    store_conv_create(st, &p, &c2);
    store_msg_append(st, c1, STORE_PARENT_HEAD, STORE_ROLE_USER, "How long to boil an egg?",
                     STORE_STATE_COMPLETE, &m1);
    store_msg_append(st, c1, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT,
                     "Boil the egg for 7 minutes. A soft-boiled egg takes 6.", STORE_STATE_COMPLETE,
                     &m2);
    store_msg_append(st, c2, STORE_PARENT_HEAD, STORE_ROLE_USER,
                     "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\x65 recipe", STORE_STATE_COMPLETE,
                     &m3);
    store_msg_append(st, c2, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, "", STORE_STATE_STREAMING, &m4);

    ok(store_search(st, "egg", 0, 0, &h, &n) == 0 && n == 2, "word search: 2 messages with 'egg'");
    x = find_hit(h, n, m2);
    ok(x != NULL && x->conv_id == c1 && strcmp(x->conv_title, "Cooking \xe2\x80\x94 notes") == 0
       && x->role == STORE_ROLE_ASSISTANT, "hit has conversation id, title, role");
    ok(x != NULL && x->n_spans == 2, "two matches in the reply");
    if (x != NULL && x->n_spans == 2) {
        ok(x->spans[0] == 9 && x->spans[1] == 12, "first match at bytes 9..12");
        is_str(span_text(x, 1, buf, sizeof buf), "egg", "second match text");
    }
    store_hits_free(h, n);

    ok(store_search(st, "BOIL egg", 0, 0, &h, &n) == 0 && n == 2, "all words, any case");
    store_hits_free(h, n);
    ok(store_search(st, "boil* minutes", 0, 0, &h, &n) == 0 && n == 1 && h[0].msg_id == m2,
       "prefix word (boil* matches boiled) and another word");
    if (n == 1) {
        ok(h[0].n_spans == 3, "spans for Boil, minutes, boiled (%zu)", h[0].n_spans);
        if (h[0].n_spans == 3)
            is_str(span_text(&h[0], 2, buf, sizeof buf), "boiled",
                   "prefix match covers the whole word");
    }
    store_hits_free(h, n);
    ok(store_search(st, "creme brulee", 0, 0, &h, &n) == 0 && n == 1 && h[0].msg_id == m3,
       "accents are ignored by the word search");
    if (n == 1)
        is_str(span_text(&h[0], 0, buf, sizeof buf), "cr\xc3\xa8me", "span of an accented word (bytes)");
    store_hits_free(h, n);
    ok(store_search(st, "soft-boiled \"quoted", 0, 0, &h, &n) == 0,
       "punctuation in words is not query syntax");
    store_hits_free(h, n);
    ok(store_search(st, "\"boil the egg\"", STORE_SEARCH_FTS, 0, &h, &n) == 0 && n == 1,
       "raw FTS5 phrase query");
    if (n == 1)
        is_str(span_text(&h[0], 0, buf, sizeof buf), "Boil the egg", "a phrase is one span");
    store_hits_free(h, n);
    ok(store_search(st, "egg NOT soft", STORE_SEARCH_FTS, 0, &h, &n) == 0 && n == 1
       && h[0].msg_id == m1, "raw FTS5 NOT");
    store_hits_free(h, n);
    ok(store_search(st, "\"unbalanced", STORE_SEARCH_FTS, 0, &h, &n) < 0
       && store_errcode(st) == STORE_E_INVALID, "bad FTS5 syntax is an error");
    contains(store_errmsg(st), "bad search query", "... saying so");
    ok(store_search(st, "\" \" \" \" \" \" \" \" \" \" \" \" \"* \"* \"* \"* \"*", 0, 0, &h, &n) == 0 && n == 0,
       "words of quotes (the query grows most) find nothing");
    store_hits_free(h, n);
    ok(store_search(st, "   ", 0, 0, &h, &n) < 0 && store_errcode(st) == STORE_E_INVALID,
       "an empty search is refused");
    ok(store_search(st, "egg", 0, 1, &h, &n) == 0 && n == 1, "limit");
    store_hits_free(h, n);

    /* streaming text is searchable as it is written */
    store_msg_update(st, m4, "Torch the sugar until golden", 5);
    ok(store_search(st, "golden", 0, 0, &h, &n) == 0 && n == 1 && h[0].msg_id == m4,
       "a streaming update is indexed");
    store_hits_free(h, n);
    store_msg_finish(st, m4, "Torch the sugar until amber", STORE_STATE_COMPLETE, 6, 100);
    ok(store_search(st, "golden", 0, 0, &h, &n) == 0 && n == 0, "replaced text leaves the index");
    store_hits_free(h, n);

    /* regular expressions */
    ok(store_search(st, "\\d+ minutes", STORE_SEARCH_REGEX, 0, &h, &n) == 0 && n == 1
       && h[0].msg_id == m2, "regex search");
    if (n == 1 && h[0].n_spans == 1)
        is_str(span_text(&h[0], 0, buf, sizeof buf), "7 minutes", "regex span");
    store_hits_free(h, n);
    ok(store_search(st, "CR\xc3\x88ME", STORE_SEARCH_REGEX | STORE_SEARCH_ICASE, 0, &h, &n) == 0
       && n == 1 && h[0].msg_id == m3, "regex, ignoring case (UTF-8)");
    if (n == 1 && h[0].n_spans == 1)
        ok(h[0].spans[0] == 6 && h[0].spans[1] == 12, "byte offsets of the UTF-8 match (6..12)");
    store_hits_free(h, n);
    ok(store_search(st, "CR\xc3\x88ME", STORE_SEARCH_REGEX, 0, &h, &n) == 0 && n == 0,
       "regex without -i is case-sensitive");
    store_hits_free(h, n);
    ok(store_search(st, "egg", STORE_SEARCH_REGEX, 0, &h, &n) == 0 && n == 2
       && h[0].msg_id == m2 && h[1].msg_id == m1, "regex hits newest first");
    store_hits_free(h, n);
    ok(store_search(st, "x*", STORE_SEARCH_REGEX, 1, &h, &n) == 0 && n == 1,
       "a pattern matching empty strings does not loop");
    store_hits_free(h, n);
    ok(store_search(st, "a(b", STORE_SEARCH_REGEX, 0, &h, &n) < 0
       && store_errcode(st) == STORE_E_INVALID, "bad regex refused");
    is_str(store_errmsg(st), "bad regular expression 'a(b': missing closing parenthesis at offset 3",
           "... with PCRE2's message and offset");
    ok(!store_writes_failing(st), "a bad search is not a failing write");

    store_conv_delete(st, c1);
    ok(store_search(st, "egg", 0, 0, &h, &n) == 0 && n == 0, "deleted messages leave the index");
    store_hits_free(h, n);
    store_conv_delete(st, c2);
}

int
main(void)
{
    char err[512];
    store *st;

    if (store_open(":memory:", &st, err, sizeof err) < 0) {
        diag("%s", err);
        return 1;
    }
    test_regexp_function(st);
    test_search(st);
    store_close(st);
    return done_testing();
}
