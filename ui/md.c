/* md.c: block-level Markdown and the incremental document (see md.h).
 * Completed source lines are rendered once, with the block state (inside a
 * fence or not) carried from line to line; the unfinished last line is
 * rendered again after every append. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "md.h"
#include "md_int.h"
#include "wrap.h"
#include "xmalloc.h"

/* Block state after a line. */
struct md_state {
    int in_fence;     /* inside a fenced code block */
    char fence_ch;    /* '`' or '~' */
    size_t fence_len; /* length of the opening fence */
    size_t fence_ind; /* indentation of the opening fence */
};

struct md {
    int markdown;       /* 0: plain text */
    char *src;          /* the source */
    size_t len;         /* its bytes */
    size_t cap;         /* allocated */
    size_t done;        /* bytes of complete lines (after the last '\n') */
    md_line *lines;     /* rendered lines */
    size_t n_lines;     /* lines (complete ones plus an unfinished one) */
    size_t n_done;      /* complete lines */
    size_t lines_cap;   /* allocated */
    struct md_state st; /* state after the complete lines */
};

static size_t
count_lead(const char *s, size_t n, char c)
{
    size_t i = 0;

    while (i < n && s[i] == c)
        i++;
    return i;
}

/* A fence line: indentation, 3+ ` or ~; *info gets the rest. */
static int
is_fence(const char *s, size_t n, size_t *ind, char *ch, size_t *flen, size_t *info)
{
    size_t i = count_lead(s, n, ' '), k;

    if (i >= n || (s[i] != '`' && s[i] != '~'))
        return 0;
    k = i + count_lead(s + i, n - i, s[i]);
    if (k - i < 3)
        return 0;
    if (s[i] == '`' && memchr(s + k, '`', n - k) != NULL)
        return 0;
    *ind = i;
    *ch = s[i];
    *flen = k - i;
    *info = k;
    return 1;
}

static int
is_rule(const char *s, size_t n)
{
    char c = 0;
    int cnt = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ')
            continue;
        if (s[i] != '-' && s[i] != '*' && s[i] != '_')
            return 0;
        if (c && s[i] != c)
            return 0;
        c = s[i];
        cnt++;
    }
    return cnt >= 3;
}

/* Render a fenced-code line or a fence. Returns 1 if it was one. */
static int
render_fenced(struct md_state *st, const char *s, size_t n, struct md_build *b, md_line *out)
{
    size_t ind, flen, info;
    char ch;

    if (st->in_fence) {
        if (is_fence(s, n, &ind, &ch, &flen, &info) && ch == st->fence_ch && flen >= st->fence_len
            && count_lead(s + info, n - info, ' ') == n - info) {
            out->kind = MD_FENCE_CLOSE;
            st->in_fence = 0;
            return 1;
        }
        ind = count_lead(s, n, ' ');
        if (ind > st->fence_ind)
            ind = st->fence_ind;
        mdb_put(b, s + ind, n - ind, MD_BLOCK);
        out->kind = MD_CODELINE;
        out->nowrap = 1;
        return 1;
    }
    if (!is_fence(s, n, &ind, &ch, &flen, &info))
        return 0;
    info += count_lead(s + info, n - info, ' ');
    {
        size_t e = info;

        while (e < n && s[e] != ' ' && s[e] != '{')
            e++;
        mdb_put(b, s + info, e - info, MD_BLOCK | MD_LANG);
    }
    out->kind = MD_FENCE_OPEN;
    st->in_fence = 1;
    st->fence_ch = ch;
    st->fence_len = flen;
    st->fence_ind = ind;
    return 1;
}

/* A list item's marker at s[i..]: returns its length (with the space
 * after it) or 0; *ordered says whether it is numbered. */
static size_t
list_marker(const char *s, size_t n, size_t i, int *ordered)
{
    size_t j = i;

    if (i + 1 < n && (s[i] == '-' || s[i] == '*' || s[i] == '+') && s[i + 1] == ' ') {
        *ordered = 0;
        return 2;
    }
    if (i + 1 == n && (s[i] == '-' || s[i] == '*' || s[i] == '+')) {
        *ordered = 0;
        return 1;
    }
    while (j < n && j - i < 9 && s[j] >= '0' && s[j] <= '9')
        j++;
    if (j > i && j < n && (s[j] == '.' || s[j] == ')') && (j + 1 == n || s[j + 1] == ' ')) {
        *ordered = 1;
        return j + 1 - i + (j + 1 < n);
    }
    return 0;
}

/* Render one source line into out with block state st (updated). */
static void
render(struct md_state *st, int markdown, const char *s, size_t n, int partial, md_line *out)
{
    static const char *const bullets[] = { "\xe2\x80\xa2 ", "\xe2\x97\xa6 ", "\xe2\x96\xaa " };
    struct md_build b;
    size_t i, m;
    int ordered;

    memset(out, 0, sizeof *out);
    mdb_init(&b);
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (!markdown) {
        mdb_put(&b, s, n, 0);
        mdb_finish(&b, out);
        out->hang = wrap_hang(out->text, out->len);
        return;
    }
    if (render_fenced(st, s, n, &b, out))
        goto finish;
    i = count_lead(s, n, ' ');
    if (i == n)
        goto finish; /* blank */
    if (i < 4 && s[i] == '#') {
        size_t h = count_lead(s + i, n - i, '#');

        if (h <= 6 && (i + h == n || s[i + h] == ' ')) {
            size_t a = i + h, e = n;

            a += count_lead(s + a, n - a, ' ');
            while (e > a && s[e - 1] == ' ')
                e--;
            m = e;
            while (m > a && s[m - 1] == '#')
                m--;
            if (m == a || s[m - 1] == ' ')
                e = m;
            while (e > a && s[e - 1] == ' ')
                e--;
            md_inline(&b, s + a, e - a, MD_HEAD | MD_BOLD, partial);
            out->kind = MD_HEADING;
            out->level = (int)h;
            goto finish;
        }
    }
    if (is_rule(s, n)) {
        out->kind = MD_RULE;
        goto finish;
    }
    if (s[i] == '>') {
        size_t depth = 0;

        while (i < n && s[i] == '>') {
            depth++;
            i++;
            if (i < n && s[i] == ' ')
                i++;
        }
        for (size_t d = 0; d < depth; d++)
            mdb_put(&b, "\xe2\x94\x82 ", 4, MD_MARK | MD_QUOTE);
        md_inline(&b, s + i, n - i, MD_QUOTE, partial);
        out->kind = MD_QUOTED;
        out->level = (int)depth;
        out->hang = (int)(2 * depth);
        goto finish;
    }
    if ((m = list_marker(s, n, i, &ordered)) > 0) {
        out->kind = MD_ITEM;
        out->level = (int)(i / 2);
        mdb_put(&b, s, i, 0);
        if (ordered) {
            mdb_put(&b, s + i, m, MD_MARK);
            if (i + m == n && s[n - 1] != ' ')
                mdb_put(&b, " ", 1, MD_MARK);
        } else {
            mdb_put(&b, bullets[out->level % 3], strlen(bullets[out->level % 3]), MD_MARK);
        }
        out->hang = (int)b.col;
        md_inline(&b, s + i + m, n - i - m, 0, partial);
        goto finish;
    }
    out->hang = (int)i;
    md_inline(&b, s, n, 0, partial);
finish:
    mdb_finish(&b, out);
}

md *
md_new(int markdown)
{
    md *d = xcalloc(1, sizeof *d);

    d->markdown = markdown;
    return d;
}

void
md_line_clear(md_line *l)
{
    free(l->text);
    free(l->spans);
    memset(l, 0, sizeof *l);
}

void
md_free(md *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_lines; i++)
        md_line_clear(&d->lines[i]);
    free(d->lines);
    free(d->src);
    free(d);
}

static md_line *
slot(md *d, size_t i)
{
    if (i >= d->lines_cap) {
        d->lines_cap = d->lines_cap ? d->lines_cap * 2 : 16;
        d->lines = xreallocarray(d->lines, d->lines_cap, sizeof *d->lines);
    }
    return &d->lines[i];
}

size_t
md_append(md *d, const char *s, size_t n)
{
    size_t first = d->n_done, p;

    if (d->cap - d->len < n + 1) {
        d->cap = (d->len + n + 1) * 2;
        d->src = xrealloc(d->src, d->cap);
    }
    memcpy(d->src + d->len, s, n);
    d->len += n;
    d->src[d->len] = '\0';
    if (d->n_lines > d->n_done) {
        md_line_clear(&d->lines[d->n_done]); /* the old unfinished line */
        d->n_lines = d->n_done;
    }
    p = d->done;
    for (;;) {
        const char *nl = memchr(d->src + p, '\n', d->len - p);
        md_line *l;

        if (nl == NULL)
            break;
        l = slot(d, d->n_done);
        render(&d->st, d->markdown, d->src + p, (size_t)(nl - (d->src + p)), 0, l);
        l->src_start = p;
        d->n_done++;
        p = (size_t)(nl - d->src) + 1;
    }
    d->done = p;
    d->n_lines = d->n_done;
    if (d->len > d->done) {
        struct md_state tmp = d->st;
        md_line *l = slot(d, d->n_done);

        render(&tmp, d->markdown, d->src + d->done, d->len - d->done, 1, l);
        l->src_start = d->done;
        d->n_lines++;
    }
    return first;
}

void
md_set(md *d, const char *s, size_t n)
{
    for (size_t i = 0; i < d->n_lines; i++)
        md_line_clear(&d->lines[i]);
    d->n_lines = d->n_done = 0;
    d->len = d->done = 0;
    memset(&d->st, 0, sizeof d->st);
    md_append(d, s, n);
}

size_t
md_count(const md *d)
{
    return d->n_lines;
}

const md_line *
md_get(const md *d, size_t i)
{
    return i < d->n_lines ? &d->lines[i] : NULL;
}

const char *
md_source(const md *d, size_t *len)
{
    if (len != NULL)
        *len = d->len;
    return d->src != NULL ? d->src : "";
}

void
md_render_line(const char *s, size_t n, md_line *out)
{
    struct md_state st;

    memset(&st, 0, sizeof st);
    render(&st, 1, s, n, 0, out);
}
