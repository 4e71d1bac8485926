/* ui_draw.c: painting the chat screen from its models (view, input,
 * status): the layout, the conversation pane, the input box, the status
 * line and the F-key bar; the left column and the help screen are in
 * ui_side.c. Text goes through ui_put, which draws with ternchat's own
 * character widths (uwidth.h) so that the layout computed without curses
 * is the one on screen. */
#include "config.h"

#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "md.h"
#include "ui_int.h"
#include "uwidth.h"
#include "xmalloc.h"

/* Colours of a style in one theme: foreground, background, attributes. */
struct tstyle {
    short fg, bg;     /* colours (-1: default) */
    unsigned long a;  /* attributes */
};

#define C256(c, fallback) (COLORS >= 256 ? (c) : (fallback))

static void
set_style(ui *u, int s, short fg, short bg, unsigned long a)
{
    u->sattr[s] = a;
    u->spair[s] = 0;
    if (!u->mono && (fg != -1 || bg != -1)) {
        init_pair((short)s, fg, bg);
        u->spair[s] = (short)s;
    }
}

void
ui_draw_init(ui *u)
{
    const char *nc = getenv("NO_COLOR");
    int light = u->settings->theme == CONF_THEME_LIGHT;
    short code_bg;

    u->mono = (nc != NULL && *nc) || u->settings->no_color || u->settings->theme == CONF_THEME_MONO
              || !has_colors();
    if (!u->mono) {
        start_color();
        use_default_colors();
    }
    code_bg = light ? C256(254, -1) : C256(236, -1);
    memset(u->sattr, 0, sizeof u->sattr);
    memset(u->spair, 0, sizeof u->spair);
    set_style(u, S_NORMAL, -1, -1, A_NORMAL);
    set_style(u, S_USER, light ? COLOR_BLUE : COLOR_CYAN, -1, A_BOLD);
    set_style(u, S_ASSISTANT, light ? COLOR_GREEN : COLOR_GREEN, -1, A_BOLD);
    set_style(u, S_SYSTEM, COLOR_MAGENTA, -1, A_BOLD);
    set_style(u, S_INFO, light ? COLOR_BLUE : COLOR_YELLOW, -1, A_BOLD);
    set_style(u, S_ERROR, COLOR_RED, -1, A_BOLD);
    set_style(u, S_NOTE, -1, -1, A_DIM);
    set_style(u, S_CODE, light ? COLOR_RED : COLOR_YELLOW, code_bg, u->mono ? A_BOLD : A_NORMAL);
    set_style(u, S_BLOCK, -1, code_bg, A_NORMAL);
    set_style(u, S_LANG, light ? COLOR_BLUE : COLOR_CYAN, code_bg, A_DIM);
    set_style(u, S_HEAD, light ? COLOR_MAGENTA : COLOR_MAGENTA, -1, A_BOLD);
    set_style(u, S_MARK, light ? COLOR_BLUE : COLOR_CYAN, -1, A_BOLD);
    set_style(u, S_QUOTE, -1, -1, A_DIM);
    set_style(u, S_BAR, light ? COLOR_BLUE : COLOR_CYAN, -1, A_DIM);
    set_style(u, S_STATUS, light ? COLOR_BLACK : COLOR_WHITE, COLOR_BLUE, u->mono ? A_REVERSE : A_NORMAL);
    set_style(u, S_STATUS_ERR, COLOR_WHITE, COLOR_RED, u->mono ? A_REVERSE | A_BOLD : A_BOLD);
    set_style(u, S_FKEY, -1, -1, A_BOLD);
    set_style(u, S_FLABEL, COLOR_BLACK, COLOR_CYAN, u->mono ? A_REVERSE : A_NORMAL);
    set_style(u, S_SELECTED, COLOR_BLACK, COLOR_CYAN, u->mono ? A_REVERSE : A_NORMAL);
    set_style(u, S_TITLE, light ? COLOR_BLUE : COLOR_CYAN, -1, A_BOLD);
    set_style(u, S_DIM, -1, -1, A_DIM);
    set_style(u, S_OK, COLOR_GREEN, -1, A_NORMAL);
    set_style(u, S_WARN, COLOR_YELLOW, -1, A_BOLD);
    set_style(u, S_FULL, COLOR_RED, -1, u->mono ? A_REVERSE | A_BOLD : A_BOLD);
    set_style(u, S_PROMPT, light ? COLOR_BLUE : COLOR_CYAN, -1, A_BOLD);
    set_style(u, S_HIT, COLOR_BLACK, COLOR_YELLOW, u->mono ? A_REVERSE | A_BOLD : A_BOLD);
    set_style(u, S_ACCEPT, light ? COLOR_MAGENTA : COLOR_CYAN, -1, u->mono ? A_UNDERLINE : A_NORMAL);
    set_style(u, S_BAR2, COLOR_MAGENTA, -1, A_NORMAL);
}

int
ui_put(ui *u, int y, int x, int xmax, const char *s, size_t n, int style, unsigned long extra)
{
    attr_t a = (attr_t)(u->sattr[style] | extra);
    short pair = u->spair[style];
    size_t i = 0;

    while (i < n && x < xmax) {
        uint32_t cp;
        size_t l = uwidth_decode(s + i, n - i, &cp), end;
        int w = uwidth_cp(cp);
        char vis[8];
        wchar_t wc[CCHARW_MAX + 1];
        int k = 0;
        cchar_t cc;

        end = uwidth_next(s, n, i, NULL);
        if (x + w > xmax)
            break;
        if (uwidth_visible(cp, vis)) {
            /* a control character: drawn as ^X (or <9B>), reversed */
            for (int c = 0; vis[c]; c++) {
                wc[0] = (wchar_t)vis[c];
                wc[1] = 0;
                setcchar(&cc, wc, a | A_REVERSE, pair, NULL);
                mvadd_wch(y, x + c, &cc);
            }
        } else if (w > 0) {
            /* the character and the zero-width ones after it, if the
             * terminal's idea of their width agrees with ours */
            int tw = wcwidth((wchar_t)cp);

            if (tw == w) {
                wc[k++] = (wchar_t)cp;
                for (size_t j = i + l; j < end && k < CCHARW_MAX;) {
                    uint32_t z;

                    j += uwidth_decode(s + j, end - j, &z);
                    if (wcwidth((wchar_t)z) == 0)
                        wc[k++] = (wchar_t)z;
                }
            } else {
                wc[k++] = w == 2 ? (wchar_t)0xFF1F : (wchar_t)UWIDTH_REPLACEMENT; /* "？" / "�" */
                if (wcwidth(wc[0]) != w)
                    wc[0] = '?';
            }
            wc[k] = 0;
            setcchar(&cc, wc, a, pair, NULL);
            mvadd_wch(y, x, &cc);
            if (wc[0] == '?' && w == 2) {
                wc[0] = ' ';
                setcchar(&cc, wc, a, pair, NULL);
                mvadd_wch(y, x + 1, &cc);
            }
        }
        x += w;
        i = end;
    }
    return x;
}

void
ui_fill(ui *u, int y, int x, int xmax, int style)
{
    attr_t a = (attr_t)u->sattr[style];
    short pair = u->spair[style];
    wchar_t sp[2] = { L' ', 0 };
    cchar_t cc;

    setcchar(&cc, sp, a, pair, NULL);
    for (; x < xmax; x++)
        mvadd_wch(y, x, &cc);
}

static int
put_str(ui *u, int y, int x, int xmax, const char *s, int style)
{
    return ui_put(u, y, x, xmax, s, strlen(s), style, 0);
}

/* The style of a run of message text. */
static int
run_style(unsigned attr, unsigned long *extra)
{
    *extra = 0;
    if (attr & MD_BOLD)
        *extra |= A_BOLD;
    if (attr & MD_ITALIC)
        *extra |= A_ITALIC;
    if (attr & MD_LANG)
        return S_LANG;
    if (attr & MD_BLOCK)
        return S_BLOCK;
    if (attr & MD_CODE)
        return S_CODE;
    if (attr & MD_HEAD)
        return S_HEAD;
    if (attr & MD_MARK)
        return S_MARK;
    if (attr & MD_QUOTE)
        return S_QUOTE;
    return S_NORMAL;
}

static const int role_style[] = { S_USER, S_ASSISTANT, S_SYSTEM, S_INFO, S_ERROR };

/* For the display bytes of a rendered line, the byte of its source line
 * each came from, or SIZE_MAX for bytes the renderer made up (bullets,
 * expanded tabs): the markup it dropped is skipped by looking a few
 * bytes ahead in the source. */
static void
align_line(const char *disp, size_t dn, const char *src, size_t sn, size_t *map)
{
    size_t i = 0, j = 0;

    while (i < dn) {
        size_t k;

        for (k = 0; k <= 4 && j + k < sn; k++)
            if (src[j + k] == disp[i])
                break;
        if (k <= 4 && j + k < sn) {
            j += k;
            map[i++] = j++;
        } else {
            map[i++] = SIZE_MAX;
        }
    }
}

/* Is display byte off of row r text the draft proposed? */
static int
accepted_at(const ui *u, const view_row *r, const size_t *map, size_t off)
{
    size_t s;

    if (off >= r->line_len || map[off] == SIZE_MAX)
        return 0;
    s = r->src + map[off];
    return s < u->acc_len && u->acc[s];
}

/* Draw a run, the accepted draft text in its own style. */
static int
put_run_marked(ui *u, int y, int x, int xmax, const view_row *r, const view_run *run, const size_t *map,
               int st, unsigned long extra)
{
    size_t off = (size_t)(run->text - r->line), i = 0;

    while (i < run->len) {
        int acc = accepted_at(u, r, map, off + i);
        size_t j = i;

        while (j < run->len && accepted_at(u, r, map, off + j) == acc)
            j = uwidth_next(run->text, run->len, j, NULL);
        x = ui_put(u, y, x, xmax, run->text + i, j - i, acc ? S_ACCEPT : st, extra);
        i = j;
    }
    return x;
}

/* The source-byte map of a body row of the marked message, or NULL. */
static size_t *
row_map(ui *u, const view_row *r)
{
    const char *src;
    size_t sn, end;
    size_t *map;

    if (!u->marks || r->msg != u->acc_msg || r->line == NULL || r->line_len == 0)
        return NULL;
    src = view_msg_text(u->view, r->msg, &sn);
    if (r->src >= sn)
        return NULL;
    end = r->src;
    while (end < sn && src[end] != '\n')
        end++;
    map = xcalloc(r->line_len, sizeof *map);
    align_line(r->line, r->line_len, src + r->src, end - r->src, map);
    return map;
}

static void
draw_pane(ui *u, int top, int x0, int w, int h)
{
    size_t first = view_top(u->view);

    for (int i = 0; i < h; i++) {
        view_row r;
        int x = x0;
        size_t *map;

        if (!view_row_get(u->view, first + (size_t)i, &r))
            break;
        if (r.type == VIEW_ROW_HEADER) {
            for (size_t k = 0; k < r.n_runs; k++)
                x = ui_put(u, top + i, x, x0 + w, r.runs[k].text, r.runs[k].len,
                           r.runs[k].attr & VIEW_A_LABEL ? role_style[r.role] : S_NOTE, 0);
            if (u->busy && r.msg + 1 == view_count(u->view) && r.role == UI_ASSISTANT) {
                static const char *const spin[] = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" };

                put_str(u, top + i, x + 1, x0 + w, spin[u->spin % 10], S_NOTE);
            }
            continue;
        }
        if (r.type != VIEW_ROW_BODY)
            continue;
        if (r.line_kind == MD_CODELINE || r.line_kind == MD_FENCE_OPEN || r.line_kind == MD_FENCE_CLOSE) {
            ui_fill(u, top + i, x0 + 1, x0 + w, S_BLOCK);
            put_str(u, top + i, x0, x0 + w, "▎", S_BAR);
            if (r.line_kind == MD_FENCE_OPEN && r.n_runs == 0)
                put_str(u, top + i, x0 + r.indent, x0 + w, "code", S_LANG);
        } else if (r.line_kind == MD_QUOTED || r.line_kind == MD_RULE) {
            if (r.line_kind == MD_RULE)
                for (int c = x0 + r.indent; c < x0 + w; c++)
                    put_str(u, top + i, c, x0 + w, "─", S_DIM);
        }
        x = x0 + r.indent;
        map = row_map(u, &r);
        for (size_t k = 0; k < r.n_runs; k++) {
            unsigned long extra;
            int st = run_style(r.runs[k].attr, &extra);

            if (r.role != UI_ASSISTANT && r.role != UI_USER)
                st = r.role == UI_ERROR ? S_ERROR : st;
            if (map != NULL)
                x = put_run_marked(u, top + i, x, x0 + w, &r, &r.runs[k], map, st, extra);
            else
                x = ui_put(u, top + i, x, x0 + w, r.runs[k].text, r.runs[k].len, st, extra);
        }
        free(map);
    }
    if (view_below(u->view) > 0 && h > 2) {
        char msg[96];
        int len = snprintf(msg, sizeof msg, " ↓ %zu more lines · M-> follows ", view_below(u->view));
        int cols = (int)uwidth_str(msg, (size_t)len);

        ui_put(u, top + h - 1, x0 + w - cols > x0 ? x0 + w - cols : x0, x0 + w, msg, (size_t)len, S_STATUS, 0);
    }
}

static void
draw_input(ui *u, int top, int h, int w, size_t n_rows, size_t cur_row, int cur_col, int focus)
{
    size_t len, first = cur_row >= (size_t)h ? cur_row - (size_t)h + 1 : 0;
    const char *t = input_text(u->input, &len);

    for (int i = 0; i < h; i++) {
        size_t r = first + (size_t)i;

        if (r >= n_rows)
            break;
        if (r == 0)
            put_str(u, top + i, 0, 2, u->editing ? "✎ " : "❯ ", S_PROMPT);
        ui_put(u, top + i, 2, w, t + u->rows[r].start, u->rows[r].end - u->rows[r].start, S_NORMAL, 0);
    }
    if (len == 0)
        put_str(u, top, 2, w, u->busy ? "writing... (C-c stops)" : "Type a message · / for commands · F1 help",
                S_DIM);
    if (focus)
        move(top + (int)(cur_row - first), 2 + cur_col);
}

/* The rule above the input box, with a hint. */
static void
draw_rule(ui *u, int y, int w)
{
    size_t len;
    const char *t = input_text(u->input, &len);
    char hint[160];
    int cols;

    for (int x = 0; x < w; x++)
        put_str(u, y, x, w, "─", S_BAR);
    hint[0] = '\0';
    if (t[0] == '/' && t[1] != '/') {
        size_t n = strcspn(t + 1, " \t\n");
        const keys_action *a = keys_find_slash(t + 1, n);

        if (a != NULL)
            snprintf(hint, sizeof hint, " /%s %s · %s ", a->slash, a->arg_name, a->help);
        else
            snprintf(hint, sizeof hint, " Tab completes commands ");
    } else if (input_pasting(u->input)) {
        snprintf(hint, sizeof hint, " pasting ");
    } else {
        snprintf(hint, sizeof hint, " Enter sends · M-Enter newline · ↑ history ");
    }
    cols = (int)uwidth_str(hint, strlen(hint));
    put_str(u, y, w - cols > 1 ? w - cols - 1 : 0, w, hint, S_DIM);
}

static void
draw_status(ui *u, int y, int w)
{
    char right[128];
    int x, rc;

    ui_fill(u, y, 0, w, S_STATUS);
    right[0] = '\0';
    if (u->prog_what != NULL) {
        char bar[3 * 10 + 1];

        gauge_bar((long)(u->prog * 1000.0), 1000, 10, bar, sizeof bar);
        snprintf(right, sizeof right, " %s %s %3.0f%% ", u->prog_what, bar, u->prog * 100.0);
    } else if (u->busy) {
        snprintf(right, sizeof right, " %.1f tok/s · C-c stops ", u->st.tps_reply);
    } else if (u->st.n_ctx > 0) {
        snprintf(right, sizeof right, " %s ctx %ld/%ld ", u->st_quant, u->st.ctx_used, u->st.n_ctx);
    } else if (u->st_quant[0]) {
        snprintf(right, sizeof right, " %s ", u->st_quant);
    }
    rc = (int)uwidth_str(right, strlen(right));
    x = 1;
    if (u->readonly && u->confirm_q == NULL)
        x = put_str(u, y, 1, w - rc, "[read-only] ", S_STATUS_ERR);
    if (u->confirm_q != NULL)
        x = put_str(u, y, x, w - rc, u->confirm_q, S_STATUS_ERR);
    else if (u->note != NULL)
        x = put_str(u, y, x, w - rc, u->note, u->note_err ? S_STATUS_ERR : S_STATUS);
    else
        x = put_str(u, y, x, w - rc, u->status != NULL ? u->status : "ternchat", S_STATUS);
    (void)x;
    put_str(u, y, w - rc > 0 ? w - rc : 0, w, right, S_STATUS);
}

/* Short labels of the F-key bar. */
static const char *
flabel(const char *action)
{
    static const struct {
        const char *a, *l; /* action, label */
    } labels[] = {
        { "help", "Help" }, { "sidebar", "Chats" }, { "search", "Search" }, { "quant", "Quant" },
        { "regen", "Regen" }, { "stats", "Stats" }, { "spec", "Spec" },   { "new", "New" },
        { "export", "Export" }, { "quit", "Quit" }, { "browse", "History" }, { "statscreen", "Speed" },
    };

    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(labels[i].a, action) == 0)
            return labels[i].l;
    return action;
}

static void
draw_fkeys(ui *u, int y, int w)
{
    int nf = w >= 120 ? 12 : 10, slot = w / nf, x = 0;

    for (int f = 1; f <= nf; f++) {
        const keys_action *a = keys_map_lookup(u->keys, KEYS_F(f));
        char num[8];
        int xe = f == nf ? w : x + slot;

        snprintf(num, sizeof num, "F%d", f);
        x = put_str(u, y, x, xe, num, S_FKEY);
        ui_fill(u, y, x, xe, S_FLABEL);
        if (a != NULL)
            put_str(u, y, x, xe, flabel(a->name), S_FLABEL);
        x = xe;
    }
}

void
ui_draw(ui *u)
{
    int H = LINES, W = COLS, side = 0, in_h, in_top, pane_h, max_in;
    size_t n_rows = 0, cur_row;
    int cur_col;

    if (u->full_redraw) {
        clearok(curscr, TRUE);
        u->full_redraw = 0;
    }
    erase();
    if (H < 8 || W < 24 || u->help) {
        if (u->cursor_on)
            curs_set(0);
        u->cursor_on = 0;
    }
    if (H < 8 || W < 24) {
        put_str(u, 0, 0, W, "ternchat: the terminal is too small", S_ERROR);
        refresh();
        return;
    }
    if (u->help) {
        ui_draw_help(u, H - 1, W);
        draw_fkeys(u, H - 1, W);
        refresh();
        return;
    }
    if (u->page != UI_PAGE_CHAT) {
        if (u->cursor_on)
            curs_set(0);
        u->cursor_on = 0;
        ui_draw_page(u, H - 2, W);
        draw_status(u, H - 2, W);
        draw_fkeys(u, H - 1, W);
        refresh();
        return;
    }
    input_layout(u->input, W - 2, &u->rows, &n_rows, &u->rows_cap, &cur_row, &cur_col);
    max_in = (H - 4) / 3;
    if (max_in < 1)
        max_in = 1;
    if (max_in > 10)
        max_in = 10;
    in_h = n_rows < (size_t)max_in ? (int)n_rows : max_in;
    in_top = H - 2 - in_h;
    pane_h = in_top - 1;
    if ((u->sidebar || u->stats_on) && W >= 60)
        side = W >= 100 ? UI_SIDE_W + 4 : UI_SIDE_W;
    if (side) {
        ui_draw_side(u, 0, pane_h, side);
        for (int y = 0; y < pane_h; y++)
            put_str(u, y, side, side + 1, "│", S_BAR);
        side++;
    }
    view_resize(u->view, W - side - 1, pane_h);
    draw_pane(u, 0, side, W - side - 1, pane_h);
    draw_rule(u, in_top - 1, W);
    draw_status(u, H - 2, W);
    draw_fkeys(u, H - 1, W);
    draw_input(u, in_top, in_h, W, n_rows, cur_row, cur_col, 1);
    if (!u->cursor_on)
        curs_set(1);
    u->cursor_on = 1;
    refresh();
}
