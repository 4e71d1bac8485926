/* kern_k.c: row products of the K types Q4_K and Q6_K against Q8_K
 * activations (in llama.cpp's ternary and Q4_K_M files the embeddings and
 * the output are of these types). Per 256-block:
 *   Q4_K: d * sum_j sc_j (q_j . x_j) - dmin * sum_j m_j (sum x_j)
 *   Q6_K: d * sum_j sc_j (q_j . x_j - 32 sum x_j)
 * with exact integer sums (sub-block sums of x from the activation row),
 * then times d_x and summed in float. Scalar references, AVX2 (maddubs,
 * madd) and AVX-512 VNNI (maddubs, vpdpwssd). */
#include "config.h"

#include <string.h>

#include "fp16.h"
#include "kern_int.h"
#include "kern_simd.h"
#include "quant.h"

/* ---- scalar references ---- */

void
kern_rows_q4_k_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                   const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t nb = cols / QUANT_QK_K, r, t, b;
    int j, l;

    for (r = r0; r < r1; r++) {
        const quant_block_q4_k *wb =
            (const quant_block_q4_k *)(const void *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const char *xt = (const char *)x + (size_t)t * x_stride;
            const int8_t *q = quant_act_qs(xt);
            const float *d = quant_act_d(xt, cols);
            const int16_t *bs = quant_act_bsums(xt, cols);
            float s = 0.0f;

            for (b = 0; b < nb; b++) {
                int isc = 0, imn = 0;

                /* sub-block j: nibbles (j odd: high) of chunk j/2 */
                for (j = 0; j < 8; j++) {
                    const uint8_t *qs = wb[b].qs + 32 * (j / 2);
                    const int8_t *qx = q + b * QUANT_QK_K + 32 * j;
                    uint8_t sc, m;
                    int dot = 0;

                    quant_q4_k_scale_min(wb[b].scales, j, &sc, &m);
                    for (l = 0; l < 32; l++)
                        dot += ((qs[l] >> (4 * (j & 1))) & 0x0f) * qx[l];
                    isc += sc * dot;
                    imn += m * (bs[16 * b + 2 * j] + bs[16 * b + 2 * j + 1]);
                }
                s += (float)isc * (fp16_to_f32(wb[b].d) * d[b]);
                s -= (float)imn * (fp16_to_f32(wb[b].dmin) * d[b]);
            }
            y[t * ldy + r] = s;
        }
    }
}

/* The 6-bit codes (0..63) of a Q6_K block, in element order. */
static void
kq6_codes(const quant_block_q6_k *b, uint8_t *c)
{
    int h, l;

    for (h = 0; h < 2; h++, c += 128) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;

        for (l = 0; l < 32; l++) {
            c[l] = (uint8_t)((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4);
            c[l + 32] = (uint8_t)((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4);
            c[l + 64] = (uint8_t)((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4);
            c[l + 96] = (uint8_t)((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4);
        }
    }
}

void
kern_rows_q6_k_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                   const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t nb = cols / QUANT_QK_K, r, t, b;
    uint8_t c[QUANT_QK_K];
    int j, l;

    for (r = r0; r < r1; r++) {
        const quant_block_q6_k *wb =
            (const quant_block_q6_k *)(const void *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const char *xt = (const char *)x + (size_t)t * x_stride;
            const int8_t *q = quant_act_qs(xt);
            const float *d = quant_act_d(xt, cols);
            const int16_t *bs = quant_act_bsums(xt, cols);
            float s = 0.0f;

            for (b = 0; b < nb; b++) {
                int isum = 0;

                kq6_codes(&wb[b], c);
                for (j = 0; j < 16; j++) {
                    int dot = 0;

                    for (l = 0; l < 16; l++)
                        dot += c[16 * j + l] * q[b * QUANT_QK_K + 16 * j + l];
                    isum += wb[b].scales[j] * (dot - 32 * bs[16 * b + j]);
                }
                s += (float)isum * (fp16_to_f32(wb[b].d) * d[b]);
            }
            y[t * ldy + r] = s;
        }
    }
}

#if KERN_X86

#define KK_NSTEP(cols) ((cols) / QUANT_QK_K)

/* Q4_K's 8 scales and 8 mins as bytes (see quant_q4_k_scale_min). */
static inline void
kq4k_scales(const uint8_t *scales, uint64_t *sc, uint64_t *mn)
{
    uint32_t a, b, c;

    memcpy(&a, scales, 4);
    memcpy(&b, scales + 4, 4);
    memcpy(&c, scales + 8, 4);
    *sc = (a & 0x3f3f3f3fu) |
          (uint64_t)((c & 0x0f0f0f0fu) | ((a >> 2) & 0x30303030u)) << 32;
    *mn = (b & 0x3f3f3f3fu) |
          (uint64_t)(((c >> 4) & 0x0f0f0f0fu) | ((b >> 2) & 0x30303030u)) << 32;
}

/* [m0, m0, m1, m1, ..., m7, m7] as int16, to pair with the 16 bsums. */
KERN_AVX2 static inline __m256i
kq4k_mins16(uint64_t mn)
{
    __m128i m = _mm_cvtsi64_si128((long long)mn);

    return _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m, m));
}

/* ---- AVX2 ---- */

typedef struct kq4k_avx2 {
    uint8_t c[QUANT_QK_K] __attribute__((aligned(32))); /* codes 0..15, element order */
    int16_t sc[8];  /* sub-block scales */
    __m256i mins;   /* kq4k_mins16() */
    float d, dmin;  /* super-block scales */
} kq4k_avx2;

KERN_AVX2 static inline void
kq4k_unpack_avx2(const char *row, int64_t s, int64_t cols, kq4k_avx2 *u)
{
    const quant_block_q4_k *b =
        (const quant_block_q4_k *)(const void *)(row + (size_t)s * sizeof(quant_block_q4_k));
    __m256i m15 = _mm256_set1_epi8(0x0f);
    uint64_t sc, mn;
    int k;

    (void)cols;
    #pragma GCC unroll 8
    for (k = 0; k < 4; k++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(b->qs + 32 * k));

        _mm256_store_si256((__m256i *)(void *)(u->c + 64 * k), _mm256_and_si256(v, m15));
        _mm256_store_si256((__m256i *)(void *)(u->c + 64 * k + 32),
                           _mm256_and_si256(_mm256_srli_epi16(v, 4), m15));
    }
    kq4k_scales(b->scales, &sc, &mn);
    _mm_storeu_si128((__m128i *)(void *)u->sc, _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc)));
    u->mins = kq4k_mins16(mn);
    u->d = kern_half(&b->d);
    u->dmin = kern_half(&b->dmin);
}

KERN_AVX2 static inline void
kq4k_step_avx2(const kq4k_avx2 *u, const char *xrow, int64_t cols, int64_t s, __m256 *acc)
{
    const char *q = xrow + s * QUANT_QK_K;
    float dx = quant_act_d(xrow, cols)[s];
    __m256i isc = _mm256_setzero_si256(), imn;
    int j;

    #pragma GCC unroll 8
    for (j = 0; j < 8; j++) {
        __m256i p = _mm256_maddubs_epi16(
            _mm256_load_si256((const __m256i *)(const void *)(u->c + 32 * j)),
            _mm256_loadu_si256((const __m256i *)(const void *)(q + 32 * j)));

        isc = _mm256_add_epi32(isc, _mm256_madd_epi16(p, _mm256_set1_epi16(u->sc[j])));
    }
    imn = _mm256_madd_epi16(
        _mm256_loadu_si256((const __m256i *)(const void *)(quant_act_bsums(xrow, cols) + 16 * s)),
        u->mins);
    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isc), _mm256_set1_ps(u->d * dx), *acc);
    *acc = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(imn), _mm256_set1_ps(u->dmin * dx), *acc);
}

typedef struct kq6k_avx2 {
    uint8_t c[QUANT_QK_K] __attribute__((aligned(32))); /* codes 0..63, element order */
    __m256i sc[8];  /* per 32 elements: [sc_2v x 8, sc_2v+1 x 8] as int16 */
    __m256i scb;    /* -32 * sc_j as int16, to pair with the bsums */
    float d;        /* super-block scale */
} kq6k_avx2;

KERN_AVX2 static inline void
kq6k_unpack_avx2(const char *row, int64_t s, int64_t cols, kq6k_avx2 *u)
{
    const quant_block_q6_k *b =
        (const quant_block_q6_k *)(const void *)(row + (size_t)s * sizeof(quant_block_q6_k));
    __m256i m15 = _mm256_set1_epi8(0x0f), m48 = _mm256_set1_epi8(0x30), s16, half[2];
    int h, v;

    (void)cols;
    #pragma GCC unroll 8
    for (h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        __m256i l0 = _mm256_loadu_si256((const __m256i *)(const void *)ql);
        __m256i l1 = _mm256_loadu_si256((const __m256i *)(const void *)(ql + 32));
        __m256i hb = _mm256_loadu_si256((const __m256i *)(const void *)qh);
        uint8_t *c = u->c + 128 * h;

        _mm256_store_si256((__m256i *)(void *)c,
                           _mm256_or_si256(_mm256_and_si256(l0, m15),
                                           _mm256_and_si256(_mm256_slli_epi16(hb, 4), m48)));
        _mm256_store_si256((__m256i *)(void *)(c + 32),
                           _mm256_or_si256(_mm256_and_si256(l1, m15),
                                           _mm256_and_si256(_mm256_slli_epi16(hb, 2), m48)));
        _mm256_store_si256((__m256i *)(void *)(c + 64),
                           _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m15),
                                           _mm256_and_si256(hb, m48)));
        _mm256_store_si256((__m256i *)(void *)(c + 96),
                           _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m15),
                                           _mm256_and_si256(_mm256_srli_epi16(hb, 2), m48)));
    }
    s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)b->scales));
    u->scb = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(s16, 5));
    half[0] = _mm256_permute2x128_si256(s16, s16, 0x00);
    half[1] = _mm256_permute2x128_si256(s16, s16, 0x11);
    #pragma GCC unroll 8
    for (v = 0; v < 8; v++) {
        int e0 = (2 * v) % 8, e1 = (2 * v + 1) % 8;
        __m256i pat = _mm256_set_m128i(_mm_set1_epi16((short)((2 * e1) | (2 * e1 + 1) << 8)),
                                       _mm_set1_epi16((short)((2 * e0) | (2 * e0 + 1) << 8)));

        u->sc[v] = _mm256_shuffle_epi8(half[v / 4], pat);
    }
    u->d = kern_half(&b->d);
}

KERN_AVX2 static inline void
kq6k_step_avx2(const kq6k_avx2 *u, const char *xrow, int64_t cols, int64_t s, __m256 *acc)
{
    const char *q = xrow + s * QUANT_QK_K;
    __m256i i = _mm256_madd_epi16(
        _mm256_loadu_si256((const __m256i *)(const void *)(quant_act_bsums(xrow, cols) + 16 * s)),
        u->scb);
    int v;

    #pragma GCC unroll 8
    for (v = 0; v < 8; v++) {
        __m256i p = _mm256_maddubs_epi16(
            _mm256_load_si256((const __m256i *)(const void *)(u->c + 32 * v)),
            _mm256_loadu_si256((const __m256i *)(const void *)(q + 32 * v)));

        i = _mm256_add_epi32(i, _mm256_madd_epi16(p, u->sc[v]));
    }
    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i),
                           _mm256_set1_ps(u->d * quant_act_d(xrow, cols)[s]), *acc);
}

KERN_TILES(kern_rows_q4_k_avx2, kq4k_tiles_avx2, KERN_AVX2, kq4k_avx2, __m256, KERN_ZERO256,
            kern_hsum256, KK_NSTEP, kq4k_unpack_avx2, kq4k_step_avx2,
            256, 4, 2)
KERN_TILES(kern_rows_q6_k_avx2, kq6k_tiles_avx2, KERN_AVX2, kq6k_avx2, __m256, KERN_ZERO256,
            kern_hsum256, KK_NSTEP, kq6k_unpack_avx2, kq6k_step_avx2,
            256, 4, 2)

/* ---- AVX-512 VNNI ---- */

typedef struct kk_avx512 {
    __m512i c[4];   /* codes of elements 64k .. 64k+63 */
    __m512i sc[4];  /* the scale of each int16 pair of c[k] (maddubs lanes) */
    __m256i cor;    /* Q4_K: mins16; Q6_K: -32 * sc_j, both against the bsums */
    float d, dmin;  /* super-block scales */
} kk_avx512;

/* Word indices for vpermw: Q4_K's c[k] takes scales 2k, 2k+1 (16 lanes
 * each), Q6_K's scales 4k .. 4k+3 (8 lanes each). */
#define KK_R8(v) v, v, v, v, v, v, v, v
#define KK_R16(v) KK_R8(v), KK_R8(v)
static const int16_t kq4k_idx[4][32] __attribute__((aligned(64))) = {
    { KK_R16(0), KK_R16(1) }, { KK_R16(2), KK_R16(3) },
    { KK_R16(4), KK_R16(5) }, { KK_R16(6), KK_R16(7) },
};
static const int16_t kq6k_idx[4][32] __attribute__((aligned(64))) = {
    { KK_R8(0), KK_R8(1), KK_R8(2), KK_R8(3) }, { KK_R8(4), KK_R8(5), KK_R8(6), KK_R8(7) },
    { KK_R8(8), KK_R8(9), KK_R8(10), KK_R8(11) }, { KK_R8(12), KK_R8(13), KK_R8(14), KK_R8(15) },
};

KERN_AVX512 static inline __m512i
kk_spread_avx512(__m512i v, const int16_t *idx)
{
    return _mm512_permutexvar_epi16(_mm512_load_si512((const void *)idx), v);
}

KERN_AVX512 static inline void
kq4k_unpack_avx512(const char *row, int64_t s, int64_t cols, kk_avx512 *u)
{
    const quant_block_q4_k *b =
        (const quant_block_q4_k *)(const void *)(row + (size_t)s * sizeof(quant_block_q4_k));
    __m512i m15 = _mm512_set1_epi8(0x0f), scv;
    uint64_t sc, mn;
    int k;

    (void)cols;
    #pragma GCC unroll 8
    for (k = 0; k < 2; k++) {
        /* chunks 2k and 2k+1: low nibbles are elements 128k + [0, 32) and
         * 128k + [64, 96), high nibbles the 32 after each */
        __m512i v = _mm512_loadu_si512((const void *)(b->qs + 64 * k));
        __m512i lo = _mm512_and_si512(v, m15);
        __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m15);

        u->c[2 * k] = _mm512_shuffle_i64x2(lo, hi, 0x44);
        u->c[2 * k + 1] = _mm512_shuffle_i64x2(lo, hi, 0xee);
    }
    kq4k_scales(b->scales, &sc, &mn);
    scv = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc)));
    #pragma GCC unroll 8
    for (k = 0; k < 4; k++)
        u->sc[k] = kk_spread_avx512(scv, kq4k_idx[k]);
    u->cor = kq4k_mins16(mn);
    u->d = kern_half(&b->d);
    u->dmin = kern_half(&b->dmin);
}

KERN_AVX512 static inline void
kq4k_step_avx512(const kk_avx512 *u, const char *xrow, int64_t cols, int64_t s, __m512 *acc)
{
    const char *q = xrow + s * QUANT_QK_K;
    float dx = quant_act_d(xrow, cols)[s];
    __m512i i = _mm512_setzero_si512();
    __m256i imn;
    int k;

    #pragma GCC unroll 8
    for (k = 0; k < 4; k++)
        i = _mm512_dpwssd_epi32(i, _mm512_maddubs_epi16(u->c[k],
                                                        _mm512_loadu_si512((const void *)(q + 64 * k))),
                                u->sc[k]);
    imn = _mm256_madd_epi16(
        _mm256_loadu_si256((const __m256i *)(const void *)(quant_act_bsums(xrow, cols) + 16 * s)),
        u->cor);
    *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), _mm512_set1_ps(u->d * dx), *acc);
    *acc = _mm512_fnmadd_ps(_mm512_zextps256_ps512(_mm256_cvtepi32_ps(imn)),
                            _mm512_set1_ps(u->dmin * dx), *acc);
}

KERN_AVX512 static inline void
kq6k_unpack_avx512(const char *row, int64_t s, int64_t cols, kk_avx512 *u)
{
    const quant_block_q6_k *b =
        (const quant_block_q6_k *)(const void *)(row + (size_t)s * sizeof(quant_block_q6_k));
    __m512i m15 = _mm512_set1_epi8(0x0f), m48 = _mm512_set1_epi8(0x30), s16;
    /* 16-bit shift counts: 4 then 2 (left), 0 then 2 (right), per 256 bits */
    __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    __m512i shr = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    int h, k;

    (void)cols;
    #pragma GCC unroll 8
    for (h = 0; h < 2; h++) {
        /* ql[64h .. 64h+63]: low nibbles are elements 128h + [0, 64), high
         * nibbles 128h + [64, 128); qh bit pairs 0, 1, 2, 3 go with
         * elements + 0, + 32, + 64, + 96 */
        __m512i l = _mm512_loadu_si512((const void *)(b->ql + 64 * h));
        __m512i hb = _mm512_broadcast_i64x4(
            _mm256_loadu_si256((const __m256i *)(const void *)(b->qh + 32 * h)));
        __m512i hlo = _mm512_and_si512(_mm512_sllv_epi16(hb, shl), m48);
        __m512i hhi = _mm512_and_si512(_mm512_srlv_epi16(hb, shr), m48);

        u->c[2 * h] = _mm512_ternarylogic_epi32(l, m15, hlo, 0xea);
        u->c[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(l, 4), m15, hhi, 0xea);
    }
    s16 = _mm512_castsi256_si512(
        _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)b->scales)));
    #pragma GCC unroll 8
    for (k = 0; k < 4; k++)
        u->sc[k] = kk_spread_avx512(s16, kq6k_idx[k]);
    u->cor = _mm256_sub_epi16(_mm256_setzero_si256(),
                              _mm256_slli_epi16(_mm512_castsi512_si256(s16), 5));
    u->d = kern_half(&b->d);
    u->dmin = 0.0f;
}

KERN_AVX512 static inline void
kq6k_step_avx512(const kk_avx512 *u, const char *xrow, int64_t cols, int64_t s, __m512 *acc)
{
    const char *q = xrow + s * QUANT_QK_K;
    __m512i i = _mm512_zextsi256_si512(_mm256_madd_epi16(
        _mm256_loadu_si256((const __m256i *)(const void *)(quant_act_bsums(xrow, cols) + 16 * s)),
        u->cor));
    int k;

    #pragma GCC unroll 8
    for (k = 0; k < 4; k++)
        i = _mm512_dpwssd_epi32(i, _mm512_maddubs_epi16(u->c[k],
                                                        _mm512_loadu_si512((const void *)(q + 64 * k))),
                                u->sc[k]);
    *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i),
                           _mm512_set1_ps(u->d * quant_act_d(xrow, cols)[s]), *acc);
}

KERN_TILES(kern_rows_q4_k_avx512, kq4k_tiles_avx512, KERN_AVX512, kk_avx512, __m512,
            KERN_ZERO512, kern_hsum512, KK_NSTEP, kq4k_unpack_avx512, kq4k_step_avx512,
            256, 4, 4)
KERN_TILES(kern_rows_q6_k_avx512, kq6k_tiles_avx512, KERN_AVX512, kk_avx512, __m512,
            KERN_ZERO512, kern_hsum512, KK_NSTEP, kq6k_unpack_avx512, kq6k_step_avx512,
            256, 4, 4)

#endif
