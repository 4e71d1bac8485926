/* store_conv.c: conversations and their messages: create, list, rename,
 * delete, append, stream updates, branches. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store_int.h"
#include "xmalloc.h"

static const char *const role_names[] = { "system", "user", "assistant" };
static const char *const state_names[] = { "complete", "stopped", "error", "streaming" };

const char *
store_role_name(store_role r)
{
    return (unsigned)r < 3 ? role_names[r] : "?";
}

int
store_role_parse(const char *s, store_role *out)
{
    int i;

    for (i = 0; i < 3; i++) {
        if (s != NULL && strcmp(s, role_names[i]) == 0) {
            *out = (store_role)i;
            return 0;
        }
    }
    return -1;
}

const char *
store_state_name(store_state s)
{
    return (unsigned)s < 4 ? state_names[s] : "?";
}

int
store_state_parse(const char *s, store_state *out)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (s != NULL && strcmp(s, state_names[i]) == 0) {
            *out = (store_state)i;
            return 0;
        }
    }
    return -1;
}

/* sampling must be NULL or a JSON object. */
static int
check_sampling(store *st, const char *sampling)
{
    char err[256];
    json_value *v;
    int is_obj;

    if (sampling == NULL)
        return 0;
    v = json_parse(sampling, strlen(sampling), err, sizeof err);
    if (v == NULL)
        return store_fail(st, STORE_E_INVALID, "sampling settings are not valid JSON: %s", err);
    is_obj = json_typeof(v) == JSON_OBJECT;
    json_free(v);
    if (!is_obj)
        return store_fail(st, STORE_E_INVALID, "sampling settings must be a JSON object");
    return 0;
}

/* Step a statement that changes rows; records failures as writes. Returns
 * the number of changed rows, or -1. */
static int
step_write(store *st, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);

    if (rc != SQLITE_DONE)
        return store_fail_sql(st, rc, what, 1);
    return sqlite3_changes(st->db);
}

int
store_conv_create(store *st, const store_conv_params *p, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO conversations (title, system_prompt, target_model, draft_model, sampling,"
        " created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
    sqlite3_stmt *stmt;
    int64_t now = store_now_ms();

    if (check_sampling(st, p->sampling) < 0
        || store_prepare(st, sql, &stmt, "saving the conversation") < 0)
        return -1;
    sqlite3_bind_text(stmt, 1, p->title ? p->title : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, p->system_prompt ? p->system_prompt : "", -1, SQLITE_TRANSIENT);
    store_bind_text(stmt, 3, p->target_model);
    store_bind_text(stmt, 4, p->draft_model);
    store_bind_text(stmt, 5, p->sampling);
    sqlite3_bind_int64(stmt, 6, now);
    if (step_write(st, stmt, "saving the conversation") < 0) {
        sqlite3_finalize(stmt);
        return -1;
    }
    sqlite3_finalize(stmt);
    if (id != NULL)
        *id = sqlite3_last_insert_rowid(st->db);
    store_write_ok(st);
    return 0;
}

/* Columns read into a store_conv, in this order. */
#define CONV_COLUMNS \
    "c.id, c.title, c.system_prompt, c.target_model, c.draft_model, c.sampling," \
    " c.created_ms, c.updated_ms, c.head_id," \
    " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)"

static void
conv_from_row(sqlite3_stmt *stmt, store_conv *c)
{
    c->id = sqlite3_column_int64(stmt, 0);
    c->title = store_col_dup(stmt, 1);
    c->system_prompt = store_col_dup(stmt, 2);
    c->target_model = store_col_dup(stmt, 3);
    c->draft_model = store_col_dup(stmt, 4);
    c->sampling = store_col_dup(stmt, 5);
    c->created_ms = sqlite3_column_int64(stmt, 6);
    c->updated_ms = sqlite3_column_int64(stmt, 7);
    c->head_id = sqlite3_column_int64(stmt, 8);
    c->n_messages = sqlite3_column_int64(stmt, 9);
    if (c->title == NULL)
        c->title = xstrdup("");
    if (c->system_prompt == NULL)
        c->system_prompt = xstrdup("");
}

int
store_conv_get(store *st, int64_t id, store_conv *out)
{
    sqlite3_stmt *stmt;
    int rc;

    memset(out, 0, sizeof *out);
    if (store_prepare(st, "SELECT " CONV_COLUMNS " FROM conversations c WHERE c.id = ?1", &stmt,
                      "reading the conversation") < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        conv_from_row(stmt, out);
        sqlite3_finalize(stmt);
        return 0;
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_DONE)
        return store_fail(st, STORE_E_NOTFOUND, "no conversation %lld", (long long)id);
    return store_fail_sql(st, rc, "reading the conversation", 0);
}

void
store_conv_clear(store_conv *c)
{
    if (c == NULL)
        return;
    free(c->title);
    free(c->system_prompt);
    free(c->target_model);
    free(c->draft_model);
    free(c->sampling);
    memset(c, 0, sizeof *c);
}

int
store_conv_list(store *st, int64_t offset, int64_t limit, store_conv **out, size_t *n)
{
    sqlite3_stmt *stmt;
    store_conv *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (store_prepare(st, "SELECT " CONV_COLUMNS " FROM conversations c"
                      " ORDER BY c.updated_ms DESC, c.id DESC LIMIT ?1 OFFSET ?2", &stmt,
                      "listing conversations") < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, limit > 0 ? limit : -1);
    sqlite3_bind_int64(stmt, 2, offset > 0 ? offset : 0);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = xreallocarray(v, cap, sizeof *v);
        }
        conv_from_row(stmt, &v[cnt++]);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_convs_free(v, cnt);
        return store_fail_sql(st, rc, "listing conversations", 0);
    }
    *out = v;
    *n = cnt;
    return 0;
}

void
store_convs_free(store_conv *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        store_conv_clear(&v[i]);
    free(v);
}

/* Run an UPDATE/DELETE of one conversation (?1 = id, ?2.. = texts). */
static int
conv_change(store *st, const char *sql, int64_t id, const char *a, const char *b,
            const char *c, const char *what)
{
    sqlite3_stmt *stmt;
    int changed;

    if (store_prepare(st, sql, &stmt, what) < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    if (sqlite3_bind_parameter_count(stmt) >= 2)
        store_bind_text(stmt, 2, a);
    if (sqlite3_bind_parameter_count(stmt) >= 3)
        store_bind_text(stmt, 3, b);
    if (sqlite3_bind_parameter_count(stmt) >= 4)
        store_bind_text(stmt, 4, c);
    if (sqlite3_bind_parameter_count(stmt) >= 5)
        sqlite3_bind_int64(stmt, 5, store_now_ms());
    changed = step_write(st, stmt, what);
    sqlite3_finalize(stmt);
    if (changed < 0)
        return -1;
    if (changed == 0)
        return store_fail(st, STORE_E_NOTFOUND, "no conversation %lld", (long long)id);
    store_write_ok(st);
    return 0;
}

int
store_conv_rename(store *st, int64_t id, const char *title)
{
    return conv_change(st, "UPDATE conversations SET title = coalesce(?2, ''), updated_ms = ?5"
                       " WHERE id = ?1", id, title, NULL, NULL,
                       "renaming the conversation");
}

int
store_conv_set_system(store *st, int64_t id, const char *system_prompt)
{
    return conv_change(st, "UPDATE conversations SET system_prompt = coalesce(?2, ''),"
                       " updated_ms = ?5 WHERE id = ?1", id,
                       system_prompt, NULL, NULL, "saving the system prompt");
}

int
store_conv_set_models(store *st, int64_t id, const char *target_model, const char *draft_model,
                      const char *sampling)
{
    if (check_sampling(st, sampling) < 0)
        return -1;
    return conv_change(st, "UPDATE conversations SET target_model = ?2, draft_model = ?3,"
                       " sampling = ?4, updated_ms = ?5 WHERE id = ?1", id, target_model,
                       draft_model, sampling, "saving the conversation settings");
}

int
store_conv_delete(store *st, int64_t id)
{
    /* Messages go with it (ON DELETE CASCADE), and the FTS index follows
     * through its delete trigger. */
    return conv_change(st, "DELETE FROM conversations WHERE id = ?1", id, NULL, NULL, NULL,
                       "deleting the conversation");
}

/* The conversation of a message: 0 and *conv set, or -1 (NOTFOUND). */
static int
msg_conversation(store *st, int64_t msg_id, int64_t *conv, const char *what)
{
    sqlite3_stmt *stmt;
    int rc;

    if (store_prepare(st, "SELECT conversation_id FROM messages WHERE id = ?1", &stmt, what) < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, msg_id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *conv = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return store_fail(st, STORE_E_NOTFOUND, "%s: no message %lld", what, (long long)msg_id);
    return store_fail_sql(st, rc, what, 0);
}

int
store_conv_set_head(store *st, int64_t id, int64_t msg_id)
{
    sqlite3_stmt *stmt;
    int64_t conv;
    int changed;

    if (msg_conversation(st, msg_id, &conv, "choosing the branch") < 0)
        return -1;
    if (conv != id)
        return store_fail(st, STORE_E_INVALID, "message %lld is not in conversation %lld",
                          (long long)msg_id, (long long)id);
    if (store_prepare(st, "UPDATE conversations SET head_id = ?2 WHERE id = ?1", &stmt,
                      "choosing the branch") < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, msg_id);
    changed = step_write(st, stmt, "choosing the branch");
    sqlite3_finalize(stmt);
    if (changed < 0)
        return -1;
    store_write_ok(st);
    return 0;
}

int
store_msg_append(store *st, int64_t conv_id, int64_t parent, store_role role, const char *text,
                 store_state state, int64_t *id)
{
    static const char what[] = "saving the message";
    sqlite3_stmt *stmt = NULL;
    int64_t head = 0, now = store_now_ms(), new_id, pconv;
    int rc;

    if ((unsigned)role > STORE_ROLE_ASSISTANT || (unsigned)state > STORE_STATE_STREAMING)
        return store_fail(st, STORE_E_INVALID, "%s: bad role or state", what);
    if (store_begin(st, what) < 0)
        return -1;
    if (store_prepare(st, "SELECT head_id FROM conversations WHERE id = ?1", &stmt, what) < 0)
        goto fail;
    sqlite3_bind_int64(stmt, 1, conv_id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        store_fail(st, STORE_E_NOTFOUND, "%s: no conversation %lld", what, (long long)conv_id);
        goto fail;
    }
    if (rc != SQLITE_ROW) {
        store_fail_sql(st, rc, what, 1);
        goto fail;
    }
    head = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (parent == STORE_PARENT_HEAD) {
        parent = head;
    } else if (parent > 0) {
        if (msg_conversation(st, parent, &pconv, what) < 0)
            goto fail;
        if (pconv != conv_id) {
            store_fail(st, STORE_E_INVALID, "%s: message %lld is not in conversation %lld", what,
                       (long long)parent, (long long)conv_id);
            goto fail;
        }
    } else if (parent != 0) {
        store_fail(st, STORE_E_INVALID, "%s: bad parent %lld", what, (long long)parent);
        goto fail;
    }
    if (store_prepare(st, "INSERT INTO messages (conversation_id, parent_id, role, text, state,"
                      " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &stmt, what) < 0)
        goto fail;
    sqlite3_bind_int64(stmt, 1, conv_id);
    if (parent > 0)
        sqlite3_bind_int64(stmt, 2, parent);
    else
        sqlite3_bind_null(stmt, 2);
    sqlite3_bind_text(stmt, 3, role_names[role], -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, text ? text : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 5, state_names[state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, now);
    if (step_write(st, stmt, what) < 0)
        goto fail;
    sqlite3_finalize(stmt);
    stmt = NULL;
    new_id = sqlite3_last_insert_rowid(st->db);
    if (store_prepare(st, "UPDATE conversations SET head_id = ?2, updated_ms = ?3 WHERE id = ?1",
                      &stmt, what) < 0)
        goto fail;
    sqlite3_bind_int64(stmt, 1, conv_id);
    sqlite3_bind_int64(stmt, 2, new_id);
    sqlite3_bind_int64(stmt, 3, now);
    if (step_write(st, stmt, what) < 0)
        goto fail;
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (store_commit(st, what) < 0)
        return -1;
    if (id != NULL)
        *id = new_id;
    store_write_ok(st);
    return 0;
fail:
    sqlite3_finalize(stmt);
    store_rollback(st);
    return -1;
}

int
store_msg_update(store *st, int64_t id, const char *text, int64_t tokens)
{
    static const char what[] = "saving the reply";
    int changed;

    if (st->stmt_update == NULL) {
        /* Kept prepared: this runs every second while a reply streams. */
        if (store_prepare(st, "UPDATE messages SET text = ?2, tokens = ?3 WHERE id = ?1",
                          &st->stmt_update, what) < 0)
            return -1;
    }
    sqlite3_bind_int64(st->stmt_update, 1, id);
    sqlite3_bind_text(st->stmt_update, 2, text ? text : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st->stmt_update, 3, tokens);
    changed = step_write(st, st->stmt_update, what);
    sqlite3_reset(st->stmt_update);
    sqlite3_clear_bindings(st->stmt_update);
    if (changed < 0)
        return -1;
    if (changed == 0)
        return store_fail(st, STORE_E_NOTFOUND, "%s: no message %lld", what, (long long)id);
    store_write_ok(st);
    return 0;
}

int
store_msg_finish(store *st, int64_t id, const char *text, store_state state, int64_t tokens,
                 int64_t gen_ms)
{
    static const char what[] = "saving the reply";
    sqlite3_stmt *stmt = NULL;
    int changed;

    if ((unsigned)state > STORE_STATE_STREAMING)
        return store_fail(st, STORE_E_INVALID, "%s: bad state", what);
    if (store_begin(st, what) < 0)
        return -1;
    if (store_prepare(st, "UPDATE messages SET text = ?2, state = ?3, tokens = ?4, gen_ms = ?5"
                      " WHERE id = ?1", &stmt, what) < 0)
        goto fail;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, text ? text : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, state_names[state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, tokens);
    if (gen_ms >= 0)
        sqlite3_bind_int64(stmt, 5, gen_ms);
    else
        sqlite3_bind_null(stmt, 5);
    changed = step_write(st, stmt, what);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (changed < 0)
        goto fail;
    if (changed == 0) {
        store_fail(st, STORE_E_NOTFOUND, "%s: no message %lld", what, (long long)id);
        goto fail;
    }
    if (store_prepare(st, "UPDATE conversations SET updated_ms = ?2 WHERE id ="
                      " (SELECT conversation_id FROM messages WHERE id = ?1)", &stmt, what) < 0)
        goto fail;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, store_now_ms());
    changed = step_write(st, stmt, what);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (changed < 0 || store_commit(st, what) < 0)
        goto fail;
    store_write_ok(st);
    return 0;
fail:
    sqlite3_finalize(stmt);
    store_rollback(st);
    return -1;
}

/* Columns read into a store_msg, in this order. */
#define MSG_COLUMNS "id, conversation_id, parent_id, role, state, text, tokens, created_ms, gen_ms"

static void
msg_from_row(sqlite3_stmt *stmt, store_msg *m)
{
    m->id = sqlite3_column_int64(stmt, 0);
    m->conv_id = sqlite3_column_int64(stmt, 1);
    m->parent_id = sqlite3_column_int64(stmt, 2);
    if (store_role_parse((const char *)sqlite3_column_text(stmt, 3), &m->role) < 0)
        m->role = STORE_ROLE_USER;
    if (store_state_parse((const char *)sqlite3_column_text(stmt, 4), &m->state) < 0)
        m->state = STORE_STATE_ERROR;
    m->text = store_col_dup(stmt, 5);
    if (m->text == NULL)
        m->text = xstrdup("");
    m->tokens = sqlite3_column_int64(stmt, 6);
    m->created_ms = sqlite3_column_int64(stmt, 7);
    m->gen_ms = sqlite3_column_type(stmt, 8) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 8);
}

int
store_msg_get(store *st, int64_t id, store_msg *out)
{
    sqlite3_stmt *stmt;
    int rc;

    memset(out, 0, sizeof *out);
    if (store_prepare(st, "SELECT " MSG_COLUMNS " FROM messages WHERE id = ?1", &stmt,
                      "reading the message") < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        msg_from_row(stmt, out);
    sqlite3_finalize(stmt);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return store_fail(st, STORE_E_NOTFOUND, "no message %lld", (long long)id);
    return store_fail_sql(st, rc, "reading the message", 0);
}

void
store_msg_clear(store_msg *m)
{
    if (m == NULL)
        return;
    free(m->text);
    memset(m, 0, sizeof *m);
}

int
store_msgs_get(store *st, int64_t conv_id, store_which which, store_msg **out, size_t *n)
{
    /* The branch: walk up from the head through the parents. */
    static const char branch_sql[] =
        "WITH RECURSIVE branch(id, depth) AS ("
        " SELECT head_id, 0 FROM conversations WHERE id = ?1 AND head_id IS NOT NULL"
        " UNION ALL"
        " SELECT m.parent_id, b.depth + 1 FROM messages m JOIN branch b ON m.id = b.id"
        "  WHERE m.parent_id IS NOT NULL)"
        " SELECT " MSG_COLUMNS " FROM messages JOIN branch USING (id)"
        " WHERE conversation_id = ?1 ORDER BY depth DESC";
    static const char all_sql[] =
        "SELECT " MSG_COLUMNS " FROM messages WHERE conversation_id = ?1 ORDER BY id";
    sqlite3_stmt *stmt;
    store_msg *v = NULL;
    size_t cnt = 0, cap = 0;
    store_conv conv;
    int rc;

    *out = NULL;
    *n = 0;
    if (store_conv_get(st, conv_id, &conv) < 0)
        return -1;
    store_conv_clear(&conv);
    if (store_prepare(st, which == STORE_MSGS_BRANCH ? branch_sql : all_sql, &stmt,
                      "reading the messages") < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, conv_id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = xreallocarray(v, cap, sizeof *v);
        }
        msg_from_row(stmt, &v[cnt++]);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_msgs_free(v, cnt);
        return store_fail_sql(st, rc, "reading the messages", 0);
    }
    *out = v;
    *n = cnt;
    return 0;
}

void
store_msgs_free(store_msg *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        store_msg_clear(&v[i]);
    free(v);
}
