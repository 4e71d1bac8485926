/* model_act.c: the gated activation of the feed-forward block,
 * g[i] = act(g[i]) * u[i] with act SiLU (llama) or ReLU^2 (bitnet), as a
 * scalar reference and an AVX2 variant chosen with the kernels'
 * instruction-set family (SiLU through the vector exp of kern_simd.h, on
 * -|g| only, so it never overflows). Each element is computed the same way
 * wherever it falls, so a batch gives the same bits as single steps. */
#include "config.h"

#include <math.h>

#include "kern.h"
#include "kern_int.h"
#include "model_int.h"

void
model_glu_ref(float *g, const float *u, int64_t n, int act)
{
    int64_t i;

    for (i = 0; i < n; i++) {
        float gv = g[i];

        if (act == MODEL_ACT_RELU2) {
            gv = gv > 0 ? gv : 0;
            gv = gv * gv;
        } else {
            gv = gv / (1.0f + expf(-gv));
        }
        g[i] = gv * u[i];
    }
}

#if KERN_X86
#include "kern_simd.h"

/* act(g) * u in 8 lanes: SiLU as g * sigmoid(g), sigmoid(g) = 1 / (1 + e)
 * for g >= 0 and e / (1 + e) below, e = e^-|g|. */
KERN_AVX2 static inline __m256
model_glu8(__m256 g, __m256 u, int act)
{
    __m256 z = _mm256_setzero_ps();

    if (act == MODEL_ACT_RELU2) {
        g = _mm256_max_ps(g, z);
        return _mm256_mul_ps(_mm256_mul_ps(g, g), u);
    }
    {
        __m256 e = kern_exp256(_mm256_sub_ps(z, _mm256_andnot_ps(_mm256_set1_ps(-0.0f), g)));
        __m256 d = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        __m256 sig = _mm256_blendv_ps(_mm256_mul_ps(e, d), d, _mm256_cmp_ps(g, z, _CMP_GE_OQ));

        return _mm256_mul_ps(_mm256_mul_ps(g, sig), u);
    }
}

KERN_AVX2 static void
model_glu_avx2(float *g, const float *u, int64_t n, int act)
{
    float tg[8] = { 0 }, tu[8] = { 0 };
    int64_t i, j;

    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(g + i,
                         model_glu8(_mm256_loadu_ps(g + i), _mm256_loadu_ps(u + i), act));
    if (i < n) {
        for (j = 0; i + j < n; j++) {
            tg[j] = g[i + j];
            tu[j] = u[i + j];
        }
        _mm256_storeu_ps(tg, model_glu8(_mm256_loadu_ps(tg), _mm256_loadu_ps(tu), act));
        for (j = 0; i + j < n; j++)
            g[i + j] = tg[j];
    }
}
#endif

model_glu_fn
model_glu_pick(void)
{
#if KERN_X86
    if (kern_isa() >= KERN_ISA_AVX2)
        return model_glu_avx2;
#endif
    return model_glu_ref;
}
