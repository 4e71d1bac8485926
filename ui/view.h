/* view.h: the conversation as the screen shows it, without curses: a list
 * of messages (each rendered by md.c and wrapped by wrap.c to the pane
 * width) seen through a window of height rows that follows the stream at
 * the bottom unless the user scrolled away. Every message is a header row
 * (who wrote it, and a note such as "stopped" or its speed), its body rows
 * and a blank row before the next message. Wrapped rows are cached per
 * line: streaming text into the last message rewraps only its last line.
 * On a resize the row at the top stays at the top as well as possible. */
#ifndef TERNCHAT_VIEW_H
#define TERNCHAT_VIEW_H

#include <stddef.h>

/* Who wrote a message. */
enum view_role {
    VIEW_USER = 0,  /* the user's prompt (plain text) */
    VIEW_ASSISTANT, /* the model's reply (Markdown) */
    VIEW_SYSTEM,    /* the system prompt (plain) */
    VIEW_INFO,      /* a notice from ternchat (plain) */
    VIEW_ERROR      /* an error (plain) */
};

/* Kinds of rows. */
enum view_row_type {
    VIEW_ROW_HEADER = 0, /* the role label and the note */
    VIEW_ROW_BODY,       /* a row of the message text */
    VIEW_ROW_GAP         /* the blank row between messages */
};

/* Style bits of header runs, above those of md.h (enum md_attr). */
#define VIEW_A_LABEL (1u << 12) /* the role label */
#define VIEW_A_NOTE (1u << 13)  /* the note after it */

/* Columns of margin before body text. */
#define VIEW_MARGIN 2

/* A styled piece of a row. */
typedef struct view_run {
    const char *text; /* bytes (not NUL-terminated) */
    size_t len;       /* their count */
    unsigned attr;    /* md_attr bits or VIEW_A_* */
} view_run;

/* One display row. The pointers are valid until the next call on the view. */
typedef struct view_row {
    int type;             /* enum view_row_type */
    int role;             /* enum view_role of its message */
    size_t msg;           /* index of its message */
    int line_kind;        /* body rows: enum md_kind of their line */
    int first;            /* body rows: 1 on the first row of a line */
    int indent;           /* columns before the first run (margin, hanging indent) */
    const view_run *runs; /* the text */
    size_t n_runs;        /* number of runs */
    const char *line;     /* body rows: the whole rendered line the runs point into */
    size_t line_len;      /* its bytes */
    size_t src;           /* body rows: offset of the line's source in the message text */
} view_row;

typedef struct view view;

view *view_new(void);
void view_free(view *v);
/* Remove every message (the scroll position goes back to following). */
void view_clear(view *v);

/* Add a message; returns its index. */
size_t view_add(view *v, int role, const char *text, size_t len);
/* Append streamed text to the last message (nothing if there is none). */
void view_append(view *v, const char *text, size_t len);
/* Replace the text of message i. */
void view_set_text(view *v, size_t i, const char *text, size_t len);
/* Set the note shown in message i's header (NULL or "": none). */
void view_set_note(view *v, size_t i, const char *note);
/* Remove the messages from i on. */
void view_truncate(view *v, size_t i);

size_t view_count(const view *v);
int view_msg_role(const view *v, size_t i);
/* The source text of message i. */
const char *view_msg_text(const view *v, size_t i, size_t *len);

/* Set the pane size (width columns for the text, height rows). */
void view_resize(view *v, int width, int height);

/* Rows in all, the first visible row, rows hidden below the window. */
size_t view_rows(view *v);
size_t view_top(view *v);
size_t view_below(view *v);
/* 1 while the window follows the bottom. */
int view_following(const view *v);

/* Scroll by delta rows (negative: up, towards older text). Reaching the
 * bottom starts following again. */
void view_scroll(view *v, long delta);
/* Scroll by pages (a page is the height less two rows of overlap). */
void view_page(view *v, int pages);
/* To the first row / to the bottom (following). */
void view_home(view *v);
void view_end(view *v);
/* Bring the header of message i to the top of the window. */
void view_show_msg(view *v, size_t i);

/* Row number row (0 .. view_rows-1) into out; returns 0 past the end. */
int view_row_get(view *v, size_t row, view_row *out);
/* The text of a row as one string (indent as spaces), for tests and
 * plain-text dumps; caller frees. NULL past the end. */
char *view_row_text(view *v, size_t row);

#endif
