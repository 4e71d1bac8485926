/* store_schema.c: the database schema and its forward migrations. The
 * schema version is PRAGMA user_version; migrations[i] upgrades version i to
 * i + 1. All pending steps run in one transaction, so a database is always
 * at one known version. A schema newer than this build is refused. Never
 * edit a released step: add a new one and raise STORE_SCHEMA_VERSION. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

/* Version 0 -> 1: conversations, messages, sessions, statistics. */
static const char migration_1[] =
    "CREATE TABLE conversations ("
    " id INTEGER PRIMARY KEY,"
    " title TEXT NOT NULL DEFAULT '',"
    " system_prompt TEXT NOT NULL DEFAULT '',"
    " target_model TEXT,"
    " draft_model TEXT,"
    " sampling TEXT,"                     /* JSON object */
    " head_id INTEGER,"                   /* last message of the current branch */
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE INDEX conversations_updated ON conversations(updated_ms);"
    "CREATE TABLE messages ("
    " id INTEGER PRIMARY KEY,"
    " conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
    " parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,"
    " role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),"
    " text TEXT NOT NULL DEFAULT '',"
    " state TEXT NOT NULL DEFAULT 'complete'"
    "  CHECK (state IN ('complete', 'stopped', 'error', 'streaming')),"
    " tokens INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL,"
    " gen_ms INTEGER);"
    "CREATE INDEX messages_conversation ON messages(conversation_id, id);"
    "CREATE INDEX messages_parent ON messages(parent_id);"
    "CREATE TABLE sessions ("
    " id INTEGER PRIMARY KEY,"
    " started_ms INTEGER NOT NULL,"
    " ended_ms INTEGER,"
    " target_model TEXT,"
    " draft_model TEXT,"
    " threads INTEGER,"
    " quant_modes TEXT);"
    "CREATE TABLE gen_stats ("
    " id INTEGER PRIMARY KEY,"
    " session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,"
    " message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
    " created_ms INTEGER NOT NULL,"
    " quant TEXT NOT NULL,"
    " target_model TEXT,"
    " draft_model TEXT,"
    " prompt_tokens INTEGER NOT NULL,"
    " prompt_s REAL NOT NULL,"
    " gen_tokens INTEGER NOT NULL,"
    " gen_s REAL NOT NULL,"
    " tokens_per_s REAL,"
    " drafted INTEGER NOT NULL DEFAULT 0,"
    " accepted INTEGER NOT NULL DEFAULT 0,"
    " acceptance REAL,"
    " gamma INTEGER);"
    "CREATE INDEX gen_stats_session ON gen_stats(session_id);"
    "CREATE INDEX gen_stats_message ON gen_stats(message_id);";

/* Version 1 -> 2: a full-text index over message texts (FTS5, external
 * content), kept in sync by triggers and filled from the existing rows. */
static const char migration_2[] =
    "CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id');"
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
    " INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);"
    " END;"
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
    " INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);"
    " END;"
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN"
    " INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);"
    " INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);"
    " END;"
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');";

/* migrations[i]: SQL that takes version i to version i + 1. */
static const char *const migrations[] = { migration_1, migration_2 };

_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* Read an integer pragma (user_version, application_id). */
static int
pragma_int(store *st, const char *name, int *out)
{
    sqlite3_stmt *stmt;
    char sql[64];
    int rc;

    snprintf(sql, sizeof sql, "PRAGMA %s", name);
    if (store_prepare(st, sql, &stmt, "reading the database") < 0)
        return -1;
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return store_fail_sql(st, rc, "reading the database", 0);
    }
    *out = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return 0;
}

/* Refuse databases this build cannot use: a newer schema, another
 * program's file. */
static int
check_schema(store *st, int version, int app_id)
{
    sqlite3_stmt *stmt;
    int rc, n;

    if (version > STORE_SCHEMA_VERSION)
        return store_fail(st, STORE_E_SCHEMA,
                          "database %s has schema version %d; this ternchat understands up to %d: "
                          "upgrade ternchat", st->path, version, STORE_SCHEMA_VERSION);
    if (app_id != 0 && app_id != STORE_APPLICATION_ID)
        return store_fail(st, STORE_E_SCHEMA, "%s is not a ternchat database (application id %d)",
                          st->path, app_id);
    if (version > 0 && app_id != STORE_APPLICATION_ID)
        return store_fail(st, STORE_E_SCHEMA, "%s is not a ternchat database (schema version %d "
                          "without ternchat's application id)", st->path, version);
    if (version == 0) {
        if (store_prepare(st, "SELECT count(*) FROM sqlite_master", &stmt,
                          "reading the database") < 0)
            return -1;
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) {
            sqlite3_finalize(stmt);
            return store_fail_sql(st, rc, "reading the database", 0);
        }
        n = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        if (n > 0)
            return store_fail(st, STORE_E_SCHEMA,
                              "%s is not a ternchat database (it holds other tables)", st->path);
    }
    return 0;
}

int
store_schema_init(store *st)
{
    int version, app_id, v;
    char sql[96];

    if (pragma_int(st, "user_version", &version) < 0
        || pragma_int(st, "application_id", &app_id) < 0
        || check_schema(st, version, app_id) < 0)
        return -1;
    if (version == STORE_SCHEMA_VERSION)
        return 0;
    if (sqlite3_db_readonly(st->db, "main") == 1)
        return store_fail(st, STORE_E_READONLY,
                          "database %s has schema version %d and needs an upgrade to %d, "
                          "but it is read-only", st->path, version, STORE_SCHEMA_VERSION);
    if (store_begin(st, "upgrading the database schema") < 0)
        return -1;
    /* Another process may have upgraded it meanwhile: read again. */
    if (pragma_int(st, "user_version", &version) < 0
        || pragma_int(st, "application_id", &app_id) < 0
        || check_schema(st, version, app_id) < 0)
        goto fail;
    for (v = version; v < STORE_SCHEMA_VERSION; v++) {
        snprintf(sql, sizeof sql, "upgrading the database schema from version %d to %d", v, v + 1);
        if (store_exec(st, migrations[v], sql, 1) < 0)
            goto fail;
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d",
             STORE_SCHEMA_VERSION, STORE_APPLICATION_ID);
    if (store_exec(st, sql, "upgrading the database schema", 1) < 0)
        goto fail;
    return store_commit(st, "upgrading the database schema");
fail:
    store_rollback(st);
    return -1;
}

int
store_schema_version(store *st)
{
    int v;

    if (pragma_int(st, "user_version", &v) < 0)
        return -1;
    return v;
}
