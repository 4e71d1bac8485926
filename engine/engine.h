/* engine.h: the engine thread. It owns the models and everything that
 * runs them; a front-end (the chat screen, the line-mode chat, tests)
 * talks to it only through requests, which are queued, and events, which
 * the engine posts to a locked queue and signals through a pipe that the
 * front-end polls together with its input:
 *
 *     e = engine_start(&cfg, err, sizeof err);
 *     poll({ stdin, engine_fd(e) }) ...
 *     while (engine_next(e, &ev)) { handle(&ev); engine_event_clear(&ev); }
 *     engine_generate(e, msgs, n, &sp, &pp);  ...  engine_cancel(e);
 *     engine_stop(e);
 *
 * The engine keeps the KV cache of the conversation it last ran and only
 * processes what changed: a request whose rendered prompt shares a prefix
 * with the cached tokens reuses that prefix (the next turn, a regenerated
 * reply, an edited message). */
#ifndef TERNCHAT_ENGINE_H
#define TERNCHAT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "chat.h"
#include "sampler.h"
#include "spec.h"

/* What to do when a conversation no longer fits the context window. */
enum engine_overflow {
    ENGINE_OVERFLOW_DROP = 0, /* drop the oldest turns after the system prompt (default) */
    ENGINE_OVERFLOW_STOP = 1  /* refuse the request with an ENGINE_EV_CONTEXT event */
};

/* How the engine is set up. Strings are copied by engine_start. */
typedef struct engine_config {
    const char *target_path;   /* the target model (GGUF) */
    const char *draft_path;    /* the draft model, or NULL */
    int n_ctx;                 /* context size; 0: the target's, capped at 4096 */
    int n_threads;             /* threads for forward passes; 0: online CPUs */
    const char *chat_template; /* built-in template name, or NULL: the model's */
    int overflow;              /* enum engine_overflow */
} engine_config;

/* Kinds of events. */
enum engine_ev_type {
    ENGINE_EV_LOADED = 1,  /* models are ready; text: a one-line description */
    ENGINE_EV_PROGRESS,    /* text: what ("loading", "prompt", "quantizing"); progress 0..1 */
    ENGINE_EV_PIECE,       /* text: the next piece of the reply (whole UTF-8 characters) */
    ENGINE_EV_DONE,        /* the reply ended: state, stats, n_prompt, n_gen, ctx_used */
    ENGINE_EV_CONTEXT,     /* text: the conversation overflowed and what was done about it */
    ENGINE_EV_QUANT,       /* quant_type: the target now runs on this weight type */
    ENGINE_EV_ERROR        /* text: a failure (loading, a request that could not run) */
};

/* How a reply ended (ENGINE_EV_DONE). */
enum engine_reply_state {
    ENGINE_REPLY_COMPLETE = 0, /* the model ended its turn */
    ENGINE_REPLY_STOPPED = 1,  /* cancelled, or the token limit / context was reached */
    ENGINE_REPLY_ERROR = 2     /* something failed; text says what */
};

/* One event. text is owned by the event: release with engine_event_clear. */
typedef struct engine_event {
    int type;           /* enum engine_ev_type */
    uint64_t req;       /* id of the request it belongs to (0: none) */
    char *text;         /* see enum engine_ev_type; may be NULL */
    size_t len;         /* bytes of text */
    double progress;    /* ENGINE_EV_PROGRESS: 0..1 */
    int state;          /* ENGINE_EV_DONE: enum engine_reply_state */
    int quant_type;     /* ENGINE_EV_QUANT, ENGINE_EV_LOADED: enum qtype of the target */
    int n_prompt;       /* ENGINE_EV_DONE: prompt tokens processed (not reused) */
    int n_gen;          /* ENGINE_EV_DONE: tokens generated */
    int ctx_used;       /* ENGINE_EV_DONE, ENGINE_EV_CONTEXT: tokens in the context */
    int n_ctx;          /* the context size */
    int n_accepted_last; /* ENGINE_EV_PIECE: of this piece's tokens, how many the draft proposed */
    spec_stats stats;   /* ENGINE_EV_DONE: speed and speculation statistics */
    double t_prompt;    /* ENGINE_EV_DONE: seconds processing the prompt */
} engine_event;

typedef struct engine engine;

/* Start the engine thread. The models load in that thread (progress and
 * then ENGINE_EV_LOADED or ENGINE_EV_ERROR events). Returns NULL with a
 * message only if the thread or the pipe cannot be created. */
engine *engine_start(const engine_config *cfg, char *err, size_t errsz);
/* Shut down: cancel what runs, wait for the thread, free everything.
 * Events not yet read are dropped. */
void engine_stop(engine *e);

/* The read end of the wake-up pipe: readable while events wait. */
int engine_fd(const engine *e);
/* Take the next event, if any: returns 1 and fills ev, or 0. */
int engine_next(engine *e, engine_event *ev);
/* Like engine_next, but wait up to timeout_ms (-1: forever) for one. */
int engine_wait(engine *e, engine_event *ev, int timeout_ms);
void engine_event_clear(engine_event *ev);

/* Requests; each returns its id (> 0), echoed in the events it causes.
 * Generate a reply to a conversation (messages in order; the last one is
 * normally the user's), with these sampling and speculation settings and
 * at most n_predict tokens (-1: until the model ends its turn or the
 * context is full). A request waits for the one before it. */
uint64_t engine_generate(engine *e, const chat_msg *msgs, size_t n, const sampler_params *sp,
                         const spec_params *pp, int n_predict);
/* Stop the reply being generated (and drop queued generate requests);
 * the engine answers with ENGINE_EV_DONE, state ENGINE_REPLY_STOPPED, and
 * the text produced so far stays valid. */
void engine_cancel(engine *e);
/* Re-quantize the target to another weight type (enum qtype) in the
 * background; progress events, then ENGINE_EV_QUANT when it runs on the
 * new weights. */
uint64_t engine_set_quant(engine *e, int qtype);

#endif
