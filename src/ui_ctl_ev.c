/* ui_ctl_ev.c: the controller's side of the engine: events stream the
 * reply into the screen and the conversation (saved as it grows), and
 * feed the speed panel (tokens/s now and for this reply, acceptance and
 * draft length, quant mode, context gauge), the progress bar and the
 * status line; the crash hook saves a streaming reply. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtype.h"
#include "ui_ctl.h"
#include "ui_ctl_int.h"
#include "xmalloc.h"

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
ui_ctl_status(ui_ctl *c)
{
    char s[512];
    size_t n;
    int64_t id = convo_id(c->c);
    const char *title = convo_title(c->c);

    n = (size_t)snprintf(s, sizeof s, "%s", c->target_name);
    if (c->draft_path != NULL && n < sizeof s)
        n += (size_t)snprintf(s + n, sizeof s - n, " + draft");
    if (c->quant_name[0] && n < sizeof s)
        n += (size_t)snprintf(s + n, sizeof s - n, " · %s", c->quant_name);
    if (n < sizeof s)
        n += (size_t)snprintf(s + n, sizeof s - n, " · spec %s · temp %.2g", c->spec_name, (double)c->sp.temp);
    if (id > 0 && n < sizeof s)
        n += (size_t)snprintf(s + n, sizeof s - n, " · #%lld %s", (long long)id, title);
    else if (n < sizeof s)
        n += (size_t)snprintf(s + n, sizeof s - n, " · new chat");
    if ((c->store_problem != NULL || convo_warning(c->c) != NULL) && n < sizeof s)
        snprintf(s + n, sizeof s - n, " · ⚠ not saved");
    ui_set_status(c->u, s);
}

void
ui_ctl_check_warning(ui_ctl *c)
{
    const char *w = convo_warning(c->c);

    if (w == NULL) {
        free(c->warned);
        c->warned = NULL;
        return;
    }
    if (c->warned != NULL && strcmp(c->warned, w) == 0)
        return;
    free(c->warned);
    c->warned = xstrdup(w);
    ui_error(c->u, "%s", w);
    ui_ctl_status(c);
}

/* Push the numbers to the panel. */
static void
show_stats(ui_ctl *c)
{
    c->stats.quant = c->quant_name[0] ? c->quant_name : NULL;
    c->stats.spec = c->spec_name;
    c->stats.ctx_msg = c->ctx_msg;
    ui_set_stats(c->u, &c->stats);
}

/* Tokens per second over the last UI_CTL_NOW_S seconds. */
static double
speed_now(const ui_ctl *c, double now)
{
    long ntok = 0;

    for (size_t i = 0; i < UI_CTL_RING; i++)
        if (c->ring_n[i] != 0 && now - c->ring_t[i] <= UI_CTL_NOW_S)
            ntok += c->ring_n[i];
    if (ntok == 0)
        return 0;
    /* a window that starts at the first piece of the reply is shorter */
    if (c->t_first > 0 && now - c->t_first < UI_CTL_NOW_S)
        return now - c->t_first > 0.05 ? (double)ntok / (now - c->t_first) : 0;
    return (double)ntok / UI_CTL_NOW_S;
}

void
ui_ctl_reply_started(ui_ctl *c, uint64_t req)
{
    c->reply_req = req;
    c->t_sent = now_s();
    c->t_first = 0;
    c->n_tok = c->n_acc = 0;
    c->last_ctx = 0;
    memset(c->ring_n, 0, sizeof c->ring_n);
    free(c->ctx_msg);
    c->ctx_msg = NULL;
    c->stats.tps_now = c->stats.tps_reply = 0;
    c->stats.n_gen = 0;
    c->reply_msg = ui_add_message(c->u, UI_ASSISTANT, "");
    ui_set_busy(c->u, 1);
    show_stats(c);
}

/* The bytes of a piece that came from accepted proposals: the round's
 * tokens are the accepted ones, then one of the target's own, so about
 * that share of the text, cut at a character boundary. */
static size_t
marked_bytes(const engine_event *ev)
{
    size_t k;

    if (ev->n_accepted_last <= 0 || ev->len == 0)
        return 0;
    k = ev->len * (size_t)ev->n_accepted_last / (size_t)(ev->n_accepted_last + 1);
    while (k > 0 && k < ev->len && ((unsigned char)ev->text[k] & 0xc0) == 0x80)
        k--;
    return k;
}

static void
on_piece(ui_ctl *c, const engine_event *ev)
{
    double now = now_s();
    int ntok = ev->n_accepted_last > 0 ? ev->n_accepted_last + 1 : 1;

    if (ev->req != c->reply_req)
        return;
    /* tokens that made no text (parts of a character, specials) come
     * without a piece: the growth of the context counts them */
    if (c->last_ctx > 0 && ev->ctx_used > c->last_ctx)
        ntok = ev->ctx_used - c->last_ctx;
    c->last_ctx = ev->ctx_used;
    if (c->t_first == 0) {
        c->t_first = now;
        ui_progress(c->u, NULL, -1); /* the prompt is done */
    }
    ui_append_marked(c->u, ev->text, ev->len, marked_bytes(ev));
    c->n_tok += ntok;
    c->n_acc += ev->n_accepted_last;
    c->ring_t[c->ring_pos] = now;
    c->ring_n[c->ring_pos] = ntok;
    c->ring_pos = (c->ring_pos + 1) % UI_CTL_RING;
    c->stats.n_gen = c->n_tok;
    c->stats.tps_now = speed_now(c, now);
    c->stats.tps_reply = now - c->t_first > 0.05 ? (double)c->n_tok / (now - c->t_first) : c->stats.tps_now;
    if (ev->n_ctx > 0) {
        c->stats.ctx_used = ev->ctx_used;
        c->stats.n_ctx = ev->n_ctx;
    }
    show_stats(c);
}

static void
on_done(ui_ctl *c, const engine_event *ev)
{
    char note[200];
    size_t n = 0;
    const spec_stats *s = &ev->stats;

    if (ev->req != c->reply_req)
        return;
    c->reply_req = 0;
    ui_set_busy(c->u, 0);
    ui_progress(c->u, NULL, -1);
    note[0] = '\0';
    if (ev->state == ENGINE_REPLY_STOPPED)
        n += (size_t)snprintf(note + n, sizeof note - n, "stopped · ");
    else if (ev->state == ENGINE_REPLY_ERROR)
        n += (size_t)snprintf(note + n, sizeof note - n, "error · ");
    if (n < sizeof note)
        n += (size_t)snprintf(note + n, sizeof note - n, "%d tok · %.1f tok/s", ev->n_gen, s->tokens_per_s);
    if (s->n_drafted > 0 && n < sizeof note)
        n += (size_t)snprintf(note + n, sizeof note - n, " · %s %.0f%%", spec_mode_name(s->mode),
                              s->accept_rate * 100.0);
    if (c->quant_name[0] && n < sizeof note)
        n += (size_t)snprintf(note + n, sizeof note - n, " · %s", c->quant_name);
    if (c->ctx_msg != NULL && n < sizeof note)
        snprintf(note + n, sizeof note - n, " · context full");
    ui_set_note(c->u, c->reply_msg, note);
    if (ev->state == ENGINE_REPLY_ERROR) {
        const convo_msg *m = convo_msg_at(c->c, convo_n_msgs(c->c) - 1);

        /* the conversation wrote the error into the reply's text */
        if (m != NULL && m->role == STORE_ROLE_ASSISTANT)
            ui_set_message(c->u, c->reply_msg, m->text);
        ui_error(c->u, "the reply failed: %s", ev->text != NULL ? ev->text : "?");
    }
    c->stats.n_gen = ev->n_gen;
    c->stats.tps_reply = s->tokens_per_s;
    c->stats.tps_now = s->tokens_per_s;
    c->stats.prompt_tps = ev->t_prompt > 0 ? ev->n_prompt / ev->t_prompt : 0;
    c->stats.accept = s->n_drafted > 0 ? s->accept_rate : -1;
    c->stats.gamma = s->gamma_mean;
    if (s->mode != SPEC_AUTO)
        snprintf(c->spec_name, sizeof c->spec_name, "%s", spec_mode_name(s->mode));
    if (ev->n_ctx > 0) {
        c->stats.ctx_used = ev->ctx_used;
        c->stats.n_ctx = ev->n_ctx;
    }
    show_stats(c);
    ui_ctl_refresh_list(c);
}

static void
set_quant(ui_ctl *c, int type)
{
    c->cur_quant = type;
    snprintf(c->quant_name, sizeof c->quant_name, "%s", qtype_name(type) ? qtype_name(type) : "?");
    c->env.quant = c->quant_name;
}

static void
on_loaded(ui_ctl *c, const engine_event *ev)
{
    c->loaded = 1;
    c->orig_quant = ev->quant_type;
    set_quant(c, ev->quant_type);
    ui_progress(c->u, NULL, -1);
    if (ev->n_ctx > 0)
        c->stats.n_ctx = ev->n_ctx;
    if (c->st != NULL && c->env.session_id == 0) {
        store_session_params p;

        memset(&p, 0, sizeof p);
        p.target_model = c->target_path;
        p.draft_model = c->draft_path;
        p.threads = 0;
        p.quant_modes = c->quant_name;
        c->in_store = 1;
        if (store_session_start(c->st, &p, &c->env.session_id) != 0)
            ui_error(c->u, "the session is not recorded: %s", store_errmsg(c->st));
        c->in_store = 0;
    }
    ui_notify(c->u, "ready: %s on %s · F1 help", c->target_name, c->quant_name);
    show_stats(c);
}

static void
on_error(ui_ctl *c, const engine_event *ev)
{
    const char *msg = ev->text != NULL ? ev->text : "the engine failed";

    if (c->quant_req != 0 && ev->req == c->quant_req) {
        c->quant_req = 0;
        ui_progress(c->u, NULL, -1);
        ui_error(c->u, "%s", msg);
        return;
    }
    if (ev->req == 0 && !c->loaded) {
        free(c->load_error);
        c->load_error = xstrdup(msg);
        ui_progress(c->u, NULL, -1);
        if (c->reply_req == 0) {
            char *m = xasprintf("The model did not load: %s", msg);

            ui_add_message(c->u, UI_ERROR, m);
            free(m);
        }
        ui_error(c->u, "the model did not load: %s", msg);
        return;
    }
    ui_error(c->u, "%s", msg);
}

void
ui_ctl_event(ui_ctl *c, const engine_event *ev)
{
    switch (ev->type) {
    case ENGINE_EV_LOADED:
        on_loaded(c, ev);
        break;
    case ENGINE_EV_PROGRESS:
        if (ev->progress >= 1.0)
            ui_progress(c->u, NULL, -1);
        else
            ui_progress(c->u, ev->text != NULL ? ev->text : "working", ev->progress);
        break;
    case ENGINE_EV_PIECE:
        on_piece(c, ev);
        break;
    case ENGINE_EV_CONTEXT:
        free(c->ctx_msg);
        c->ctx_msg = xstrdup(ev->text != NULL ? ev->text : "the context is full");
        if (ev->n_ctx > 0) {
            c->stats.ctx_used = ev->ctx_used;
            c->stats.n_ctx = ev->n_ctx;
        }
        ui_error(c->u, "%s", c->ctx_msg);
        show_stats(c);
        break;
    case ENGINE_EV_QUANT:
        if (ev->req == c->quant_req)
            c->quant_req = 0;
        set_quant(c, ev->quant_type);
        ui_progress(c->u, NULL, -1);
        ui_notify(c->u, "the target now runs on %s", c->quant_name);
        show_stats(c);
        break;
    case ENGINE_EV_ERROR:
        on_error(c, ev);
        break;
    default:
        break;
    }
    /* the conversation saves the reply as it streams, and finishes it */
    c->in_store = 1;
    if (ev->type == ENGINE_EV_DONE) {
        convo_handle(c->c, ev);
        c->in_store = 0;
        on_done(c, ev);
    } else {
        convo_handle(c->c, ev);
        c->in_store = 0;
    }
}

void
ui_ctl_readable(void *ud)
{
    ui_ctl *c = ud;
    engine_event ev;

    while (engine_next(c->e, &ev)) {
        ui_ctl_event(c, &ev);
        engine_event_clear(&ev);
    }
    ui_ctl_check_warning(c);
    ui_ctl_status(c);
}

void
ui_ctl_tick(void *ud)
{
    ui_ctl *c = ud;
    double now = now_s();

    if (c->reply_req == 0 || c->t_first == 0)
        return;
    c->stats.tps_now = speed_now(c, now);
    show_stats(c);
}

void
ui_ctl_crash(void *arg)
{
    ui_ctl *c = arg;
    const convo_msg *m;
    size_t n;

    if (c->in_store || c->st == NULL || c->reply_req == 0)
        return;
    n = convo_n_msgs(c->c);
    m = n > 0 ? convo_msg_at(c->c, n - 1) : NULL;
    if (m == NULL || m->role != STORE_ROLE_ASSISTANT || m->id <= 0 || m->text == NULL)
        return;
    c->in_store = 1;
    store_msg_update(c->st, m->id, m->text, m->tokens);
}
