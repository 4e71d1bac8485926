/* quant_dequant.c: the row dequantizers of the quantized weight types
 * (the row getters of the kernel table: token embeddings, tests), written
 * from the published block layouts (see quant.h). */
#include "config.h"

#include "quant.h"

#include <assert.h>

#include "fp16.h"

void
quant_dequant_q8_0(const void *src, float *dst, int64_t n)
{
    const quant_block_q8_0 *b = src;
    int64_t i;
    int j;

    assert(n % QUANT_QK == 0);
    for (i = 0; i < n / QUANT_QK; i++) {
        float d = fp16_to_f32(b[i].d);

        for (j = 0; j < QUANT_QK; j++)
            *dst++ = (float)b[i].qs[j] * d;
    }
}

void
quant_dequant_q4_0(const void *src, float *dst, int64_t n)
{
    const quant_block_q4_0 *b = src;
    int64_t i;
    int j;

    assert(n % QUANT_QK == 0);
    for (i = 0; i < n / QUANT_QK; i++, dst += QUANT_QK) {
        float d = fp16_to_f32(b[i].d);

        for (j = 0; j < QUANT_QK / 2; j++) {
            dst[j] = (float)((b[i].qs[j] & 0x0f) - 8) * d;
            dst[j + QUANT_QK / 2] = (float)((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void
quant_q4_k_scale_min(const uint8_t scales[12], int j, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (uint8_t)((scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4));
        *m = (uint8_t)((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

void
quant_dequant_q4_k(const void *src, float *dst, int64_t n)
{
    const quant_block_q4_k *b = src;
    int64_t i;
    int c, l;

    assert(n % QUANT_QK_K == 0);
    for (i = 0; i < n / QUANT_QK_K; i++) {
        float d = fp16_to_f32(b[i].d), dmin = fp16_to_f32(b[i].dmin);

        /* chunk c: 32 bytes, low nibbles are sub-block 2c, high 2c+1 */
        for (c = 0; c < 4; c++) {
            const uint8_t *q = b[i].qs + 32 * c;
            uint8_t sc0, m0, sc1, m1;
            float d0, d1, mn0, mn1;

            quant_q4_k_scale_min(b[i].scales, 2 * c, &sc0, &m0);
            quant_q4_k_scale_min(b[i].scales, 2 * c + 1, &sc1, &m1);
            d0 = d * sc0;
            mn0 = dmin * m0;
            d1 = d * sc1;
            mn1 = dmin * m1;
            for (l = 0; l < 32; l++)
                *dst++ = d0 * (float)(q[l] & 0x0f) - mn0;
            for (l = 0; l < 32; l++)
                *dst++ = d1 * (float)(q[l] >> 4) - mn1;
        }
    }
}

void
quant_dequant_q6_k(const void *src, float *dst, int64_t n)
{
    const quant_block_q6_k *b = src;
    int64_t i;
    int h, l;

    assert(n % QUANT_QK_K == 0);
    for (i = 0; i < n / QUANT_QK_K; i++) {
        float d = fp16_to_f32(b[i].d);

        /* two halves of 128: 64 bytes of ql, 32 of qh, 8 scales each */
        for (h = 0; h < 2; h++, dst += 128) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            const int8_t *sc = b[i].scales + 8 * h;

            for (l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32;
                int q2 = ((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32;
                int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;

                dst[l] = d * sc[is] * (float)q1;
                dst[l + 32] = d * sc[is + 2] * (float)q2;
                dst[l + 64] = d * sc[is + 4] * (float)q3;
                dst[l + 96] = d * sc[is + 6] * (float)q4;
            }
        }
    }
}

/* Digit n (0 = most significant) of a TQ1_0 byte. */
static inline int
quant_tq1_digit(uint8_t byte, int n)
{
    static const uint8_t pow3[5] = { 1, 3, 9, 27, 81 };
    uint8_t v = (uint8_t)(byte * pow3[n]);

    return (v * 3) >> 8;
}

void
quant_dequant_tq1_0(const void *src, float *dst, int64_t n)
{
    const quant_block_tq1_0 *b = src;
    int64_t i;
    int m, k;

    assert(n % QUANT_QK_K == 0);
    for (i = 0; i < n / QUANT_QK_K; i++, dst += QUANT_QK_K) {
        float d = fp16_to_f32(b[i].d);

        for (k = 0; k < 5; k++) {
            for (m = 0; m < 32; m++)
                dst[32 * k + m] = (float)(quant_tq1_digit(b[i].qs[m], k) - 1) * d;
            for (m = 0; m < 16; m++)
                dst[160 + 16 * k + m] = (float)(quant_tq1_digit(b[i].qs[32 + m], k) - 1) * d;
        }
        for (k = 0; k < 4; k++)
            for (m = 0; m < 4; m++)
                dst[240 + 4 * k + m] = (float)(quant_tq1_digit(b[i].qh[m], k) - 1) * d;
    }
}

void
quant_dequant_tq2_0(const void *src, float *dst, int64_t n)
{
    const quant_block_tq2_0 *b = src;
    int64_t i;
    int h, l, m;

    assert(n % QUANT_QK_K == 0);
    for (i = 0; i < n / QUANT_QK_K; i++) {
        float d = fp16_to_f32(b[i].d);

        for (h = 0; h < 2; h++)
            for (l = 0; l < 4; l++)
                for (m = 0; m < 32; m++)
                    *dst++ = (float)(((b[i].qs[32 * h + m] >> (2 * l)) & 3) - 1) * d;
    }
}
