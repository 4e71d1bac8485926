/* ui_act_nav.c: the actions that move around: through the list on the
 * left (open a conversation or a search hit) and through the
 * conversation (pages, lines, top, bottom), and redrawing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ui_act.h"
#include "ui_int.h"

static int
fail(ui *u, const char *msg)
{
    ui_note(u, 1, msg);
    return -1;
}

/* Open entry i of the list shown. */
static int
open_entry(ui *u, size_t i)
{
    struct ui_list *l = ui_shown(u);
    ui_request r;

    if (i >= l->n)
        return fail(u, l->n ? "no such entry in the list" : "the list is empty");
    u->sel = i;
    memset(&r, 0, sizeof r);
    r.type = UI_REQ_OPEN;
    r.id = l->v[i].id;
    r.msg_id = l->v[i].msg_id;
    u->editing = 0;
    if (ui_request_send(u, &r) < 0)
        return -1;
    u->readonly = 0;
    return 0;
}

int
ui_act_prev(ui *u, const char *arg)
{
    (void)arg;
    return open_entry(u, u->sel > 0 ? u->sel - 1 : 0);
}

int
ui_act_next(ui *u, const char *arg)
{
    struct ui_list *l = ui_shown(u);

    (void)arg;
    return open_entry(u, u->sel + 1 < l->n ? u->sel + 1 : u->sel);
}

int
ui_act_open(ui *u, const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);

    if (*end != '\0' || n < 1)
        return fail(u, "/open takes the number of an entry in the list");
    return open_entry(u, (size_t)n - 1);
}

int
ui_act_redraw(ui *u, const char *arg)
{
    (void)arg;
    u->full_redraw = 1;
    return 0;
}

int
ui_act_page_up(ui *u, const char *arg)
{
    (void)arg;
    view_page(u->view, -1);
    return 0;
}

int
ui_act_page_down(ui *u, const char *arg)
{
    (void)arg;
    view_page(u->view, 1);
    return 0;
}

int
ui_act_line_up(ui *u, const char *arg)
{
    (void)arg;
    view_scroll(u->view, -3);
    return 0;
}

int
ui_act_line_down(ui *u, const char *arg)
{
    (void)arg;
    view_scroll(u->view, 3);
    return 0;
}

int
ui_act_top(ui *u, const char *arg)
{
    (void)arg;
    view_home(u->view);
    return 0;
}

int
ui_act_bottom(ui *u, const char *arg)
{
    (void)arg;
    view_end(u->view);
    return 0;
}
