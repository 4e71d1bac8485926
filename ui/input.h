/* input.h: the input box's line editor, without curses. Multi-line UTF-8
 * text with a cursor; Emacs keys (C-a C-e C-b C-f M-b M-f C-k C-u C-w C-y
 * M-d C-d, Backspace, Home/End/arrows); Enter sends, M-Enter or C-j
 * inserts a newline; Up/Down move between lines and, on the first/last
 * line, through the history of earlier prompts; a bracketed paste is
 * inserted literally (newlines kept, nothing sent). Keys are keys.h
 * codes. Cursor movement steps over whole clusters (a character and its
 * combining marks), and Up/Down keep the display column. */
#ifndef TERNCHAT_INPUT_H
#define TERNCHAT_INPUT_H

#include <stddef.h>

#include "wrap.h"

/* What input_key did with a key. */
enum input_result {
    INPUT_UNHANDLED = 0, /* not an editing key: the caller's (Tab, F-keys...) */
    INPUT_HANDLED,       /* edited or moved (or nothing to do) */
    INPUT_SEND,          /* Enter: take the text with input_take */
    INPUT_EOF            /* C-d with the box empty */
};

/* Most prompts the history keeps. */
#define INPUT_HISTORY_MAX 1000

typedef struct input input;

input *input_new(void);
void input_free(input *in);

/* Handle one key (see enum input_result). */
int input_key(input *in, int key);
/* Insert UTF-8 text at the cursor, as typed (nothing is sent). */
void input_insert(input *in, const char *s, size_t n);
/* Replace the text; the cursor goes to the end. */
void input_set(input *in, const char *s, size_t n);
/* The text (NUL-terminated) and its length. */
const char *input_text(const input *in, size_t *len);
/* The cursor: a byte offset into the text. */
size_t input_cursor(const input *in);
void input_set_cursor(input *in, size_t pos);
/* 1 between KEYS_PASTE_BEGIN and KEYS_PASTE_END. */
int input_pasting(const input *in);
/* The killed text C-y would insert ("" when none). */
const char *input_killed(const input *in);

/* Take the text (a new string) and empty the box; a non-blank text that
 * differs from the newest history entry is added to the history. */
char *input_take(input *in);
/* Add an earlier prompt to the history (newest last). */
void input_history_add(input *in, const char *s);
size_t input_history_count(const input *in);

/* The box as rows of width columns: each logical line word-wrapped.
 * Row offsets are into the whole text. The cursor's row and column go to
 * *cur_row and *cur_col. Rows are stored like wrap_line's (growable). */
void input_layout(const input *in, int width, wrap_row **rows, size_t *n, size_t *cap,
                  size_t *cur_row, int *cur_col);

#endif
