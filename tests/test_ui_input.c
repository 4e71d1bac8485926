/* test_ui_input.c: the input box's editor: every key, history, paste,
 * layout (ui/input.c, ui/input_hist.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "keys.h"
#include "tap.h"

static input *in;

static void
keys(const int *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        input_key(in, k[i]);
}

static void
type(const char *s)
{
    input_insert(in, s, strlen(s));
}

/* The text with the cursor shown as '|'. */
static char *
state(void)
{
    size_t len, cur = input_cursor(in);
    const char *t = input_text(in, &len);
    char *s = malloc(len + 2);

    memcpy(s, t, cur);
    s[cur] = '|';
    memcpy(s + cur + 1, t + cur, len - cur + 1);
    return s;
}

static void
is_state(const char *want, const char *name)
{
    char *s = state();

    is_str(s, want, name);
    free(s);
}

static void
reset(const char *text, size_t cur)
{
    input_set(in, text, strlen(text));
    input_set_cursor(in, cur);
}

#define K(...) keys((const int[]){ __VA_ARGS__ }, sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

int
main(void)
{
    char *t;
    size_t row;
    int col;
    wrap_row *rows = NULL;
    size_t n = 0, cap = 0;

    in = input_new();
    /* typing */
    K('h', 'i', 0xE9, 0x4E2D);
    is_state("hi\xc3\xa9\xe4\xb8\xad|", "typed characters are inserted as UTF-8");
    ok(input_key(in, KEYS_F(5)) == INPUT_UNHANDLED, "F5 is not an editing key");
    ok(input_key(in, '\t') == INPUT_UNHANDLED, "Tab is left to the caller (completion)");
    ok(input_key(in, KEYS_CTRL('a')) == INPUT_HANDLED, "C-a is handled");
    is_state("|hi\xc3\xa9\xe4\xb8\xad", "C-a goes to the line start");
    K(KEYS_CTRL('e'));
    is_state("hi\xc3\xa9\xe4\xb8\xad|", "C-e goes to the line end");
    K(KEYS_CTRL('b'));
    is_state("hi\xc3\xa9|\xe4\xb8\xad", "C-b steps back over a whole wide character");
    K(KEYS_LEFT, KEYS_LEFT);
    is_state("h|i\xc3\xa9\xe4\xb8\xad", "Left steps back a character at a time");
    K(KEYS_CTRL('f'), KEYS_RIGHT);
    is_state("hi\xc3\xa9|\xe4\xb8\xad", "C-f and Right step forward");
    K(KEYS_HOME);
    is_state("|hi\xc3\xa9\xe4\xb8\xad", "Home");
    K(KEYS_END);
    is_state("hi\xc3\xa9\xe4\xb8\xad|", "End");

    /* newlines and sending */
    reset("", 0);
    K('a', KEYS_META | KEYS_ENTER, 'b', '\n', 'c');
    is_state("a\nb\nc|", "M-Enter and C-j insert newlines");
    K(KEYS_CTRL('a'));
    is_state("a\nb\n|c", "C-a stops at the start of the current line");
    K(KEYS_UP, KEYS_CTRL('e'));
    is_state("a\nb|\nc", "C-e stops at the end of the current line");
    ok(input_key(in, KEYS_ENTER) == INPUT_SEND, "Enter sends");
    t = input_take(in);
    is_str(t, "a\nb\nc", "the text taken is the whole box");
    free(t);
    is_state("|", "the box is empty after taking");

    /* combining marks */
    reset("e\xcc\x81x", 4);
    is_state("e\xcc\x81x|", "after the x");
    K(KEYS_LEFT, KEYS_LEFT);
    is_state("|e\xcc\x81x", "a combining mark moves with its base");
    K(KEYS_RIGHT);
    is_state("e\xcc\x81|x", "and forward");
    K(KEYS_BACKSPACE);
    is_state("|x", "Backspace deletes the base with its mark");
    reset("a\xe4\xb8\xad" "b", 2);
    is_state("a|\xe4\xb8\xad" "b", "a cursor set inside a character moves to its start");
    K(KEYS_DELETE);
    is_state("a|b", "Delete removes the character under the cursor");
    K(KEYS_CTRL('d'));
    is_state("a|", "C-d removes the character under the cursor");
    K(KEYS_CTRL('d'));
    is_state("a|", "C-d at the end does nothing");
    K(0x7f, KEYS_CTRL('h'));
    is_state("|", "DEL and C-h are Backspace too");
    ok(input_key(in, KEYS_CTRL('d')) == INPUT_EOF, "C-d in an empty box is end of input");
    ok(input_key(in, KEYS_BACKSPACE) == INPUT_HANDLED, "Backspace in an empty box does nothing");

    /* words */
    reset("foo_bar, baz-qux  end", 21);
    K(KEYS_META | 'b');
    is_state("foo_bar, baz-qux  |end", "M-b back a word");
    K(KEYS_META | 'b', KEYS_META | 'b');
    is_state("foo_bar, |baz-qux  end", "M-b over punctuation");
    K(KEYS_META | KEYS_LEFT);
    is_state("|foo_bar, baz-qux  end", "M-Left: underscores are part of words");
    K(KEYS_META | 'f');
    is_state("foo_bar|, baz-qux  end", "M-f to the end of a word");
    K(KEYS_META | KEYS_RIGHT);
    is_state("foo_bar, baz|-qux  end", "M-Right");

    /* killing and yanking */
    reset("one two three", 4);
    K(KEYS_CTRL('k'));
    is_state("one |", "C-k kills to the end of the line");
    is_str(input_killed(in), "two three", "the killed text is kept");
    K(KEYS_CTRL('a'), KEYS_CTRL('y'));
    is_state("two three|one ", "C-y yanks it back");
    reset("ab\ncd\nef", 2);
    K(KEYS_CTRL('k'));
    is_state("ab|cd\nef", "C-k at the end of a line joins the next one");
    K(KEYS_CTRL('k'));
    is_state("ab|\nef", "C-k again kills the rest");
    is_str(input_killed(in), "\ncd", "consecutive kills accumulate");
    K(KEYS_RIGHT, KEYS_CTRL('k'));
    is_str(input_killed(in), "ef", "a kill after a movement starts afresh");
    reset("first line\nsecond line", 17);
    K(KEYS_CTRL('u'));
    is_state("first line\n| line", "C-u kills to the start of the line");
    K(KEYS_CTRL('u'));
    is_state("first line| line", "C-u at the start of a line kills the newline");
    is_str(input_killed(in), "\nsecond", "backward kills accumulate in front");
    reset("cat foo/bar.txt", 15);
    K(KEYS_CTRL('w'));
    is_state("cat |", "C-w kills back to whitespace");
    reset("cat foo/bar.txt", 15);
    K(KEYS_META | KEYS_BACKSPACE);
    is_state("cat foo/bar.|", "M-Backspace kills back a word");
    K(KEYS_META | 0x7f);
    is_state("cat foo/|", "M-DEL as well");
    reset("say hello world", 3);
    K(KEYS_META | 'd');
    is_state("say| world", "M-d kills the next word");
    K(KEYS_CTRL('e'), KEYS_CTRL('y'));
    is_state("say world hello|", "and C-y yanks it");

    /* vertical movement */
    reset("\xe4\xb8\xad\xe6\x96\x87xyz\nab\nlonger line", 8);
    is_state("\xe4\xb8\xad\xe6\x96\x87xy|z\nab\nlonger line", "start on the first line, column 6");
    K(KEYS_DOWN);
    is_state("\xe4\xb8\xad\xe6\x96\x87xyz\nab|\nlonger line", "Down to a shorter line goes to its end");
    K(KEYS_DOWN);
    is_state("\xe4\xb8\xad\xe6\x96\x87xyz\nab\nlonger| line", "the goal column survives the short line");
    K(KEYS_UP, KEYS_UP);
    is_state("\xe4\xb8\xad\xe6\x96\x87xy|z\nab\nlonger line", "Up twice comes back to column 6");
    reset("ab\n\xe4\xb8\xad\xe6\x96\x87", 1);
    K(KEYS_DOWN);
    is_state("ab\n|\xe4\xb8\xad\xe6\x96\x87", "column 1 falls on the first wide character's start");
    K(KEYS_CTRL('p'));
    is_state("a|b\n\xe4\xb8\xad\xe6\x96\x87", "C-p is Up");
    K(KEYS_CTRL('n'));
    is_state("ab\n|\xe4\xb8\xad\xe6\x96\x87", "C-n is Down");

    /* history */
    input_free(in);
    in = input_new();
    type("first");
    free(input_take(in));
    type("second\nprompt");
    free(input_take(in));
    type("  ");
    free(input_take(in));
    type("second\nprompt");
    free(input_take(in));
    ok(input_history_count(in) == 2, "blank and repeated prompts are not added to the history");
    type("draft");
    K(KEYS_UP);
    is_state("second\nprompt|", "Up on the first line recalls the newest prompt");
    K(KEYS_UP);
    is_state("second|\nprompt", "Up inside a multi-line entry moves up a line");
    K(KEYS_UP);
    is_state("first|", "Up on its first line goes further back");
    K(KEYS_UP);
    is_state("first|", "the oldest entry stays");
    K(KEYS_DOWN);
    is_state("second\nprompt|", "Down goes forward");
    K('!');
    K(KEYS_DOWN);
    is_state("draft|", "Down past the newest brings back the draft");
    K(KEYS_DOWN);
    is_state("draft|", "nothing after the draft");
    K(KEYS_UP);
    is_state("second\nprompt|", "an edited recall did not change the history");
    for (int i = 0; i < INPUT_HISTORY_MAX + 5; i++) {
        char b[16];

        snprintf(b, sizeof b, "p%d", i);
        input_history_add(in, b);
    }
    ok(input_history_count(in) == INPUT_HISTORY_MAX, "the history is capped");

    /* bracketed paste */
    reset("", 0);
    K(KEYS_PASTE_BEGIN);
    ok(input_pasting(in), "a paste begins");
    ok(input_key(in, 'a') == INPUT_HANDLED && input_key(in, '\r') == INPUT_HANDLED, "keys are taken in a paste");
    K('\n', 'b', KEYS_ENTER, 'c', '\t', 0x1b, KEYS_F(1), 'd', '\n');
    ok(input_key(in, KEYS_PASTE_END) == INPUT_HANDLED && !input_pasting(in), "the paste ends");
    is_state("a\nb\nc\td\n|", "newlines kept (CRLF as one), Tab kept, Enter not sent, controls dropped");
    ok(input_key(in, KEYS_ENTER) == INPUT_SEND, "after the paste Enter sends again");

    /* layout */
    reset("hello world again\nx", 19);
    input_layout(in, 8, &rows, &n, &cap, &row, &col);
    ok(n == 4, "two lines wrap to four rows at width 8");
    ok(rows[0].start == 0 && rows[1].start == 6 && rows[3].start == 18, "row offsets are into the whole text");
    ok(row == 3 && col == 1, "the cursor's row and column");
    n = 0;
    input_set_cursor(in, 6);
    input_layout(in, 8, &rows, &n, &cap, &row, &col);
    ok(row == 1 && col == 0, "a cursor at a wrapped word is at the start of its row");
    n = 0;
    input_set_cursor(in, 5);
    input_layout(in, 8, &rows, &n, &cap, &row, &col);
    ok(row == 0 && col == 5, "a cursor on a break space stays on the row before");
    n = 0;
    reset("", 0);
    input_layout(in, 8, &rows, &n, &cap, &row, &col);
    ok(n == 1 && row == 0 && col == 0, "an empty box is one row");
    free(rows);
    input_free(in);
    return done_testing();
}
