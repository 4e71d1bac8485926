/* test_convo.c: the conversation controller between engine and store:
 * messages saved as they come, a streamed reply finished with its state
 * and statistics, edits and regenerations keeping the old branch, opening
 * a saved conversation, and a conversation without a store. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convo.h"
#include "tap.h"
#include "xmalloc.h"

static engine *eng;

/* Run the reply of c to its end; returns the DONE state. */
static int
run_reply(convo *c, int n_predict)
{
    sampler_params sp;
    spec_params pp;
    engine_event ev;
    int state = -1;

    sampler_params_default(&sp);
    sp.temp = 0;
    spec_params_default(&pp);
    if (convo_send(c, eng, &sp, &pp, n_predict) == 0)
        return -2;
    while (engine_wait(eng, &ev, 60000)) {
        int end = convo_handle(c, &ev);

        if (end)
            state = ev.state;
        engine_event_clear(&ev);
        if (end)
            break;
    }
    return state;
}

int
main(void)
{
    const char *builddir = getenv("TERNCHAT_BUILDDIR");
    char tmpl[] = "/tmp/ternchat-convo-XXXXXX";
    char err[512], *mpath, *cmd, *dbpath;
    engine_config cfg;
    engine_event ev;
    convo_env env;
    store *st;
    convo *c, *c2;
    store_msg *v;
    store_stats_row *rows;
    size_t n, nrows;
    int64_t id;

    if (!ok(builddir != NULL && mkdtemp(tmpl) != NULL, "TERNCHAT_BUILDDIR set, temp dir made"))
        return done_testing();
    mpath = xasprintf("%s/m.gguf", tmpl);
    cmd = xasprintf("%s/tools/ternchat-mkmodel --ctx 512 -o %s >/dev/null", builddir, mpath);
    ok(system(cmd) == 0, "mkmodel wrote a model");
    free(cmd);
    memset(&cfg, 0, sizeof cfg);
    cfg.target_path = mpath;
    cfg.n_threads = 1;
    eng = engine_start(&cfg, err, sizeof err);
    while (engine_wait(eng, &ev, 60000)) {
        int t = ev.type;

        engine_event_clear(&ev);
        if (t == ENGINE_EV_LOADED || t == ENGINE_EV_ERROR)
            break;
    }

    dbpath = xasprintf("%s/t.db", tmpl);
    ok(store_open(dbpath, &st, err, sizeof err) == 0, "store opens");
    memset(&env, 0, sizeof env);
    env.st = st;
    env.target_model = "m.gguf";
    env.quant = "f32";
    ok(store_session_start(st, &(store_session_params){ "m.gguf", NULL, 1, "f32" }, &env.session_id) == 0,
       "session starts");

    c = convo_new(&env, "you are terse");
    ok(convo_id(c) == 0, "a new conversation is not saved before its first message");
    ok(convo_add_user(c, "What does happy mean?\nsecond line") == 0, "add a user message");
    ok(convo_id(c) > 0, "the first message saves the conversation");
    is_str(convo_title(c), "What does happy mean?", "titled after the first line of the message");
    ok(run_reply(c, 12) == ENGINE_REPLY_STOPPED, "the reply runs to the token limit");
    ok(convo_n_msgs(c) == 2 && convo_msg_at(c, 1)->role == STORE_ROLE_ASSISTANT, "the reply is in the branch");
    ok(convo_msg_at(c, 1)->state == STORE_STATE_STOPPED && convo_msg_at(c, 1)->tokens == 12,
       "its state is stopped, 12 tokens");

    ok(store_msgs_get(st, convo_id(c), STORE_MSGS_BRANCH, &v, &n) == 0 && n == 2, "two messages saved");
    if (n == 2) {
        ok(v[0].role == STORE_ROLE_USER && strcmp(v[0].text, "What does happy mean?\nsecond line") == 0,
           "the user message as typed");
        ok(v[1].state == STORE_STATE_STOPPED && strcmp(v[1].text, convo_msg_at(c, 1)->text) == 0,
           "the reply's final text and state are saved");
    }
    store_msgs_free(v, n);
    ok(store_stats_query(st, STORE_BY_QUANT, env.session_id, &rows, &nrows) == 0 && nrows == 1 &&
       rows[0].replies == 1 && rows[0].gen_tokens == 12 && strcmp(rows[0].key, "f32") == 0,
       "the reply's statistics are recorded under its quant mode");
    store_stats_rows_free(rows, nrows);

    /* Regenerate: the old reply stays saved on its branch. */
    ok(convo_drop_reply(c) == 0 && convo_n_msgs(c) == 1, "drop the reply");
    ok(run_reply(c, 5) == ENGINE_REPLY_STOPPED && convo_n_msgs(c) == 2, "a new reply");
    n = 0;
    if (store_msgs_get(st, convo_id(c), STORE_MSGS_ALL, &v, &n) != 0)
        n = 0;
    ok(n == 3, "all three messages stay saved (%zu)", n);
    store_msgs_free(v, n);

    /* Edit the first message: a new branch. */
    ok(convo_edit(c, 0, "What does sad mean?") == 0 && convo_n_msgs(c) == 1, "edit the first message");
    ok(run_reply(c, 4) == ENGINE_REPLY_STOPPED, "reply to the edit");
    ok(store_msgs_get(st, convo_id(c), STORE_MSGS_BRANCH, &v, &n) == 0 && n == 2 &&
       strcmp(v[0].text, "What does sad mean?") == 0, "the current branch starts with the edit");
    store_msgs_free(v, n);
    if (store_msgs_get(st, convo_id(c), STORE_MSGS_ALL, &v, &n) != 0)
        n = 0;
    ok(n == 5, "the old branch is kept (%zu messages)", n);
    store_msgs_free(v, n);
    ok(convo_add_user(c, "more") == 0 && run_reply(c, 3) == ENGINE_REPLY_STOPPED, "a second turn");
    convo_rename(c, "renamed");
    convo_set_system(c, "new system");

    /* Open it again from the store. */
    id = convo_id(c);
    c2 = convo_open(&env, id, err, sizeof err);
    ok(c2 != NULL && convo_n_msgs(c2) == 4, "convo_open reads the current branch (4 messages)");
    if (c2 != NULL) {
        is_str(convo_title(c2), "renamed", "with its new title");
        is_str(convo_system(c2), "new system", "and system prompt");
        is_str(convo_msg_at(c2, 3)->text, convo_msg_at(c, 3)->text, "and the last reply's text");
        ok(run_reply(c2, 2) == -2, "nothing to reply to after a reply");
        convo_add_user(c2, "continue");
        ok(run_reply(c2, 2) == ENGINE_REPLY_STOPPED, "continue the reopened conversation");
    }
    convo_free(c2);
    convo_free(c);
    ok(convo_open(&env, 99999, err, sizeof err) == NULL, "opening a missing conversation fails");
    contains(err, "99999", "naming its id");

    /* Without a store, everything works in memory. */
    {
        convo_env mem;

        memset(&mem, 0, sizeof mem);
        c = convo_new(&mem, NULL);
        convo_add_user(c, "hi");
        ok(run_reply(c, 3) == ENGINE_REPLY_STOPPED && convo_n_msgs(c) == 2, "memory-only conversation");
        ok(convo_id(c) == 0, "not saved anywhere");
        convo_free(c);
    }

    store_close(st);
    engine_stop(eng);
    unlink(dbpath);
    {
        char *p = xasprintf("%s-wal", dbpath);

        unlink(p);
        free(p);
        p = xasprintf("%s-shm", dbpath);
        unlink(p);
        free(p);
    }
    unlink(mpath);
    rmdir(tmpl);
    free(dbpath);
    free(mpath);
    return done_testing();
}
