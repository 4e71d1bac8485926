/* ui_ctl_hist.c: the controller's requests about saved conversations:
 * showing the open one, the list on the left and the browser (a page at a
 * time, without loading messages), opening one (read-only or to chat on,
 * at a search hit), search (plain words or a PCRE2 regex, hits with their
 * match spans), the statistics page and export to Markdown. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui_ctl.h"
#include "ui_ctl_int.h"
#include "xmalloc.h"

void
ui_ctl_when(int64_t ms, int with_time, char *buf, size_t bufsz)
{
    time_t t = (time_t)(ms / 1000), now = time(NULL);
    struct tm tm, tn;

    if (ms <= 0 || localtime_r(&t, &tm) == NULL || localtime_r(&now, &tn) == NULL) {
        snprintf(buf, bufsz, "?");
        return;
    }
    if (tm.tm_year == tn.tm_year && tm.tm_yday == tn.tm_yday)
        strftime(buf, bufsz, with_time ? "today %H:%M" : "%H:%M", &tm);
    else if (tm.tm_year == tn.tm_year)
        strftime(buf, bufsz, with_time ? "%e %b %H:%M" : "%e %b", &tm);
    else
        strftime(buf, bufsz, "%e %b %Y", &tm);
    if (buf[0] == ' ')
        memmove(buf, buf + 1, strlen(buf));
}

static int
ui_role_of(store_role r)
{
    return r == STORE_ROLE_USER ? UI_USER : r == STORE_ROLE_ASSISTANT ? UI_ASSISTANT : UI_SYSTEM;
}

void
ui_ctl_show_convo(ui_ctl *c)
{
    size_t n = convo_n_msgs(c->c);

    ui_clear(c->u);
    for (size_t i = 0; i < n; i++) {
        const convo_msg *m = convo_msg_at(c->c, i);
        size_t at = ui_add_message(c->u, ui_role_of(m->role), m->text);

        if (m->role == STORE_ROLE_USER) {
            ui_history_add(c->u, m->text);
        } else if (m->role == STORE_ROLE_ASSISTANT) {
            char note[96];

            snprintf(note, sizeof note, "%s%s%lld tok", m->state == STORE_STATE_STOPPED ? "stopped · "
                                                       : m->state == STORE_STATE_ERROR ? "error · " : "",
                     "", (long long)m->tokens);
            ui_set_note(c->u, at, note);
        }
    }
    ui_set_system(c->u, convo_system(c->c));
}

/* The screen's rows for n conversation summaries (the sidebar's and the
 * browser's); *when gets their dates, which the rows point into. The
 * caller frees both. */
static ui_conv *
conv_rows(const store_conv *v, size_t n, int with_time, char (**when)[32])
{
    ui_conv *l = xcalloc(n ? n : 1, sizeof *l);

    *when = xcalloc(n ? n : 1, sizeof **when);
    for (size_t i = 0; i < n; i++) {
        ui_ctl_when(v[i].updated_ms, with_time, (*when)[i], sizeof (*when)[i]);
        l[i].id = v[i].id;
        l[i].title = v[i].title;
        l[i].when = (*when)[i];
        l[i].model = v[i].target_model;
        l[i].n_msgs = (long)v[i].n_messages;
    }
    return l;
}

void
ui_ctl_refresh_list(ui_ctl *c)
{
    store_conv *v;
    size_t n;
    ui_conv *l;
    char (*when)[32];

    if (c->st == NULL) {
        ui_set_conversations(c->u, NULL, 0, 0);
        return;
    }
    c->in_store = 1;
    if (store_conv_list(c->st, 0, UI_CTL_PAGE, &v, &n) != 0) {
        c->in_store = 0;
        ui_error(c->u, "cannot read the conversations: %s", store_errmsg(c->st));
        return;
    }
    c->in_store = 0;
    l = conv_rows(v, n, 0, &when);
    ui_set_conversations(c->u, l, n, convo_id(c->c));
    free(l);
    free(when);
    store_convs_free(v, n);
}

int
ui_ctl_open(ui_ctl *c, const ui_request *r, char *err, size_t errsz)
{
    convo *o;

    if (c->st == NULL) {
        snprintf(err, errsz, "no database is open");
        return -1;
    }
    o = convo_open(&c->env, r->id, err, errsz);
    if (o == NULL)
        return -1;
    convo_free(c->c);
    c->c = o;
    ui_ctl_show_convo(c);
    if (r->msg_id > 0) {
        size_t n = convo_n_msgs(c->c), i;

        for (i = 0; i < n; i++)
            if (convo_msg_at(c->c, i)->id == r->msg_id)
                break;
        if (i < n) {
            ui_show_message(c->u, i);
            ui_set_note(c->u, i, "◀ search hit");
        } else {
            ui_notify(c->u, "that message is on an earlier branch of this conversation (an edit replaced it)");
        }
    }
    ui_ctl_refresh_list(c);
    return 0;
}

/* Regular expressions are case-insensitive unless they hold a capital. */
static int
has_upper(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return 1;
    return 0;
}

int
ui_ctl_search(ui_ctl *c, const ui_request *r, char *err, size_t errsz)
{
    unsigned flags = 0;
    store_hit *v;
    size_t n;
    ui_hit *h;
    char (*when)[32];

    if (c->st == NULL) {
        snprintf(err, errsz, "no database is open: nothing to search");
        return -1;
    }
    if (r->value) {
        flags |= STORE_SEARCH_REGEX;
        if (!has_upper(r->text))
            flags |= STORE_SEARCH_ICASE;
    }
    if (store_search(c->st, r->text, flags, 200, &v, &n) != 0) {
        snprintf(err, errsz, "%s", store_errmsg(c->st));
        return -1;
    }
    h = xcalloc(n ? n : 1, sizeof *h);
    when = xcalloc(n ? n : 1, sizeof *when);
    for (size_t i = 0; i < n; i++) {
        ui_ctl_when(v[i].created_ms, 1, when[i], sizeof when[i]);
        h[i].conv_id = v[i].conv_id;
        h[i].msg_id = v[i].msg_id;
        h[i].title = v[i].conv_title;
        h[i].snippet = v[i].text;
        h[i].spans = v[i].spans;
        h[i].n_spans = v[i].n_spans;
        h[i].who = store_role_name(v[i].role);
        h[i].when = when[i];
    }
    ui_show_hits(c->u, r->text, h, n);
    free(h);
    free(when);
    store_hits_free(v, n);
    return 0;
}

int
ui_ctl_browse(ui_ctl *c, const ui_request *r, char *err, size_t errsz)
{
    store_conv *v;
    size_t n;
    ui_conv *l;
    char (*when)[32];

    if (c->st == NULL) {
        snprintf(err, errsz, "no database is open: nothing saved to browse");
        return -1;
    }
    if (store_conv_list(c->st, r->value, UI_CTL_PAGE, &v, &n) != 0) {
        snprintf(err, errsz, "%s", store_errmsg(c->st));
        return -1;
    }
    l = conv_rows(v, n, 1, &when);
    ui_show_browser(c->u, l, n, r->value, n == UI_CTL_PAGE);
    free(l);
    free(when);
    store_convs_free(v, n);
    return 0;
}

/* "dir/a.gguf + dir/b.gguf" -> "a.gguf + b.gguf" */
static char *
short_models(const char *key)
{
    char *out = xmalloc(strlen(key) + 1), *o = out;
    const char *p = key;

    while (*p) {
        const char *end = strstr(p, " + "), *seg_end = end != NULL ? end : p + strlen(p), *s = p;

        for (const char *q = p; q < seg_end; q++)
            if (*q == '/')
                s = q + 1;
        memcpy(o, s, (size_t)(seg_end - s));
        o += seg_end - s;
        if (end == NULL)
            break;
        memcpy(o, " + ", 3);
        o += 3;
        p = end + 3;
    }
    *o = '\0';
    return out;
}

/* One group of the statistics page from a query. */
static int
stat_group(ui_ctl *c, store_group by, int64_t session, ui_stat_group *g, ui_stat_row **rows_out)
{
    store_stats_row *v;
    size_t n, from;
    ui_stat_row *rows;

    *rows_out = NULL;
    g->n = 0;
    g->rows = NULL;
    if (store_stats_query(c->st, by, session, &v, &n) != 0)
        return -1;
    from = by == STORE_BY_SESSION && n > 30 ? n - 30 : 0; /* the recent sessions */
    rows = xcalloc(n ? n : 1, sizeof *rows);
    for (size_t i = from; i < n; i++) {
        ui_stat_row *r = &rows[i - from];

        if (by == STORE_BY_SESSION) {
            char when[32];

            ui_ctl_when(v[i].started_ms, 1, when, sizeof when);
            r->key = xasprintf("#%lld %s", (long long)v[i].session_id, when);
            r->current = v[i].session_id == c->env.session_id;
        } else if (by == STORE_BY_MODEL) {
            r->key = short_models(v[i].key);
        } else {
            r->key = xstrdup(v[i].key);
            r->current = strcmp(v[i].key, c->quant_name) == 0;
        }
        r->replies = (long)v[i].replies;
        r->gen_tokens = (long)v[i].gen_tokens;
        r->gen_tps = v[i].gen_tps;
        r->prompt_tps = v[i].prompt_tps;
        r->accept = v[i].acceptance;
        r->gamma = v[i].mean_gamma;
    }
    g->rows = rows;
    g->n = n - from;
    *rows_out = rows;
    store_stats_rows_free(v, n);
    return 0;
}

int
ui_ctl_stats_page(ui_ctl *c, char *err, size_t errsz)
{
    static const char *const titles[] = { "This session, by quant mode", "All sessions, by quant mode",
                                          "All sessions, by model", "Session by session (oldest first)" };
    static const store_group by[] = { STORE_BY_QUANT, STORE_BY_QUANT, STORE_BY_MODEL, STORE_BY_SESSION };
    ui_stat_group g[4];
    ui_stat_row *rows[4];
    size_t ng = 0;
    int rc = 0;

    if (c->st == NULL) {
        ui_show_stats_page(c->u, NULL, 0);
        ui_notify(c->u, "no database is open: only this reply's numbers");
        return 0;
    }
    for (size_t i = 0; i < 4; i++) {
        int64_t sess = i == 0 ? c->env.session_id : 0;

        memset(&g[ng], 0, sizeof g[ng]);
        g[ng].title = titles[i];
        g[ng].trend = by[i] == STORE_BY_SESSION;
        if (i == 0 && sess == 0)
            continue; /* no session yet */
        if (stat_group(c, by[i], sess, &g[ng], &rows[ng]) != 0) {
            snprintf(err, errsz, "%s", store_errmsg(c->st));
            rc = -1;
            break;
        }
        ng++;
    }
    if (rc == 0)
        ui_show_stats_page(c->u, g, ng);
    for (size_t i = 0; i < ng; i++) {
        for (size_t j = 0; j < g[i].n; j++)
            free((char *)rows[i][j].key);
        free(rows[i]);
    }
    return rc;
}

int
ui_ctl_export(ui_ctl *c, const char *path, char *err, size_t errsz)
{
    int64_t id = convo_id(c->c);
    char *md, *def = NULL;
    size_t len;
    FILE *f;

    if (c->st == NULL || id <= 0) {
        snprintf(err, errsz, "this conversation is not saved, so there is nothing to export");
        return -1;
    }
    if (store_export_markdown(c->st, id, &md, &len) != 0) {
        snprintf(err, errsz, "%s", store_errmsg(c->st));
        return -1;
    }
    if (path == NULL)
        path = def = xasprintf("ternchat-%lld.md", (long long)id);
    f = fopen(path, "w");
    if (f != NULL) {
        int bad = fwrite(md, 1, len, f) != len;

        if (fclose(f) != 0 || bad)
            f = NULL;
    }
    if (f == NULL) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
        free(md);
        free(def);
        return -1;
    }
    ui_notify(c->u, "saved as %s", path);
    free(md);
    free(def);
    return 0;
}
