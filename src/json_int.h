/* json_int.h: what the JSON writer and parser share. Not part of the API. */
#ifndef TERNCHAT_JSON_INT_H
#define TERNCHAT_JSON_INT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, > U+10FFFF). */
size_t json_utf8_len(const unsigned char *s, size_t n);

#endif
