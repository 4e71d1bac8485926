/* kern_tq_vnni.c: the AVX-512 VNNI row products of TQ2_0 weights with
 * Q8_K activations, sixteen weight rows to a vector (one row per lane), as
 * kern_q8_vnni.c does for Q8_0.
 *
 * Each (row, token) product is the sum over the row's 256-blocks, in
 * block order, of the block's exact integer dot product
 *     sum c x - sum x        (codes c = t + 1 in {0, 1, 2})
 * times d_w * d_x: one fused multiply-add per block and 16 rows.
 *
 * - Generation (a few tokens): each row's block is unpacked to its codes
 *   with a mask and three GF(2) affine byte maps (GFNI: one instruction
 *   for each shift-and-mask), in the byte order of the format (byte
 *   32h + m, bit pair l: element 128h + 32l + m); the token's activations are
 *   gathered into that order once per block for the 16 rows; 4 vpdpbusd
 *   per row, then the transposing tree of kern_simd.h sums the lanes.
 * - Batches: the codes of a 16-row tile are interleaved once per pass
 *   (block b: 64 vectors, vector j holding elements 4j..4j+3 of the 16
 *   rows, then one of the 16 scales), and each token's block is 64
 *   vpdpbusd with its 4-byte groups broadcast.
 * Both give the same bits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kern_int.h"
#include "kern_simd.h"
#include "quant.h"
#include "xmalloc.h"

#if KERN_X86

#define KTQV_R 16           /* rows per tile, one per lane */
#define KTQV_BATCH_MIN 8    /* tokens from which the codes are interleaved */
#define KTQV_T 8            /* tokens per chunk of a batch */
#define KTQV_BS ((int64_t)sizeof(quant_block_tq2_0)) /* bytes per block (66) */
#define KTQV_VB 65          /* vectors per interleaved block: 64 of codes, 1 of scales */

/* A 4-byte group at p (any alignment). */
static inline int32_t
ktqv_load32(const void *p)
{
    int32_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* The GF(2) affine map (vgf2p8affineqb) that moves bit pair l of each
 * byte to bits 0-1 and clears the rest: one instruction for a shift and a
 * mask. Row 7 - i of the 8x8 bit matrix (byte 7 - i of the qword) selects
 * the input bits of output bit i. */
#define KTQV_PAIR(l)                                                                     \
    _mm512_set1_epi64((long long)((1ull << (2 * (l))) << 56 | (2ull << (2 * (l))) << 48))

/* acc (rows of the tile) += dot * d_w * d_x, the fused step of a block. */
KERN_AVX512 static inline __m512
ktqv_fma(__m512i dot, __m512 dw, float dx, __m512 acc)
{
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, _mm512_set1_ps(dx)), acc);
}

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

    for (i = 0; i < KTQV_R; i++)
        off[i] = (size_t)(i < nv ? i : nv - 1) * rb;
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
        acc = ktqv_fma(d0, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc)),
                       dx[s], acc);
    }
    _mm512_mask_storeu_ps(y + r, (__mmask16)((1u << nv) - 1), acc);
}

/* ---- batches ---- */

/* Interleave the tile's rows (r + i, nv valid) into ub: KTQV_VB vectors
 * per block. cbuf: 16 * 256 bytes of scratch for the rows' codes. */
KERN_AVX512 static void
ktqv_interleave(const char *w, size_t rb, int64_t r, int nv, int64_t nb, __m512i *ub,
                uint8_t *cbuf)
{
    const char *w0 = w + (size_t)r * rb;
    __m512i vo = _mm512_mullo_epi32(
        _mm512_min_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                         _mm512_set1_epi32(nv - 1)),
        _mm512_set1_epi32(QUANT_QK_K));
    __m512i m3 = _mm512_set1_epi8(3);
    int64_t b;
    int i, j;

    for (b = 0; b < nb; b++) {
        __m512i *u = ub + b * KTQV_VB;
        uint16_t sc[KTQV_R];

        for (i = 0; i < KTQV_R; i++) {
            const char *blk = w0 + (size_t)(i < nv ? i : nv - 1) * rb + (size_t)(b * KTQV_BS);
            __m512i v = _mm512_loadu_si512((const void *)blk);
            __m512i c0 = _mm512_and_si512(v, m3);
            __m512i c1 = _mm512_and_si512(_mm512_srli_epi16(v, 2), m3);
            __m512i c2 = _mm512_and_si512(_mm512_srli_epi16(v, 4), m3);
            __m512i c3 = _mm512_and_si512(_mm512_srli_epi16(v, 6), m3);
            __m512i *dst = (__m512i *)(void *)(cbuf + QUANT_QK_K * i);

            /* element order: 32-byte halves of c0 c1 c2 c3 (h = 0), then (h = 1) */
            _mm512_store_si512(dst, _mm512_shuffle_i64x2(c0, c1, 0x44));
            _mm512_store_si512(dst + 1, _mm512_shuffle_i64x2(c2, c3, 0x44));
            _mm512_store_si512(dst + 2, _mm512_shuffle_i64x2(c0, c1, 0xee));
            _mm512_store_si512(dst + 3, _mm512_shuffle_i64x2(c2, c3, 0xee));
            memcpy(&sc[i], blk + 64, 2);
        }
        for (j = 0; j < QUANT_QK_K / 4; j++)
            u[j] = _mm512_i32gather_epi32(vo, (const void *)(cbuf + 4 * j), 1);
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
    __m512i ai[KTQV_T];
    int64_t b;
    int j, g;

    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        acc[j] = _mm512_setzero_ps();
    for (b = 0; b < nb; b++) {
        const __m512i *u = ub + b * KTQV_VB;

        _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
            ai[j] = _mm512_set1_epi32(-quant_act_sum(x + (size_t)(t + j) * xs, cols)[b]);
        for (g = 0; g < 8; g++) {
            const __m512i *ug = u + 8 * g;
            __m512i w0 = ug[0], w1 = ug[1], w2 = ug[2], w3 = ug[3];
            __m512i w4 = ug[4], w5 = ug[5], w6 = ug[6], w7 = ug[7];

            _Pragma("GCC unroll 8") for (j = 0; j < T; j++) {
                const char *q = x + (size_t)(t + j) * xs + QUANT_QK_K * b + 32 * g;
                __m512i a = ai[j];

                a = _mm512_dpbusd_epi32(a, w0, _mm512_set1_epi32(ktqv_load32(q)));
                a = _mm512_dpbusd_epi32(a, w1, _mm512_set1_epi32(ktqv_load32(q + 4)));
                a = _mm512_dpbusd_epi32(a, w2, _mm512_set1_epi32(ktqv_load32(q + 8)));
                a = _mm512_dpbusd_epi32(a, w3, _mm512_set1_epi32(ktqv_load32(q + 12)));
                a = _mm512_dpbusd_epi32(a, w4, _mm512_set1_epi32(ktqv_load32(q + 16)));
                a = _mm512_dpbusd_epi32(a, w5, _mm512_set1_epi32(ktqv_load32(q + 20)));
                a = _mm512_dpbusd_epi32(a, w6, _mm512_set1_epi32(ktqv_load32(q + 24)));
                ai[j] = _mm512_dpbusd_epi32(a, w7, _mm512_set1_epi32(ktqv_load32(q + 28)));
            }
        }
        _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
            acc[j] = ktqv_fma(ai[j], _mm512_castsi512_ps(u[64]),
                              quant_act_d(x + (size_t)(t + j) * xs, cols)[b], acc[j]);
    }
    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        _mm512_mask_storeu_ps(y + (t + j) * ldy + r, (__mmask16)((1u << nv) - 1), acc[j]);
}

/* Tokens per pass: as many as about 4 MiB of activation rows (see
 * kern_q8_vnni.c), a multiple of KTQV_T. */
static int64_t
ktqv_pass(size_t xs, int64_t n)
{
    int64_t tb = (int64_t)((4u << 20) / (xs ? xs : 1));

    tb -= tb % KTQV_T;
    if (tb < KTQV_T)
        tb = KTQV_T;
    return tb < n ? tb : n;
}

KERN_AVX512 static void
ktqv_batch(const char *w, size_t rb, int64_t r0, int64_t r1, int64_t cols, const char *x,
           size_t xs, int64_t n, float *y, int64_t ldy)
{
    int64_t nb = cols / QUANT_QK_K, tb = ktqv_pass(xs, n), t0, t, r;
    size_t ubytes = (size_t)nb * KTQV_VB * sizeof(__m512i);
    char *buf = xmalloc(ubytes + (size_t)KTQV_R * QUANT_QK_K + 63);
    __m512i *ub = (__m512i *)(void *)(buf + ((64 - ((uintptr_t)buf & 63)) & 63));
    uint8_t *cbuf = (uint8_t *)(ub + (size_t)nb * KTQV_VB);

    for (t0 = 0; t0 < n; t0 += tb) {
        int64_t t1 = t0 + tb < n ? t0 + tb : n;

        for (r = r0; r < r1; r += KTQV_R) {
            int nv = r1 - r < KTQV_R ? (int)(r1 - r) : KTQV_R;

            ktqv_interleave(w, rb, r, nv, nb, ub, cbuf);
            for (t = t0; t + KTQV_T <= t1; t += KTQV_T)
                ktqv_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, KTQV_T);
            switch (t1 - t) {
            case 7: ktqv_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 7); break;
            case 6: ktqv_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 6); break;
            case 5: ktqv_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 5); break;
            case 4: ktqv_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 4); break;
            case 3: ktqv_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 3); break;
            case 2: ktqv_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 2); break;
            case 1: ktqv_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 1); break;
            default: break;
            }
        }
    }
    free(buf);
}

void
kern_rows_tq2_0_avx512(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                       const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t t, r;

    if (n >= KTQV_BATCH_MIN) {
        ktqv_batch(w, row_bytes, r0, r1, cols, x, x_stride, n, y, ldy);
        return;
    }
    for (r = r0; r < r1; r += KTQV_R) {
        int nv = r1 - r < KTQV_R ? (int)(r1 - r) : KTQV_R;

        for (t = 0; t < n; t++)
            ktqv_gen(w, row_bytes, r, nv, (const char *)x + (size_t)t * x_stride, cols,
                     y + t * ldy);
    }
}

#endif
