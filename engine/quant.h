/* quant.h: the block layouts of the quantized weight types ternchat reads
 * (Q8_0, Q4_0, Q4_K, Q6_K, TQ1_0, TQ2_0, as in GGUF files), reference
 * quantizers from float (byte-identical to llama.cpp's reference ones for
 * Q8_0, Q4_0, TQ1_0, TQ2_0), a least-squares ternary quantizer, the row
 * dequantizers, and the int8 activation rows the integer kernels take. */
#ifndef TERNCHAT_QUANT_H
#define TERNCHAT_QUANT_H

#include <stddef.h>
#include <stdint.h>

#define QUANT_QK 32   /* elements per Q8_0 / Q4_0 block */
#define QUANT_QK_K 256 /* elements per K-type and ternary block */

/* Q8_0: y[j] = qs[j] * d. 34 bytes. */
typedef struct quant_block_q8_0 {
    uint16_t d;            /* scale (IEEE half) */
    int8_t qs[QUANT_QK];   /* quants */
} quant_block_q8_0;

/* Q4_0: y[j] = (nibble - 8) * d; low nibbles hold elements 0..15, high
 * nibbles 16..31. 18 bytes. */
typedef struct quant_block_q4_0 {
    uint16_t d;                /* scale (half) */
    uint8_t qs[QUANT_QK / 2];  /* nibbles */
} quant_block_q4_0;

/* Q4_K: 8 sub-blocks of 32 with 6-bit scales and mins packed in scales[];
 * y = d * sc * nibble - dmin * m. 144 bytes. */
typedef struct quant_block_q4_k {
    uint16_t d;                  /* super-block scale of the scales (half) */
    uint16_t dmin;               /* super-block scale of the mins (half) */
    uint8_t scales[12];          /* 8 scales and 8 mins, 6 bits each */
    uint8_t qs[QUANT_QK_K / 2];  /* nibbles: 4 chunks of 64 elements */
} quant_block_q4_k;

/* Q6_K: 16 sub-blocks of 16 with int8 scales; y = d * sc * (q - 32), q of
 * 6 bits split into a low nibble (ql) and 2 high bits (qh). 210 bytes. */
typedef struct quant_block_q6_k {
    uint8_t ql[QUANT_QK_K / 2];  /* low 4 bits */
    uint8_t qh[QUANT_QK_K / 4];  /* high 2 bits */
    int8_t scales[QUANT_QK_K / 16]; /* sub-block scales */
    uint16_t d;                  /* super-block scale (half) */
} quant_block_q6_k;

/* TQ1_0: trits packed in base 3, 5 per byte in qs and 4 per byte in qh,
 * each byte a fixed-point fraction (see quant.c); y = (trit - 1) * d.
 * 54 bytes. */
typedef struct quant_block_tq1_0 {
    uint8_t qs[48];  /* elements 0..239 */
    uint8_t qh[4];   /* elements 240..255 */
    uint16_t d;      /* scale (half) */
} quant_block_tq1_0;

/* TQ2_0: 2-bit codes 0, 1, 2 for -1, 0, +1; byte qs[32h + m] holds
 * elements 128h + m + 32l in bits 2l..2l+1. 66 bytes. */
typedef struct quant_block_tq2_0 {
    uint8_t qs[64];  /* codes */
    uint16_t d;      /* scale (half) */
} quant_block_tq2_0;

/* ---- weight quantizers: n elements (a multiple of the block size) of x
 * into blocks at y ---- */

/* llama.cpp's quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d). */
void quant_row_q8_0(const float *x, void *y, int64_t n);
/* llama.cpp's quantize_row_q4_0_ref: d = max/-8 (signed max),
 * q = min(15, (int8_t)(x/d + 8.5)). */
void quant_row_q4_0(const float *x, void *y, int64_t n);
/* llama.cpp's quantize_row_tq2_0_ref / tq1_0_ref: d = amax per 256,
 * trit = lroundf(x/d). */
void quant_row_tq2_0(const float *x, void *y, int64_t n);
void quant_row_tq1_0(const float *x, void *y, int64_t n);
/* Least squares: per 256-block the scale and trits minimising the squared
 * error (exact for blocks already in {-a, 0, a} with a a half). */
void quant_row_tq2_0_opt(const float *x, void *y, int64_t n);
void quant_row_tq1_0_opt(const float *x, void *y, int64_t n);
/* The quantizer of a type (q8_0, q4_0, tq1_0, tq2_0; opt selects the
 * least-squares ternary one); -1 if there is none. */
int quant_row(int type, int opt, const float *x, void *y, int64_t n);

/* ---- dequantizers: n elements (whole blocks) to float ---- */

void quant_dequant_q8_0(const void *src, float *dst, int64_t n);
void quant_dequant_q4_0(const void *src, float *dst, int64_t n);
void quant_dequant_q4_k(const void *src, float *dst, int64_t n);
void quant_dequant_q6_k(const void *src, float *dst, int64_t n);
void quant_dequant_tq1_0(const void *src, float *dst, int64_t n);
void quant_dequant_tq2_0(const void *src, float *dst, int64_t n);

/* Q4_K's 6-bit scale and min of sub-block j (0..7). */
void quant_q4_k_scale_min(const uint8_t scales[12], int j, uint8_t *sc, uint8_t *m);

/* ---- activation rows ----
 * The integer kernels take each float activation row quantized to int8,
 * laid out planar so that the quants of consecutive blocks are contiguous
 * (the row starts 64-byte aligned, and so do the quants):
 *   QT_Q8_0 (for Q8_0, Q4_0 weights), n % 32 == 0:
 *       int8 qs[n]; float d[n/32]; int32 bsum[n/32]
 *     per 32-block: d = fp16(amax/127) (a half value kept as a float),
 *     q = roundf(x * 127/amax) (half away from zero), |q| <= 127;
 *     bsum = the sum of the 32 quants;
 *   QT_Q8_K (for Q4_K, Q6_K, TQ1_0, TQ2_0), n % 256 == 0:
 *       int8 qs[n]; float d[n/256]; int32 sum[n/256]; int16 bsums[n/16]
 *     per 256-block as ggml's Q8_K: m = the value of largest magnitude,
 *     q = min(127, rint(-127/m * x)) (half to even), d = -m/127 (so d may
 *     be negative); sum = the sum of the 256 quants, bsums = sums of 16.
 * The size is rounded up to a multiple of 64 bytes. */

/* Bytes of one activation row of n elements (act_type QT_Q8_0 or QT_Q8_K). */
size_t quant_act_row_bytes(int act_type, int64_t n);
/* Quantize one row of n floats into dst (quant_act_row_bytes() bytes). */
void quant_act_row(int act_type, const float *x, int64_t n, void *dst);

/* Views into an activation row of n elements. */
static inline const int8_t *
quant_act_qs(const void *row)
{
    return (const int8_t *)row;
}

static inline const float *
quant_act_d(const void *row, int64_t n)
{
    return (const float *)(const void *)((const char *)row + n);
}

/* QT_Q8_0 only: the sums of each block's 32 quants. */
static inline const int32_t *
quant_act_bsum32(const void *row, int64_t n)
{
    return (const int32_t *)(const void *)((const char *)row + n + n / 8);
}

/* QT_Q8_K only. */
static inline const int32_t *
quant_act_sum(const void *row, int64_t n)
{
    return (const int32_t *)(const void *)((const char *)row + n + n / 64);
}

static inline const int16_t *
quant_act_bsums(const void *row, int64_t n)
{
    return (const int16_t *)(const void *)((const char *)row + n + n / 32);
}

#endif
