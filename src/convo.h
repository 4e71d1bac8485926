/* convo.h: one conversation as the front-ends see it: the messages of
 * its current branch in memory, kept in step with the SQLite store (when
 * there is one), sent to the engine, and the reply streamed back into both.
 * The chat screen and the line-mode chat share it. A failing store (read-
 * only file, full disk, lock) never stops the chat: the conversation goes
 * on in memory and convo_warning() says why it is not being saved. */
#ifndef TERNCHAT_CONVO_H
#define TERNCHAT_CONVO_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "store.h"

/* Where a conversation is saved and under which names. */
typedef struct convo_env {
    store *st;                /* the store, or NULL: memory only */
    int64_t session_id;       /* this program run's session (0: none) */
    const char *target_model; /* target model name recorded with replies */
    const char *draft_model;  /* draft model name, or NULL */
    const char *quant;        /* weight type the target runs on now ("f32", "q8_0"...) */
} convo_env;

/* One message of the current branch. */
typedef struct convo_msg {
    store_role role;   /* who wrote it */
    char *text;        /* its text */
    store_state state; /* complete, stopped, error, streaming */
    int64_t id;        /* store id (0: not saved) */
    int64_t tokens;    /* tokens of a reply (0: unknown) */
} convo_msg;

typedef struct convo convo;

/* A new, empty conversation (saved when its first message is added). env
 * must outlive the convo; its fields may change between calls (quant). */
convo *convo_new(const convo_env *env, const char *system_prompt);
/* An existing conversation's current branch. NULL with a message in err. */
convo *convo_open(const convo_env *env, int64_t id, char *err, size_t errsz);
void convo_free(convo *c);

int64_t convo_id(const convo *c);          /* store id (0: not saved yet) */
const char *convo_title(const convo *c);
const char *convo_system(const convo *c);  /* "" when none */
size_t convo_n_msgs(const convo *c);
const convo_msg *convo_msg_at(const convo *c, size_t i);
/* Why the conversation is not being saved, or NULL while it is. */
const char *convo_warning(const convo *c);
/* 1 while a reply is being generated. */
int convo_busy(const convo *c);

/* Add a user message (the conversation is created in the store on the
 * first one, titled after it). Returns 0, or -1 while a reply runs. */
int convo_add_user(convo *c, const char *text);
/* Ask the engine for the assistant's reply to the conversation so far; a
 * streaming assistant message is added. Returns the request id, 0 while
 * another reply runs or when there is nothing to reply to. */
uint64_t convo_send(convo *c, engine *e, const sampler_params *sp, const spec_params *pp,
                    int n_predict);
/* Feed an engine event. Events of the running reply update its message
 * (saved at least every second) and, on DONE, finish it and record its
 * statistics. Returns 1 when the event ended the reply, 0 otherwise. */
int convo_handle(convo *c, const engine_event *ev);
/* Drop the last assistant reply from the branch (it stays saved) so that
 * convo_send makes a new one. Returns 0, or -1 if the last message is not
 * a reply or a reply is running. */
int convo_drop_reply(convo *c);
/* Replace user message i with new text: the messages from i on leave the
 * branch (they stay saved as the old branch) and the new text is added in
 * their place. Returns 0, or -1 if i is not a user message or a reply runs. */
int convo_edit(convo *c, size_t i, const char *text);
int convo_set_system(convo *c, const char *text);
int convo_rename(convo *c, const char *title);

#endif
