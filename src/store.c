/* store.c: opening and closing the store, the database path, and the error
 * and transaction helpers the other store files use. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_int.h"
#include "xmalloc.h"

int
store_fail(store *st, store_err code, const char *fmt, ...)
{
    va_list ap;

    st->errcode = code;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
    va_end(ap);
    return -1;
}

int
store_fail_sql(store *st, int rc, const char *what, int is_write)
{
    const char *detail = sqlite3_errmsg(st->db);
    store_err code;

    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = STORE_E_BUSY;
        store_fail(st, code, "%s: database %s is locked by another process (gave up after %g s)",
                   what, st->path, (double)st->busy_ms / 1000.0);
        break;
    case SQLITE_READONLY:
        code = STORE_E_READONLY;
        store_fail(st, code, "%s: database %s is read-only (%s)", what, st->path, detail);
        break;
    case SQLITE_FULL:
        code = STORE_E_FULL;
        store_fail(st, code, "%s: disk full, database %s cannot grow (%s)", what, st->path, detail);
        break;
    case SQLITE_CORRUPT:
        code = STORE_E_CORRUPT;
        store_fail(st, code, "%s: database %s is corrupt (%s)", what, st->path, detail);
        break;
    case SQLITE_NOTADB:
        code = STORE_E_CORRUPT;
        store_fail(st, code, "%s: %s is not a database, or is corrupt", what, st->path);
        break;
    case SQLITE_CANTOPEN:
        code = STORE_E_IO;
        store_fail(st, code, "%s: cannot open database %s (%s)", what, st->path, detail);
        break;
    case SQLITE_IOERR:
        code = STORE_E_IO;
        store_fail(st, code, "%s: I/O error on database %s (%s)", what, st->path, detail);
        break;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        code = STORE_E_INVALID;
        store_fail(st, code, "%s: %s", what, detail);
        break;
    default:
        code = STORE_E_IO;
        store_fail(st, code, "%s: database %s: %s", what, st->path, detail);
        break;
    }
    if (is_write && code != STORE_E_INVALID)
        st->writes_failing = 1;
    return -1;
}

void
store_write_ok(store *st)
{
    st->writes_failing = 0;
    st->errcode = STORE_OK;
    st->errmsg[0] = '\0';
}

int
store_prepare(store *st, const char *sql, sqlite3_stmt **stmt, const char *what)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);

    if (rc != SQLITE_OK) {
        *stmt = NULL;
        return store_fail_sql(st, rc, what, 0);
    }
    return 0;
}

int
store_exec(store *st, const char *sql, const char *what, int is_write)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

    if (rc != SQLITE_OK)
        return store_fail_sql(st, rc, what, is_write);
    return 0;
}

int
store_begin(store *st, const char *what)
{
    return store_exec(st, "BEGIN IMMEDIATE", what, 1);
}

int
store_commit(store *st, const char *what)
{
    int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);

    if (rc != SQLITE_OK) {
        store_fail_sql(st, rc, what, 1);
        store_rollback(st);
        return -1;
    }
    return 0;
}

void
store_rollback(store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_bind_text(sqlite3_stmt *stmt, int idx, const char *s)
{
    if (s == NULL)
        return sqlite3_bind_null(stmt, idx);
    return sqlite3_bind_text(stmt, idx, s, -1, SQLITE_TRANSIENT);
}

char *
store_col_dup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *s = sqlite3_column_text(stmt, col);
    int n = sqlite3_column_bytes(stmt, col);
    char *d;

    if (s == NULL)
        return NULL;
    d = xmalloc((size_t)n + 1);
    memcpy(d, s, (size_t)n);
    d[n] = '\0';
    return d;
}

int64_t
store_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
store_default_path(const char *path, char *err, size_t errsz)
{
    const char *env, *home;

    if (path != NULL && *path != '\0')
        return xstrdup(path);
    env = getenv("TERNCHAT_DB");
    if (env != NULL && *env != '\0')
        return xstrdup(env);
    env = getenv("XDG_DATA_HOME");
    if (env != NULL && env[0] == '/') /* the XDG spec ignores relative paths */
        return xasprintf("%s/ternchat/ternchat.db", env);
    home = getenv("HOME");
    if (home == NULL || home[0] != '/') {
        struct passwd *pw = getpwuid(getuid());

        home = pw != NULL ? pw->pw_dir : NULL;
    }
    if (home == NULL || home[0] != '/') {
        snprintf(err, errsz, "cannot find the home directory for the database: set HOME, "
                 "XDG_DATA_HOME or TERNCHAT_DB, or give --db");
        return NULL;
    }
    return xasprintf("%s/.local/share/ternchat/ternchat.db", home);
}

/* Create the missing directories above the file path, mode 0700. */
static int
make_parent_dirs(const char *path, char *err, size_t errsz)
{
    char *dir = xstrdup(path), *p;
    struct stat sb;

    p = strrchr(dir, '/');
    if (p == NULL || p == dir) {
        free(dir);
        return 0;
    }
    *p = '\0';
    if (stat(dir, &sb) == 0) {
        free(dir);
        return 0;
    }
    for (p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;

            *p = '\0';
            if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                snprintf(err, errsz, "cannot create directory %s for the database %s: %s", dir,
                         path, strerror(errno));
                free(dir);
                return -1;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    free(dir);
    return 0;
}

/* Create the database file with mode 0600 when it does not exist, so that
 * SQLite (and its -wal and -shm files, which copy the mode) never make it
 * readable by others. */
static int
create_file(const char *path, char *err, size_t errsz)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    snprintf(err, errsz, "cannot create database %s: %s", path, strerror(errno));
    return -1;
}

/* "file:" URI of a path, for sqlite3_open_v2 with SQLITE_OPEN_URI. */
static char *
file_uri(const char *path)
{
    size_t i, n = 0;
    char *u = xmalloc(strlen(path) * 3 + 32);

    n += (size_t)sprintf(u, "file:");
    for (i = 0; path[i]; i++) {
        if (path[i] == '%' || path[i] == '?' || path[i] == '#')
            n += (size_t)sprintf(u + n, "%%%02x", (unsigned char)path[i]);
        else
            u[n++] = path[i];
    }
    strcpy(u + n, "?immutable=1");
    return u;
}

/* Open the connection and bring the schema up to date. immutable: open
 * read-only without the WAL index (for a file in a directory where the
 * -shm file cannot be created). */
static int
open_connection(store *st, int memory, int immutable)
{
    int rc;

    if (immutable) {
        char *uri = file_uri(st->path);

        rc = sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        free(uri);
    } else {
        rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    }
    if (rc != SQLITE_OK) {
        return store_fail(st, STORE_E_IO, "cannot open database %s: %s", st->path,
                          st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, st->busy_ms);
    /* WAL: readers do not block the writer, and a killed writer loses only
     * its uncommitted transaction. FULL: a commit survives a power cut. A
     * read-only file keeps its journal mode. */
    if (store_exec(st, "PRAGMA foreign_keys = ON", "opening the database", 0) < 0
        || store_search_init(st) < 0)
        return -1;
    if (!memory && !sqlite3_db_readonly(st->db, "main")) {
        if (store_exec(st, "PRAGMA journal_mode = WAL", "opening the database", 0) < 0)
            return -1;
    }
    if (store_exec(st, "PRAGMA synchronous = FULL", "opening the database", 0) < 0
        || store_schema_init(st) < 0)
        return -1;
    return 0;
}

int
store_open(const char *path, store **out, char *err, size_t errsz)
{
    store *st;
    int memory = strcmp(path, ":memory:") == 0;

    *out = NULL;
    if (!memory) {
        if (make_parent_dirs(path, err, errsz) < 0 || create_file(path, err, errsz) < 0)
            return -1;
    }
    st = xcalloc(1, sizeof *st);
    st->path = xstrdup(path);
    st->busy_ms = STORE_BUSY_TIMEOUT_MS;
    if (open_connection(st, memory, 0) < 0) {
        /* A read-only WAL database in a read-only directory cannot be read
         * normally (no -shm file can be made): open it as immutable, so the
         * history can still be read; writes then fail as read-only. On a
         * read-only file system SQLite says "cannot open" instead. */
        if (memory || (st->errcode != STORE_E_READONLY && access(path, W_OK) == 0))
            goto fail;
        snprintf(err, errsz, "%s", st->errmsg);
        sqlite3_close_v2(st->db);
        st->db = NULL;
        if (open_connection(st, 0, 1) < 0) {
            snprintf(st->errmsg, sizeof st->errmsg, "%s", err);
            goto fail;
        }
    }
    store_write_ok(st);
    *out = st;
    return 0;
fail:
    snprintf(err, errsz, "%s", st->errmsg);
    store_close(st);
    return -1;
}

int
store_open_default(const char *path, store **out, char *err, size_t errsz)
{
    char *p = store_default_path(path, err, errsz);
    int rc;

    *out = NULL;
    if (p == NULL)
        return -1;
    rc = store_open(p, out, err, errsz);
    free(p);
    return rc;
}

void
store_close(store *st)
{
    if (st == NULL)
        return;
    sqlite3_finalize(st->stmt_update);
    sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

const char *
store_errmsg(const store *st)
{
    return st->errmsg[0] != '\0' ? st->errmsg : "no error";
}

store_err
store_errcode(const store *st)
{
    return st->errcode;
}

const char *
store_path(const store *st)
{
    return st->path;
}

int
store_writes_failing(const store *st)
{
    return st->writes_failing;
}
