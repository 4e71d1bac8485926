/* test_fault_quant.c: SIGKILL in the middle of a quant switch. A child
 * process does what the chat does: it saves a conversation in a history
 * database, streams a reply into it, and asks the engine to re-quantize
 * the target (engine_set_quant) while a second reply streams; it is killed
 * as soon as the conversion reports progress. Afterwards the model file is
 * byte for byte what it was (re-quantization happens in memory only), the
 * database opens, passes PRAGMA integrity_check and holds everything saved
 * before the kill, and a new engine loads the model, replies and finishes
 * the same switch. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "qtype.h"
#include "store.h"
#include "store_int.h"
#include "tap.h"
#include "xmalloc.h"

static char tmpdir[] = "/tmp/test_fault_quant.XXXXXX";

/* A whole file in a new buffer; NULL if it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = xmalloc((size_t)n + 1);
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

/* Wait for an event of type (or an error); 1 with *out filled, else 0. */
static int
wait_for(engine *e, int type, engine_event *out)
{
    engine_event ev;

    while (engine_wait(e, &ev, 120000)) {
        if (ev.type == type || ev.type == ENGINE_EV_ERROR) {
            *out = ev;
            return ev.type == type;
        }
        engine_event_clear(&ev);
    }
    return 0;
}

/* The child: a chat that switches quantization; writes one byte to fd
 * when the conversion is under way, then keeps streaming until killed. */
static void
child(const char *path, const char *db, int fd)
{
    static const chat_msg first[] = { { "user", "hello, tell me about tea" } };
    chat_msg second[3] = { { "user", "hello, tell me about tea" }, { "assistant", "" },
                           { "user", "and now a very long story please" } };
    engine_config cfg = { 0 };
    sampler_params sp;
    spec_params pp;
    engine_event ev;
    char err[512], *text = xstrdup(""), *reply1;
    size_t len = 0;
    int64_t conv, msg;
    uint64_t qid;
    store *st;
    engine *e;
    int told = 0;

    if (store_open(db, &st, err, sizeof err) != 0)
        _exit(3);
    cfg.target_path = path;
    cfg.n_threads = 1;
    cfg.chat_template = "chatml";
    e = engine_start(&cfg, err, sizeof err);
    if (e == NULL || !wait_for(e, ENGINE_EV_LOADED, &ev))
        _exit(4);
    engine_event_clear(&ev);
    sampler_params_default(&sp);
    sp.temp = 0;
    spec_params_default(&pp);
    pp.mode = SPEC_OFF;

    /* a first exchange, saved complete */
    store_conv_params p = { "before the switch", NULL, path, NULL, NULL };
    if (store_conv_create(st, &p, &conv) != 0 ||
        store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_USER, first[0].content,
                         STORE_STATE_COMPLETE, &msg) != 0 ||
        store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, "",
                         STORE_STATE_STREAMING, &msg) != 0)
        _exit(5);
    engine_generate(e, first, 1, &sp, &pp, 16);
    while (engine_wait(e, &ev, 120000) && ev.type != ENGINE_EV_DONE) {
        if (ev.type == ENGINE_EV_PIECE) {
            text = xrealloc(text, len + ev.len + 1);
            memcpy(text + len, ev.text, ev.len);
            len += ev.len;
            text[len] = '\0';
        }
        engine_event_clear(&ev);
    }
    engine_event_clear(&ev);
    if (store_msg_finish(st, msg, text, STORE_STATE_COMPLETE, 16, 10) != 0)
        _exit(6);

    /* the second reply streams into the database while the switch runs */
    second[1].content = reply1 = text;
    if (store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_USER, second[2].content,
                         STORE_STATE_COMPLETE, &msg) != 0 ||
        store_msg_append(st, conv, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, "",
                         STORE_STATE_STREAMING, &msg) != 0)
        _exit(7);
    text = xstrdup("");
    len = 0;
    engine_generate(e, second, 3, &sp, &pp, -1);
    free(reply1);
    qid = engine_set_quant(e, QT_TQ2_0);
    while (engine_wait(e, &ev, 120000)) {
        if (ev.type == ENGINE_EV_PIECE) {
            text = xrealloc(text, len + ev.len + 1);
            memcpy(text + len, ev.text, ev.len);
            len += ev.len;
            text[len] = '\0';
            store_msg_update(st, msg, text, 0);
        } else if (ev.type == ENGINE_EV_PROGRESS && ev.req == qid && !told) {
            told = 1;
            if (write(fd, "q", 1) != 1)
                _exit(8);
        } else if (ev.type == ENGINE_EV_QUANT || ev.type == ENGINE_EV_DONE) {
            if (!told && write(fd, "d", 1) != 1) /* too late: it finished first */
                _exit(8);
            told = 1;
        }
        engine_event_clear(&ev);
    }
    _exit(0);
}

int
main(void)
{
    const char *builddir = getenv("TERNCHAT_BUILDDIR");
    char mpath[128], db[128], cmd[1024], err[512], c = 0;
    char *before, *after;
    size_t blen = 0, alen = 0;
    int fds[2], status = 0;
    pid_t pid;
    store *st;

    if (builddir == NULL || mkdtemp(tmpdir) == NULL) {
        ok(0, "TERNCHAT_BUILDDIR is set and a temporary directory made");
        return done_testing();
    }
    snprintf(mpath, sizeof mpath, "%s/m.gguf", tmpdir);
    snprintf(db, sizeof db, "%s/h.db", tmpdir);
    /* matrices of 256-element rows (tq2_0 blocks), big enough that the
     * conversion takes a while */
    snprintf(cmd, sizeof cmd, "%s/tools/ternchat-mkmodel --n-embd 256 --n-layer 4 --n-head 4 "
             "--n-ff 768 --n-vocab 4096 --ctx 2048 --seed 21 -o %s >/dev/null", builddir, mpath);
    ok(system(cmd) == 0, "a test model");
    before = slurp(mpath, &blen);

    if (pipe(fds) != 0) {
        ok(0, "pipe: %s", strerror(errno));
        return done_testing();
    }
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(mpath, db, fds[1]);
    }
    close(fds[1]);
    if (read(fds[0], &c, 1) != 1)
        c = 0;
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    close(fds[0]);
    ok(c == 'q', "the child was killed while re-quantizing (it said '%c')", c ? c : '?');
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "... by SIGKILL (status %#x)", status);

    after = slurp(mpath, &alen);
    ok(before != NULL && after != NULL && alen == blen && memcmp(before, after, blen) == 0,
       "the model file is unchanged (%zu bytes)", alen);
    free(before);
    free(after);

    if (!ok(store_open(db, &st, err, sizeof err) == 0, "the database opens after the kill")) {
        diag("%s", err);
    } else {
        store_msg *m = NULL;
        store_conv *cv = NULL;
        size_t n = 0, nc = 0;
        sqlite3_stmt *s;
        const char *res = "";

        if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            res = (const char *)sqlite3_column_text(s, 0);
        ok(res != NULL && strcmp(res, "ok") == 0, "PRAGMA integrity_check: %s", res ? res : "?");
        sqlite3_finalize(s);
        int rc = store_conv_list(st, 0, 0, &cv, &nc);

        ok(rc == 0 && nc == 1, "one conversation (%zu)", nc);
        rc = store_msgs_get(st, nc ? cv[0].id : 0, STORE_MSGS_BRANCH, &m, &n);
        ok(rc == 0 && n == 4, "all four messages saved before the kill are there (%zu)", n);
        if (n == 4) {
            ok(m[1].state == STORE_STATE_COMPLETE && m[1].tokens == 16,
               "the first reply is complete");
            ok(m[3].state == STORE_STATE_STREAMING, "the reply cut by the kill is marked streaming");
        }
        store_msgs_free(m, n);
        store_convs_free(cv, nc);
        store_close(st);
    }

    /* The model still loads, replies, and takes the switch. */
    {
        static const chat_msg msgs[] = { { "user", "hello again" } };
        engine_config cfg = { 0 };
        sampler_params sp;
        spec_params pp;
        engine_event ev;
        engine *e;

        cfg.target_path = mpath;
        cfg.n_threads = 1;
        e = engine_start(&cfg, err, sizeof err);
        ok(e != NULL && wait_for(e, ENGINE_EV_LOADED, &ev), "a new engine loads the model");
        engine_event_clear(&ev);
        sampler_params_default(&sp);
        spec_params_default(&pp);
        engine_generate(e, msgs, 1, &sp, &pp, 8);
        ok(wait_for(e, ENGINE_EV_DONE, &ev) && ev.state != ENGINE_REPLY_ERROR, "it replies");
        engine_event_clear(&ev);
        engine_set_quant(e, QT_TQ2_0);
        ok(wait_for(e, ENGINE_EV_QUANT, &ev) && ev.quant_type == QT_TQ2_0,
           "and the switch to tq2_0 completes");
        engine_event_clear(&ev);
        engine_stop(e);
    }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        diag("could not remove %s", tmpdir);
    return done_testing();
}
