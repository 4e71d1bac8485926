/* test_store_schema.c: schema versions and migrations: a version 1
 * database made by hand is upgraded (data kept, full-text index filled); a
 * failing migration leaves the database as it was; a newer schema or a
 * foreign file is refused with a clear message. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "tap.h"
#include "xmalloc.h"

static char tmpdir[] = "/tmp/test_store_schema.XXXXXX";

/* Schema version 1 exactly as released (frozen here on purpose). */
static const char v1_schema[] =
    "CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '',"
    " system_prompt TEXT NOT NULL DEFAULT '', target_model TEXT, draft_model TEXT,"
    " sampling TEXT, head_id INTEGER, created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE INDEX conversations_updated ON conversations(updated_ms);"
    "CREATE TABLE messages (id INTEGER PRIMARY KEY,"
    " conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
    " parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,"
    " role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),"
    " text TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT 'complete'"
    " CHECK (state IN ('complete', 'stopped', 'error', 'streaming')),"
    " tokens INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, gen_ms INTEGER);"
    "CREATE INDEX messages_conversation ON messages(conversation_id, id);"
    "CREATE INDEX messages_parent ON messages(parent_id);"
    "CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_ms INTEGER NOT NULL,"
    " ended_ms INTEGER, target_model TEXT, draft_model TEXT, threads INTEGER,"
    " quant_modes TEXT);"
    "CREATE TABLE gen_stats (id INTEGER PRIMARY KEY,"
    " session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,"
    " message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
    " created_ms INTEGER NOT NULL, quant TEXT NOT NULL, target_model TEXT, draft_model TEXT,"
    " prompt_tokens INTEGER NOT NULL, prompt_s REAL NOT NULL, gen_tokens INTEGER NOT NULL,"
    " gen_s REAL NOT NULL, tokens_per_s REAL, drafted INTEGER NOT NULL DEFAULT 0,"
    " accepted INTEGER NOT NULL DEFAULT 0, acceptance REAL, gamma INTEGER);"
    "CREATE INDEX gen_stats_session ON gen_stats(session_id);"
    "CREATE INDEX gen_stats_message ON gen_stats(message_id);"
    "PRAGMA application_id = 1413695572;"
    "PRAGMA user_version = 1;";

static const char v1_data[] =
    "INSERT INTO conversations VALUES (1, 'Old talk', 'sys', 'm.gguf', NULL, NULL, 2, 1000, 2000);"
    "INSERT INTO messages VALUES (1, 1, NULL, 'user', 'tell me about hedgehogs', 'complete', 5,"
    " 1000, NULL);"
    "INSERT INTO messages VALUES (2, 1, 1, 'assistant', 'Hedgehogs are spiny mammals.',"
    " 'complete', 6, 1500, 800);";

static char *
tpath(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
}

/* Make a database file by running sql with plain SQLite. */
static int
make_db(const char *path, const char *sql)
{
    sqlite3 *db;
    char *err = NULL;
    int rc;

    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        diag("sql: %s", err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

static long long
raw_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *stmt;
    long long v = -1;

    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        if (sqlite3_step(stmt) == SQLITE_ROW)
            v = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return v;
}

static void
test_upgrade(void)
{
    char *path = tpath("v1.db"), err[1024];
    store *st;
    store_hit *hits;
    store_msg *m;
    store_conv c;
    size_t n;
    int64_t id;

    ok(make_db(path, v1_schema) == 0 && make_db(path, v1_data) == 0, "a version 1 database by hand");
    ok(raw_int(path, "PRAGMA user_version") == 1, "... at version 1");
    ok(store_open(path, &st, err, sizeof err) == 0, "store_open upgrades it");
    if (st == NULL) {
        diag("%s", err);
        return;
    }
    ok(store_schema_version(st) == 2, "now at version 2");
    ok(store_conv_get(st, 1, &c) == 0 && strcmp(c.title, "Old talk") == 0 && c.head_id == 2
       && c.created_ms == 1000, "the old conversation is intact");
    store_conv_clear(&c);
    ok(store_msgs_get(st, 1, STORE_MSGS_BRANCH, &m, &n) == 0 && n == 2
       && strcmp(m[1].text, "Hedgehogs are spiny mammals.") == 0 && m[1].gen_ms == 800,
       "its messages are intact");
    store_msgs_free(m, n);
    ok(store_search(st, "hedgehogs", 0, 10, &hits, &n) == 0 && n == 2,
       "the new full-text index holds the old messages");
    store_hits_free(hits, n);
    ok(store_msg_append(st, 1, STORE_PARENT_HEAD, STORE_ROLE_USER, "and porcupines?",
                        STORE_STATE_COMPLETE, &id) == 0, "new messages can be added");
    ok(store_search(st, "porcupines", 0, 10, &hits, &n) == 0 && n == 1 && hits[0].msg_id == id,
       "... and are indexed");
    store_hits_free(hits, n);
    store_close(st);
    ok(raw_int(path, "PRAGMA user_version") == 2, "the file says version 2");
    free(path);
}

static void
test_failed_migration(void)
{
    char *path = tpath("v1-bad.db"), err[1024];
    store *st;

    /* a table in the way of migration 2 makes it fail half-way */
    ok(make_db(path, v1_schema) == 0 && make_db(path, v1_data) == 0
       && make_db(path, "CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages"
                  " BEGIN SELECT 1; END;") == 0, "a version 1 database that migration 2 trips on");
    ok(store_open(path, &st, err, sizeof err) < 0 && st == NULL, "store_open fails");
    contains(err, "upgrading the database schema from version 1 to 2", "... naming the step");
    ok(raw_int(path, "PRAGMA user_version") == 1, "the database stays at version 1");
    ok(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'") == 0,
       "... with none of the half-done step");
    ok(raw_int(path, "SELECT count(*) FROM messages") == 2, "... and its data");
    free(path);
}

static void
test_refused(void)
{
    char *path = tpath("v99.db"), *want, err[1024];
    store *st;

    ok(make_db(path, v1_schema) == 0 && make_db(path, "PRAGMA user_version = 99") == 0,
       "a database from a newer ternchat (version 99)");
    ok(store_open(path, &st, err, sizeof err) < 0 && st == NULL, "is refused");
    want = xasprintf("database %s has schema version 99; this ternchat understands up to %d: "
                     "upgrade ternchat", path, STORE_SCHEMA_VERSION);
    is_str(err, want, "... with a clear message");
    free(want);
    ok(raw_int(path, "PRAGMA user_version") == 99, "... and is left alone");
    free(path);

    path = tpath("foreign.db");
    ok(make_db(path, "PRAGMA application_id = 12345; CREATE TABLE x (y)") == 0,
       "a database of another application");
    ok(store_open(path, &st, err, sizeof err) < 0, "is refused");
    contains(err, "not a ternchat database", "... as not ternchat's");
    free(path);

    path = tpath("noid.db");
    ok(make_db(path, "PRAGMA user_version = 1; CREATE TABLE x (y)") == 0,
       "a database with a version but no application id");
    ok(store_open(path, &st, err, sizeof err) < 0, "is refused");
    contains(err, "not a ternchat database", "... as not ternchat's");
    free(path);

    path = tpath("empty.db");
    ok(make_db(path, "PRAGMA user_version = 0") == 0, "an empty SQLite file");
    ok(store_open(path, &st, err, sizeof err) == 0 && store_schema_version(st) == 2,
       "gets the schema");
    store_close(st);
    free(path);
}

int
main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_upgrade();
    test_failed_migration();
    test_refused();
    {
        char *cmd = xasprintf("rm -rf '%s'", tmpdir);

        if (system(cmd) != 0)
            diag("could not remove %s", tmpdir);
        free(cmd);
    }
    return done_testing();
}
