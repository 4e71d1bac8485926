/* store_stats.c: program sessions and the speed statistics of each reply,
 * and their summaries grouped by quantisation mode, model pair or session. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

int
store_session_start(store *st, const store_session_params *p, int64_t *id)
{
    static const char what[] = "saving the session";
    sqlite3_stmt *stmt;
    int rc;

    if (store_prepare(st, "INSERT INTO sessions (started_ms, target_model, draft_model, threads,"
                      " quant_modes) VALUES (?1, ?2, ?3, ?4, ?5)", &stmt, what) < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, store_now_ms());
    store_bind_text(stmt, 2, p->target_model);
    store_bind_text(stmt, 3, p->draft_model);
    sqlite3_bind_int(stmt, 4, p->threads);
    store_bind_text(stmt, 5, p->quant_modes);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return store_fail_sql(st, rc, what, 1);
    if (id != NULL)
        *id = sqlite3_last_insert_rowid(st->db);
    store_write_ok(st);
    return 0;
}

int
store_session_end(store *st, int64_t id)
{
    static const char what[] = "ending the session";
    sqlite3_stmt *stmt;
    int rc;

    if (store_prepare(st, "UPDATE sessions SET ended_ms = ?2 WHERE id = ?1", &stmt, what) < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, store_now_ms());
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return store_fail_sql(st, rc, what, 1);
    if (sqlite3_changes(st->db) == 0)
        return store_fail(st, STORE_E_NOTFOUND, "%s: no session %lld", what, (long long)id);
    store_write_ok(st);
    return 0;
}

int
store_stats_add(store *st, const store_gen_stats *g, int64_t *id)
{
    static const char what[] = "saving the statistics";
    sqlite3_stmt *stmt;
    int rc;

    if (g->quant == NULL || g->prompt_tokens < 0 || g->gen_tokens < 0 || g->drafted < 0
        || g->accepted < 0 || g->accepted > g->drafted || !(g->prompt_s >= 0) || !(g->gen_s >= 0))
        return store_fail(st, STORE_E_INVALID, "%s: inconsistent values", what);
    if (store_prepare(st, "INSERT INTO gen_stats (session_id, message_id, created_ms, quant,"
                      " target_model, draft_model, prompt_tokens, prompt_s, gen_tokens, gen_s,"
                      " tokens_per_s, drafted, accepted, acceptance, gamma)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                      &stmt, what) < 0)
        return -1;
    if (g->session_id > 0)
        sqlite3_bind_int64(stmt, 1, g->session_id);
    if (g->message_id > 0)
        sqlite3_bind_int64(stmt, 2, g->message_id);
    sqlite3_bind_int64(stmt, 3, store_now_ms());
    store_bind_text(stmt, 4, g->quant);
    store_bind_text(stmt, 5, g->target_model);
    store_bind_text(stmt, 6, g->draft_model);
    sqlite3_bind_int64(stmt, 7, g->prompt_tokens);
    sqlite3_bind_double(stmt, 8, g->prompt_s);
    sqlite3_bind_int64(stmt, 9, g->gen_tokens);
    sqlite3_bind_double(stmt, 10, g->gen_s);
    if (g->gen_s > 0)
        sqlite3_bind_double(stmt, 11, (double)g->gen_tokens / g->gen_s);
    sqlite3_bind_int64(stmt, 12, g->drafted);
    sqlite3_bind_int64(stmt, 13, g->accepted);
    if (g->drafted > 0)
        sqlite3_bind_double(stmt, 14, (double)g->accepted / (double)g->drafted);
    if (g->gamma > 0)
        sqlite3_bind_int(stmt, 15, g->gamma);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            return store_fail(st, STORE_E_NOTFOUND, "%s: no such session or message", what);
        return store_fail_sql(st, rc, what, 1);
    }
    if (id != NULL)
        *id = sqlite3_last_insert_rowid(st->db);
    store_write_ok(st);
    return 0;
}

int
store_stats_query(store *st, store_group by, int64_t session_id, store_stats_row **rows,
                  size_t *n)
{
    static const char what[] = "reading the statistics";
    const char *key;
    char *sql;
    sqlite3_stmt *stmt;
    store_stats_row *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    switch (by) {
    case STORE_BY_QUANT:
        key = "g.quant";
        break;
    case STORE_BY_MODEL:
        key = "coalesce(g.target_model, '(unknown)') ||"
              " coalesce(' + ' || g.draft_model, '')";
        break;
    case STORE_BY_SESSION:
        key = "coalesce(g.session_id, 0)";
        break;
    default:
        return store_fail(st, STORE_E_INVALID, "%s: bad grouping", what);
    }
    sql = xasprintf("SELECT %s AS k, coalesce(g.session_id, 0), min(s.started_ms), count(*),"
                    " sum(g.prompt_tokens), sum(g.prompt_s), sum(g.gen_tokens), sum(g.gen_s),"
                    " sum(g.drafted), sum(g.accepted), avg(g.gamma)"
                    " FROM gen_stats g LEFT JOIN sessions s ON s.id = g.session_id"
                    " WHERE ?1 = 0 OR g.session_id = ?1 GROUP BY k ORDER BY %s",
                    key, by == STORE_BY_SESSION ? "k" : "sum(g.gen_tokens) DESC, k");
    rc = store_prepare(st, sql, &stmt, what);
    free(sql);
    if (rc < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, session_id > 0 ? session_id : 0);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        store_stats_row *r;

        if (cnt == cap) {
            cap = cap ? cap * 2 : 8;
            v = xreallocarray(v, cap, sizeof *v);
        }
        r = &v[cnt++];
        memset(r, 0, sizeof *r);
        r->key = store_col_dup(stmt, 0);
        if (r->key == NULL)
            r->key = xstrdup("");
        r->session_id = sqlite3_column_int64(stmt, 1);
        r->started_ms = sqlite3_column_int64(stmt, 2);
        r->replies = sqlite3_column_int64(stmt, 3);
        r->prompt_tokens = sqlite3_column_int64(stmt, 4);
        r->prompt_s = sqlite3_column_double(stmt, 5);
        r->gen_tokens = sqlite3_column_int64(stmt, 6);
        r->gen_s = sqlite3_column_double(stmt, 7);
        r->drafted = sqlite3_column_int64(stmt, 8);
        r->accepted = sqlite3_column_int64(stmt, 9);
        r->mean_gamma = sqlite3_column_double(stmt, 10);
        r->prompt_tps = r->prompt_s > 0 ? (double)r->prompt_tokens / r->prompt_s : 0.0;
        r->gen_tps = r->gen_s > 0 ? (double)r->gen_tokens / r->gen_s : 0.0;
        r->acceptance = r->drafted > 0 ? (double)r->accepted / (double)r->drafted : -1.0;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_stats_rows_free(v, cnt);
        return store_fail_sql(st, rc, what, 0);
    }
    *rows = v;
    *n = cnt;
    return 0;
}

void
store_stats_rows_free(store_stats_row *rows, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(rows[i].key);
    free(rows);
}
