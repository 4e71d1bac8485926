/* kern_simd.h: small x86 helpers shared by the SIMD kernel files
 * (horizontal sums, half loads). Internal to engine/kern*.c; each helper
 * carries the target attribute of the family that uses it. */
#ifndef TERNCHAT_KERN_SIMD_H
#define TERNCHAT_KERN_SIMD_H

#include "kern_int.h"

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

#define KERN_ZERO256 _mm256_setzero_ps()
#define KERN_ZERO512 _mm512_setzero_ps()
#endif

#endif
