/* kern_float.c: the float weight types (F32, F16, BF16) against float
 * activations: row getters, scalar references (one plain sum per product,
 * in index order) and AVX2 variants. */
#include "config.h"

#include <string.h>

#include "fp16.h"
#include "kern_int.h"

#if KERN_X86
#include <immintrin.h>
#endif

/* ---- row getters ---- */

void
kern_f32_to_float(const void *src, float *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void
kern_f16_to_float(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    int64_t i;

    for (i = 0; i < n; i++)
        dst[i] = fp16_to_f32(s[i]);
}

void
kern_bf16_to_float(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    int64_t i;

    for (i = 0; i < n; i++)
        dst[i] = bf16_to_f32(s[i]);
}

/* ---- scalar references: one plain sum per product, in index order ---- */

void
kern_rows_f32_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                  const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t r, t, k;

    for (r = r0; r < r1; r++) {
        const float *wr = (const float *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const float *xt = (const float *)((const char *)x + (size_t)t * x_stride);
            float s = 0.0f;

            for (k = 0; k < cols; k++)
                s += wr[k] * xt[k];
            y[t * ldy + r] = s;
        }
    }
}

void
kern_rows_f16_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                  const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t r, t, k;

    for (r = r0; r < r1; r++) {
        const uint16_t *wr = (const uint16_t *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const float *xt = (const float *)((const char *)x + (size_t)t * x_stride);
            float s = 0.0f;

            for (k = 0; k < cols; k++)
                s += fp16_to_f32(wr[k]) * xt[k];
            y[t * ldy + r] = s;
        }
    }
}

void
kern_rows_bf16_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                   const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t r, t, k;

    for (r = r0; r < r1; r++) {
        const uint16_t *wr = (const uint16_t *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const float *xt = (const float *)((const char *)x + (size_t)t * x_stride);
            float s = 0.0f;

            for (k = 0; k < cols; k++)
                s += bf16_to_f32(wr[k]) * xt[k];
            y[t * ldy + r] = s;
        }
    }
}

/* ---- AVX2 + FMA (+ F16C) ---- */

#if KERN_X86

/* Horizontal sum of the 8 lanes. */
KERN_AVX2 static inline float
kern_hsum_avx2(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);

    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

/* 8 bf16 values to 8 floats. */
KERN_AVX2 static inline __m256
kern_load_bf16_avx2(const uint16_t *p)
{
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));

    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

/* 8 halves to 8 floats. */
KERN_AVX2 static inline __m256
kern_load_f16_avx2(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* The dot products: four 8-lane accumulators over 32 elements a step, then
 * 8 at a time, then the scalar tail. WLOAD loads 8 weights as floats. */
#define KERN_DOT_AVX2(name, wtype, WLOAD, WSCALAR)                              \
    KERN_AVX2 static float                                                      \
    name(const wtype *w, const float *x, int64_t n)                             \
    {                                                                           \
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();             \
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();             \
        int64_t i = 0;                                                          \
        float s;                                                                \
                                                                                \
        for (; i + 32 <= n; i += 32) {                                          \
            s0 = _mm256_fmadd_ps(WLOAD(w + i), _mm256_loadu_ps(x + i), s0);      \
            s1 = _mm256_fmadd_ps(WLOAD(w + i + 8), _mm256_loadu_ps(x + i + 8), s1); \
            s2 = _mm256_fmadd_ps(WLOAD(w + i + 16), _mm256_loadu_ps(x + i + 16), s2); \
            s3 = _mm256_fmadd_ps(WLOAD(w + i + 24), _mm256_loadu_ps(x + i + 24), s3); \
        }                                                                       \
        for (; i + 8 <= n; i += 8)                                              \
            s0 = _mm256_fmadd_ps(WLOAD(w + i), _mm256_loadu_ps(x + i), s0);      \
        s = kern_hsum_avx2(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))); \
        for (; i < n; i++)                                                      \
            s += WSCALAR(w[i]) * x[i];                                          \
        return s;                                                               \
    }

#define KERN_ID(v) (v)
KERN_DOT_AVX2(kern_dot_f32_avx2, float, _mm256_loadu_ps, KERN_ID)
KERN_DOT_AVX2(kern_dot_f16_avx2, uint16_t, kern_load_f16_avx2, fp16_to_f32)
KERN_DOT_AVX2(kern_dot_bf16_avx2, uint16_t, kern_load_bf16_avx2, bf16_to_f32)

/* Row products from a dot function: each weight row is read once from
 * memory and reused from cache for every activation row. */
#define KERN_ROWS_AVX2(name, wtype, dot)                                        \
    KERN_AVX2 void                                                              \
    name(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols, \
         const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)      \
    {                                                                           \
        int64_t r, t;                                                           \
                                                                                \
        for (r = r0; r < r1; r++) {                                             \
            const wtype *wr = (const wtype *)((const char *)w + (size_t)r * row_bytes); \
                                                                                \
            for (t = 0; t < n; t++)                                             \
                y[t * ldy + r] = dot(wr, (const float *)((const char *)x + (size_t)t * x_stride), cols); \
        }                                                                       \
    }

KERN_ROWS_AVX2(kern_rows_f32_avx2, float, kern_dot_f32_avx2)
KERN_ROWS_AVX2(kern_rows_f16_avx2, uint16_t, kern_dot_f16_avx2)
KERN_ROWS_AVX2(kern_rows_bf16_avx2, uint16_t, kern_dot_bf16_avx2)
#endif

