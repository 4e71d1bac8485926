/* test_ui_view.c: the conversation view: rows, wrapping, following the
 * stream, scrolling, resizing (ui/view.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"
#include "tap.h"
#include "uwidth.h"
#include "view.h"

static void
row_is(view *v, size_t r, const char *want, const char *name)
{
    char *got = view_row_text(v, r);

    is_str(got, want, name);
    free(got);
}

/* All rows joined by '|'. */
static char *
all_rows(view *v)
{
    size_t cap = 8192, o = 0;
    char *out = calloc(1, cap);

    for (size_t r = 0; r < view_rows(v); r++) {
        char *t = view_row_text(v, r);

        o += (size_t)snprintf(out + o, cap - o, "%s%s", r ? "|" : "", t);
        free(t);
    }
    return out;
}

/* Random text of Markdown-ish pieces, UTF-8 and junk. */
static size_t
random_text(char *buf, size_t cap, unsigned *seed)
{
    static const char *const bits[] = { "a", "word ", " ", "**", "*", "_", "`", "```", "# ", "- ", "1. ",
                                        "> ", "\n", "\t", "\xe4\xb8\xad", "e\xcc\x81", "\x1b", "\xff",
                                        "\xf0\x9f\x98\x80", "~~~", "\\" };
    size_t o = 0;

    while (o + 8 < cap) {
        const char *b;

        *seed = *seed * 1103515245u + 12345u;
        b = bits[(*seed >> 16) % (sizeof bits / sizeof bits[0])];
        memcpy(buf + o, b, strlen(b));
        o += strlen(b);
        if (((*seed >> 8) & 63) == 0)
            break;
    }
    return o;
}

int
main(void)
{
    view *v = view_new();
    view_row row;
    char *s;
    size_t top;

    view_resize(v, 20, 6);
    ok(view_rows(v) == 0 && view_following(v), "an empty view follows");
    ok(view_add(v, VIEW_USER, "hello there", 11) == 0, "first message has index 0");
    view_add(v, VIEW_ASSISTANT, "Hi! **Bold** words wrap here.", 29);
    s = all_rows(v);
    is_str(s, "You|  hello there||Assistant|  Hi! Bold words|  wrap here.", "header, body, gap; Markdown in replies");
    free(s);
    ok(view_row_get(v, 4, &row) && row.type == VIEW_ROW_BODY && row.role == VIEW_ASSISTANT && row.msg == 1,
       "a body row knows its message and role");
    ok(row.n_runs == 3 && strncmp(row.runs[1].text, "Bold", 4) == 0 && (row.runs[1].attr & MD_BOLD),
       "runs carry the Markdown style");
    ok(view_row_get(v, 3, &row) && row.type == VIEW_ROW_HEADER && (row.runs[0].attr & VIEW_A_LABEL),
       "header row with the role label");
    ok(view_row_get(v, 2, &row) && row.type == VIEW_ROW_GAP, "a gap between messages");
    ok(!view_row_get(v, 6, &row), "no row past the end");
    ok(view_top(v) == 0 && view_below(v) == 0, "it all fits");

    /* user text is plain */
    view_add(v, VIEW_USER, "**not bold**", 12);
    ok(view_row_get(v, view_rows(v) - 1, &row) && row.n_runs == 1 && row.runs[0].attr == 0,
       "the user's text is not Markdown");
    view_truncate(v, 2);
    ok(view_count(v) == 2 && view_rows(v) == 6, "truncate removes later messages");

    /* following the stream */
    view_add(v, VIEW_ASSISTANT, "", 0);
    for (int i = 0; i < 10; i++)
        view_append(v, "line\n", 5);
    ok(view_following(v) && view_top(v) == view_rows(v) - 6, "while following, the window shows the bottom");
    row_is(v, view_top(v) + 5, "  line", "the newest row is the last visible one");
    view_scroll(v, -3);
    ok(!view_following(v), "scrolling up stops following");
    top = view_top(v);
    view_append(v, "more\nmore\n", 10);
    ok(view_top(v) == top, "new text does not move a window the user scrolled");
    ok(view_below(v) == 5, "rows below the window are counted");
    view_scroll(v, 2);
    ok(!view_following(v), "not at the bottom yet");
    view_scroll(v, 100);
    ok(view_following(v) && view_below(v) == 0, "reaching the bottom follows again");
    view_append(v, "x\n", 2);
    ok(view_below(v) == 0, "and keeps up with new text");

    /* pages, home, end */
    view_page(v, -1);
    ok(view_below(v) == 4, "a page up is the height less two rows");
    view_page(v, -100);
    ok(view_top(v) == 0 && !view_following(v), "paging up stops at the top");
    view_page(v, 1);
    ok(view_top(v) == 4, "a page down");
    view_end(v);
    ok(view_following(v) && view_below(v) == 0, "end goes to the bottom and follows");
    view_home(v);
    ok(view_top(v) == 0 && !view_following(v), "home goes to the top");
    view_show_msg(v, 1);
    ok(view_top(v) == 3, "show_msg puts a message's header at the top");

    /* resizing keeps the top row */
    view_clear(v);
    ok(view_rows(v) == 0 && view_following(v), "clear empties the view and follows");
    view_add(v, VIEW_USER, "q", 1);
    {
        char words[400];
        size_t o = 0;

        for (int i = 0; i < 100; i++)
            o += (size_t)snprintf(words + o, sizeof words - o, "w%02d ", i);
        view_add(v, VIEW_ASSISTANT, words, o);
    }
    view_resize(v, 20, 4);
    view_home(v);
    view_scroll(v, 13);
    s = view_row_text(v, view_top(v));
    ok(s != NULL && strstr(s, "w36") != NULL, "scrolled into the middle of a paragraph");
    free(s);
    view_resize(v, 35, 4);
    s = view_row_text(v, view_top(v));
    ok(s != NULL && strstr(s, "w36") != NULL, "after widening, the same text is at the top");
    free(s);
    view_resize(v, 12, 4);
    s = view_row_text(v, view_top(v));
    ok(s != NULL && strstr(s, "w36") != NULL, "after narrowing too");
    free(s);
    view_resize(v, 300, 4);
    ok(view_top(v) == view_rows(v) - 4, "when the text no longer fills the window below, the window is clamped");
    view_end(v);
    view_resize(v, 40, 4);
    ok(view_following(v) && view_below(v) == 0, "a view that follows stays at the bottom on resize");

    /* notes, code blocks */
    view_set_note(v, 1, "stopped");
    row_is(v, 3, "Assistant  stopped", "a note in the header");
    view_set_note(v, 1, NULL);
    row_is(v, 3, "Assistant", "the note removed");
    {
        const char *code = "```c\nint abcdefghijklmnopqrstuvwxyz = 1;\n```";

        view_set_text(v, 1, code, strlen(code));
    }
    view_resize(v, 20, 10);
    s = all_rows(v);
    is_str(s, "You|  q||Assistant|  c|  int abcdefghijklmn|  opqrstuvwxyz = 1;|  ",
           "code is broken at the edge, not at spaces");
    free(s);
    ok(view_row_get(v, 5, &row) && row.line_kind == MD_CODELINE && row.first && (row.runs[0].attr & MD_BLOCK),
       "a code row knows its line kind");
    ok(view_row_get(v, 6, &row) && !row.first, "a continuation row is marked as such");
    is_str(view_msg_text(v, 1, NULL), "```c\nint abcdefghijklmnopqrstuvwxyz = 1;\n```", "the source text is kept");
    ok(view_msg_role(v, 0) == VIEW_USER && view_msg_role(v, 9) == -1, "roles");

    /* wide characters */
    view_clear(v);
    view_resize(v, 8, 5);
    view_add(v, VIEW_INFO, "\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87", 12);
    s = all_rows(v);
    is_str(s, "ternchat|  \xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad|  \xe6\x96\x87", "wide characters wrap whole");
    free(s);
    view_free(v);

    /* random text: streamed in random pieces, every row fits its width */
    {
        unsigned seed = 42;
        int good = 1;

        for (int it = 0; it < 300 && good; it++) {
            char text[600];
            size_t len = random_text(text, sizeof text, &seed), pos = 0;
            int width = 1 + (int)(seed >> 20) % 30;

            v = view_new();
            view_resize(v, width, 5);
            view_add(v, VIEW_ASSISTANT, "", 0);
            while (pos < len) {
                size_t k;

                seed = seed * 1103515245u + 12345u;
                k = 1 + (seed >> 16) % 9;
                if (k > len - pos)
                    k = len - pos;
                view_append(v, text + pos, k);
                pos += k;
            }
            for (size_t r = 0; r < view_rows(v); r++) {
                int cols = 0, bw = width - VIEW_MARGIN < 1 ? 1 : width - VIEW_MARGIN, one;

                view_row_get(v, r, &row);
                for (size_t k = 0; k < row.n_runs; k++)
                    cols += (int)uwidth_str(row.runs[k].text, row.runs[k].len);
                /* a single character wider than the row may stand alone */
                one = row.n_runs == 1 && uwidth_next(row.runs[0].text, row.runs[0].len, 0, NULL) == row.runs[0].len;
                if (row.type == VIEW_ROW_BODY && cols + row.indent - VIEW_MARGIN > bw && !one)
                    good = 0, diag("  iteration %d: row %zu is %d+%d columns at width %d", it, r, cols, row.indent, width);
            }
            view_free(v);
        }
        ok(good, "random streamed text: every row fits its width");
    }
    return done_testing();
}
