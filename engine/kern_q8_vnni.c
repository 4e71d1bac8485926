/* kern_q8_vnni.c: the AVX-512 VNNI row products of Q8_0 weights with Q8_0
 * activations, sixteen weight rows to a vector (one row per lane).
 *
 * Each (row, token) product is the sum over the row's blocks, in block
 * order, of the block's exact integer dot product times d_w * d_x: one
 * fused multiply-add per block, so the block scales cost a few vector
 * operations per 16 rows rather than per row.
 *
 * - Batches (n >= KQ8V_BATCH_MIN tokens): 16 rows are interleaved once per
 *   pass over the tokens into a buffer: for block b, eight vectors holding
 *   bytes 4j..4j+3 of the 16 rows (offset to unsigned) and one of the 16
 *   scales; each token's block is then 8 vpdpbusd with the token's 4-byte
 *   groups broadcast, which keeps the multiply units busy.
 * - Generation (a few tokens): 16 rows of a step of two blocks times the
 *   token, 16 vpdpbusd, then a transposing tree of adds that leaves the 16
 *   rows' block sums in one vector per block.
 *
 * Offsetting the weights to unsigned (w + 128, what vpdpbusd multiplies
 * by signed bytes) adds 128 * (sum of the block's activations), taken off
 * again per token and block with the sums the activation rows carry. Both
 * paths give the same bits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kern_int.h"
#include "kern_simd.h"
#include "quant.h"
#include "xmalloc.h"

#if KERN_X86

#define KQ8V_R 16           /* rows per tile, one per lane */
#define KQ8V_BATCH_MIN 8    /* tokens from which the weights are interleaved */
#define KQ8V_T 8            /* tokens per chunk of a batch */
#define KQ8V_BS ((int64_t)sizeof(quant_block_q8_0)) /* bytes per block (34) */
#define KQ8V_VB 9           /* vectors per interleaved block: 8 of weights, 1 of scales */

/* A 4-byte group at p (any alignment). */
static inline int32_t
kq8v_load32(const void *p)
{
    int32_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* Byte offsets of the tile's rows from its first one: row i is r + i,
 * rows past the nv valid ones repeat the last valid one. */
KERN_AVX512 static inline __m512i
kq8v_offsets(size_t rb, int nv)
{
    __m512i i = _mm512_min_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
                                                  3, 2, 1, 0),
                                 _mm512_set1_epi32(nv - 1));

    return _mm512_mullo_epi32(i, _mm512_set1_epi32((int)rb));
}

/* The 16 rows' scales of the block at byte p of row 0 (vo: row offsets). */
KERN_AVX512 static inline __m512
kq8v_scales(const char *p, __m512i vo)
{
    __m512i g = _mm512_i32gather_epi32(vo, (const void *)p, 1);

    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
}

/* acc (rows of the tile) += dot * d_w * d_x, the fused step of a block. */
KERN_AVX512 static inline __m512
kq8v_fma(__m512i dot, __m512 dw, const float *dx, __m512 acc)
{
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, _mm512_set1_ps(*dx)), acc);
}

/* ---- generation ---- */

/* Rows r + i (i < 16, nv of them valid) times one token: y[r + i]. The
 * weights ahead are prefetched. */
KERN_AVX512 static void
kq8v_gen(const char *w, size_t rb, int64_t r, int nv, const char *xt, int64_t cols, float *y)
{
    const char *w0 = w + (size_t)r * rb;
    const int8_t *xq = quant_act_qs(xt);
    const float *dx = quant_act_d(xt, cols);
    const int32_t *bs = quant_act_bsum32(xt, cols);
    int64_t nb = cols / QUANT_QK, s;
    size_t off[KQ8V_R], ahead = kern_prefetch_rows(rb, KQ8V_R) * rb;
    __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512 acc = _mm512_setzero_ps();
    int i;

    for (i = 0; i < KQ8V_R; i++)
        off[i] = (size_t)(i < nv ? i : nv - 1) * rb;
    for (s = 0; 2 * s < nb; s++) {
        int full = 2 * s + 1 < nb;
        const char *bp = w0 + (size_t)(2 * s * KQ8V_BS);
        __m512i a = _mm512_maskz_loadu_epi8(full ? ~(__mmask64)0 : 0xffffffffu, xq + 64 * s);
        __m512i p[KQ8V_R], d0, d1;
        uint16_t sc[2][KQ8V_R]; /* the rows' scales of the two blocks */

        _Pragma("GCC unroll 16") for (i = 0; i < KQ8V_R; i++) {
            const char *blk = bp + off[i];
            __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 2));
            __m256i hi = _mm256_maskz_loadu_epi8(full ? 0xffffffffu : 0, blk + KQ8V_BS + 2);
            __m512i wv = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);

            memcpy(&sc[0][i], blk, 2);
            memcpy(&sc[1][i], blk + KQ8V_BS, 2);
            __builtin_prefetch(blk + ahead, 0, 3);
            __builtin_prefetch(blk + ahead + 2 * KQ8V_BS - 1, 0, 3);
            p[i] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(wv, flip), a);
        }
        kern_tree16(p, &d0, &d1);
        acc = kq8v_fma(_mm512_add_epi32(d0, _mm512_set1_epi32(-128 * bs[2 * s])),
                       _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc[0])),
                       dx + 2 * s, acc);
        if (full)
            acc = kq8v_fma(_mm512_add_epi32(d1, _mm512_set1_epi32(-128 * bs[2 * s + 1])),
                           _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)sc[1])),
                           dx + 2 * s + 1, acc);
    }
    _mm512_mask_storeu_ps(y + r, (__mmask16)((1u << nv) - 1), acc);
}

/* ---- batches ---- */

/* Interleave the tile's rows (r + i, nv valid) into ub: KQ8V_VB vectors
 * per block (kq8v_* comment at the top). */
KERN_AVX512 static void
kq8v_interleave(const char *w, size_t rb, int64_t r, int nv, int64_t nb, __m512i *ub)
{
    const char *w0 = w + (size_t)r * rb;
    __m512i vo = kq8v_offsets(rb, nv), flip = _mm512_set1_epi8((char)0x80);
    int64_t b;
    int j;

    for (b = 0; b < nb; b++) {
        const char *blk = w0 + (size_t)(b * KQ8V_BS);
        __m512i *u = ub + b * KQ8V_VB;

        for (j = 0; j < 8; j++)
            u[j] = _mm512_xor_si512(_mm512_i32gather_epi32(vo, (const void *)(blk + 2 + 4 * j), 1),
                                    flip);
        u[8] = _mm512_castps_si512(kq8v_scales(blk, vo));
    }
}

/* Tokens [t, t + T) times the interleaved tile (rows r.., nv valid). */
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
        const __m512i *u = ub + b * KQ8V_VB;
        __m512i w0 = u[0], w1 = u[1], w2 = u[2], w3 = u[3];
        __m512i w4 = u[4], w5 = u[5], w6 = u[6], w7 = u[7];
        __m512 dw = _mm512_castsi512_ps(u[8]);

        _Pragma("GCC unroll 8") for (j = 0; j < T; j++) {
            const char *xt = x + (size_t)(t + j) * xs;
            const char *q = xt + QUANT_QK * b;
            __m512i a = _mm512_set1_epi32(-128 * quant_act_bsum32(xt, cols)[b]);

            a = _mm512_dpbusd_epi32(a, w0, _mm512_set1_epi32(kq8v_load32(q)));
            a = _mm512_dpbusd_epi32(a, w1, _mm512_set1_epi32(kq8v_load32(q + 4)));
            a = _mm512_dpbusd_epi32(a, w2, _mm512_set1_epi32(kq8v_load32(q + 8)));
            a = _mm512_dpbusd_epi32(a, w3, _mm512_set1_epi32(kq8v_load32(q + 12)));
            a = _mm512_dpbusd_epi32(a, w4, _mm512_set1_epi32(kq8v_load32(q + 16)));
            a = _mm512_dpbusd_epi32(a, w5, _mm512_set1_epi32(kq8v_load32(q + 20)));
            a = _mm512_dpbusd_epi32(a, w6, _mm512_set1_epi32(kq8v_load32(q + 24)));
            a = _mm512_dpbusd_epi32(a, w7, _mm512_set1_epi32(kq8v_load32(q + 28)));
            acc[j] = kq8v_fma(a, dw, quant_act_d(xt, cols) + b, acc[j]);
        }
    }
    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        _mm512_mask_storeu_ps(y + (t + j) * ldy + r, (__mmask16)((1u << nv) - 1), acc[j]);
}

/* Tokens per pass: as many as about 4 MiB of activation rows. Each
 * activation byte loaded serves 16 rows, so they can stream from the L3
 * cache while a tile's interleaved weights stay in L2; long passes spread
 * the interleaving (9 gathers per block) over many tokens. A multiple of
 * KQ8V_T. */
static int64_t
kq8v_pass(size_t xs, int64_t n)
{
    int64_t tb = (int64_t)((4u << 20) / (xs ? xs : 1));

    tb -= tb % KQ8V_T;
    if (tb < KQ8V_T)
        tb = KQ8V_T;
    return tb < n ? tb : n;
}

KERN_AVX512 static void
kq8v_batch(const char *w, size_t rb, int64_t r0, int64_t r1, int64_t cols, const char *x,
           size_t xs, int64_t n, float *y, int64_t ldy)
{
    int64_t nb = cols / QUANT_QK, tb = kq8v_pass(xs, n), t0, t, r;
    char *buf = xmalloc((size_t)nb * KQ8V_VB * sizeof(__m512i) + 63);
    __m512i *ub = (__m512i *)(void *)(buf + ((64 - ((uintptr_t)buf & 63)) & 63));

    for (t0 = 0; t0 < n; t0 += tb) {
        int64_t t1 = t0 + tb < n ? t0 + tb : n;

        for (r = r0; r < r1; r += KQ8V_R) {
            int nv = r1 - r < KQ8V_R ? (int)(r1 - r) : KQ8V_R;

            kq8v_interleave(w, rb, r, nv, nb, ub);
            for (t = t0; t + KQ8V_T <= t1; t += KQ8V_T)
                kq8v_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, KQ8V_T);
            switch (t1 - t) {
            case 7: kq8v_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 7); break;
            case 6: kq8v_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 6); break;
            case 5: kq8v_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 5); break;
            case 4: kq8v_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 4); break;
            case 3: kq8v_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 3); break;
            case 2: kq8v_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 2); break;
            case 1: kq8v_chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv, 1); break;
            default: break;
            }
        }
    }
    free(buf);
}

void
kern_rows_q8_0_avx512(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                      const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t t, r;

    if (n >= KQ8V_BATCH_MIN) {
        kq8v_batch(w, row_bytes, r0, r1, cols, x, x_stride, n, y, ldy);
        return;
    }
    for (r = r0; r < r1; r += KQ8V_R) {
        int nv = r1 - r < KQ8V_R ? (int)(r1 - r) : KQ8V_R;

        for (t = 0; t < n; t++)
            kq8v_gen(w, row_bytes, r, nv, (const char *)x + (size_t)t * x_stride, cols,
                     y + t * ldy);
    }
}

#endif
