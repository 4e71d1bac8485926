/* store.h: ternchat's SQLite store: conversations and their messages (with
 * edited branches), program sessions and per-reply speed statistics, full-
 * text and regular-expression search, JSON/Markdown export and JSON import.
 *
 * Every function returns 0 on success and -1 on failure; the message is then
 * on the store object (store_errmsg) and store_errcode says what kind of
 * failure it was. A failed write leaves what was saved before intact, and
 * store_writes_failing tells the caller to keep the chat in memory.
 * A store object is for one thread at a time; several processes (and
 * several store objects) may use the same database file at once. */
#ifndef TERNCHAT_STORE_H
#define TERNCHAT_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Newest schema version this build reads and writes. */
#define STORE_SCHEMA_VERSION 2

typedef struct store store;

/* Kinds of failure (store_errcode). */
typedef enum store_err {
    STORE_OK = 0,
    STORE_E_NOTFOUND,  /* no such conversation / message / session */
    STORE_E_INVALID,   /* a bad argument or input (bad pattern, bad import file) */
    STORE_E_BUSY,      /* locked by another process beyond the busy timeout */
    STORE_E_READONLY,  /* the file (or its directory) cannot be written */
    STORE_E_FULL,      /* disk (or quota) full */
    STORE_E_CORRUPT,   /* not a database, or a damaged one */
    STORE_E_SCHEMA,    /* a schema newer than this build, or not ternchat's */
    STORE_E_IO,        /* any other I/O or SQLite failure */
} store_err;

/* ---- opening ---- */

/* The database path to use: path when not NULL, else $TERNCHAT_DB, else
 * $XDG_DATA_HOME/ternchat/ternchat.db (XDG_DATA_HOME defaults to
 * ~/.local/share). A new string, or NULL with a message in err. */
char *store_default_path(const char *path, char *err, size_t errsz);

/* Open (creating when missing: directory 0700, file 0600) and upgrade the
 * schema to STORE_SCHEMA_VERSION. A newer schema is refused. ":memory:"
 * gives a private in-memory store. On failure *out is NULL and the message
 * is in err. */
int store_open(const char *path, store **out, char *err, size_t errsz);
/* store_default_path(path) then store_open: what the commands' --db does. */
int store_open_default(const char *path, store **out, char *err, size_t errsz);
void store_close(store *st);

const char *store_errmsg(const store *st);
store_err store_errcode(const store *st);
const char *store_path(const store *st);
/* Nonzero after a write failed (read-only file, full disk, lock, I/O),
 * until a later write succeeds. */
int store_writes_failing(const store *st);
/* Schema version of the open database (== STORE_SCHEMA_VERSION). */
int store_schema_version(store *st);

/* ---- conversations ---- */

/* Settings a conversation is created with; NULL strings are stored empty
 * (title, system prompt) or absent (models, sampling). */
typedef struct store_conv_params {
    const char *title;          /* shown in lists */
    const char *system_prompt;  /* the system message given to the model */
    const char *target_model;   /* name or path of the target model */
    const char *draft_model;    /* the draft model of speculative decoding */
    const char *sampling;       /* sampling settings as a JSON object */
} store_conv_params;

/* A conversation as read back (strings are NULL when absent). */
typedef struct store_conv {
    int64_t id;            /* conversation id */
    char *title;           /* title ("" when none) */
    char *system_prompt;   /* system prompt ("" when none) */
    char *target_model;    /* target model or NULL */
    char *draft_model;     /* draft model or NULL */
    char *sampling;        /* sampling settings (JSON object) or NULL */
    int64_t created_ms;    /* creation, ms since the Unix epoch */
    int64_t updated_ms;    /* last change */
    int64_t head_id;       /* last message of the current branch (0: none) */
    int64_t n_messages;    /* messages saved (all branches) */
} store_conv;

int store_conv_create(store *st, const store_conv_params *p, int64_t *id);
/* Read one conversation; free the strings with store_conv_clear. */
int store_conv_get(store *st, int64_t id, store_conv *out);
void store_conv_clear(store_conv *c);
/* One page of conversations, most recently updated first, without their
 * messages. limit <= 0 means no limit. Free with store_convs_free. */
int store_conv_list(store *st, int64_t offset, int64_t limit, store_conv **out, size_t *n);
void store_convs_free(store_conv *v, size_t n);
int store_conv_rename(store *st, int64_t id, const char *title);
int store_conv_set_system(store *st, int64_t id, const char *system_prompt);
/* Replace the models and sampling settings (NULL: absent). */
int store_conv_set_models(store *st, int64_t id, const char *target_model,
                          const char *draft_model, const char *sampling);
/* Delete a conversation with all its messages. */
int store_conv_delete(store *st, int64_t id);
/* Make msg_id (a message of the conversation) the end of the current
 * branch, e.g. to go back to a branch before an edit. */
int store_conv_set_head(store *st, int64_t id, int64_t msg_id);

/* ---- messages ---- */

typedef enum store_role {
    STORE_ROLE_SYSTEM,
    STORE_ROLE_USER,
    STORE_ROLE_ASSISTANT,
} store_role;

typedef enum store_state {
    STORE_STATE_COMPLETE,   /* finished normally */
    STORE_STATE_STOPPED,    /* stopped by the user */
    STORE_STATE_ERROR,      /* generation failed */
    STORE_STATE_STREAMING,  /* being written (or the writer died) */
} store_state;

/* "system", "user", "assistant" / "complete", "stopped", "error",
 * "streaming"; the parsers return -1 for anything else. */
const char *store_role_name(store_role r);
int store_role_parse(const char *s, store_role *out);
const char *store_state_name(store_state s);
int store_state_parse(const char *s, store_state *out);

/* Parent for store_msg_append: the current head of the conversation. */
#define STORE_PARENT_HEAD (-1)

/* A message as read back. */
typedef struct store_msg {
    int64_t id;           /* message id */
    int64_t conv_id;      /* its conversation */
    int64_t parent_id;    /* previous message on its branch (0: first) */
    store_role role;      /* who wrote it */
    store_state state;    /* complete / stopped / error / streaming */
    char *text;           /* UTF-8 text */
    int64_t tokens;       /* token count (0 when unknown) */
    int64_t created_ms;   /* ms since the Unix epoch */
    int64_t gen_ms;       /* generation time in ms (-1: none) */
} store_msg;

/* Append a message after parent (a message id, 0 for none, or
 * STORE_PARENT_HEAD) and make it the conversation's head. A reply that is
 * about to stream is appended with state STORE_STATE_STREAMING. Giving an
 * earlier message as parent starts a new branch (an edit); the old branch
 * stays saved. */
int store_msg_append(store *st, int64_t conv_id, int64_t parent, store_role role,
                     const char *text, store_state state, int64_t *id);
/* Replace the text of a streaming message (cheap; one small transaction).
 * Call it at least every second while a reply streams, and on cancel. */
int store_msg_update(store *st, int64_t id, const char *text, int64_t tokens);
/* Final text, state, token count and generation time (ms; -1: none). */
int store_msg_finish(store *st, int64_t id, const char *text, store_state state,
                     int64_t tokens, int64_t gen_ms);
int store_msg_get(store *st, int64_t id, store_msg *out);
void store_msg_clear(store_msg *m);

/* Which messages store_msgs_get returns. */
typedef enum store_which {
    STORE_MSGS_BRANCH,  /* the current branch, first to head */
    STORE_MSGS_ALL,     /* every message of every branch, oldest first */
} store_which;

int store_msgs_get(store *st, int64_t conv_id, store_which which, store_msg **out, size_t *n);
void store_msgs_free(store_msg *v, size_t n);

/* ---- sessions and speed statistics ---- */

/* One run of the program. */
typedef struct store_session_params {
    const char *target_model;  /* target model (NULL: none) */
    const char *draft_model;   /* draft model (NULL: none) */
    int threads;               /* worker threads */
    const char *quant_modes;   /* quantisation modes used, e.g. "int8,ternary" */
} store_session_params;

int store_session_start(store *st, const store_session_params *p, int64_t *id);
int store_session_end(store *st, int64_t id);

/* Statistics of one reply. */
typedef struct store_gen_stats {
    int64_t session_id;     /* session (0: none) */
    int64_t message_id;     /* the reply (0: none) */
    const char *quant;      /* quantisation mode, e.g. "f32", "int8", "ternary" */
    const char *target_model; /* target model (NULL: none) */
    const char *draft_model;  /* draft model (NULL: no speculative decoding) */
    int64_t prompt_tokens;  /* prompt tokens evaluated */
    double prompt_s;        /* seconds spent on them */
    int64_t gen_tokens;     /* tokens generated */
    double gen_s;           /* seconds spent generating */
    int64_t drafted;        /* draft tokens proposed */
    int64_t accepted;       /* draft tokens accepted */
    int gamma;              /* draft length per step (0: none) */
} store_gen_stats;

int store_stats_add(store *st, const store_gen_stats *g, int64_t *id);

typedef enum store_group {
    STORE_BY_QUANT,
    STORE_BY_MODEL,
    STORE_BY_SESSION,
} store_group;

/* One row of a statistics summary. */
typedef struct store_stats_row {
    char *key;              /* quant mode, "target + draft", or session id */
    int64_t session_id;     /* STORE_BY_SESSION: the session */
    int64_t started_ms;     /* STORE_BY_SESSION: its start */
    int64_t replies;        /* replies counted */
    int64_t prompt_tokens;  /* sum of prompt tokens */
    double prompt_s;        /* sum of prompt seconds */
    int64_t gen_tokens;     /* sum of generated tokens */
    double gen_s;           /* sum of generation seconds */
    int64_t drafted;        /* sum of drafted tokens */
    int64_t accepted;       /* sum of accepted tokens */
    double prompt_tps;      /* prompt tokens / s (0 when no time) */
    double gen_tps;         /* generated tokens / s (0 when no time) */
    double acceptance;      /* accepted / drafted, -1 when nothing drafted */
    double mean_gamma;      /* mean draft length over replies with one, 0 if none */
} store_stats_row;

/* Summary grouped by by, of one session (session_id > 0) or all. */
int store_stats_query(store *st, store_group by, int64_t session_id,
                      store_stats_row **rows, size_t *n);
void store_stats_rows_free(store_stats_row *rows, size_t n);

/* ---- search ---- */

#define STORE_SEARCH_REGEX 1u   /* pattern is a PCRE2 regular expression */
#define STORE_SEARCH_ICASE 2u   /* regex: ignore case (Unicode-aware) */
#define STORE_SEARCH_FTS   4u   /* not regex: pattern is raw FTS5 query syntax */

/* A message that matched. */
typedef struct store_hit {
    int64_t msg_id;       /* the message */
    int64_t conv_id;      /* its conversation */
    char *conv_title;     /* the conversation's title */
    store_role role;      /* the message's role */
    int64_t created_ms;   /* when it was written */
    char *text;           /* its whole text */
    size_t *spans;        /* n_spans pairs (start, end): byte offsets of matches in text */
    size_t n_spans;       /* number of pairs */
} store_hit;

/* Search message texts. Without STORE_SEARCH_REGEX the pattern's words
 * must all occur (full-text index; a word ending in * is a prefix), best
 * matches first; with it, messages matching the regular expression, newest
 * first. At most limit hits (<= 0: 100). */
int store_search(store *st, const char *pattern, unsigned flags, int64_t limit,
                 store_hit **out, size_t *n);
void store_hits_free(store_hit *v, size_t n);

/* ---- export and import ---- */

/* A conversation as JSON (all branches; see store_json.c for the format)
 * or as Markdown (current branch). New text in *out, caller frees. */
int store_export_json(store *st, int64_t conv_id, char **out, size_t *len);
int store_export_markdown(store *st, int64_t conv_id, char **out, size_t *len);
/* Add the conversation of an exported JSON document as a new one. */
int store_import_json(store *st, const char *text, size_t len, int64_t *conv_id);

#endif
