/* input.c: the input box's line editor (see input.h); the prompt history
 * is in input_hist.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "input_int.h"
#include "keys.h"
#include "uwidth.h"
#include "xmalloc.h"

input *
input_new(void)
{
    input *in = xcalloc(1, sizeof *in);

    in->cap = 64;
    in->text = xcalloc(in->cap, 1);
    in->goal = -1;
    return in;
}

void
input_free(input *in)
{
    if (in == NULL)
        return;
    for (size_t i = 0; i < in->n_hist; i++)
        free(in->hist[i]);
    free(in->hist);
    free(in->draft);
    free(in->kill);
    free(in->text);
    free(in);
}

static void
reserve(input *in, size_t more)
{
    if (in->cap - in->len < more + 1) {
        in->cap = (in->len + more + 1) * 2;
        in->text = xrealloc(in->text, in->cap);
    }
}

void
input_insert(input *in, const char *s, size_t n)
{
    reserve(in, n);
    memmove(in->text + in->cur + n, in->text + in->cur, in->len - in->cur + 1);
    memcpy(in->text + in->cur, s, n);
    in->len += n;
    in->cur += n;
}

/* Remove [a, b) of the text; the cursor follows. */
static void
cut(input *in, size_t a, size_t b)
{
    memmove(in->text + a, in->text + b, in->len - b + 1);
    in->len -= b - a;
    if (in->cur >= b)
        in->cur -= b - a;
    else if (in->cur > a)
        in->cur = a;
}

/* Cut [a, b) into the kill buffer; consecutive kills accumulate. */
static void
kill_range(input *in, size_t a, size_t b, int backward)
{
    size_t n = b - a, old = in->kill != NULL && in->killing ? strlen(in->kill) : 0;
    char *k;

    if (n == 0 && in->killing)
        return;
    k = xmalloc(old + n + 1);
    if (backward) {
        memcpy(k, in->text + a, n);
        if (old)
            memcpy(k + n, in->kill, old);
    } else {
        if (old)
            memcpy(k, in->kill, old);
        memcpy(k + old, in->text + a, n);
    }
    k[old + n] = '\0';
    free(in->kill);
    in->kill = k;
    cut(in, a, b);
}

void
input_set(input *in, const char *s, size_t n)
{
    in->killing = 0;
    in->goal = -1;
    in->len = in->cur = 0;
    in->text[0] = '\0';
    input_insert(in, s, n);
}

const char *
input_text(const input *in, size_t *len)
{
    if (len != NULL)
        *len = in->len;
    return in->text;
}

size_t
input_cursor(const input *in)
{
    return in->cur;
}

void
input_set_cursor(input *in, size_t pos)
{
    size_t p, q;

    if (pos > in->len)
        pos = in->len;
    /* the start of the cluster pos is in */
    p = input_line_start(in, pos);
    while (p < pos && (q = uwidth_next(in->text, in->len, p, NULL)) <= pos)
        p = q;
    in->cur = p;
    in->killing = 0;
    in->goal = -1;
}

int
input_pasting(const input *in)
{
    return in->pasting;
}

const char *
input_killed(const input *in)
{
    return in->kill != NULL ? in->kill : "";
}

size_t
input_line_start(const input *in, size_t pos)
{
    while (pos > 0 && in->text[pos - 1] != '\n')
        pos--;
    return pos;
}

size_t
input_line_end(const input *in, size_t pos)
{
    const char *nl = memchr(in->text + pos, '\n', in->len - pos);

    return nl != NULL ? (size_t)(nl - in->text) : in->len;
}

static int
word_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
           || c >= 0x80;
}

static size_t
word_fwd(const input *in, size_t p)
{
    while (p < in->len && !word_char((unsigned char)in->text[p]))
        p++;
    while (p < in->len && word_char((unsigned char)in->text[p]))
        p++;
    return p;
}

static size_t
word_back(const input *in, size_t p)
{
    while (p > 0 && !word_char((unsigned char)in->text[p - 1]))
        p--;
    while (p > 0 && word_char((unsigned char)in->text[p - 1]))
        p--;
    return p;
}

/* Back over spaces, then over non-spaces (C-w). */
static size_t
bigword_back(const input *in, size_t p)
{
    while (p > 0 && (in->text[p - 1] == ' ' || in->text[p - 1] == '\t' || in->text[p - 1] == '\n'))
        p--;
    while (p > 0 && in->text[p - 1] != ' ' && in->text[p - 1] != '\t' && in->text[p - 1] != '\n')
        p--;
    return p;
}

/* Move to display column col of the line starting at ls. */
static void
to_column(input *in, size_t ls, int col)
{
    size_t le = input_line_end(in, ls);

    in->cur = ls + uwidth_at_col(in->text + ls, le - ls, (size_t)col);
}

static int
vertical(input *in, int down)
{
    size_t ls = input_line_start(in, in->cur);

    if (in->goal < 0)
        in->goal = (int)uwidth_str(in->text + ls, in->cur - ls);
    if (!down) {
        if (ls == 0)
            return input_hist_move(in, -1);
        to_column(in, input_line_start(in, ls - 1), in->goal);
    } else {
        size_t le = input_line_end(in, in->cur);

        if (le == in->len)
            return input_hist_move(in, 1);
        to_column(in, le + 1, in->goal);
    }
    return INPUT_HANDLED;
}

/* A key while a paste is under way: everything is text. */
static int
paste_key(input *in, int key)
{
    char u[4];

    if (key == KEYS_PASTE_END) {
        in->pasting = 0;
        return INPUT_HANDLED;
    }
    if (key == '\r' || key == KEYS_ENTER) {
        in->paste_cr = 1;
        input_insert(in, "\n", 1);
        return INPUT_HANDLED;
    }
    if (key == '\n') {
        if (!in->paste_cr)
            input_insert(in, "\n", 1);
        in->paste_cr = 0;
        return INPUT_HANDLED;
    }
    in->paste_cr = 0;
    if (key == '\t' || (key >= 0x20 && key != 0x7f && !(key >= 0x80 && key <= 0x9f) && key < KEYS_SPECIAL))
        input_insert(in, u, uwidth_encode((uint32_t)key, u));
    return INPUT_HANDLED; /* other controls and keys are dropped */
}

int
input_key(input *in, int key)
{
    int r = INPUT_HANDLED, killing = 0, keep_goal = 0;

    if (in->pasting)
        return paste_key(in, key);
    switch (key) {
    case KEYS_PASTE_BEGIN:
        in->pasting = 1;
        in->paste_cr = 0;
        break;
    case KEYS_PASTE_END:
        break;
    case KEYS_ENTER:
        r = INPUT_SEND;
        break;
    case '\n':
    case KEYS_META | KEYS_ENTER:
    case KEYS_META | '\n':
        input_insert(in, "\n", 1);
        break;
    case KEYS_CTRL('a'):
    case KEYS_HOME:
        in->cur = input_line_start(in, in->cur);
        break;
    case KEYS_CTRL('e'):
    case KEYS_END:
        in->cur = input_line_end(in, in->cur);
        break;
    case KEYS_CTRL('b'):
    case KEYS_LEFT:
        if (in->cur > 0)
            in->cur = uwidth_prev(in->text, in->cur);
        break;
    case KEYS_CTRL('f'):
    case KEYS_RIGHT:
        if (in->cur < in->len)
            in->cur = uwidth_next(in->text, in->len, in->cur, NULL);
        break;
    case KEYS_META | 'b':
    case KEYS_META | KEYS_LEFT:
        in->cur = word_back(in, in->cur);
        break;
    case KEYS_META | 'f':
    case KEYS_META | KEYS_RIGHT:
        in->cur = word_fwd(in, in->cur);
        break;
    case KEYS_CTRL('k'): {
        size_t le = input_line_end(in, in->cur);

        kill_range(in, in->cur, le == in->cur && le < in->len ? le + 1 : le, 0);
        killing = 1;
        break;
    }
    case KEYS_CTRL('u'): {
        size_t ls = input_line_start(in, in->cur);

        kill_range(in, ls == in->cur && ls > 0 ? ls - 1 : ls, in->cur, 1);
        killing = 1;
        break;
    }
    case KEYS_CTRL('w'):
        kill_range(in, bigword_back(in, in->cur), in->cur, 1);
        killing = 1;
        break;
    case KEYS_META | KEYS_BACKSPACE:
    case KEYS_META | 0x7f:
    case KEYS_META | KEYS_CTRL('h'):
        kill_range(in, word_back(in, in->cur), in->cur, 1);
        killing = 1;
        break;
    case KEYS_META | 'd':
        kill_range(in, in->cur, word_fwd(in, in->cur), 0);
        killing = 1;
        break;
    case KEYS_CTRL('y'):
        if (in->kill != NULL)
            input_insert(in, in->kill, strlen(in->kill));
        break;
    case KEYS_CTRL('d'):
        if (in->len == 0)
            r = INPUT_EOF;
        else if (in->cur < in->len)
            cut(in, in->cur, uwidth_next(in->text, in->len, in->cur, NULL));
        break;
    case KEYS_DELETE:
        if (in->cur < in->len)
            cut(in, in->cur, uwidth_next(in->text, in->len, in->cur, NULL));
        break;
    case KEYS_BACKSPACE:
    case 0x7f:
    case KEYS_CTRL('h'):
        if (in->cur > 0)
            cut(in, uwidth_prev(in->text, in->cur), in->cur);
        break;
    case KEYS_UP:
    case KEYS_CTRL('p'):
        r = vertical(in, 0);
        keep_goal = 1;
        break;
    case KEYS_DOWN:
    case KEYS_CTRL('n'):
        r = vertical(in, 1);
        keep_goal = 1;
        break;
    default:
        if (key >= 0x20 && key < KEYS_SPECIAL && key != 0x7f && !(key >= 0x80 && key <= 0x9f)) {
            char u[4];

            input_insert(in, u, uwidth_encode((uint32_t)key, u));
        } else {
            r = INPUT_UNHANDLED;
        }
        break;
    }
    if (r != INPUT_UNHANDLED) {
        in->killing = killing;
        if (!keep_goal)
            in->goal = -1;
    }
    return r;
}

void
input_layout(const input *in, int width, wrap_row **rows, size_t *n, size_t *cap,
             size_t *cur_row, int *cur_col)
{
    size_t ls = 0;

    *cur_row = 0;
    *cur_col = 0;
    for (;;) {
        size_t le = input_line_end(in, ls), first = *n;

        wrap_line(in->text + ls, le - ls, width, 0, WRAP_WORD, rows, n, cap);
        for (size_t i = first; i < *n; i++) {
            wrap_row *w = &(*rows)[i];
            size_t next = i + 1 < *n ? ls + (*rows)[i + 1].start : le + 1;

            w->start += ls;
            w->end += ls;
            if (in->cur >= w->start && (in->cur < next || (i + 1 == *n && in->cur <= le))) {
                size_t upto = in->cur < w->end ? in->cur : w->end;
                size_t col = uwidth_str(in->text + w->start, upto - w->start) + (in->cur - upto);

                *cur_row = i;
                *cur_col = col >= (size_t)width ? width - 1 : (int)col;
            }
        }
        if (le == in->len)
            break;
        ls = le + 1;
    }
}
