/* ui.h: the full-screen chat (ncursesw). The screen shows a list of
 * conversations and a speed panel on the left (each can be hidden), the
 * conversation (Markdown rendered as it streams, scrollable), a
 * multi-line input box, a status line and an F-key bar. Only the thread
 * that calls ui_run touches the terminal.
 *
 * A controller drives it: it creates the ui, fills it (messages, the
 * conversation list, the status), runs ui_run, and is called back for
 * what the user asks (struct ui_request) and when the file descriptor it
 * watches (the engine's, engine_fd) becomes readable; in those callbacks
 * it updates the screen through the functions below, which only record
 * what to draw (the screen is redrawn when the callback returns):
 *
 *     u = ui_new(cfg, &cb, err, sizeof err);
 *     ui_watch_fd(u, engine_fd(e));
 *     ui_set_status(u, "loading ...");
 *     ui_run(u, err, sizeof err);   // returns when the user quits
 *     ui_free(u);
 *
 *   request(UI_REQ_SEND, "hi")   -> engine_generate(...);
 *                                   ui_add_message(u, UI_ASSISTANT, "");
 *                                   ui_set_busy(u, 1);
 *   readable()                   -> while (engine_next(e, &ev)) {
 *                                      PIECE: ui_append(u, ev.text, ev.len);
 *                                             ui_set_stats(u, &st);
 *                                      DONE:  ui_set_note(u, last, "stopped");
 *                                             ui_set_busy(u, 0); }
 *
 * The ui updates its own view for the requests that change the
 * conversation: SEND adds the user's message before the request (and
 * removes it again if the request fails), EDIT replaces the edited user
 * message and drops what came after it, REGEN drops the messages after
 * the last user message; the controller then adds the new reply.
 *
 * Besides the chat there are full-screen pages: help (from the action
 * table), the browser of saved conversations (filled a page at a time by
 * UI_REQ_BROWSE -> ui_show_browser), search results with the matches
 * highlighted (UI_REQ_SEARCH -> ui_show_hits) and the speed statistics
 * (UI_REQ_STATS -> ui_show_stats_page). */
#ifndef TERNCHAT_UI_H
#define TERNCHAT_UI_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Who wrote a message (the same values as enum view_role). */
enum ui_role {
    UI_USER = 0,  /* the user's prompt */
    UI_ASSISTANT, /* the model's reply (rendered as Markdown) */
    UI_SYSTEM,    /* the system prompt */
    UI_INFO,      /* a notice from ternchat */
    UI_ERROR      /* an error */
};

/* What the user asked for. */
enum ui_req_type {
    UI_REQ_SEND = 1, /* text: a prompt (already shown as the last message) */
    UI_REQ_CANCEL,   /* stop the reply being generated */
    UI_REQ_REGEN,    /* generate the reply to the last prompt again */
    UI_REQ_EDIT,     /* text: a prompt as edited; value: which prompt (0: the
                      * conversation's first user message); the messages
                      * after it leave the branch; answer it again */
    UI_REQ_QUANT,    /* value: the weight type (enum qtype) to run on; -1: the next one */
    UI_REQ_SET,      /* key, text: a setting (conf.h names: temp, top_k, spec,
                      * draft_max, seed...), already validated */
    UI_REQ_SYSTEM,   /* text: the new system prompt of this conversation */
    UI_REQ_NEW,      /* start a new conversation */
    UI_REQ_OPEN,     /* id: open this conversation; msg_id: a message to show (0: none);
                      * value: 1 to view it read-only (the ui refuses to change it) */
    UI_REQ_RENAME,   /* text: the new title of this conversation */
    UI_REQ_DELETE,   /* delete this conversation (the user confirmed) */
    UI_REQ_SEARCH,   /* text: what to look for; value: 1 for a regular expression */
    UI_REQ_EXPORT,   /* text: the file to write Markdown to, or NULL: a default name */
    UI_REQ_QUIT,     /* the user leaves (ui_run returns after this) */
    UI_REQ_BROWSE,   /* value: offset: the browser wants saved conversations from
                      * there on (answer with ui_show_browser) */
    UI_REQ_STATS     /* the statistics page wants its numbers (ui_show_stats_page) */
};

/* A request; the strings are valid during the callback only. */
typedef struct ui_request {
    int type;        /* enum ui_req_type */
    const char *text;  /* see enum ui_req_type, else NULL */
    const char *key;   /* UI_REQ_SET: the setting */
    int64_t id;      /* UI_REQ_OPEN: the conversation */
    int64_t msg_id;  /* UI_REQ_OPEN: the message to scroll to (search hits) */
    int value;       /* UI_REQ_QUANT, UI_REQ_SEARCH, UI_REQ_EDIT, UI_REQ_OPEN, UI_REQ_BROWSE */
} ui_request;

/* The controller's side. */
typedef struct ui_callbacks {
    /* Do what the user asked: return 0, or -1 with a one-line message in
     * err (shown in the status line; the ui undoes what it did). */
    int (*request)(void *ud, const ui_request *r, char *err, size_t errsz);
    /* The watched fd is readable (read the engine's events). May be NULL. */
    void (*readable)(void *ud);
    /* About ten times a second while busy (ui_set_busy). May be NULL. */
    void (*tick)(void *ud);
    void *ud; /* passed to the callbacks */
} ui_callbacks;

/* Numbers for the speed panel. */
typedef struct ui_stats {
    double tps_now;     /* tokens/s just now (the sparkline samples it) */
    double tps_reply;   /* tokens/s of this reply so far */
    double prompt_tps;  /* prompt tokens/s of this reply (0: unknown) */
    long n_gen;         /* tokens generated in this reply */
    double accept;      /* draft acceptance 0..1; < 0: no speculation */
    double gamma;       /* mean draft length per round */
    const char *quant;  /* weight type of the target ("tq2_0"), or NULL */
    const char *spec;   /* speculation mode ("draft", "lookup", "off"), or NULL */
    long ctx_used;      /* tokens in the context */
    long n_ctx;         /* context size (0: unknown) */
    const char *ctx_msg; /* what happened when the context overflowed, or NULL */
} ui_stats;

/* An entry of the conversation list or the browser (strings copied). */
typedef struct ui_conv {
    int64_t id;        /* the conversation */
    const char *title; /* its title */
    const char *when;  /* e.g. "12:30" or "2 Mar", may be NULL */
    const char *model; /* the browser: its target model, may be NULL */
    long n_msgs;       /* the browser: messages saved (< 0: unknown) */
} ui_conv;

/* A search hit (strings and spans copied). */
typedef struct ui_hit {
    int64_t conv_id;      /* the conversation */
    int64_t msg_id;       /* the message that matched */
    const char *title;    /* the conversation's title */
    const char *snippet;  /* the matching text (the context of the first match is shown) */
    const size_t *spans;  /* n_spans pairs (start, end): byte offsets of the matches
                           * in snippet, shown highlighted; may be NULL */
    size_t n_spans;       /* number of pairs */
    const char *who;      /* "user", "assistant"..., may be NULL */
    const char *when;     /* when it was written, may be NULL */
} ui_hit;

/* A row of the statistics page (strings copied). */
typedef struct ui_stat_row {
    const char *key;    /* quant mode, "target + draft", or a session ("#3 2 Mar 12:30") */
    long replies;       /* replies counted */
    long gen_tokens;    /* tokens generated */
    double gen_tps;     /* generated tokens/s (the bar) */
    double prompt_tps;  /* prompt tokens/s (0: unknown) */
    double accept;      /* draft acceptance 0..1; < 0: nothing drafted */
    double gamma;       /* mean draft length (0: none) */
    int current;        /* 1: this row is this session / the running quant mode */
} ui_stat_row;

/* A group of rows with a heading. */
typedef struct ui_stat_group {
    const char *title;        /* e.g. "This session, by quant mode" */
    const ui_stat_row *rows;  /* the rows */
    size_t n;                 /* their count */
    int trend;                /* 1: rows are in time order: sparklines of speed and
                               * acceptance over them are drawn too */
} ui_stat_group;

typedef struct ui ui;

/* A screen with the settings of cfg (theme, no_color, sidebar, stats,
 * mouse, key bindings, editor, the values /set shows). The terminal is
 * not touched until ui_run. NULL with a message if a key binding of cfg
 * is bad. */
ui *ui_new(const conf *cfg, const ui_callbacks *cb, char *err, size_t errsz);
void ui_free(ui *u);

/* Watch fd (readable -> callbacks.readable); -1: none. */
void ui_watch_fd(ui *u, int fd);
/* Take the terminal and run until the user quits, ui_quit is called or
 * SIGTERM/SIGHUP/SIGINT arrives; the terminal is restored on return (and
 * on a crash or a fatal allocation failure). Returns 0, or -1 with a
 * message if stdin/stdout is not a usable terminal. */
int ui_run(ui *u, char *err, size_t errsz);
/* Make ui_run return after the current callback. */
void ui_quit(ui *u);
/* The signal (SIGTERM, SIGHUP, SIGINT) that ended the last ui_run, or 0. */
int ui_signal(const ui *u);
/* Call fn(arg) when the program crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGABRT) while the screen is up, after the terminal is restored: a last
 * chance to save what is unsaved. It runs in a signal handler, under a
 * two-second alarm; it must give up when that is not safe. NULL: none. */
void ui_set_crash_hook(ui *u, void (*fn)(void *arg), void *arg);

/* ---- the conversation ---- */

/* Add a message; returns its index. */
size_t ui_add_message(ui *u, int role, const char *text);
/* Append streamed text to the last message. */
void ui_append(ui *u, const char *text, size_t len);
/* Replace the text of message i / set the note in its header (NULL: none). */
void ui_set_message(ui *u, size_t i, const char *text);
void ui_set_note(ui *u, size_t i, const char *note);
/* Remove every message / those from i on. */
void ui_clear(ui *u);
void ui_truncate(ui *u, size_t i);
size_t ui_message_count(const ui *u);
/* Scroll so that message i is at the top. */
void ui_show_message(ui *u, size_t i);
/* Add an earlier prompt to the input box's history (Up recalls it). */
void ui_history_add(ui *u, const char *text);
/* The system prompt /system shows (NULL: none). */
void ui_set_system(ui *u, const char *text);
/* Put text into the input box. */
void ui_set_input(ui *u, const char *text);
/* The conversation shown is read-only (1): prompts, edits and the like
 * are refused until /continue; 0: it can be changed. */
void ui_set_readonly(ui *u, int ro);
int ui_readonly(const ui *u);
/* ui_append, where the first n_marked bytes of text are what the draft
 * model proposed and the target accepted: drawn in their own colour
 * while that is switched on (/marks). */
void ui_append_marked(ui *u, const char *text, size_t len, size_t n_marked);

/* ---- status ---- */

/* A reply is being generated: a spinner, C-c cancels, sending waits. */
void ui_set_busy(ui *u, int busy);
int ui_busy(const ui *u);
/* The left part of the status line (model, conversation). */
void ui_set_status(ui *u, const char *text);
/* A message for a few seconds in the status line. */
void ui_notify(ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, as an error (in the error colour). */
void ui_error(ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A progress bar for what ("loading", "quantizing"); frac < 0 hides it. */
void ui_progress(ui *u, const char *what, double frac);
/* Update the speed panel (copied). */
void ui_set_stats(ui *u, const ui_stats *s);

/* ---- the list on the left ---- */

/* The conversations, most recent first, and the one open (0: none). */
void ui_set_conversations(ui *u, const ui_conv *list, size_t n, int64_t current);
/* Show search hits: a page of results (each with its context, the
 * matches highlighted), and in the list on the left until Esc; Enter on
 * one sends UI_REQ_OPEN with its msg_id. */
void ui_show_hits(ui *u, const char *pattern, const ui_hit *hits, size_t n);

/* ---- pages ---- */

/* Saved conversations for the browser, from offset on (0: replace the
 * list); more: there are more after these. Opens the browser page. */
void ui_show_browser(ui *u, const ui_conv *list, size_t n, int64_t offset, int more);
/* The statistics page: its groups of rows (copied). Opens the page. */
void ui_show_stats_page(ui *u, const ui_stat_group *groups, size_t n);
/* Close whichever page is up (help, browser, results, statistics). */
void ui_close_page(ui *u);

#endif
