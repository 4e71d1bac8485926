/* ui_statpage.c: the statistics page: the speed of this session now (a
 * sparkline of recent tokens/s) and, from the store, groups of rows (this
 * session and all sessions by quant mode, by model pair, session by
 * session): per row a bar of tokens/s scaled to the group's fastest, the
 * draft acceptance as a small bar and a percentage, the mean draft length
 * and the number of replies; groups in time order get sparklines of speed
 * and acceptance over their rows. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "gauge.h"
#include "ui_int.h"
#include "uwidth.h"

/* Lines are produced in order; only those in the window are drawn. */
struct sp_paint {
    ui *u;       /* the screen */
    int y0;      /* first screen row of the window */
    int h;       /* rows in the window */
    size_t top;  /* first line shown */
    size_t line; /* the next line's number */
};

/* The screen row of the next line, or -1 when it is outside the window. */
static int
next_y(struct sp_paint *p)
{
    size_t l = p->line++;

    if (l < p->top || l >= p->top + (size_t)p->h)
        return -1;
    return p->y0 + (int)(l - p->top);
}

static int
put_str(ui *u, int y, int x, int xmax, const char *s, int style)
{
    return ui_put(u, y, x, xmax, s, strlen(s), style, 0);
}

/* Columns of the key, the speed bar and whether the reply count fits. */
struct sp_cols {
    int key_w;   /* the key */
    int bar_w;   /* the speed bar */
    int replies; /* show the reply count */
};

static struct sp_cols
columns(int w)
{
    struct sp_cols c;
    int rest;

    c.key_w = w / 4 > 22 ? 22 : w / 4 < 8 ? 8 : w / 4;
    c.replies = w >= 90;
    /* " 1234.5 tok/s", "  acc ", the bar, " 75%", " γ 3.5", "  12345 replies" */
    rest = 14 + 6 + 5 + 5 + 6 + (c.replies ? 15 : 0);
    c.bar_w = w - 3 - c.key_w - rest;
    if (c.bar_w > 40)
        c.bar_w = 40;
    if (c.bar_w < 4)
        c.bar_w = 4;
    return c;
}

static void
draw_row(ui *u, int y, int w, const ui_stat_row *r, double max, const struct sp_cols *c)
{
    char bar[3 * 64 + 1], num[64];
    int x = 2;

    if (r->current)
        put_str(u, y, 0, 2, "▸", S_MARK);
    ui_put(u, y, x, x + c->key_w, r->key, strlen(r->key), r->current ? S_TITLE : S_NORMAL, 0);
    x += c->key_w + 1;
    gauge_bar((long)(r->gen_tps * 100.0), (long)(max * 100.0), c->bar_w, bar, sizeof bar);
    x = put_str(u, y, x, w, bar, S_OK);
    snprintf(num, sizeof num, " %7.1f tok/s", r->gen_tps);
    x = put_str(u, y, x, w, num, S_NORMAL);
    if (r->accept >= 0) {
        x = put_str(u, y, x, w, "  acc ", S_DIM);
        gauge_bar((long)(r->accept * 1000.0), 1000, 5, bar, sizeof bar);
        x = put_str(u, y, x, w, bar, S_BAR2);
        snprintf(num, sizeof num, " %3.0f%%", r->accept * 100.0);
        x = put_str(u, y, x, w, num, S_NORMAL);
        if (r->gamma > 0) {
            snprintf(num, sizeof num, " γ%4.1f", r->gamma);
            x = put_str(u, y, x, w, num, S_DIM);
        } else {
            x = put_str(u, y, x, w, "      ", S_DIM);
        }
    } else {
        x = put_str(u, y, x, w, "  no drafting         ", S_DIM); /* as wide as the above */
    }
    if (c->replies) {
        snprintf(num, sizeof num, "  %5ld %s", r->replies, r->replies == 1 ? "reply" : "replies");
        put_str(u, y, x, w, num, S_DIM);
    }
}

/* A sparkline of one value over the rows of a group. */
static void
draw_trend(ui *u, int y, int w, const struct ui_sgroup *g, int accept, const struct sp_cols *c)
{
    double v[64];
    size_t n = 0, from = g->n > 64 ? g->n - 64 : 0;
    char line[3 * 64 + 1];

    for (size_t i = from; i < g->n; i++)
        v[n++] = accept ? (g->rows[i].accept > 0 ? g->rows[i].accept : 0) : g->rows[i].gen_tps;
    put_str(u, y, 2, 2 + c->key_w, accept ? "acceptance" : "speed", S_DIM);
    gauge_sparkline(v, n, w - c->key_w - 4 > 64 ? 64 : w - c->key_w - 4, line, sizeof line);
    put_str(u, y, 3 + c->key_w, w, line, accept ? S_BAR2 : S_OK);
}

/* Paint the lines that fall in the window. */
static void
paint(struct sp_paint *p, int w)
{
    ui *u = p->u;
    struct sp_cols c = columns(w);
    char line[200], bar[3 * 64 + 1];
    double v[64];
    size_t nv;
    int y;

    if ((y = next_y(p)) >= 0) {
        snprintf(line, sizeof line, "Now: %.1f tok/s · this reply %.1f tok/s · quant %s · spec %s",
                 u->st.tps_now, u->st.tps_reply, u->st_quant[0] ? u->st_quant : "-",
                 u->st_spec[0] ? u->st_spec : "-");
        put_str(u, y, 1, w, line, S_NORMAL);
    }
    if ((y = next_y(p)) >= 0) {
        nv = gauge_ring_get(&u->spark, v);
        put_str(u, y, 1, 2 + c.key_w, "recent speed", S_DIM);
        gauge_sparkline(v, nv, w - c.key_w - 4 > 64 ? 64 : w - c.key_w - 4, bar, sizeof bar);
        put_str(u, y, 3 + c.key_w, w, nv ? bar : "(no reply yet)", nv ? S_OK : S_DIM);
    }
    next_y(p);
    for (size_t gi = 0; gi < u->n_sg; gi++) {
        const struct ui_sgroup *g = &u->sg[gi];
        double max = 0;

        for (size_t i = 0; i < g->n; i++)
            if (g->rows[i].gen_tps > max)
                max = g->rows[i].gen_tps;
        if ((y = next_y(p)) >= 0) {
            int x = put_str(u, y, 1, w, g->title, S_TITLE);

            for (x++; x < w; x++)
                put_str(u, y, x, w, "─", S_BAR);
        }
        if (g->n == 0 && (y = next_y(p)) >= 0)
            put_str(u, y, 2, w, "nothing recorded yet", S_DIM);
        for (size_t i = 0; i < g->n; i++)
            if ((y = next_y(p)) >= 0)
                draw_row(u, y, w, &g->rows[i], max, &c);
        if (g->trend && g->n >= 2) {
            if ((y = next_y(p)) >= 0)
                draw_trend(u, y, w, g, 0, &c);
            if ((y = next_y(p)) >= 0)
                draw_trend(u, y, w, g, 1, &c);
        }
        next_y(p);
    }
}

size_t
ui_stats_page_lines(const ui *u)
{
    size_t n = 3;

    for (size_t i = 0; i < u->n_sg; i++)
        n += 2 + (u->sg[i].n ? u->sg[i].n : 1) + (u->sg[i].trend && u->sg[i].n >= 2 ? 2 : 0);
    return n;
}

void
ui_draw_stats_page(ui *u, int height, int width)
{
    struct sp_paint p;
    size_t total = ui_stats_page_lines(u), shown = height > 1 ? (size_t)(height - 1) : 1;
    const char *keys = "↑↓ scroll · r refresh · any key back";
    int kw = (int)uwidth_str(keys, strlen(keys));

    ui_fill(u, 0, 0, width, S_STATUS);
    put_str(u, 0, 1, width, "Speed statistics", S_STATUS);
    if (width - kw - 1 > 20)
        put_str(u, 0, width - kw - 1, width, keys, S_STATUS);
    if (u->page_top + shown > total)
        u->page_top = total > shown ? total - shown : 0;
    u->page_fit = shown;
    p.u = u;
    p.y0 = 1;
    p.h = (int)shown;
    p.top = u->page_top;
    p.line = 0;
    paint(&p, width);
}
