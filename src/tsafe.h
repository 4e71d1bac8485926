/* tsafe.h: writing untrusted text (model output, stored messages) to a
 * terminal without letting it take the terminal over: control characters
 * are shown visibly (ESC as ^[, C1 controls as <U+009B>) instead of raw. */
#ifndef TERNCHAT_TSAFE_H
#define TERNCHAT_TSAFE_H

#include <stddef.h>
#include <stdio.h>

/* Write n bytes of UTF-8 text to f with every control character except
 * newline and tab made visible (C0 and DEL as ^X, C1 as <U+00XX>, a stray
 * byte 0x80..0x9F that is not part of a UTF-8 character as <0xNN>). */
void tsafe_write(FILE *f, const char *p, size_t n);
/* The same into a new NUL-terminated string. */
char *tsafe_string(const char *p, size_t n);

#endif
