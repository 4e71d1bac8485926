/* engine_run.c: what the engine thread does: load the models, answer a
 * generate request (render the conversation with the chat template, reuse
 * the cached prefix, fit the context, stream the reply through the
 * speculative decoder), and re-quantize the target: a conversion thread
 * builds the new weights from the loaded ones while replies go on; the
 * engine thread installs them between replies, frees the old ones and
 * recomputes the conversation's KV cache on the new weights. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"
#include "qtype.h"
#include "xmalloc.h"

#define ENGINE_FEED_CHUNK 256 /* prompt tokens per forward pass (cancel and progress between) */
#define ENGINE_REPLY_ROOM 32  /* tokens a prompt must leave free for the reply */

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
engine_is_eog(void *ud, int32_t id)
{
    return tok_is_eog(ud, id);
}

void
engine_post_done_cancelled(engine *e, uint64_t req)
{
    engine_event ev;

    memset(&ev, 0, sizeof ev);
    ev.type = ENGINE_EV_DONE;
    ev.req = req;
    ev.state = ENGINE_REPLY_STOPPED;
    ev.n_ctx = e->n_ctx;
    engine_post(e, &ev);
}

/* A DONE event with state ERROR and a message. */
static void
post_done_error(engine *e, uint64_t req, const char *msg)
{
    engine_event ev;

    memset(&ev, 0, sizeof ev);
    ev.type = ENGINE_EV_DONE;
    ev.req = req;
    ev.state = ENGINE_REPLY_ERROR;
    ev.text = xstrdup(msg);
    ev.len = strlen(msg);
    ev.n_ctx = e->n_ctx;
    engine_post(e, &ev);
}

/* ---- loading ---- */

static int
load_models(engine *e, char *err, size_t errsz)
{
    sampler_params sp;
    spec_params pp;
    const model_info *ti;
    char desc[512];

    e->target = model_load(e->cfg.target_path, err, errsz);
    if (e->target == NULL)
        return -1;
    (void)model_weights_copy_in(e->target); /* big weights out of the mapping */
    if (gguf_find_kv(model_gguf(e->target), "tokenizer.ggml.model") < 0) {
        snprintf(err, errsz, "%s has no tokenizer (no tokenizer.ggml.model key); a chat needs one",
                 e->cfg.target_path);
        return -1;
    }
    e->tk = tok_load(model_gguf(e->target), err, errsz);
    if (e->tk == NULL)
        return -1;
    e->tmpl = chat_for_model(model_gguf(e->target), e->cfg.chat_template, err, errsz);
    if (e->tmpl == CHAT_UNKNOWN)
        return -1;
    engine_post_progress(e, 0, "loading", 0.5);
    if (e->cfg.draft_path != NULL) {
        e->draft = model_load(e->cfg.draft_path, err, errsz);
        if (e->draft == NULL)
            return -1;
        if (spec_check_pair(e->target, e->draft, err, errsz) != 0)
            return -1;
    }
    e->tctx = model_ctx_new(e->target, e->cfg.n_ctx, err, errsz);
    if (e->tctx == NULL)
        return -1;
    e->n_ctx = model_ctx_n_ctx(e->tctx);
    if (e->draft != NULL) {
        e->dctx = model_ctx_new(e->draft, e->n_ctx, err, errsz);
        if (e->dctx == NULL)
            return -1;
    }
    if (e->cfg.n_threads > 0) {
        model_ctx_set_threads(e->tctx, e->cfg.n_threads);
        if (e->dctx != NULL)
            model_ctx_set_threads(e->dctx, e->cfg.n_threads);
    } else {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        model_ctx_set_threads(e->tctx, n > 0 ? (int)n : 1);
        if (e->dctx != NULL)
            model_ctx_set_threads(e->dctx, n > 0 ? (int)n : 1);
    }
    sampler_params_default(&sp);
    spec_params_default(&pp);
    e->sp = spec_new(e->target, e->tctx, e->draft, e->dctx, &sp, &pp, err, errsz);
    if (e->sp == NULL)
        return -1;
    spec_set_stop(e->sp, engine_is_eog, e->tk);

    ti = model_get_info(e->target);
    e->quant_cur = model_loaded_type(e->target);
    snprintf(desc, sizeof desc, "target %s (%s, %s)%s%s, template %s, context %d",
             e->cfg.target_path, ti->arch_name, qtype_name(ti->weight_type) ? qtype_name(ti->weight_type) : "?",
             e->draft ? ", draft " : "", e->draft ? e->cfg.draft_path : "",
             chat_name(e->tmpl), e->n_ctx);
    {
        engine_event ev;

        memset(&ev, 0, sizeof ev);
        ev.type = ENGINE_EV_LOADED;
        ev.text = xstrdup(desc);
        ev.len = strlen(desc);
        ev.quant_type = ti->weight_type;
        ev.n_ctx = e->n_ctx;
        engine_post(e, &ev);
    }
    return 0;
}

void
engine_load(engine *e)
{
    char err[512];

    engine_post_progress(e, 0, "loading", 0.0);
    if (e->cfg.target_path == NULL) {
        snprintf(err, sizeof err, "no target model given");
    } else if (load_models(e, err, sizeof err) == 0) {
        e->loaded = 1;
        return;
    }
    e->load_error = xstrdup(err);
    engine_post_text(e, ENGINE_EV_ERROR, 0, err, strlen(err));
}

static void quant_stop(engine *e);

void
engine_unload(engine *e)
{
    engine_event ev;

    quant_stop(e);
    /* what the conversion thread posted after engine_stop emptied the queue */
    while (engine_next(e, &ev))
        engine_event_clear(&ev);
    spec_free(e->sp);
    model_ctx_free(e->dctx);
    model_ctx_free(e->tctx);
    model_free(e->draft);
    model_free(e->target);
    tok_free(e->tk);
    free(e->load_error);
    e->sp = NULL;
    e->dctx = e->tctx = NULL;
    e->draft = e->target = NULL;
    e->tk = NULL;
    e->load_error = NULL;
}

static void quant_install(engine *e);
static void quant_take_requests(engine *e);

/* ---- generate ---- */

/* Render msgs[first..] (plus msgs[0] when it is a system message kept in
 * front) and tokenize. Returns 0 or -1 with a message. */
static int
render(engine *e, const struct engine_req *r, size_t first, tok_ids *ids, char *err, size_t errsz)
{
    chat_msg *m = xcalloc(r->n_msgs + 1, sizeof *m);
    size_t n = 0, i, len;
    char *text;
    int rc;

    if (r->n_msgs > 0 && strcmp(r->msgs[0].role, "system") == 0 && first > 0)
        m[n++] = r->msgs[0];
    for (i = first; i < r->n_msgs; i++)
        m[n++] = r->msgs[i];
    text = chat_render(e->tmpl, m, n, 1, &len);
    free(m);
    ids->n = 0;
    rc = tok_encode(e->tk, text, len, TOK_ADD_BOS | TOK_PARSE_SPECIAL, ids, err, errsz);
    free(text);
    return rc;
}

/* Build the prompt of a request, dropping the oldest turns if it does not
 * fit (or refusing, per the overflow setting). Returns 0, or -1 after
 * posting the events that explain why. */
static int
build_prompt(engine *e, const struct engine_req *r, tok_ids *ids)
{
    char err[512], msg[512];
    size_t first = 0, n_fixed;
    int limit = e->n_ctx - ENGINE_REPLY_ROOM;

    n_fixed = r->n_msgs > 0 && strcmp(r->msgs[0].role, "system") == 0 ? 1 : 0;
    first = n_fixed;
    if (render(e, r, 0, ids, err, sizeof err) != 0) {
        post_done_error(e, r->id, err);
        return -1;
    }
    if ((int)ids->n <= limit)
        return 0;
    if (e->cfg.overflow == ENGINE_OVERFLOW_STOP) {
        engine_event ev;

        snprintf(msg, sizeof msg, "the conversation is %zu tokens and no longer fits the %d-token "
                 "context (with %d tokens left for the reply); nothing was sent: start a new "
                 "conversation or shorten this one", ids->n, e->n_ctx, ENGINE_REPLY_ROOM);
        memset(&ev, 0, sizeof ev);
        ev.type = ENGINE_EV_CONTEXT;
        ev.req = r->id;
        ev.text = xstrdup(msg);
        ev.len = strlen(msg);
        ev.ctx_used = (int)ids->n;
        ev.n_ctx = e->n_ctx;
        engine_post(e, &ev);
        post_done_error(e, r->id, msg);
        return -1;
    }
    /* Drop the oldest messages after the system prompt, keeping the last:
     * the fewest that make it fit, found by bisection (each try renders and
     * tokenizes the rest; one message at a time would cost O(messages x
     * tokens) per reply in a long conversation). */
    if (first + 1 < r->n_msgs) {
        size_t lo = first + 1, hi = r->n_msgs - 1, tried = 0;

        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;

            if (render(e, r, mid, ids, err, sizeof err) != 0) {
                post_done_error(e, r->id, err);
                return -1;
            }
            tried = mid;
            if ((int)ids->n <= limit)
                hi = mid;
            else
                lo = mid + 1;
        }
        first = lo;
        if (tried != first && render(e, r, first, ids, err, sizeof err) != 0) {
            post_done_error(e, r->id, err);
            return -1;
        }
    }
    if ((int)ids->n > limit) {
        snprintf(msg, sizeof msg, "the last message alone is %zu tokens with the template; the "
                 "context holds %d (with %d left for the reply): shorten it or raise the context "
                 "size", ids->n, e->n_ctx, ENGINE_REPLY_ROOM);
        post_done_error(e, r->id, msg);
        return -1;
    }
    {
        engine_event ev;

        snprintf(msg, sizeof msg, "the conversation no longer fits the %d-token context: the %zu "
                 "oldest message%s left out of what the model sees%s", e->n_ctx, first - n_fixed,
                 first - n_fixed == 1 ? " is" : "s are", n_fixed ? " (the system prompt is kept)" : "");
        memset(&ev, 0, sizeof ev);
        ev.type = ENGINE_EV_CONTEXT;
        ev.req = r->id;
        ev.text = xstrdup(msg);
        ev.len = strlen(msg);
        ev.ctx_used = (int)ids->n;
        ev.n_ctx = e->n_ctx;
        engine_post(e, &ev);
    }
    return 0;
}

/* Reuse the longest cached prefix, then feed the rest in chunks. Returns
 * the number of tokens processed, -1 on error (posted), -2 if cancelled. */
static int
feed_prompt(engine *e, const struct engine_req *r, const tok_ids *ids)
{
    char err[512];
    int nh, lcp = 0, pos, total;
    const int32_t *hist = spec_tokens(e->sp, &nh);

    while (lcp < nh && (size_t)lcp < ids->n && hist[lcp] == ids->v[lcp])
        lcp++;
    if ((size_t)lcp == ids->n)
        lcp--; /* feed at least the last token so that the next round has logits */
    if (spec_truncate(e->sp, lcp) != 0) {
        post_done_error(e, r->id, "internal error: cannot truncate the cache");
        return -1;
    }
    total = (int)ids->n - lcp;
    for (pos = lcp; (size_t)pos < ids->n; pos += ENGINE_FEED_CHUNK) {
        int n = (int)ids->n - pos < ENGINE_FEED_CHUNK ? (int)ids->n - pos : ENGINE_FEED_CHUNK;

        if (atomic_load(&e->cancel))
            return -2;
        if (total > ENGINE_FEED_CHUNK)
            engine_post_progress(e, r->id, "prompt", (double)(pos - lcp) / total);
        if (spec_feed(e->sp, ids->v + pos, n, err, sizeof err) != 0) {
            post_done_error(e, r->id, err);
            return -1;
        }
    }
    return total;
}

void
engine_run_generate(engine *e, struct engine_req *r)
{
    char err[512];
    tok_ids ids = { 0 };
    tok_stream *ts = NULL;
    engine_event ev;
    int32_t out[SPEC_DRAFT_LIMIT + 1];
    int n_fed, n_gen = 0, state = ENGINE_REPLY_STOPPED, failed = 0;
    long accepted_before;
    double t0;
    spec_stats st;

    if (!e->loaded) {
        post_done_error(e, r->id, e->load_error ? e->load_error : "the models are not loaded");
        return;
    }
    quant_install(e); /* a conversion that ended while idle: this reply uses it */
    if (spec_configure(e->sp, &r->sp, &r->pp, err, sizeof err) != 0) {
        post_done_error(e, r->id, err);
        return;
    }
    if (build_prompt(e, r, &ids) != 0)
        goto out;
    t0 = now_s();
    n_fed = feed_prompt(e, r, &ids);
    if (n_fed == -1)
        goto out;
    spec_stats_reset(e->sp);
    memset(&ev, 0, sizeof ev);
    ev.t_prompt = now_s() - t0;
    if (n_fed == -2)
        goto done;

    ts = tok_stream_new(e->tk, 0);
    for (;;) {
        int cap = SPEC_DRAFT_LIMIT + 1, n, i;
        char *piece = NULL;
        size_t plen = 0, len;
        const char *p;

        if (atomic_load(&e->cancel))
            break;
        if (r->n_predict >= 0 && n_gen >= r->n_predict)
            break;
        quant_take_requests(e); /* a switch asked for during the reply starts now */
        if (spec_full(e->sp)) {
            char msg[160];

            snprintf(msg, sizeof msg, "the reply stopped: the %d-token context is full", e->n_ctx);
            engine_post_text(e, ENGINE_EV_CONTEXT, r->id, msg, strlen(msg));
            break;
        }
        if (r->n_predict >= 0 && r->n_predict - n_gen < cap)
            cap = r->n_predict - n_gen;
        spec_get_stats(e->sp, &st);
        accepted_before = st.n_accepted;
        n = spec_step(e->sp, out, cap, err, sizeof err);
        if (n < 0) {
            failed = 1;
            break;
        }
        if (n == 0)
            break;
        for (i = 0; i < n; i++) {
            n_gen++;
            if (tok_is_eog(e->tk, out[i])) {
                state = ENGINE_REPLY_COMPLETE;
                break;
            }
            p = tok_stream_push(ts, out[i], &len);
            if (len > 0) {
                piece = xrealloc(piece, plen + len + 1);
                memcpy(piece + plen, p, len);
                plen += len;
                piece[plen] = '\0';
            }
        }
        if (state == ENGINE_REPLY_COMPLETE) {
            p = tok_stream_flush(ts, &len);
            if (len > 0) {
                piece = xrealloc(piece, plen + len + 1);
                memcpy(piece + plen, p, len);
                plen += len;
                piece[plen] = '\0';
            }
        }
        if (plen > 0) {
            engine_event pe;

            spec_get_stats(e->sp, &st);
            memset(&pe, 0, sizeof pe);
            pe.type = ENGINE_EV_PIECE;
            pe.req = r->id;
            pe.text = piece;
            pe.len = plen;
            pe.n_accepted_last = (int)(st.n_accepted - accepted_before);
            pe.n_ctx = e->n_ctx;
            pe.ctx_used = spec_n_tokens(e->sp);
            engine_post(e, &pe);
        } else {
            free(piece);
        }
        if (state == ENGINE_REPLY_COMPLETE)
            break;
    }
    if (state != ENGINE_REPLY_COMPLETE && ts != NULL) {
        size_t len;
        const char *p = tok_stream_flush(ts, &len);

        if (len > 0)
            engine_post_text(e, ENGINE_EV_PIECE, r->id, p, len);
    }
    if (failed) {
        post_done_error(e, r->id, err);
        goto out;
    }
done:
    spec_get_stats(e->sp, &ev.stats);
    ev.type = ENGINE_EV_DONE;
    ev.req = r->id;
    ev.state = state;
    ev.n_prompt = n_fed < 0 ? 0 : n_fed;
    ev.n_gen = n_gen;
    ev.ctx_used = spec_n_tokens(e->sp);
    ev.n_ctx = e->n_ctx;
    ev.quant_type = model_get_info(e->target)->weight_type;
    engine_post(e, &ev);
out:
    tok_stream_free(ts);
    tok_ids_free(&ids);
    quant_install(e); /* after the reply: the next one runs on the new weights */
}

/* ---- re-quantization ---- */

#define QUANT_PROGRESS_S 0.25 /* seconds between progress events */

/* Progress of the conversion (its thread): events now and then; stop when
 * asked to. */
static int
quant_progress(void *ud, double done)
{
    engine *e = ud;
    double t = now_s();

    if (atomic_load(&e->quant_abort))
        return 1;
    if (t - e->quant_posted >= QUANT_PROGRESS_S && done < 1.0) {
        e->quant_posted = t;
        engine_post_progress(e, e->quant_req, "quantizing", done);
    }
    return 0;
}

/* The conversion thread: build the set, then ask the engine thread to
 * install it (a request, so that an idle engine wakes up). */
static void *
quant_main(void *arg)
{
    engine *e = arg;
    struct engine_req *r;
    char err[256];

#ifdef SYS_gettid
    /* below the generation threads: the reply being streamed comes first */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
    e->quant_posted = now_s();
    e->quant_result = model_weights_build(e->target, e->quant_type, 1, 1, quant_progress, e,
                                          err, sizeof err);
    if (e->quant_result == NULL)
        snprintf(e->quant_err, sizeof e->quant_err, "%s", err);
    atomic_store(&e->quant_done, 1);

    r = xcalloc(1, sizeof *r);
    r->type = ENGINE_REQ_QUANT;
    r->finish = 1;
    r->id = e->quant_req;
    r->qtype = e->quant_type;
    pthread_mutex_lock(&e->req_lock);
    if (e->shutdown) {
        free(r);
    } else {
        if (e->req_tail == NULL)
            e->req_head = r;
        else
            e->req_tail->next = r;
        e->req_tail = r;
        pthread_cond_signal(&e->req_cond);
    }
    pthread_mutex_unlock(&e->req_lock);
    return NULL;
}

/* Stop a running conversion and drop what it built. */
static void
quant_stop(engine *e)
{
    if (!e->quant_active)
        return;
    atomic_store(&e->quant_abort, 1);
    pthread_join(e->quant_thread, NULL);
    model_weights_free(e->quant_result);
    e->quant_result = NULL;
    e->quant_active = 0;
}

/* Feed the conversation's tokens again, so that the KV cache holds what
 * the new weights compute. Stops early on a cancel or shutdown (the next reply then
 * feeds the rest as an uncached prompt). */
static void
quant_refeed(engine *e, uint64_t req)
{
    int n, pos;
    const int32_t *h = spec_tokens(e->sp, &n);
    int32_t *toks;
    char err[256];

    if (n == 0)
        return;
    toks = xmalloc((size_t)n * sizeof *toks);
    memcpy(toks, h, (size_t)n * sizeof *toks);
    spec_truncate(e->sp, 0);
    for (pos = 0; pos < n; pos += ENGINE_FEED_CHUNK) {
        int k = n - pos < ENGINE_FEED_CHUNK ? n - pos : ENGINE_FEED_CHUNK;

        if (atomic_load(&e->cancel))
            break;
        if (n > ENGINE_FEED_CHUNK)
            engine_post_progress(e, req, "recomputing the context", (double)pos / n);
        if (spec_feed(e->sp, toks + pos, k, err, sizeof err) != 0) {
            spec_truncate(e->sp, 0);
            break;
        }
    }
    free(toks);
}

/* If the conversion has ended, install its result (no reply runs now):
 * swap the weights, free the old ones, recompute the cache, tell. */
static void
quant_install(engine *e)
{
    const model_info *in;
    model_weights *w;
    engine_event ev;
    char msg[512];
    double before;
    const char *note;

    if (!e->quant_active || !atomic_load(&e->quant_done))
        return;
    pthread_join(e->quant_thread, NULL);
    e->quant_active = 0;
    w = e->quant_result;
    e->quant_result = NULL;
    if (w == NULL) {
        snprintf(msg, sizeof msg, "switching the target to %s failed: %s",
                 qtype_name(e->quant_type), e->quant_err);
        engine_post_text(e, ENGINE_EV_ERROR, e->quant_req, msg, strlen(msg));
        return;
    }
    in = model_get_info(e->target);
    before = (double)in->weight_bytes;
    model_weights_free(model_weights_swap(e->target, w));
    e->quant_cur = e->quant_type;
    quant_refeed(e, e->quant_req);
    note = model_weights_note(w);
    snprintf(msg, sizeof msg, "the target now runs on %s weights (%.1f MiB, was %.1f MiB)%s%s",
             qtype_name(e->quant_type), (double)in->weight_bytes / (1024.0 * 1024.0),
             before / (1024.0 * 1024.0), note[0] ? "; " : "", note);
    memset(&ev, 0, sizeof ev);
    ev.type = ENGINE_EV_QUANT;
    ev.req = e->quant_req;
    ev.text = xstrdup(msg);
    ev.len = strlen(msg);
    ev.quant_type = e->quant_type;
    ev.n_ctx = e->n_ctx;
    ev.ctx_used = e->sp != NULL ? spec_n_tokens(e->sp) : 0;
    engine_post(e, &ev);
}

/* Start converting for request r (a reply may be running). */
static void
quant_start(engine *e, const struct engine_req *r)
{
    char msg[256];
    const char *name = qtype_name(r->qtype);

    if (!e->loaded) {
        snprintf(msg, sizeof msg, "cannot switch the weight type: %s",
                 e->load_error ? e->load_error : "the models are not loaded");
        engine_post_text(e, ENGINE_EV_ERROR, r->id, msg, strlen(msg));
        return;
    }
    if (!model_quant_supported(r->qtype) && r->qtype != model_loaded_type(e->target)) {
        snprintf(msg, sizeof msg, "cannot switch the target to %s: the types are %s, or the "
                 "loaded one (%s)", name ? name : "an unknown type",
                 model_quant_supported_names(), qtype_name(model_loaded_type(e->target)));
        engine_post_text(e, ENGINE_EV_ERROR, r->id, msg, strlen(msg));
        return;
    }
    quant_stop(e); /* a newer request replaces one still converting */
    if (r->qtype == e->quant_cur) {
        engine_event ev;

        snprintf(msg, sizeof msg, "the target already runs on %s weights", name);
        memset(&ev, 0, sizeof ev);
        ev.type = ENGINE_EV_QUANT;
        ev.req = r->id;
        ev.text = xstrdup(msg);
        ev.len = strlen(msg);
        ev.quant_type = r->qtype;
        ev.n_ctx = e->n_ctx;
        engine_post(e, &ev);
        return;
    }
    e->quant_req = r->id;
    e->quant_type = r->qtype;
    e->quant_result = NULL;
    e->quant_err[0] = '\0';
    atomic_store(&e->quant_done, 0);
    atomic_store(&e->quant_abort, 0);
    engine_post_progress(e, r->id, "quantizing", 0.0);
    if (pthread_create(&e->quant_thread, NULL, quant_main, e) != 0) {
        snprintf(msg, sizeof msg, "cannot start a thread to convert the weights to %s", name);
        engine_post_text(e, ENGINE_EV_ERROR, r->id, msg, strlen(msg));
        return;
    }
    e->quant_active = 1;
}

/* During a reply: take the switch requests out of the queue and start
 * them (the finishing requests of conversions stay queued). */
static void
quant_take_requests(engine *e)
{
    struct engine_req **pp, *r, *taken = NULL, **tail = &taken;

    pthread_mutex_lock(&e->req_lock);
    for (pp = &e->req_head; (r = *pp) != NULL;) {
        if (r->type == ENGINE_REQ_QUANT && !r->finish) {
            *pp = r->next;
            r->next = NULL;
            *tail = r;
            tail = &r->next;
        } else {
            pp = &r->next;
        }
    }
    e->req_tail = NULL;
    for (r = e->req_head; r != NULL; r = r->next)
        e->req_tail = r;
    pthread_mutex_unlock(&e->req_lock);
    while ((r = taken) != NULL) {
        taken = r->next;
        quant_start(e, r);
        engine_req_free(r);
    }
}

void
engine_run_quant(engine *e, struct engine_req *r)
{
    if (r->finish)
        quant_install(e);
    else
        quant_start(e, r);
}
