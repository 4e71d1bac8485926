/* ui_api.c: what the controller calls to fill the chat screen: messages,
 * the status line, the speed panel and the list on the left. Each only
 * records what to show; ui_run draws it when the callback returns. */
#include "config.h"

#include <stdarg.h>
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
ui_set_message(ui *u, size_t i, const char *text)
{
    u->dirty = 1;
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
    view_clear(u->view);
}

void
ui_truncate(ui *u, size_t i)
{
    u->dirty = 1;
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
    u->st.quant = u->st_quant;
    u->st.spec = u->st_spec;
    if (s->tps_now > 0 && (u->spark.n == 0 || ui_now() - u->last_sample >= 0.25)) {
        gauge_ring_push(&u->spark, s->tps_now);
        u->last_sample = ui_now();
    }
}

/* ---- the list ---- */

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
        u->convs.v[i].extra = list[i].when != NULL ? xstrdup(list[i].when) : NULL;
    }
    u->current = current;
    ui_drop_hits(u);
}

void
ui_show_hits(ui *u, const char *pattern, const ui_hit *hits, size_t n)
{
    list_fill(&u->hits, n);
    for (size_t i = 0; i < n; i++) {
        u->hits.v[i].id = hits[i].conv_id;
        u->hits.v[i].msg_id = hits[i].msg_id;
        u->hits.v[i].title = xstrdup(hits[i].title != NULL && *hits[i].title ? hits[i].title : "(untitled)");
        u->hits.v[i].extra = hits[i].snippet != NULL ? xstrdup(hits[i].snippet) : NULL;
    }
    free(u->hits_for);
    u->hits_for = xstrdup(pattern != NULL ? pattern : "");
    u->sel = u->list_top = 0;
    u->sidebar = 1;
    u->dirty = 1;
}
