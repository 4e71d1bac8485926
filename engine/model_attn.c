/* model_attn.c: the attention of the query heads that share a key/value
 * head over the cached positions (scores, softmax, weighted sum of values),
 * as a scalar reference and an AVX2 + FMA variant chosen with the kernels'
 * instruction-set family (scores of 8 positions per vector, a vector exp;
 * the heads of a group take turns on each few positions, so the keys and
 * values are read from memory once for all of them). Both compute each
 * (query, position) pair the same way whatever the number of positions or
 * heads, so a batch gives the same bits as single steps. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kern.h"
#include "kern_int.h"
#include "model_int.h"

/* One head. */
static void
model_attn_one_ref(const float *q, const float *k, const float *v, int64_t kvd, int npos,
                   int hd, float scale, float *s, float *out)
{
    float mx = -INFINITY, sum = 0, inv;
    int t, d;

    for (t = 0; t < npos; t++) {
        const float *kt = k + t * kvd;
        float dot = 0;

        for (d = 0; d < hd; d++)
            dot += q[d] * kt[d];
        s[t] = dot * scale;
        if (s[t] > mx)
            mx = s[t];
    }
    for (t = 0; t < npos; t++) {
        s[t] = expf(s[t] - mx);
        sum += s[t];
    }
    inv = 1.0f / sum;
    for (d = 0; d < hd; d++)
        out[d] = 0;
    for (t = 0; t < npos; t++) {
        const float *vt = v + t * kvd;
        float p = s[t] * inv;

        for (d = 0; d < hd; d++)
            out[d] += p * vt[d];
    }
}

void
model_attn_head_ref(const float *q, int nq, const float *k, const float *v, int64_t kvd,
                    int npos, int hd, float scale, float *s, float *out)
{
    int g;

    for (g = 0; g < nq; g++)
        model_attn_one_ref(q + (size_t)g * hd, k, v, kvd, npos, hd, scale, s + (size_t)g * npos,
                           out + (size_t)g * hd);
}

#if KERN_X86
#include "kern_simd.h"

/* Head sizes up to this many floats keep the output in registers. */
#define ATTN_MAX_VEC 16 /* 128 dims */

/* The scores of 8 positions (key rows k0 + i * kvd, i < 8) against the
 * query, as one vector: each lane's sum is reduced by the same tree
 * whichever lane it is in, so a position's score does not depend on its
 * neighbours (the tail repeats a key and drops the extra lanes). */
KERN_AVX2 static inline __attribute__((always_inline)) __m256
attn_scores8_n(const __m256 *qv, const int nv, const float *const *kp)
{
    __m256 a[8], h01, h23, h45, h67, h0123, h4567;
    int i, j;

    _Pragma("GCC unroll 8") for (i = 0; i < 8; i++)
        a[i] = KERN_ZERO256;
    _Pragma("GCC unroll 16") for (j = 0; j < nv; j++)
        _Pragma("GCC unroll 8") for (i = 0; i < 8; i++)
            a[i] = _mm256_fmadd_ps(qv[j], _mm256_loadu_ps(kp[i] + 8 * j), a[i]);
    h01 = _mm256_hadd_ps(a[0], a[1]);
    h23 = _mm256_hadd_ps(a[2], a[3]);
    h45 = _mm256_hadd_ps(a[4], a[5]);
    h67 = _mm256_hadd_ps(a[6], a[7]);
    h0123 = _mm256_hadd_ps(h01, h23);
    h4567 = _mm256_hadd_ps(h45, h67);
    return _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20),
                         _mm256_permute2f128_ps(h0123, h4567, 0x31));
}

/* The same, the common head sizes (64, 128) unrolled so that the sums stay
 * in registers: the same operations in the same order. */
KERN_AVX2 static inline __m256
attn_scores8(const __m256 *qv, int nv, const float *const *kp)
{
    switch (nv) {
    case 8:
        return attn_scores8_n(qv, 8, kp);
    case 16:
        return attn_scores8_n(qv, 16, kp);
    default:
        return attn_scores8_n(qv, nv, kp);
    }
}

/* acc[j] += p_u * v_u[8 j ..] over positions u of [t, t1), for nj vectors
 * of dims (a constant 8 for the unrolled path); p_u = s[u] * inv. */
KERN_AVX2 static inline __attribute__((always_inline)) void
attn_vsum_n(__m256 *acc, const int nj, const float *v, int64_t kvd, const float *s, float inv,
            int t, int t1)
{
    int u, j;

    for (u = t; u < t1; u++) {
        const float *vt = v + u * kvd;
        __m256 p = _mm256_set1_ps(s[u] * inv);

        _Pragma("GCC unroll 8") for (j = 0; j < nj; j++)
            acc[j] = _mm256_fmadd_ps(p, _mm256_loadu_ps(vt + 8 * j), acc[j]);
    }
}

/* Heads handled together (more are taken in turns of this many). */
#define ATTN_MAX_GROUP 8
/* Positions per turn of the weighted sum: their values stay in L1. */
#define ATTN_VCHUNK 16

/* The heads' softmax of their scores s[g * npos + t], in place; inv[g] =
 * 1 / the sum of the head's weights. */
KERN_AVX2 static void
attn_softmax(float *s, int npos, float *inv)
{
    __m256 vmx = _mm256_set1_ps(-INFINITY), vsum;
    float mx, sum, tail[8];
    int t, j;

    for (t = 0; t + 8 <= npos; t += 8)
        vmx = _mm256_max_ps(vmx, _mm256_loadu_ps(s + t));
    _mm256_storeu_ps(tail, vmx);
    mx = tail[0];
    for (j = 1; j < 8; j++)
        mx = tail[j] > mx ? tail[j] : mx;
    for (; t < npos; t++)
        mx = s[t] > mx ? s[t] : mx;
    vmx = _mm256_set1_ps(mx);
    vsum = KERN_ZERO256;
    for (t = 0; t + 8 <= npos; t += 8) {
        __m256 e = kern_exp256(_mm256_sub_ps(_mm256_loadu_ps(s + t), vmx));

        _mm256_storeu_ps(s + t, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    sum = kern_hsum256(vsum);
    if (t < npos) {
        int m = npos - t, i;

        for (i = 0; i < 8; i++)
            tail[i] = i < m ? s[t + i] - mx : -INFINITY;
        _mm256_storeu_ps(tail, kern_exp256(_mm256_loadu_ps(tail)));
        for (i = 0; i < m; i++) {
            s[t + i] = tail[i];
            sum += tail[i];
        }
    }
    *inv = 1.0f / sum;
}

/* Up to ATTN_MAX_GROUP heads (model_attn_fn arguments; hd a multiple of 8,
 * at most 8 * ATTN_MAX_VEC). */
KERN_AVX2 static void
attn_group_avx2(const float *q, int nq, const float *k, const float *v, int64_t kvd, int npos,
                int hd, float scale, float *s, float *out)
{
    __m256 qv[ATTN_MAX_GROUP][ATTN_MAX_VEC], acc[8], sc = _mm256_set1_ps(scale);
    float inv[ATTN_MAX_GROUP], tail[8];
    int nv = hd / 8, t, t1, j, g;

    for (g = 0; g < nq; g++)
        for (j = 0; j < nv; j++)
            qv[g][j] = _mm256_loadu_ps(q + (size_t)g * hd + 8 * j);
    /* scores, eight positions at a time, each head in turn */
    for (t = 0; t < npos; t += 8) {
        const float *kp[8];
        int i, m = npos - t < 8 ? npos - t : 8;

        for (i = 0; i < 8; i++)
            kp[i] = k + (int64_t)(t + (i < m ? i : m - 1)) * kvd;
        for (g = 0; g < nq; g++) {
            __m256 sv = _mm256_mul_ps(attn_scores8(qv[g], nv, kp), sc);
            float *sg = s + (size_t)g * npos;

            if (m == 8) {
                _mm256_storeu_ps(sg + t, sv);
            } else {
                _mm256_storeu_ps(tail, sv);
                for (i = 0; i < m; i++)
                    sg[t + i] = tail[i];
            }
        }
    }
    for (g = 0; g < nq; g++)
        attn_softmax(s + (size_t)g * npos, npos, &inv[g]);
    /* the weighted sums, a chunk of positions at a time, each head in turn
     * (its sums carried in out between chunks) */
    for (g = 0; g < nq; g++)
        memset(out + (size_t)g * hd, 0, (size_t)hd * sizeof *out);
    for (t = 0; t < npos; t = t1) {
        t1 = t + ATTN_VCHUNK < npos ? t + ATTN_VCHUNK : npos;
        for (g = 0; g < nq; g++) {
            const float *sg = s + (size_t)g * npos;
            float *og = out + (size_t)g * hd;
            int j0;

            /* 8 vectors of dims at a time (each dim's sum is its own) */
            for (j0 = 0; j0 < nv; j0 += 8) {
                int nj = nv - j0 < 8 ? nv - j0 : 8;

                for (j = 0; j < nj; j++)
                    acc[j] = _mm256_loadu_ps(og + 8 * (j0 + j));
                if (nj == 8)
                    attn_vsum_n(acc, 8, v + 8 * j0, kvd, sg, inv[g], t, t1);
                else
                    attn_vsum_n(acc, nj, v + 8 * j0, kvd, sg, inv[g], t, t1);
                for (j = 0; j < nj; j++)
                    _mm256_storeu_ps(og + 8 * (j0 + j), acc[j]);
            }
        }
    }
}

KERN_AVX2 static void
model_attn_head_avx2(const float *q, int nq, const float *k, const float *v, int64_t kvd,
                     int npos, int hd, float scale, float *s, float *out)
{
    int g;

    if (hd % 8 != 0 || hd / 8 > ATTN_MAX_VEC || npos < 1) {
        model_attn_head_ref(q, nq, k, v, kvd, npos, hd, scale, s, out);
        return;
    }
    for (g = 0; g < nq; g += ATTN_MAX_GROUP) {
        int m = nq - g < ATTN_MAX_GROUP ? nq - g : ATTN_MAX_GROUP;

        attn_group_avx2(q + (size_t)g * hd, m, k, v, kvd, npos, hd, scale, s + (size_t)g * npos,
                        out + (size_t)g * hd);
    }
}
#endif

model_attn_fn
model_attn_pick(void)
{
#if KERN_X86
    if (kern_isa() >= KERN_ISA_AVX2)
        return model_attn_head_avx2;
#endif
    return model_attn_head_ref;
}
