/* ui_int.h: the screen's state, shared by ui.c (API and main loop),
 * ui_term.c (terminal, keys, signals), ui_draw.c (painting), ui_act.c
 * (actions) and ui_page.c / ui_statpage.c (the full-screen pages). */
#ifndef TERNCHAT_UI_INT_H
#define TERNCHAT_UI_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "gauge.h"
#include "input.h"
#include "keys.h"
#include "ui.h"
#include "view.h"
#include "wrap.h"

/* An entry of the list on the left, of the browser or of the search
 * results: a conversation or a search hit. */
struct ui_item {
    int64_t id;      /* conversation */
    int64_t msg_id;  /* hit: the message */
    char *title;     /* title */
    char *extra;     /* time, or the hit's text */
    char *info;      /* browser: the model; hit: who wrote it and when */
    long count;      /* browser: messages (< 0: unknown) */
    size_t *spans;   /* hit: (start, end) byte pairs of the matches in extra */
    size_t n_spans;  /* hit: number of pairs */
};

/* A list of entries. */
struct ui_list {
    struct ui_item *v; /* entries */
    size_t n;          /* count */
};

/* Width of the left column. */
#define UI_SIDE_W 26

/* Full-screen pages (the help screen is u->help, above them all). */
enum ui_page {
    UI_PAGE_CHAT = 0, /* none: the chat */
    UI_PAGE_BROWSE,   /* saved conversations */
    UI_PAGE_HITS,     /* search results */
    UI_PAGE_STATS     /* speed statistics */
};

/* A group of the statistics page (a copy of a ui_stat_group). */
struct ui_sgroup {
    char *title;       /* heading */
    ui_stat_row *rows; /* rows, their keys copied */
    size_t n;          /* count */
    int trend;         /* draw sparklines over the rows */
};

struct ui {
    ui_callbacks cb;        /* the controller */
    conf *settings;         /* current settings (as changed by /set) */
    keys_map *keys;         /* key bindings */
    view *view;             /* the conversation */
    input *input;           /* the input box */
    int watch_fd;           /* the controller's fd, or -1 */
    int active;             /* the terminal is ours (curses is up) */
    int quit;               /* leave ui_run */
    int dirty;              /* redraw before waiting */
    int sidebar;            /* show the conversation list */
    int stats_on;           /* show the speed panel */
    int help;               /* the help screen is up */
    size_t help_top;        /* its first line shown */
    int busy;               /* a reply is being generated */
    int editing;            /* the input holds the last prompt, being edited */
    int mono;               /* no colours */
    char *status;           /* left part of the status line */
    char *note;             /* transient message, or NULL */
    int note_err;           /* it is an error */
    double note_until;      /* when it goes (monotonic seconds) */
    char *prog_what;        /* progress: what, or NULL: none */
    double prog;            /* progress 0..1 */
    ui_stats st;            /* speed panel numbers */
    char st_quant[24];      /* copy of st.quant */
    char st_spec[24];       /* copy of st.spec */
    gauge_ring spark;       /* recent tokens/s */
    double last_sample;     /* when the sparkline last took a sample */
    double last_tick;       /* when callbacks.tick last ran */
    struct ui_list convs;   /* the conversations */
    struct ui_list hits;    /* search hits */
    char *hits_for;         /* the hits are shown (for this pattern), or NULL */
    size_t sel;             /* selected entry of the list shown */
    size_t list_top;        /* first entry shown */
    int64_t current;        /* open conversation */
    char *system;           /* system prompt of this conversation */
    const keys_action *confirm; /* an action waiting for 'y' */
    char *confirm_q;        /* its question */
    int spin;               /* spinner frame */
    int full_redraw;        /* repaint every cell at the next draw */
    int cursor_on;          /* the terminal cursor is shown */
    unsigned long sattr[32]; /* curses attributes of each enum ui_style */
    short spair[32];        /* colour pair of each enum ui_style */
    wrap_row *rows;         /* scratch: input box layout */
    size_t rows_cap;        /* allocated */
    size_t edit_at;         /* editing: the message being edited */
    int readonly;           /* the conversation shown is read-only */
    int page;               /* enum ui_page shown */
    size_t page_sel;        /* selected entry of the page */
    size_t page_top;        /* first entry (browser, results) or line (statistics) shown */
    size_t page_fit;        /* entries (lines) the page showed at the last draw */
    struct ui_list browse;  /* the browser's conversations */
    int browse_more;        /* the controller has more of them */
    int browse_asked;       /* more were asked for, not yet given */
    struct ui_sgroup *sg;   /* the statistics page's groups */
    size_t n_sg;            /* their count */
    int sig;                /* the signal that ended ui_run, or 0 */
    int marks;              /* draw accepted draft text in its own colour */
    unsigned char *acc;     /* per byte of message acc_msg's source: 1 if accepted */
    size_t acc_len;         /* bytes described */
    size_t acc_cap;         /* allocated */
    size_t acc_msg;         /* the message acc describes (SIZE_MAX: none) */
    char st_ctxmsg[160];    /* copy of st.ctx_msg */
    void (*crash_fn)(void *arg); /* ui_set_crash_hook */
    void *crash_arg;        /* its argument */
};

/* Seconds on a monotonic clock. */
double ui_now(void);

/* ui.c: send a request to the controller; on failure the message is shown
 * and -1 returned. */
int ui_request_send(ui *u, ui_request *r);
/* ui.c: a line entered in the input box (a prompt or a slash command). */
void ui_submit(ui *u, char *line);
/* ui.c: route one key. */
void ui_key(ui *u, int key);
/* ui.c: notes, either kind. */
void ui_note(ui *u, int is_err, const char *msg);
/* ui.c: the list shown on the left (hits while there are, else conversations). */
struct ui_list *ui_shown(ui *u);
/* ui.c: empty a list. */
void ui_list_free(struct ui_list *l);
/* ui.c: stop showing search hits. */
void ui_drop_hits(ui *u);
/* ui.c: the last message of role from the end, or view_count if none. */
size_t ui_last_role(const ui *u, int role);
/* ui.c: refuse (with a note) when the conversation is read-only. */
int ui_refuse_readonly(ui *u);
/* ui.c: free one entry's strings / the statistics page. */
void ui_item_free(struct ui_item *it);
void ui_sgroups_free(ui *u);

/* ui_term.c */
int ui_term_start(ui *u, char *err, size_t errsz);
void ui_term_stop(ui *u);
/* Read the keys waiting on stdin and route each (ui_key). */
void ui_term_read(ui *u);
/* The signal (SIGTERM, SIGHUP or SIGINT) that arrived, or 0. */
int ui_term_signalled(void);
/* Give the terminal back, run fn(arg), take it again (for $EDITOR). */
int ui_term_suspend(ui *u, int (*fn)(void *arg), void *arg);
/* Put text on the system clipboard through the terminal (OSC 52). */
void ui_term_clipboard(const char *text, size_t len);

/* Styles the painter uses (a colour pair and attributes per theme). */
enum ui_style {
    S_NORMAL = 0, S_USER, S_ASSISTANT, S_SYSTEM, S_INFO, S_ERROR, S_NOTE, S_CODE,
    S_BLOCK, S_LANG, S_HEAD, S_MARK, S_QUOTE, S_BAR, S_STATUS, S_STATUS_ERR,
    S_FKEY, S_FLABEL, S_SELECTED, S_TITLE, S_DIM, S_OK, S_WARN, S_FULL, S_PROMPT,
    S_HIT, S_ACCEPT, S_BAR2,
    S_COUNT
};

/* ui_draw.c */
/* Colours for the theme (after the terminal is up). */
void ui_draw_init(ui *u);
/* Paint the whole screen. */
void ui_draw(ui *u);
/* Draw n bytes of text at row y from column x, never past column xmax,
 * in a style plus extra attributes (A_BOLD...); returns the column after
 * it. Widths follow uwidth.h; controls are drawn as ^X. */
int ui_put(ui *u, int y, int x, int xmax, const char *s, size_t n, int style, unsigned long extra);
/* Fill columns [x, xmax) of row y with spaces in a style. */
void ui_fill(ui *u, int y, int x, int xmax, int style);

/* ui_side.c: the left column (list and speed panel) and the help screen. */
void ui_draw_side(ui *u, int top, int height, int width);
void ui_draw_help(ui *u, int height, int width);

/* ui_page.c: the browser and the search results: keys and painting. */
void ui_page_key(ui *u, int key);
void ui_draw_page(ui *u, int height, int width);
/* Open a page (resetting its selection). */
void ui_page_open(ui *u, int page);
/* Draw text with the byte ranges spans[0..n_spans) in the highlight style. */
int ui_put_marked(ui *u, int y, int x, int xmax, const char *s, size_t n, size_t base,
                  const size_t *spans, size_t n_spans, int style, int mark_style);

/* ui_statpage.c: the statistics page. */
void ui_draw_stats_page(ui *u, int height, int width);
/* Lines it has at this width (for scrolling). */
size_t ui_stats_page_lines(const ui *u);

#endif
