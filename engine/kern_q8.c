/* kern_q8.c: row products of the 32-element block types Q8_0 and Q4_0
 * against Q8_0 activations: scalar references, AVX2 (one block per
 * vector: |w| times sign-adjusted activations with maddubs) and Q4_0's
 * AVX-512 VNNI (two blocks per vector, vpdpbusd; Q8_0's, sixteen rows to
 * a vector, is in kern_q8_vnni.c). Per block the integer dot product is
 * exact; it is scaled by d_w * d_x and summed in float. */
#include "config.h"

#include <string.h>

#include "fp16.h"
#include "kern_int.h"
#include "kern_simd.h"
#include "quant.h"

/* ---- scalar references: per block an int dot, then s += dot * (dw*dx) ---- */

void
kern_rows_q8_0_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                   const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t nb = cols / QUANT_QK, r, t, b;
    int j;

    for (r = r0; r < r1; r++) {
        const quant_block_q8_0 *wb =
            (const quant_block_q8_0 *)(const void *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const char *xt = (const char *)x + (size_t)t * x_stride;
            const int8_t *q = quant_act_qs(xt);
            const float *d = quant_act_d(xt, cols);
            float s = 0.0f;

            for (b = 0; b < nb; b++) {
                int dot = 0;

                for (j = 0; j < QUANT_QK; j++)
                    dot += wb[b].qs[j] * q[b * QUANT_QK + j];
                s += (float)dot * (fp16_to_f32(wb[b].d) * d[b]);
            }
            y[t * ldy + r] = s;
        }
    }
}

void
kern_rows_q4_0_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                   const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t nb = cols / QUANT_QK, r, t, b;
    int j;

    for (r = r0; r < r1; r++) {
        const quant_block_q4_0 *wb =
            (const quant_block_q4_0 *)(const void *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const char *xt = (const char *)x + (size_t)t * x_stride;
            const int8_t *q = quant_act_qs(xt);
            const float *d = quant_act_d(xt, cols);
            float s = 0.0f;

            for (b = 0; b < nb; b++) {
                const int8_t *qb = q + b * QUANT_QK;
                int dot = 0;

                for (j = 0; j < QUANT_QK / 2; j++)
                    dot += ((wb[b].qs[j] & 0x0f) - 8) * qb[j] +
                           ((wb[b].qs[j] >> 4) - 8) * qb[j + QUANT_QK / 2];
                s += (float)dot * (fp16_to_f32(wb[b].d) * d[b]);
            }
            y[t * ldy + r] = s;
        }
    }
}

#if KERN_X86

/* ---- AVX2: one block per step ---- */

/* One row's block: signed weights, their magnitudes, the scale. */
typedef struct kq8_avx2 {
    __m256i w;   /* weights as int8 */
    __m256i aw;  /* |w| */
    __m256 d;    /* d_w in every lane */
} kq8_avx2;

#define KQ8_NSTEP_AVX2(cols) ((cols) / QUANT_QK)

KERN_AVX2 static inline void
kq8_0_unpack_avx2(const char *row, int64_t s, int64_t cols, kq8_avx2 *u)
{
    const char *blk = row + (size_t)s * sizeof(quant_block_q8_0);

    (void)cols;
    u->w = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 2));
    u->aw = _mm256_abs_epi8(u->w);
    u->d = _mm256_set1_ps(kern_half(blk));
}

KERN_AVX2 static inline void
kq4_0_unpack_avx2(const char *row, int64_t s, int64_t cols, kq8_avx2 *u)
{
    const char *blk = row + (size_t)s * sizeof(quant_block_q4_0);
    __m128i q = _mm_loadu_si128((const __m128i *)(const void *)(blk + 2));
    __m256i v = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);

    (void)cols;
    v = _mm256_and_si256(v, _mm256_set1_epi8(0x0f));
    u->w = _mm256_sub_epi8(v, _mm256_set1_epi8(8));
    u->aw = _mm256_abs_epi8(u->w);
    u->d = _mm256_set1_ps(kern_half(blk));
}

/* acc += (sum of w * x over the block) * d_w * d_x, the sum kept in 8 lanes. */
KERN_AVX2 static inline void
kq8_step_avx2(const kq8_avx2 *u, const char *xrow, int64_t cols, int64_t s, __m256 *acc)
{
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(xrow + s * QUANT_QK));
    __m256i p = _mm256_maddubs_epi16(u->aw, _mm256_sign_epi8(a, u->w));
    __m256 f = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
    __m256 sc = _mm256_mul_ps(u->d, _mm256_set1_ps(quant_act_d(xrow, cols)[s]));

    *acc = _mm256_fmadd_ps(f, sc, *acc);
}

KERN_TILES(kern_rows_q8_0_avx2, kq8_0_tiles_avx2, KERN_AVX2, kq8_avx2, __m256, KERN_ZERO256,
            kern_hsum256, KQ8_NSTEP_AVX2, kq8_0_unpack_avx2, kq8_step_avx2,
            32, 4, 2)
KERN_TILES(kern_rows_q4_0_avx2, kq4_0_tiles_avx2, KERN_AVX2, kq8_avx2, __m256, KERN_ZERO256,
            kern_hsum256, KQ8_NSTEP_AVX2, kq4_0_unpack_avx2, kq8_step_avx2,
            32, 4, 2)

/* ---- AVX-512 VNNI: two blocks per step (the last one alone if odd) ----
 * vpdpbusd multiplies unsigned by signed bytes: the activations are
 * offset to x + 128 (unsigned) and each row's step carries the correction
 * -128 * sum w per lane, the starting value of the dot product. */

/* One row's pair of blocks. */
typedef struct kq8_avx512 {
    __m512i w;     /* weights of both blocks (zero past the row) */
    __m512i corr;  /* -128 * the sum of each lane's 4 weights */
    __m512 d;      /* d_w of block 0 in lanes 0-7, of block 1 in 8-15 */
} kq8_avx512;

#define KQ8_NSTEP_AVX512(cols) (((cols) / QUANT_QK + 1) / 2)

KERN_AVX512 static inline void
kq8_finish_avx512(__m512i w, float d0, float d1, kq8_avx512 *u)
{
    u->w = w;
    u->corr = _mm512_sub_epi32(_mm512_setzero_si512(),
                               _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                                   _mm512_set1_epi8((char)0x80), w));
    u->d = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(d0)),
                                                _mm256_castps_pd(_mm256_set1_ps(d1)), 1));
}

KERN_AVX512 static inline void
kq4_0_unpack_avx512(const char *row, int64_t s, int64_t cols, kq8_avx512 *u)
{
    const char *blk = row + (size_t)(2 * s) * sizeof(quant_block_q4_0);
    int full = 2 * s + 1 < cols / QUANT_QK;
    __m128i q0 = _mm_loadu_si128((const __m128i *)(const void *)(blk + 2));
    __m128i q1 = _mm_maskz_loadu_epi8(full ? 0xffff : 0, blk + 20);
    __m512i v, shift = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004, 0, 0,
                                        0x0004000400040004, 0x0004000400040004, 0, 0);

    /* [q0, q0 >> 4, q1, q1 >> 4] & 15 - 8: the blocks in element order */
    v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(q0, q0)),
                           _mm256_set_m128i(q1, q1), 1);
    v = _mm512_and_si512(_mm512_srlv_epi16(v, shift), _mm512_set1_epi8(0x0f));
    v = _mm512_maskz_sub_epi8(full ? ~(__mmask64)0 : 0xffffffffu, v, _mm512_set1_epi8(8));
    kq8_finish_avx512(v, kern_half(blk), full ? kern_half(blk + 18) : 0.0f, u);
}

/* acc += per block (w . x) * d_w * d_x, each block's sum kept in 8 lanes. */
KERN_AVX512 static inline void
kq8_step_avx512(const kq8_avx512 *u, const char *xrow, int64_t cols, int64_t s, __m512 *acc)
{
    int full = 2 * s + 1 < cols / QUANT_QK;
    __m512i a = _mm512_maskz_loadu_epi8(full ? ~(__mmask64)0 : 0xffffffffu, xrow + 64 * s);
    __m512 dx = _mm512_permutexvar_ps(
        _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        _mm512_castps128_ps512(_mm_maskz_loadu_ps(full ? 3 : 1, quant_act_d(xrow, cols) + 2 * s)));
    __m512i i = _mm512_dpbusd_epi32(u->corr, _mm512_xor_si512(a, _mm512_set1_epi8((char)0x80)),
                                    u->w);

    *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), _mm512_mul_ps(u->d, dx), *acc);
}

KERN_TILES(kern_rows_q4_0_avx512, kq4_0_tiles_avx512, KERN_AVX512, kq8_avx512, __m512,
            KERN_ZERO512, kern_hsum512, KQ8_NSTEP_AVX512, kq4_0_unpack_avx512, kq8_step_avx512,
            64, 4, 4)

#endif
