/* gauge.h: the small graphics of the speed panel as UTF-8 strings: a
 * sparkline of recent tokens/s and a bar gauge of the context used. */
#ifndef TERNCHAT_GAUGE_H
#define TERNCHAT_GAUGE_H

#include <stddef.h>

/* Levels of a gauge. */
enum gauge_level {
    GAUGE_OK = 0,   /* below GAUGE_WARN */
    GAUGE_WARN = 1, /* at least 80% */
    GAUGE_FULL = 2  /* at least 95% */
};

/* A sparkline of the last width of the n values (oldest first), one
 * block character (U+2581..U+2588) per value, scaled to the largest
 * shown; values <= 0 are a space. Written NUL-terminated to buf (at least
 * 3 * width + 1 bytes); returns the columns drawn (<= width). */
int gauge_sparkline(const double *values, size_t n, int width, char *buf, size_t bufsz);

/* A bar of width columns for used of total: full cells U+2588, a partial
 * last cell (eighths), then light shade U+2591. buf needs 3 * width + 1
 * bytes. Returns the level (enum gauge_level). */
int gauge_bar(long used, long total, int width, char *buf, size_t bufsz);

/* A ring of recent samples for a sparkline. */
typedef struct gauge_ring {
    double v[64];  /* samples, oldest at start */
    size_t start;  /* index of the oldest */
    size_t n;      /* samples held (<= 64) */
} gauge_ring;

void gauge_ring_push(gauge_ring *r, double v);
/* The samples in order, oldest first, into out[64]; returns their count. */
size_t gauge_ring_get(const gauge_ring *r, double *out);

#endif
