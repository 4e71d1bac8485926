/* convo.c: a conversation's current branch in memory, mirrored into the
 * store as it changes: user messages when added, a streaming reply at
 * least every second and when it ends, its speed statistics. Store
 * failures turn into a warning; the in-memory conversation goes on. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convo.h"
#include "qtype.h"
#include "xmalloc.h"

#define CONVO_SAVE_EVERY 1.0 /* seconds between saves of a streaming reply */
#define CONVO_TITLE_MAX 60   /* bytes of the first message used as title */

struct convo {
    const convo_env *env;  /* store and names (not owned) */
    int64_t id;            /* store id, 0 until saved */
    char *title;           /* title */
    char *system;          /* system prompt ("" for none) */
    convo_msg *msgs;       /* the current branch */
    size_t n, cap;         /* messages used / allocated */
    char *warning;         /* why saving fails, or NULL */
    uint64_t req;          /* engine request of the running reply (0: none) */
    size_t reply;          /* index of the running reply */
    double last_save;      /* when the running reply was last saved */
    size_t saved_len;      /* bytes of it saved then */
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Note a store failure (or clear the note after a success). */
static void
note_store(convo *c, int rc)
{
    store *st = c->env->st;

    if (rc == 0) {
        if (!store_writes_failing(st)) {
            free(c->warning);
            c->warning = NULL;
        }
        return;
    }
    free(c->warning);
    c->warning = xasprintf("not saved (the chat goes on in memory): %s", store_errmsg(st));
}

/* A title from the first message: its first line, cut on a character
 * boundary. */
static char *
make_title(const char *text)
{
    size_t n = 0, cut = 0;
    char *t;

    while (text[n] != '\0' && text[n] != '\n' && n < CONVO_TITLE_MAX) {
        n++;
        if (((unsigned char)text[n] & 0xc0) != 0x80)
            cut = n;
    }
    if (text[n] == '\0' || text[n] == '\n')
        cut = n;
    t = xstrndup(text, cut);
    for (n = 0; t[n] != '\0'; n++)
        if (t[n] == '\r' || t[n] == '\t')
            t[n] = ' ';
    return t;
}

static convo_msg *
push_msg(convo *c, store_role role, const char *text, store_state state)
{
    convo_msg *m;

    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->msgs = xreallocarray(c->msgs, c->cap, sizeof *c->msgs);
    }
    m = &c->msgs[c->n++];
    memset(m, 0, sizeof *m);
    m->role = role;
    m->text = xstrdup(text);
    m->state = state;
    return m;
}

/* Id of the message a new one follows: the last one of the branch. */
static int64_t
parent_id(const convo *c)
{
    if (c->n == 0)
        return 0;
    return c->msgs[c->n - 1].id > 0 ? c->msgs[c->n - 1].id : STORE_PARENT_HEAD;
}

/* Create the conversation in the store if it is not there yet. */
static int
ensure_saved(convo *c, const char *first_text)
{
    store_conv_params p;

    if (c->env->st == NULL)
        return -1;
    if (c->id > 0)
        return 0;
    if (c->title == NULL)
        c->title = make_title(first_text);
    memset(&p, 0, sizeof p);
    p.title = c->title;
    p.system_prompt = c->system;
    p.target_model = c->env->target_model;
    p.draft_model = c->env->draft_model;
    note_store(c, store_conv_create(c->env->st, &p, &c->id));
    return c->id > 0 ? 0 : -1;
}

/* Append message m to the store after parent. */
static void
save_msg(convo *c, convo_msg *m, int64_t parent)
{
    if (ensure_saved(c, m->text) != 0)
        return;
    note_store(c, store_msg_append(c->env->st, c->id, parent, m->role, m->text, m->state, &m->id));
}

convo *
convo_new(const convo_env *env, const char *system_prompt)
{
    convo *c = xcalloc(1, sizeof *c);

    c->env = env;
    c->system = xstrdup(system_prompt ? system_prompt : "");
    return c;
}

convo *
convo_open(const convo_env *env, int64_t id, char *err, size_t errsz)
{
    store_conv sc;
    store_msg *v;
    size_t n, i;
    convo *c;

    if (env->st == NULL) {
        snprintf(err, errsz, "no database is open");
        return NULL;
    }
    if (store_conv_get(env->st, id, &sc) != 0) {
        snprintf(err, errsz, "%s", store_errmsg(env->st));
        return NULL;
    }
    if (store_msgs_get(env->st, id, STORE_MSGS_BRANCH, &v, &n) != 0) {
        snprintf(err, errsz, "%s", store_errmsg(env->st));
        store_conv_clear(&sc);
        return NULL;
    }
    c = convo_new(env, sc.system_prompt);
    c->id = id;
    c->title = xstrdup(sc.title ? sc.title : "");
    for (i = 0; i < n; i++) {
        convo_msg *m;

        if (v[i].role == STORE_ROLE_SYSTEM)
            continue;
        m = push_msg(c, v[i].role, v[i].text ? v[i].text : "", v[i].state);
        m->id = v[i].id;
        m->tokens = v[i].tokens;
        /* A reply whose writer died mid-stream is shown as stopped. */
        if (m->state == STORE_STATE_STREAMING)
            m->state = STORE_STATE_STOPPED;
    }
    store_msgs_free(v, n);
    store_conv_clear(&sc);
    return c;
}

void
convo_free(convo *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n; i++)
        free(c->msgs[i].text);
    free(c->msgs);
    free(c->title);
    free(c->system);
    free(c->warning);
    free(c);
}

int64_t
convo_id(const convo *c)
{
    return c->id;
}

const char *
convo_title(const convo *c)
{
    return c->title ? c->title : "";
}

const char *
convo_system(const convo *c)
{
    return c->system;
}

size_t
convo_n_msgs(const convo *c)
{
    return c->n;
}

const convo_msg *
convo_msg_at(const convo *c, size_t i)
{
    return i < c->n ? &c->msgs[i] : NULL;
}

const char *
convo_warning(const convo *c)
{
    return c->warning;
}

int
convo_busy(const convo *c)
{
    return c->req != 0;
}

int
convo_add_user(convo *c, const char *text)
{
    int64_t parent;
    convo_msg *m;

    if (c->req != 0)
        return -1;
    parent = parent_id(c);
    m = push_msg(c, STORE_ROLE_USER, text, STORE_STATE_COMPLETE);
    save_msg(c, m, parent);
    return 0;
}

/* The sampling settings as a small JSON object for the store. */
static char *
sampling_json(const sampler_params *sp, const spec_params *pp)
{
    return xasprintf("{\"temp\":%g,\"top_k\":%d,\"top_p\":%g,\"min_p\":%g,"
                     "\"repeat_penalty\":%g,\"repeat_last_n\":%d,\"spec\":\"%s\","
                     "\"draft_min\":%d,\"draft_max\":%d}",
                     (double)sp->temp, sp->top_k, (double)sp->top_p, (double)sp->min_p,
                     (double)sp->repeat_penalty, sp->repeat_last_n, spec_mode_name(pp->mode),
                     pp->draft_min, pp->draft_max);
}

uint64_t
convo_send(convo *c, engine *e, const sampler_params *sp, const spec_params *pp, int n_predict)
{
    chat_msg *m;
    size_t i, n = 0;
    int64_t parent;
    convo_msg *reply;

    if (c->req != 0 || c->n == 0 || c->msgs[c->n - 1].role != STORE_ROLE_USER)
        return 0;
    m = xcalloc(c->n + 1, sizeof *m);
    if (c->system[0] != '\0')
        m[n++] = (chat_msg){ "system", c->system };
    for (i = 0; i < c->n; i++) {
        /* A reply that failed has no text worth showing the model. */
        if (c->msgs[i].role == STORE_ROLE_ASSISTANT && c->msgs[i].state == STORE_STATE_ERROR)
            continue;
        m[n++] = (chat_msg){ store_role_name(c->msgs[i].role), c->msgs[i].text };
    }
    c->req = engine_generate(e, m, n, sp, pp, n_predict);
    free(m);

    if (c->env->st != NULL && c->id > 0) {
        char *js = sampling_json(sp, pp);

        note_store(c, store_conv_set_models(c->env->st, c->id, c->env->target_model,
                                            c->env->draft_model, js));
        free(js);
    }
    parent = parent_id(c);
    reply = push_msg(c, STORE_ROLE_ASSISTANT, "", STORE_STATE_STREAMING);
    c->reply = c->n - 1;
    save_msg(c, reply, parent);
    c->last_save = now_s();
    c->saved_len = 0;
    return c->req;
}

/* Record the statistics of a finished reply. */
static void
save_stats(convo *c, const convo_msg *m, const engine_event *ev)
{
    store_gen_stats g;

    if (c->env->st == NULL || c->id == 0)
        return;
    memset(&g, 0, sizeof g);
    g.session_id = c->env->session_id;
    g.message_id = m->id;
    g.quant = c->env->quant ? c->env->quant
                            : (qtype_name(ev->quant_type) ? qtype_name(ev->quant_type) : "?");
    g.target_model = c->env->target_model;
    g.draft_model = ev->stats.mode == SPEC_DRAFT ? c->env->draft_model : NULL;
    g.prompt_tokens = ev->n_prompt;
    g.prompt_s = ev->t_prompt;
    g.gen_tokens = ev->n_gen;
    g.gen_s = ev->stats.t_total;
    g.drafted = ev->stats.n_drafted;
    g.accepted = ev->stats.n_accepted;
    g.gamma = (int)(ev->stats.gamma_mean + 0.5);
    note_store(c, store_stats_add(c->env->st, &g, NULL));
}

int
convo_handle(convo *c, const engine_event *ev)
{
    convo_msg *m;

    if (c->req == 0 || ev->req != c->req)
        return 0;
    m = &c->msgs[c->reply];
    switch (ev->type) {
    case ENGINE_EV_PIECE: {
        size_t old = strlen(m->text);

        m->text = xrealloc(m->text, old + ev->len + 1);
        memcpy(m->text + old, ev->text, ev->len);
        m->text[old + ev->len] = '\0';
        m->tokens++;
        if (m->id > 0 && now_s() - c->last_save >= CONVO_SAVE_EVERY) {
            note_store(c, store_msg_update(c->env->st, m->id, m->text, m->tokens));
            c->last_save = now_s();
        }
        return 0;
    }
    case ENGINE_EV_DONE:
        m->state = ev->state == ENGINE_REPLY_COMPLETE ? STORE_STATE_COMPLETE
                 : ev->state == ENGINE_REPLY_STOPPED ? STORE_STATE_STOPPED : STORE_STATE_ERROR;
        m->tokens = ev->n_gen;
        if (ev->state == ENGINE_REPLY_ERROR && m->text[0] == '\0' && ev->text != NULL) {
            free(m->text);
            m->text = xasprintf("[error: %s]", ev->text);
        }
        if (m->id > 0)
            note_store(c, store_msg_finish(c->env->st, m->id, m->text, m->state, m->tokens,
                                           (int64_t)(ev->stats.t_total * 1000.0)));
        save_stats(c, m, ev);
        c->req = 0;
        return 1;
    default:
        return 0;
    }
}

int
convo_drop_reply(convo *c)
{
    if (c->req != 0 || c->n == 0 || c->msgs[c->n - 1].role != STORE_ROLE_ASSISTANT)
        return -1;
    free(c->msgs[--c->n].text);
    /* The next append names its parent explicitly, so the dropped reply
     * stays saved on the old branch. */
    return 0;
}

int
convo_edit(convo *c, size_t i, const char *text)
{
    int64_t parent;
    convo_msg *m;

    if (c->req != 0 || i >= c->n || c->msgs[i].role != STORE_ROLE_USER)
        return -1;
    while (c->n > i)
        free(c->msgs[--c->n].text);
    parent = i == 0 ? 0 : parent_id(c);
    m = push_msg(c, STORE_ROLE_USER, text, STORE_STATE_COMPLETE);
    save_msg(c, m, parent);
    return 0;
}

int
convo_set_system(convo *c, const char *text)
{
    free(c->system);
    c->system = xstrdup(text ? text : "");
    if (c->env->st != NULL && c->id > 0)
        note_store(c, store_conv_set_system(c->env->st, c->id, c->system));
    return 0;
}

int
convo_rename(convo *c, const char *title)
{
    free(c->title);
    c->title = xstrdup(title);
    if (c->env->st != NULL && c->id > 0)
        note_store(c, store_conv_rename(c->env->st, c->id, c->title));
    return 0;
}
