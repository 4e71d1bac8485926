/* input_int.h: the editor's state, shared by input.c and input_hist.c. */
#ifndef TERNCHAT_INPUT_INT_H
#define TERNCHAT_INPUT_INT_H

#include <stddef.h>

#include "input.h"

struct input {
    char *text;      /* the text, NUL-terminated */
    size_t len;      /* its bytes */
    size_t cap;      /* allocated */
    size_t cur;      /* cursor: byte offset, at a cluster boundary */
    int goal;        /* display column Up/Down aim for (-1: the cursor's) */
    char *kill;      /* what C-y inserts (NULL: nothing killed yet) */
    int killing;     /* the last key killed: the next kill accumulates */
    int pasting;     /* inside a bracketed paste */
    int paste_cr;    /* the last pasted key was CR (a LF after it is dropped) */
    char **hist;     /* earlier prompts, oldest first */
    size_t n_hist;   /* their count */
    size_t hpos;     /* entry shown (n_hist: the text being written) */
    char *draft;     /* the text being written while browsing the history */
};

/* Start and end of the logical line around pos. */
size_t input_line_start(const input *in, size_t pos);
size_t input_line_end(const input *in, size_t pos);
/* Step through the history (dir -1 older, +1 newer); returns INPUT_HANDLED. */
int input_hist_move(input *in, int dir);

#endif
