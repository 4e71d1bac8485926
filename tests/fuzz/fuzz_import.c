/* fuzz_import.c: fuzz target of conversation import: the JSON parser and
 * store_import_json into an in-memory store. Invariants:
 *   - JSON: a parsed document written out and parsed again gives the same
 *     text (the writer's output is a fixed point);
 *   - a conversation that imports exports again, and that export imports
 *     and exports to the same document (ids aside, which are new);
 *   - a rejected import leaves the store as it was (no conversation, no
 *     message added). */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "store.h"

static store *st;

void
fuzz_init(void)
{
    char err[512];

    if (store_open(":memory:", &st, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_import: %s\n", err);
        abort();
    }
}

/* Conversations in the store. */
static size_t
n_convs(void)
{
    store_conv *v;
    size_t n;

    fuzz_check(store_conv_list(st, 0, 0, &v, &n) == 0, "list: %s", store_errmsg(st));
    store_convs_free(v, n);
    return n;
}

/* An export as canonical text: message ids replaced by their position, so
 * that two imports of one document compare equal. */
static char *
canonical(const char *text, size_t len)
{
    char err[256];
    json_value *doc = json_parse(text, len, err, sizeof err);
    const json_value *msgs, *head;
    json_writer *w;
    int64_t hid = -1;

    fuzz_check(doc != NULL && json_typeof(doc) == JSON_OBJECT, "an export does not parse: %s", err);
    msgs = json_get(doc, "messages");
    fuzz_check(msgs != NULL && json_typeof(msgs) == JSON_ARRAY, "an export has no messages");
    head = json_get(doc, "head");
    if (head != NULL)
        (void)json_int64(head, &hid);
    w = json_writer_new(0);
    json_begin_object(w);
    for (size_t i = 0; i < json_len(doc); i++) {
        const char *k = json_key_at(doc, i);

        if (strcmp(k, "messages") == 0 || strcmp(k, "head") == 0)
            continue;
        json_key(w, k);
        json_write_value(w, json_at(doc, i));
    }
    json_key(w, "messages");
    json_begin_array(w);
    for (size_t i = 0; i < json_len(msgs); i++) {
        const json_value *m = json_at(msgs, i);
        int64_t id = -1, parent = -1, pos = -1;

        (void)json_int64(json_get(m, "id"), &id);
        if (json_get(m, "parent") != NULL)
            (void)json_int64(json_get(m, "parent"), &parent);
        for (size_t j = 0; j < i; j++) {
            int64_t o;

            if (json_int64(json_get(json_at(msgs, j), "id"), &o) == 0 && o == parent)
                pos = (int64_t)j;
        }
        json_begin_object(w);
        json_key(w, "parent_pos");
        json_int(w, pos);
        json_key(w, "is_head");
        json_bool(w, id == hid);
        for (size_t j = 0; j < json_len(m); j++) {
            const char *k = json_key_at(m, j);

            if (strcmp(k, "id") == 0 || strcmp(k, "parent") == 0)
                continue;
            json_key(w, k);
            json_write_value(w, json_at(m, j));
        }
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
    json_free(doc);
    return json_writer_finish(w, NULL);
}

static void
check_json(const uint8_t *data, size_t size)
{
    char err[256], *t1, *t2;
    size_t n1, n2;
    json_value *v = json_parse((const char *)data, size, err, sizeof err), *v2;
    json_writer *w;

    if (v == NULL) {
        fuzz_check(err[0] != '\0', "a rejection without a message");
        return;
    }
    w = json_writer_new(data[0] & 1);
    json_write_value(w, v);
    t1 = json_writer_finish(w, &n1);
    v2 = json_parse(t1, n1, err, sizeof err);
    if (v2 == NULL) {
        fprintf(stderr, "written: %s\n", t1);
        fuzz_fail("the writer's output does not parse: %s", err);
    }
    w = json_writer_new(data[0] & 1);
    json_write_value(w, v2);
    t2 = json_writer_finish(w, &n2);
    fuzz_check(n1 == n2 && memcmp(t1, t2, n1) == 0, "writing is not a fixed point:\n%s\n%s", t1, t2);
    json_free(v);
    json_free(v2);
    free(t1);
    free(t2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t id, id2;
    char *e1, *e2, *c1, *c2;
    size_t l1, l2, before;

    if (size == 0)
        return 0;
    check_json(data, size);
    before = n_convs();
    if (store_import_json(st, (const char *)data, size, &id) != 0) {
        fuzz_check(store_errmsg(st) != NULL && store_errmsg(st)[0] != '\0', "no message");
        fuzz_check(n_convs() == before, "a rejected import left a conversation");
        return 0;
    }
    fuzz_check(store_export_json(st, id, &e1, &l1) == 0, "export: %s", store_errmsg(st));
    if (store_import_json(st, e1, l1, &id2) != 0) {
        fprintf(stderr, "export: %s\n", e1);
        fuzz_fail("an export does not import: %s", store_errmsg(st));
    }
    fuzz_check(store_export_json(st, id2, &e2, &l2) == 0, "export: %s", store_errmsg(st));
    c1 = canonical(e1, l1);
    c2 = canonical(e2, l2);
    if (strcmp(c1, c2) != 0) {
        fprintf(stderr, "first:  %s\nsecond: %s\n", c1, c2);
        fuzz_fail("export -> import -> export changed the conversation");
    }
    fuzz_check(store_conv_delete(st, id) == 0 && store_conv_delete(st, id2) == 0, "delete: %s",
               store_errmsg(st));
    free(c1);
    free(c2);
    free(e1);
    free(e2);
    return 0;
}
