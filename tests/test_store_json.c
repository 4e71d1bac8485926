/* test_store_json.c: the JSON writer and parser, and the conversation
 * export/import round trip with awkward text (quotes, backslashes,
 * newlines, Unicode, control characters), branches and bad import files. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store.h"
#include "tap.h"
#include "xmalloc.h"

static void
test_writer(void)
{
    json_writer *w = json_writer_new(0);
    char *s;

    json_begin_object(w);
    json_key(w, "a");
    json_int(w, -42);
    json_key(w, "s");
    json_string(w, "q\"b\\n\nt\tc\x01" "e\x1b[0m\xc2\x9b" "d\xc3\xa9\xf0\x9f\x98\x80");
    json_key(w, "bad");
    json_string(w, "x\xff" "y");
    json_key(w, "arr");
    json_begin_array(w);
    json_double(w, 0.5);
    json_double(w, 0.1);
    json_bool(w, 1);
    json_null(w);
    json_begin_object(w);
    json_end_object(w);
    json_end_array(w);
    json_end_object(w);
    s = json_writer_finish(w, NULL);
    is_str(s, "{\"a\":-42,\"s\":\"q\\\"b\\\\n\\nt\\tc\\u0001e\\u001b[0m\\u009bd\xc3\xa9\xf0\x9f\x98\x80\","
              "\"bad\":\"x\xef\xbf\xbdy\",\"arr\":[0.5,0.1,true,null,{}]}",
           "compact output: escapes, C1 escaped, UTF-8 kept, invalid byte -> U+FFFD");
    free(s);

    w = json_writer_new(1);
    json_begin_object(w);
    json_key(w, "k");
    json_begin_array(w);
    json_int(w, 1);
    json_int(w, 2);
    json_end_array(w);
    json_key(w, "e");
    json_begin_array(w);
    json_end_array(w);
    json_end_object(w);
    is_str(json_writer_text(w, NULL), "{\n  \"k\": [\n    1,\n    2\n  ],\n  \"e\": []\n}",
           "pretty output");
    json_writer_free(w);
}

/* Parse text; on failure the message is copied to err. */
static json_value *
parse(const char *text, char *err)
{
    return json_parse(text, strlen(text), err, 256);
}

static void
parse_fails(const char *text, const char *want, const char *name)
{
    char err[256] = "";
    json_value *v = parse(text, err);

    ok(v == NULL, "rejects %s", name);
    json_free(v);
    contains(err, want, "... message");
}

static void
test_parser(void)
{
    char err[256];
    json_value *v;
    const json_value *x;
    const char *s;
    size_t n;
    int64_t i;

    v = parse(" {\"a\": [1, -2.5e2, true, false, null], \"s\": \"\\u00e9\\ud83d\\ude00\\n\\\"\","
              " \"big\": 12345678901234567890, \"neg\": -9223372036854775808, \"o\": {}} ", err);
    ok(v != NULL && json_typeof(v) == JSON_OBJECT && json_len(v) == 5, "parses an object");
    x = json_get(v, "a");
    ok(json_typeof(x) == JSON_ARRAY && json_len(x) == 5, "array of 5");
    ok(json_int64(json_at(x, 0), &i) == 0 && i == 1, "integer 1");
    ok(json_number(json_at(x, 1)) == -250.0 && json_int64(json_at(x, 1), &i) < 0,
       "-2.5e2 is a number, not an integer");
    ok(json_bool_value(json_at(x, 2)) == 1 && json_typeof(json_at(x, 3)) == JSON_BOOL
       && json_bool_value(json_at(x, 3)) == 0, "true and false");
    ok(json_typeof(json_at(x, 4)) == JSON_NULL, "null");
    s = json_str(json_get(v, "s"), &n);
    is_str(s, "\xc3\xa9\xf0\x9f\x98\x80\n\"", "escapes and a surrogate pair decode to UTF-8");
    ok(json_int64(json_get(v, "big"), &i) < 0 && json_number(json_get(v, "big")) > 1.2e19,
       "an integer beyond int64 is only a double");
    ok(json_int64(json_get(v, "neg"), &i) == 0 && i == INT64_MIN, "INT64_MIN exactly");
    is_str(json_key_at(v, 4), "o", "member names in order");
    ok(json_get(v, "missing") == NULL && json_get(json_get(v, "a"), "x") == NULL,
       "missing member / not an object");
    json_free(v);

    v = parse("\"a\\u0000b\"", err);
    ok(v != NULL && json_str(v, &n) != NULL && n == 3, "\\u0000 keeps the length");
    json_free(v);

    parse_fails("{\"a\": 1,}", "line 1, column 9", "a trailing comma (position)");
    parse_fails("[1 2]", "expected ',' or ']'", "a missing comma");
    parse_fails("{\"a\"\n  1}", "line 2, column 3: expected ':'", "a missing colon (line 2)");
    parse_fails("\"abc", "unterminated string", "an unterminated string");
    parse_fails("\"a\nb\"", "control character", "a raw newline in a string");
    parse_fails("\"\\x\"", "invalid escape", "a bad escape");
    parse_fails("\"\\ud800\"", "lone high surrogate", "a lone surrogate");
    parse_fails("\"\xff\"", "invalid UTF-8", "invalid UTF-8");
    parse_fails("\"\xed\xa0\x80\"", "invalid UTF-8", "an encoded surrogate");
    parse_fails("01", "unexpected text", "a leading zero");
    parse_fails("1.", "no digit after", "a bare decimal point");
    parse_fails("[1] x", "unexpected text after", "text after the value");
    parse_fails("", "unexpected end", "empty input");
    parse_fails("nul", "unexpected character", "a truncated literal");
    parse_fails("{'a': 1}", "member name", "single quotes");
    {
        char deep[1001];

        memset(deep, '[', 1000);
        deep[1000] = '\0';
        parse_fails(deep, "nesting deeper", "nesting beyond the limit");
    }
    v = parse("\xef\xbb\xbf[]", err);
    ok(v != NULL, "a byte order mark is skipped");
    json_free(v);

    /* writing a parsed value back gives the same document */
    v = parse("{\"t\":0.7,\"k\":40,\"n\":[null,true,\"x\\u001by\"],\"o\":{\"p\":-1}}", err);
    {
        json_writer *w = json_writer_new(0);
        char *s2;

        json_write_value(w, v);
        s2 = json_writer_finish(w, NULL);
        is_str(s2, "{\"t\":0.7,\"k\":40,\"n\":[null,true,\"x\\u001by\"],\"o\":{\"p\":-1}}",
               "json_write_value round trip (0.7 stays 0.7)");
        free(s2);
    }
    json_free(v);
}

static const char *const awkward[] = {
    "He said \"hi\" and left \\ back\\slash",
    "line one\nline two\r\n\ttabbed",
    "Unicode: caf\xc3\xa9, \xe4\xb8\xad\xe6\x96\x87, emoji \xf0\x9f\x98\x80, RTL \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
    "control: \x01\x02\x1b[31mred\x1b[0m \x7f del, C1 \xc2\x9b" "csi, bell\x07",
    "",
    "   leading and trailing spaces   ",
    "{\"json\": [\"inside\", 1]} </script>",
};

static void
test_round_trip(void)
{
    char err[512], *json, *json2, *md;
    store_conv_params p = { "T\xc3\xaftle \"quoted\"\nnewline", "System\twith \\ stuff \x1b[1m",
                            "models/target.gguf", "draft.gguf", "{\"temp\":0.7,\"top_k\":40}" };
    store *st;
    int64_t conv, ids[16], imported, root, edit;
    store_msg *a, *b;
    store_conv ca, cb;
    size_t na, nb, i, len;
    int same = 1;

    if (store_open(":memory:", &st, err, sizeof err) < 0) {
        diag("%s", err);
        return;
    }
    store_conv_create(st, &p, &conv);
    for (i = 0; i < sizeof awkward / sizeof awkward[0]; i++)
        store_msg_append(st, conv, STORE_PARENT_HEAD, i % 2 ? STORE_ROLE_ASSISTANT : STORE_ROLE_USER,
                         awkward[i], i == 3 ? STORE_STATE_STOPPED : i == 5 ? STORE_STATE_ERROR
                                                                           : STORE_STATE_COMPLETE,
                         &ids[i]);
    store_msg_finish(st, ids[1], awkward[1], STORE_STATE_COMPLETE, 12, 345);
    /* an edit: a branch from the first message, then back to the main one */
    root = ids[0];
    store_msg_append(st, conv, root, STORE_ROLE_ASSISTANT, "another answer", STORE_STATE_COMPLETE,
                     &edit);
    store_conv_set_head(st, conv, ids[6]);

    ok(store_export_json(st, conv, &json, &len) == 0 && len == strlen(json), "export JSON");
    ok(store_import_json(st, json, len, &imported) == 0 && imported != conv, "import it back");
    if (imported == 0)
        diag("%s", store_errmsg(st));
    store_conv_get(st, conv, &ca);
    store_conv_get(st, imported, &cb);
    is_str(cb.title, ca.title, "same title");
    is_str(cb.system_prompt, ca.system_prompt, "same system prompt");
    is_str(cb.target_model, ca.target_model, "same target model");
    is_str(cb.draft_model, ca.draft_model, "same draft model");
    is_str(cb.sampling, "{\"temp\":0.7,\"top_k\":40}", "same sampling settings");
    ok(cb.created_ms == ca.created_ms && cb.updated_ms == ca.updated_ms, "same timestamps");
    ok(cb.n_messages == ca.n_messages, "same message count (%lld)", (long long)cb.n_messages);

    store_msgs_get(st, conv, STORE_MSGS_ALL, &a, &na);
    store_msgs_get(st, imported, STORE_MSGS_ALL, &b, &nb);
    ok(na == nb, "all branches imported");
    for (i = 0; i < na && i < nb; i++) {
        if (strcmp(a[i].text, b[i].text) != 0 || a[i].role != b[i].role || a[i].state != b[i].state
            || a[i].tokens != b[i].tokens || a[i].gen_ms != b[i].gen_ms
            || a[i].created_ms != b[i].created_ms) {
            same = 0;
            diag("message %zu differs: \"%s\" vs \"%s\"", i, a[i].text, b[i].text);
        }
    }
    ok(same, "every message: same text, role, state, tokens, times, in order");
    store_msgs_free(a, na);
    store_msgs_free(b, nb);
    store_msgs_get(st, conv, STORE_MSGS_BRANCH, &a, &na);
    store_msgs_get(st, imported, STORE_MSGS_BRANCH, &b, &nb);
    ok(na == nb && na == sizeof awkward / sizeof awkward[0], "same current branch length");
    same = na == nb;
    for (i = 0; i < na && i < nb; i++)
        same &= strcmp(a[i].text, b[i].text) == 0;
    ok(same, "same current branch");
    store_msgs_free(a, na);
    store_msgs_free(b, nb);
    ok(store_export_json(st, imported, &json2, &len) == 0, "export the import");
    {
        /* identical except for the message ids */
        json_value *x = json_parse(json, strlen(json), NULL, 0);
        json_value *y = json_parse(json2, strlen(json2), NULL, 0);
        const json_value *mx = json_get(x, "messages"), *my = json_get(y, "messages");
        int eq = json_len(mx) == json_len(my);

        for (i = 0; eq && i < json_len(mx); i++) {
            size_t l1, l2;
            const char *t1 = json_str(json_get(json_at(mx, i), "text"), &l1);
            const char *t2 = json_str(json_get(json_at(my, i), "text"), &l2);

            eq = l1 == l2 && memcmp(t1, t2, l1) == 0;
        }
        ok(eq, "exporting the import gives the same texts");
        json_free(x);
        json_free(y);
    }
    contains(json, "\\u001b[31mred", "ESC is escaped in the JSON");
    ok(strchr(json, '\x1b') == NULL && strstr(json, "\xc2\x9b") == NULL,
       "no raw ESC or C1 control in the JSON");
    free(json);
    free(json2);
    store_conv_clear(&ca);
    store_conv_clear(&cb);

    ok(store_export_markdown(st, conv, &md, &len) == 0, "export Markdown");
    contains(md, "## User\n\nHe said \"hi\"", "Markdown has the messages");
    contains(md, "- Model: models/target.gguf", "... the model");
    contains(md, "*(stopped)*", "... the stopped mark");
    ok(strstr(md, "another answer") == NULL, "... only the current branch");
    free(md);
    ok(store_export_json(st, 98765, &json, &len) < 0 && store_errcode(st) == STORE_E_NOTFOUND,
       "export of a missing conversation: not found");
    store_close(st);
}

static void
import_fails(store *st, const char *doc, const char *want, const char *name)
{
    int64_t id = 0;
    store_conv *v;
    size_t n = 0, before;

    store_conv_list(st, 0, 0, &v, &n);
    store_convs_free(v, n);
    before = n;
    ok(store_import_json(st, doc, strlen(doc), &id) < 0 && store_errcode(st) == STORE_E_INVALID,
       "import refuses %s", name);
    contains(store_errmsg(st), want, "... message");
    store_conv_list(st, 0, 0, &v, &n);
    store_convs_free(v, n);
    ok(n == before, "... and adds nothing");
}

#define HEAD "{\"format\":\"ternchat-conversation\",\"version\":1,"

static void
test_bad_imports(void)
{
    char err[512];
    store *st;
    int64_t id;

    if (store_open(":memory:", &st, err, sizeof err) < 0)
        return;
    import_fails(st, "{nope", "not valid JSON: line 1, column 2", "invalid JSON");
    import_fails(st, "[1]", "not an object", "an array");
    import_fails(st, "{\"format\":\"other\",\"version\":1,\"messages\":[]}", "not a ternchat",
                 "another format");
    import_fails(st, "{\"format\":\"ternchat-conversation\",\"version\":7,\"messages\":[]}",
                 "upgrade ternchat", "a newer export version");
    import_fails(st, HEAD "\"messages\":{}}", "\"messages\" must be an array", "messages not an array");
    import_fails(st, HEAD "\"messages\":[{\"id\":1,\"role\":\"bot\",\"text\":\"x\"}]}",
                 "message 1: bad or missing \"role\" 'bot'", "an unknown role");
    import_fails(st, HEAD "\"messages\":[{\"id\":1,\"role\":\"user\"}]}", "message 1: \"text\" is missing",
                 "a message without text");
    import_fails(st, HEAD "\"messages\":[{\"id\":1,\"role\":\"user\",\"text\":\"a\"},"
                 "{\"id\":2,\"parent\":3,\"role\":\"user\",\"text\":\"b\"}]}",
                 "message 2: parent 3 is not an earlier message", "a forward parent");
    import_fails(st, HEAD "\"messages\":[{\"id\":1,\"role\":\"user\",\"text\":\"a\"},"
                 "{\"id\":1,\"role\":\"user\",\"text\":\"b\"}]}", "id 1 is used twice", "a repeated id");
    import_fails(st, HEAD "\"messages\":[{\"id\":1,\"role\":\"user\",\"text\":\"a\\u0000b\"}]}",
                 "NUL character", "a NUL in a text");
    import_fails(st, HEAD "\"created\":\"yesterday\",\"messages\":[]}", "bad time 'yesterday'",
                 "a bad time");
    import_fails(st, HEAD "\"head\":9,\"messages\":[{\"id\":1,\"role\":\"user\",\"text\":\"a\"}]}",
                 "\"head\" 9 is not a message", "a head that is not a message");
    import_fails(st, HEAD "\"title\":5,\"messages\":[]}", "\"title\" must be a string", "a number title");
    {
        const char *min = HEAD "\"messages\":[{\"id\":10,\"role\":\"user\",\"text\":\"min\"}]}";

        ok(store_import_json(st, min, strlen(min), &id) == 0, "a minimal document imports");
    }
    store_close(st);
}

int
main(void)
{
    test_writer();
    test_parser();
    test_round_trip();
    test_bad_imports();
    return done_testing();
}
