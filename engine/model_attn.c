/* model_attn.c: the attention of one query head over the cached positions
 * (scores, softmax, weighted sum of values), as a scalar reference and an
 * AVX2 + FMA variant chosen with the kernels' instruction-set family. Both
 * compute each (query, position) pair the same way whatever the number of
 * positions, so a batch gives the same bits as single steps. */
#include "config.h"

#include <math.h>

#include "kern.h"
#include "kern_int.h"
#include "model_int.h"

void
model_attn_head_ref(const float *q, const float *k, const float *v, int64_t kvd, int npos,
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

#if KERN_X86
#include "kern_simd.h"

/* Head sizes up to this many floats keep the output in registers. */
#define ATTN_MAX_VEC 16 /* 128 dims */

KERN_AVX2 static void
model_attn_head_avx2(const float *q, const float *k, const float *v, int64_t kvd, int npos,
                     int hd, float scale, float *s, float *out)
{
    __m256 qv[ATTN_MAX_VEC], acc[ATTN_MAX_VEC];
    int nv = hd / 8, t, j;
    float mx = -INFINITY, sum = 0, inv;

    if (hd % 8 != 0 || nv > ATTN_MAX_VEC) {
        model_attn_head_ref(q, k, v, kvd, npos, hd, scale, s, out);
        return;
    }
    for (j = 0; j < nv; j++)
        qv[j] = _mm256_loadu_ps(q + 8 * j);
    /* scores: four positions at a time for independent chains; each
     * position's sum is the same sequence of FMAs and the same reduction */
    for (t = 0; t + 4 <= npos; t += 4) {
        const float *k0 = k + t * kvd, *k1 = k0 + kvd, *k2 = k1 + kvd, *k3 = k2 + kvd;
        __m256 a0 = KERN_ZERO256, a1 = KERN_ZERO256, a2 = KERN_ZERO256, a3 = KERN_ZERO256;

        for (j = 0; j < nv; j++) {
            a0 = _mm256_fmadd_ps(qv[j], _mm256_loadu_ps(k0 + 8 * j), a0);
            a1 = _mm256_fmadd_ps(qv[j], _mm256_loadu_ps(k1 + 8 * j), a1);
            a2 = _mm256_fmadd_ps(qv[j], _mm256_loadu_ps(k2 + 8 * j), a2);
            a3 = _mm256_fmadd_ps(qv[j], _mm256_loadu_ps(k3 + 8 * j), a3);
        }
        s[t] = kern_hsum256(a0) * scale;
        s[t + 1] = kern_hsum256(a1) * scale;
        s[t + 2] = kern_hsum256(a2) * scale;
        s[t + 3] = kern_hsum256(a3) * scale;
    }
    for (; t < npos; t++) {
        const float *k0 = k + t * kvd;
        __m256 a0 = KERN_ZERO256;

        for (j = 0; j < nv; j++)
            a0 = _mm256_fmadd_ps(qv[j], _mm256_loadu_ps(k0 + 8 * j), a0);
        s[t] = kern_hsum256(a0) * scale;
    }
    for (t = 0; t < npos; t++)
        if (s[t] > mx)
            mx = s[t];
    for (t = 0; t < npos; t++) {
        s[t] = expf(s[t] - mx);
        sum += s[t];
    }
    inv = 1.0f / sum;
    for (j = 0; j < nv; j++)
        acc[j] = KERN_ZERO256;
    for (t = 0; t < npos; t++) {
        const float *vt = v + t * kvd;
        __m256 p = _mm256_set1_ps(s[t] * inv);

        for (j = 0; j < nv; j++)
            acc[j] = _mm256_fmadd_ps(p, _mm256_loadu_ps(vt + 8 * j), acc[j]);
    }
    for (j = 0; j < nv; j++)
        _mm256_storeu_ps(out + 8 * j, acc[j]);
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
