/* kern_tq_vnni.c: the AVX-512 VNNI row products of TQ2_0 weights with
 * Q8_K activations, sixteen weight rows to a vector (one row per lane), as
 * kern_q8_vnni.c does for Q8_0.
 *
 * Each (row, token) product is the sum over the row's 256-blocks, in
 * block order, of the block's exact integer dot product
 *     sum c x - sum x        (codes c = t + 1 in {0, 1, 2})
 * times d_w * d_x: one fused multiply-add per block and 16 rows.
 *
 * - Generation (one token): each row's block is unpacked to its codes
 *   with a mask and three GF(2) affine byte maps (GFNI: one instruction
 *   for each shift-and-mask), in the byte order of the format (byte
 *   32h + m, bit pair l: element 128h + 32l + m); the token's activations
 *   are gathered into that order once per block for the 16 rows; 4
 *   vpdpbusd per row, then the transposing tree of kern_simd.h sums the
 *   lanes.
 * - A few tokens (a draft's verification) and batches: the block's 16 x 16
 *   matrix of 4-byte groups of packed codes is transposed (four rounds of
 *   permutes), each group vector unpacked into 4 vectors of codes (16 rows
 *   x 4 elements), and each token's block is 64 vpdpbusd with its 4-byte
 *   groups of activations broadcast. A few tokens use each block at once,
 *   from registers; longer batches transpose each tile once per pass into
 *   a buffer that every token of the pass runs over.
 * Both give the same bits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kern_int.h"
#include "kern_simd.h"
#include "quant.h"
#include "xmalloc.h"

#if KERN_X86

#define KTQV_R KERN16_R     /* rows per tile, one per lane */
#define KTQV_FEW_MIN 5      /* from this many tokens (up to KTQV_FEW_MAX), blocks are transposed */
#define KTQV_FEW_MAX 16     /* up to this many tokens, blocks are transposed in registers */
#define KTQV_T KERN16_T     /* tokens per chunk */
#define KTQV_BS ((int64_t)sizeof(quant_block_tq2_0)) /* bytes per block (66) */
#define KTQV_VB 65          /* vectors per interleaved block: 64 of codes, 1 of scales */

/* The GF(2) affine map (vgf2p8affineqb) that moves bit pair l of each
 * byte to bits 0-1 and clears the rest: one instruction for a shift and a
 * mask. Row 7 - i of the 8x8 bit matrix (byte 7 - i of the qword) selects
 * the input bits of output bit i. */
#define KTQV_PAIR(l)                                                                     \
    _mm512_set1_epi64((long long)((1ull << (2 * (l))) << 56 | (2ull << (2 * (l))) << 48))

/* ---- generation ---- */

/* Rows r + i (i < 16, nv of them valid; the others repeat the last valid
 * one) times one token: y[r + i]. The weights ahead are prefetched. */
KERN_AVX512 static void
ktqv_gen(const char *w, size_t rb, int64_t r, int nv, const char *xt, int64_t cols, float *y)
{
    const char *w0 = w + (size_t)r * rb;
    const int8_t *xq = quant_act_qs(xt);
    const float *dx = quant_act_d(xt, cols);
    const int32_t *sx = quant_act_sum(xt, cols);
    int64_t nb = cols / QUANT_QK_K, s;
    size_t off[KTQV_R], ahead = kern_prefetch_rows(rb, KTQV_R) * rb;
    __m512i m3 = _mm512_set1_epi8(3), g1 = KTQV_PAIR(1), g2 = KTQV_PAIR(2), g3 = KTQV_PAIR(3);
    __m512 acc = _mm512_setzero_ps();
    int i, l;

    kern16_offsets(rb, nv, off);
    for (s = 0; s < nb; s++) {
        const char *bp = w0 + (size_t)(s * KTQV_BS);
        const int8_t *xb = xq + QUANT_QK_K * s;
        __m512i xa[4], p[KTQV_R], d0, d1;
        uint16_t sc[KTQV_R]; /* the rows' scales */

        /* activations in the codes' order: vector l is elements 32l..
         * and 128 + 32l.. */
        _Pragma("GCC unroll 4") for (l = 0; l < 4; l++)
            xa[l] = _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)(xb + 32 * l))),
                _mm256_loadu_si256((const __m256i *)(const void *)(xb + 128 + 32 * l)), 1);
        _Pragma("GCC unroll 16") for (i = 0; i < KTQV_R; i++) {
            const char *blk = bp + off[i];
            __m512i v = _mm512_loadu_si512((const void *)blk), a;

            memcpy(&sc[i], blk + 64, 2);
            __builtin_prefetch(blk + ahead, 0, 3);
            __builtin_prefetch(blk + ahead + KTQV_BS - 1, 0, 3);
            a = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(v, m3), xa[0]);
            a = _mm512_dpbusd_epi32(a, _mm512_gf2p8affine_epi64_epi8(v, g1, 0), xa[1]);
            a = _mm512_dpbusd_epi32(a, _mm512_gf2p8affine_epi64_epi8(v, g2, 0), xa[2]);
            p[i] = _mm512_dpbusd_epi32(a, _mm512_gf2p8affine_epi64_epi8(v, g3, 0), xa[3]);
        }
        kern_tree16(p, &d0, &d1);
        d0 = _mm512_add_epi32(_mm512_add_epi32(d0, d1), _mm512_set1_epi32(-sx[s]));
        acc = kern_fma16(d0, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc)),
                       dx[s], acc);
    }
    _mm512_mask_storeu_ps(y + r, (__mmask16)((1u << nv) - 1), acc);
}

/* ---- a few tokens and batches: blocks transposed ---- */

/* Where the activations of code vector v = 4d + l of a transposed block
 * start: raw 4-byte group d of the rows (bytes 4d..4d+3: h = d / 8, m =
 * 4 (d % 8)..) holds in bit pair l the codes of elements 128h + 32l + m... */
#define KTQV_XOFF(v) (128 * ((v) / 32) + 32 * ((v) % 4) + 4 * (((v) / 4) % 8))

#define KTQV_X8(v)                                                                       \
    KTQV_XOFF(v), KTQV_XOFF((v) + 1), KTQV_XOFF((v) + 2), KTQV_XOFF((v) + 3),            \
        KTQV_XOFF((v) + 4), KTQV_XOFF((v) + 5), KTQV_XOFF((v) + 6), KTQV_XOFF((v) + 7)
/* KTQV_XOFF of every code vector, for kern16_codes_chunk. */
static const short ktqv_xoff[64] = { KTQV_X8(0),  KTQV_X8(8),  KTQV_X8(16), KTQV_X8(24),
                                     KTQV_X8(32), KTQV_X8(40), KTQV_X8(48), KTQV_X8(56) };

/* Block b of the tile's 16 rows (bp: the block in row 0; off: the rows'
 * offsets from row 0): the 16 x 16 matrix of the rows' 4-byte groups of
 * codes is transposed (kern_transpose16), leaving group d of the 16 rows
 * in raw[d]; sc gets the rows' scales. The rows `ahead` bytes on are
 * prefetched. */
KERN_AVX512 static inline __attribute__((always_inline)) void
ktqv_block(const char *bp, const size_t *off, size_t ahead, __m512i *raw, uint16_t *sc)
{
    __m512i v[KTQV_R];
    int i;

    _Pragma("GCC unroll 16") for (i = 0; i < KTQV_R; i++) {
        const char *blk = bp + off[i];

        v[i] = _mm512_loadu_si512((const void *)blk);
        memcpy(&sc[i], blk + 64, 2);
        __builtin_prefetch(blk + ahead, 0, 3);
        __builtin_prefetch(blk + ahead + KTQV_BS - 1, 0, 3);
    }
    kern_transpose16(v);
    _Pragma("GCC unroll 16") for (i = 0; i < KTQV_R; i++)
        raw[i] = v[i];
}

/* The codes in bit pair l of raw groups: one mask or one affine map. */
KERN_AVX512 static inline __m512i
ktqv_codes(__m512i raw, int l)
{
    switch (l) {
    case 0:
        return _mm512_and_si512(raw, _mm512_set1_epi8(3));
    case 1:
        return _mm512_gf2p8affine_epi64_epi8(raw, KTQV_PAIR(1), 0);
    case 2:
        return _mm512_gf2p8affine_epi64_epi8(raw, KTQV_PAIR(2), 0);
    default:
        return _mm512_gf2p8affine_epi64_epi8(raw, KTQV_PAIR(3), 0);
    }
}

/* Rows r.. (nv valid) times tokens [t, t + T), T <= KTQV_T: each block
 * transposed, then its codes used at once by every token. */
KERN_AVX512 static inline __attribute__((always_inline)) void
ktqv_few(const char *w, size_t rb, int64_t r, int nv, const char *x, size_t xs, int64_t t,
         int64_t cols, float *y, int64_t ldy, const int T)
{
    const char *w0 = w + (size_t)r * rb;
    size_t off[KTQV_R], ahead = kern_prefetch_rows(rb, KTQV_R) * rb;
    __m512 acc[KTQV_T];
    __m512i ai[KTQV_T], raw[KTQV_R];
    int64_t nb = cols / QUANT_QK_K, b;
    int j, d, l;

    kern16_offsets(rb, nv, off);
    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        acc[j] = _mm512_setzero_ps();
    for (b = 0; b < nb; b++) {
        uint16_t sc[KTQV_R];
        __m512 dw;

        ktqv_block(w0 + (size_t)(b * KTQV_BS), off, ahead, raw, sc);
        dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc));
        kern16_start(ai, x, xs, t, cols, b, T);
        for (d = 0; d < KTQV_R; d++)
            _Pragma("GCC unroll 4") for (l = 0; l < 4; l++)
                kern16_dot(ai, ktqv_codes(raw[d], l), x, xs, t,
                           QUANT_QK_K * b + KTQV_XOFF(4 * d + l), T);
        kern16_scale(acc, ai, dw, x, xs, t, cols, b, T);
    }
    kern16_store(acc, y, ldy, t, r, nv, T);
}

KERN_AVX512 static void
ktqv_few_any(const char *w, size_t rb, int64_t r, int nv, const char *x, size_t xs, int64_t t,
             int64_t cols, float *y, int64_t ldy, int T)
{
    KERN16_BY_T(T, ktqv_few, w, rb, r, nv, x, xs, t, cols, y, ldy);
}

/* kern16_fill_fn: transpose every block of the tile (rows r + i, nv valid) into ub:
 * KTQV_VB vectors per block, code vector 4d + l then the scales. */
KERN_AVX512 static void
ktqv_interleave(const void *w, size_t rb, int64_t r, int nv, int64_t nb, void *ubuf)
{
    const char *w0 = (const char *)w + (size_t)r * rb;
    __m512i *ub = ubuf;
    size_t off[KTQV_R], ahead = kern_prefetch_rows(rb, KTQV_R) * rb;
    __m512i raw[KTQV_R];
    int64_t b;
    int i, l;

    kern16_offsets(rb, nv, off);
    for (b = 0; b < nb; b++) {
        __m512i *u = ub + b * KTQV_VB;
        uint16_t sc[KTQV_R];

        ktqv_block(w0 + (size_t)(b * KTQV_BS), off, ahead, raw, sc);
        for (i = 0; i < KTQV_R; i++)
            _Pragma("GCC unroll 4") for (l = 0; l < 4; l++)
                u[4 * i + l] = ktqv_codes(raw[i], l);
        u[64] = _mm512_castps_si512(
            _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc)));
    }
}

/* Tokens [t, t + T) times the interleaved tile (rows r.., nv valid). */
KERN_AVX512 static inline __attribute__((always_inline)) void
ktqv_chunk(const __m512i *ub, int64_t nb, const char *x, size_t xs, int64_t t, int64_t cols,
           float *y, int64_t ldy, int64_t r, int nv, const int T)
{
    __m512 acc[KTQV_T];

    kern16_codes_chunk(ub, nb, 64, ktqv_xoff, x, xs, t, cols, acc, T);
    kern16_store(acc, y, ldy, t, r, nv, T);
}

/* kern16_chunk_fn. */
KERN_AVX512 static void
ktqv_chunk_any(const void *ub, int64_t nb, const void *x, size_t xs, int64_t t, int64_t cols,
               float *y, int64_t ldy, int64_t r, int nv, int T)
{
    KERN16_BY_T(T, ktqv_chunk, ub, nb, x, xs, t, cols, y, ldy, r, nv);
}

void
kern_rows_tq2_0_avx512(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                       const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t t, r, tc = (n + (n + KTQV_T - 1) / KTQV_T - 1) / ((n + KTQV_T - 1) / KTQV_T);

    if (n > KTQV_FEW_MAX) {
        kern16_batch(ktqv_interleave, ktqv_chunk_any, KTQV_VB * sizeof(__m512i),
                     cols / QUANT_QK_K, w, row_bytes, r0, r1, cols, x, x_stride, n, y, ldy);
        return;
    }
    for (r = r0; r < r1; r += KTQV_R) {
        int nv = r1 - r < KTQV_R ? (int)(r1 - r) : KTQV_R;

        if (n < KTQV_FEW_MIN) {
            for (t = 0; t < n; t++)
                ktqv_gen(w, row_bytes, r, nv, (const char *)x + (size_t)t * x_stride, cols,
                         y + t * ldy);
            continue;
        }
        /* chunks of at most KTQV_T tokens, as even as can be */
        for (t = 0; t < n; t += tc)
            ktqv_few_any(w, row_bytes, r, nv, x, x_stride, t, cols, y, ldy,
                         n - t < tc ? (int)(n - t) : (int)tc);
    }
}

#endif
