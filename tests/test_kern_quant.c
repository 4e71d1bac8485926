/* test_kern_quant.c: the integer kernels (Q8_0, Q4_0, TQ2_0, TQ1_0, Q4_K,
 * Q6_K). The scalar reference against a double product of the row getter's
 * weights and the dequantized activations; every SIMD family the CPU has
 * against the reference on odd shapes (rows not a multiple of the tile or
 * thread count, several blocks per row, 1..9 tokens), bit-exact when all
 * scales are 1 (the integer dot products are exact), else within 2e-6 of
 * sum |w x| (float sums in another order); batch == single and any row
 * split bit-exact; kern_matmul equal with 1..4 threads. Unsupported
 * families are skipped visibly. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "kern.h"
#include "pool.h"
#include "qtype.h"
#include "quant.h"
#include "tap.h"

/* Relative tolerance of SIMD vs scalar, against sum |w x|. */
#define SIMD_TOL 2e-6

static uint64_t rng = 0x853c49e6748fea9bull;

static uint32_t
rnd32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* Uniform in [-1, 1). */
static float
rndf(void)
{
    return (float)((double)rnd32() / 2147483648.0 - 1.0);
}

static void *
amalloc(size_t n)
{
    void *p = NULL;

    if (posix_memalign(&p, 64, n ? n : 64) != 0)
        abort();
    return p;
}

static const int qtypes[] = { QT_Q8_0, QT_Q4_0, QT_TQ2_0, QT_TQ1_0, QT_Q4_K, QT_Q6_K };

/* Weights rows x cols of a type. unit: every scale 1 (dmin 1) and small
 * codes, so that all products are exact in float. */
static void *
make_w(int type, int rows, int cols, int unit)
{
    size_t rb = qtype_row_bytes(type, cols), bb = qtype_block_bytes(type);
    uint8_t *w = malloc(rb * (size_t)rows);
    float *f = malloc((size_t)cols * sizeof *f);
    int r, k;

    for (r = 0; r < rows; r++) {
        uint8_t *row = w + (size_t)r * rb;
        size_t i;

        for (k = 0; k < cols; k++)
            f[k] = rndf() * (float)(1 + r % 5);
        if (type == QT_TQ2_0 || type == QT_TQ1_0) {
            for (k = 0; k < cols; k++) /* some exact zeros and saturating values */
                f[k] = k % 7 == 0 ? 0.0f : f[k];
            quant_row(type, r % 2, f, row, cols);
        } else if (type == QT_Q8_0 || type == QT_Q4_0) {
            quant_row(type, 0, f, row, cols);
        } else {
            for (i = 0; i < rb; i++)
                row[i] = (uint8_t)rnd32();
        }
        /* scales: random halves in [2^-8, 2^-4), or 1 */
        for (i = 0; i < rb / bb; i++) {
            uint8_t *b = row + i * bb;
            uint16_t h = unit ? 0x3c00 : (uint16_t)(0x1c00 + rnd32() % 0x1000);
            uint16_t h2 = unit ? 0x3c00 : (uint16_t)(0x1c00 + rnd32() % 0x1000);

            switch (type) {
            case QT_Q8_0: case QT_Q4_0: case QT_Q4_K:
                memcpy(b, &h, 2);
                if (type == QT_Q4_K)
                    memcpy(b + 2, &h2, 2);
                break;
            case QT_Q6_K:
                memcpy(b + 208, &h, 2);
                break;
            case QT_TQ2_0:
                memcpy(b + 64, &h, 2);
                break;
            default:
                memcpy(b + 52, &h, 2);
                break;
            }
            /* unit: keep every partial sum below 2^24 */
            if (unit && type == QT_Q8_0)
                for (k = 0; k < 32; k++)
                    b[2 + k] = (uint8_t)(int8_t)((int)(rnd32() % 15) - 7);
            if (unit && type == QT_Q4_K)
                for (k = 0; k < 12; k++)
                    b[4 + k] &= 3;
            if (unit && type == QT_Q6_K)
                for (k = 0; k < 16; k++)
                    b[192 + k] = (uint8_t)(int8_t)((int)(rnd32() % 3) - 1);
        }
    }
    free(f);
    return w;
}

/* Float activations n x cols; unit: integers with a block maximum of 127,
 * so the activation scales are +-1 and the quants exact. */
static float *
make_x(int n, int cols, int unit)
{
    float *x = malloc((size_t)n * cols * sizeof *x);
    int k;

    for (k = 0; k < n * cols; k++) {
        if (unit)
            x[k] = k % 32 == 5 ? 127.0f : (float)((int)(rnd32() % 255) - 127);
        else
            x[k] = rndf() * (k % 3 ? 1.0f : 3.0f);
    }
    return x;
}

/* Quantized activations (64-byte aligned rows), and their dequantized
 * values into xd. */
static void *
quant_x(int act, const float *x, int n, int cols, size_t *xs, double *xd)
{
    size_t s = quant_act_row_bytes(act, cols);
    char *q = amalloc(s * (size_t)n);
    int t, k;

    for (t = 0; t < n; t++) {
        char *row = q + (size_t)t * s;
        const float *d;

        quant_act_row(act, x + (size_t)t * cols, cols, row);
        d = quant_act_d(row, cols);
        for (k = 0; k < cols; k++)
            xd[(size_t)t * cols + k] =
                (double)quant_act_qs(row)[k] * (double)d[k / (act == QT_Q8_0 ? 32 : 256)];
    }
    *xs = s;
    return q;
}

static void
test_type(int type, int unit)
{
    /* rows, cols, n: rows not a multiple of the tiles (4, 2, 16) or of the
     * thread count, odd and even block counts, n = 1..15 (batch
     * chunks of 8 and every remainder) */
    static const int shapes32[][3] = { { 1, 32, 1 }, { 7, 96, 3 }, { 13, 160, 9 }, { 37, 544, 2 },
                                       { 5, 64, 5 }, { 9, 1056, 7 }, { 4, 2048, 1 },
                                       { 11, 352, 4 }, { 6, 224, 6 }, { 3, 32, 8 },
                                       { 19, 96, 15 }, { 33, 64, 13 }, { 17, 160, 12 },
                                       { 5, 32, 10 }, { 21, 64, 11 }, { 2, 96, 14 } };
    static const int shapes256[][3] = { { 1, 256, 1 }, { 7, 768, 3 }, { 13, 256, 9 },
                                        { 37, 1280, 2 }, { 5, 512, 6 }, { 3, 2048, 1 },
                                        { 9, 768, 8 }, { 11, 512, 4 }, { 6, 256, 5 },
                                        { 2, 1024, 7 }, { 19, 512, 15 }, { 33, 256, 13 },
                                        { 17, 768, 12 }, { 5, 256, 10 }, { 21, 512, 11 },
                                        { 2, 256, 14 } };
    const kern_type *kt = kern_lookup(type);
    const char *tn = qtype_name(type);
    int big = qtype_block_elems(type) == 256;
    size_t si, nsh = big ? sizeof shapes256 / sizeof shapes256[0] : sizeof shapes32 / sizeof shapes32[0];

    if (!ok(kt != NULL && kt->type == type &&
            kt->act_type == (big ? QT_Q8_K : QT_Q8_0), "%s: table entry, act %s", tn,
            big ? "q8_k" : "q8_0"))
        return;
    for (si = 0; si < nsh; si++) {
        int rows = big ? shapes256[si][0] : shapes32[si][0];
        int cols = big ? shapes256[si][1] : shapes32[si][1];
        int n = big ? shapes256[si][2] : shapes32[si][2];
        void *w = make_w(type, rows, cols, unit);
        float *x = make_x(n, cols, unit);
        double *xd = malloc((size_t)n * cols * sizeof *xd);
        float *wf = malloc((size_t)rows * cols * sizeof *wf);
        size_t rb = qtype_row_bytes(type, cols), xs;
        void *xq = quant_x(kt->act_type, x, n, cols, &xs, xd);
        float *yref = malloc((size_t)n * rows * sizeof *yref);
        float *y = malloc((size_t)n * rows * sizeof *y), *y1 = malloc((size_t)n * rows * sizeof *y1);
        double worst = 0, *mag = calloc((size_t)n * rows, sizeof *mag);
        int r, t, k, isa;

        for (r = 0; r < rows; r++)
            kern_get_row(type, w, cols, r, wf + (size_t)r * cols);
        kt->rows[KERN_ISA_SCALAR](w, rb, 0, rows, cols, xq, xs, n, yref, rows);
        for (t = 0; t < n; t++)
            for (r = 0; r < rows; r++) {
                double s = 0, d;

                for (k = 0; k < cols; k++) {
                    double p = (double)wf[(size_t)r * cols + k] * xd[(size_t)t * cols + k];

                    s += p;
                    mag[t * rows + r] += fabs(p);
                }
                d = fabs((double)yref[t * rows + r] - s) / (mag[t * rows + r] + 1e-30);
                worst = d > worst ? d : worst;
            }
        ok(worst < 1e-5, "%s%s %dx%d n=%d: scalar ref = getter weights . dequantized x "
           "(rel %.2g)", tn, unit ? " unit" : "", rows, cols, n, worst);

        for (isa = KERN_ISA_AVX2; isa < KERN_ISA_COUNT; isa++) {
            kern_rows_fn fn = kt->rows[isa];
            const char *in = kern_isa_name(isa);

            if (fn == NULL || !kern_isa_supported(isa)) {
                skip("%s %dx%d: no %s on this CPU", tn, rows, cols, in);
                continue;
            }
            fn(w, rb, 0, rows, cols, xq, xs, n, y, rows);
            if (unit) {
                ok(memcmp(y, yref, (size_t)n * rows * sizeof *y) == 0,
                   "%s unit scales %dx%d n=%d: %s == scalar exactly", tn, rows, cols, n, in);
            } else {
                worst = 0;
                for (k = 0; k < n * rows; k++) {
                    double d = fabs((double)y[k] - (double)yref[k]) / (mag[k] + 1e-30);

                    worst = d > worst ? d : worst;
                }
                ok(worst <= SIMD_TOL, "%s %dx%d n=%d: %s vs scalar (rel %.2g <= %g)", tn, rows,
                   cols, n, in, worst, SIMD_TOL);
            }
            /* single tokens, rows split at an odd place */
            for (t = 0; t < n; t++) {
                int mid = rows / 3 + 1 > rows ? rows : rows / 3 + 1;
                const char *xt = (const char *)xq + (size_t)t * xs;

                fn(w, rb, 0, mid, cols, xt, xs, 1, y1 + (size_t)t * rows, rows);
                fn(w, rb, mid, rows, cols, xt, xs, 1, y1 + (size_t)t * rows, rows);
            }
            ok(memcmp(y, y1, (size_t)n * rows * sizeof *y) == 0,
               "%s %dx%d n=%d: %s batch == single, any row split", tn, rows, cols, n, in);
        }
        free(w);
        free(x);
        free(xd);
        free(wf);
        free(xq);
        free(yref);
        free(y);
        free(y1);
        free(mag);
    }
}

/* kern_matmul (which quantizes X) with 1..4 threads and every family:
 * the same bits for a family whatever the threads, close across families. */
static void
test_matmul(int type)
{
    int rows = 203, cols = qtype_block_elems(type) == 256 ? 512 : 160, n = 6, th, isa;
    void *w = make_w(type, rows, cols, 0);
    float *x = make_x(n, cols, 0);
    float *y0 = malloc((size_t)n * rows * sizeof *y0), *y = malloc((size_t)n * rows * sizeof *y);
    float *ys = malloc((size_t)n * rows * sizeof *ys);
    int orig = kern_isa();

    kern_set_isa(KERN_ISA_SCALAR);
    kern_matmul(NULL, type, w, rows, cols, x, n, ys);
    for (isa = 0; isa < KERN_ISA_COUNT; isa++) {
        double worst = 0, big = 0;
        int k, good = 1;

        if (kern_set_isa(isa) != isa) {
            skip("%s matmul: no %s on this CPU", qtype_name(type), kern_isa_name(isa));
            continue;
        }
        kern_matmul(NULL, type, w, rows, cols, x, n, y0);
        for (th = 1; th <= 4; th++) {
            pool *p = pool_new(th);

            memset(y, 0, (size_t)n * rows * sizeof *y);
            kern_matmul(p, type, w, rows, cols, x, n, y);
            good &= memcmp(y, y0, (size_t)n * rows * sizeof *y) == 0;
            pool_free(p);
        }
        ok(good, "%s matmul %dx%d n=%d [%s]: 1..4 threads give the same bits",
           qtype_name(type), rows, cols, n, kern_isa_name(isa));
        for (k = 0; k < n * rows; k++) {
            double d = fabs((double)y0[k] - (double)ys[k]);

            worst = d > worst ? d : worst;
            big = fabs((double)ys[k]) > big ? fabs((double)ys[k]) : big;
        }
        ok(worst <= 1e-5 * big && big > 0, "%s matmul [%s] vs scalar: max diff %.2g (max |y| %.3g)",
           qtype_name(type), kern_isa_name(isa), worst, big);
    }
    kern_set_isa(orig);
    free(w);
    free(x);
    free(y0);
    free(y);
    free(ys);
}

/* kern_quant_act (SIMD) gives the bytes of quant_act_row (scalar), on
 * random rows, exact halves (rounding ties), zero blocks and blocks whose
 * largest magnitude comes with both signs. */
static void
test_act_quant(void)
{
    static const int acts[] = { QT_Q8_0, QT_Q8_K };
    int ai, isa, orig = kern_isa();

    for (ai = 0; ai < 2; ai++) {
        int act = acts[ai], n = 4096, k, kind;
        size_t sz = quant_act_row_bytes(act, n);
        float *x = malloc((size_t)n * sizeof *x);
        char *a = amalloc(sz), *b = amalloc(sz);

        for (isa = KERN_ISA_AVX2; isa < KERN_ISA_COUNT; isa++) {
            int good = 1;

            if (kern_set_isa(isa) != isa) {
                skip("%s activations: no %s on this CPU", qtype_name(act), kern_isa_name(isa));
                continue;
            }
            for (kind = 0; kind < 4; kind++) {
                for (k = 0; k < n; k++) {
                    switch (kind) {
                    case 0: /* random, varied scales */
                        x[k] = rndf() * (float)(1 << (k / 256 % 8));
                        break;
                    case 1: /* halves and integers up to 127: scale 1, ties */
                        x[k] = (float)((int)(rnd32() % 255) - 127) + (rnd32() % 2 ? 0.5f : 0.0f);
                        if (k % 32 == 3)
                            x[k] = (k / 32) % 2 ? 127.0f : -127.0f;
                        x[k] = x[k] > 127.0f ? 127.0f : x[k] < -127.0f ? -127.0f : x[k];
                        break;
                    case 2: /* zero blocks among others */
                        x[k] = (k / 256) % 2 ? 0.0f : rndf();
                        break;
                    default: /* the largest magnitude with both signs */
                        x[k] = k % 97 == 5 ? (k % 2 ? 3.0f : -3.0f) : rndf();
                        break;
                    }
                }
                memset(a, 0x55, sz);
                memset(b, 0xaa, sz);
                quant_act_row(act, x, n, a);
                kern_quant_act(act, x, n, b);
                good &= memcmp(a, b, sz) == 0;
            }
            ok(good, "%s activations: %s quantizer == scalar, byte for byte (4 kinds of rows)",
               qtype_name(act), kern_isa_name(isa));
        }
        free(x);
        free(a);
        free(b);
    }
    kern_set_isa(orig);
}

/* A batch longer than one pass over the rows (the activation rows of a
 * pass fill 512 KiB): same bits as token by token, close to scalar. */
static void
test_long_batch(int type)
{
    int rows = 6, cols = 2048, n = 300, t, k;
    const kern_type *kt = kern_lookup(type);
    void *w = make_w(type, rows, cols, 0);
    float *x = make_x(n, cols, 0);
    double *xd = malloc((size_t)n * cols * sizeof *xd), worst = 0, big = 0;
    size_t rb = qtype_row_bytes(type, cols), xs;
    void *xq = quant_x(kt->act_type, x, n, cols, &xs, xd);
    float *y = malloc((size_t)n * rows * sizeof *y), *y1 = malloc((size_t)n * rows * sizeof *y1);
    float *ys = malloc((size_t)n * rows * sizeof *ys);
    kern_rows_fn fn = kern_rows_for(kt);

    fn(w, rb, 0, rows, cols, xq, xs, n, y, rows);
    for (t = 0; t < n; t++)
        fn(w, rb, 0, rows, cols, (const char *)xq + (size_t)t * xs, xs, 1, y1 + (size_t)t * rows,
           rows);
    kt->rows[KERN_ISA_SCALAR](w, rb, 0, rows, cols, xq, xs, n, ys, rows);
    for (k = 0; k < n * rows; k++) {
        worst = fabs((double)y[k] - (double)ys[k]) > worst ? fabs((double)y[k] - (double)ys[k]) : worst;
        big = fabs((double)ys[k]) > big ? fabs((double)ys[k]) : big;
    }
    ok(memcmp(y, y1, (size_t)n * rows * sizeof *y) == 0 && worst <= 1e-5 * big,
       "%s %dx%d, %d tokens (two passes) [%s]: batch == token by token, vs scalar %.2g",
       qtype_name(type), rows, cols, n, kern_isa_name(kern_isa()), worst);
    free(w);
    free(x);
    free(xd);
    free(xq);
    free(y);
    free(y1);
    free(ys);
}

/* Rows that are not whole blocks (in-memory ternary of narrow models):
 * kern_matmul with cols 192 (or 100) on rows stored padded with zeros
 * equals, bit for bit, the product of 256 columns with X padded by hand;
 * for every family, single token and batch, 1 and 3 threads. */
static void
test_padded(int type)
{
    static const int widths[] = { 192, 100, 300 };
    int rows = 13, n = 5, isa;
    size_t wi;
    int orig = kern_isa();

    for (wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        int cols = widths[wi], kcols = (int)kern_padded_cols(type, cols), r, t, th;
        size_t rb = qtype_row_bytes(type, kcols);
        char *w = malloc(rb * (size_t)rows);
        float *f = calloc((size_t)kcols, sizeof *f);
        float *x = make_x(n, cols, 0), *xp = calloc((size_t)n * kcols, sizeof *xp);
        float *y = malloc((size_t)n * rows * sizeof *y), *yp = malloc((size_t)n * rows * sizeof *yp);

        for (r = 0; r < rows; r++) {
            int k;

            for (k = 0; k < cols; k++)
                f[k] = rndf();
            quant_row(type, 1, f, w + (size_t)r * rb, kcols); /* tail: zeros */
        }
        for (t = 0; t < n; t++)
            memcpy(xp + (size_t)t * kcols, x + (size_t)t * cols, (size_t)cols * sizeof *x);
        for (isa = 0; isa < KERN_ISA_COUNT; isa++) {
            int good = 1;

            if (kern_set_isa(isa) != isa) {
                skip("%s padded: no %s on this CPU", qtype_name(type), kern_isa_name(isa));
                continue;
            }
            for (th = 1; th <= 3; th += 2) {
                pool *p = th > 1 ? pool_new(th) : NULL;
                int nn;

                for (nn = 1; nn <= n; nn += n - 1) {
                    kern_matmul(p, type, w, rows, kcols, xp, nn, yp);
                    kern_matmul(p, type, w, rows, cols, x, nn, y);
                    good &= memcmp(y, yp, (size_t)nn * rows * sizeof *y) == 0;
                }
                pool_free(p);
            }
            ok(good && kcols > cols && kcols % 256 == 0,
               "%s rows of %d padded to %d [%s]: the same bits as the padded product",
               qtype_name(type), cols, kcols, kern_isa_name(isa));
        }
        free(w);
        free(f);
        free(x);
        free(xp);
        free(y);
        free(yp);
    }
    kern_set_isa(orig);
}

/* kern_matmul_multi: products of one X with weights of different types
 * (activation formats Q8_0 and Q8_K, some shared) in one run: each result
 * has the bits of its own kern_matmul, whatever the threads and family. */
static void
test_multi(void)
{
    static const int types[KERN_MULTI_MAX] = { QT_Q8_0, QT_TQ2_0, QT_Q4_K, QT_Q8_0 };
    static const int rows[KERN_MULTI_MAX] = { 37, 16, 9, 70 };
    int cols = 512, n, isa, th, i, orig = kern_isa();
    float *x = make_x(9, cols, 0);
    void *w[KERN_MULTI_MAX];
    float *y[KERN_MULTI_MAX], *y1[KERN_MULTI_MAX];
    kern_prod pr[KERN_MULTI_MAX];

    for (i = 0; i < KERN_MULTI_MAX; i++) {
        w[i] = make_w(types[i], rows[i], cols, 0);
        y[i] = malloc((size_t)(9 * rows[i]) * sizeof *y[i]);
        y1[i] = malloc((size_t)(9 * rows[i]) * sizeof *y1[i]);
        pr[i].type = types[i];
        pr[i].w = w[i];
        pr[i].rows = rows[i];
        pr[i].y = y[i];
    }
    for (isa = 0; isa < KERN_ISA_COUNT; isa++) {
        if (kern_set_isa(isa) != isa)
            continue;
        for (n = 1; n <= 9; n += 8) {
            for (th = 1; th <= 3; th++) {
                pool *p = th > 1 ? pool_new(th) : NULL;
                int good = 1;

                for (i = 0; i < KERN_MULTI_MAX; i++)
                    kern_matmul(NULL, types[i], w[i], rows[i], cols, x, n, y1[i]);
                kern_matmul_multi(p, pr, KERN_MULTI_MAX, cols, x, n);
                for (i = 0; i < KERN_MULTI_MAX; i++)
                    good &= memcmp(y[i], y1[i], (size_t)(n * rows[i]) * sizeof *y[i]) == 0;
                ok(good, "matmul_multi [%s] q8_0+tq2_0+q4_k+q8_0, n=%d, %d thread(s): each as "
                   "its own matmul, bit for bit", kern_isa_name(isa), n, th);
                pool_free(p);
            }
        }
    }
    kern_set_isa(orig);
    for (i = 0; i < KERN_MULTI_MAX; i++) {
        free(w[i]);
        free(y[i]);
        free(y1[i]);
    }
    free(x);
}

int
main(void)
{
    size_t i;

    test_act_quant();
    diag("kernels in use: %s", kern_isa_name(kern_isa()));
    for (i = 0; i < sizeof qtypes / sizeof qtypes[0]; i++) {
        test_type(qtypes[i], 0);
        test_type(qtypes[i], 1);
        test_matmul(qtypes[i]);
        test_long_batch(qtypes[i]);
    }
    test_padded(QT_TQ2_0);
    test_padded(QT_TQ1_0);
    test_multi();
    return done_testing();
}
