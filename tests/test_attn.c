/* test_attn.c: the SIMD attention of one head (model_attn.c) scored against
 * the scalar reference and a double-precision computation, for head sizes
 * that take the vector path and ones that fall back, strided caches, and
 * numbers of positions around the 4-position blocks; the same bits when
 * run again, and a position's weight not depending on how many follow;
 * heads of a group computed together as alone; the feed-forward gate
 * (model_act.c), SIMD against scalar. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "model_int.h"
#include "tap.h"
#include "xmalloc.h"

static uint64_t rng = 88172645463325252ull;

static float
uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) * 0x1p-53 * 2.0 - 1.0);
}

/* The exact answer, in doubles. */
static void
attn_exact(const float *q, const float *k, const float *v, int64_t kvd, int npos, int hd,
           float scale, double *out)
{
    double *s = xmalloc((size_t)npos * sizeof *s), mx = -INFINITY, sum = 0;
    int t, d;

    for (t = 0; t < npos; t++) {
        double dot = 0;

        for (d = 0; d < hd; d++)
            dot += (double)q[d] * (double)k[t * kvd + d];
        s[t] = dot * (double)scale;
        mx = s[t] > mx ? s[t] : mx;
    }
    for (t = 0; t < npos; t++)
        sum += (s[t] = exp(s[t] - mx));
    for (d = 0; d < hd; d++) {
        out[d] = 0;
        for (t = 0; t < npos; t++)
            out[d] += s[t] / sum * (double)v[t * kvd + d];
    }
    free(s);
}

/* Heads that share a key/value head, computed together (1..9 heads, more
 * than the group the SIMD code takes at once): each head's result and
 * weights have the same bits as when it is computed alone. */
static void
test_groups(model_attn_fn fn)
{
    static const int nqs[] = { 2, 4, 9 };
    static const int nposes[] = { 1, 7, 16, 17, 33, 300 };
    int hd = 64;
    int64_t kvd = 3 * hd;
    size_t a, b;

    for (a = 0; a < sizeof nqs / sizeof nqs[0]; a++) {
        for (b = 0; b < sizeof nposes / sizeof nposes[0]; b++) {
            int nq = nqs[a], npos = nposes[b], g, good = 1;
            float *q = xmalloc((size_t)(nq * hd) * sizeof *q);
            float *k = xmalloc((size_t)(npos * kvd) * sizeof *k);
            float *v = xmalloc((size_t)(npos * kvd) * sizeof *v);
            float *s = xmalloc((size_t)(nq * npos) * sizeof *s), *s1 = xmalloc((size_t)npos * sizeof *s1);
            float *o = xmalloc((size_t)(nq * hd) * sizeof *o), *o1 = xmalloc((size_t)hd * sizeof *o1);
            int64_t i;

            for (i = 0; i < nq * hd; i++)
                q[i] = 3.0f * uniform();
            for (i = 0; i < npos * kvd; i++) {
                k[i] = uniform();
                v[i] = uniform();
            }
            fn(q, nq, k, v, kvd, npos, hd, 0.125f, s, o);
            for (g = 0; g < nq; g++) {
                fn(q + g * hd, 1, k, v, kvd, npos, hd, 0.125f, s1, o1);
                good &= memcmp(o1, o + g * hd, (size_t)hd * sizeof *o1) == 0;
                good &= memcmp(s1, s + (size_t)g * npos, (size_t)npos * sizeof *s1) == 0;
            }
            ok(good, "%s: %d heads of a group, %d positions: each as alone, bit for bit",
               fn == model_attn_head_ref ? "scalar" : "simd", nq, npos);
            free(q);
            free(k);
            free(v);
            free(s);
            free(s1);
            free(o);
            free(o1);
        }
    }
}

/* The gate: SIMD against the scalar reference, odd lengths, large and
 * tiny gates, each element the same wherever it falls. */
static void
test_glu(void)
{
    static const int ns[] = { 1, 7, 8, 9, 31, 517 };
    model_glu_fn fast = model_glu_pick();
    size_t a;
    int act;

    for (act = MODEL_ACT_SILU; act <= MODEL_ACT_RELU2; act++) {
        for (a = 0; a < sizeof ns / sizeof ns[0]; a++) {
            int n = ns[a], i;
            float *g = xmalloc((size_t)n * sizeof *g), *u = xmalloc((size_t)n * sizeof *u);
            float *g1 = xmalloc((size_t)n * sizeof *g1), *g2 = xmalloc((size_t)n * sizeof *g2);
            double worst = 0;

            for (i = 0; i < n; i++) {
                g[i] = i % 11 == 3 ? 95.0f * uniform() : 9.0f * uniform();
                u[i] = uniform();
            }
            g[0] = n > 1 ? -0.0f : 0.5f;
            memcpy(g1, g, (size_t)n * sizeof *g);
            memcpy(g2, g, (size_t)n * sizeof *g);
            model_glu_ref(g1, u, n, act);
            fast(g2, u, n, act);
            for (i = 0; i < n; i++) {
                double d = fabs((double)g1[i] - (double)g2[i]) / (fabs((double)g1[i]) + 1e-30);

                worst = d > worst ? d : worst;
            }
            ok(worst <= 1e-6, "gate %s, %d elements: simd vs scalar (rel %.2g)",
               act == MODEL_ACT_SILU ? "silu" : "relu2", n, worst);
            if (n > 9) {
                /* the elements from 5 on, alone: the same bits */
                memcpy(g1, g + 5, (size_t)(n - 5) * sizeof *g);
                fast(g1, u + 5, n - 5, act);
                ok(memcmp(g1, g2 + 5, (size_t)(n - 5) * sizeof *g1) == 0,
                   "gate %s, %d elements: an element's bits do not depend on its place",
                   act == MODEL_ACT_SILU ? "silu" : "relu2", n);
            }
            free(g);
            free(u);
            free(g1);
            free(g2);
        }
    }
}

int
main(void)
{
    static const int hds[] = { 64, 128, 96, 8, 80, 36, 256 };
    static const int nposes[] = { 1, 3, 4, 5, 8, 17, 300 };
    model_attn_fn fast = model_attn_pick();
    size_t a, b;

    diag("kernels: %s, attention: %s", kern_isa_name(kern_isa()),
         fast == model_attn_head_ref ? "scalar" : "simd");
    for (a = 0; a < sizeof hds / sizeof hds[0]; a++) {
        for (b = 0; b < sizeof nposes / sizeof nposes[0]; b++) {
            int hd = hds[a], npos = nposes[b], d;
            int64_t kvd = (int64_t)hd * 3;
            float *q = xmalloc((size_t)hd * sizeof *q);
            float *k = xmalloc((size_t)(npos * kvd) * sizeof *k);
            float *v = xmalloc((size_t)(npos * kvd) * sizeof *v);
            float *s1 = xmalloc((size_t)npos * sizeof *s1), *s2 = xmalloc((size_t)npos * sizeof *s2);
            float *o1 = xmalloc((size_t)hd * sizeof *o1), *o2 = xmalloc((size_t)hd * sizeof *o2);
            float *o3 = xmalloc((size_t)hd * sizeof *o3);
            double *ex = xmalloc((size_t)hd * sizeof *ex), worst_ref = 0, worst_fast = 0;
            float scale = 1.0f / sqrtf((float)hd);
            int64_t i;

            for (d = 0; d < hd; d++)
                q[d] = 3.0f * uniform();
            for (i = 0; i < npos * kvd; i++) {
                k[i] = uniform();
                v[i] = uniform();
            }
            model_attn_head_ref(q, 1, k, v, kvd, npos, hd, scale, s1, o1);
            fast(q, 1, k, v, kvd, npos, hd, scale, s2, o2);
            attn_exact(q, k, v, kvd, npos, hd, scale, ex);
            for (d = 0; d < hd; d++) {
                double e1 = fabs((double)o1[d] - ex[d]), e2 = fabs((double)o2[d] - ex[d]);

                worst_ref = e1 > worst_ref ? e1 : worst_ref;
                worst_fast = e2 > worst_fast ? e2 : worst_fast;
            }
            ok(worst_fast <= 2e-6 && worst_ref <= 2e-6,
               "hd %d, %d positions: simd %.2g, scalar %.2g from exact", hd, npos, worst_fast,
               worst_ref);
            fast(q, 1, k, v, kvd, npos, hd, scale, s2, o3);
            ok(memcmp(o2, o3, (size_t)hd * sizeof *o2) == 0, "hd %d, %d positions: same bits again",
               hd, npos);
            if (npos > 1) {
                /* one position fewer: the first npos-1 raw scores are the same
                 * computation, so the softmax differs only by the dropped term */
                float *s3 = xmalloc((size_t)npos * sizeof *s3);
                double ratio_full, ratio_cut;

                fast(q, 1, k, v, kvd, npos - 1, hd, scale, s3, o3);
                ratio_full = (double)s2[0] / (double)s2[npos > 2 ? 1 : 0];
                ratio_cut = (double)s3[0] / (double)s3[npos > 2 ? 1 : 0];
                ok(fabs(ratio_full - ratio_cut) <= 1e-6 * fabs(ratio_full),
                   "hd %d, %d positions: scores independent of later positions", hd, npos);
                free(s3);
            }
            free(q);
            free(k);
            free(v);
            free(s1);
            free(s2);
            free(o1);
            free(o2);
            free(o3);
            free(ex);
        }
    }
    test_groups(fast);
    test_glu();
    kern_set_isa(KERN_ISA_SCALAR);
    ok(model_attn_pick() == model_attn_head_ref, "scalar kernels: the scalar attention");
    test_groups(model_attn_head_ref);
    ok(model_glu_pick() == model_glu_ref, "scalar kernels: the scalar gate");
    return done_testing();
}
