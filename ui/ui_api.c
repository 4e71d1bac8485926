/* ui_api.c: what the controller calls to fill the chat screen: messages,
 * the status line, the speed panel and the list on the left. Each only
 * records what to show; ui_run draws it when the callback returns. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "ui_int.h"
#include "xmalloc.h"

/* ---- the conversation ---- */

size_t
ui_add_message(ui *u, int role, const char *text)
{
    u->dirty = 1;
    return view_add(u->view, role, text, strlen(text));
}

void
ui_append(ui *u, const char *text, size_t len)
{
    u->dirty = 1;
    view_append(u->view, text, len);
}

void
ui_append_marked(ui *u, const char *text, size_t len, size_t n_marked)
{
    size_t n = view_count(u->view), old;

    if (n == 0 || len == 0)
        return;
    view_msg_text(u->view, n - 1, &old);
    if (u->acc_msg != n - 1) {
        u->acc_msg = n - 1;
        u->acc_len = 0;
    }
    if (old + len > u->acc_cap) {
        u->acc_cap = (old + len) * 2;
        u->acc = xrealloc(u->acc, u->acc_cap);
    }
    if (u->acc_len < old)
        memset(u->acc + u->acc_len, 0, old - u->acc_len);
    if (n_marked > len)
        n_marked = len;
    memset(u->acc + old, 1, n_marked);
    memset(u->acc + old + n_marked, 0, len - n_marked);
    u->acc_len = old + len;
    ui_append(u, text, len);
}

void
ui_set_message(ui *u, size_t i, const char *text)
{
    u->dirty = 1;
    if (i == u->acc_msg)
        u->acc_msg = SIZE_MAX;
    view_set_text(u->view, i, text, strlen(text));
}

void
ui_set_note(ui *u, size_t i, const char *note)
{
    u->dirty = 1;
    view_set_note(u->view, i, note);
}

void
ui_clear(ui *u)
{
    u->dirty = 1;
    u->editing = 0;
    u->acc_msg = SIZE_MAX;
    view_clear(u->view);
}

void
ui_truncate(ui *u, size_t i)
{
    u->dirty = 1;
    if (u->acc_msg != SIZE_MAX && u->acc_msg >= i)
        u->acc_msg = SIZE_MAX;
    view_truncate(u->view, i);
}

size_t
ui_message_count(const ui *u)
{
    return view_count(u->view);
}

void
ui_show_message(ui *u, size_t i)
{
    u->dirty = 1;
    view_show_msg(u->view, i);
}

void
ui_history_add(ui *u, const char *text)
{
    input_history_add(u->input, text);
}

void
ui_set_system(ui *u, const char *text)
{
    free(u->system);
    u->system = text != NULL && *text ? xstrdup(text) : NULL;
}

void
ui_set_input(ui *u, const char *text)
{
    u->dirty = 1;
    input_set(u->input, text, strlen(text));
}

void
ui_set_readonly(ui *u, int ro)
{
    u->dirty = 1;
    u->readonly = ro != 0;
    if (ro)
        u->editing = 0;
}

int
ui_readonly(const ui *u)
{
    return u->readonly;
}

/* ---- status ---- */

void
ui_set_busy(ui *u, int busy)
{
    u->dirty = 1;
    u->busy = busy;
}

int
ui_busy(const ui *u)
{
    return u->busy;
}

void
ui_set_status(ui *u, const char *text)
{
    u->dirty = 1;
    free(u->status);
    u->status = text != NULL ? xstrdup(text) : NULL;
}

void
ui_notify(ui *u, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ui_note(u, 0, buf);
}

void
ui_error(ui *u, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ui_note(u, 1, buf);
}

void
ui_progress(ui *u, const char *what, double frac)
{
    u->dirty = 1;
    free(u->prog_what);
    u->prog_what = NULL;
    if (frac >= 0 && what != NULL) {
        u->prog_what = xstrdup(what);
        u->prog = frac > 1 ? 1 : frac;
    }
}

void
ui_set_stats(ui *u, const ui_stats *s)
{
    u->dirty = 1;
    u->st = *s;
    snprintf(u->st_quant, sizeof u->st_quant, "%s", s->quant != NULL ? s->quant : "");
    snprintf(u->st_spec, sizeof u->st_spec, "%s", s->spec != NULL ? s->spec : "");
    snprintf(u->st_ctxmsg, sizeof u->st_ctxmsg, "%s", s->ctx_msg != NULL ? s->ctx_msg : "");
    u->st.quant = u->st_quant;
    u->st.spec = u->st_spec;
    u->st.ctx_msg = u->st_ctxmsg[0] ? u->st_ctxmsg : NULL;
    if (s->tps_now > 0 && (u->spark.n == 0 || ui_now() - u->last_sample >= 0.25)) {
        gauge_ring_push(&u->spark, s->tps_now);
        u->last_sample = ui_now();
    }
}

/* ---- the list ---- */

/* A copy of a string that may be NULL. */
static char *
dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

/* Copy entries into a list. */
static void
list_fill(struct ui_list *l, size_t n)
{
    ui_list_free(l);
    l->v = xcalloc(n ? n : 1, sizeof *l->v);
    l->n = n;
}

void
ui_set_conversations(ui *u, const ui_conv *list, size_t n, int64_t current)
{
    list_fill(&u->convs, n);
    for (size_t i = 0; i < n; i++) {
        u->convs.v[i].id = list[i].id;
        u->convs.v[i].title = xstrdup(list[i].title != NULL && *list[i].title ? list[i].title : "(untitled)");
        u->convs.v[i].extra = dup_or_null(list[i].when);
        u->convs.v[i].info = dup_or_null(list[i].model);
        u->convs.v[i].count = list[i].n_msgs;
    }
    u->current = current;
    if (u->hits_for == NULL) {
        u->sel = 0;
        for (size_t i = 0; i < u->convs.n; i++)
            if (u->convs.v[i].id == current)
                u->sel = i;
    }
}

void
ui_show_hits(ui *u, const char *pattern, const ui_hit *hits, size_t n)
{
    list_fill(&u->hits, n);
    for (size_t i = 0; i < n; i++) {
        u->hits.v[i].id = hits[i].conv_id;
        u->hits.v[i].msg_id = hits[i].msg_id;
        u->hits.v[i].title = xstrdup(hits[i].title != NULL && *hits[i].title ? hits[i].title : "(untitled)");
        u->hits.v[i].extra = dup_or_null(hits[i].snippet);
        if (hits[i].who != NULL || hits[i].when != NULL)
            u->hits.v[i].info = xasprintf("%s%s%s", hits[i].who != NULL ? hits[i].who : "",
                                          hits[i].who != NULL && hits[i].when != NULL ? " · " : "",
                                          hits[i].when != NULL ? hits[i].when : "");
        if (hits[i].spans != NULL && hits[i].n_spans > 0 && hits[i].snippet != NULL) {
            size_t sl = strlen(hits[i].snippet), k = 0;
            struct ui_item *it = &u->hits.v[i];

            it->spans = xcalloc(hits[i].n_spans * 2, sizeof *it->spans);
            for (size_t j = 0; j < hits[i].n_spans; j++) {
                size_t a = hits[i].spans[2 * j], b = hits[i].spans[2 * j + 1];

                if (a < b && b <= sl) {
                    it->spans[2 * k] = a;
                    it->spans[2 * k + 1] = b;
                    k++;
                }
            }
            it->n_spans = k;
        }
    }
    free(u->hits_for);
    u->hits_for = xstrdup(pattern != NULL ? pattern : "");
    u->sel = u->list_top = 0;
    u->sidebar = 1;
    u->dirty = 1;
    ui_page_open(u, UI_PAGE_HITS);
}

/* ---- pages ---- */

void
ui_show_browser(ui *u, const ui_conv *list, size_t n, int64_t offset, int more)
{
    struct ui_list *l = &u->browse;
    size_t at;

    if (offset == 0) {
        ui_list_free(l);
    } else if ((size_t)offset != l->n) {
        return; /* an answer to an older question */
    }
    at = l->n;
    l->v = xreallocarray(l->v, at + n + 1, sizeof *l->v);
    memset(l->v + at, 0, (n + 1) * sizeof *l->v);
    for (size_t i = 0; i < n; i++) {
        struct ui_item *it = &l->v[at + i];

        it->id = list[i].id;
        it->title = xstrdup(list[i].title != NULL && *list[i].title ? list[i].title : "(untitled)");
        it->extra = dup_or_null(list[i].when);
        it->info = dup_or_null(list[i].model);
        it->count = list[i].n_msgs;
    }
    l->n = at + n;
    u->browse_more = more;
    u->browse_asked = 0;
    if (offset == 0 || u->page != UI_PAGE_BROWSE)
        ui_page_open(u, UI_PAGE_BROWSE);
    u->dirty = 1;
}

void
ui_show_stats_page(ui *u, const ui_stat_group *groups, size_t n)
{
    int again = u->page == UI_PAGE_STATS;

    ui_sgroups_free(u);
    u->sg = xcalloc(n ? n : 1, sizeof *u->sg);
    for (size_t i = 0; i < n; i++) {
        struct ui_sgroup *g = &u->sg[i];

        g->title = xstrdup(groups[i].title != NULL ? groups[i].title : "");
        g->n = groups[i].n;
        g->trend = groups[i].trend;
        g->rows = xcalloc(g->n ? g->n : 1, sizeof *g->rows);
        for (size_t j = 0; j < g->n; j++) {
            g->rows[j] = groups[i].rows[j];
            g->rows[j].key = xstrdup(groups[i].rows[j].key != NULL ? groups[i].rows[j].key : "");
        }
    }
    u->n_sg = n;
    if (!again)
        ui_page_open(u, UI_PAGE_STATS);
    u->dirty = 1;
}

void
ui_close_page(ui *u)
{
    u->help = 0;
    u->page = UI_PAGE_CHAT;
    u->dirty = 1;
}
