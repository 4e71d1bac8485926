/* md_inline.c: inline Markdown (code spans, emphasis, escapes) and the
 * line builder behind md.c. Emphasis follows CommonMark's delimiter-run
 * idea in a simplified form: a run of * or _ can open when a non-space
 * follows it and close when a non-space precedes it (for _ also not inside
 * a word); closers pair with the nearest matching opener, two characters
 * at a time (strong) while both runs have two, else one (emphasis). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "md_int.h"
#include "uwidth.h"
#include "xmalloc.h"

void
mdb_init(struct md_build *b)
{
    memset(b, 0, sizeof *b);
}

static void
mdb_grow(struct md_build *b, size_t more)
{
    if (b->cap - b->len >= more + 1)
        return;
    b->cap = (b->len + more + 1) * 2;
    b->text = xrealloc(b->text, b->cap);
    b->attr = xreallocarray(b->attr, b->cap, sizeof *b->attr);
}

void
mdb_put(struct md_build *b, const char *s, size_t n, unsigned attr)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;

        while (j < n && s[j] != '\t')
            j++;
        if (j > i) {
            mdb_grow(b, j - i);
            memcpy(b->text + b->len, s + i, j - i);
            for (size_t k = 0; k < j - i; k++)
                b->attr[b->len + k] = attr;
            b->col += uwidth_str(s + i, j - i);
            b->len += j - i;
        }
        if (j < n) {
            size_t sp = MD_TAB - b->col % MD_TAB;

            mdb_grow(b, sp);
            memset(b->text + b->len, ' ', sp);
            for (size_t k = 0; k < sp; k++)
                b->attr[b->len + k] = attr;
            b->len += sp;
            b->col += sp;
            j++;
        }
        i = j;
    }
}

void
mdb_finish(struct md_build *b, md_line *out)
{
    size_t i, n = 0;

    mdb_grow(b, 0);
    b->text[b->len] = '\0';
    out->text = b->text;
    out->len = b->len;
    out->spans = NULL;
    out->n_spans = 0;
    for (i = 0; i < b->len; i++)
        if (i == 0 || b->attr[i] != b->attr[i - 1])
            n++;
    if (n > 0) {
        out->spans = xcalloc(n, sizeof *out->spans);
        for (i = 0; i < b->len; i++) {
            if (i == 0 || b->attr[i] != b->attr[i - 1]) {
                md_span *sp = &out->spans[out->n_spans++];

                sp->start = i;
                sp->attr = b->attr[i];
            }
            out->spans[out->n_spans - 1].end = i + 1;
        }
    }
    free(b->attr);
    mdb_init(b);
}

void
mdb_free(struct md_build *b)
{
    free(b->text);
    free(b->attr);
    mdb_init(b);
}

/* Per source byte: hidden markup, or literal (never a delimiter). */
#define F_HIDE 1u
#define F_LIT 2u

/* A run of * or _ still able to pair: [lo, hi) are its unused chars. */
struct drun {
    size_t lo, hi;  /* unused part of the run */
    char ch;        /* '*' or '_' */
    int can_open;   /* may open emphasis */
};

static int
is_space(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static int
is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int
is_punct(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !is_alnum(c);
}

static void
style(unsigned *attr, size_t from, size_t to, unsigned a)
{
    for (size_t k = from; k < to; k++)
        attr[k] |= a;
}

static void
hide(unsigned char *flag, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        flag[k] |= F_HIDE;
}

/* Code spans and escapes; they make their bytes literal. */
static void
scan_code(const char *s, size_t n, unsigned char *flag, unsigned *attr, int partial)
{
    size_t i = 0;

    while (i < n) {
        if (s[i] == '\\' && i + 1 < n && is_punct((unsigned char)s[i + 1])) {
            flag[i] |= F_HIDE;
            flag[i + 1] |= F_LIT;
            i += 2;
        } else if (s[i] == '`') {
            size_t k = i, j, close = 0;

            while (k < n && s[k] == '`')
                k++;
            /* find a closing run of the same length */
            for (j = k; j < n;) {
                size_t e = j;

                if (s[j] != '`') {
                    j++;
                    continue;
                }
                while (e < n && s[e] == '`')
                    e++;
                if (e - j == k - i) {
                    close = j;
                    break;
                }
                j = e;
            }
            if (close) {
                hide(flag, i, k);
                hide(flag, close, close + (k - i));
                for (j = k; j < close; j++)
                    flag[j] |= F_LIT;
                style(attr, k, close, MD_CODE);
                i = close + (k - i);
            } else if (partial) {
                hide(flag, i, k);
                for (j = k; j < n; j++)
                    flag[j] |= F_LIT;
                style(attr, k, n, MD_CODE);
                i = n;
            } else {
                for (j = i; j < k; j++)
                    flag[j] |= F_LIT;
                i = k;
            }
        } else {
            i++;
        }
    }
}

/* Pair * and _ runs. */
static void
scan_emph(const char *s, size_t n, unsigned char *flag, unsigned *attr, int partial)
{
    struct drun *stack = NULL;
    size_t ns = 0, cap = 0, i = 0;

    while (i < n) {
        unsigned char prev, next;
        size_t k = i;
        struct drun r;

        if ((s[i] != '*' && s[i] != '_') || (flag[i] & (F_LIT | F_HIDE))) {
            i++;
            continue;
        }
        while (k < n && s[k] == s[i] && !(flag[k] & (F_LIT | F_HIDE)))
            k++;
        prev = i > 0 ? (unsigned char)s[i - 1] : ' ';
        next = k < n ? (unsigned char)s[k] : ' ';
        r.lo = i;
        r.hi = k;
        r.ch = s[i];
        r.can_open = !is_space(next);
        {
            int can_close = !is_space(prev) && i > 0;

            if (r.ch == '_') {
                r.can_open = r.can_open && !is_alnum(prev);
                can_close = can_close && !is_alnum(next);
            }
            /* close against openers, innermost first */
            while (can_close && r.lo < r.hi) {
                size_t o = ns, use;

                while (o > 0 && !(stack[o - 1].ch == r.ch))
                    o--;
                if (o == 0)
                    break;
                o--;
                use = (stack[o].hi - stack[o].lo >= 2 && r.hi - r.lo >= 2) ? 2 : 1;
                hide(flag, stack[o].hi - use, stack[o].hi);
                hide(flag, r.lo, r.lo + use);
                style(attr, stack[o].hi, r.lo, use == 2 ? MD_BOLD : MD_ITALIC);
                stack[o].hi -= use;
                r.lo += use;
                ns = stack[o].lo < stack[o].hi ? o + 1 : o;
            }
        }
        if (r.lo < r.hi && r.can_open) {
            if (ns == cap) {
                cap = cap ? cap * 2 : 8;
                stack = xreallocarray(stack, cap, sizeof *stack);
            }
            stack[ns++] = r;
        }
        i = k;
    }
    if (partial) {
        /* unclosed openers of a line still streaming style to the end */
        while (ns > 0) {
            struct drun *o = &stack[--ns];
            size_t cnt = o->hi - o->lo;

            if (o->hi == n && cnt > 0) {
                hide(flag, o->lo, o->hi); /* nothing after it yet */
                continue;
            }
            hide(flag, o->lo, o->hi);
            style(attr, o->hi, n, (cnt >= 2 ? MD_BOLD : 0) | (cnt != 2 ? MD_ITALIC : 0));
        }
    }
    free(stack);
}

void
md_inline(struct md_build *b, const char *s, size_t n, unsigned base, int partial)
{
    unsigned char *flag;
    unsigned *attr;
    size_t i = 0;

    if (n == 0)
        return;
    flag = xcalloc(n, 1);
    attr = xcalloc(n, sizeof *attr);
    scan_code(s, n, flag, attr, partial);
    scan_emph(s, n, flag, attr, partial);
    while (i < n) {
        size_t j = i;

        if (flag[i] & F_HIDE) {
            i++;
            continue;
        }
        while (j < n && !(flag[j] & F_HIDE) && attr[j] == attr[i])
            j++;
        mdb_put(b, s + i, j - i, base | attr[i]);
        i = j;
    }
    free(flag);
    free(attr);
}
