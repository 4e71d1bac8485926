/* test_store_fill.c: a helper for test_history.sh (not a test itself):
 * fills a database with known conversations, sessions and statistics, or
 * with --future marks it as made by a newer ternchat.
 * Usage: test_store_fill DB [--future] */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

static int
fill(store *st)
{
    store_conv_params p = { "Green tea", "Answer briefly.", "/models/target.gguf", "draft.gguf",
                            "{\"temp\":0.7}" };
    store_session_params sp = { "/models/target.gguf", "draft.gguf", 4, "ternary" };
    store_gen_stats g;
    int64_t c1, c2, m, s1, s2;

    if (store_conv_create(st, &p, &c1) < 0
        || store_msg_append(st, c1, STORE_PARENT_HEAD, STORE_ROLE_USER,
                            "How do I brew green tea?", STORE_STATE_COMPLETE, &m) < 0
        || store_msg_append(st, c1, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT,
                            "Steep green tea at 80 \xc2\xb0" "C for two minutes.\nDo not boil it.",
                            STORE_STATE_COMPLETE, &m) < 0)
        return -1;
    p = (store_conv_params){ "Evil \x1b]0;pwned\x07 title", NULL, "m\x1b[31m.gguf", NULL, NULL };
    if (store_conv_create(st, &p, &c2) < 0
        || store_msg_append(st, c2, STORE_PARENT_HEAD, STORE_ROLE_USER,
                            "clear \x1b[2J screen and \xc2\x9b" "31m red", STORE_STATE_COMPLETE, &m) < 0
        || store_msg_append(st, c2, STORE_PARENT_HEAD, STORE_ROLE_ASSISTANT, "half a rep",
                            STORE_STATE_STOPPED, &m) < 0)
        return -1;
    if (store_session_start(st, &sp, &s1) < 0)
        return -1;
    g = (store_gen_stats){ s1, m, "ternary", "/models/target.gguf", "draft.gguf", 100, 0.5, 100,
                           4.0, 80, 60, 4 };
    if (store_stats_add(st, &g, NULL) < 0)
        return -1;
    g = (store_gen_stats){ s1, 0, "ternary", "/models/target.gguf", "draft.gguf", 100, 0.5, 100,
                           1.0, 20, 20, 4 };
    if (store_stats_add(st, &g, NULL) < 0 || store_session_end(st, s1) < 0)
        return -1;
    sp = (store_session_params){ "llama.gguf", NULL, 2, "int8" };
    if (store_session_start(st, &sp, &s2) < 0)
        return -1;
    g = (store_gen_stats){ s2, 0, "int8", "llama.gguf", NULL, 10, 0.1, 30, 2.0, 0, 0, 0 };
    return store_stats_add(st, &g, NULL);
}

int
main(int argc, char **argv)
{
    char err[1024];
    store *st;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: test_store_fill DB [--future]\n");
        return 2;
    }
    if (store_open(argv[1], &st, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (argc > 2 && strcmp(argv[2], "--future") == 0)
        rc = sqlite3_exec(st->db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    else
        rc = fill(st);
    if (rc < 0)
        fprintf(stderr, "%s\n", store_errmsg(st));
    store_close(st);
    return rc < 0 ? 1 : 0;
}
