/* ui_side.c: the left column of the chat screen (the conversation list or
 * search hits, and the speed panel: tokens/s now and for this reply, a
 * sparkline of recent speed, draft acceptance and length, weight type,
 * and a context gauge that turns to the warning colour near the limit)
 * and the help screen generated from the key table. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauge.h"
#include "keys.h"
#include "ui_int.h"
#include "uwidth.h"

/* Rows the speed panel takes. */
#define STATS_H 9

static int
put_str(ui *u, int y, int x, int xmax, const char *s, int style)
{
    return ui_put(u, y, x, xmax, s, strlen(s), style, 0);
}

static void
title(ui *u, int y, int w, const char *t)
{
    int x = put_str(u, y, 0, w, t, S_TITLE);

    for (x++; x < w; x++)
        put_str(u, y, x, w, "─", S_BAR);
}

static void
draw_list(ui *u, int top, int h, int w)
{
    struct ui_list *l = ui_shown(u);
    int per = u->hits_for != NULL ? 2 : 1; /* rows per entry */
    size_t fit;
    char t[128];

    if (u->hits_for != NULL)
        snprintf(t, sizeof t, "Search: %s (%zu) ", u->hits_for, l->n);
    else
        snprintf(t, sizeof t, "Chats (%zu) ", l->n);
    title(u, top, w, t);
    top++;
    h--;
    if (h <= 0)
        return;
    if (l->n == 0) {
        put_str(u, top, 1, w, u->hits_for != NULL ? "no matches" : "none yet", S_DIM);
        return;
    }
    fit = (size_t)(h / per);
    if (fit == 0)
        fit = 1;
    if (u->sel >= l->n)
        u->sel = l->n - 1;
    if (u->sel < u->list_top)
        u->list_top = u->sel;
    if (u->sel >= u->list_top + fit)
        u->list_top = u->sel - fit + 1;
    for (size_t i = u->list_top; i < l->n && (int)((i - u->list_top) * (size_t)per) < h; i++) {
        int y = top + (int)(i - u->list_top) * per, x;
        int on = i == u->sel && (u->hits_for != NULL || l->v[i].id == u->current);
        int st = on ? S_SELECTED : S_NORMAL;
        char num[24];

        if (on)
            ui_fill(u, y, 0, w, S_SELECTED);
        snprintf(num, sizeof num, "%zu ", i + 1);
        x = put_str(u, y, 0, w, num, on ? S_SELECTED : S_DIM);
        if (u->hits_for == NULL && l->v[i].extra != NULL) {
            int ew = (int)uwidth_str(l->v[i].extra, strlen(l->v[i].extra));

            ui_put(u, y, x, w - ew - 1, l->v[i].title, strlen(l->v[i].title), st, 0);
            put_str(u, y, w - ew, w, l->v[i].extra, on ? S_SELECTED : S_DIM);
        } else {
            ui_put(u, y, x, w, l->v[i].title, strlen(l->v[i].title), st, 0);
        }
        if (per == 2 && y + 1 < top + h && l->v[i].extra != NULL) {
            const char *sn = l->v[i].extra;
            size_t sl = strcspn(sn, "\n");

            ui_put(u, y + 1, 2, w, sn, sl, S_DIM, 0);
        }
    }
}

static void
draw_stats(ui *u, int top, int h, int w)
{
    char line[160], bar[3 * 64 + 1];
    double v[64];
    size_t nv;
    int y = top, lvl;

    title(u, y++, w, "Speed ");
    if (y >= top + h)
        return;
    snprintf(line, sizeof line, " now   %7.1f tok/s", u->st.tps_now);
    put_str(u, y++, 0, w, line, S_NORMAL);
    snprintf(line, sizeof line, " reply %7.1f tok/s", u->st.tps_reply);
    put_str(u, y++, 0, w, line, S_NORMAL);
    nv = gauge_ring_get(&u->spark, v);
    gauge_sparkline(v, nv, w - 2 > 64 ? 64 : w - 2, bar, sizeof bar);
    put_str(u, y++, 1, w, bar, S_OK);
    if (y >= top + h)
        return;
    if (u->st.accept >= 0)
        snprintf(line, sizeof line, " draft %4.0f%% γ %.1f %s", u->st.accept * 100.0, u->st.gamma, u->st_spec);
    else
        snprintf(line, sizeof line, " draft  %s", u->st_spec[0] ? u->st_spec : "off");
    put_str(u, y++, 0, w, line, S_NORMAL);
    snprintf(line, sizeof line, " quant  %s", u->st_quant[0] ? u->st_quant : "-");
    put_str(u, y++, 0, w, line, S_NORMAL);
    if (y >= top + h)
        return;
    lvl = gauge_bar(u->st.ctx_used, u->st.n_ctx, w - 6 > 64 ? 64 : w - 6, bar, sizeof bar);
    put_str(u, y, 0, w, " ctx ", S_NORMAL);
    put_str(u, y++, 5, w, bar, lvl == GAUGE_FULL ? S_FULL : lvl == GAUGE_WARN ? S_WARN : S_OK);
    if (y >= top + h)
        return;
    snprintf(line, sizeof line, "     %ld / %ld%s", u->st.ctx_used, u->st.n_ctx,
             lvl == GAUGE_FULL ? " full" : lvl == GAUGE_WARN ? " near" : "");
    put_str(u, y++, 0, w, line, lvl == GAUGE_OK ? S_DIM : lvl == GAUGE_WARN ? S_WARN : S_FULL);
    if (y < top + h && u->st.ctx_msg != NULL)
        put_str(u, y++, 1, w, u->st.ctx_msg, S_WARN);
}

void
ui_draw_side(ui *u, int top, int height, int width)
{
    int list_h = height;

    if (u->stats_on && height >= STATS_H) {
        int st_top = u->sidebar ? top + height - STATS_H : top;

        draw_stats(u, st_top, STATS_H, width);
        list_h = height - STATS_H - 1;
    }
    if (u->sidebar && list_h > 1)
        draw_list(u, top, list_h, width);
}

void
ui_draw_help(ui *u, int height, int width)
{
    size_t n;
    char **lines = keys_help(u->keys, width - 2, &n);
    static const char *const tail[] = {
        "",
        "Editing: C-a C-e start/end of line · C-b C-f M-b M-f move · C-d delete",
        "         C-k C-u C-w M-d kill, C-y yank · M-Enter or C-j newline",
        "         Up/Down: lines, then earlier prompts · Tab completes /commands",
        "A typed /command runs it; //text sends text that starts with a slash.",
    };
    size_t total = n + sizeof tail / sizeof tail[0], shown = (size_t)(height - 2);
    int y = 1;

    title(u, 0, width, "ternchat help (any key closes, arrows scroll) ");
    if (u->help_top + shown > total)
        u->help_top = total > shown ? total - shown : 0;
    for (size_t i = u->help_top; i < total && y < height; i++, y++) {
        const char *s = i < n ? lines[i] : tail[i - n];

        put_str(u, y, 1, width, s, i == 0 ? S_TITLE : S_NORMAL);
    }
    keys_help_free(lines, n);
}
