/* gauge.c: sparkline and bar gauge strings (see gauge.h). */
#include "config.h"

#include <string.h>

#include "gauge.h"

/* U+2581 + k, k = 0..7, is "▁".."█" (3 bytes: E2 96 81+k). */
static size_t
put_block(char *p, int k)
{
    p[0] = (char)0xE2;
    p[1] = (char)0x96;
    p[2] = (char)(0x81 + k);
    return 3;
}

int
gauge_sparkline(const double *values, size_t n, int width, char *buf, size_t bufsz)
{
    size_t first, used = 0;
    double max = 0;
    int cols = 0;

    if (bufsz == 0)
        return 0;
    buf[0] = '\0';
    if (width <= 0 || n == 0)
        return 0;
    first = n > (size_t)width ? n - (size_t)width : 0;
    for (size_t i = first; i < n; i++)
        if (values[i] > max)
            max = values[i];
    for (size_t i = first; i < n && used + 4 <= bufsz; i++) {
        if (values[i] <= 0 || max <= 0) {
            buf[used++] = ' ';
        } else {
            int k = (int)(values[i] / max * 8.0 + 0.5) - 1;

            if (k < 0)
                k = 0;
            if (k > 7)
                k = 7;
            used += put_block(buf + used, k);
        }
        cols++;
    }
    buf[used] = '\0';
    return cols;
}

int
gauge_bar(long used, long total, int width, char *buf, size_t bufsz)
{
    double frac = total > 0 ? (double)used / (double)total : 0;
    long eighths;
    size_t o = 0;
    int level;

    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    level = frac >= 0.95 ? GAUGE_FULL : frac >= 0.80 ? GAUGE_WARN : GAUGE_OK;
    if (bufsz == 0)
        return level;
    if (width < 0)
        width = 0;
    eighths = (long)(frac * width * 8 + 0.5);
    for (int c = 0; c < width && o + 4 <= bufsz; c++) {
        long left = eighths - (long)c * 8;

        if (left >= 8) {
            o += put_block(buf + o, 7);
        } else if (left > 0) {
            /* U+2588 - k: full, seven eighths ... one eighth (left blocks) */
            buf[o++] = (char)0xE2;
            buf[o++] = (char)0x96;
            buf[o++] = (char)(0x88 + (8 - left));
        } else {
            buf[o++] = (char)0xE2; /* U+2591 light shade */
            buf[o++] = (char)0x96;
            buf[o++] = (char)0x91;
        }
    }
    buf[o] = '\0';
    return level;
}

void
gauge_ring_push(gauge_ring *r, double v)
{
    size_t cap = sizeof r->v / sizeof r->v[0];

    if (r->n < cap) {
        r->v[(r->start + r->n) % cap] = v;
        r->n++;
    } else {
        r->v[r->start] = v;
        r->start = (r->start + 1) % cap;
    }
}

size_t
gauge_ring_get(const gauge_ring *r, double *out)
{
    size_t cap = sizeof r->v / sizeof r->v[0];

    for (size_t i = 0; i < r->n; i++)
        out[i] = r->v[(r->start + i) % cap];
    return r->n;
}
