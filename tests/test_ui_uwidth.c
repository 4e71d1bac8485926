/* test_ui_uwidth.c: UTF-8 decoding and display widths (ui/uwidth.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "uwidth.h"

static size_t
w(const char *s)
{
    return uwidth_str(s, strlen(s));
}

int
main(void)
{
    uint32_t cp;
    char buf[8];
    size_t used;
    const char *mix = "a\xe4\xb8\xad" "e\xcc\x81" "b"; /* a 中 e+combining acute b */

    /* decoding */
    ok(uwidth_decode("A", 1, &cp) == 1 && cp == 'A', "ASCII decodes");
    ok(uwidth_decode("\xc3\xa9", 2, &cp) == 2 && cp == 0xE9, "2-byte sequence");
    ok(uwidth_decode("\xe4\xb8\xad", 3, &cp) == 3 && cp == 0x4E2D, "3-byte sequence");
    ok(uwidth_decode("\xf0\x9f\x98\x80", 4, &cp) == 4 && cp == 0x1F600, "4-byte sequence");
    ok(uwidth_decode("\xff", 1, &cp) == 1 && cp == UWIDTH_REPLACEMENT, "invalid byte is U+FFFD, 1 byte");
    ok(uwidth_decode("\xc0\xaf", 2, &cp) == 1 && cp == UWIDTH_REPLACEMENT, "overlong sequence rejected");
    ok(uwidth_decode("\xed\xa0\x80", 3, &cp) == 1 && cp == UWIDTH_REPLACEMENT, "surrogate rejected");
    ok(uwidth_decode("\xe4\xb8", 2, &cp) == 1 && cp == UWIDTH_REPLACEMENT, "truncated sequence rejected");
    ok(uwidth_decode("\xe4" "a", 2, &cp) == 1 && cp == UWIDTH_REPLACEMENT, "bad continuation rejected");
    ok(uwidth_decode("\xf4\x90\x80\x80", 4, &cp) == 1, "above U+10FFFF rejected");
    ok(uwidth_encode(0x1F600, buf) == 4 && memcmp(buf, "\xf0\x9f\x98\x80", 4) == 0, "encode 4 bytes");
    ok(uwidth_encode(0xE9, buf) == 2 && memcmp(buf, "\xc3\xa9", 2) == 0, "encode 2 bytes");

    /* widths of code points */
    ok(uwidth_cp('x') == 1, "ASCII is 1 column");
    ok(uwidth_cp(0x4E2D) == 2, "CJK ideograph is 2 columns");
    ok(uwidth_cp(0xAC00) == 2, "Hangul syllable is 2 columns");
    ok(uwidth_cp(0xFF21) == 2, "fullwidth A is 2 columns");
    ok(uwidth_cp(0x1F600) == 2, "emoji is 2 columns");
    ok(uwidth_cp(0x1F680) == 2, "rocket emoji is 2 columns");
    ok(uwidth_cp(0x0301) == 0, "combining acute is 0 columns");
    ok(uwidth_cp(0x200D) == 0, "zero-width joiner is 0 columns");
    ok(uwidth_cp(0xFE0F) == 0, "variation selector is 0 columns");
    ok(uwidth_cp(0x1b) == 2 && uwidth_cp(0x7f) == 2, "ESC and DEL take 2 columns (^[ ^?)");
    ok(uwidth_cp(0x9b) == 4, "C1 CSI takes 4 columns (<9B>)");
    ok(uwidth_cp(UWIDTH_REPLACEMENT) == 1, "U+FFFD is 1 column");
    ok(uwidth_cp(0xE9) == 1 && uwidth_cp(0x3B1) == 1, "Latin-1 and Greek are 1 column");
    ok(uwidth_cp(0x303F) == 1 && uwidth_cp(0x3000) == 2, "edges of the CJK symbols block");

    /* visible forms */
    ok(uwidth_visible(0x1b, buf) && strcmp(buf, "^[") == 0, "ESC is shown as ^[");
    ok(uwidth_visible(0x00, buf) && strcmp(buf, "^@") == 0, "NUL is shown as ^@");
    ok(uwidth_visible(0x7f, buf) && strcmp(buf, "^?") == 0, "DEL is shown as ^?");
    ok(uwidth_visible(0x9b, buf) && strcmp(buf, "<9B>") == 0, "C1 CSI is shown as <9B>");
    ok(!uwidth_visible('a', buf) && !uwidth_visible(0x4E2D, buf), "printable characters are drawn as themselves");

    /* strings */
    ok(w("hello") == 5, "width of ASCII text");
    ok(w("\xe4\xb8\xad\xe6\x96\x87") == 4, "two CJK characters are 4 columns");
    ok(w(mix) == 5, "a + CJK + e-with-combining + b is 5 columns");
    ok(w("a\x1b[0m") == 6, "ESC in text counts as ^[ (2 columns)");
    ok(w("\xff\xfe") == 2, "two invalid bytes are two U+FFFD");
    ok(uwidth_str("", 0) == 0, "empty text has no width");

    /* clusters */
    ok(uwidth_next(mix, strlen(mix), 4, NULL) == 7, "a cluster holds the combining mark");
    ok(uwidth_prev(mix, 7) == 4, "stepping back over a combining mark reaches its base");
    ok(uwidth_prev(mix, 4) == 1, "stepping back over a 3-byte character");
    ok(uwidth_prev("a\xff", 2) == 1, "stepping back over an invalid byte");
    ok(uwidth_prev("\xe4\xb8\xad", 2) == 1, "stepping back from inside a character takes one byte");

    /* fitting */
    ok(uwidth_fit(mix, strlen(mix), 2, &used) == 1 && used == 1, "a wide character that does not fit stays out");
    ok(uwidth_fit(mix, strlen(mix), 4, &used) == 7 && used == 4, "fit keeps the combining mark with its base");
    ok(uwidth_fit("abc", 3, 10, &used) == 3 && used == 3, "everything fits");
    ok(uwidth_at_col(mix, strlen(mix), 2) == 1, "column 2 is inside the wide character, at its start");
    ok(uwidth_at_col(mix, strlen(mix), 3) == 4, "column 3 is the e");
    ok(uwidth_at_col(mix, strlen(mix), 99) == strlen(mix), "a column past the end is the end");
    return done_testing();
}
