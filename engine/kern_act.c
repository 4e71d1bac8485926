/* kern_act.c: quantization of activation rows for the integer kernels
 * with AVX2, giving the same bytes as the scalar quant_act_row() (same
 * float operations, same rounding), and the choice between the two. */
#include "config.h"

#include <string.h>

#include "kern_int.h"
#include "kern_simd.h"
#include "qtype.h"
#include "quant.h"

#if KERN_X86

/* Largest of 8 lanes. */
KERN_AVX2 static inline float
kact_hmax(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* Sum of 8 int32 lanes. */
KERN_AVX2 static inline int
kact_hsum_i32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));

    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

/* 32 int32 (each in [-127, 127]) to 32 bytes, in order. */
KERN_AVX2 static inline __m256i
kact_pack(__m256i a, __m256i b, __m256i c, __m256i d)
{
    __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);

    /* the packs interleave 128-bit lanes: a0 b0 c0 d0 a1 b1 c1 d1 (4 each) */
    return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd),
                                       _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* roundf of 8 lanes (half away from zero): t = trunc(v), then +-1 where
 * the dropped fraction reaches 0.5. */
KERN_AVX2 static inline __m256i
kact_round(__m256 v)
{
    __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 f = _mm256_sub_ps(v, t), one = _mm256_set1_ps(1.0f);

    t = _mm256_add_ps(t, _mm256_and_ps(_mm256_cmp_ps(f, _mm256_set1_ps(0.5f), _CMP_GE_OQ), one));
    t = _mm256_sub_ps(t, _mm256_and_ps(_mm256_cmp_ps(f, _mm256_set1_ps(-0.5f), _CMP_LE_OQ), one));
    return _mm256_cvttps_epi32(t);
}

KERN_AVX2 static void
kact_q8_0_avx2(const float *x, int64_t n, void *dst)
{
    int8_t *qs = dst;
    float *dd = (float *)(void *)((char *)dst + n);
    int32_t *bsum = (int32_t *)(void *)((char *)dst + n + n / 8);
    __m256 sign = _mm256_set1_ps(-0.0f);
    int64_t i;

    for (i = 0; i < n / QUANT_QK; i++, x += QUANT_QK) {
        __m256i q[4], b;
        __m256 v[4], m;
        float amax, d, id;
        int k;

        #pragma GCC unroll 8
        for (k = 0; k < 4; k++)
            v[k] = _mm256_loadu_ps(x + 8 * k);
        m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                          _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])));
        amax = kact_hmax(m);
        d = amax / 127;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        dd[i] = _cvtsh_ss(_cvtss_sh(d, 0));
        #pragma GCC unroll 8
        for (k = 0; k < 4; k++)
            q[k] = kact_round(_mm256_mul_ps(v[k], _mm256_set1_ps(id)));
        b = kact_pack(q[0], q[1], q[2], q[3]);
        _mm256_store_si256((__m256i *)(void *)(qs + i * QUANT_QK), b);
        /* the sum of the stored bytes: pairs, then quads, then the tree */
        b = _mm256_maddubs_epi16(_mm256_set1_epi8(1), b);
        bsum[i] = kact_hsum_i32(_mm256_madd_epi16(b, _mm256_set1_epi16(1)));
    }
}

KERN_AVX2 static void
kact_q8_k_avx2(const float *x, int64_t n, void *dst)
{
    int8_t *qs = dst;
    float *dd = (float *)(void *)((char *)dst + n);
    int32_t *sum = (int32_t *)(void *)((char *)dst + n + n / 64);
    int16_t *bsums = (int16_t *)(void *)((char *)dst + n + n / 32);
    __m256 sign = _mm256_set1_ps(-0.0f);
    int64_t i;

    for (i = 0; i < n / QUANT_QK_K; i++, x += QUANT_QK_K) {
        __m256 m = _mm256_setzero_ps(), vmax, is;
        float amax, max = 0.0f, iscale;
        int32_t total = 0;
        int k, j;

        for (k = 0; k < 32; k++)
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k)));
        amax = kact_hmax(m);
        if (amax == 0.0f) {
            dd[i] = 0.0f;
            sum[i] = 0;
            memset(qs + i * QUANT_QK_K, 0, QUANT_QK_K);
            memset(bsums + 16 * i, 0, 16 * sizeof *bsums);
            continue;
        }
        /* the first value of that magnitude, with its sign */
        vmax = _mm256_set1_ps(amax);
        for (k = 0; k < 32; k++) {
            int bits = _mm256_movemask_ps(_mm256_cmp_ps(
                _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k)), vmax, _CMP_EQ_OQ));

            if (bits != 0) {
                max = x[8 * k + __builtin_ctz((unsigned)bits)];
                break;
            }
        }
        iscale = -127.0f / max;
        is = _mm256_set1_ps(iscale);
        for (k = 0; k < 8; k++) {
            __m256i q[4];

            #pragma GCC unroll 8
            for (j = 0; j < 4; j++)
                q[j] = _mm256_min_epi32(
                    _mm256_cvtps_epi32(_mm256_mul_ps(is, _mm256_loadu_ps(x + 32 * k + 8 * j))),
                    _mm256_set1_epi32(127));
            bsums[16 * i + 2 * k] = (int16_t)kact_hsum_i32(_mm256_add_epi32(q[0], q[1]));
            bsums[16 * i + 2 * k + 1] = (int16_t)kact_hsum_i32(_mm256_add_epi32(q[2], q[3]));
            total += bsums[16 * i + 2 * k] + bsums[16 * i + 2 * k + 1];
            _mm256_store_si256((__m256i *)(void *)(qs + i * QUANT_QK_K + 32 * k),
                               kact_pack(q[0], q[1], q[2], q[3]));
        }
        sum[i] = total;
        dd[i] = 1.0f / iscale;
    }
}

#endif

void
kern_quant_act(int act_type, const float *x, int64_t n, void *dst)
{
#if KERN_X86
    if (kern_isa() >= KERN_ISA_AVX2 && ((uintptr_t)dst & 31) == 0) {
        size_t used, size = quant_act_row_bytes(act_type, n);

        if (act_type == QT_Q8_0) {
            kact_q8_0_avx2(x, n, dst);
            used = (size_t)n + (size_t)(n / QUANT_QK) * (sizeof(float) + sizeof(int32_t));
        } else {
            kact_q8_k_avx2(x, n, dst);
            used = (size_t)n + (size_t)(n / 32) + (size_t)(n / 16) * sizeof(int16_t);
        }
        memset((char *)dst + used, 0, size - used);
        return;
    }
#endif
    quant_act_row(act_type, x, n, dst);
}
