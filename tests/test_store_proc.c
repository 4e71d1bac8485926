/* test_store_proc.c: the store across processes: a writer killed with
 * SIGKILL in the middle of a streaming reply loses at most its last update;
 * two processes writing the same database at once both succeed; a
 * read-only database file reads, refuses writes clearly and keeps its data. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "tap.h"
#include "xmalloc.h"

#define KILL_AFTER 40     /* committed updates seen before the kill */
#define WRITERS 2         /* processes writing at once */
#define CONVS 4           /* conversations per writer */
#define MSGS 25           /* messages per conversation */

static char tmpdir[] = "/tmp/test_store_proc.XXXXXX";

static char *
tpath(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
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

/* The text a streaming reply has after k updates. */
static char *
reply_text(int k)
{
    char *s = xstrdup(""), *t;
    int i;

    for (i = 1; i <= k; i++) {
        t = xasprintf("%stoken%d ", s, i);
        free(s);
        s = t;
    }
    return s;
}

/* Child: stream a reply forever, telling the parent (fd) after each commit. */
static void
streaming_child(const char *path, int fd)
{
    store_conv_params p = { "killed", NULL, NULL, NULL, NULL };
    char err[1024], line[64], *text = xstrdup(""), *t;
    int64_t conv, user, reply;
    store *st;
    int k;

    if (store_open(path, &st, err, sizeof err) < 0
        || store_conv_create(st, &p, &conv) < 0
        || store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_USER, "tell me everything",
                            STORE_STATE_COMPLETE, &user) < 0
        || store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, "",
                            STORE_STATE_STREAMING, &reply) < 0)
        _exit(3);
    for (k = 1; ; k++) {
        t = xasprintf("%stoken%d ", text, k);
        free(text);
        text = t;
        if (store_msg_update(st, reply, text, k) < 0)
            _exit(4);
        snprintf(line, sizeof line, "%lld %lld %d\n", (long long)conv, (long long)reply, k);
        if (write(fd, line, strlen(line)) < 0)
            _exit(5);
    }
}

static void
test_sigkill(void)
{
    char *path = tpath("kill.db"), err[1024], buf[4096], *want, *s;
    long long conv = 0, reply = 0;
    int fds[2], k = 0, last = 0, status, len = 0, nl;
    store_msg *m = NULL;
    size_t n = 0;
    store *st;
    pid_t pid;
    ssize_t r;

    if (pipe(fds) < 0) {
        ok(0, "pipe");
        return;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        streaming_child(path, fds[1]);
    }
    close(fds[1]);
    /* read progress lines until enough updates were committed */
    while (last < KILL_AFTER && (r = read(fds[0], buf + len, sizeof buf - 1 - (size_t)len)) > 0) {
        char *p, *q;

        len += (int)r;
        buf[len] = '\0';
        p = buf;
        while ((q = strchr(p, '\n')) != NULL) {
            if (sscanf(p, "%lld %lld %d", &conv, &reply, &k) == 3)
                last = k;
            p = q + 1;
        }
        nl = (int)(p - buf);
        memmove(buf, p, (size_t)(len - nl));
        len -= nl;
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    /* updates committed between the last read and the kill */
    while ((r = read(fds[0], buf + len, sizeof buf - 1 - (size_t)len)) > 0) {
        char *p, *q;

        len += (int)r;
        buf[len] = '\0';
        p = buf;
        while ((q = strchr(p, '\n')) != NULL) {
            if (sscanf(p, "%lld %lld %d", &conv, &reply, &k) == 3)
                last = k;
            p = q + 1;
        }
        nl = (int)(p - buf);
        memmove(buf, p, (size_t)(len - nl));
        len -= nl;
    }
    close(fds[0]);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the writer was killed with SIGKILL");
    ok(last >= KILL_AFTER, "it had committed %d updates", last);
    if (store_open(path, &st, err, sizeof err) < 0) {
        ok(0, "reopen after the kill: %s", err);
        return;
    }
    ok(1, "the database opens after the kill");
    s = query_text(st, "PRAGMA integrity_check");
    is_str(s, "ok", "PRAGMA integrity_check is ok");
    free(s);
    ok(store_msgs_get(st, conv, STORE_MSGS_BRANCH, &m, &n) == 0 && n == 2,
       "both messages of the conversation are there");
    if (n == 2) {
        is_str(m[0].text, "tell me everything", "the user's message is intact");
        ok(m[1].state == STORE_STATE_STREAMING, "the reply is marked as still streaming");
        /* every reported update is saved; at most one more (committed
         * after the last report) */
        want = reply_text(last);
        ok(strcmp(m[1].text, want) == 0 || (m[1].tokens == last + 1
                                             && strncmp(m[1].text, want, strlen(want)) == 0),
           "the reply holds every committed update (%d, saved %lld)", last,
           (long long)m[1].tokens);
        free(want);
    }
    store_msgs_free(m, n);
    {
        int64_t id;

        ok(store_msg_finish(st, reply, "recovered", STORE_STATE_STOPPED, 1, -1) == 0
           && store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_USER, "again",
                               STORE_STATE_COMPLETE, &id) == 0,
           "the conversation can go on");
    }
    store_close(st);
    free(path);
}

/* Child: write conversations and messages; exit 0 when all succeeded. */
static void
writer_child(const char *path, int who, int go_fd)
{
    store_session_params sp = { "t.gguf", NULL, 1, "f32" };
    char err[1024], c;
    int64_t session, conv, msg;
    store *st;
    int i, j;

    if (read(go_fd, &c, 1) != 1) /* start together */
        _exit(6);
    if (store_open(path, &st, err, sizeof err) < 0) {
        fprintf(stderr, "writer %d: %s\n", who, err);
        _exit(2);
    }
    if (store_session_start(st, &sp, &session) < 0)
        goto fail;
    for (i = 0; i < CONVS; i++) {
        char *title = xasprintf("writer %d conversation %d", who, i);
        store_conv_params p = { title, NULL, NULL, NULL, NULL };

        if (store_conv_create(st, &p, &conv) < 0) {
            free(title);
            goto fail;
        }
        free(title);
        for (j = 0; j < MSGS; j++) {
            char *text = xasprintf("w%d c%d m%d", who, i, j);
            int bad = store_msg_append(st, conv, STORE_PARENT_HEAD,
                                       j % 2 ? STORE_ROLE_ASSISTANT : STORE_ROLE_USER, "",
                                       STORE_STATE_STREAMING, &msg) < 0
                      || store_msg_update(st, msg, "partial", 1) < 0
                      || store_msg_finish(st, msg, text, STORE_STATE_COMPLETE, 2, 10) < 0;

            free(text);
            if (bad)
                goto fail;
            /* a pause between messages, as a chat makes: back to back, one
             * writer can hold the lock nearly all the time and, with slow
             * fsyncs on a busy machine, keep the other past its busy timeout
             * (SQLite's waiting is not fair; a CI run saw that once) */
            usleep(3000);
        }
        {
            store_gen_stats g = { session, msg, "f32", "t.gguf", NULL, 10, 0.1, 10, 0.2, 0, 0, 0 };

            if (store_stats_add(st, &g, NULL) < 0)
                goto fail;
        }
    }
    if (store_session_end(st, session) < 0)
        goto fail;
    store_close(st);
    _exit(0);
fail:
    fprintf(stderr, "writer %d: %s\n", who, store_errmsg(st));
    _exit(1);
}

static void
test_two_writers(void)
{
    char *path = tpath("shared/two.db"), err[1024], *s;
    pid_t pids[WRITERS];
    int go[2], i, status, all_ok = 1;
    store *st;

    if (pipe(go) < 0) {
        ok(0, "pipe");
        return;
    }
    fflush(stdout);
    for (i = 0; i < WRITERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(go[1]);
            writer_child(path, i, go[0]);
        }
    }
    close(go[0]);
    /* both open a database that does not exist yet, at the same moment */
    if (write(go[1], "gg", WRITERS) != WRITERS)
        diag("could not start the writers");
    close(go[1]);
    for (i = 0; i < WRITERS; i++) {
        waitpid(pids[i], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            all_ok = 0;
            diag("writer %d: status %d", i, status);
        }
    }
    ok(all_ok, "%d processes writing at once all succeed", WRITERS);
    if (store_open(path, &st, err, sizeof err) < 0) {
        ok(0, "open: %s", err);
        return;
    }
    s = query_text(st, "PRAGMA integrity_check");
    is_str(s, "ok", "integrity check");
    free(s);
    ok(query_int(st, "SELECT count(*) FROM conversations") == WRITERS * CONVS,
       "every conversation saved (%d)", WRITERS * CONVS);
    ok(query_int(st, "SELECT count(*) FROM messages WHERE state = 'complete'")
       == WRITERS * CONVS * MSGS, "every message saved and finished (%d)", WRITERS * CONVS * MSGS);
    ok(query_int(st, "SELECT count(*) FROM gen_stats") == WRITERS * CONVS
       && query_int(st, "SELECT count(*) FROM sessions WHERE ended_ms IS NOT NULL") == WRITERS,
       "sessions and statistics saved");
    ok(sqlite3_exec(st->db, "INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')",
                    NULL, NULL, NULL) == SQLITE_OK, "the full-text index matches the messages");
    ok(query_int(st, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'w1'")
       == CONVS * MSGS, "... and finds one writer's messages");
    store_close(st);
    free(path);
}

/* Read-only checks, run in a child (without root's powers); results go to
 * fd as "1 name" / "0 name" lines. */
static void
readonly_child(const char *path, int64_t conv, int fd)
{
    char err[1024], line[1200];
    store_msg *m = NULL;
    size_t n = 0;
    store *st;
    int64_t id;
    int r;

#define REPORT(cond, name) do { \
        snprintf(line, sizeof line, "%d %s\n", (cond) ? 1 : 0, name); \
        if (write(fd, line, strlen(line)) < 0) \
            _exit(7); \
    } while (0)

    r = store_open(path, &st, err, sizeof err);
    REPORT(r == 0, "a read-only database opens");
    if (r < 0) {
        snprintf(line, sizeof line, "0 open failed: %s\n", err);
        if (write(fd, line, strlen(line)) < 0)
            _exit(7);
        _exit(0);
    }
    r = store_msgs_get(st, conv, STORE_MSGS_BRANCH, &m, &n);
    REPORT(r == 0 && n == 1 && strcmp(m[0].text, "precious") == 0, "its messages can be read");
    store_msgs_free(m, n);
    r = store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_USER, "more", STORE_STATE_COMPLETE,
                         &id);
    REPORT(r < 0 && store_errcode(st) == STORE_E_READONLY, "a write fails as read-only");
    REPORT(strstr(store_errmsg(st), "is read-only") != NULL
           && strstr(store_errmsg(st), path) != NULL, "the message names the file and says read-only");
    REPORT(store_writes_failing(st), "writes are marked failing (the chat keeps going in memory)");
    REPORT(store_conv_rename(st, conv, "changed") < 0 && store_errcode(st) == STORE_E_READONLY,
           "a rename fails too");
    store_close(st);
    _exit(0);
#undef REPORT
}

/* dir_mode: 0700 (the WAL files can be made) or 0500 (they cannot). */
static void
test_readonly(const char *sub, int dir_mode)
{
    char *dir = tpath(sub), *path = xasprintf("%s/ro.db", dir), err[1024], buf[4096], *line, *s;
    store_conv_params p = { "keep", NULL, NULL, NULL, NULL };
    int fds[2], status, len = 0, root = geteuid() == 0;
    int64_t conv, id;
    store *st;
    pid_t pid;
    ssize_t r;

    if (store_open(path, &st, err, sizeof err) < 0) {
        ok(0, "create: %s", err);
        return;
    }
    store_conv_create(st, &p, &conv);
    store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_USER, "precious", STORE_STATE_COMPLETE,
                     &id);
    store_close(st);
    /* The user made their own database file read-only. Root ignores file
     * modes, so then the file and its directory are given to nobody, and
     * the checks run as nobody. */
    if (root && (chown(path, 65534, 65534) < 0 || chown(dir, 65534, 65534) < 0)) {
        ok(0, "chown: %s", strerror(errno));
        return;
    }
    if (chmod(path, 0444) < 0 || chmod(dir, (mode_t)dir_mode) < 0) {
        ok(0, "chmod: %s", strerror(errno));
        return;
    }
    if (pipe(fds) < 0) {
        ok(0, "pipe");
        return;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (root && (chmod(tmpdir, 0755) < 0 || setgid(65534) < 0 || setuid(65534) < 0)) {
            const char *msg = "0 could not drop root privileges\n";

            if (write(fds[1], msg, strlen(msg)) < 0)
                _exit(7);
            _exit(0);
        }
        readonly_child(path, conv, fds[1]);
    }
    close(fds[1]);
    while ((r = read(fds[0], buf + len, sizeof buf - 1 - (size_t)len)) > 0)
        len += (int)r;
    buf[len] = '\0';
    close(fds[0]);
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "read-only file in a directory of mode %o: "
       "the checker ran%s", dir_mode, root ? " (as nobody)" : "");
    for (line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n"))
        ok(line[0] == '1', "%s", line + 2);
    chmod(dir, 0700);
    chmod(path, 0600);
    chmod(tmpdir, 0700);
    if (store_open(path, &st, err, sizeof err) < 0) {
        ok(0, "reopen: %s", err);
        return;
    }
    s = query_text(st, "SELECT group_concat(text, '|') FROM messages");
    is_str(s, "precious", "the data is intact afterwards");
    free(s);
    s = query_text(st, "SELECT title FROM conversations");
    is_str(s, "keep", "... title unchanged");
    free(s);
    store_close(st);
    free(dir);
    free(path);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_sigkill();
    test_two_writers();
    test_readonly("ro", 0700);
    test_readonly("ro-dir", 0500);
    {
        char *cmd = xasprintf("rm -rf '%s'", tmpdir);

        if (system(cmd) != 0)
            diag("could not remove %s", tmpdir);
        free(cmd);
    }
    return done_testing();
}
