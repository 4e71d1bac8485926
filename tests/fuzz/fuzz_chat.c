/* fuzz_chat.c: fuzz target of the chat templates: template detection from
 * a model's Jinja text, and rendering of any conversation with every
 * built-in template. Input: byte 0 picks the template, byte 1 whether to
 * add the assistant opening; the rest is split at 0x01 into messages whose
 * first byte picks the role (system, user, assistant, or an unknown role).
 * The whole input, as text, also goes through chat_detect. Invariants: a
 * template renders (never NULL), the length it reports is the string's,
 * and rendering is deterministic. */
#include "config.h"

#include <string.h>

#include "chat.h"
#include "fuzz.h"

void
fuzz_init(void)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const roles[] = { "system", "user", "assistant", "tool" };
    char *copy, *p, *end, *out, *again;
    chat_msg *msgs;
    size_t n = 0, len, len2;
    int id, det;

    if (size < 2)
        return 0;
    copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    det = chat_detect(copy + 2);
    fuzz_check(det == CHAT_UNKNOWN || (det >= 0 && det < chat_count()), "chat_detect gave %d", det);
    if (det >= 0)
        fuzz_check(chat_name(det) != NULL && chat_lookup(chat_name(det)) == det,
                   "template %d has no name that finds it", det);

    id = data[0] % chat_count();
    msgs = malloc((size + 1) * sizeof *msgs);
    for (p = copy + 2, end = copy + size; p <= end; p++) {
        char *q = memchr(p, 1, (size_t)(end - p));

        if (q == NULL)
            q = end;
        *q = '\0';
        msgs[n].role = p < q ? roles[(unsigned char)*p % 4] : "user";
        msgs[n].content = p < q ? p + 1 : p;
        n++;
        p = q;
    }
    out = chat_render(id, msgs, n, data[1] & 1, &len);
    fuzz_check(out != NULL, "template %s gave NULL", chat_name(id));
    fuzz_check(strlen(out) == len, "reported length %zu, string %zu", len, strlen(out));
    again = chat_render(id, msgs, n, data[1] & 1, &len2);
    fuzz_check(again != NULL && len2 == len && memcmp(out, again, len) == 0,
               "rendering is not deterministic");
    fuzz_check(chat_render(-1, msgs, n, 1, NULL) == NULL, "id -1 renders");
    fuzz_check(chat_render(chat_count(), msgs, n, 1, NULL) == NULL, "id past the end renders");
    free(again);
    free(out);
    free(msgs);
    free(copy);
    return 0;
}
