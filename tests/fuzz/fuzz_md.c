/* fuzz_md.c: fuzz target of the chat view's Markdown renderer, which gets
 * model output as it streams. Byte 0 chooses markdown on or off and how
 * the rest is cut into pieces (anywhere, also inside a UTF-8 character);
 * the pieces go through md_append, and the whole text through md_set.
 * Invariants: both give the same lines; each line's spans cover its text
 * in order without gaps; md_append never reports a first changed line
 * past the end; the source is kept exactly. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "md.h"

void
fuzz_init(void)
{
}

static void
check_line(const md_line *l, size_t i)
{
    size_t at = 0;

    fuzz_check(l->text != NULL && l->text[l->len] == '\0', "line %zu: text not terminated", i);
    for (size_t s = 0; s < l->n_spans; s++) {
        fuzz_check(l->spans[s].start == at && l->spans[s].end >= l->spans[s].start,
                   "line %zu span %zu: [%zu, %zu) after %zu", i, s, l->spans[s].start,
                   l->spans[s].end, at);
        at = l->spans[s].end;
    }
    fuzz_check(at == l->len || (l->n_spans == 0 && l->len == 0),
               "line %zu: spans end at %zu of %zu", i, at, l->len);
    fuzz_check(l->kind >= MD_TEXT && l->kind <= MD_FENCE_CLOSE, "line %zu: kind %d", i, l->kind);
    fuzz_check(l->level >= 0 && l->hang >= 0, "line %zu: level %d hang %d", i, l->level, l->hang);
}

static int
same_line(const md_line *a, const md_line *b)
{
    if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0 || a->n_spans != b->n_spans ||
        a->kind != b->kind || a->level != b->level || a->hang != b->hang ||
        a->nowrap != b->nowrap || a->src_start != b->src_start)
        return 0;
    for (size_t s = 0; s < a->n_spans; s++)
        if (a->spans[s].start != b->spans[s].start || a->spans[s].end != b->spans[s].end ||
            a->spans[s].attr != b->spans[s].attr)
            return 0;
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text;
    size_t n, pos = 0, src_n;
    unsigned mode, k = 0;
    md *inc, *whole;
    const char *src;

    if (size < 1)
        return 0;
    mode = data[0];
    text = (const char *)data + 1;
    n = size - 1;
    inc = md_new(mode & 1);
    whole = md_new(mode & 1);
    while (pos < n) {
        /* piece sizes 1..8, from the mode byte and the text itself */
        size_t step = 1 + ((mode >> 1) + (unsigned char)text[pos] + k++) % 8, first;

        if (step > n - pos)
            step = n - pos;
        first = md_append(inc, text + pos, step);
        fuzz_check(first <= md_count(inc), "md_append: first changed line %zu of %zu", first,
                   md_count(inc));
        pos += step;
    }
    md_set(whole, text, n);
    src = md_source(inc, &src_n);
    fuzz_check(src_n == n && memcmp(src, text, n) == 0, "the source is not kept");
    fuzz_check(md_count(inc) == md_count(whole), "%zu lines streamed, %zu at once",
               md_count(inc), md_count(whole));
    for (size_t i = 0; i < md_count(whole); i++) {
        check_line(md_get(whole, i), i);
        check_line(md_get(inc, i), i);
        fuzz_check(same_line(md_get(inc, i), md_get(whole, i)),
                   "line %zu differs between streamed and whole rendering", i);
    }
    if (n > 0) {
        md_line one;
        const char *nl = memchr(text, '\n', n);

        md_render_line(text, nl ? (size_t)(nl - text) : n, &one);
        check_line(&one, 0);
        md_line_clear(&one);
    }
    md_free(inc);
    md_free(whole);
    return 0;
}
