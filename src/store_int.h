/* store_int.h: what the store's source files share: the store object and
 * helpers for errors, statements and transactions. Not part of the API
 * (tests include it to reach the SQLite handle). */
#ifndef TERNCHAT_STORE_INT_H
#define TERNCHAT_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

#define STORE_BUSY_TIMEOUT_MS 5000        /* wait this long for another process's lock */
#define STORE_APPLICATION_ID 1413695572   /* PRAGMA application_id: "TCHT" */

struct store {
    sqlite3 *db;                 /* the connection */
    char *path;                  /* database file as given to store_open */
    char errmsg[1024];           /* message of the last failure */
    store_err errcode;           /* kind of the last failure */
    int writes_failing;          /* the last write failed */
    int busy_ms;                 /* busy timeout in use (ms) */
    sqlite3_stmt *stmt_update;   /* cached statement of store_msg_update */
};

/* Record a failure (message formatted like printf); returns -1. */
int store_fail(store *st, store_err code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record the failure of SQLite call rc while doing what ("saving the
 * message"): a message naming the problem (locked, read-only, disk full,
 * corrupt). is_write marks writes as failing. Returns -1. */
int store_fail_sql(store *st, int rc, const char *what, int is_write);
/* A write succeeded: clear the writes-failing flag and the error. */
void store_write_ok(store *st);

/* Prepare sql; on failure record it (as a read). */
int store_prepare(store *st, const char *sql, sqlite3_stmt **stmt, const char *what);
/* BEGIN IMMEDIATE (waits for the busy timeout) / COMMIT / ROLLBACK. */
int store_begin(store *st, const char *what);
int store_commit(store *st, const char *what);
void store_rollback(store *st);
/* Run SQL without results; failures are recorded. */
int store_exec(store *st, const char *sql, const char *what, int is_write);

/* Bind a string, or NULL when s is NULL. */
int store_bind_text(sqlite3_stmt *stmt, int idx, const char *s);
/* A copy of a text column (NULL when the column is NULL). */
char *store_col_dup(sqlite3_stmt *stmt, int col);
/* Milliseconds since the Unix epoch. */
int64_t store_now_ms(void);

/* store_schema.c: check the schema and run the forward migrations. */
int store_schema_init(store *st);
/* store_search.c: register the REGEXP function and the FTS5 helper. */
int store_search_init(store *st);

#endif
