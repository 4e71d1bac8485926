/* engine.c: the engine thread and its two queues. Requests (generate,
 * re-quantize, shut down) go into a locked list the thread waits on;
 * events go into another locked list, and a byte in a pipe tells the
 * front-end that list is not empty (the pipe holds a byte exactly while
 * events wait, so poll() on engine_fd() is level-triggered). Cancelling is
 * an atomic flag the thread checks between rounds. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "engine_int.h"
#include "xmalloc.h"

/* ---- event queue ---- */

void
engine_post(engine *e, engine_event *ev)
{
    struct engine_evnode *node = xmalloc(sizeof *node);
    int was_empty;

    node->ev = *ev;
    node->next = NULL;
    memset(ev, 0, sizeof *ev);
    pthread_mutex_lock(&e->ev_lock);
    was_empty = e->ev_head == NULL;
    if (was_empty)
        e->ev_head = node;
    else
        e->ev_tail->next = node;
    e->ev_tail = node;
    if (was_empty) {
        ssize_t r;

        do
            r = write(e->pipe_fd[1], "e", 1);
        while (r < 0 && errno == EINTR);
    }
    pthread_cond_broadcast(&e->ev_cond);
    pthread_mutex_unlock(&e->ev_lock);
}

void
engine_post_text(engine *e, int type, uint64_t req, const char *text, size_t len)
{
    engine_event ev;

    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.req = req;
    if (text != NULL) {
        ev.text = xmalloc(len + 1);
        memcpy(ev.text, text, len);
        ev.text[len] = '\0';
        ev.len = len;
    }
    ev.n_ctx = e->n_ctx;
    engine_post(e, &ev);
}

void
engine_post_progress(engine *e, uint64_t req, const char *what, double progress)
{
    engine_event ev;

    memset(&ev, 0, sizeof ev);
    ev.type = ENGINE_EV_PROGRESS;
    ev.req = req;
    ev.text = xstrdup(what);
    ev.len = strlen(what);
    ev.progress = progress;
    engine_post(e, &ev);
}

/* Pop one event; the caller holds ev_lock. */
static int
ev_pop_locked(engine *e, engine_event *ev)
{
    struct engine_evnode *node = e->ev_head;

    if (node == NULL)
        return 0;
    e->ev_head = node->next;
    if (e->ev_head == NULL) {
        char buf[64];

        e->ev_tail = NULL;
        while (read(e->pipe_fd[0], buf, sizeof buf) > 0)
            ;
    }
    *ev = node->ev;
    free(node);
    return 1;
}

int
engine_next(engine *e, engine_event *ev)
{
    int r;

    pthread_mutex_lock(&e->ev_lock);
    r = ev_pop_locked(e, ev);
    pthread_mutex_unlock(&e->ev_lock);
    return r;
}

int
engine_wait(engine *e, engine_event *ev, int timeout_ms)
{
    struct timespec deadline;
    int r;

    clock_gettime(CLOCK_REALTIME, &deadline);
    if (timeout_ms > 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&e->ev_lock);
    while ((r = ev_pop_locked(e, ev)) == 0 && timeout_ms != 0) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&e->ev_cond, &e->ev_lock);
        } else if (pthread_cond_timedwait(&e->ev_cond, &e->ev_lock, &deadline) == ETIMEDOUT) {
            r = ev_pop_locked(e, ev);
            break;
        }
    }
    pthread_mutex_unlock(&e->ev_lock);
    return r;
}

void
engine_event_clear(engine_event *ev)
{
    free(ev->text);
    memset(ev, 0, sizeof *ev);
}

int
engine_fd(const engine *e)
{
    return e->pipe_fd[0];
}

/* ---- request queue ---- */

static uint64_t
req_push(engine *e, struct engine_req *r)
{
    uint64_t id;

    pthread_mutex_lock(&e->req_lock);
    id = r->id = ++e->next_id;
    r->next = NULL;
    if (e->req_tail == NULL)
        e->req_head = r;
    else
        e->req_tail->next = r;
    e->req_tail = r;
    pthread_cond_signal(&e->req_cond);
    pthread_mutex_unlock(&e->req_lock);
    return id;
}

void
engine_req_free(struct engine_req *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n_msgs; i++) {
        free((char *)r->msgs[i].role);
        free((char *)r->msgs[i].content);
    }
    free(r->msgs);
    free(r);
}

uint64_t
engine_generate(engine *e, const chat_msg *msgs, size_t n, const sampler_params *sp,
                const spec_params *pp, int n_predict)
{
    struct engine_req *r = xcalloc(1, sizeof *r);
    size_t i;

    r->type = ENGINE_REQ_GENERATE;
    r->msgs = xcalloc(n ? n : 1, sizeof *r->msgs);
    for (i = 0; i < n; i++) {
        r->msgs[i].role = xstrdup(msgs[i].role);
        r->msgs[i].content = xstrdup(msgs[i].content);
    }
    r->n_msgs = n;
    r->sp = *sp;
    r->pp = *pp;
    r->n_predict = n_predict;
    return req_push(e, r);
}

uint64_t
engine_set_quant(engine *e, int qtype)
{
    struct engine_req *r = xcalloc(1, sizeof *r);

    r->type = ENGINE_REQ_QUANT;
    r->qtype = qtype;
    return req_push(e, r);
}

void
engine_cancel(engine *e)
{
    struct engine_req **pp, *r;

    pthread_mutex_lock(&e->req_lock);
    atomic_store(&e->cancel, 1);
    /* Queued replies are dropped too; the user asked to stop. */
    for (pp = &e->req_head; (r = *pp) != NULL;) {
        if (r->type == ENGINE_REQ_GENERATE) {
            *pp = r->next;
            engine_post_done_cancelled(e, r->id);
            engine_req_free(r);
        } else {
            pp = &r->next;
        }
    }
    e->req_tail = NULL;
    for (r = e->req_head; r != NULL; r = r->next)
        e->req_tail = r;
    pthread_mutex_unlock(&e->req_lock);
}

/* Take the next request, waiting for one. */
static struct engine_req *
req_take(engine *e)
{
    struct engine_req *r;

    pthread_mutex_lock(&e->req_lock);
    while (e->req_head == NULL && !e->shutdown)
        pthread_cond_wait(&e->req_cond, &e->req_lock);
    r = e->req_head;
    if (r != NULL && !e->shutdown) {
        e->req_head = r->next;
        if (e->req_head == NULL)
            e->req_tail = NULL;
        /* A cancel only concerns the reply running when it came. */
        atomic_store(&e->cancel, 0);
    } else {
        r = NULL;
    }
    pthread_mutex_unlock(&e->req_lock);
    return r;
}

/* ---- the thread ---- */

static void *
engine_main(void *arg)
{
    engine *e = arg;
    struct engine_req *r;

    engine_load(e);
    while ((r = req_take(e)) != NULL) {
        switch (r->type) {
        case ENGINE_REQ_GENERATE:
            engine_run_generate(e, r);
            break;
        case ENGINE_REQ_QUANT:
            engine_run_quant(e, r);
            break;
        }
        engine_req_free(r);
    }
    return NULL;
}

engine *
engine_start(const engine_config *cfg, char *err, size_t errsz)
{
    engine *e = xcalloc(1, sizeof *e);
    int i;

    e->cfg = *cfg;
    e->cfg.target_path = cfg->target_path ? xstrdup(cfg->target_path) : NULL;
    e->cfg.draft_path = cfg->draft_path ? xstrdup(cfg->draft_path) : NULL;
    e->cfg.chat_template = cfg->chat_template ? xstrdup(cfg->chat_template) : NULL;
    if (pipe(e->pipe_fd) != 0) {
        snprintf(err, errsz, "engine: cannot create a pipe: %s", strerror(errno));
        free(e);
        return NULL;
    }
    for (i = 0; i < 2; i++) {
        fcntl(e->pipe_fd[i], F_SETFL, fcntl(e->pipe_fd[i], F_GETFL) | O_NONBLOCK);
        fcntl(e->pipe_fd[i], F_SETFD, FD_CLOEXEC);
    }
    pthread_mutex_init(&e->ev_lock, NULL);
    pthread_cond_init(&e->ev_cond, NULL);
    pthread_mutex_init(&e->req_lock, NULL);
    pthread_cond_init(&e->req_cond, NULL);
    atomic_init(&e->cancel, 0);
    if (pthread_create(&e->thread, NULL, engine_main, e) != 0) {
        snprintf(err, errsz, "engine: cannot start its thread");
        close(e->pipe_fd[0]);
        close(e->pipe_fd[1]);
        free(e);
        return NULL;
    }
    return e;
}

void
engine_stop(engine *e)
{
    struct engine_req *r;
    engine_event ev;

    if (e == NULL)
        return;
    pthread_mutex_lock(&e->req_lock);
    e->shutdown = 1;
    atomic_store(&e->cancel, 1);
    pthread_cond_signal(&e->req_cond);
    pthread_mutex_unlock(&e->req_lock);
    pthread_join(e->thread, NULL);

    while ((r = e->req_head) != NULL) {
        e->req_head = r->next;
        engine_req_free(r);
    }
    while (engine_next(e, &ev))
        engine_event_clear(&ev);
    engine_unload(e);
    close(e->pipe_fd[0]);
    close(e->pipe_fd[1]);
    pthread_mutex_destroy(&e->ev_lock);
    pthread_cond_destroy(&e->ev_cond);
    pthread_mutex_destroy(&e->req_lock);
    pthread_cond_destroy(&e->req_cond);
    free((char *)e->cfg.target_path);
    free((char *)e->cfg.draft_path);
    free((char *)e->cfg.chat_template);
    free(e);
}
