/* wrap.h: breaking one line of UTF-8 text into display rows of a given
 * width. Rows never split a character cluster and never put a wide
 * character across the right edge. Word mode breaks at spaces (the spaces
 * at a break are not drawn) and hard-breaks words longer than a row; char
 * mode (code) breaks exactly at the edge and keeps every byte. Rows after
 * the first can be indented (a hanging indent, for list items). */
#ifndef TERNCHAT_WRAP_H
#define TERNCHAT_WRAP_H

#include <stddef.h>

enum wrap_mode {
    WRAP_WORD = 0, /* break at spaces, hard-break long words */
    WRAP_CHAR = 1  /* break at the edge, keep spaces (code, the input box) */
};

/* One display row: bytes [start, end) of the line, drawn after indent
 * columns. The next row starts at or after end (skipped break spaces lie
 * between), so [start, next start) are the bytes "on" this row. */
typedef struct wrap_row {
    size_t start; /* first byte */
    size_t end;   /* one past the last byte drawn */
    int indent;   /* columns of indentation before the text */
    int cols;     /* columns the text takes */
} wrap_row;

/* Wrap len bytes (no newlines) to rows of at most width columns (width <
 * 1 counts as 1). Continuation rows are indented by hang columns (ignored
 * when it would leave less than half the width). The rows are appended to
 * *rows (a growable array of *cap entries, both may start NULL/0) from
 * index *n on; *n is advanced. An empty line gives one empty row. Returns
 * the number of rows added. */
size_t wrap_line(const char *s, size_t len, int width, int hang, int mode,
                 wrap_row **rows, size_t *n, size_t *cap);

/* The hanging indent a plain-text line suggests: the columns of its
 * leading spaces plus a list marker ("- ", "* ", "+ ", "• ", "1. ", "1) ")
 * after them, if any. */
int wrap_hang(const char *s, size_t len);

#endif
