/* test_tsafe.c: control characters in untrusted text are made visible. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tsafe.h"

static void
check(const char *in, size_t n, const char *want, const char *name)
{
    char *got = tsafe_string(in, n);

    is_str(got, want, name);
    free(got);
}

int
main(void)
{
    check("plain text\n\tindented", 20, "plain text\n\tindented", "newline and tab pass");
    check("\x1b]52;c;SGVsbG8=\x07", 16, "^[]52;c;SGVsbG8=^G", "OSC 52 clipboard write is shown, not sent");
    check("a\x1b[2J\x1b[H", 8, "a^[[2J^[[H", "cursor movement and clear screen are shown");
    check("\r\b\x7f", 3, "^M^H^?", "CR, backspace, DEL");
    check("x\xc2\x9b" "31m", 6, "x<U+009B>31m", "C1 CSI (U+009B) is shown");
    check("caf\xc3\xa9 \xe2\x96\x81 \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe2\x96\x81 \xf0\x9f\x98\x80",
          "printable UTF-8 passes unchanged");
    check("a\0b", 3, "a^@b", "NUL is shown");
    check("", 0, "", "empty text");
    return done_testing();
}
