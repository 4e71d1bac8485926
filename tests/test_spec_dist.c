/* test_spec_dist.c: speculative sampling is lossless. Tiny models with a
 * vocabulary of 24 (or 26) tokens; for each case the exact distribution of
 * the first three tokens a target-only sampler would produce is computed
 * with sampler_probs (every continuation is run), then speculative decoding
 * is repeated many times from the same prompt (fixed seeds) and the counts
 * of (x1, x2) and of (x2, x3) are compared with the exact joint
 * probabilities by a chi-square test (cells with an expected count below 5
 * pooled). Tokens the target can never produce must never appear. Cases
 * cover an unrelated draft (low acceptance), a perturbed copy (high),
 * lookup mode (one-hot q), drafts and targets with extra tokens, top-k /
 * top-p / min-p / repetition penalty / temperature, and fixed and adaptive
 * draft lengths.
 *
 * The test has teeth: building it with -DTEST_SPEC_BROKEN=1 (the residual
 * does not subtract q) or -DTEST_SPEC_BROKEN=2 (q read one token id off)
 * links the broken spec_residual below instead of engine/spec_verify.c's
 * (an object file's definition wins over the library's), and the
 * chi-square tests then fail by a wide margin (when written: 14 and 15 of
 * the 47 checks failed, z from 5 to 87, where the real residual stays
 * below 3 in every case). By hand, in a build dir:
 *   gcc -DTEST_SPEC_BROKEN=1 -I. -I$SRC/engine -I$SRC/src -I$SRC/tests \
 *       $SRC/tests/test_spec_dist.c $SRC/tests/test_spec_util.c \
 *       $SRC/tests/test_model_gen.c libternchat.a $(pkg-config --libs \
 *       ncursesw sqlite3 libpcre2-8) -lm -pthread -o /tmp/broken && /tmp/broken */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "sampler.h"
#include "spec.h"
#include "spec_int.h"
#include "tap.h"
#include "test_model_gen.h"
#include "test_spec_util.h"

#ifndef TEST_SPEC_RUNS
#define TEST_SPEC_RUNS 20000 /* speculative runs per case */
#endif
#define NV_MAX 26            /* largest vocabulary of the cases */
#define Z_FAIL 4.5           /* chi-square z-score (Wilson-Hilferty) that fails; p ~ 3e-6 */

#if defined(TEST_SPEC_BROKEN) && TEST_SPEC_BROKEN > 0
double
spec_residual(const float *p, int np, const float *q, int nq, int32_t onehot, float *r)
{
    double sum = 0.0;
    int j;

    for (j = 0; j < np; j++) {
        float qj = 0.0f, d;

#if TEST_SPEC_BROKEN == 1
        (void)q, (void)nq, (void)onehot; /* broken: q is not subtracted */
#else
        if (q != NULL) /* broken: q read one token id off */
            qj = j + 1 < nq ? q[j + 1] : 0.0f;
        else if (j == onehot + 1)
            qj = 1.0f;
#endif
        d = p[j] - qj;
        r[j] = d > 0.0f ? d : 0.0f;
        sum += (double)r[j];
    }
    return sum;
}
#endif

static char *tmpdir;

/* Exact target-only probabilities of the first three tokens. */
typedef struct exact {
    int nv;                                  /* vocabulary of the target */
    double p1[NV_MAX];                       /* P(x1) */
    double p2[NV_MAX][NV_MAX];               /* P(x2 | x1) */
    double p3[NV_MAX][NV_MAX][NV_MAX];       /* P(x3 | x1, x2) */
} exact;

/* Distribution after hist[0..n) with the sampler's transforms. */
static void
dist_after(model_ctx *c, sampler *smp, const int32_t *hist, int n, int nv, double *out)
{
    char err[512];
    float logits[NV_MAX], probs[NV_MAX];
    int i, pos = model_ctx_pos(c);

    /* The cache holds a prefix of hist; run the rest. */
    if (model_forward(c, hist + pos, n - pos, logits, 0, err, sizeof err) != 0) {
        diag("%s", err);
        exit(1);
    }
    sampler_set_history(smp, hist, n);
    sampler_probs(smp, logits, probs);
    for (i = 0; i < nv; i++)
        out[i] = probs[i];
}

static exact *
exact_new(model *t, const int32_t *prompt, int np, const sampler_params *sp)
{
    char err[512];
    exact *e = calloc(1, sizeof *e);
    int nv = model_get_info(t)->n_vocab, a, b;
    model_ctx *c = model_ctx_new(t, 0, err, sizeof err);
    sampler *smp = sampler_new(sp, nv);
    int32_t h[64];

    e->nv = nv;
    memcpy(h, prompt, (size_t)np * sizeof *h);
    dist_after(c, smp, h, np, nv, e->p1);
    for (a = 0; a < nv; a++) {
        if (e->p1[a] == 0.0)
            continue;
        h[np] = a;
        model_ctx_truncate(c, np);
        dist_after(c, smp, h, np + 1, nv, e->p2[a]);
        for (b = 0; b < nv; b++) {
            if (e->p2[a][b] == 0.0)
                continue;
            h[np + 1] = b;
            model_ctx_truncate(c, np + 1);
            dist_after(c, smp, h, np + 2, nv, e->p3[a][b]);
        }
    }
    sampler_free(smp);
    model_ctx_free(c);
    return e;
}

/* Chi-square z-score of counts against probabilities over n cells (runs
 * samples); cells with an expected count below 5 are pooled. *impossible
 * gets the count seen in cells of probability 0. */
static double
chi_z(const long *cnt, const double *prob, int n, long runs, long *impossible, int *df)
{
    double x2 = 0.0, pool_e = 0.0, k, z;
    long pool_o = 0;
    int i, cells = 0;

    *impossible = 0;
    for (i = 0; i < n; i++) {
        double e = prob[i] * (double)runs;

        if (prob[i] <= 0.0) {
            *impossible += cnt[i];
            continue;
        }
        if (e < 5.0) {
            pool_e += e;
            pool_o += cnt[i];
            continue;
        }
        x2 += ((double)cnt[i] - e) * ((double)cnt[i] - e) / e;
        cells++;
    }
    if (pool_e > 0.0) {
        x2 += ((double)pool_o - pool_e) * ((double)pool_o - pool_e) / pool_e;
        cells++;
    }
    *df = cells - 1;
    if (cells < 2)
        return 0.0;
    k = (double)(cells - 1);
    z = (cbrt(x2 / k) - (1.0 - 2.0 / (9.0 * k))) / sqrt(2.0 / (9.0 * k));
    return z;
}

/* One case: the pair, the sampler, the draft lengths, the prompt. */
typedef struct dcase {
    const char *name;   /* shown in the test names */
    int target;         /* index into the models */
    int draft;          /* index, or -1 (lookup) */
    float temp;         /* sampler settings */
    int top_k;
    float top_p;
    float min_p;
    float penalty;
    int gmin, gmax;     /* draft lengths */
    int prompt;         /* which prompt */
    int repro;          /* spec_params.reproducible (adaptive without the clock) */
} dcase;

enum { M_T, M_D, M_TWIN, M_DBIG, M_TBIG, M_N };

static const int32_t prompts[2][8] = {
    { 1, 5, 9, 13, 17, 21, 4, 8 },     /* no repeats */
    { 1, 6, 7, 8, 6, 7, 8, 6 },        /* repeats: lookup proposes "7 8 6 ..." */
};

static void
run_case(const dcase *dc, model **m)
{
    char err[512];
    model *t = m[dc->target], *d = dc->draft >= 0 ? m[dc->draft] : NULL;
    model_ctx *tc = model_ctx_new(t, 0, err, sizeof err);
    model_ctx *dx = d != NULL ? model_ctx_new(d, 0, err, sizeof err) : NULL;
    sampler_params sp;
    spec_params pp;
    spec *s;
    exact *e;
    int nv = model_get_info(t)->n_vocab, np = 8, a, b, c, df12, df23;
    long run, *c12 = calloc((size_t)(nv * nv), sizeof *c12);
    long *c23 = calloc((size_t)(nv * nv), sizeof *c23), imp12, imp23;
    double *j12 = calloc((size_t)(nv * nv), sizeof *j12);
    double *j23 = calloc((size_t)(nv * nv), sizeof *j23), z12, z23;
    spec_stats st;

    sampler_params_default(&sp);
    sp.temp = dc->temp;
    sp.top_k = dc->top_k;
    sp.top_p = dc->top_p;
    sp.min_p = dc->min_p;
    sp.repeat_penalty = dc->penalty;
    sp.repeat_last_n = 8;
    sp.seed = 1234;
    spec_params_default(&pp);
    pp.mode = d != NULL ? SPEC_DRAFT : SPEC_LOOKUP;
    pp.draft_min = dc->gmin;
    pp.draft_max = dc->gmax;
    pp.reproducible = dc->repro;
    s = spec_new(t, tc, d, dx, &sp, &pp, err, sizeof err);
    if (!ok(s != NULL && spec_feed(s, prompts[dc->prompt], np, err, sizeof err) == 0,
            "%s: set up", dc->name)) {
        diag("%s", err);
        goto out;
    }
    e = exact_new(t, prompts[dc->prompt], np, &sp);
    for (a = 0; a < nv; a++)
        for (b = 0; b < nv; b++)
            for (c = 0; c < nv; c++) {
                double pabc = e->p1[a] * e->p2[a][b] * e->p3[a][b][c];

                j23[b * nv + c] += pabc;
                if (c == 0)
                    j12[a * nv + b] = e->p1[a] * e->p2[a][b];
            }

    for (run = 0; run < TEST_SPEC_RUNS; run++) {
        int32_t x[3];

        spec_truncate(s, np);
        if (tsu_spec_decode(s, 3, x) != 3) {
            ok(0, "%s: 3 tokens per run", dc->name);
            break;
        }
        c12[x[0] * nv + x[1]]++;
        c23[x[1] * nv + x[2]]++;
    }
    spec_get_stats(s, &st);
    z12 = chi_z(c12, j12, nv * nv, TEST_SPEC_RUNS, &imp12, &df12);
    z23 = chi_z(c23, j23, nv * nv, TEST_SPEC_RUNS, &imp23, &df23);
    diag("%s: acceptance %.3f (%ld of %ld), gamma mean %.2f; z(x1,x2) = %.2f (df %d), "
         "z(x2,x3) = %.2f (df %d)", dc->name, st.accept_rate, st.n_accepted, st.n_drafted,
         st.gamma_mean, z12, df12, z23, df23);
    ok(st.n_drafted > 0 && st.n_accepted > 0 && st.n_accepted < st.n_drafted,
       "%s: proposals both accepted and rejected", dc->name);
    ok(imp12 == 0 && imp23 == 0, "%s: no token the target cannot produce (%ld, %ld)", dc->name,
       imp12, imp23);
    ok(z12 < Z_FAIL, "%s: (x1, x2) matches the target's distribution (z %.2f)", dc->name, z12);
    ok(z23 < Z_FAIL, "%s: (x2, x3) matches the target's distribution (z %.2f)", dc->name, z23);
    free(e);
out:
    spec_free(s);
    model_ctx_free(tc);
    model_ctx_free(dx);
    free(c12);
    free(c23);
    free(j12);
    free(j23);
}

/* The test's own power: counts drawn from a distribution off by one token
 * id in a small part of the mass must fail. */
static void
test_chi_power(void)
{
    double p[24], pb[24];
    long cnt[24], imp;
    uint64_t rng = 9;
    int i, df;
    long r;
    double z, sum = 0.0;

    for (i = 0; i < 24; i++)
        sum += (p[i] = (double)((i * 7) % 24 + 1));
    for (i = 0; i < 24; i++)
        p[i] /= sum;
    for (i = 0; i < 24; i++)
        pb[i] = 0.9 * p[i] + 0.1 * p[(i + 1) % 24];
    memset(cnt, 0, sizeof cnt);
    for (r = 0; r < TEST_SPEC_RUNS; r++) {
        double u = (double)(tsu_rand(&rng) >> 11) * 0x1p-53, cum = 0.0;

        for (i = 0; i < 23 && (cum += pb[i]) <= u; i++)
            ;
        cnt[i]++;
    }
    z = chi_z(cnt, p, 24, TEST_SPEC_RUNS, &imp, &df);
    ok(z > Z_FAIL, "chi-square sees 10%% of the mass shifted by one id (z %.1f)", z);
}

int
main(void)
{
    static const dcase cases[] = {
        { "unrelated draft, temp 1", M_T, M_D, 1.0f, 0, 1.0f, 0.0f, 1.0f, 3, 3, 0, 0 },
        { "unrelated draft, top-k 8 top-p 0.9 min-p 0.05 penalty 1.5, temp 0.7", M_T, M_D, 0.7f,
          8, 0.9f, 0.05f, 1.5f, 2, 2, 0, 0 },
        { "perturbed copy, temp 0.8, adaptive 1..6", M_T, M_TWIN, 0.8f, 0, 1.0f, 0.0f, 1.0f, 1, 6,
          0, 0 },
        { "unrelated draft, temp 1, adaptive 0..8 (fixed costs)", M_T, M_D, 1.0f, 0, 1.0f, 0.0f,
          1.0f, 0, 8, 1, 1 },
        { "perturbed copy, top-k 5 penalty 1.3, draft 4", M_T, M_TWIN, 1.0f, 5, 1.0f, 0.0f, 1.3f,
          4, 4, 1, 0 },
        { "lookup, temp 1", M_T, -1, 1.0f, 0, 1.0f, 0.0f, 1.0f, 3, 3, 1, 0 },
        { "lookup, min-p 0.1 penalty 1.2, temp 0.6", M_T, -1, 0.6f, 0, 1.0f, 0.1f, 1.2f, 1, 2, 1, 0 },
        { "draft with 2 more tokens, temp 1.2", M_T, M_DBIG, 1.2f, 0, 1.0f, 0.0f, 1.0f, 3, 3, 0, 0 },
        { "target with 2 more tokens, top-p 0.8", M_TBIG, M_D, 1.0f, 0, 0.8f, 0.0f, 1.0f, 3, 3, 0, 0 },
    };
    tsu_model_opts o;
    char *path[M_N];
    model *m[M_N];
    size_t i;
    int all = 1;

    tmpdir = tm_tmpdir();
    if (tmpdir == NULL) {
        ok(0, "mkdtemp");
        return done_testing();
    }
#if defined(TEST_SPEC_BROKEN) && TEST_SPEC_BROKEN > 0
    diag("BROKEN residual variant %d linked: the distribution tests must fail", TEST_SPEC_BROKEN);
#endif
    test_chi_power();
    tsu_model_opts_init(&o);
    o.tokenizer = 1;
    o.n_vocab = 24;
    o.n_ctx = 64;
    o.seed = 31;
    path[M_T] = tsu_write_model(tmpdir, "t.gguf", &o);
    o.perturb = 0.3;
    path[M_TWIN] = tsu_write_model(tmpdir, "twin.gguf", &o);
    o.perturb = 0;
    o.n_embd = 16;
    o.n_layer = 1;
    o.seed = 32;
    path[M_D] = tsu_write_model(tmpdir, "d.gguf", &o);
    o.n_vocab = 26;
    o.n_added = 2;
    o.seed = 33;
    path[M_DBIG] = tsu_write_model(tmpdir, "dbig.gguf", &o);
    o.n_embd = 32;
    o.n_layer = 2;
    o.seed = 34;
    path[M_TBIG] = tsu_write_model(tmpdir, "tbig.gguf", &o);
    for (i = 0; i < M_N; i++) {
        m[i] = path[i] != NULL ? tsu_load(path[i]) : NULL;
        all &= m[i] != NULL;
    }
    if (ok(all, "models written and loaded"))
        for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
            run_case(&cases[i], m);
    for (i = 0; i < M_N; i++) {
        model_free(m[i]);
        free(path[i]);
    }
    tm_rmdir(tmpdir);
    return done_testing();
}
