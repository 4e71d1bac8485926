/* bench_probe.c: measuring helpers for `ternchat bench`: summaries of
 * repeated timings, the memory-bandwidth probe (the bound on generation
 * speed: every weight is read once per token), CPU name and flags, peak
 * RSS, and the speedup speculative decoding is expected to give. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "pool.h"
#include "xmalloc.h"

static int
bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
bench_median_sorted(const double *v, int n)
{
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void
bench_stat_of(const double *v, int n, bench_stat *out)
{
    double *s = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *s);
    int i;

    memset(out, 0, sizeof *out);
    if (n <= 0) {
        free(s);
        return;
    }
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, bench_cmp);
    out->n = n;
    out->min = s[0];
    out->max = s[n - 1];
    out->median = bench_median_sorted(s, n);
    for (i = 0; i < n; i++)
        s[i] = fabs(s[i] - out->median);
    qsort(s, (size_t)n, sizeof *s, bench_cmp);
    out->mad = bench_median_sorted(s, n);
    free(s);
}

/* ---- bandwidth ---- */

#define BENCH_CHUNK ((size_t)1 << 20) /* bytes per work item */

/* One read pass, shared by the threads. */
struct bench_bw {
    const uint64_t *buf;  /* the buffer */
    size_t words;         /* its 8-byte words */
    uint64_t sums[256];   /* per-thread sums, so the reads are not optimised away */
};

static void
bench_bw_part(void *arg, int64_t begin, int64_t end, int thread)
{
    struct bench_bw *b = arg;
    size_t per = BENCH_CHUNK / 8, i0 = (size_t)begin * per, i1 = (size_t)end * per, i;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;

    if (i1 > b->words)
        i1 = b->words;
    for (i = i0; i + 8 <= i1; i += 8) {
        s0 += b->buf[i];
        s1 += b->buf[i + 1];
        s2 += b->buf[i + 2];
        s3 += b->buf[i + 3];
        s4 += b->buf[i + 4];
        s5 += b->buf[i + 5];
        s6 += b->buf[i + 6];
        s7 += b->buf[i + 7];
    }
    b->sums[thread & 255] += s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
}

static double
bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double
bench_bandwidth(size_t bytes, int n_threads, int reps)
{
    struct bench_bw b;
    pool *p;
    void *mem = NULL;
    double best = 0;
    int64_t items;
    int r;

    bytes -= bytes % BENCH_CHUNK;
    if (bytes == 0 || posix_memalign(&mem, 64, bytes) != 0)
        return 0;
    memset(mem, 1, bytes); /* fault every page in */
    memset(&b, 0, sizeof b);
    b.buf = mem;
    b.words = bytes / 8;
    items = (int64_t)(bytes / BENCH_CHUNK);
    p = n_threads > 1 ? pool_new(n_threads) : NULL;
    for (r = 0; r < (reps > 0 ? reps : 1) + 1; r++) {
        double t0 = bench_now(), dt;

        pool_run(p, bench_bw_part, &b, items);
        dt = bench_now() - t0;
        if (r > 0 && dt > 0 && (double)bytes / dt > best) /* the first pass warms up */
            best = (double)bytes / dt;
    }
    pool_free(p);
    free(mem);
    return best;
}

/* ---- the CPU ---- */

void
bench_cpu_name(char *buf, size_t sz)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];

    snprintf(buf, sz, "?");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        char *c = strchr(line, ':');

        if (strncmp(line, "model name", 10) == 0 && c != NULL) {
            c++;
            while (*c == ' ' || *c == '\t')
                c++;
            c[strcspn(c, "\n")] = '\0';
            snprintf(buf, sz, "%s", c);
            break;
        }
    }
    fclose(f);
}

void
bench_cpu_flags(char *buf, size_t sz)
{
    size_t len = 0;

    buf[0] = '\0';
#if defined(__x86_64__) || defined(__i386__)
    {
        static const char *const names[] = { "avx2", "fma", "f16c", "avx512f", "avx512bw",
                                             "avx512vl", "avx512vnni", "avx512vbmi", "gfni" };
        int have[9], i;

        __builtin_cpu_init();
        have[0] = __builtin_cpu_supports("avx2");
        have[1] = __builtin_cpu_supports("fma");
        have[2] = __builtin_cpu_supports("f16c");
        have[3] = __builtin_cpu_supports("avx512f");
        have[4] = __builtin_cpu_supports("avx512bw");
        have[5] = __builtin_cpu_supports("avx512vl");
        have[6] = __builtin_cpu_supports("avx512vnni");
        have[7] = __builtin_cpu_supports("avx512vbmi");
        have[8] = __builtin_cpu_supports("gfni");
        for (i = 0; i < 9 && len < sz; i++)
            if (have[i])
                len += (size_t)snprintf(buf + len, sz - len, "%s%s", len ? " " : "", names[i]);
    }
#endif
    if (len == 0)
        snprintf(buf, sz, "none");
}

size_t
bench_peak_rss(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (size_t)ru.ru_maxrss * 1024; /* Linux: KiB */
}

double
bench_spec_speedup(double alpha, double gamma, double c)
{
    double denom = gamma * c + 1.0;

    if (denom <= 0)
        return 0;
    if (alpha >= 1.0)
        return (gamma + 1.0) / denom;
    if (alpha < 0)
        alpha = 0;
    return (1.0 - pow(alpha, gamma + 1.0)) / ((1.0 - alpha) * denom);
}
