/* quant.c: weight quantizers from float. The reference ones follow
 * llama.cpp's published reference algorithms step by step (same float
 * operations, same rounding functions) so that they give the same bytes;
 * the least-squares ternary quantizer picks per 256-block the scale and
 * trits of least squared error. */
#include "config.h"

#include "quant.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "qtype.h"

_Static_assert(sizeof(quant_block_q8_0) == 34, "q8_0 block");
_Static_assert(sizeof(quant_block_q4_0) == 18, "q4_0 block");
_Static_assert(sizeof(quant_block_q4_k) == 144, "q4_k block");
_Static_assert(sizeof(quant_block_q6_k) == 210, "q6_k block");
_Static_assert(sizeof(quant_block_tq1_0) == 54, "tq1_0 block");
_Static_assert(sizeof(quant_block_tq2_0) == 66, "tq2_0 block");

/* llama.cpp's MAX(a, b), NaN behaviour included. */
static inline float
quant_max(float a, float b)
{
    return a > b ? a : b;
}

void
quant_row_q8_0(const float *x, void *y, int64_t n)
{
    quant_block_q8_0 *b = y;
    int64_t i;
    int j;

    assert(n % QUANT_QK == 0);
    for (i = 0; i < n / QUANT_QK; i++, x += QUANT_QK) {
        float amax = 0.0f, d, id;

        for (j = 0; j < QUANT_QK; j++)
            amax = quant_max(amax, fabsf(x[j]));
        d = amax / 127;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        for (j = 0; j < QUANT_QK; j++)
            b[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

void
quant_row_q4_0(const float *x, void *y, int64_t n)
{
    quant_block_q4_0 *b = y;
    int64_t i;
    int j;

    assert(n % QUANT_QK == 0);
    for (i = 0; i < n / QUANT_QK; i++, x += QUANT_QK) {
        float amax = 0.0f, max = 0.0f, d, id;

        /* the first value of largest magnitude, with its sign */
        for (j = 0; j < QUANT_QK; j++) {
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        d = max / -8;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        for (j = 0; j < QUANT_QK / 2; j++) {
            int q0 = (int8_t)(x[j] * id + 8.5f);
            int q1 = (int8_t)(x[j + QUANT_QK / 2] * id + 8.5f);

            q0 = q0 < 15 ? q0 : 15;
            q1 = q1 < 15 ? q1 : 15;
            b[i].qs[j] = (uint8_t)((q0 & 0xff) | (q1 << 4));
        }
    }
}

/* ---- ternary: a block is a scale and 256 trits in {-1, 0, 1} ---- */

/* llama.cpp's choice: d = amax, trit = lroundf(x / d). */
static float
quant_tern_absmax(const float *x, int8_t *t)
{
    float amax = 0.0f, id;
    int j;

    for (j = 0; j < QUANT_QK_K; j++)
        amax = quant_max(amax, fabsf(x[j]));
    id = amax != 0.0f ? 1.0f / amax : 0.0f;
    for (j = 0; j < QUANT_QK_K; j++)
        t[j] = (int8_t)lroundf(x[j] * id);
    return amax;
}

/* Sort the 256 magnitudes of a block (non-negative floats, whose bit
 * patterns order as unsigned integers) into descending order: an LSD radix
 * sort, four byte passes, a pass skipped when all keys share that byte.
 * Equal magnitudes are interchangeable, so any stable order gives the
 * same sums as a comparison sort. */
static void
quant_sort_desc(const float *a, float *out)
{
    uint32_t k[QUANT_QK_K], tmp[QUANT_QK_K], *src = k, *dst = tmp, *sw;
    int j, shift;

    for (j = 0; j < QUANT_QK_K; j++)
        memcpy(&k[j], &a[j], sizeof k[j]);
    for (shift = 0; shift < 32; shift += 8) {
        unsigned cnt[256] = { 0 }, pos = 0, c;

        for (j = 0; j < QUANT_QK_K; j++)
            cnt[(src[j] >> shift) & 255]++;
        if (cnt[(src[0] >> shift) & 255] == QUANT_QK_K)
            continue;
        for (j = 0; j < 256; j++) {
            c = cnt[j];
            cnt[j] = pos;
            pos += c;
        }
        for (j = 0; j < QUANT_QK_K; j++)
            dst[cnt[(src[j] >> shift) & 255]++] = src[j];
        sw = src;
        src = dst;
        dst = sw;
    }
    for (j = 0; j < QUANT_QK_K; j++)
        memcpy(&out[j], &src[QUANT_QK_K - 1 - j], sizeof out[j]);
}

/* Least squares: with the k largest magnitudes nonzero, the best scale is
 * their mean S_k / k and the error sum(x^2) - S_k^2 / k; take the k with
 * the largest S_k^2 / k. The scale is then rounded to a half, and each
 * trit re-chosen for that scale (nonzero iff |x| > d/2), which can only
 * lower the error. Returns the (half-exact) scale. */
static float
quant_tern_opt(const float *x, int8_t *t)
{
    float mag[QUANT_QK_K], m[QUANT_QK_K];
    double s = 0, best = 0, bestd = 0;
    float d;
    int j;

    for (j = 0; j < QUANT_QK_K; j++)
        mag[j] = isfinite(x[j]) ? fabsf(x[j]) : 0.0f;
    quant_sort_desc(mag, m);
    for (j = 0; j < QUANT_QK_K && m[j] > 0; j++) {
        double gain;

        s += (double)m[j];
        gain = s * s / (j + 1);
        if (gain > best) {
            best = gain;
            bestd = s / (j + 1);
        }
    }
    d = fp16_to_f32(f32_to_fp16((float)bestd));
    for (j = 0; j < QUANT_QK_K; j++)
        t[j] = (int8_t)(d > 0 && fabsf(x[j]) > d / 2 ? (x[j] > 0 ? 1 : -1) : 0);
    return d;
}

/* Pack 256 trits into TQ2_0: byte qs[32h + m] holds the codes (trit + 1)
 * of elements 128h + m + 32l at bits 2l. */
static void
quant_pack_tq2_0(const int8_t *t, float d, quant_block_tq2_0 *b)
{
    int h, m, l;

    for (h = 0; h < 2; h++)
        for (m = 0; m < 32; m++) {
            unsigned q = 0;

            for (l = 0; l < 4; l++)
                q += (unsigned)((t[128 * h + m + 32 * l] + 1) & 3) << (2 * l);
            b->qs[32 * h + m] = (uint8_t)q;
        }
    b->d = f32_to_fp16(d);
}

/* A base-3 number of 5 digits (q < 243) as the byte ceil(q * 256 / 243):
 * digit n is then recovered as ((uint8_t)(byte * 3^n) * 3) >> 8. */
static uint8_t
quant_tq1_byte(unsigned q)
{
    return (uint8_t)((q * 256 + 242) / 243);
}

/* Pack 256 trits into TQ1_0. qs[m] (m < 32) holds elements m + 32n,
 * qs[32 + m] (m < 16) elements 160 + m + 16n, qh[j] elements 240 + j + 4n
 * (then a zero digit), digit n = 0 the most significant. */
static void
quant_pack_tq1_0(const int8_t *t, float d, quant_block_tq1_0 *b)
{
    int m, n;

    for (m = 0; m < 32; m++) {
        unsigned q = 0;

        for (n = 0; n < 5; n++)
            q = q * 3 + (unsigned)(t[m + 32 * n] + 1);
        b->qs[m] = quant_tq1_byte(q);
    }
    for (m = 0; m < 16; m++) {
        unsigned q = 0;

        for (n = 0; n < 5; n++)
            q = q * 3 + (unsigned)(t[160 + m + 16 * n] + 1);
        b->qs[32 + m] = quant_tq1_byte(q);
    }
    for (m = 0; m < 4; m++) {
        unsigned q = 0;

        for (n = 0; n < 4; n++)
            q = q * 3 + (unsigned)(t[240 + m + 4 * n] + 1);
        b->qh[m] = quant_tq1_byte(q * 3);
    }
    b->d = f32_to_fp16(d);
}

void
quant_row_tq2_0(const float *x, void *y, int64_t n)
{
    quant_block_tq2_0 *b = y;
    int8_t t[QUANT_QK_K];
    int64_t i;

    assert(n % QUANT_QK_K == 0);
    for (i = 0; i < n / QUANT_QK_K; i++, x += QUANT_QK_K)
        quant_pack_tq2_0(t, quant_tern_absmax(x, t), &b[i]);
}

void
quant_row_tq1_0(const float *x, void *y, int64_t n)
{
    quant_block_tq1_0 *b = y;
    int8_t t[QUANT_QK_K];
    int64_t i;

    assert(n % QUANT_QK_K == 0);
    for (i = 0; i < n / QUANT_QK_K; i++, x += QUANT_QK_K)
        quant_pack_tq1_0(t, quant_tern_absmax(x, t), &b[i]);
}

void
quant_row_tq2_0_opt(const float *x, void *y, int64_t n)
{
    quant_block_tq2_0 *b = y;
    int8_t t[QUANT_QK_K];
    int64_t i;

    assert(n % QUANT_QK_K == 0);
    for (i = 0; i < n / QUANT_QK_K; i++, x += QUANT_QK_K)
        quant_pack_tq2_0(t, quant_tern_opt(x, t), &b[i]);
}

void
quant_row_tq1_0_opt(const float *x, void *y, int64_t n)
{
    quant_block_tq1_0 *b = y;
    int8_t t[QUANT_QK_K];
    int64_t i;

    assert(n % QUANT_QK_K == 0);
    for (i = 0; i < n / QUANT_QK_K; i++, x += QUANT_QK_K)
        quant_pack_tq1_0(t, quant_tern_opt(x, t), &b[i]);
}

int
quant_row(int type, int opt, const float *x, void *y, int64_t n)
{
    switch (type) {
    case QT_Q8_0:
        quant_row_q8_0(x, y, n);
        return 0;
    case QT_Q4_0:
        quant_row_q4_0(x, y, n);
        return 0;
    case QT_TQ2_0:
        (opt ? quant_row_tq2_0_opt : quant_row_tq2_0)(x, y, n);
        return 0;
    case QT_TQ1_0:
        (opt ? quant_row_tq1_0_opt : quant_row_tq1_0)(x, y, n);
        return 0;
    default:
        return -1;
    }
}
