/* fuzz_tsafe.c: fuzz target of tsafe_string, the filter between untrusted
 * text (model output, stored messages) and a terminal. Invariants: the
 * output holds no C0 control but newline and tab, no DEL, no C1 control
 * in UTF-8 form (U+0080..U+009F) and no raw byte 0x80..0x9F that is not
 * part of a well-formed UTF-8 character (a terminal in an 8-bit mode
 * would read it as a C1 control, e.g. 0x9B as CSI); text without control
 * characters passes unchanged. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "fuzz_utf8.h"
#include "tsafe.h"

void
fuzz_init(void)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = tsafe_string((const char *)data, size);
    const unsigned char *s = (const unsigned char *)out;
    size_t n = strlen(out), i = 0;
    int plain = 1, full;

    for (size_t j = 0; j < size; j++)
        if ((data[j] < 0x20 && data[j] != '\n' && data[j] != '\t') || data[j] == 0x7f ||
            (data[j] >= 0x80 && data[j] <= 0x9f))
            plain = 0;
    while (i < n) {
        size_t k = fu_prefix(s + i, n - i, &full);

        fuzz_check(!(s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') && s[i] != 0x7f,
                   "control byte 0x%02x at %zu passed through", s[i], i);
        fuzz_check(!(full && k == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f),
                   "C1 control U+00%02X at %zu passed through", s[i + 1], i);
        for (size_t j = i; !full && j < i + k; j++)
            fuzz_check(!(s[j] >= 0x80 && s[j] <= 0x9f), "raw byte 0x%02x at %zu passed through",
                       s[j], j);
        i += k;
    }
    if (plain)
        fuzz_check(n == size && memcmp(out, data, size) == 0, "plain text was changed");
    free(out);
    return 0;
}
