/* ui.c: the chat screen's life cycle, the main loop (poll on the terminal
 * and the controller's fd) and the routing of keys and of lines typed in
 * the input box. The functions that fill the screen are in ui_api.c,
 * painting in ui_draw.c and ui_side.c, the terminal in ui_term.c, the
 * actions in ui_act.c and ui_act_nav.c. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui.h"
#include "ui_act.h"
#include "ui_int.h"
#include "xmalloc.h"

double
ui_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

ui *
ui_new(const conf *cfg, const ui_callbacks *cb, char *err, size_t errsz)
{
    ui *u = xcalloc(1, sizeof *u);

    u->cb = *cb;
    u->settings = conf_new();
    if (cfg != NULL)
        conf_merge(u->settings, cfg);
    u->keys = keys_map_new();
    for (size_t i = 0; i < u->settings->n_binds; i++) {
        char e[200];

        if (keys_map_bind(u->keys, u->settings->binds[i].action, u->settings->binds[i].keys, e, sizeof e) < 0) {
            snprintf(err, errsz, "key.%s: %s", u->settings->binds[i].action, e);
            ui_free(u);
            return NULL;
        }
    }
    u->view = view_new();
    u->input = input_new();
    u->watch_fd = -1;
    u->sidebar = u->settings->sidebar;
    u->stats_on = u->settings->stats;
    if (u->settings->system_prompt != NULL)
        u->system = xstrdup(u->settings->system_prompt);
    u->st.accept = -1;
    u->acc_msg = SIZE_MAX;
    u->dirty = 1;
    return u;
}

void
ui_item_free(struct ui_item *it)
{
    free(it->title);
    free(it->extra);
    free(it->info);
    free(it->spans);
    memset(it, 0, sizeof *it);
}

void
ui_list_free(struct ui_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        ui_item_free(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void
ui_sgroups_free(ui *u)
{
    for (size_t i = 0; i < u->n_sg; i++) {
        for (size_t j = 0; j < u->sg[i].n; j++)
            free((char *)u->sg[i].rows[j].key);
        free(u->sg[i].rows);
        free(u->sg[i].title);
    }
    free(u->sg);
    u->sg = NULL;
    u->n_sg = 0;
}

struct ui_list *
ui_shown(ui *u)
{
    return u->hits_for != NULL ? &u->hits : &u->convs;
}

void
ui_drop_hits(ui *u)
{
    ui_list_free(&u->hits);
    free(u->hits_for);
    u->hits_for = NULL;
    u->sel = u->list_top = 0;
    for (size_t i = 0; i < u->convs.n; i++)
        if (u->convs.v[i].id == u->current)
            u->sel = i;
    u->dirty = 1;
}

void
ui_free(ui *u)
{
    if (u == NULL)
        return;
    if (u->active)
        ui_term_stop(u);
    ui_list_free(&u->convs);
    ui_list_free(&u->hits);
    ui_list_free(&u->browse);
    ui_sgroups_free(u);
    free(u->acc);
    conf_free(u->settings);
    keys_map_free(u->keys);
    view_free(u->view);
    input_free(u->input);
    free(u->status);
    free(u->note);
    free(u->prog_what);
    free(u->hits_for);
    free(u->system);
    free(u->confirm_q);
    free(u->rows);
    free(u);
}

void
ui_watch_fd(ui *u, int fd)
{
    u->watch_fd = fd;
}

void
ui_quit(ui *u)
{
    u->quit = 1;
}

int
ui_signal(const ui *u)
{
    return u->sig;
}

void
ui_set_crash_hook(ui *u, void (*fn)(void *arg), void *arg)
{
    u->crash_fn = fn;
    u->crash_arg = arg;
}

int
ui_refuse_readonly(ui *u)
{
    if (!u->readonly)
        return 0;
    ui_note(u, 1, "this conversation is open read-only: /continue to chat in it");
    return 1;
}

int
ui_request_send(ui *u, ui_request *r)
{
    char err[256] = "";

    if (u->cb.request == NULL)
        return 0;
    if (u->cb.request(u->cb.ud, r, err, sizeof err) < 0) {
        ui_note(u, 1, err[0] ? err : "that did not work");
        return -1;
    }
    u->dirty = 1;
    return 0;
}

size_t
ui_last_role(const ui *u, int role)
{
    size_t n = view_count(u->view);

    while (n > 0) {
        n--;
        if (view_msg_role(u->view, n) == role)
            return n;
    }
    return view_count(u->view);
}

/* Which prompt message i is: the number of user messages before it. */
static int
prompt_ordinal(const ui *u, size_t i)
{
    int k = 0;

    for (size_t j = 0; j < i; j++)
        if (view_msg_role(u->view, j) == UI_USER)
            k++;
    return k;
}

/* Send a prompt (or an edited prompt). */
static void
send_prompt(ui *u, char *text)
{
    ui_request r;
    size_t at = view_count(u->view), lu = u->edit_at;
    int edit = u->editing && lu < at && view_msg_role(u->view, lu) == UI_USER;

    if (u->busy) {
        ui_note(u, 1, "a reply is being written: wait, or stop it with C-c");
        input_set(u->input, text, strlen(text));
        return;
    }
    if (ui_refuse_readonly(u)) {
        input_set(u->input, text, strlen(text));
        return;
    }
    memset(&r, 0, sizeof r);
    r.type = edit ? UI_REQ_EDIT : UI_REQ_SEND;
    r.text = text;
    if (edit) {
        r.value = prompt_ordinal(u, lu);
        /* keep the old messages until the controller agrees */
        char *old = xstrdup(view_msg_text(u->view, lu, NULL));

        view_truncate(u->view, lu);
        view_add(u->view, UI_USER, text, strlen(text));
        if (ui_request_send(u, &r) < 0) {
            view_truncate(u->view, lu);
            view_add(u->view, UI_USER, old, strlen(old));
            input_set(u->input, text, strlen(text));
        } else {
            u->editing = 0;
        }
        free(old);
    } else {
        view_add(u->view, UI_USER, text, strlen(text));
        view_end(u->view);
        if (ui_request_send(u, &r) < 0) {
            view_truncate(u->view, at);
            input_set(u->input, text, strlen(text));
        }
    }
}

void
ui_submit(ui *u, char *line)
{
    const keys_action *act;
    char *arg, err[256];
    const char *p = line;

    while (*p == ' ' || *p == '\n' || *p == '\t')
        p++;
    if (*p == '\0') {
        free(line);
        return;
    }
    switch (keys_slash(line, &act, &arg, err, sizeof err)) {
    case KEYS_SLASH_TEXT:
        send_prompt(u, arg);
        break;
    case KEYS_SLASH_CMD:
        act->run(u, arg);
        break;
    default:
        ui_note(u, 1, err);
        input_set(u->input, line, strlen(line));
        break;
    }
    free(arg);
    free(line);
    u->dirty = 1;
}

static int
printable(int key)
{
    return key >= 0x20 && key < KEYS_SPECIAL && key != 0x7f;
}

/* The help screen's keys: scroll or close. */
static void
help_key(ui *u, int key)
{
    switch (key) {
    case KEYS_UP:
    case KEYS_WHEEL_UP:
        if (u->help_top > 0)
            u->help_top--;
        break;
    case KEYS_DOWN:
    case KEYS_WHEEL_DOWN:
        u->help_top++;
        break;
    case KEYS_PGUP:
        u->help_top = u->help_top > 10 ? u->help_top - 10 : 0;
        break;
    case KEYS_PGDN:
    case ' ':
        u->help_top += 10;
        break;
    case KEYS_RESIZE:
        break;
    default:
        u->help = 0;
        break;
    }
}

static void
complete(ui *u)
{
    size_t len, cur = input_cursor(u->input);
    const char *t = input_text(u->input, &len);
    char *upto = xstrndup(t, cur);
    keys_compl c;
    size_t n = keys_complete(upto, &c);

    if (n > 0 && c.insert[0])
        input_insert(u->input, c.insert, strlen(c.insert));
    if (c.n_cands > 1) {
        size_t used = 0;
        char list[256];

        list[0] = '\0';
        for (size_t i = 0; i < c.n_cands && used + 2 < sizeof list; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", i ? "  " : "", c.cands[i]);

            if (w < 0)
                break;
            used += (size_t)w;
        }
        ui_note(u, 0, list);
    } else if (n == 0 && t[0] == '/') {
        ui_note(u, 0, "nothing to complete");
    }
    keys_compl_free(&c);
    free(upto);
}

void
ui_key(ui *u, int key)
{
    const keys_action *act;
    int r;

    u->dirty = 1;
    if (key == KEYS_RESIZE)
        return; /* the next draw lays the screen out again */
    if (u->help) {
        help_key(u, key);
        return;
    }
    if (u->page != UI_PAGE_CHAT && u->confirm == NULL) {
        ui_page_key(u, key);
        return;
    }
    if (u->confirm != NULL) {
        const keys_action *a = u->confirm;

        u->confirm = NULL;
        free(u->confirm_q);
        u->confirm_q = NULL;
        if (key == 'y' || key == 'Y')
            a->run(u, "yes");
        else
            ui_note(u, 0, "not done");
        return;
    }
    if (!input_pasting(u->input)) {
        size_t len;

        input_text(u->input, &len);
        act = keys_map_lookup(u->keys, key);
        if (act != NULL && !(printable(key) && len > 0)) {
            act->run(u, NULL);
            return;
        }
    }
    r = input_key(u->input, key);
    if (r == INPUT_SEND) {
        ui_submit(u, input_take(u->input));
    } else if (r == INPUT_EOF) {
        ui_act_quit(u, NULL);
    } else if (r == INPUT_UNHANDLED && key == '\t') {
        complete(u);
    }
}

void
ui_note(ui *u, int is_err, const char *msg)
{
    free(u->note);
    u->note = xstrdup(msg);
    u->note_err = is_err;
    u->note_until = ui_now() + (is_err ? 8.0 : 4.0);
    u->dirty = 1;
}

int
ui_run(ui *u, char *err, size_t errsz)
{
    if (ui_term_start(u, err, errsz) < 0)
        return -1;
    u->quit = 0;
    u->sig = 0;
    while (!u->quit && !ui_term_signalled()) {
        struct pollfd pf[2];
        int n = 1, timeout = -1, pr;
        double now = ui_now();

        if (u->note != NULL && now >= u->note_until) {
            free(u->note);
            u->note = NULL;
            u->dirty = 1;
        }
        if (u->dirty) {
            ui_draw(u);
            u->dirty = 0;
        }
        if (u->busy || u->prog_what != NULL)
            timeout = 100;
        else if (u->note != NULL)
            timeout = (int)((u->note_until - now) * 1000) + 10;
        pf[0].fd = 0;
        pf[0].events = POLLIN;
        if (u->watch_fd >= 0) {
            pf[1].fd = u->watch_fd;
            pf[1].events = POLLIN;
            n = 2;
        }
        pr = poll(pf, (nfds_t)n, timeout);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr < 0) /* a signal: SIGWINCH leaves a KEY_RESIZE to read */
            ui_term_read(u);
        if (pr > 0 && n == 2 && (pf[1].revents & (POLLIN | POLLHUP)) && u->cb.readable != NULL) {
            u->cb.readable(u->cb.ud);
            u->dirty = 1;
        }
        if (pr > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (pf[0].revents & (POLLHUP | POLLERR) && !(pf[0].revents & POLLIN))
                break; /* the terminal went away */
            ui_term_read(u);
        }
        now = ui_now();
        if (u->busy && now - u->last_tick >= 0.1) {
            u->last_tick = now;
            u->spin++;
            u->dirty = 1;
            if (u->cb.tick != NULL)
                u->cb.tick(u->cb.ud);
            if (u->spark.n > 0 && now - u->last_sample >= 0.5) {
                /* no new numbers for a while: the speed now is what it was */
                gauge_ring_push(&u->spark, u->st.tps_now);
                u->last_sample = now;
            }
        }
    }
    u->sig = ui_term_signalled();
    ui_term_stop(u);
    return 0;
}
