/* test_store.c: the store's operations one by one: opening (modes, WAL,
 * path defaults), conversations, messages and branches, sessions and
 * statistics, and failures (full disk, lock, corrupt or foreign files). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "tap.h"
#include "xmalloc.h"

static char tmpdir[] = "/tmp/test_store.XXXXXX";

static char *
tpath(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
}

static store *
open_or_die(const char *path)
{
    char err[1024];
    store *st = NULL;

    if (store_open(path, &st, err, sizeof err) < 0) {
        diag("store_open %s: %s", path, err);
        exit(1);
    }
    return st;
}

static char *
query_text(store *st, const char *sql)
{
    sqlite3_stmt *stmt;
    char *r = NULL;

    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return NULL;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL)
        r = xstrdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return r;
}

static long long
query_int(store *st, const char *sql)
{
    char *s = query_text(st, sql);
    long long v = s ? atoll(s) : -1;

    free(s);
    return v;
}

static void
test_open(void)
{
    char *path = tpath("sub/dir/t.db"), *dir = tpath("sub/dir"), *s, err[512];
    struct stat sb;
    store *st;

    st = open_or_die(path);
    ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700, "new directory has mode 0700");
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "new database file has mode 0600");
    s = query_text(st, "PRAGMA journal_mode");
    is_str(s, "wal", "journal mode is WAL");
    free(s);
    ok(query_int(st, "PRAGMA foreign_keys") == 1, "foreign keys are on");
    ok(query_int(st, "PRAGMA synchronous") == 2, "synchronous = FULL");
    ok(store_schema_version(st) == STORE_SCHEMA_VERSION, "schema version is current (%d)",
       STORE_SCHEMA_VERSION);
    ok(query_int(st, "PRAGMA application_id") == STORE_APPLICATION_ID, "application id set");
    is_str(store_path(st), path, "store_path");
    ok(!store_writes_failing(st), "writes not failing on a fresh store");
    store_close(st);
    /* reopening keeps it */
    st = open_or_die(path);
    ok(store_schema_version(st) == STORE_SCHEMA_VERSION, "reopened at the same version");
    store_close(st);
    free(path);
    free(dir);

    ok(store_open("/proc/no/such/dir/t.db", &st, err, sizeof err) < 0 && st == NULL,
       "an impossible path fails");
    contains(err, "/proc/no/such", "... naming the path");
}

static void
test_default_path(void)
{
    char err[256], *p;

    setenv("TERNCHAT_DB", "/x/env.db", 1);
    p = store_default_path("/given.db", err, sizeof err);
    is_str(p, "/given.db", "an explicit path wins");
    free(p);
    p = store_default_path(NULL, err, sizeof err);
    is_str(p, "/x/env.db", "then $TERNCHAT_DB");
    free(p);
    unsetenv("TERNCHAT_DB");
    setenv("XDG_DATA_HOME", "/xdg", 1);
    p = store_default_path(NULL, err, sizeof err);
    is_str(p, "/xdg/ternchat/ternchat.db", "then $XDG_DATA_HOME/ternchat/ternchat.db");
    free(p);
    setenv("XDG_DATA_HOME", "relative", 1);
    setenv("HOME", "/home/u", 1);
    p = store_default_path(NULL, err, sizeof err);
    is_str(p, "/home/u/.local/share/ternchat/ternchat.db",
           "a relative XDG_DATA_HOME is ignored: ~/.local/share");
    free(p);
    unsetenv("XDG_DATA_HOME");
    p = store_default_path(NULL, err, sizeof err);
    is_str(p, "/home/u/.local/share/ternchat/ternchat.db", "default under $HOME");
    free(p);
}

static void
test_conversations(store *st)
{
    store_conv_params p = { "First", "You are terse.", "target.gguf", "draft.gguf",
                            "{\"temp\": 0.7, \"top_k\": 40}" };
    store_conv c, *list;
    int64_t a, b, cc;
    size_t n;

    ok(store_conv_create(st, &p, &a) == 0 && a > 0, "create a conversation");
    ok(store_conv_get(st, a, &c) == 0, "get it");
    is_str(c.title, "First", "title");
    is_str(c.system_prompt, "You are terse.", "system prompt");
    is_str(c.target_model, "target.gguf", "target model");
    is_str(c.draft_model, "draft.gguf", "draft model");
    is_str(c.sampling, "{\"temp\": 0.7, \"top_k\": 40}", "sampling JSON");
    ok(c.n_messages == 0 && c.head_id == 0, "no messages yet");
    ok(c.created_ms > 1600000000000LL && c.updated_ms == c.created_ms, "timestamps");
    store_conv_clear(&c);

    p = (store_conv_params){ NULL, NULL, NULL, NULL, NULL };
    ok(store_conv_create(st, &p, &b) == 0, "create one with nothing set");
    ok(store_conv_get(st, b, &c) == 0 && strcmp(c.title, "") == 0 && c.target_model == NULL
       && c.sampling == NULL, "... empty title, absent models and sampling");
    store_conv_clear(&c);

    p.sampling = "[1, 2]";
    ok(store_conv_create(st, &p, &cc) < 0 && store_errcode(st) == STORE_E_INVALID,
       "sampling that is not an object is refused");
    p.sampling = "{oops";
    ok(store_conv_create(st, &p, &cc) < 0, "invalid sampling JSON is refused");
    contains(store_errmsg(st), "not valid JSON", "... with a message");
    ok(!store_writes_failing(st), "a refused argument is not a failing write");

    ok(store_conv_rename(st, a, "Renamed") == 0, "rename");
    ok(store_conv_set_system(st, a, "New system") == 0, "set system prompt");
    ok(store_conv_set_models(st, a, "t2", NULL, "{}") == 0, "set models");
    ok(store_conv_get(st, a, &c) == 0 && strcmp(c.title, "Renamed") == 0
       && strcmp(c.system_prompt, "New system") == 0 && strcmp(c.target_model, "t2") == 0
       && c.draft_model == NULL && strcmp(c.sampling, "{}") == 0, "changes read back");
    store_conv_clear(&c);
    ok(store_conv_rename(st, 99999, "x") < 0 && store_errcode(st) == STORE_E_NOTFOUND,
       "rename a missing conversation: not found");
    contains(store_errmsg(st), "no conversation 99999", "... message names the id");
    ok(store_conv_get(st, 99999, &c) < 0 && store_errcode(st) == STORE_E_NOTFOUND,
       "get a missing conversation: not found");

    /* paging: a is most recently updated */
    ok(store_conv_list(st, 0, 0, &list, &n) == 0 && n == 2, "list all (2)");
    ok(n == 2 && list[0].id == a && list[1].id == b, "most recently updated first");
    store_convs_free(list, n);
    ok(store_conv_list(st, 0, 1, &list, &n) == 0 && n == 1 && list[0].id == a, "page 1 of size 1");
    store_convs_free(list, n);
    ok(store_conv_list(st, 1, 1, &list, &n) == 0 && n == 1 && list[0].id == b, "page 2 of size 1");
    store_convs_free(list, n);
    ok(store_conv_list(st, 2, 1, &list, &n) == 0 && n == 0, "page 3 is empty");
    store_convs_free(list, n);

    ok(store_conv_delete(st, b) == 0, "delete");
    ok(store_conv_delete(st, b) < 0 && store_errcode(st) == STORE_E_NOTFOUND,
       "delete again: not found");
    ok(store_conv_delete(st, a) == 0, "delete the other");
}

static void
test_messages(store *st)
{
    store_conv_params p = { "Chat", NULL, NULL, NULL, NULL };
    int64_t conv, other, u1, a1, u2, a2, bad;
    store_msg *m, one;
    store_conv c;
    size_t n;

    store_conv_create(st, &p, &conv);
    store_conv_create(st, &p, &other);
    ok(store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_USER, "hello", STORE_STATE_COMPLETE,
                        &u1) == 0, "append a user message");
    ok(store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, "",
                        STORE_STATE_STREAMING, &a1) == 0, "append a streaming reply");
    ok(store_msg_update(st, a1, "Hi", 1) == 0, "stream update 1");
    ok(store_msg_update(st, a1, "Hi there", 2) == 0, "stream update 2");
    ok(store_msg_get(st, a1, &one) == 0 && strcmp(one.text, "Hi there") == 0
       && one.state == STORE_STATE_STREAMING && one.tokens == 2 && one.parent_id == u1,
       "the reply holds the latest text, still streaming");
    store_msg_clear(&one);
    ok(store_msg_finish(st, a1, "Hi there!", STORE_STATE_STOPPED, 3, 1500) == 0, "finish it (stopped)");
    ok(store_msg_get(st, a1, &one) == 0 && strcmp(one.text, "Hi there!") == 0
       && one.state == STORE_STATE_STOPPED && one.tokens == 3 && one.gen_ms == 1500,
       "final text, state, tokens, time");
    store_msg_clear(&one);
    ok(store_msg_update(st, 424242, "x", 0) < 0 && store_errcode(st) == STORE_E_NOTFOUND,
       "update a missing message: not found");
    ok(store_msg_finish(st, 424242, "x", STORE_STATE_COMPLETE, 0, -1) < 0
       && store_errcode(st) == STORE_E_NOTFOUND, "finish a missing message: not found");
    ok(store_msg_append(st, 424242, STORE_PARENT_HEAD, STORE_ROLE_USER, "x", STORE_STATE_COMPLETE,
                        &bad) < 0 && store_errcode(st) == STORE_E_NOTFOUND,
       "append to a missing conversation: not found");
    ok(store_msg_append(st, other, u1, STORE_ROLE_USER, "x", STORE_STATE_COMPLETE, &bad) < 0
       && store_errcode(st) == STORE_E_INVALID, "a parent from another conversation is refused");

    /* an edit: a new user message after nothing (u1 had no parent), then a reply */
    ok(store_msg_append(st, conv, 0, STORE_ROLE_USER, "hello again", STORE_STATE_COMPLETE, &u2) == 0,
       "edit the first message (new branch)");
    ok(store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, "Hello!",
                        STORE_STATE_COMPLETE, &a2) == 0, "reply on the new branch");
    ok(store_msgs_get(st, conv, STORE_MSGS_BRANCH, &m, &n) == 0 && n == 2, "branch has 2 messages");
    ok(n == 2 && m[0].id == u2 && m[1].id == a2 && m[1].parent_id == u2
       && m[0].role == STORE_ROLE_USER && m[1].role == STORE_ROLE_ASSISTANT,
       "the branch is the edited one, in order");
    store_msgs_free(m, n);
    ok(store_msgs_get(st, conv, STORE_MSGS_ALL, &m, &n) == 0 && n == 4, "all branches: 4 messages");
    ok(n == 4 && m[0].id == u1 && m[1].id == a1 && m[2].id == u2 && m[3].id == a2,
       "... oldest first, the old branch kept");
    store_msgs_free(m, n);
    ok(store_conv_set_head(st, conv, a1) == 0, "go back to the old branch");
    ok(store_msgs_get(st, conv, STORE_MSGS_BRANCH, &m, &n) == 0 && n == 2 && m[0].id == u1
       && m[1].id == a1 && strcmp(m[1].text, "Hi there!") == 0, "the old branch is current");
    store_msgs_free(m, n);
    ok(store_conv_set_head(st, other, a1) < 0 && store_errcode(st) == STORE_E_INVALID,
       "head from another conversation refused");
    ok(store_conv_get(st, conv, &c) == 0 && c.n_messages == 4 && c.head_id == a1,
       "message count and head");
    store_conv_clear(&c);
    ok(store_msgs_get(st, other, STORE_MSGS_BRANCH, &m, &n) == 0 && n == 0, "empty conversation");
    store_msgs_free(m, n);
    ok(store_msgs_get(st, 777777, STORE_MSGS_BRANCH, &m, &n) < 0
       && store_errcode(st) == STORE_E_NOTFOUND, "messages of a missing conversation: not found");

    ok(store_conv_delete(st, conv) == 0, "delete the conversation");
    ok(store_msg_get(st, u1, &one) < 0 && store_errcode(st) == STORE_E_NOTFOUND
       && store_msg_get(st, a2, &one) < 0, "its messages are gone (cascade)");
    store_conv_delete(st, other);
    {
        char *sql = xasprintf("SELECT count(*) FROM messages WHERE conversation_id = %lld",
                              (long long)conv);

        ok(query_int(st, sql) == 0, "no message rows left");
        free(sql);
    }
}

static void
test_roles_states(void)
{
    store_role r;
    store_state s;

    ok(store_role_parse("assistant", &r) == 0 && r == STORE_ROLE_ASSISTANT, "parse role");
    ok(store_role_parse("bot", &r) < 0, "bad role refused");
    ok(store_state_parse("streaming", &s) == 0 && s == STORE_STATE_STREAMING, "parse state");
    ok(store_state_parse("done", &s) < 0, "bad state refused");
    is_str(store_role_name(STORE_ROLE_SYSTEM), "system", "role name");
    is_str(store_state_name(STORE_STATE_ERROR), "error", "state name");
}

static void
test_stats(store *st)
{
    store_session_params sp = { "bitnet.gguf", "draft.gguf", 4, "ternary,int8" };
    store_conv_params cp = { "s", NULL, NULL, NULL, NULL };
    store_gen_stats g;
    store_stats_row *rows;
    int64_t s1, s2, conv, msg, gid;
    size_t n;

    ok(store_session_start(st, &sp, &s1) == 0, "start session 1");
    ok(store_session_start(st, &sp, &s2) == 0, "start session 2");
    store_conv_create(st, &cp, &conv);
    store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, "x", STORE_STATE_COMPLETE,
                     &msg);

    g = (store_gen_stats){ s1, msg, "ternary", "bitnet.gguf", "draft.gguf", 100, 0.5, 50, 2.0, 60,
                           45, 4 };
    ok(store_stats_add(st, &g, &gid) == 0, "add stats (ternary, speculative)");
    g = (store_gen_stats){ s1, 0, "ternary", "bitnet.gguf", "draft.gguf", 100, 0.5, 150, 4.0, 40,
                           15, 6 };
    ok(store_stats_add(st, &g, NULL) == 0, "add stats (ternary again)");
    g = (store_gen_stats){ s2, 0, "int8", "llama.gguf", NULL, 10, 0.1, 30, 1.0, 0, 0, 0 };
    ok(store_stats_add(st, &g, NULL) == 0, "add stats (int8, no draft)");
    g.accepted = 5;
    ok(store_stats_add(st, &g, NULL) < 0 && store_errcode(st) == STORE_E_INVALID,
       "accepted > drafted refused");
    g = (store_gen_stats){ 9999, 0, "int8", NULL, NULL, 1, 0.1, 1, 0.1, 0, 0, 0 };
    ok(store_stats_add(st, &g, NULL) < 0 && store_errcode(st) == STORE_E_NOTFOUND,
       "stats for a missing session refused");
    ok(query_int(st, "SELECT round(tokens_per_s * 10) FROM gen_stats ORDER BY id LIMIT 1") == 250
       && query_int(st, "SELECT round(acceptance * 1000) FROM gen_stats ORDER BY id LIMIT 1") == 750,
       "per-reply tokens/s (25.0) and acceptance (0.75) stored");

    ok(store_stats_query(st, STORE_BY_QUANT, 0, &rows, &n) == 0 && n == 2, "by quant: 2 groups");
    if (n == 2) {
        ok(strcmp(rows[0].key, "ternary") == 0 && rows[0].replies == 2 && rows[0].gen_tokens == 200
           && rows[0].drafted == 100 && rows[0].accepted == 60, "ternary sums");
        ok(rows[0].gen_tps > 33.32 && rows[0].gen_tps < 33.34, "ternary tokens/s = 200/6 s");
        ok(rows[0].acceptance > 0.599 && rows[0].acceptance < 0.601, "ternary acceptance 60%%");
        ok(rows[0].prompt_tps > 199.9 && rows[0].prompt_tps < 200.1, "ternary prompt tokens/s 200");
        ok(rows[0].mean_gamma > 4.99 && rows[0].mean_gamma < 5.01, "mean gamma 5");
        ok(strcmp(rows[1].key, "int8") == 0 && rows[1].acceptance < 0 && rows[1].mean_gamma == 0,
           "int8: nothing drafted");
    }
    store_stats_rows_free(rows, n);
    ok(store_stats_query(st, STORE_BY_MODEL, 0, &rows, &n) == 0 && n == 2
       && strcmp(rows[0].key, "bitnet.gguf + draft.gguf") == 0
       && strcmp(rows[1].key, "llama.gguf") == 0, "by model: target + draft");
    store_stats_rows_free(rows, n);
    ok(store_stats_query(st, STORE_BY_SESSION, 0, &rows, &n) == 0 && n == 2
       && rows[0].session_id == s1 && rows[1].session_id == s2 && rows[0].started_ms > 0,
       "by session");
    store_stats_rows_free(rows, n);
    ok(store_stats_query(st, STORE_BY_QUANT, s2, &rows, &n) == 0 && n == 1
       && strcmp(rows[0].key, "int8") == 0, "one session only");
    store_stats_rows_free(rows, n);
    ok(store_session_end(st, s1) == 0
       && query_int(st, "SELECT count(*) FROM sessions WHERE ended_ms IS NOT NULL") == 1,
       "end a session");
    ok(store_session_end(st, 5555) < 0 && store_errcode(st) == STORE_E_NOTFOUND,
       "end a missing session: not found");
    ok(store_conv_delete(st, conv) == 0
       && query_int(st, "SELECT count(*) FROM gen_stats WHERE message_id IS NULL") == 3,
       "deleting the conversation keeps its statistics");
}

/* A database that reaches its size limit behaves like a full disk. */
static void
test_full(void)
{
    char *path = tpath("full.db"), *big;
    store_conv_params p = { "keep me", NULL, NULL, NULL, NULL };
    int64_t conv, m1, m2;
    store_msg m;
    store *st = open_or_die(path);
    long long pages;

    store_conv_create(st, &p, &conv);
    store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_USER, "saved before", STORE_STATE_COMPLETE,
                     &m1);
    pages = query_int(st, "PRAGMA page_count");
    {
        char *sql = xasprintf("PRAGMA max_page_count = %lld", pages);

        free(query_text(st, sql));
        free(sql);
    }
    big = xmalloc(200000);
    memset(big, 'x', 199999);
    big[199999] = '\0';
    ok(store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, big, STORE_STATE_COMPLETE,
                        &m2) < 0, "a write on a full database fails");
    ok(store_errcode(st) == STORE_E_FULL, "... as 'full'");
    contains(store_errmsg(st), "disk full", "... the message says disk full");
    ok(store_writes_failing(st), "... and writes are marked failing");
    ok(store_msg_get(st, m1, &m) == 0 && strcmp(m.text, "saved before") == 0,
       "the earlier message is intact");
    store_msg_clear(&m);
    ok(store_msg_update(st, m1, "small", 0) == 0, "a small write that fits works");
    ok(!store_writes_failing(st), "... and clears the failing flag");
    store_close(st);
    st = open_or_die(path);
    ok(store_msg_get(st, m1, &m) == 0 && strcmp(m.text, "small") == 0,
       "reopened: the data is there");
    store_msg_clear(&m);
    {
        char *s = query_text(st, "PRAGMA integrity_check");

        is_str(s, "ok", "integrity check passes");
        free(s);
    }
    store_close(st);
    free(big);
    free(path);
}

/* Another connection holds the write lock longer than the busy timeout. */
static void
test_busy(void)
{
    char *path = tpath("busy.db");
    store_conv_params p = { "x", NULL, NULL, NULL, NULL };
    store *st = open_or_die(path);
    sqlite3 *other;
    int64_t id;

    store_conv_create(st, &p, &id);
    st->busy_ms = 200;
    sqlite3_busy_timeout(st->db, st->busy_ms);
    sqlite3_open(path, &other);
    ok(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK,
       "another connection takes the write lock");
    ok(store_conv_rename(st, id, "y") < 0 && store_errcode(st) == STORE_E_BUSY,
       "a write waits, then fails as busy");
    contains(store_errmsg(st), "locked by another process", "... message says locked");
    ok(store_writes_failing(st), "... writes marked failing");
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    ok(store_conv_rename(st, id, "y") == 0 && !store_writes_failing(st),
       "after the lock is released, writes work again");
    store_close(st);
    free(path);
}

static void
test_bad_files(void)
{
    char *junk = tpath("junk.db"), *other = tpath("other.db"), err[1024];
    FILE *f = fopen(junk, "w");
    sqlite3 *db;
    store *st;

    fputs("this is not a database, just some text that is long enough to look like a header "
          "of something else entirely......", f);
    fclose(f);
    ok(store_open(junk, &st, err, sizeof err) < 0, "a text file is refused");
    contains(err, "not a database", "... 'not a database'");
    contains(err, junk, "... naming the file");

    sqlite3_open(other, &db);
    sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1)", NULL, NULL, NULL);
    sqlite3_close(db);
    ok(store_open(other, &st, err, sizeof err) < 0, "another program's database is refused");
    contains(err, "not a ternchat database", "... 'not a ternchat database'");
    sqlite3_open(other, &db);
    ok(sqlite3_exec(db, "SELECT x FROM t", NULL, NULL, NULL) == SQLITE_OK,
       "... and left untouched");
    sqlite3_close(db);
    free(junk);
    free(other);
}

int
main(void)
{
    store *st;
    char *path;

    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_open();
    test_default_path();
    test_roles_states();
    path = tpath("main.db");
    st = open_or_die(path);
    test_conversations(st);
    test_messages(st);
    test_stats(st);
    store_close(st);
    free(path);
    st = open_or_die(":memory:");
    ok(store_schema_version(st) == STORE_SCHEMA_VERSION, "an in-memory store works");
    store_close(st);
    test_full();
    test_busy();
    test_bad_files();
    {
        char *cmd = xasprintf("rm -rf '%s'", tmpdir);

        if (system(cmd) != 0)
            diag("could not remove %s", tmpdir);
        free(cmd);
    }
    return done_testing();
}
