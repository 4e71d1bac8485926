/* tsafe.c: make control characters in untrusted text visible before it
 * reaches a terminal (escape sequences such as OSC 52 or cursor movement in
 * a model's reply must not be executed). Bytes 0x80..0x9F outside a
 * well-formed UTF-8 character are shown as <0xNN>: a terminal in an 8-bit
 * mode reads them as C1 controls. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tsafe.h"
#include "xmalloc.h"

/* Append the visible form of the text to a growable buffer. */
struct tsafe_buf {
    char *p;    /* bytes */
    size_t n;   /* used */
    size_t cap; /* allocated */
};

static void
tb_put(struct tsafe_buf *b, const char *s, size_t n)
{
    if (b->cap - b->n < n + 1) {
        b->cap = (b->cap + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Length of the well-formed UTF-8 character at s (Unicode Table 3-7), or
 * 0 if the bytes there are ill-formed. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t need, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (n < need)
        return 0;
    for (i = 1; i < need; i++, lo = 0x80, hi = 0xbf)
        if (s[i] < lo || s[i] > hi)
            return 0;
    return need;
}

static void
tsafe_convert(struct tsafe_buf *b, const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i, start = 0;
    char tmp[16];

    for (i = 0; i < n; i++) {
        unsigned char c = s[i];

        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            tb_put(b, p + start, i - start);
            tmp[0] = '^';
            tmp[1] = c == 0x7f ? '?' : (char)(c + 0x40);
            tb_put(b, tmp, 2);
            start = i + 1;
        } else if (c >= 0x80) {
            size_t k = utf8_len(s + i, n - i);

            if (k == 2 && c == 0xc2 && s[i + 1] <= 0x9f) {
                /* U+0080..U+009F: C1 controls (CSI is U+009B) */
                tb_put(b, p + start, i - start);
                snprintf(tmp, sizeof tmp, "<U+%04X>", s[i + 1]);
                tb_put(b, tmp, strlen(tmp));
                i++;
                start = i + 1;
            } else if (k > 0) {
                i += k - 1; /* a whole character */
            } else if (c <= 0x9f) {
                /* a stray byte 0x80..0x9F: a terminal in an 8-bit mode
                 * would take it for a C1 control (0x9B: CSI) */
                tb_put(b, p + start, i - start);
                snprintf(tmp, sizeof tmp, "<0x%02X>", c);
                tb_put(b, tmp, strlen(tmp));
                start = i + 1;
            }
        }
    }
    tb_put(b, p + start, n - start);
}

void
tsafe_write(FILE *f, const char *p, size_t n)
{
    struct tsafe_buf b = { NULL, 0, 0 };

    tsafe_convert(&b, p, n);
    fwrite(b.p, 1, b.n, f);
    free(b.p);
}

char *
tsafe_string(const char *p, size_t n)
{
    struct tsafe_buf b = { NULL, 0, 0 };

    tsafe_convert(&b, p, n);
    return b.p;
}
