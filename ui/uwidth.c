/* uwidth.c: UTF-8 decoding and display widths (see uwidth.h); the code
 * point tables are in uwidth_tab.c. */
#include "config.h"

#include <stdio.h>

#include "uwidth.h"

size_t
uwidth_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t c, min;
    size_t len, i;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
        c = p[0] & 0x1Fu;
        min = 0x80;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        c = p[0] & 0x0Fu;
        min = 0x800;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        c = p[0] & 0x07u;
        min = 0x10000;
    } else {
        *cp = UWIDTH_REPLACEMENT;
        return 1;
    }
    if (n < len) {
        *cp = UWIDTH_REPLACEMENT;
        return 1;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *cp = UWIDTH_REPLACEMENT;
            return 1;
        }
        c = (c << 6) | (p[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = UWIDTH_REPLACEMENT;
        return 1;
    }
    *cp = c;
    return len;
}

size_t
uwidth_encode(uint32_t cp, char *buf)
{
    unsigned char *b = (unsigned char *)buf;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int
uwidth_cp(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7F)
        return 2;
    if (cp < 0x7F)
        return 1;
    if (cp >= 0x80 && cp <= 0x9F)
        return 4;
    if (uwidth_is_zero(cp))
        return 0;
    if (uwidth_is_wide(cp))
        return 2;
    return 1;
}

int
uwidth_visible(uint32_t cp, char *buf)
{
    if (cp < 0x20 || cp == 0x7F) {
        buf[0] = '^';
        buf[1] = cp == 0x7F ? '?' : (char)(cp + 0x40);
        buf[2] = '\0';
        return 1;
    }
    if (cp >= 0x80 && cp <= 0x9F) {
        snprintf(buf, 8, "<%02X>", (unsigned)cp);
        return 1;
    }
    return 0;
}

size_t
uwidth_next(const char *s, size_t n, size_t pos, int *w)
{
    uint32_t cp;
    size_t i = pos;

    i += uwidth_decode(s + i, n - i, &cp);
    if (w != NULL)
        *w = uwidth_cp(cp);
    while (i < n) {
        size_t l = uwidth_decode(s + i, n - i, &cp);

        if (!uwidth_is_zero(cp))
            break;
        i += l;
    }
    return i;
}

size_t
uwidth_prev(const char *s, size_t pos)
{
    const unsigned char *p = (const unsigned char *)s;

    while (pos > 0) {
        size_t start = pos - 1;
        uint32_t cp;

        /* back over up to 3 continuation bytes to a lead byte that
         * decodes to exactly [start, pos) */
        while (start > 0 && pos - start < 4 && (p[start] & 0xC0) == 0x80)
            start--;
        if (uwidth_decode(s + start, pos - start, &cp) != pos - start)
            start = pos - 1;
        uwidth_decode(s + start, pos - start, &cp);
        pos = start;
        if (!uwidth_is_zero(cp) || pos == 0)
            break;
    }
    return pos;
}

size_t
uwidth_str(const char *s, size_t n)
{
    size_t i = 0, cols = 0;

    while (i < n) {
        uint32_t cp;

        i += uwidth_decode(s + i, n - i, &cp);
        cols += (size_t)uwidth_cp(cp);
    }
    return cols;
}

size_t
uwidth_fit(const char *s, size_t n, size_t cols, size_t *used)
{
    size_t i = 0, c = 0;

    while (i < n) {
        int w;
        size_t next = uwidth_next(s, n, i, &w);

        if (c + (size_t)w > cols)
            break;
        c += (size_t)w;
        i = next;
    }
    if (used != NULL)
        *used = c;
    return i;
}

size_t
uwidth_at_col(const char *s, size_t n, size_t col)
{
    size_t i = 0, c = 0;

    while (i < n) {
        int w;
        size_t next = uwidth_next(s, n, i, &w);

        if (c + (size_t)w > col)
            return i;
        c += (size_t)w;
        i = next;
    }
    return n;
}
