/* kern_q8_vnni.c: the AVX-512 VNNI row products of Q8_0 weights with Q8_0
 * activations, sixteen weight rows to a vector (one row per lane).
 *
 * Each (row, token) product is the sum over the row's blocks, in block
 * order, of the block's exact integer dot product times d_w * d_x: one
 * fused multiply-add per block, so the block scales cost a few vector
 * operations per 16 rows rather than per row.
 *
 * A block of a 16-row tile is transposed (kq8v_block) into eight vectors,
 * vector j holding bytes 4j..4j+3 of the 16 rows (offset to unsigned), and
 * one of the 16 scales; each token's block is then 8 vpdpbusd with the
 * token's 4-byte groups broadcast, which keeps the multiply units busy.
 * - A few tokens (generation, the verification of a draft): each block is
 *   transposed in registers and used at once by every token, the weights
 *   ahead prefetched, so the rows stream from memory once for all.
 * - Longer batches (prompts): each tile is transposed once per pass into
 *   a buffer (L2) that every token of the pass then runs over.

 * Offsetting the weights to unsigned (w + 128, what vpdpbusd multiplies
 * by signed bytes) adds 128 * (sum of the block's activations), taken off
 * again per token and block with the sums the activation rows carry. Both
 * paths do the same operations per (row, token) and give the same bits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kern_int.h"
#include "kern_simd.h"
#include "quant.h"
#include "xmalloc.h"

#if KERN_X86

#define KQ8V_R KERN16_R     /* rows per tile, one per lane */
#define KQ8V_FEW_MAX 8      /* up to this many tokens, blocks are transposed in registers */
#define KQ8V_T KERN16_T     /* tokens per chunk */
#define KQ8V_BS ((int64_t)sizeof(quant_block_q8_0)) /* bytes per block (34) */
#define KQ8V_VB 9           /* vectors per interleaved block: 8 of weights, 1 of scales */

/* Index tables of the transpose (kq8v_block). */
#define KQ8V_IDX(...) _mm512_setr_epi32(__VA_ARGS__)

/* Block b of the tile's 16 rows (bp: the block in row 0; off: the rows'
 * offsets from row 0) into u[0..8]: u[j] holds bytes 4j..4j+3 of the 16
 * rows, offset to unsigned, u[8] the 16 scales. The block is a 16 x 8
 * matrix of 4-byte groups, loaded two rows to a vector and transposed in
 * three rounds of two-source permutes (each halves the groups a vector
 * holds and doubles its rows; the index tables come from tracking each
 * lane's (row, group) through the rounds). The rows `ahead` bytes on are
 * prefetched. */
KERN_AVX512 static inline __attribute__((always_inline)) void
kq8v_block(const char *bp, const size_t *off, size_t ahead, __m512i *u)
{
    const __m512i ia0 = KQ8V_IDX(0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
    const __m512i ia1 = KQ8V_IDX(4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);
    const __m512i ib0 = KQ8V_IDX(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const __m512i ib1 = KQ8V_IDX(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    const __m512i ic0 = KQ8V_IDX(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i ic1 = KQ8V_IDX(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    __m512i flip = _mm512_set1_epi8((char)0x80), z[8], a[2][4], c[2][2][2];
    uint16_t sc[KQ8V_R]; /* the rows' scales */
    int k;

    /* z[k]: rows 2k and 2k + 1, groups 0..7 each */
    _Pragma("GCC unroll 8") for (k = 0; k < 8; k++) {
        const char *b0 = bp + off[2 * k], *b1 = bp + off[2 * k + 1];

        z[k] = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)(b0 + 2))),
            _mm256_loadu_si256((const __m256i *)(const void *)(b1 + 2)), 1);
        memcpy(&sc[2 * k], b0, 2);
        memcpy(&sc[2 * k + 1], b1, 2);
        __builtin_prefetch(b0 + ahead, 0, 3);
        __builtin_prefetch(b1 + ahead, 0, 3);
    }
    /* a[h][k]: rows {2k, 2k+1, 2k+8, 2k+9}, groups 4h..4h+3 */
    _Pragma("GCC unroll 4") for (k = 0; k < 4; k++) {
        a[0][k] = _mm512_permutex2var_epi32(z[k], ia0, z[k + 4]);
        a[1][k] = _mm512_permutex2var_epi32(z[k], ia1, z[k + 4]);
    }
    /* c[h][p][q]: rows {0-3, 8-11} (p 0) or {4-7, 12-15} (p 1), groups 4h + 2q.. */
    _Pragma("GCC unroll 2") for (k = 0; k < 2; k++) {
        c[k][0][0] = _mm512_permutex2var_epi32(a[k][0], ib0, a[k][1]);
        c[k][0][1] = _mm512_permutex2var_epi32(a[k][0], ib1, a[k][1]);
        c[k][1][0] = _mm512_permutex2var_epi32(a[k][2], ib0, a[k][3]);
        c[k][1][1] = _mm512_permutex2var_epi32(a[k][2], ib1, a[k][3]);
    }
    /* group 4h + 2q + e: rows 0-15 in order */
    _Pragma("GCC unroll 2") for (k = 0; k < 2; k++) {
        u[4 * k] = _mm512_xor_si512(_mm512_permutex2var_epi32(c[k][0][0], ic0, c[k][1][0]), flip);
        u[4 * k + 1] = _mm512_xor_si512(_mm512_permutex2var_epi32(c[k][0][0], ic1, c[k][1][0]), flip);
        u[4 * k + 2] = _mm512_xor_si512(_mm512_permutex2var_epi32(c[k][0][1], ic0, c[k][1][1]), flip);
        u[4 * k + 3] = _mm512_xor_si512(_mm512_permutex2var_epi32(c[k][0][1], ic1, c[k][1][1]), flip);
    }
    u[8] = _mm512_castps_si512(
        _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc)));
}

/* acc += the interleaved block u (block b of the tile) times token xt:
 * 8 vpdpbusd with the token's 4-byte groups broadcast. */
KERN_AVX512 static inline __attribute__((always_inline)) __m512
kq8v_step(const __m512i *u, const char *xt, int64_t cols, int64_t b, __m512 acc)
{
    const char *q = xt + QUANT_QK * b;
    __m512i a = _mm512_set1_epi32(-128 * quant_act_bsum32(xt, cols)[b]);

    a = _mm512_dpbusd_epi32(a, u[0], _mm512_set1_epi32(kern_load32(q)));
    a = _mm512_dpbusd_epi32(a, u[1], _mm512_set1_epi32(kern_load32(q + 4)));
    a = _mm512_dpbusd_epi32(a, u[2], _mm512_set1_epi32(kern_load32(q + 8)));
    a = _mm512_dpbusd_epi32(a, u[3], _mm512_set1_epi32(kern_load32(q + 12)));
    a = _mm512_dpbusd_epi32(a, u[4], _mm512_set1_epi32(kern_load32(q + 16)));
    a = _mm512_dpbusd_epi32(a, u[5], _mm512_set1_epi32(kern_load32(q + 20)));
    a = _mm512_dpbusd_epi32(a, u[6], _mm512_set1_epi32(kern_load32(q + 24)));
    a = _mm512_dpbusd_epi32(a, u[7], _mm512_set1_epi32(kern_load32(q + 28)));
    return kern_fma16(a, _mm512_castsi512_ps(u[8]), quant_act_d(xt, cols)[b], acc);
}

/* ---- a few tokens: each block transposed in registers, then used ---- */

/* Rows r.. (nv valid) times tokens [t, t + T), T <= KQ8V_T. */
KERN_AVX512 static inline __attribute__((always_inline)) void
kq8v_few(const char *w, size_t rb, int64_t r, int nv, const char *x, size_t xs, int64_t t,
         int64_t cols, float *y, int64_t ldy, const int T)
{
    const char *w0 = w + (size_t)r * rb;
    size_t off[KQ8V_R], ahead = kern_prefetch_rows(rb, KQ8V_R) * rb;
    __m512 acc[KQ8V_T];
    int64_t nb = cols / QUANT_QK, b;
    int j;

    kern16_offsets(rb, nv, off);
    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        acc[j] = _mm512_setzero_ps();
    for (b = 0; b < nb; b++) {
        __m512i u[KQ8V_VB];

        kq8v_block(w0 + (size_t)(b * KQ8V_BS), off, ahead, u);
        _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
            acc[j] = kq8v_step(u, x + (size_t)(t + j) * xs, cols, b, acc[j]);
    }
    kern16_store(acc, y, ldy, t, r, nv, T);
}

KERN_AVX512 static void
kq8v_few_any(const char *w, size_t rb, int64_t r, int nv, const char *x, size_t xs, int64_t t,
             int64_t cols, float *y, int64_t ldy, int T)
{
    KERN16_BY_T(T, kq8v_few, w, rb, r, nv, x, xs, t, cols, y, ldy);
}

/* ---- batches: each tile interleaved once into a buffer ---- */

/* Tokens [t, t + T) times the interleaved tile ub (rows r.., nv valid). */
KERN_AVX512 static inline __attribute__((always_inline)) void
kq8v_chunk(const __m512i *ub, int64_t nb, const char *x, size_t xs, int64_t t, int64_t cols,
           float *y, int64_t ldy, int64_t r, int nv, const int T)
{
    __m512 acc[KQ8V_T];
    int64_t b;
    int j;

    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        acc[j] = _mm512_setzero_ps();
    for (b = 0; b < nb; b++) {
        const __m512i *u0 = ub + b * KQ8V_VB;
        __m512i u[KQ8V_VB];

        _Pragma("GCC unroll 9") for (j = 0; j < KQ8V_VB; j++)
            u[j] = u0[j];
        _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
            acc[j] = kq8v_step(u, x + (size_t)(t + j) * xs, cols, b, acc[j]);
    }
    kern16_store(acc, y, ldy, t, r, nv, T);
}

/* kern16_fill_fn: every block of the tile, transposed into ub. */
KERN_AVX512 static void
kq8v_fill(const void *w, size_t rb, int64_t r, int nv, int64_t nb, void *ub)
{
    size_t off[KQ8V_R], ahead = kern_prefetch_rows(rb, KQ8V_R) * rb;
    int64_t b;

    kern16_offsets(rb, nv, off);
    for (b = 0; b < nb; b++)
        kq8v_block((const char *)w + (size_t)r * rb + (size_t)(b * KQ8V_BS), off, ahead,
                   (__m512i *)ub + b * KQ8V_VB);
}

/* kern16_chunk_fn. */
KERN_AVX512 static void
kq8v_chunk_any(const void *ub, int64_t nb, const void *x, size_t xs, int64_t t, int64_t cols,
               float *y, int64_t ldy, int64_t r, int nv, int T)
{
    KERN16_BY_T(T, kq8v_chunk, ub, nb, x, xs, t, cols, y, ldy, r, nv);
}

void
kern_rows_q8_0_avx512(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                      const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t t, r;

    if (n > KQ8V_FEW_MAX) {
        kern16_batch(kq8v_fill, kq8v_chunk_any, KQ8V_VB * sizeof(__m512i), cols / QUANT_QK, w,
                     row_bytes, r0, r1, cols, x, x_stride, n, y, ldy);
        return;
    }
    for (r = r0; r < r1; r += KQ8V_R) {
        int nv = r1 - r < KQ8V_R ? (int)(r1 - r) : KQ8V_R;

        for (t = 0; t < n; t += KQ8V_T)
            kq8v_few_any(w, row_bytes, r, nv, x, x_stride, t, cols, y, ldy,
                         n - t < KQ8V_T ? (int)(n - t) : KQ8V_T);
    }
}

#endif
