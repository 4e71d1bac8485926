/* test_ui_md.c: Markdown to styled lines, whole and streamed (ui/md.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"
#include "tap.h"

/* A line as text with its styled spans marked: "<BI>text</>". */
static void
fmt_line(const md_line *l, char *out, size_t outsz)
{
    static const struct {
        unsigned bit;
        char c;
    } names[] = { { MD_BOLD, 'B' }, { MD_ITALIC, 'I' }, { MD_CODE, 'C' }, { MD_HEAD, 'H' },
                  { MD_BLOCK, 'K' }, { MD_LANG, 'L' }, { MD_MARK, 'M' }, { MD_QUOTE, 'Q' } };
    size_t o = 0;

    out[0] = '\0';
    for (size_t s = 0; s < l->n_spans; s++) {
        const md_span *sp = &l->spans[s];

        if (sp->attr) {
            o += (size_t)snprintf(out + o, outsz - o, "<");
            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                if (sp->attr & names[k].bit)
                    o += (size_t)snprintf(out + o, outsz - o, "%c", names[k].c);
            o += (size_t)snprintf(out + o, outsz - o, ">");
        }
        o += (size_t)snprintf(out + o, outsz - o, "%.*s", (int)(sp->end - sp->start), l->text + sp->start);
        if (sp->attr)
            o += (size_t)snprintf(out + o, outsz - o, "</>");
    }
}

/* The whole document: lines as "kind:text" joined by '\n'. */
static char *
dump(const md *d)
{
    size_t cap = 65536, o = 0;
    char *out = calloc(1, cap), line[4096];

    for (size_t i = 0; i < md_count(d); i++) {
        const md_line *l = md_get(d, i);

        fmt_line(l, line, sizeof line);
        o += (size_t)snprintf(out + o, cap - o, "%s%d:%s", i ? "\n" : "", l->kind, line);
    }
    return out;
}

static void
one(const char *src, const char *want, const char *name)
{
    md_line l;
    char got[4096];

    md_render_line(src, strlen(src), &l);
    fmt_line(&l, got, sizeof got);
    is_str(got, want, name);
    md_line_clear(&l);
}

static void
whole(const char *src, int markdown, const char *want, const char *name)
{
    md *d = md_new(markdown);
    char *got;

    md_append(d, src, strlen(src));
    got = dump(d);
    is_str(got, want, name);
    free(got);
    md_free(d);
}

/* Streaming src in pieces of size step (0: split at every position in
 * two) gives the same lines as rendering it whole. */
static int
streams_like_whole(const char *src, size_t step)
{
    md *d = md_new(1), *w = md_new(1);
    size_t n = strlen(src);
    char *a, *b;
    int same = 1;

    md_append(w, src, n);
    b = dump(w);
    if (step == 0) {
        for (size_t cut = 0; cut <= n && same; cut++) {
            md_set(d, "", 0);
            md_append(d, src, cut);
            md_append(d, src + cut, n - cut);
            a = dump(d);
            if (strcmp(a, b) != 0) {
                diag("split at %zu:\n%s\n--- vs ---\n%s", cut, a, b);
                same = 0;
            }
            free(a);
        }
    } else {
        for (size_t i = 0; i < n; i += step)
            md_append(d, src + i, i + step <= n ? step : n - i);
        a = dump(d);
        same = strcmp(a, b) == 0;
        if (!same)
            diag("pieces of %zu:\n%s\n--- vs ---\n%s", step, a, b);
        free(a);
    }
    free(b);
    md_free(d);
    md_free(w);
    return same;
}

static const char *const sample =
    "# Title\n"
    "Some **bold** and *italic* text with `code` and snake_case_names.\n"
    "\n"
    "- one **item**\n"
    "  - nested\n"
    "1. first\n"
    "> quoted *text*\n"
    "---\n"
    "```python\n"
    "def f(x):\n"
    "\treturn x ** 2  # not bold\n"
    "```\n"
    "After the `block`.\n"
    "~~~\n"
    "```\n"
    "~~~\n"
    "end \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80";

int
main(void)
{
    md *d;
    char *got;
    size_t len;

    /* inline */
    one("a **b** *c* _d_ e", "a <B>b</> <I>c</> <I>d</> e", "strong and emphasis, both forms");
    one("***both***", "<BI>both</>", "strong emphasis");
    one("**bold *and italic* inside**", "<B>bold </><BI>and italic</><B> inside</>", "nested emphasis");
    one("snake_case_name and 2 * 3", "snake_case_name and 2 * 3", "underscores inside words and lone stars stay");
    one("use `x*y` now", "use <C>x*y</> now", "inline code, markup inside it literal");
    one("``a`b``", "<C>a`b</>", "double backticks around a backtick");
    one("a ** b", "a ** b", "an unmatched delimiter stays");
    one("`open", "`open", "an unclosed backtick stays");
    one("\\*not\\* \\`x\\`", "*not* `x`", "backslash escapes");
    one("**unclosed", "**unclosed", "an unclosed strong stays when the line is complete");

    /* blocks */
    one("# Title", "<BH>Title</>", "heading");
    one("### Sub ###", "<BH>Sub</>", "heading with closing hashes");
    one("#hashtag", "#hashtag", "no space: not a heading");
    one("## with `code`", "<BH>with </><BCH>code</>", "inline code in a heading");
    one("- item", "<M>\xe2\x80\xa2 </>item", "bullet item");
    one("  * sub **b**", "  <M>\xe2\x97\xa6 </>sub <B>b</>", "nested bullet item with markup");
    one("12. twelve", "<M>12. </>twelve", "numbered item");
    one("3) three", "<M>3) </>three", "numbered item with )");
    one("> hi *there*", "<MQ>\xe2\x94\x82 </><Q>hi </><IQ>there</>", "quote");
    one(">> deep", "<MQ>\xe2\x94\x82 \xe2\x94\x82 </><Q>deep</>", "nested quote");

    whole("---\n* * *\n- - -", 1, "4:\n4:\n4:", "rules");
    whole("```python\nprint(1)\n```", 1, "5:<KL>python</>\n6:<K>print(1)</>\n7:", "fenced block with language tag");
    whole("```\n**x** `y`\n```", 1, "5:\n6:<K>**x** `y`</>\n7:", "no markup inside a fence");
    whole("```\n\tx\n```", 1, "5:\n6:<K>    x</>\n7:", "tabs in code expand to 4 columns");
    whole("~~~\n```\n~~~\ntext", 1, "5:\n6:<K>```</>\n7:\n0:text", "a ~~~ fence is not closed by ```");
    whole("````\n```\n````", 1, "5:\n6:<K>```</>\n7:", "a shorter fence does not close a longer one");
    whole("1. step:\n   ```sh\n   make\n     x\n   ```\nok", 1,
          "2:<M>1. </>step:\n5:<KL>sh</>\n6:<K>make</>\n6:<K>  x</>\n7:\n0:ok",
          "an indented fence in a list item drops its indentation");
    whole("**x**\n# y", 0, "0:**x**\n0:# y", "plain documents keep markup as text");
    whole("a\n\nb\n", 1, "0:a\n0:\n0:b", "a trailing newline gives no empty last line");

    d = md_new(1);
    md_append(d, "```c\nint x;\n```\n", 16);
    {
        const md_line *l = md_get(d, 1);

        ok(l->nowrap == 1 && l->kind == MD_CODELINE, "code lines are not word-wrapped");
    }
    md_free(d);
    d = md_new(1);
    md_append(d, "- a list item", 13);
    ok(md_get(d, 0)->hang == 2, "a list item's continuation rows hang under its text");
    md_free(d);
    d = md_new(0);
    md_append(d, "   indented", 11);
    ok(md_get(d, 0)->hang == 3, "plain text keeps its indentation on continuation rows");
    md_free(d);

    /* streaming */
    ok(streams_like_whole(sample, 0), "every split in two renders like the whole");
    ok(streams_like_whole(sample, 1), "byte by byte renders like the whole");
    ok(streams_like_whole(sample, 7), "7-byte pieces render like the whole");

    d = md_new(1);
    ok(md_append(d, "Hello **wor", 11) == 0, "first piece changes line 0");
    got = dump(d);
    is_str(got, "0:Hello <B>wor</>", "an unclosed strong styles to the end while streaming");
    free(got);
    ok(md_append(d, "ld** x\nnext", 11) == 0, "completing the line re-renders it");
    got = dump(d);
    is_str(got, "0:Hello <B>world</> x\n0:next", "the finished line is final");
    free(got);
    ok(md_append(d, " more", 5) == 1, "later pieces only touch the last line");
    md_free(d);

    /* a fence split across pieces */
    d = md_new(1);
    md_append(d, "``", 2);
    md_append(d, "`py", 3);
    got = dump(d);
    is_str(got, "5:<KL>py</>", "an opening fence is recognised while its line streams");
    free(got);
    md_append(d, "thon\nx = 1\n``", 13);
    got = dump(d);
    is_str(got, "5:<KL>python</>\n6:<K>x = 1</>\n6:<K>``</>", "half a closing fence is still code");
    free(got);
    md_append(d, "`\nafter *it*", 12);
    got = dump(d);
    is_str(got, "5:<KL>python</>\n6:<K>x = 1</>\n7:\n0:after <I>it</>", "the closed fence ends the block");
    free(got);
    md_source(d, &len);
    ok(len == 30, "the source is kept whole");
    md_set(d, "new", 3);
    got = dump(d);
    is_str(got, "0:new", "md_set replaces the document");
    free(got);
    md_free(d);

    /* random Markdown-ish text streams like the whole */
    {
        static const char *const bits[] = { "a", "word ", " ", "**", "*", "_", "`", "```", "```py", "# ", "- ",
                                            "  * ", "1. ", "> ", "\n", "\t", "\xe4\xb8\xad", "e\xcc\x81", "~~~",
                                            "\\", "---" };
        unsigned seed = 7;
        int good = 1;

        for (int it = 0; it < 200 && good; it++) {
            char text[400];
            size_t o = 0;

            while (o + 8 < sizeof text) {
                const char *b;

                seed = seed * 1103515245u + 12345u;
                b = bits[(seed >> 16) % (sizeof bits / sizeof bits[0])];
                memcpy(text + o, b, strlen(b));
                o += strlen(b);
                if (((seed >> 8) & 31) == 0)
                    break;
            }
            text[o] = '\0';
            good = streams_like_whole(text, 1 + it % 5);
        }
        ok(good, "random Markdown streamed in pieces renders like the whole");
    }

    /* cost: appending re-renders only the unfinished last line */
    d = md_new(1);
    for (int i = 0; i < 500; i++)
        md_append(d, "a line with **bold** and `code`\n", 32);
    {
        const char *first = md_get(d, 0)->text, *last = md_get(d, 499)->text;
        int same = 1;

        for (int i = 0; i < 100; i++)
            md_append(d, "x", 1);
        same = md_get(d, 0)->text == first && md_get(d, 499)->text == last;
        ok(same && md_count(d) == 501, "finished lines are not rendered again while text streams in");
    }
    md_free(d);
    return done_testing();
}
