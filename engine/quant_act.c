/* quant_act.c: quantization of float activation rows into the planar int8
 * rows the integer kernels take (formats in quant.h). */
#include "config.h"

#include "quant.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "fp16.h"
#include "qtype.h"

size_t
quant_act_row_bytes(int act_type, int64_t n)
{
    size_t b;

    if (act_type == QT_Q8_0) {
        assert(n % QUANT_QK == 0);
        b = (size_t)n + (size_t)(n / QUANT_QK) * (sizeof(float) + sizeof(int32_t));
    } else {
        assert(act_type == QT_Q8_K && n % QUANT_QK_K == 0);
        b = (size_t)n + (size_t)(n / QUANT_QK_K) * (sizeof(float) + sizeof(int32_t)) +
            (size_t)(n / 16) * sizeof(int16_t);
    }
    return (b + 63) & ~(size_t)63;
}

/* roundf for the quants (|v| <= 127.5): half away from zero, inline. */
static inline int
quant_act_round(float v)
{
    int i;
    float f;

    if (!(v > -256.0f && v < 256.0f)) /* NaN */
        return 0;
    i = (int)v; /* truncates */
    f = v - (float)i;
    return i + (f >= 0.5f) - (f <= -0.5f);
}

/* rintf (half to even, the default rounding mode) for |v| < 2^22. */
static inline int
quant_act_rint(float v)
{
    if (!(v > -256.0f && v < 256.0f)) /* NaN */
        return 0;
    return (int)((v + 12582912.0f) - 12582912.0f);
}

/* Q8_0: d = amax/127 kept as a half value, q = roundf(x * 127/amax). */
static void
quant_act_q8_0(const float *x, int64_t n, void *dst)
{
    int8_t *qs = dst;
    float *dd = (float *)(void *)((char *)dst + n);
    int32_t *bsum = (int32_t *)(void *)((char *)dst + n + n / 8);
    int64_t i;
    int j;

    for (i = 0; i < n / QUANT_QK; i++, x += QUANT_QK, qs += QUANT_QK) {
        float amax = 0.0f, d, id;
        int32_t s = 0;

        for (j = 0; j < QUANT_QK; j++) {
            float a = fabsf(x[j]);

            amax = amax > a ? amax : a;
        }
        d = amax / 127;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        dd[i] = fp16_to_f32(f32_to_fp16(d));
        for (j = 0; j < QUANT_QK; j++) {
            qs[j] = (int8_t)quant_act_round(x[j] * id);
            s += qs[j];
        }
        bsum[i] = s;
    }
}

/* Q8_K as ggml's quantize_row_q8_K_ref, plus the block sums. */
static void
quant_act_q8_k(const float *x, int64_t n, void *dst)
{
    int8_t *qs = dst;
    float *dd = (float *)(void *)((char *)dst + n);
    int32_t *sum = (int32_t *)(void *)((char *)dst + n + n / 64);
    int16_t *bsums = (int16_t *)(void *)((char *)dst + n + n / 32);
    int64_t i;
    int j, k;

    for (i = 0; i < n / QUANT_QK_K; i++, x += QUANT_QK_K, qs += QUANT_QK_K, bsums += 16) {
        float amax = 0.0f, max = 0.0f, iscale;
        int32_t total = 0;

        for (j = 0; j < QUANT_QK_K; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            dd[i] = 0.0f;
            sum[i] = 0;
            memset(qs, 0, QUANT_QK_K);
            memset(bsums, 0, 16 * sizeof *bsums);
            continue;
        }
        iscale = -127.0f / max;
        for (j = 0; j < QUANT_QK_K; j++) {
            int v = quant_act_rint(iscale * x[j]);

            qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (j = 0; j < 16; j++) {
            int s = 0;

            for (k = 0; k < 16; k++)
                s += qs[16 * j + k];
            bsums[j] = (int16_t)s;
            total += s;
        }
        sum[i] = total;
        dd[i] = 1.0f / iscale;
    }
}

void
quant_act_row(int act_type, const float *x, int64_t n, void *dst)
{
    size_t used, size = quant_act_row_bytes(act_type, n);

    if (act_type == QT_Q8_0) {
        quant_act_q8_0(x, n, dst);
        used = (size_t)n + (size_t)(n / QUANT_QK) * (sizeof(float) + sizeof(int32_t));
    } else {
        quant_act_q8_k(x, n, dst);
        used = (size_t)n + (size_t)(n / 32) + (size_t)(n / 16) * sizeof(int16_t);
    }
    memset((char *)dst + used, 0, size - used);
}
