/* model_attn.c: the attention of one query head over the cached positions
 * (scores, softmax, weighted sum of values), as a scalar reference and an
 * AVX2 + FMA variant chosen with the kernels' instruction-set family (scores
 * of 8 positions per vector, a vector exp). Both compute each (query,
 * position) pair the same way whatever the number of positions, so a batch
 * gives the same bits as single steps. */
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

/* e^x for x <= 0 in 8 lanes: x = n ln2 + r with |r| <= ln2/2, e^r by
 * Cephes' degree-6 polynomial for expf (within 2 ulp), times 2^n built in
 * the exponent bits. Below -87 the result is flushed to 0, as expf's
 * would be denormal or 0 there. */
KERN_AVX2 static inline __m256
attn_exp256(__m256 x)
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

/* The scores of 8 positions (key rows k0 + i * kvd, i < 8) against the
 * query, as one vector: each lane's sum is reduced by the same tree
 * whichever lane it is in, so a position's score does not depend on its
 * neighbours (the tail repeats a key and drops the extra lanes). */
KERN_AVX2 static inline __m256
attn_scores8(const __m256 *qv, int nv, const float *const *kp)
{
    __m256 a[8], h01, h23, h45, h67, h0123, h4567;
    int i, j;

    for (i = 0; i < 8; i++)
        a[i] = KERN_ZERO256;
    for (j = 0; j < nv; j++)
        for (i = 0; i < 8; i++)
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

KERN_AVX2 static void
model_attn_head_avx2(const float *q, const float *k, const float *v, int64_t kvd, int npos,
                     int hd, float scale, float *s, float *out)
{
    __m256 qv[ATTN_MAX_VEC], acc[ATTN_MAX_VEC], vmx, vsum, sc = _mm256_set1_ps(scale);
    int nv = hd / 8, t, j;
    float mx, sum, inv, tail[8];

    if (hd % 8 != 0 || nv > ATTN_MAX_VEC || npos < 1) {
        model_attn_head_ref(q, k, v, kvd, npos, hd, scale, s, out);
        return;
    }
    for (j = 0; j < nv; j++)
        qv[j] = _mm256_loadu_ps(q + 8 * j);
    /* scores, eight positions at a time */
    for (t = 0; t < npos; t += 8) {
        const float *kp[8];
        int i, m = npos - t < 8 ? npos - t : 8;
        __m256 sv;

        for (i = 0; i < 8; i++)
            kp[i] = k + (int64_t)(t + (i < m ? i : m - 1)) * kvd;
        sv = _mm256_mul_ps(attn_scores8(qv, nv, kp), sc);
        if (m == 8) {
            _mm256_storeu_ps(s + t, sv);
        } else {
            _mm256_storeu_ps(tail, sv);
            for (i = 0; i < m; i++)
                s[t + i] = tail[i];
        }
    }
    /* softmax */
    vmx = _mm256_set1_ps(-INFINITY);
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
        __m256 e = attn_exp256(_mm256_sub_ps(_mm256_loadu_ps(s + t), vmx));

        _mm256_storeu_ps(s + t, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    sum = kern_hsum256(vsum);
    if (t < npos) {
        int m = npos - t, i;

        for (i = 0; i < 8; i++)
            tail[i] = i < m ? s[t + i] - mx : -INFINITY;
        _mm256_storeu_ps(tail, attn_exp256(_mm256_loadu_ps(tail)));
        for (i = 0; i < m; i++) {
            s[t + i] = tail[i];
            sum += tail[i];
        }
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
