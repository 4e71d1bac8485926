/* wrap.c: word and character wrapping of one line (see wrap.h). */
#include "config.h"

#include <string.h>

#include "uwidth.h"
#include "wrap.h"
#include "xmalloc.h"

static void
push_row(wrap_row **rows, size_t *n, size_t *cap, size_t start, size_t end, int indent, int cols)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *rows = xreallocarray(*rows, *cap, sizeof **rows);
    }
    (*rows)[*n].start = start;
    (*rows)[*n].end = end;
    (*rows)[*n].indent = indent;
    (*rows)[*n].cols = cols;
    (*n)++;
}

size_t
wrap_line(const char *s, size_t len, int width, int hang, int mode,
          wrap_row **rows, size_t *n, size_t *cap)
{
    size_t n0 = *n, pos = 0;
    int first = 1;

    if (width < 1)
        width = 1;
    if (hang < 0 || hang * 2 > width)
        hang = 0;
    if (len == 0) {
        push_row(rows, n, cap, 0, 0, 0, 0);
        return 1;
    }
    while (pos < len) {
        int indent = first ? 0 : hang;
        size_t avail = (size_t)(width - indent);
        size_t i, cols = 0;
        size_t brk = 0, brk_cols = 0, brk_next = 0; /* last break: end, cols, next start */
        int have_brk = 0;

        if (!first && mode == WRAP_WORD) {
            while (pos < len && s[pos] == ' ')
                pos++;
            if (pos == len)
                break;
        }
        i = pos;
        while (i < len) {
            int w;
            size_t next = uwidth_next(s, len, i, &w);

            if (mode == WRAP_WORD && s[i] == ' ') {
                /* a run of spaces: a break opportunity before it */
                size_t j = i;

                while (j < len && s[j] == ' ')
                    j++;
                if (i > pos) {
                    brk = i;
                    brk_cols = cols;
                    brk_next = j;
                    have_brk = 1;
                }
                if (cols + (j - i) > avail) {
                    /* the spaces overflow: break before them */
                    if (i == pos) {
                        /* leading spaces wider than the row: keep what fits */
                        push_row(rows, n, cap, pos, pos + avail, indent, (int)avail);
                        pos += avail;
                    } else {
                        push_row(rows, n, cap, pos, i, indent, (int)cols);
                        pos = j;
                    }
                    goto next_row;
                }
                cols += j - i;
                i = j;
                continue;
            }
            if (cols + (size_t)w > avail) {
                if (cols == 0) {
                    /* one cluster wider than the row: it goes alone */
                    push_row(rows, n, cap, pos, next, indent, w);
                    pos = next;
                } else if (have_brk) {
                    push_row(rows, n, cap, pos, brk, indent, (int)brk_cols);
                    pos = brk_next;
                } else {
                    push_row(rows, n, cap, pos, i, indent, (int)cols);
                    pos = i;
                }
                goto next_row;
            }
            cols += (size_t)w;
            i = next;
        }
        push_row(rows, n, cap, pos, len, indent, (int)cols);
        pos = len;
    next_row:
        first = 0;
    }
    if (*n == n0)
        push_row(rows, n, cap, 0, 0, 0, 0);
    return *n - n0;
}

int
wrap_hang(const char *s, size_t len)
{
    size_t i = 0, j;

    while (i < len && s[i] == ' ')
        i++;
    if (i + 1 < len && (s[i] == '-' || s[i] == '*' || s[i] == '+') && s[i + 1] == ' ')
        return (int)(i + 2);
    if (i + 4 <= len && memcmp(s + i, "\xe2\x80\xa2 ", 4) == 0)
        return (int)(i + 2);
    j = i;
    while (j < len && j - i < 9 && s[j] >= '0' && s[j] <= '9')
        j++;
    if (j > i && j + 1 < len && (s[j] == '.' || s[j] == ')') && s[j + 1] == ' ')
        return (int)(j + 2);
    return (int)i;
}
