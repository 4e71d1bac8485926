/* store_json.c: a conversation exported as JSON (every branch, for backup
 * and import) or Markdown (the current branch, for reading), and JSON import.
 *
 * The JSON document:
 *   { "format": "ternchat-conversation", "version": 1,
 *     "title": str, "system_prompt": str, "target_model": str|null,
 *     "draft_model": str|null, "sampling": object|null,
 *     "created": "YYYY-MM-DDTHH:MM:SS.mmmZ", "updated": same, "head": id|null,
 *     "messages": [ { "id": int, "parent": id|null, "role": "system"|"user"|
 *       "assistant", "state": "complete"|"stopped"|"error"|"streaming",
 *       "text": str, "tokens": int, "created": time, "gen_ms": int|null } ] }
 * Message ids are only meaningful inside the document; a parent must come
 * before its children. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "store_int.h"
#include "xmalloc.h"

#define EXPORT_FORMAT "ternchat-conversation"
#define EXPORT_VERSION 1

/* Format ms since the epoch as ISO 8601 UTC with milliseconds. */
static void
iso_time(int64_t ms, char *buf, size_t sz)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, sz, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* Parse what iso_time writes (the fraction is optional). */
static int
parse_iso_time(const char *s, int64_t *ms)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, n = 0, frac = 0, digits = 0;
    time_t t;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
        return -1;
    s += n;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (digits < 3) {
                frac = frac * 10 + (*s - '0');
                digits++;
            }
            s++;
        }
        if (digits == 0)
            return -1;
        while (digits < 3) {
            frac *= 10;
            digits++;
        }
    }
    if (strcmp(s, "Z") != 0 && strcmp(s, "+00:00") != 0)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *ms = (int64_t)t * 1000 + frac;
    return 0;
}

static void
key_string_or_null(json_writer *w, const char *key, const char *s)
{
    json_key(w, key);
    if (s != NULL)
        json_string(w, s);
    else
        json_null(w);
}

int
store_export_json(store *st, int64_t conv_id, char **out, size_t *len)
{
    store_conv c;
    store_msg *msgs;
    size_t n, i;
    json_writer *w;
    json_value *sampling = NULL;
    char tbuf[96];

    *out = NULL;
    if (store_conv_get(st, conv_id, &c) < 0)
        return -1;
    if (store_msgs_get(st, conv_id, STORE_MSGS_ALL, &msgs, &n) < 0) {
        store_conv_clear(&c);
        return -1;
    }
    w = json_writer_new(1);
    json_begin_object(w);
    json_key(w, "format");
    json_string(w, EXPORT_FORMAT);
    json_key(w, "version");
    json_int(w, EXPORT_VERSION);
    json_key(w, "title");
    json_string(w, c.title);
    json_key(w, "system_prompt");
    json_string(w, c.system_prompt);
    key_string_or_null(w, "target_model", c.target_model);
    key_string_or_null(w, "draft_model", c.draft_model);
    json_key(w, "sampling");
    if (c.sampling != NULL)
        sampling = json_parse(c.sampling, strlen(c.sampling), NULL, 0);
    if (sampling != NULL)
        json_write_value(w, sampling);
    else
        json_null(w);
    json_free(sampling);
    iso_time(c.created_ms, tbuf, sizeof tbuf);
    json_key(w, "created");
    json_string(w, tbuf);
    iso_time(c.updated_ms, tbuf, sizeof tbuf);
    json_key(w, "updated");
    json_string(w, tbuf);
    json_key(w, "head");
    if (c.head_id > 0)
        json_int(w, c.head_id);
    else
        json_null(w);
    json_key(w, "messages");
    json_begin_array(w);
    for (i = 0; i < n; i++) {
        const store_msg *m = &msgs[i];

        json_begin_object(w);
        json_key(w, "id");
        json_int(w, m->id);
        json_key(w, "parent");
        if (m->parent_id > 0)
            json_int(w, m->parent_id);
        else
            json_null(w);
        json_key(w, "role");
        json_string(w, store_role_name(m->role));
        json_key(w, "state");
        json_string(w, store_state_name(m->state));
        json_key(w, "text");
        json_string(w, m->text);
        json_key(w, "tokens");
        json_int(w, m->tokens);
        iso_time(m->created_ms, tbuf, sizeof tbuf);
        json_key(w, "created");
        json_string(w, tbuf);
        json_key(w, "gen_ms");
        if (m->gen_ms >= 0)
            json_int(w, m->gen_ms);
        else
            json_null(w);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
    *out = json_writer_finish(w, len);
    store_msgs_free(msgs, n);
    store_conv_clear(&c);
    return 0;
}

/* Growable text for the Markdown export. */
struct mdbuf {
    char *p;     /* text */
    size_t n;    /* used */
    size_t cap;  /* allocated */
};

static void md_printf(struct mdbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
md_put(struct mdbuf *b, const char *s, size_t n)
{
    if (b->cap - b->n < n + 1) {
        while (b->cap - b->n < n + 1)
            b->cap = b->cap ? b->cap * 2 : 1024;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void
md_printf(struct mdbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    if (b->cap - b->n < (size_t)n + 1) {
        while (b->cap - b->n < (size_t)n + 1)
            b->cap = b->cap ? b->cap * 2 : 1024;
        b->p = xrealloc(b->p, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

static const char *
role_heading(store_role r)
{
    switch (r) {
    case STORE_ROLE_SYSTEM: return "System";
    case STORE_ROLE_USER: return "User";
    case STORE_ROLE_ASSISTANT: return "Assistant";
    }
    return "?";
}

int
store_export_markdown(store *st, int64_t conv_id, char **out, size_t *len)
{
    struct mdbuf b = { NULL, 0, 0 };
    store_conv c;
    store_msg *msgs;
    size_t n, i;
    char tbuf[96];

    *out = NULL;
    if (store_conv_get(st, conv_id, &c) < 0)
        return -1;
    if (store_msgs_get(st, conv_id, STORE_MSGS_BRANCH, &msgs, &n) < 0) {
        store_conv_clear(&c);
        return -1;
    }
    if (c.title[0] != '\0') {
        char *t;

        for (t = c.title; *t; t++) {
            if (*t == '\n' || *t == '\r')
                *t = ' '; /* a heading is one line */
        }
        md_printf(&b, "# %s\n\n", c.title);
    } else {
        md_printf(&b, "# Conversation %lld\n\n", (long long)c.id);
    }
    iso_time(c.created_ms, tbuf, sizeof tbuf);
    md_printf(&b, "- Started: %.10s %.5s UTC\n", tbuf, tbuf + 11);
    if (c.target_model != NULL)
        md_printf(&b, "- Model: %s\n", c.target_model);
    if (c.draft_model != NULL)
        md_printf(&b, "- Draft model: %s\n", c.draft_model);
    md_put(&b, "\n", 1);
    if (c.system_prompt[0] != '\0')
        md_printf(&b, "## System prompt\n\n%s\n\n", c.system_prompt);
    for (i = 0; i < n; i++) {
        md_printf(&b, "## %s\n\n%s\n\n", role_heading(msgs[i].role), msgs[i].text);
        if (msgs[i].state == STORE_STATE_STOPPED)
            md_put(&b, "*(stopped)*\n\n", 13);
        else if (msgs[i].state == STORE_STATE_ERROR)
            md_put(&b, "*(generation failed)*\n\n", 24);
        else if (msgs[i].state == STORE_STATE_STREAMING)
            md_put(&b, "*(incomplete)*\n\n", 16);
    }
    store_msgs_free(msgs, n);
    store_conv_clear(&c);
    *out = b.p;
    *len = b.n;
    return 0;
}

/* ---- import ---- */

/* Optional string member: 0 with *out (NULL when absent or null), or -1. */
static int
opt_string(store *st, const json_value *obj, const char *key, const char *where,
           const char **out)
{
    const json_value *v = json_get(obj, key);
    size_t n;

    *out = NULL;
    if (v == NULL || json_typeof(v) == JSON_NULL)
        return 0;
    if (json_typeof(v) != JSON_STRING)
        return store_fail(st, STORE_E_INVALID, "%s\"%s\" must be a string, not %s", where, key,
                          json_type_name(json_typeof(v)));
    *out = json_str(v, &n);
    if (strlen(*out) != n)
        return store_fail(st, STORE_E_INVALID, "%s\"%s\" contains a NUL character", where, key);
    return 0;
}

/* Optional time member (ISO 8601 UTC): 0 with *ms (dflt when absent), or -1. */
static int
opt_time(store *st, const json_value *obj, const char *key, const char *where, int64_t dflt,
         int64_t *ms)
{
    const char *s;

    if (opt_string(st, obj, key, where, &s) < 0)
        return -1;
    *ms = dflt;
    if (s != NULL && parse_iso_time(s, ms) < 0)
        return store_fail(st, STORE_E_INVALID, "%s\"%s\": bad time '%s' (want "
                          "YYYY-MM-DDTHH:MM:SS.mmmZ)", where, key, s);
    return 0;
}

/* Optional integer member >= 0 (or null: -1): 0 with *out, or -1. */
static int
opt_count(store *st, const json_value *obj, const char *key, const char *where, int64_t *out)
{
    const json_value *v = json_get(obj, key);

    *out = -1;
    if (v == NULL || json_typeof(v) == JSON_NULL)
        return 0;
    if (json_int64(v, out) < 0 || *out < 0)
        return store_fail(st, STORE_E_INVALID, "%s\"%s\" must be a whole number >= 0", where,
                          key);
    return 0;
}

/* Map of the document's message ids to the new ones: a hash on the
 * document ids, so that a document of n messages imports in O(n). */
struct idmap {
    int64_t *from;  /* ids in the document */
    int64_t *to;    /* ids in the database */
    size_t n;       /* entries */
    size_t *slot;   /* hash slots: entry + 1, 0 when empty */
    size_t mask;    /* slots - 1 (a power of two, at least twice the entries) */
};

static void
idmap_init(struct idmap *m, size_t max)
{
    size_t slots = 16;

    while (slots < 2 * max)
        slots *= 2;
    m->from = xreallocarray(NULL, max + 1, sizeof *m->from);
    m->to = xreallocarray(NULL, max + 1, sizeof *m->to);
    m->slot = xcalloc(slots, sizeof *m->slot);
    m->mask = slots - 1;
    m->n = 0;
}

static void
idmap_free(struct idmap *m)
{
    free(m->from);
    free(m->to);
    free(m->slot);
}

/* The slot of from, or the empty slot where it would go. */
static size_t
idmap_slot(const struct idmap *m, int64_t from)
{
    size_t i = (size_t)(((uint64_t)from * 0x9e3779b97f4a7c15u) >> 17) & m->mask;

    while (m->slot[i] != 0 && m->from[m->slot[i] - 1] != from)
        i = (i + 1) & m->mask;
    return i;
}

static int64_t
idmap_find(const struct idmap *m, int64_t from)
{
    size_t i = idmap_slot(m, from);

    return m->slot[i] != 0 ? m->to[m->slot[i] - 1] : 0;
}

static void
idmap_add(struct idmap *m, int64_t from, int64_t to)
{
    m->from[m->n] = from;
    m->to[m->n] = to;
    m->slot[idmap_slot(m, from)] = ++m->n;
}

static int
import_messages(store *st, const json_value *msgs, int64_t conv_id, int64_t *head_out,
                int64_t file_head, struct idmap *map)
{
    sqlite3_stmt *stmt;
    size_t i, n = json_len(msgs);
    char where[64];
    int64_t head = 0;

    if (store_prepare(st, "INSERT INTO messages (conversation_id, parent_id, role, text, state,"
                      " tokens, created_ms, gen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                      &stmt, "importing the conversation") < 0)
        return -1;
    for (i = 0; i < n; i++) {
        const json_value *m = json_at(msgs, i);
        const char *role_s, *state_s, *text;
        store_role role;
        store_state state = STORE_STATE_COMPLETE;
        int64_t id, parent = -1, tokens, created, gen_ms, pnew = 0, new_id;
        int rc;

        snprintf(where, sizeof where, "message %zu: ", i + 1);
        if (json_typeof(m) != JSON_OBJECT) {
            store_fail(st, STORE_E_INVALID, "%snot an object", where);
            goto fail;
        }
        if (json_int64(json_get(m, "id"), &id) < 0) {
            store_fail(st, STORE_E_INVALID, "%s\"id\" must be a whole number", where);
            goto fail;
        }
        if (idmap_find(map, id) != 0) {
            store_fail(st, STORE_E_INVALID, "%sid %lld is used twice", where, (long long)id);
            goto fail;
        }
        if (json_get(m, "parent") != NULL && json_typeof(json_get(m, "parent")) != JSON_NULL) {
            if (json_int64(json_get(m, "parent"), &parent) < 0) {
                store_fail(st, STORE_E_INVALID, "%s\"parent\" must be a message id or null",
                           where);
                goto fail;
            }
            pnew = idmap_find(map, parent);
            if (pnew == 0) {
                store_fail(st, STORE_E_INVALID, "%sparent %lld is not an earlier message", where,
                           (long long)parent);
                goto fail;
            }
        }
        if (opt_string(st, m, "role", where, &role_s) < 0
            || opt_string(st, m, "state", where, &state_s) < 0
            || opt_string(st, m, "text", where, &text) < 0
            || opt_count(st, m, "tokens", where, &tokens) < 0
            || opt_count(st, m, "gen_ms", where, &gen_ms) < 0
            || opt_time(st, m, "created", where, store_now_ms(), &created) < 0)
            goto fail;
        if (role_s == NULL || store_role_parse(role_s, &role) < 0) {
            store_fail(st, STORE_E_INVALID, "%sbad or missing \"role\"%s%s%s", where,
                       role_s ? " '" : "", role_s ? role_s : "", role_s ? "'" : "");
            goto fail;
        }
        if (state_s != NULL && store_state_parse(state_s, &state) < 0) {
            store_fail(st, STORE_E_INVALID, "%sbad \"state\" '%s'", where, state_s);
            goto fail;
        }
        if (text == NULL) {
            store_fail(st, STORE_E_INVALID, "%s\"text\" is missing", where);
            goto fail;
        }
        sqlite3_bind_int64(stmt, 1, conv_id);
        if (pnew > 0)
            sqlite3_bind_int64(stmt, 2, pnew);
        else
            sqlite3_bind_null(stmt, 2);
        sqlite3_bind_text(stmt, 3, store_role_name(role), -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, text, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 5, store_state_name(state), -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 6, tokens > 0 ? tokens : 0);
        sqlite3_bind_int64(stmt, 7, created);
        if (gen_ms >= 0)
            sqlite3_bind_int64(stmt, 8, gen_ms);
        else
            sqlite3_bind_null(stmt, 8);
        rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        if (rc != SQLITE_DONE) {
            store_fail_sql(st, rc, "importing the conversation", 1);
            goto fail;
        }
        new_id = sqlite3_last_insert_rowid(st->db);
        idmap_add(map, id, new_id);
        head = new_id;
    }
    sqlite3_finalize(stmt);
    if (file_head >= 0) {
        head = idmap_find(map, file_head);
        if (head == 0)
            return store_fail(st, STORE_E_INVALID, "\"head\" %lld is not a message",
                              (long long)file_head);
    }
    *head_out = head;
    return 0;
fail:
    sqlite3_finalize(stmt);
    return -1;
}

int
store_import_json(store *st, const char *text, size_t len, int64_t *conv_id)
{
    static const char what[] = "importing the conversation";
    char err[256];
    json_value *doc;
    const json_value *v, *msgs, *sampling;
    const char *title, *system, *target, *draft, *format;
    char *sampling_text = NULL;
    int64_t version, created, updated, head = 0, file_head = -1, id;
    struct idmap map = { NULL, NULL, 0, NULL, 0 };
    sqlite3_stmt *stmt = NULL;
    json_writer *w;
    int rc;

    doc = json_parse(text, len, err, sizeof err);
    if (doc == NULL)
        return store_fail(st, STORE_E_INVALID, "not valid JSON: %s", err);
    if (json_typeof(doc) != JSON_OBJECT) {
        store_fail(st, STORE_E_INVALID, "not a ternchat conversation (the JSON is not an object)");
        goto fail;
    }
    if (opt_string(st, doc, "format", "", &format) < 0)
        goto fail;
    if (format == NULL || strcmp(format, EXPORT_FORMAT) != 0) {
        store_fail(st, STORE_E_INVALID, "not a ternchat conversation (\"format\" is not \"%s\")",
                   EXPORT_FORMAT);
        goto fail;
    }
    if (json_int64(json_get(doc, "version"), &version) < 0 || version < 1) {
        store_fail(st, STORE_E_INVALID, "\"version\" must be a whole number >= 1");
        goto fail;
    }
    if (version > EXPORT_VERSION) {
        store_fail(st, STORE_E_INVALID, "the file has export version %lld; this ternchat reads up "
                   "to %d: upgrade ternchat", (long long)version, EXPORT_VERSION);
        goto fail;
    }
    if (opt_string(st, doc, "title", "", &title) < 0
        || opt_string(st, doc, "system_prompt", "", &system) < 0
        || opt_string(st, doc, "target_model", "", &target) < 0
        || opt_string(st, doc, "draft_model", "", &draft) < 0
        || opt_time(st, doc, "created", "", store_now_ms(), &created) < 0
        || opt_time(st, doc, "updated", "", created, &updated) < 0)
        goto fail;
    sampling = json_get(doc, "sampling");
    if (sampling != NULL && json_typeof(sampling) != JSON_NULL) {
        if (json_typeof(sampling) != JSON_OBJECT) {
            store_fail(st, STORE_E_INVALID, "\"sampling\" must be an object or null");
            goto fail;
        }
        w = json_writer_new(0);
        json_write_value(w, sampling);
        sampling_text = json_writer_finish(w, NULL);
    }
    v = json_get(doc, "head");
    if (v != NULL && json_typeof(v) != JSON_NULL && json_int64(v, &file_head) < 0) {
        store_fail(st, STORE_E_INVALID, "\"head\" must be a message id or null");
        goto fail;
    }
    msgs = json_get(doc, "messages");
    if (json_typeof(msgs) != JSON_ARRAY) {
        store_fail(st, STORE_E_INVALID, "\"messages\" must be an array");
        goto fail;
    }
    idmap_init(&map, json_len(msgs));

    if (store_begin(st, what) < 0)
        goto fail;
    if (store_prepare(st, "INSERT INTO conversations (title, system_prompt, target_model,"
                      " draft_model, sampling, created_ms, updated_ms)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &stmt, what) < 0)
        goto fail_tx;
    sqlite3_bind_text(stmt, 1, title ? title : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, system ? system : "", -1, SQLITE_STATIC);
    store_bind_text(stmt, 3, target);
    store_bind_text(stmt, 4, draft);
    store_bind_text(stmt, 5, sampling_text);
    sqlite3_bind_int64(stmt, 6, created);
    sqlite3_bind_int64(stmt, 7, updated);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (rc != SQLITE_DONE) {
        store_fail_sql(st, rc, what, 1);
        goto fail_tx;
    }
    id = sqlite3_last_insert_rowid(st->db);
    if (import_messages(st, msgs, id, &head, file_head, &map) < 0)
        goto fail_tx;
    if (head > 0) {
        if (store_prepare(st, "UPDATE conversations SET head_id = ?2 WHERE id = ?1", &stmt,
                          what) < 0)
            goto fail_tx;
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, head);
        rc = sqlite3_step(stmt);
        sqlite3_finalize(stmt);
        stmt = NULL;
        if (rc != SQLITE_DONE) {
            store_fail_sql(st, rc, what, 1);
            goto fail_tx;
        }
    }
    if (store_commit(st, what) < 0)
        goto fail;
    store_write_ok(st);
    if (conv_id != NULL)
        *conv_id = id;
    idmap_free(&map);
    free(sampling_text);
    json_free(doc);
    return 0;
fail_tx:
    store_rollback(st);
fail:
    idmap_free(&map);
    free(sampling_text);
    json_free(doc);
    return -1;
}
