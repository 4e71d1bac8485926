/* ui_ctl.c: the chat screen's controller (see ui_ctl.h): starting and
 * stopping (screen, database, engine, session) and the requests that
 * change the conversation: prompts, stop, regenerate, edit, system
 * prompt, settings, the quant switch, new, rename, delete. Events are in
 * ui_ctl_ev.c; opening, browsing, searching, statistics in ui_ctl_hist.c. */
#include "config.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtype.h"
#include "ui_ctl.h"
#include "ui_ctl_int.h"
#include "xmalloc.h"

/* The quant cycle after the file's own type. */
static const int quant_cycle[] = { QT_Q8_0, QT_TQ2_0, QT_TQ1_0 };

int
ui_ctl_next_quant(int original, int cur)
{
    int list[4], n = 0;

    list[n++] = original;
    for (size_t i = 0; i < sizeof quant_cycle / sizeof quant_cycle[0]; i++)
        if (quant_cycle[i] != original)
            list[n++] = quant_cycle[i];
    for (int i = 0; i < n; i++)
        if (list[i] == cur)
            return list[(i + 1) % n];
    return original;
}

static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s != NULL ? s + 1 : path;
}

ui *
ui_ctl_ui(ui_ctl *c)
{
    return c->u;
}

const convo *
ui_ctl_convo(const ui_ctl *c)
{
    return c->c;
}

store *
ui_ctl_store(const ui_ctl *c)
{
    return c->st;
}

int64_t
ui_ctl_session(const ui_ctl *c)
{
    return c->env.session_id;
}

const char *
ui_ctl_quant(const ui_ctl *c)
{
    return c->quant_name;
}

/* Start the engine with the signals that the screen handles blocked, so
 * that they reach the thread polling the terminal, not the workers. */
static engine *
start_engine(const ui_ctl_config *cc, char *err, size_t errsz)
{
    engine_config ec;
    sigset_t set, old;
    engine *e;

    memset(&ec, 0, sizeof ec);
    ec.target_path = cc->target_path;
    ec.draft_path = cc->draft_path;
    ec.n_ctx = cc->n_ctx;
    ec.n_threads = cc->n_threads;
    ec.chat_template = cc->chat_template;
    ec.overflow = ENGINE_OVERFLOW_DROP;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    e = engine_start(&ec, err, errsz);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}

ui_ctl *
ui_ctl_new(const ui_ctl_config *cc, char *err, size_t errsz)
{
    ui_ctl *c = xcalloc(1, sizeof *c);
    ui_callbacks cb = { ui_ctl_request, ui_ctl_readable, ui_ctl_tick, c };

    c->cfg = conf_new();
    if (cc->cfg != NULL)
        conf_merge(c->cfg, cc->cfg);
    c->u = ui_new(c->cfg, &cb, err, errsz);
    if (c->u == NULL) {
        conf_free(c->cfg);
        free(c);
        return NULL;
    }
    c->target_path = xstrdup(cc->target_path != NULL ? cc->target_path : "");
    c->draft_path = cc->draft_path != NULL ? xstrdup(cc->draft_path) : NULL;
    c->target_name = base_name(c->target_path);
    c->sp = cc->sp;
    c->pp = cc->pp;
    c->n_predict = cc->n_predict;
    c->orig_quant = c->cur_quant = -1;
    c->stats.accept = -1;
    snprintf(c->spec_name, sizeof c->spec_name, "%s", spec_mode_name(c->pp.mode));
    c->env.target_model = c->target_path;
    c->env.draft_model = c->draft_path;

    if (!cc->no_save) {
        char e2[512];

        if (store_open_default(cc->db, &c->st, e2, sizeof e2) != 0) {
            c->st = NULL;
            c->store_problem = xasprintf("the history is not saved: %s", e2);
        }
    }
    c->env.st = c->st;
    if (cc->conv_id != 0) {
        c->c = convo_open(&c->env, cc->conv_id, err, errsz);
        if (c->c == NULL) {
            ui_ctl_free(c);
            return NULL;
        }
    } else {
        c->c = convo_new(&c->env, c->cfg->system_prompt);
    }
    c->e = start_engine(cc, err, errsz);
    if (c->e == NULL) {
        ui_ctl_free(c);
        return NULL;
    }
    ui_watch_fd(c->u, engine_fd(c->e));
    ui_set_crash_hook(c->u, ui_ctl_crash, c);
    ui_progress(c->u, "loading", 0);
    if (cc->conv_id != 0)
        ui_ctl_show_convo(c);
    else
        ui_set_system(c->u, c->cfg->system_prompt);
    if (c->store_problem != NULL) {
        ui_add_message(c->u, UI_INFO, c->store_problem);
        ui_error(c->u, "%s", c->store_problem);
    }
    ui_ctl_refresh_list(c);
    ui_ctl_status(c);
    return c;
}

int
ui_ctl_settle(ui_ctl *c, int timeout_ms)
{
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pf = { engine_fd(c->e), POLLIN, 0 };
        long ms;

        if ((c->loaded || c->load_error != NULL) && c->reply_req == 0 && c->quant_req == 0)
            return 1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= timeout_ms)
            return 0;
        if (poll(&pf, 1, (int)(timeout_ms - ms)) > 0)
            ui_ctl_readable(c);
    }
}

void
ui_ctl_free(ui_ctl *c)
{
    if (c == NULL)
        return;
    if (c->e != NULL) {
        if (c->reply_req != 0 || c->quant_req != 0) {
            /* stop the reply: its text so far is saved, marked stopped */
            engine_cancel(c->e);
            ui_ctl_settle(c, 5000);
        }
        engine_stop(c->e);
    }
    convo_free(c->c);
    if (c->st != NULL) {
        if (c->env.session_id > 0)
            store_session_end(c->st, c->env.session_id);
        store_close(c->st);
    }
    ui_free(c->u);
    conf_free(c->cfg);
    free(c->target_path);
    free(c->draft_path);
    free(c->store_problem);
    free(c->load_error);
    free(c->ctx_msg);
    free(c->warned);
    free(c);
}

/* ---- requests ---- */

static int
fail(char *err, size_t errsz, const char *msg)
{
    snprintf(err, errsz, "%s", msg);
    return -1;
}

/* Ask the engine for a reply to the conversation as it is. */
static int
start_reply(ui_ctl *c, char *err, size_t errsz)
{
    uint64_t req;

    if (c->load_error != NULL) {
        snprintf(err, errsz, "no model to answer: %s", c->load_error);
        return -1;
    }
    req = convo_send(c->c, c->e, &c->sp, &c->pp, c->n_predict);
    if (req == 0)
        return fail(err, errsz, "there is nothing to answer");
    ui_ctl_reply_started(c, req);
    return 0;
}

static int
busy_fail(ui_ctl *c, char *err, size_t errsz)
{
    if (c->reply_req != 0)
        return fail(err, errsz, "a reply is being written: stop it first (C-c)");
    return 0;
}

static int
do_send(ui_ctl *c, const char *text, char *err, size_t errsz)
{
    int64_t before = convo_id(c->c);

    if (busy_fail(c, err, errsz) < 0)
        return -1;
    if (c->load_error != NULL) {
        snprintf(err, errsz, "no model to answer: %s", c->load_error);
        return -1;
    }
    convo_add_user(c->c, text);
    if (start_reply(c, err, errsz) < 0)
        return -1;
    ui_history_add(c->u, text);
    if (convo_id(c->c) != before)
        ui_ctl_refresh_list(c);
    return 0;
}

static int
do_regen(ui_ctl *c, char *err, size_t errsz)
{
    size_t n = convo_n_msgs(c->c);

    if (busy_fail(c, err, errsz) < 0)
        return -1;
    if (n > 0 && convo_msg_at(c->c, n - 1)->role == STORE_ROLE_ASSISTANT)
        convo_drop_reply(c->c); /* it stays saved on the old branch */
    n = convo_n_msgs(c->c);
    if (n == 0 || convo_msg_at(c->c, n - 1)->role != STORE_ROLE_USER)
        return fail(err, errsz, "there is no prompt to answer again");
    return start_reply(c, err, errsz);
}

static int
do_edit(ui_ctl *c, int which, const char *text, char *err, size_t errsz)
{
    size_t n = convo_n_msgs(c->c);
    int k = 0;

    if (busy_fail(c, err, errsz) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (convo_msg_at(c->c, i)->role != STORE_ROLE_USER)
            continue;
        if (k++ == which) {
            if (convo_edit(c->c, i, text) < 0)
                return fail(err, errsz, "that prompt cannot be edited now");
            return start_reply(c, err, errsz);
        }
    }
    return fail(err, errsz, "there is no such prompt to edit");
}

static int
do_quant(ui_ctl *c, int type, char *err, size_t errsz)
{
    if (c->load_error != NULL)
        return fail(err, errsz, "no model is loaded");
    if (!c->loaded)
        return fail(err, errsz, "the model is still loading: try again in a moment");
    if (c->reply_req != 0)
        return fail(err, errsz, "a reply is being written: switch when it is done (or stop it)");
    if (c->quant_req != 0) {
        snprintf(err, errsz, "already switching to %s", qtype_name(c->quant_want));
        return -1;
    }
    if (type < 0)
        type = ui_ctl_next_quant(c->orig_quant, c->cur_quant);
    if (qtype_name(type) == NULL)
        return fail(err, errsz, "unknown weight type");
    if (type == c->cur_quant) {
        ui_notify(c->u, "the target already runs on %s", qtype_name(type));
        return 0;
    }
    c->quant_want = type;
    c->quant_req = engine_set_quant(c->e, type);
    ui_progress(c->u, "quantizing", 0);
    ui_notify(c->u, "switching the target from %s to %s...", c->quant_name, qtype_name(type));
    return 0;
}

/* A number from text in [lo, hi] (already checked by the screen). */
static double
num(const char *text, double lo, double hi)
{
    double v = strtod(text, NULL);

    return v < lo ? lo : v > hi ? hi : v;
}

static int
do_set(ui_ctl *c, const char *key, const char *text, char *err, size_t errsz)
{
    if (strcmp(key, "temp") == 0) {
        c->sp.temp = (float)num(text, 0, 100);
    } else if (strcmp(key, "top_k") == 0) {
        c->sp.top_k = (int)num(text, 0, 1000000);
    } else if (strcmp(key, "top_p") == 0) {
        c->sp.top_p = (float)num(text, 0, 1);
    } else if (strcmp(key, "min_p") == 0) {
        c->sp.min_p = (float)num(text, 0, 1);
    } else if (strcmp(key, "repeat_penalty") == 0) {
        c->sp.repeat_penalty = (float)num(text, 0.01, 100);
    } else if (strcmp(key, "repeat_last_n") == 0) {
        c->sp.repeat_last_n = (int)num(text, 0, 1 << 20);
    } else if (strcmp(key, "n_predict") == 0) {
        c->n_predict = (int)num(text, -1, 1 << 20);
    } else if (strcmp(key, "seed") == 0) {
        if (strcmp(text, "random") == 0) {
            c->sp.seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c;
            c->pp.reproducible = 0;
        } else {
            c->sp.seed = strtoull(text, NULL, 10);
            c->pp.reproducible = 1;
        }
    } else if (strcmp(key, "spec") == 0) {
        int m = strcmp(text, "on") == 0 ? SPEC_AUTO : spec_mode_parse(text);

        if (m < 0)
            return fail(err, errsz, "spec: off, draft, lookup, auto or on");
        if (m == SPEC_DRAFT && c->draft_path == NULL)
            return fail(err, errsz, "no draft model is loaded (start with -d FILE): try /spec lookup");
        c->pp.mode = m;
        snprintf(c->spec_name, sizeof c->spec_name, "%s", spec_mode_name(m));
    } else if (strcmp(key, "draft_max") == 0) {
        c->pp.draft_max = (int)num(text, 0, SPEC_DRAFT_LIMIT);
        if (c->pp.draft_min > c->pp.draft_max)
            c->pp.draft_min = c->pp.draft_max;
    } else if (strcmp(key, "draft_min") == 0) {
        c->pp.draft_min = (int)num(text, 0, SPEC_DRAFT_LIMIT);
        if (c->pp.draft_max < c->pp.draft_min)
            c->pp.draft_max = c->pp.draft_min;
    } else if (strcmp(key, "model") == 0 || strcmp(key, "draft") == 0 || strcmp(key, "ctx") == 0
               || strcmp(key, "threads") == 0 || strcmp(key, "template") == 0
               || strcmp(key, "models_dir") == 0 || strcmp(key, "db") == 0) {
        snprintf(err, errsz, "%s takes effect when ternchat starts (set it in the config file)", key);
        return -1;
    }
    /* the screen's own settings (theme, editor, copy_command...) it keeps itself */
    ui_ctl_status(c);
    return 0;
}

/* Start over with an empty conversation. */
static void
fresh_convo(ui_ctl *c)
{
    convo_free(c->c);
    c->c = convo_new(&c->env, c->cfg->system_prompt);
    ui_clear(c->u);
    ui_set_system(c->u, c->cfg->system_prompt);
    ui_set_readonly(c->u, 0);
    ui_ctl_refresh_list(c);
}

static int
do_delete(ui_ctl *c, char *err, size_t errsz)
{
    int64_t id = convo_id(c->c);

    if (busy_fail(c, err, errsz) < 0)
        return -1;
    if (id > 0 && c->st != NULL && store_conv_delete(c->st, id) != 0) {
        snprintf(err, errsz, "not deleted: %s", store_errmsg(c->st));
        return -1;
    }
    fresh_convo(c);
    ui_notify(c->u, id > 0 ? "conversation %lld deleted" : "conversation cleared", (long long)id);
    return 0;
}

static int
dispatch(ui_ctl *c, const ui_request *r, char *err, size_t errsz)
{
    switch (r->type) {
    case UI_REQ_SEND:
        return do_send(c, r->text, err, errsz);
    case UI_REQ_CANCEL:
        if (c->reply_req != 0)
            engine_cancel(c->e);
        return 0;
    case UI_REQ_REGEN:
        return do_regen(c, err, errsz);
    case UI_REQ_EDIT:
        return do_edit(c, r->value, r->text, err, errsz);
    case UI_REQ_QUANT:
        return do_quant(c, r->value, err, errsz);
    case UI_REQ_SET:
        return do_set(c, r->key, r->text, err, errsz);
    case UI_REQ_SYSTEM:
        if (busy_fail(c, err, errsz) < 0)
            return -1;
        convo_set_system(c->c, r->text);
        return 0;
    case UI_REQ_NEW:
        if (busy_fail(c, err, errsz) < 0)
            return -1;
        fresh_convo(c);
        return 0;
    case UI_REQ_OPEN:
        if (busy_fail(c, err, errsz) < 0)
            return -1;
        return ui_ctl_open(c, r, err, errsz);
    case UI_REQ_RENAME:
        convo_rename(c->c, r->text);
        if (convo_id(c->c) > 0)
            ui_ctl_refresh_list(c);
        ui_notify(c->u, convo_id(c->c) > 0 ? "renamed" : "renamed (saved with the first message)");
        return 0;
    case UI_REQ_DELETE:
        return do_delete(c, err, errsz);
    case UI_REQ_SEARCH:
        return ui_ctl_search(c, r, err, errsz);
    case UI_REQ_EXPORT:
        return ui_ctl_export(c, r->text, err, errsz);
    case UI_REQ_BROWSE:
        return ui_ctl_browse(c, r, err, errsz);
    case UI_REQ_STATS:
        return ui_ctl_stats_page(c, err, errsz);
    case UI_REQ_QUIT:
        return 0;
    default:
        return fail(err, errsz, "not supported");
    }
}

int
ui_ctl_request(void *ud, const ui_request *r, char *err, size_t errsz)
{
    ui_ctl *c = ud;
    int rc;

    c->in_store = 1;
    rc = dispatch(c, r, err, errsz);
    c->in_store = 0;
    ui_ctl_check_warning(c);
    ui_ctl_status(c);
    return rc;
}
