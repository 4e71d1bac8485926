/* tsafe.c: make control characters in untrusted text visible before it
 * reaches a terminal (escape sequences such as OSC 52 or cursor movement in
 * a model's reply must not be executed). */
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
        } else if (c == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
            /* U+0080..U+009F: C1 controls (CSI is U+009B) */
            tb_put(b, p + start, i - start);
            snprintf(tmp, sizeof tmp, "<U+%04X>", s[i + 1]);
            tb_put(b, tmp, strlen(tmp));
            i++;
            start = i + 1;
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
