/* tok_utf8.c: the UTF-8 rules the tokenizer relies on: well-formed
 * sequences per Unicode Table 3-7 (no overlongs, no surrogates, nothing
 * past U+10FFFF), and replacement of ill-formed input by U+FFFD, one per
 * maximal subpart (the Unicode recommended practice). */
#include "config.h"

#include <string.h>

#include "tok_int.h"
#include "xmalloc.h"

/* Allowed range of the second byte after a given lead byte. */
static int
second_ok(unsigned char lead, unsigned char b)
{
    switch (lead) {
    case 0xE0:
        return b >= 0xA0 && b <= 0xBF;
    case 0xED:
        return b >= 0x80 && b <= 0x9F;
    case 0xF0:
        return b >= 0x90 && b <= 0xBF;
    case 0xF4:
        return b >= 0x80 && b <= 0x8F;
    default:
        return b >= 0x80 && b <= 0xBF;
    }
}

size_t
tok_utf8_next(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0];
    size_t need, i;

    *bad = 1;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4;
    else
        return 0; /* stray continuation byte, C0, C1, F5..FF */
    if (n < 2 || !second_ok(c, s[1]))
        return 0;
    for (i = 2; i < need; i++) {
        if (i >= n || (s[i] & 0xC0) != 0x80) {
            *bad = i;
            return 0;
        }
    }
    return need;
}

char *
tok_utf8_sanitize(const char *s, size_t n, size_t *out_n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, j, bad, len;
    char *out;

    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        len = tok_utf8_next(u + i, n - i, &bad);
        if (len == 0)
            break;
        i += len;
    }
    if (i == n)
        return NULL;
    /* Each bad byte becomes at most 3 bytes. */
    out = xmalloc(n * 3 + 1);
    memcpy(out, s, i);
    j = i;
    while (i < n) {
        len = tok_utf8_next(u + i, n - i, &bad);
        if (len == 0) {
            j += tok_utf8_put(0xFFFD, out + j);
            i += bad;
        } else {
            memcpy(out + j, s + i, len);
            j += len;
            i += len;
        }
    }
    out[j] = '\0';
    *out_n = j;
    return out;
}

size_t
tok_utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

uint32_t
tok_utf8_cp(const unsigned char *s, size_t len)
{
    switch (len) {
    case 1:
        return s[0];
    case 2:
        return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    case 3:
        return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    default:
        return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
               ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
}
