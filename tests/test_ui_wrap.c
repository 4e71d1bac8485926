/* test_ui_wrap.c: word and character wrapping (ui/wrap.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "uwidth.h"
#include "wrap.h"

/* Wrap s and join the rows as "indent+text|indent+text|...". */
static char *
rows_of(const char *s, int width, int hang, int mode)
{
    wrap_row *rows = NULL;
    size_t n = 0, cap = 0, len = strlen(s);
    char *out = calloc(1, len * 4 + 256);
    size_t o = 0;

    wrap_line(s, len, width, hang, mode, &rows, &n, &cap);
    for (size_t i = 0; i < n; i++) {
        if (i)
            out[o++] = '|';
        for (int k = 0; k < rows[i].indent; k++)
            out[o++] = '_';
        memcpy(out + o, s + rows[i].start, rows[i].end - rows[i].start);
        o += rows[i].end - rows[i].start;
    }
    free(rows);
    return out;
}

static void
check(const char *s, int width, int hang, int mode, const char *want, const char *name)
{
    char *got = rows_of(s, width, hang, mode);

    is_str(got, want, name);
    free(got);
}

/* Every row fits in width, and no row splits a cluster. */
static int
rows_fit(const char *s, int width, int hang, int mode)
{
    wrap_row *rows = NULL;
    size_t n = 0, cap = 0, len = strlen(s);
    int good = 1;

    wrap_line(s, len, width, hang, mode, &rows, &n, &cap);
    for (size_t i = 0; i < n; i++) {
        size_t cols = uwidth_str(s + rows[i].start, rows[i].end - rows[i].start);

        if ((int)cols + rows[i].indent > width || (int)cols != rows[i].cols)
            good = 0;
        if (rows[i].start > 0 && uwidth_prev(s, uwidth_next(s, len, rows[i].start, NULL)) != rows[i].start)
            good = 0;
        if (i > 0 && rows[i].start < rows[i - 1].end)
            good = 0;
    }
    free(rows);
    return good;
}

int
main(void)
{
    wrap_row *rows = NULL;
    size_t n = 0, cap = 0;

    check("the quick brown fox", 10, 0, WRAP_WORD, "the quick|brown fox", "breaks at spaces");
    check("the quick brown fox", 19, 0, WRAP_WORD, "the quick brown fox", "a line that fits is one row");
    check("the quick brown fox", 9, 0, WRAP_WORD, "the quick|brown fox", "a word ending exactly at the edge");
    check("a  b   c", 4, 0, WRAP_WORD, "a  b|c", "space runs at a break are dropped");
    check("supercalifragilistic", 8, 0, WRAP_WORD, "supercal|ifragili|stic", "a long word is hard-broken");
    check("go supercalifragilistic", 8, 0, WRAP_WORD, "go|supercal|ifragili|stic",
          "a long word moves to its own row first");
    check("", 10, 0, WRAP_WORD, "", "an empty line is one empty row");
    check("   indented text here", 12, 0, WRAP_WORD, "   indented|text here", "leading spaces are kept on the first row");
    check("- item with several words", 12, 2, WRAP_WORD, "- item with|__several|__words",
          "a list item keeps its hanging indent");
    check("x y", 4, 3, WRAP_WORD, "x y", "hang is ignored when it would take half the width");
    check("abcdef", 4, 0, WRAP_CHAR, "abcd|ef", "char mode breaks at the edge");
    check("ab  cd  ef", 4, 0, WRAP_CHAR, "ab  |cd  |ef", "char mode keeps spaces");
    check("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 5, 0, WRAP_WORD, "\xe4\xb8\xad\xe6\x96\x87|\xe5\xad\x97",
          "a wide character never crosses the edge");
    check("e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 2, 0, WRAP_CHAR, "e\xcc\x81" "e\xcc\x81|e\xcc\x81",
          "a combining mark stays with its base");
    check("\xe4\xb8\xad", 1, 0, WRAP_CHAR, "\xe4\xb8\xad", "a wide character on a 1-column row goes alone");
    check("ab", 0, 0, WRAP_WORD, "a|b", "width below 1 counts as 1");

    ok(rows_fit("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod", 13, 4, WRAP_WORD),
       "every row fits (word mode, hanging indent)");
    ok(rows_fit("\xe4\xb8\xad\xe6\x96\x87 mixed \xf0\x9f\x98\x80 text e\xcc\x81t\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87"
                "\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87", 7, 0, WRAP_WORD),
       "every row fits (wide, emoji, combining)");
    ok(rows_fit("int main(void) { return strlen(\"\xe4\xb8\xad\xe6\x96\x87\"); }", 6, 0, WRAP_CHAR),
       "every row fits (char mode)");

    ok(wrap_line("hello world", 11, 5, 0, WRAP_WORD, &rows, &n, &cap) == 2 && n == 2, "returns the rows added");
    ok(wrap_line("x", 1, 5, 0, WRAP_WORD, &rows, &n, &cap) == 1 && n == 3 && rows[2].start == 0,
       "rows are appended after earlier ones");
    ok(rows[1].start == 6 && rows[1].end == 11 && rows[1].cols == 5, "row offsets and columns");
    free(rows);

    ok(wrap_hang("- item", 6) == 2, "hang of a bullet item");
    ok(wrap_hang("  12. item", 10) == 6, "hang of a numbered item");
    ok(wrap_hang("    code", 8) == 4, "hang of an indented line");
    ok(wrap_hang("\xe2\x80\xa2 x", 5) == 2, "hang of a drawn bullet");
    ok(wrap_hang("-not a list", 11) == 0, "no hang without the space");
    return done_testing();
}
