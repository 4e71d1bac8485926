/* kern_simd.h: small x86 helpers shared by the SIMD kernel files
 * (horizontal sums, half loads, the 16-row lane-sum tree, e^x). Internal to engine/kern*.c; each helper
 * carries the target attribute of the family that uses it. */
#ifndef TERNCHAT_KERN_SIMD_H
#define TERNCHAT_KERN_SIMD_H

#include "kern_int.h"
#include "quant.h"

#if KERN_X86
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* The half at p (any alignment) as a float. */
KERN_AVX2 static inline float
kern_half(const void *p)
{
    uint16_t h;

    memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

/* Sum of 8 lanes, in a fixed order. */
KERN_AVX2 static inline float
kern_hsum256(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);

    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

/* Sum of 16 lanes, in a fixed order. */
KERN_AVX512 static inline float
kern_hsum512(__m512 v)
{
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));

    return kern_hsum256(_mm256_add_ps(lo, hi));
}

/* Lane sums of 16 int32 vectors p[i] (one per row i): *d0 gets each
 * vector's sum of lanes 0-7 and *d1 of lanes 8-15, row i in lane i (adds
 * of pairs of rows and lanes, then of 128-bit lanes: 44 operations). */
KERN_AVX512 static inline void
kern_tree16(const __m512i *p, __m512i *d0, __m512i *d1)
{
    __m512i q[8], r[4], u[2];
    int k;

    /* per 128-bit lane: pairs of rows, pairs of dwords */
    _Pragma("GCC unroll 8") for (k = 0; k < 8; k++)
        q[k] = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2 * k], p[2 * k + 1]),
                                _mm512_unpackhi_epi32(p[2 * k], p[2 * k + 1]));
    /* per 128-bit lane: rows 4k..4k+3, the lane's 4 dwords summed */
    _Pragma("GCC unroll 4") for (k = 0; k < 4; k++)
        r[k] = _mm512_add_epi32(_mm512_unpacklo_epi64(q[2 * k], q[2 * k + 1]),
                                _mm512_unpackhi_epi64(q[2 * k], q[2 * k + 1]));
    /* lanes 0+1 (block 0) and 2+3 (block 1) */
    _Pragma("GCC unroll 2") for (k = 0; k < 2; k++)
        u[k] = _mm512_add_epi32(_mm512_shuffle_i32x4(r[2 * k], r[2 * k + 1], 0x88),
                                _mm512_shuffle_i32x4(r[2 * k], r[2 * k + 1], 0xdd));
    *d0 = _mm512_shuffle_i32x4(u[0], u[1], 0x88);
    *d1 = _mm512_shuffle_i32x4(u[0], u[1], 0xdd);
}

/* e^x for x <= 0 in 8 lanes: x = n ln2 + r with |r| <= ln2/2, e^r by
 * Cephes' degree-6 polynomial for expf (within 2 ulp), times 2^n built in
 * the exponent bits. Below -87 the result is flushed to 0, as expf's
 * would be denormal or 0 there. */
KERN_AVX2 static inline __m256
kern_exp256(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(-87.0f);
    __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    __m256 n, r, p;
    __m256i e;

    x = _mm256_max_ps(x, lo);
    n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

/* A 4-byte group at p (any alignment). */
static inline int32_t
kern_load32(const void *p)
{
    int32_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* The block step of the 16-row kernels: acc (a row per lane) += dot * d_w
 * * d_x, dot the rows' exact integer dot products of the block. */
KERN_AVX512 static inline __m512
kern_fma16(__m512i dot, __m512 dw, float dx, __m512 acc)
{
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, _mm512_set1_ps(dx)), acc);
}

/* Transpose the 16 x 16 matrix of 4-byte groups in v (row i in v[i]) in
 * place: four rounds of the same two-source permutes (a perfect shuffle:
 * each round interleaves the groups of rows k and k + 8). */
KERN_AVX512 static inline __attribute__((always_inline)) void
kern_transpose16(__m512i *v)
{
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30,
                                         15, 31);
    __m512i nv[16];
    int i, k, round;

    _Pragma("GCC unroll 4") for (round = 0; round < 4; round++) {
        _Pragma("GCC unroll 8") for (k = 0; k < 8; k++) {
            nv[2 * k] = _mm512_permutex2var_epi32(v[k], lo, v[k + 8]);
            nv[2 * k + 1] = _mm512_permutex2var_epi32(v[k], hi, v[k + 8]);
        }
        _Pragma("GCC unroll 16") for (i = 0; i < 16; i++)
            v[i] = nv[i];
    }
}

/* The token loops shared by the 16-row kernels (T tokens t.., activation
 * rows xs bytes apart, a row per lane): */
/* ai[j] = -(sum of token j's activations of 256-block b), the ternary
 * types' starting value. */
KERN_AVX512 static inline __attribute__((always_inline)) void
kern16_start(__m512i *ai, const char *x, size_t xs, int64_t t, int64_t cols, int64_t b,
             const int T)
{
    int j;

    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        ai[j] = _mm512_set1_epi32(-quant_act_sum(x + (size_t)(t + j) * xs, cols)[b]);
}

/* ai[j] += codes c times token j's 4 activations at byte e of its row. */
KERN_AVX512 static inline __attribute__((always_inline)) void
kern16_dot(__m512i *ai, __m512i c, const char *x, size_t xs, int64_t t, int64_t e, const int T)
{
    int j;

    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        ai[j] = _mm512_dpbusd_epi32(
            ai[j], c, _mm512_set1_epi32(kern_load32(x + (size_t)(t + j) * xs + e)));
}

/* acc[j] += ai[j] * d_w * d_x of token j's block b (kern_fma16). */
KERN_AVX512 static inline __attribute__((always_inline)) void
kern16_scale(__m512 *acc, const __m512i *ai, __m512 dw, const char *x, size_t xs, int64_t t,
             int64_t cols, int64_t b, const int T)
{
    int j;

    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        acc[j] = kern_fma16(ai[j], dw, quant_act_d(x + (size_t)(t + j) * xs, cols)[b], acc[j]);
}

/* The ternary types' chunk: tokens [t, t + T) times a tile transposed
 * into ub (nb blocks of nvec code vectors, then the scales vector; code
 * vector v holds the 16 rows' codes of the 4 elements that start at byte
 * xoff[v] of the block's activations), into acc. */
KERN_AVX512 static inline __attribute__((always_inline)) void
kern16_codes_chunk(const __m512i *ub, int64_t nb, const int nvec, const short *xoff,
                   const char *x, size_t xs, int64_t t, int64_t cols, __m512 *acc, const int T)
{
    __m512i ai[8];
    int64_t b;
    int j, g, k;

    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        acc[j] = _mm512_setzero_ps();
    for (b = 0; b < nb; b++) {
        const __m512i *u = ub + b * (nvec + 1);

        kern16_start(ai, x, xs, t, cols, b, T);
        /* code vectors 8 at a time, each loaded once for all the tokens */
        _Pragma("GCC unroll 9") for (g = 0; g < nvec; g += 8) {
            const int nk = nvec - g < 8 ? nvec - g : 8;
            __m512i wv[8];

            _Pragma("GCC unroll 8") for (k = 0; k < nk; k++)
                wv[k] = u[g + k];
            _Pragma("GCC unroll 8") for (j = 0; j < T; j++) {
                const char *q = x + (size_t)(t + j) * xs + QUANT_QK_K * b;
                __m512i a = ai[j];

                _Pragma("GCC unroll 8") for (k = 0; k < nk; k++)
                    a = _mm512_dpbusd_epi32(a, wv[k], _mm512_set1_epi32(kern_load32(q + xoff[g + k])));
                ai[j] = a;
            }
        }
        kern16_scale(acc, ai, _mm512_castsi512_ps(u[nvec]), x, xs, t, cols, b, T);
    }
}

/* y[(t + j) * ldy + r + i] = acc[j] lane i, for the nv valid rows. */
KERN_AVX512 static inline __attribute__((always_inline)) void
kern16_store(const __m512 *acc, float *y, int64_t ldy, int64_t t, int64_t r, int nv,
             const int T)
{
    int j;

    _Pragma("GCC unroll 8") for (j = 0; j < T; j++)
        _mm512_mask_storeu_ps(y + (t + j) * ldy + r, (__mmask16)((1u << nv) - 1), acc[j]);
}

#define KERN_ZERO256 _mm256_setzero_ps()
#define KERN_ZERO512 _mm512_setzero_ps()
#endif

#endif
