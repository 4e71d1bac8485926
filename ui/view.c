/* view.c: the scrollable conversation view (see view.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "md.h"
#include "view.h"
#include "wrap.h"
#include "xmalloc.h"

/* One message and its wrapped rows. */
struct vmsg {
    int role;          /* enum view_role */
    md *doc;           /* its text, rendered */
    char *header;      /* label, then the note */
    size_t label_len;  /* bytes of the label in header */
    wrap_row *rows;    /* body rows of the wrapped lines */
    size_t n_rows;     /* rows in use */
    size_t rows_cap;   /* allocated */
    size_t *line_row;  /* first row of each wrapped line */
    size_t n_wrapped;  /* lines wrapped (a prefix of the document) */
    size_t line_cap;   /* allocated entries of line_row */
};

struct view {
    struct vmsg *msgs;  /* messages */
    size_t n_msgs;      /* count */
    size_t msgs_cap;    /* allocated */
    int width;          /* pane width */
    int height;         /* pane height */
    size_t top;         /* first visible row */
    int follow;         /* the window sticks to the bottom */
    size_t total;       /* rows in all */
    size_t cache_msg;   /* row lookup cache: a message ... */
    size_t cache_row;   /* ... and its first row */
    view_run *runs;     /* scratch for view_row_get */
    size_t runs_cap;    /* allocated */
    int anchored;       /* the anchor below holds (kept over several resizes) */
    size_t a_msg;       /* anchor: message of the top row ... */
    int a_type;         /* ... its part ... */
    size_t a_line;      /* ... body: its line ... */
    size_t a_byte;      /* ... and the first byte of the row in that line */
};

static const char *const labels[] = { "You", "Assistant", "System", "ternchat", "Error" };

static int
body_width(const view *v)
{
    int w = v->width - VIEW_MARGIN;

    return w < 1 ? 1 : w;
}

/* Rows of message i, with the gap after it unless it is the last. */
static size_t
msg_rows(const view *v, size_t i)
{
    return 1 + v->msgs[i].n_rows + (i + 1 < v->n_msgs);
}

static void
recount(view *v)
{
    size_t max_top;

    v->total = 0;
    for (size_t i = 0; i < v->n_msgs; i++)
        v->total += msg_rows(v, i);
    v->cache_msg = v->cache_row = 0;
    max_top = v->total > (size_t)v->height ? v->total - (size_t)v->height : 0;
    if (v->follow || v->top >= max_top) {
        v->top = max_top;
        v->follow = 1;
    }
}

/* Wrap the lines of m from line k on (earlier ones are kept). */
static void
rewrap(view *v, struct vmsg *m, size_t k)
{
    size_t n = md_count(m->doc);

    if (k < m->n_wrapped) {
        m->n_rows = m->line_row[k];
        m->n_wrapped = k;
    }
    if (n > m->line_cap) {
        m->line_cap = n * 2;
        m->line_row = xreallocarray(m->line_row, m->line_cap, sizeof *m->line_row);
    }
    for (size_t i = m->n_wrapped; i < n; i++) {
        const md_line *l = md_get(m->doc, i);

        m->line_row[i] = m->n_rows;
        wrap_line(l->text, l->len, body_width(v), l->hang, l->nowrap ? WRAP_CHAR : WRAP_WORD,
                  &m->rows, &m->n_rows, &m->rows_cap);
    }
    m->n_wrapped = n;
}

view *
view_new(void)
{
    view *v = xcalloc(1, sizeof *v);

    v->width = 80;
    v->height = 24;
    v->follow = 1;
    return v;
}

static void
msg_free(struct vmsg *m)
{
    md_free(m->doc);
    free(m->header);
    free(m->rows);
    free(m->line_row);
}

void
view_free(view *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n_msgs; i++)
        msg_free(&v->msgs[i]);
    free(v->msgs);
    free(v->runs);
    free(v);
}

void
view_truncate(view *v, size_t i)
{
    while (v->n_msgs > i)
        msg_free(&v->msgs[--v->n_msgs]);
    v->anchored = 0;
    recount(v);
}

void
view_clear(view *v)
{
    view_truncate(v, 0);
    v->top = 0;
    v->follow = 1;
}

size_t
view_add(view *v, int role, const char *text, size_t len)
{
    struct vmsg *m;

    if (role < VIEW_USER || role > VIEW_ERROR)
        role = VIEW_INFO;
    if (v->n_msgs == v->msgs_cap) {
        v->msgs_cap = v->msgs_cap ? v->msgs_cap * 2 : 16;
        v->msgs = xreallocarray(v->msgs, v->msgs_cap, sizeof *v->msgs);
    }
    m = &v->msgs[v->n_msgs++];
    memset(m, 0, sizeof *m);
    m->role = role;
    m->doc = md_new(role == VIEW_ASSISTANT);
    m->header = xstrdup(labels[role]);
    m->label_len = strlen(m->header);
    md_append(m->doc, text, len);
    rewrap(v, m, 0);
    recount(v);
    return v->n_msgs - 1;
}

void
view_append(view *v, const char *text, size_t len)
{
    struct vmsg *m;

    if (v->n_msgs == 0 || len == 0)
        return;
    m = &v->msgs[v->n_msgs - 1];
    rewrap(v, m, md_append(m->doc, text, len));
    recount(v);
}

void
view_set_text(view *v, size_t i, const char *text, size_t len)
{
    if (i >= v->n_msgs)
        return;
    md_set(v->msgs[i].doc, text, len);
    v->anchored = 0;
    rewrap(v, &v->msgs[i], 0);
    recount(v);
}

void
view_set_note(view *v, size_t i, const char *note)
{
    struct vmsg *m;

    if (i >= v->n_msgs)
        return;
    m = &v->msgs[i];
    free(m->header);
    if (note != NULL && *note)
        m->header = xasprintf("%s  %s", labels[m->role], note);
    else
        m->header = xstrdup(labels[m->role]);
}

size_t
view_count(const view *v)
{
    return v->n_msgs;
}

int
view_msg_role(const view *v, size_t i)
{
    return i < v->n_msgs ? v->msgs[i].role : -1;
}

const char *
view_msg_text(const view *v, size_t i, size_t *len)
{
    if (i >= v->n_msgs) {
        if (len != NULL)
            *len = 0;
        return "";
    }
    return md_source(v->msgs[i].doc, len);
}

/* Where a row is: message, part, and for body rows the row index in it. */
struct vpos {
    size_t msg;  /* message */
    int type;    /* enum view_row_type */
    size_t row;  /* body: index into the message's rows */
};

static int
locate(view *v, size_t row, struct vpos *p)
{
    size_t i = 0, first = 0;

    if (row >= v->total)
        return 0;
    if (v->cache_msg < v->n_msgs && row >= v->cache_row) {
        i = v->cache_msg;
        first = v->cache_row;
    }
    for (; i < v->n_msgs; i++) {
        size_t r = msg_rows(v, i);

        if (row < first + r)
            break;
        first += r;
    }
    v->cache_msg = i;
    v->cache_row = first;
    p->msg = i;
    row -= first;
    if (row == 0) {
        p->type = VIEW_ROW_HEADER;
    } else if (row - 1 < v->msgs[i].n_rows) {
        p->type = VIEW_ROW_BODY;
        p->row = row - 1;
    } else {
        p->type = VIEW_ROW_GAP;
    }
    return 1;
}

/* The first row of message i. */
static size_t
msg_first_row(const view *v, size_t i)
{
    size_t first = 0;

    for (size_t k = 0; k < i && k < v->n_msgs; k++)
        first += msg_rows(v, k);
    return first;
}

/* The line a body row belongs to. */
static size_t
row_line(const struct vmsg *m, size_t row)
{
    size_t lo = 0, hi = m->n_wrapped;

    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (m->line_row[mid] <= row)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void
view_resize(view *v, int width, int height)
{
    struct vpos p;

    if (width < 1)
        width = 1;
    if (height < 1)
        height = 1;
    if (width != v->width && !v->follow && !v->anchored && locate(v, v->top, &p)) {
        /* remember what is at the top, for this and later resizes */
        v->anchored = 1;
        v->a_msg = p.msg;
        v->a_type = p.type;
        v->a_line = v->a_byte = 0;
        if (p.type == VIEW_ROW_BODY) {
            struct vmsg *m = &v->msgs[p.msg];

            v->a_line = row_line(m, p.row);
            v->a_byte = m->rows[p.row].start;
        }
    }
    if (width != v->width) {
        v->width = width;
        for (size_t i = 0; i < v->n_msgs; i++)
            rewrap(v, &v->msgs[i], 0);
        if (v->anchored && !v->follow && v->a_msg < v->n_msgs) {
            size_t top = msg_first_row(v, v->a_msg);
            struct vmsg *m = &v->msgs[v->a_msg];

            if (v->a_type == VIEW_ROW_BODY && v->a_line < m->n_wrapped) {
                size_t r = m->line_row[v->a_line];
                size_t end = v->a_line + 1 < m->n_wrapped ? m->line_row[v->a_line + 1] : m->n_rows;

                while (r + 1 < end && m->rows[r + 1].start <= v->a_byte)
                    r++;
                top += 1 + r;
            } else if (v->a_type == VIEW_ROW_GAP) {
                top += 1 + m->n_rows;
            }
            v->top = top;
        }
    }
    v->height = height;
    recount(v);
}

size_t
view_rows(view *v)
{
    return v->total;
}

size_t
view_top(view *v)
{
    return v->top;
}

size_t
view_below(view *v)
{
    size_t end = v->top + (size_t)v->height;

    return v->total > end ? v->total - end : 0;
}

int
view_following(const view *v)
{
    return v->follow;
}

void
view_scroll(view *v, long delta)
{
    v->anchored = 0;
    if (delta < 0) {
        size_t up = (size_t)-delta;

        v->top = up > v->top ? 0 : v->top - up;
        v->follow = 0;
    } else {
        v->top += (size_t)delta;
    }
    recount(v);
}

void
view_page(view *v, int pages)
{
    long step = v->height > 3 ? v->height - 2 : 1;

    view_scroll(v, step * pages);
}

void
view_home(view *v)
{
    v->anchored = 0;
    v->top = 0;
    v->follow = 0;
    recount(v);
}

void
view_end(view *v)
{
    v->anchored = 0;
    v->follow = 1;
    recount(v);
}

void
view_show_msg(view *v, size_t i)
{
    if (i >= v->n_msgs)
        return;
    v->top = msg_first_row(v, i);
    v->follow = 0;
    v->anchored = 0;
    recount(v);
}

static void
add_run(view *v, size_t *n, const char *text, size_t len, unsigned attr)
{
    if (*n == v->runs_cap) {
        v->runs_cap = v->runs_cap ? v->runs_cap * 2 : 16;
        v->runs = xreallocarray(v->runs, v->runs_cap, sizeof *v->runs);
    }
    v->runs[*n].text = text;
    v->runs[*n].len = len;
    v->runs[*n].attr = attr;
    (*n)++;
}

int
view_row_get(view *v, size_t row, view_row *out)
{
    struct vpos p;
    struct vmsg *m;
    size_t n = 0;

    memset(out, 0, sizeof *out);
    if (!locate(v, row, &p))
        return 0;
    m = &v->msgs[p.msg];
    out->type = p.type;
    out->role = m->role;
    out->msg = p.msg;
    if (p.type == VIEW_ROW_HEADER) {
        size_t hl = strlen(m->header);

        add_run(v, &n, m->header, m->label_len, VIEW_A_LABEL);
        if (hl > m->label_len)
            add_run(v, &n, m->header + m->label_len, hl - m->label_len, VIEW_A_NOTE);
    } else if (p.type == VIEW_ROW_BODY) {
        size_t li = row_line(m, p.row);
        const md_line *l = md_get(m->doc, li);
        const wrap_row *w = &m->rows[p.row];

        out->line_kind = l->kind;
        out->first = m->line_row[li] == p.row;
        out->indent = VIEW_MARGIN + w->indent;
        out->line = l->text;
        out->line_len = l->len;
        out->src = l->src_start;
        for (size_t s = 0; s < l->n_spans; s++) {
            size_t a = l->spans[s].start, b = l->spans[s].end;

            if (a < w->start)
                a = w->start;
            if (b > w->end)
                b = w->end;
            if (a < b)
                add_run(v, &n, l->text + a, b - a, l->spans[s].attr);
        }
    }
    out->runs = v->runs;
    out->n_runs = n;
    return 1;
}

char *
view_row_text(view *v, size_t row)
{
    view_row r;
    size_t len = 0, k = 0;
    char *s;

    if (!view_row_get(v, row, &r))
        return NULL;
    for (size_t i = 0; i < r.n_runs; i++)
        len += r.runs[i].len;
    s = xmalloc((size_t)r.indent + len + 1);
    memset(s, ' ', (size_t)r.indent);
    k = (size_t)r.indent;
    for (size_t i = 0; i < r.n_runs; i++) {
        memcpy(s + k, r.runs[i].text, r.runs[i].len);
        k += r.runs[i].len;
    }
    s[k] = '\0';
    return s;
}
