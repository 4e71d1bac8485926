/* fuzz_utf8.h: an independent UTF-8 oracle for the fuzz targets: validity
 * (Unicode Table 3-7) and replacement of ill-formed input by U+FFFD, one
 * per maximal subpart, written apart from the code under test so that
 * the two can be compared. Header-only; test code. */
#ifndef TERNCHAT_FUZZ_UTF8_H
#define TERNCHAT_FUZZ_UTF8_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the maximal prefix of s[0..n) that can start a well-formed
 * sequence, and in *full whether it is a whole character. */
static inline size_t
fu_prefix(const unsigned char *s, size_t n, int *full)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t need, i;

    *full = 1;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4;
    else {
        *full = 0;
        return 1;
    }
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    for (i = 1; i < need; i++) {
        unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xbf;

        if (i >= n || s[i] < l || s[i] > h) {
            *full = 0;
            return i;
        }
    }
    return need;
}

/* 1 if s[0..n) is valid UTF-8. */
static inline int
fu_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    int full;

    while (i < n) {
        i += fu_prefix(s + i, n - i, &full);
        if (!full)
            return 0;
    }
    return 1;
}

/* A new buffer: s with ill-formed subsequences replaced by U+FFFD. */
static inline char *
fu_sanitize(const char *p, size_t n, size_t *out_n)
{
    const unsigned char *s = (const unsigned char *)p;
    char *out = malloc(n * 3 + 1);
    size_t i = 0, o = 0, k;
    int full;

    if (out == NULL)
        abort();
    while (i < n) {
        k = fu_prefix(s + i, n - i, &full);
        if (full) {
            memcpy(out + o, s + i, k);
            o += k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
        }
        i += k;
    }
    out[o] = '\0';
    *out_n = o;
    return out;
}

#endif
