/* test_engine.c: the engine thread driven through its queues alone:
 * loading errors as events, streaming order, the same text as one-shot
 * generation, reuse of the cached prefix, cancel, shutdown during a reply,
 * context overflow strategies. Models come from tools/ternchat-mkmodel. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "tap.h"
#include "xmalloc.h"

static const char *builddir;
static char *tmpdir;

/* Make a random llama model with a tokenizer; returns its path. */
static char *
make_model(const char *name, const char *extra)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    char *cmd = xasprintf("%s/tools/ternchat-mkmodel %s -o %s >/dev/null", builddir, extra, path);
    int rc = system(cmd);

    free(cmd);
    if (rc != 0) {
        free(path);
        return NULL;
    }
    return path;
}

/* Wait for the next event (up to 60 s). */
static int
next(engine *e, engine_event *ev)
{
    return engine_wait(e, ev, 60000);
}

/* Wait until LOADED or ERROR; returns the type. */
static int
wait_loaded(engine *e, char *msg, size_t msgsz)
{
    engine_event ev;

    while (next(e, &ev)) {
        int t = ev.type;

        if (t == ENGINE_EV_LOADED || t == ENGINE_EV_ERROR) {
            snprintf(msg, msgsz, "%s", ev.text ? ev.text : "");
            engine_event_clear(&ev);
            return t;
        }
        engine_event_clear(&ev);
    }
    return 0;
}

/* Collect a reply's pieces until its DONE; returns the text, fills done. */
static char *
collect(engine *e, uint64_t req, engine_event *done, int *order_ok, int *n_ctx_events)
{
    engine_event ev;
    char *text = xstrdup("");
    size_t len = 0;

    *order_ok = 1;
    if (n_ctx_events)
        *n_ctx_events = 0;
    memset(done, 0, sizeof *done);
    while (next(e, &ev)) {
        if (ev.req != req && ev.req != 0)
            *order_ok = 0;
        if (ev.type == ENGINE_EV_PIECE) {
            text = xrealloc(text, len + ev.len + 1);
            memcpy(text + len, ev.text, ev.len);
            len += ev.len;
            text[len] = '\0';
        } else if (ev.type == ENGINE_EV_CONTEXT && n_ctx_events) {
            (*n_ctx_events)++;
        } else if (ev.type == ENGINE_EV_DONE) {
            *done = ev;
            return text;
        }
        engine_event_clear(&ev);
    }
    *order_ok = 0;
    return text;
}

static void
greedy(sampler_params *sp, spec_params *pp)
{
    sampler_params_default(sp);
    sp->temp = 0;
    spec_params_default(pp);
}

int
main(void)
{
    char err[512], msg[512];
    engine_config cfg;
    engine *e;
    engine_event ev, done;
    sampler_params sp;
    spec_params pp;
    char *small, *big, *text, *text2;
    uint64_t id;
    int order_ok, nctx;

    builddir = getenv("TERNCHAT_BUILDDIR");
    if (builddir == NULL) {
        ok(0, "TERNCHAT_BUILDDIR is set");
        return done_testing();
    }
    {
        char tmpl[] = "/tmp/ternchat-engine-XXXXXX";

        tmpdir = xstrdup(mkdtemp(tmpl) ? tmpl : "/tmp");
    }
    small = make_model("small.gguf", "--ctx 160 --seed 3");
    big = make_model("big.gguf", "--ctx 4096 --seed 4");
    if (!ok(small != NULL && big != NULL, "mkmodel wrote the test models"))
        return done_testing();

    /* 1. A model that cannot load: an ERROR event, and requests fail with a DONE. */
    memset(&cfg, 0, sizeof cfg);
    cfg.target_path = "/nonexistent/model.gguf";
    e = engine_start(&cfg, err, sizeof err);
    ok(e != NULL, "engine starts even when the model is missing");
    ok(wait_loaded(e, msg, sizeof msg) == ENGINE_EV_ERROR, "loading failure is an ERROR event");
    contains(msg, "/nonexistent/model.gguf", "the error names the file");
    greedy(&sp, &pp);
    {
        chat_msg m[] = { { "user", "hi" } };

        id = engine_generate(e, m, 1, &sp, &pp, 5);
    }
    text = collect(e, id, &done, &order_ok, NULL);
    ok(done.type == ENGINE_EV_DONE && done.state == ENGINE_REPLY_ERROR, "generate without a model: DONE with state error");
    contains(done.text, "model.gguf", "its message says why");
    engine_event_clear(&done);
    free(text);
    engine_set_quant(e, 8 /* q8_0 */);
    ok(next(e, &ev) && ev.type == ENGINE_EV_ERROR, "a weight switch without a model: an ERROR event");
    contains(ev.text, "model.gguf", "its message says why");
    engine_event_clear(&ev);
    engine_stop(e);

    /* 2. Streaming: LOADED, then pieces, then DONE, all for the request. */
    memset(&cfg, 0, sizeof cfg);
    cfg.target_path = big;
    cfg.n_threads = 1;
    e = engine_start(&cfg, err, sizeof err);
    ok(wait_loaded(e, msg, sizeof msg) == ENGINE_EV_LOADED, "LOADED event (%s)", msg);
    {
        chat_msg m[] = { { "system", "be brief" }, { "user", "hello there" } };

        id = engine_generate(e, m, 2, &sp, &pp, 24);
    }
    ok(id > 0, "generate returns a request id");
    text = collect(e, id, &done, &order_ok, NULL);
    ok(order_ok && done.type == ENGINE_EV_DONE, "pieces then DONE, all carrying the request id");
    ok(done.state == ENGINE_REPLY_STOPPED || done.state == ENGINE_REPLY_COMPLETE,
       "the reply ended normally (state %d)", done.state);
    ok(done.n_gen >= 1 && done.n_gen <= 24, "n_predict 24 respected (%d tokens)", done.n_gen);
    ok(done.n_prompt > 0 && done.ctx_used >= done.n_prompt, "prompt tokens and context use reported (%d, %d)",
       done.n_prompt, done.ctx_used);
    ok(done.stats.n_tokens == done.n_gen, "statistics count the generated tokens (%ld)", done.stats.n_tokens);

    /* The same text as the one-shot command with the same template. */
    {
        char *cmd = xasprintf("%s/ternchat generate -m %s --chat-template chatml --system 'be brief' "
                              "-p 'hello there' -n 24 --temp 0 -t 1 2>/dev/null", builddir, big);
        FILE *p = popen(cmd, "r");
        char buf[8192];
        size_t n = p ? fread(buf, 1, sizeof buf - 1, p) : 0;

        if (p)
            pclose(p);
        buf[n] = '\0';
        if (n > 0 && buf[n - 1] == '\n' && (strlen(text) == 0 || text[strlen(text) - 1] != '\n'))
            buf[n - 1] = '\0';
        ok(strcmp(buf, text) == 0, "engine reply equals `ternchat generate` greedy output");
        if (strcmp(buf, text) != 0)
            diag("engine: [%s]\n# generate: [%s]", text, buf);
        free(cmd);
    }
    engine_event_clear(&done);

    /* 3. The next turn reuses the cached prefix. */
    {
        chat_msg m[] = { { "system", "be brief" }, { "user", "hello there" }, { "assistant", text },
                         { "user", "and again" } };

        id = engine_generate(e, m, 4, &sp, &pp, 8);
    }
    text2 = collect(e, id, &done, &order_ok, NULL);
    ok(done.type == ENGINE_EV_DONE && done.n_prompt > 0 && done.n_prompt < done.ctx_used - done.n_gen,
       "second turn processes only the new tokens (%d of %d)", done.n_prompt, done.ctx_used - done.n_gen);
    engine_event_clear(&done);
    free(text2);
    free(text);

    /* 4. Cancel stops a long reply within a round; the text so far stays. */
    {
        chat_msg m[] = { { "user", "tell me everything" } };
        int got_piece = 0;

        id = engine_generate(e, m, 1, &sp, &pp, -1);
        while (next(e, &ev)) {
            if (ev.type == ENGINE_EV_PIECE && !got_piece) {
                got_piece = 1;
                engine_cancel(e);
            }
            if (ev.type == ENGINE_EV_DONE) {
                done = ev;
                break;
            }
            engine_event_clear(&ev);
        }
        ok(got_piece && done.state == ENGINE_REPLY_STOPPED, "cancel: DONE with state stopped");
        ok(done.n_gen < 200, "cancel took effect quickly (%d tokens)", done.n_gen);
        engine_event_clear(&done);
    }
    /* A queued request is dropped by cancel too. */
    {
        chat_msg m[] = { { "user", "one" } };
        uint64_t a = engine_generate(e, m, 1, &sp, &pp, -1);
        uint64_t b = engine_generate(e, m, 1, &sp, &pp, 5);
        int done_a = 0, done_b = 0;

        engine_cancel(e);
        while ((!done_a || !done_b) && next(e, &ev)) {
            if (ev.type == ENGINE_EV_DONE && ev.req == a)
                done_a = 1;
            if (ev.type == ENGINE_EV_DONE && ev.req == b)
                done_b = ev.state == ENGINE_REPLY_STOPPED ? 1 : 2;
            engine_event_clear(&ev);
        }
        ok(done_a && done_b == 1, "cancel answers the running and the queued request as stopped");
    }
    /* The pipe is readable exactly while events wait. */
    {
        struct pollfd pfd = { engine_fd(e), POLLIN, 0 };
        chat_msg m[] = { { "user", "x" } };

        ok(poll(&pfd, 1, 0) == 0, "no events: the pipe is not readable");
        id = engine_generate(e, m, 1, &sp, &pp, 2);
        ok(poll(&pfd, 1, 60000) == 1, "an event makes the pipe readable");
        text = collect(e, id, &done, &order_ok, NULL);
        engine_event_clear(&done);
        free(text);
        pfd.revents = 0;
        ok(poll(&pfd, 1, 0) == 0, "all events read: the pipe is drained");
    }
    /* 5. Shutdown in the middle of a reply. */
    {
        chat_msg m[] = { { "user", "go on forever" } };

        engine_generate(e, m, 1, &sp, &pp, -1);
        while (next(e, &ev)) {
            int t = ev.type;

            engine_event_clear(&ev);
            if (t == ENGINE_EV_PIECE)
                break;
        }
        engine_stop(e);
        ok(1, "engine_stop during a reply returns");
    }

    /* 6. Overflow: drop the oldest turns (default), or refuse. */
    {
        static const char *filler = "one two three";
        chat_msg m[8];
        int i;

        for (i = 0; i < 7; i++) {
            m[i].role = i % 2 == 0 ? "user" : "assistant";
            m[i].content = filler;
        }
        m[0].role = "system";
        m[0].content = "sys";
        m[7].role = "user";
        m[7].content = "last";
        memset(&cfg, 0, sizeof cfg);
        cfg.target_path = small;
        e = engine_start(&cfg, err, sizeof err);
        wait_loaded(e, msg, sizeof msg);
        id = engine_generate(e, m, 8, &sp, &pp, 4);
        text = collect(e, id, &done, &order_ok, &nctx);
        ok(nctx >= 1 && done.state != ENGINE_REPLY_ERROR, "drop strategy: a CONTEXT event, then the reply (state %d)", done.state);
        if (done.text != NULL)
            diag("%s", done.text);
        ok(done.ctx_used <= done.n_ctx, "the prompt fits after dropping (%d of %d)", done.ctx_used, done.n_ctx);
        engine_event_clear(&done);
        free(text);
        engine_stop(e);

        cfg.overflow = ENGINE_OVERFLOW_STOP;
        e = engine_start(&cfg, err, sizeof err);
        wait_loaded(e, msg, sizeof msg);
        id = engine_generate(e, m, 8, &sp, &pp, 4);
        text = collect(e, id, &done, &order_ok, &nctx);
        ok(nctx == 1 && done.state == ENGINE_REPLY_ERROR, "stop strategy: a CONTEXT event and the request is refused");
        contains(done.text, "no longer fits", "the message says the conversation does not fit");
        engine_event_clear(&done);
        free(text);
        engine_stop(e);
    }

    unlink(small);
    unlink(big);
    free(small);
    free(big);
    rmdir(tmpdir);
    free(tmpdir);
    return done_testing();
}
