/* engine_int.h: the engine's internals, shared by engine.c (thread and
 * queues) and engine_run.c (what the thread does with each request). */
#ifndef TERNCHAT_ENGINE_INT_H
#define TERNCHAT_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine.h"
#include "model.h"
#include "spec.h"
#include "tok.h"

/* Kinds of requests. */
enum engine_req_type {
    ENGINE_REQ_GENERATE = 1, /* reply to a conversation */
    ENGINE_REQ_QUANT         /* re-quantize the target */
};

/* One queued request. */
struct engine_req {
    int type;                /* enum engine_req_type */
    uint64_t id;             /* echoed in events */
    chat_msg *msgs;          /* GENERATE: the conversation (strings owned) */
    size_t n_msgs;           /* GENERATE: messages */
    sampler_params sp;       /* GENERATE: sampling */
    spec_params pp;          /* GENERATE: speculation */
    int n_predict;           /* GENERATE: token limit, -1 none */
    int qtype;               /* QUANT: weight type wanted */
    int finish;              /* QUANT: posted by the background conversion when it
                              * ends: install its result (no new conversion) */
    struct engine_req *next; /* queue link */
};

/* One queued event. */
struct engine_evnode {
    engine_event ev;           /* the event */
    struct engine_evnode *next; /* queue link */
};

struct engine {
    engine_config cfg;            /* settings (strings owned) */
    pthread_t thread;             /* the engine thread */
    int pipe_fd[2];               /* wake-up pipe: [0] polled by the front-end */

    pthread_mutex_t ev_lock;      /* guards the event queue */
    pthread_cond_t ev_cond;       /* signalled on each event (engine_wait) */
    struct engine_evnode *ev_head; /* oldest event */
    struct engine_evnode *ev_tail; /* newest event */

    pthread_mutex_t req_lock;     /* guards the request queue and shutdown */
    pthread_cond_t req_cond;      /* signalled on each request */
    struct engine_req *req_head;  /* next request */
    struct engine_req *req_tail;  /* last request */
    uint64_t next_id;             /* last request id given */
    int shutdown;                 /* engine_stop was called */
    atomic_int cancel;            /* stop the current reply */

    /* Owned by the engine thread alone: */
    model *target;                /* target model */
    model *draft;                 /* draft model or NULL */
    model_ctx *tctx;              /* target KV cache */
    model_ctx *dctx;              /* draft KV cache or NULL */
    tok *tk;                      /* the target's tokenizer */
    spec *sp;                     /* decoder owning the conversation's tokens */
    int tmpl;                     /* chat template id */
    int n_ctx;                    /* context size */
    int loaded;                   /* models are ready */
    char *load_error;             /* why loading failed, or NULL */
    int quant_cur;                /* weight type the target runs on (asked for) */

    /* The background re-quantization (engine_run.c). The engine thread
     * starts and joins it; the fields below are written by the conversion
     * thread only before quant_done is set. */
    pthread_t quant_thread;       /* the conversion thread */
    int quant_active;             /* a conversion was started and not yet joined */
    atomic_int quant_done;        /* it has ended: quant_result / quant_err are final */
    atomic_int quant_abort;       /* ask it to stop (shutdown, a newer request) */
    uint64_t quant_req;           /* id of the request it serves */
    int quant_type;               /* type it builds */
    model_weights *quant_result;  /* the built set, NULL on failure */
    char quant_err[256];          /* why it failed */
    double quant_posted;          /* when it last posted progress (its own clock) */
};

/* engine.c */
void engine_post(engine *e, engine_event *ev);
void engine_post_text(engine *e, int type, uint64_t req, const char *text, size_t len);
void engine_post_progress(engine *e, uint64_t req, const char *what, double progress);
void engine_req_free(struct engine_req *r);

/* engine_run.c */
void engine_load(engine *e);
void engine_unload(engine *e);
void engine_run_generate(engine *e, struct engine_req *r);
void engine_run_quant(engine *e, struct engine_req *r);
void engine_post_done_cancelled(engine *e, uint64_t req);

#endif
