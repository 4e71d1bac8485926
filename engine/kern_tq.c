/* kern_tq.c: row products of the ternary types TQ2_0 and TQ1_0 against
 * Q8_K activations. The weights are unpacked to their codes c = t + 1 in
 * {0, 1, 2} (unsigned bytes: TQ2_0 in element order, TQ1_0 in the order of
 * its base-3 digits, the activations gathered to match); per 256-block
 *     sum (c - 1) x = sum c x - sum x
 * with sum x read from the activation row, times d_w * d_x, summed in
 * float. Scalar references and AVX2 (maddubs); the AVX-512 VNNI ones,
 * sixteen rows to a vector, are in kern_tq_vnni.c and kern_tq1_vnni.c. */
#include "config.h"

#include <string.h>

#include "fp16.h"
#include "kern_int.h"
#include "kern_simd.h"
#include "quant.h"

/* ---- scalar references ---- */

/* The codes of one TQ2_0 block, in element order. */
static void
ktq2_codes(const quant_block_tq2_0 *b, uint8_t *c)
{
    int h, l, m;

    for (h = 0; h < 2; h++)
        for (l = 0; l < 4; l++)
            for (m = 0; m < 32; m++)
                c[128 * h + 32 * l + m] = (b->qs[32 * h + m] >> (2 * l)) & 3;
}

/* Digit n (0 = most significant) of a TQ1_0 byte. */
static inline uint8_t
ktq1_digit(uint8_t byte, int n)
{
    static const uint8_t pow3[5] = { 1, 3, 9, 27, 81 };

    return (uint8_t)(((uint8_t)(byte * pow3[n]) * 3) >> 8);
}

static void
ktq1_codes(const quant_block_tq1_0 *b, uint8_t *c)
{
    int k, m;

    for (k = 0; k < 5; k++) {
        for (m = 0; m < 32; m++)
            c[32 * k + m] = ktq1_digit(b->qs[m], k);
        for (m = 0; m < 16; m++)
            c[160 + 16 * k + m] = ktq1_digit(b->qs[32 + m], k);
    }
    for (k = 0; k < 4; k++)
        for (m = 0; m < 4; m++)
            c[240 + 4 * k + m] = ktq1_digit(b->qh[m], k);
}

/* Shared by both references: codes() unpacks block b of a row. */
static void
ktq_rows_ref(void (*codes)(const void *blk, uint8_t *c), size_t bsize, const void *w,
             size_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const void *x,
             size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t nb = cols / QUANT_QK_K, r, t, b;
    uint8_t c[QUANT_QK_K];
    int j;

    for (r = r0; r < r1; r++) {
        const char *wr = (const char *)w + (size_t)r * row_bytes;

        for (t = 0; t < n; t++) {
            const char *xt = (const char *)x + (size_t)t * x_stride;
            const int8_t *q = quant_act_qs(xt);
            const float *d = quant_act_d(xt, cols);
            const int32_t *sum = quant_act_sum(xt, cols);
            float s = 0.0f;

            for (b = 0; b < nb; b++) {
                const char *blk = wr + (size_t)b * bsize;
                uint16_t dh;
                int dot = 0;

                codes(blk, c);
                for (j = 0; j < QUANT_QK_K; j++)
                    dot += c[j] * q[b * QUANT_QK_K + j];
                dot -= sum[b];
                memcpy(&dh, blk + bsize - 2, 2); /* d is the last field */
                s += (float)dot * (fp16_to_f32(dh) * d[b]);
            }
            y[t * ldy + r] = s;
        }
    }
}

static void
ktq2_codes_v(const void *blk, uint8_t *c)
{
    ktq2_codes(blk, c);
}

static void
ktq1_codes_v(const void *blk, uint8_t *c)
{
    ktq1_codes(blk, c);
}

void
kern_rows_tq2_0_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                    const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    ktq_rows_ref(ktq2_codes_v, sizeof(quant_block_tq2_0), w, row_bytes, r0, r1, cols, x,
                 x_stride, n, y, ldy);
}

void
kern_rows_tq1_0_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                    const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    ktq_rows_ref(ktq1_codes_v, sizeof(quant_block_tq1_0), w, row_bytes, r0, r1, cols, x,
                 x_stride, n, y, ldy);
}

#if KERN_X86

#define KTQ_NSTEP(cols) ((cols) / QUANT_QK_K)

/* TQ1_0 digits, for 32 bytes at once: x holds (uint8_t)(byte * 3^n);
 * returns digit n, ((x * 3) >> 8) = (x >= 86) + (x >= 171), and advances x
 * to (uint8_t)(x * 3). */
KERN_AVX2 static inline __m256i
ktq1_digit_avx2(__m256i *x)
{
    __m256i v = *x;
    __m256i ge1 = _mm256_cmpeq_epi8(_mm256_max_epu8(v, _mm256_set1_epi8(86)), v);
    __m256i ge2 = _mm256_cmpeq_epi8(_mm256_max_epu8(v, _mm256_set1_epi8((char)171)), v);

    *x = _mm256_add_epi8(v, _mm256_add_epi8(v, v));
    return _mm256_sub_epi8(_mm256_setzero_si256(), _mm256_add_epi8(ge1, ge2));
}

/* ---- AVX2: the codes go to a buffer, each step reads 8 vectors ---- */

/* One row's block. */
typedef struct ktq_avx2 {
    uint8_t c[QUANT_QK_K] __attribute__((aligned(32))); /* codes, element order */
    __m256 d;                                             /* d_w in every lane */
} ktq_avx2;

KERN_AVX2 static inline void
ktq2_unpack_avx2(const char *row, int64_t s, int64_t cols, ktq_avx2 *u)
{
    const char *blk = row + (size_t)s * sizeof(quant_block_tq2_0);
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)blk);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 32));
    __m256i m3 = _mm256_set1_epi8(3);
    int l;

    (void)cols;
    #pragma GCC unroll 8
    for (l = 0; l < 4; l++) {
        _mm256_store_si256((__m256i *)(void *)(u->c + 32 * l),
                           _mm256_and_si256(_mm256_srli_epi16(v0, 2 * l), m3));
        _mm256_store_si256((__m256i *)(void *)(u->c + 128 + 32 * l),
                           _mm256_and_si256(_mm256_srli_epi16(v1, 2 * l), m3));
    }
    u->d = _mm256_set1_ps(kern_half(blk + 64));
}

/* acc += (sum c x - sum x) * d_w * d_x. The 16-bit partial sums of the 8
 * maddubs stay below 8 * 2 * 2 * 127. */
KERN_AVX2 static inline void
ktq_step_avx2(const ktq_avx2 *u, const char *xrow, int64_t cols, int64_t s, __m256 *acc)
{
    const char *q = xrow + s * QUANT_QK_K;
    __m256i p = _mm256_setzero_si256(), i;
    __m256 sc;
    int v;

    #pragma GCC unroll 8
    for (v = 0; v < 8; v++)
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(
                                    _mm256_load_si256((const __m256i *)(const void *)(u->c + 32 * v)),
                                    _mm256_loadu_si256((const __m256i *)(const void *)(q + 32 * v))));
    i = _mm256_madd_epi16(p, _mm256_set1_epi16(1));
    i = _mm256_sub_epi32(i, _mm256_zextsi128_si256(_mm_cvtsi32_si128(quant_act_sum(xrow, cols)[s])));
    sc = _mm256_mul_ps(u->d, _mm256_set1_ps(quant_act_d(xrow, cols)[s]));
    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), sc, *acc);
}

KERN_TILES(kern_rows_tq2_0_avx2, ktq2_tiles_avx2, KERN_AVX2, ktq_avx2, __m256, KERN_ZERO256,
            kern_hsum256, KTQ_NSTEP, ktq2_unpack_avx2, ktq_step_avx2,
            256, 4, 2)
/* TQ1_0 stays in digit order: digit k of qs[0..31] goes with x[32k ..
 * 32k+31], digit k of qs[32..47] with x[160 + 16k ..] and digit k of
 * qh[0..3] with x[240 + 4k ..]; the activations are gathered to match. */
typedef struct ktq1_avx2 {
    uint8_t c[320] __attribute__((aligned(32))); /* digit k: qs[0..31] at 32k, then
                                                  * qs[32..47], qh at 160 + 32k */
    __m256 d;                                     /* d_w in every lane */
} ktq1_avx2;

KERN_AVX2 static inline void
ktq1_unpack_avx2(const char *row, int64_t s, int64_t cols, ktq1_avx2 *u)
{
    const char *blk = row + (size_t)s * sizeof(quant_block_tq1_0);
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)blk), b;
    uint32_t qh;
    int k;

    (void)cols;
    memcpy(&qh, blk + 48, 4);
    b = _mm256_set_m128i(_mm_cvtsi32_si128((int)qh),
                         _mm_loadu_si128((const __m128i *)(const void *)(blk + 32)));
    #pragma GCC unroll 8
    for (k = 0; k < 5; k++) {
        _mm256_store_si256((__m256i *)(void *)(u->c + 32 * k), ktq1_digit_avx2(&a));
        _mm256_store_si256((__m256i *)(void *)(u->c + 160 + 32 * k), ktq1_digit_avx2(&b));
    }
    u->d = _mm256_set1_ps(kern_half(blk + 52));
}

KERN_AVX2 static inline void
ktq1_step_avx2(const ktq1_avx2 *u, const char *xrow, int64_t cols, int64_t s, __m256 *acc)
{
    const char *q = xrow + s * QUANT_QK_K;
    __m256i p = _mm256_setzero_si256(), i;
    __m256 sc;
    int k;

    #pragma GCC unroll 8
    for (k = 0; k < 5; k++) {
        uint32_t h = 0;
        __m256i xb;

        if (k < 4)
            memcpy(&h, q + 240 + 4 * k, 4);
        xb = _mm256_set_m128i(_mm_cvtsi32_si128((int)h),
                              _mm_loadu_si128((const __m128i *)(const void *)(q + 160 + 16 * k)));
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(
                                    _mm256_load_si256((const __m256i *)(const void *)(u->c + 32 * k)),
                                    _mm256_loadu_si256((const __m256i *)(const void *)(q + 32 * k))));
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(
                                    _mm256_load_si256((const __m256i *)(const void *)(u->c + 160 + 32 * k)),
                                    xb));
    }
    i = _mm256_madd_epi16(p, _mm256_set1_epi16(1));
    i = _mm256_sub_epi32(i, _mm256_zextsi128_si256(_mm_cvtsi32_si128(quant_act_sum(xrow, cols)[s])));
    sc = _mm256_mul_ps(u->d, _mm256_set1_ps(quant_act_d(xrow, cols)[s]));
    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), sc, *acc);
}

KERN_TILES(kern_rows_tq1_0_avx2, ktq1_tiles_avx2, KERN_AVX2, ktq1_avx2, __m256, KERN_ZERO256,
            kern_hsum256, KTQ_NSTEP, ktq1_unpack_avx2, ktq1_step_avx2,
            256, 4, 2)

#endif
