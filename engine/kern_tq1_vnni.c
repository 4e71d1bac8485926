/* kern_tq1_vnni.c: the AVX-512 VNNI row products of TQ1_0 weights with
 * Q8_K activations, sixteen weight rows to a vector (one row per lane), as
 * kern_tq_vnni.c does for TQ2_0.
 *
 * Each (row, token) product is the sum over the row's 256-blocks, in block
 * order, of the block's exact integer dot product sum c x - sum x (codes
 * c = t + 1 in {0, 1, 2}) times d_w * d_x: one fused multiply-add per
 * block and 16 rows.
 *
 * A block packs five base-3 digits in each of its 48 qs bytes and four in
 * each of its 4 qh bytes; digit k of byte m is the code of element 32k + m
 * (m < 32), 160 + 16k + m - 32 (m < 48) or 240 + 4k + m - 48 (m < 52), so
 * digit k of a 4-byte group holds 4 consecutive elements. The 13 groups of
 * the 16 rows are transposed (kern_transpose16), and digit k of transposed
 * group g is the 16 rows' codes of 4 elements, against which the tokens'
 * activations of those elements are broadcast: 65 vpdpbusd per token and
 * block. A few tokens (generation, a draft's verification) use each block
 * at once from registers; longer batches transpose each tile once per pass
 * into a buffer (kern16_batch). Both do the same operations per (row,
 * token) and give the same bits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kern_int.h"
#include "kern_simd.h"
#include "quant.h"

#if KERN_X86

#define KT1V_R KERN16_R     /* rows per tile, one per lane */
#define KT1V_T KERN16_T     /* tokens per chunk */
#define KT1V_FEW_MAX 8      /* up to this many tokens, blocks are transposed in registers */
#define KT1V_BS ((int64_t)sizeof(quant_block_tq1_0)) /* bytes per block (54) */
#define KT1V_NG 13          /* 4-byte groups of digits per block (48 + 4 bytes) */
#define KT1V_NV (5 * KT1V_NG) /* code vectors per block: digit k of group g is 5g + k */
#define KT1V_VB (KT1V_NV + 1) /* vectors per transposed block: codes, then scales */

/* Where the activations of code vector v (digit k = v % 5 of group g =
 * v / 5) start in the block: its first element. */
#define KT1V_M(v) (4 * ((v) / 5))
#define KT1V_XOFF(v)                                                                     \
    (KT1V_M(v) < 32   ? 32 * ((v) % 5) + KT1V_M(v)                                       \
     : KT1V_M(v) < 48 ? 160 + 16 * ((v) % 5) + KT1V_M(v) - 32                             \
                      : 240 + 4 * ((v) % 5) + KT1V_M(v) - 48)

#define KT1V_X8(v)                                                                       \
    KT1V_XOFF(v), KT1V_XOFF((v) + 1), KT1V_XOFF((v) + 2), KT1V_XOFF((v) + 3),            \
        KT1V_XOFF((v) + 4), KT1V_XOFF((v) + 5), KT1V_XOFF((v) + 6), KT1V_XOFF((v) + 7)
/* KT1V_XOFF of every code vector, for kern16_codes_chunk. */
static const short kt1v_xoff[KT1V_NV] = { KT1V_X8(0),  KT1V_X8(8),  KT1V_X8(16), KT1V_X8(24),
                                          KT1V_X8(32), KT1V_X8(40), KT1V_X8(48), KT1V_X8(56),
                                          KT1V_XOFF(64) };

/* The next base-3 digit of 64 bytes at once (the top one: 0 below 86, 1
 * below 171, else 2), and the bytes times 3 (mod 256) for the one after. */
KERN_AVX512 static inline __m512i
kt1v_digit(__m512i *x)
{
    __m512i v = *x;
    __mmask64 ge1 = _mm512_cmpge_epu8_mask(v, _mm512_set1_epi8(86));
    __mmask64 ge2 = _mm512_cmpge_epu8_mask(v, _mm512_set1_epi8((char)171));

    *x = _mm512_add_epi8(v, _mm512_add_epi8(v, v));
    return _mm512_mask_mov_epi8(_mm512_maskz_mov_epi8(ge1, _mm512_set1_epi8(1)), ge2,
                                _mm512_set1_epi8(2));
}

/* Block b of the tile's 16 rows (bp: the block in row 0; off: the rows'
 * offsets from row 0), transposed: raw[g] holds packed group g of the 16
 * rows (g < 13), sc the rows' scales. The rows `ahead` bytes on are
 * prefetched. */
KERN_AVX512 static inline __attribute__((always_inline)) void
kt1v_block(const char *bp, const size_t *off, size_t ahead, __m512i *raw, uint16_t *sc)
{
    int i;

    _Pragma("GCC unroll 16") for (i = 0; i < KT1V_R; i++) {
        const char *blk = bp + off[i];

        raw[i] = _mm512_maskz_loadu_epi8(0xfffffffffffffull, (const void *)blk);
        memcpy(&sc[i], blk + 52, 2);
        __builtin_prefetch(blk + ahead, 0, 3);
        __builtin_prefetch(blk + ahead + KT1V_BS - 1, 0, 3);
    }
    kern_transpose16(raw);
}

/* Rows r.. (nv valid) times tokens [t, t + T), T <= KT1V_T: each block
 * transposed, its digits unpacked and used at once by every token. */
KERN_AVX512 static inline __attribute__((always_inline)) void
kt1v_few(const char *w, size_t rb, int64_t r, int nv, const char *x, size_t xs, int64_t t,
         int64_t cols, float *y, int64_t ldy, const int T)
{
    const char *w0 = w + (size_t)r * rb;
    size_t off[KT1V_R], ahead = kern_prefetch_rows(rb, KT1V_R) * rb;
    __m512 acc[KT1V_T];
    __m512i ai[KT1V_T], raw[KT1V_R];
    int64_t nb = cols / QUANT_QK_K, b;
    int j, g, k;

    kern16_offsets(rb, nv, off);
    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        acc[j] = _mm512_setzero_ps();
    for (b = 0; b < nb; b++) {
        uint16_t sc[KT1V_R];
        __m512 dw;

        kt1v_block(w0 + (size_t)(b * KT1V_BS), off, ahead, raw, sc);
        dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc));
        kern16_start(ai, x, xs, t, cols, b, T);
        _Pragma("GCC unroll 13") for (g = 0; g < KT1V_NG; g++) {
            __m512i v = raw[g];

            _Pragma("GCC unroll 5") for (k = 0; k < 5; k++)
                kern16_dot(ai, kt1v_digit(&v), x, xs, t, QUANT_QK_K * b + KT1V_XOFF(5 * g + k),
                           T);
        }
        kern16_scale(acc, ai, dw, x, xs, t, cols, b, T);
    }
    kern16_store(acc, y, ldy, t, r, nv, T);
}

KERN_AVX512 static void
kt1v_few_any(const char *w, size_t rb, int64_t r, int nv, const char *x, size_t xs, int64_t t,
             int64_t cols, float *y, int64_t ldy, int T)
{
    KERN16_BY_T(T, kt1v_few, w, rb, r, nv, x, xs, t, cols, y, ldy);
}

/* kern16_fill_fn: every block of the tile transposed and unpacked into
 * ub, KT1V_VB vectors a block. */
KERN_AVX512 static void
kt1v_fill(const void *w, size_t rb, int64_t r, int nv, int64_t nb, void *ubuf)
{
    const char *w0 = (const char *)w + (size_t)r * rb;
    size_t off[KT1V_R], ahead = kern_prefetch_rows(rb, KT1V_R) * rb;
    __m512i *ub = ubuf, raw[KT1V_R];
    int64_t b;
    int g, k;

    kern16_offsets(rb, nv, off);
    for (b = 0; b < nb; b++) {
        __m512i *u = ub + b * KT1V_VB;
        uint16_t sc[KT1V_R];

        kt1v_block(w0 + (size_t)(b * KT1V_BS), off, ahead, raw, sc);
        for (g = 0; g < KT1V_NG; g++) {
            __m512i v = raw[g];

            _Pragma("GCC unroll 5") for (k = 0; k < 5; k++)
                u[5 * g + k] = kt1v_digit(&v);
        }
        u[KT1V_NV] = _mm512_castps_si512(
            _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc)));
    }
}

/* Tokens [t, t + T) times the transposed tile ub (rows r.., nv valid). */
KERN_AVX512 static inline __attribute__((always_inline)) void
kt1v_chunk(const __m512i *ub, int64_t nb, const char *x, size_t xs, int64_t t, int64_t cols,
           float *y, int64_t ldy, int64_t r, int nv, const int T)
{
    __m512 acc[KT1V_T];

    kern16_codes_chunk(ub, nb, KT1V_NV, kt1v_xoff, x, xs, t, cols, acc, T);
    kern16_store(acc, y, ldy, t, r, nv, T);
}

/* kern16_chunk_fn. */
KERN_AVX512 static void
kt1v_chunk_any(const void *ub, int64_t nb, const void *x, size_t xs, int64_t t, int64_t cols,
               float *y, int64_t ldy, int64_t r, int nv, int T)
{
    KERN16_BY_T(T, kt1v_chunk, ub, nb, x, xs, t, cols, y, ldy, r, nv);
}

void
kern_rows_tq1_0_avx512(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                       const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t r;

    if (n > KT1V_FEW_MAX) {
        kern16_batch(kt1v_fill, kt1v_chunk_any, KT1V_VB * sizeof(__m512i), cols / QUANT_QK_K,
                     w, row_bytes, r0, r1, cols, x, x_stride, n, y, ldy);
        return;
    }
    for (r = r0; r < r1; r += KT1V_R)
        kt1v_few_any(w, row_bytes, r, r1 - r < KT1V_R ? (int)(r1 - r) : KT1V_R, x, x_stride, 0,
                     cols, y, ldy, (int)n);
}

#endif
