/* ui_page.c: the full-screen lists: the browser of saved conversations
 * (title, date, model, length; asks the controller for more as the
 * selection nears the end) and the search results (each hit with the
 * text around its first match, the matches highlighted). Enter opens the
 * selected one to chat on, v opens it read-only, Esc goes back. The
 * statistics page's keys are here too; it is painted by ui_statpage.c. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_act.h"
#include "ui_int.h"
#include "uwidth.h"
#include "xmalloc.h"

/* Rows per entry. */
#define BROWSE_ROWS 1
#define HIT_ROWS 3

void
ui_page_open(ui *u, int page)
{
    u->help = 0;
    u->page = page;
    u->page_sel = u->page_top = 0;
    u->dirty = 1;
}

static struct ui_list *
page_list(ui *u)
{
    return u->page == UI_PAGE_BROWSE ? &u->browse : &u->hits;
}

/* Ask the controller for the next page of conversations when the
 * selection is near the end of those loaded. */
static void
maybe_more(ui *u)
{
    ui_request r;

    if (u->page != UI_PAGE_BROWSE || !u->browse_more || u->browse_asked)
        return;
    if (u->page_sel + u->page_fit + 1 < u->browse.n)
        return;
    memset(&r, 0, sizeof r);
    r.type = UI_REQ_BROWSE;
    r.value = (int)u->browse.n;
    u->browse_asked = 1;
    if (ui_request_send(u, &r) < 0)
        u->browse_more = 0;
}

static void
page_close(ui *u)
{
    if (u->page == UI_PAGE_HITS)
        ui_drop_hits(u);
    u->page = UI_PAGE_CHAT;
    u->dirty = 1;
}

/* Open the selected entry (read-only or to chat on). */
static void
open_selected(ui *u, int ro)
{
    struct ui_list *l = page_list(u);
    struct ui_item *it;
    ui_request r;
    int page = u->page;

    if (u->page_sel >= l->n) {
        ui_note(u, 1, "nothing to open");
        return;
    }
    if (u->busy) {
        ui_note(u, 1, "a reply is being written: stop it first (C-c)");
        return;
    }
    it = &l->v[u->page_sel];
    memset(&r, 0, sizeof r);
    r.type = UI_REQ_OPEN;
    r.id = it->id;
    r.msg_id = it->msg_id;
    r.value = ro;
    u->editing = 0;
    if (ui_request_send(u, &r) < 0)
        return;
    u->readonly = ro;
    if (page == UI_PAGE_HITS)
        u->sel = u->page_sel; /* the list on the left shows the hits */
    else if (u->hits_for != NULL)
        ui_drop_hits(u);
    u->page = UI_PAGE_CHAT;
    if (ro)
        ui_note(u, 0, "read-only: /continue to chat in this conversation");
}

static void
move_sel(ui *u, long delta)
{
    struct ui_list *l = page_list(u);

    if (l->n == 0)
        return;
    if (delta < 0)
        u->page_sel = (size_t)-delta > u->page_sel ? 0 : u->page_sel - (size_t)-delta;
    else
        u->page_sel = u->page_sel + (size_t)delta >= l->n ? l->n - 1 : u->page_sel + (size_t)delta;
    maybe_more(u);
}

static void
stats_key(ui *u, int key)
{
    size_t fit = u->page_fit ? u->page_fit : 10;

    switch (key) {
    case KEYS_UP:
    case KEYS_WHEEL_UP:
        if (u->page_top > 0)
            u->page_top--;
        break;
    case KEYS_DOWN:
    case KEYS_WHEEL_DOWN:
        u->page_top++;
        break;
    case KEYS_PGUP:
        u->page_top = u->page_top > fit ? u->page_top - fit : 0;
        break;
    case KEYS_PGDN:
    case ' ':
        u->page_top += fit;
        break;
    case KEYS_HOME:
        u->page_top = 0;
        break;
    case 'r':
    case 'R': {
        ui_request r;

        memset(&r, 0, sizeof r);
        r.type = UI_REQ_STATS;
        ui_request_send(u, &r);
        break;
    }
    default:
        page_close(u);
        break;
    }
}

void
ui_page_key(ui *u, int key)
{
    size_t fit = u->page_fit ? u->page_fit : 10;

    u->dirty = 1;
    if (u->page == UI_PAGE_STATS) {
        stats_key(u, key);
        return;
    }
    switch (key) {
    case KEYS_UP:
    case KEYS_WHEEL_UP:
    case KEYS_CTRL('p'):
    case 'k':
        move_sel(u, -1);
        break;
    case KEYS_DOWN:
    case KEYS_WHEEL_DOWN:
    case KEYS_CTRL('n'):
    case 'j':
        move_sel(u, 1);
        break;
    case KEYS_PGUP:
        move_sel(u, -(long)fit);
        break;
    case KEYS_PGDN:
    case ' ':
        move_sel(u, (long)fit);
        break;
    case KEYS_HOME:
        u->page_sel = 0;
        break;
    case KEYS_END:
        move_sel(u, (long)page_list(u)->n);
        break;
    case KEYS_ENTER:
    case '\n':
        open_selected(u, 0);
        break;
    case 'v':
    case 'V':
        open_selected(u, 1);
        break;
    case '/':
    case KEYS_F(3):
        page_close(u);
        ui_act_search(u, NULL);
        break;
    case KEYS_F(1):
    case '?':
        ui_act_help(u, NULL);
        break;
    case KEYS_CTRL('q'):
    case KEYS_F(10):
        ui_act_quit(u, NULL);
        break;
    case KEYS_RESIZE:
        break;
    case KEYS_ESC:
    case 'q':
    case 'Q':
    case KEYS_CTRL('c'):
    case KEYS_F(11):
        page_close(u);
        break;
    default:
        break;
    }
}

int
ui_put_marked(ui *u, int y, int x, int xmax, const char *s, size_t n, size_t base,
              const size_t *spans, size_t n_spans, int style, int mark_style)
{
    size_t i = 0;

    while (i < n && x < xmax) {
        size_t next = n;
        int in = 0;

        /* the span covering i, or the next span's start */
        for (size_t k = 0; k < n_spans; k++) {
            size_t a = spans[2 * k], b = spans[2 * k + 1];

            if (base + i >= a && base + i < b) {
                in = 1;
                next = b - base < n ? b - base : n;
                break;
            }
            if (a > base + i && a - base < next)
                next = a - base;
        }
        x = ui_put(u, y, x, xmax, s + i, next - i, in ? mark_style : style, 0);
        i = next;
    }
    return x;
}

static int
put_str(ui *u, int y, int x, int xmax, const char *s, int style)
{
    return ui_put(u, y, x, xmax, s, strlen(s), style, 0);
}

/* The title row: a heading on the left, the keys on the right. */
static void
page_title(ui *u, int w, const char *title, const char *keys)
{
    int kw = (int)uwidth_str(keys, strlen(keys));

    ui_fill(u, 0, 0, w, S_STATUS);
    put_str(u, 0, 1, w - kw - 2 > 1 ? w - kw - 2 : w, title, S_STATUS);
    if (w - kw - 1 > 20)
        put_str(u, 0, w - kw - 1, w, keys, S_STATUS);
}

/* Keep the selection inside the window of fit entries. */
static void
page_scroll(ui *u, size_t n, size_t fit)
{
    if (fit == 0)
        fit = 1;
    u->page_fit = fit;
    if (u->page_sel >= n)
        u->page_sel = n ? n - 1 : 0;
    if (u->page_sel < u->page_top)
        u->page_top = u->page_sel;
    if (u->page_sel >= u->page_top + fit)
        u->page_top = u->page_sel - fit + 1;
}

static void
draw_browse(ui *u, int h, int w)
{
    struct ui_list *l = &u->browse;
    int date_w = 13, model_w = w >= 100 ? 24 : w >= 70 ? 16 : 0, len_w = 6, num_w = 5;
    int title_end = w - date_w - model_w - len_w - 1;
    char t[160];

    snprintf(t, sizeof t, "Saved conversations (%zu%s)", l->n, u->browse_more ? "+" : "");
    page_title(u, w, t, "Enter continue · v read-only · / search · Esc back");
    if (h < 3)
        return;
    put_str(u, 1, 0, num_w, "   #", S_DIM);
    put_str(u, 1, num_w, title_end, "Title", S_DIM);
    put_str(u, 1, title_end + 1, w, "When", S_DIM);
    if (model_w)
        put_str(u, 1, title_end + 1 + date_w, w, "Model", S_DIM);
    put_str(u, 1, w - len_w, w, "  Msgs", S_DIM);
    if (l->n == 0) {
        put_str(u, 3, 2, w, "No saved conversations yet.", S_DIM);
        return;
    }
    page_scroll(u, l->n, (size_t)(h - 2) / BROWSE_ROWS);
    for (size_t i = u->page_top; i < l->n && (int)(i - u->page_top) < h - 2; i++) {
        struct ui_item *it = &l->v[i];
        int y = 2 + (int)(i - u->page_top), on = i == u->page_sel;
        int st = on ? S_SELECTED : S_NORMAL, dim = on ? S_SELECTED : S_DIM;
        char num[24], len[24];

        if (on)
            ui_fill(u, y, 0, w, S_SELECTED);
        snprintf(num, sizeof num, "%4zu ", i + 1);
        put_str(u, y, 0, num_w, num, dim);
        ui_put(u, y, num_w, title_end, it->title, strlen(it->title), st, on ? A_BOLD : 0);
        if (it->extra != NULL)
            put_str(u, y, title_end + 1, title_end + date_w, it->extra, dim);
        if (model_w && it->info != NULL) {
            /* the file name, not the folders */
            const char *m = strrchr(it->info, '/');

            put_str(u, y, title_end + 1 + date_w, w - len_w - 1, m != NULL ? m + 1 : it->info, dim);
        }
        if (it->count >= 0) {
            snprintf(len, sizeof len, "%6ld", it->count);
            put_str(u, y, w - len_w, w, len, dim);
        }
    }
    if (u->browse_asked)
        put_str(u, h - 1, 2, w, "loading more...", S_DIM);
}

/* The start of the context shown for a match at byte a: up to back
 * columns before it, not before the start of its line's sentence. */
static size_t
context_start(const char *s, size_t a, size_t back)
{
    size_t p = a, cols = 0;

    while (p > 0 && cols < back) {
        size_t q = uwidth_prev(s, p);

        cols += uwidth_str(s + q, p - q);
        p = q;
    }
    return p;
}

static void
draw_hits(ui *u, int h, int w)
{
    struct ui_list *l = &u->hits;
    char t[200];
    int cw = w - 6;

    snprintf(t, sizeof t, "Search: %s (%zu %s)", u->hits_for != NULL ? u->hits_for : "", l->n,
             l->n == 1 ? "hit" : "hits");
    page_title(u, w, t, "Enter open · v read-only · / new search · Esc back");
    if (l->n == 0) {
        put_str(u, 2, 2, w, "No message matches.", S_DIM);
        return;
    }
    if (cw < 10)
        cw = 10;
    page_scroll(u, l->n, (size_t)(h - 1) / HIT_ROWS);
    for (size_t i = u->page_top; i < l->n && (int)(i - u->page_top) * HIT_ROWS + HIT_ROWS <= h - 1; i++) {
        struct ui_item *it = &l->v[i];
        int y = 1 + (int)(i - u->page_top) * HIT_ROWS, on = i == u->page_sel, x;
        char num[24], *flat;
        size_t n, a, start, used, end1, end2;

        if (on)
            ui_fill(u, y, 0, w, S_SELECTED);
        snprintf(num, sizeof num, "%3zu  ", i + 1);
        x = put_str(u, y, 0, w, num, on ? S_SELECTED : S_DIM);
        if (it->info != NULL) {
            int iw = (int)uwidth_str(it->info, strlen(it->info));

            ui_put(u, y, x, w - iw - 2, it->title, strlen(it->title), on ? S_SELECTED : S_TITLE, 0);
            put_str(u, y, w - iw - 1, w, it->info, on ? S_SELECTED : S_DIM);
        } else {
            ui_put(u, y, x, w, it->title, strlen(it->title), on ? S_SELECTED : S_TITLE, 0);
        }
        if (it->extra == NULL)
            continue;
        /* the text around the first match, newlines and tabs as spaces */
        n = strlen(it->extra);
        flat = xstrdup(it->extra);
        for (size_t k = 0; k < n; k++)
            if (flat[k] == '\n' || flat[k] == '\t' || flat[k] == '\r')
                flat[k] = ' ';
        a = it->n_spans > 0 ? it->spans[0] : 0;
        start = context_start(flat, a, (size_t)cw / 3);
        while (start < a && flat[start] == ' ')
            start++;
        x = 5;
        if (start > 0)
            x = put_str(u, y + 1, 4, w, "…", S_DIM);
        end1 = start + uwidth_fit(flat + start, n - start, (size_t)(w - x), &used);
        ui_put_marked(u, y + 1, x, w, flat + start, end1 - start, start, it->spans, it->n_spans,
                      S_NORMAL, S_HIT);
        if (end1 < n && HIT_ROWS > 2) {
            end2 = end1 + uwidth_fit(flat + end1, n - end1, (size_t)cw, &used);
            ui_put_marked(u, y + 2, 5, w, flat + end1, end2 - end1, end1, it->spans, it->n_spans,
                          S_NORMAL, S_HIT);
        }
        free(flat);
    }
}

void
ui_draw_page(ui *u, int height, int width)
{
    switch (u->page) {
    case UI_PAGE_BROWSE:
        draw_browse(u, height, width);
        break;
    case UI_PAGE_HITS:
        draw_hits(u, height, width);
        break;
    case UI_PAGE_STATS:
        ui_draw_stats_page(u, height, width);
        break;
    default:
        break;
    }
}
