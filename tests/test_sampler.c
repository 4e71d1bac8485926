/* test_sampler.c: the sampler's distributions. Each transform is checked on
 * small hand-computed examples, the draws are checked with chi-square
 * goodness-of-fit tests, and top-k on a 128k vocabulary is checked against a
 * naive full-sort reference. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sampler.h"
#include "tap.h"

#define NV_MAX 16

/* Chi-square critical values at p = 0.001 for df = 1..7. */
static const double chi2_crit_001[8] = {
    0.0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322
};

/* Parameters with every filter off, temperature 1. */
static sampler_params
params_off(void)
{
    sampler_params p;

    sampler_params_default(&p);
    p.temp = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.repeat_penalty = 1.0f;
    p.repeat_last_n = 64;
    p.seed = 42;
    return p;
}

/* Log of each weight (0 -> -inf). */
static void
log_weights(const double *w, float *logits, int n)
{
    int i;

    for (i = 0; i < n; i++)
        logits[i] = w[i] > 0.0 ? (float)log(w[i]) : -INFINITY;
}

/* ok() when |got - want| <= tol everywhere; prints both rows otherwise. */
static int
probs_near(const float *got, const double *want, int n, double tol, const char *name)
{
    int i, good = 1;

    for (i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= tol))
            good = 0;
    ok(good, "%s", name);
    if (!good)
        for (i = 0; i < n; i++)
            diag("  [%d] got %.8f want %.8f", i, (double)got[i], want[i]);
    return good;
}

/* Run sampler_probs with params p on logits: one test point that checks
 * the probabilities against want and the returned nonzero count. */
static void
check_chain(const sampler_params *p, const float *logits, int n,
            const double *want, int want_n, const char *name)
{
    sampler *s = sampler_new(p, n);
    float probs[NV_MAX];
    int got_n, i, good = 1;

    got_n = sampler_probs(s, logits, probs);
    for (i = 0; i < n; i++)
        if (!(fabs((double)probs[i] - want[i]) <= 2e-6))
            good = 0;
    ok(good && got_n == want_n, "%s", name);
    if (!good || got_n != want_n) {
        diag("  nonzero: got %d want %d", got_n, want_n);
        for (i = 0; i < n; i++)
            diag("  [%d] got %.8f want %.8f", i, (double)probs[i], want[i]);
    }
    sampler_free(s);
}

static double
chi_square(const long *count, const double *p, int n, long total, int *df)
{
    double chi = 0.0;
    int i, bins = 0;

    for (i = 0; i < n; i++) {
        double e = p[i] * (double)total;

        if (p[i] <= 0.0)
            continue;
        chi += ((double)count[i] - e) * ((double)count[i] - e) / e;
        bins++;
    }
    *df = bins - 1;
    return chi;
}

static void
test_params(void)
{
    sampler_params p;
    sampler *s;

    sampler_params_default(&p);
    ok(fabsf(p.temp - 0.8f) < 1e-7f && p.top_k == 40 && fabsf(p.top_p - 0.95f) < 1e-7f &&
       fabsf(p.min_p - 0.05f) < 1e-7f && p.repeat_penalty == 1.0f &&
       p.repeat_last_n == 64 && p.seed == 0, "defaults match the header");
    ok(sampler_new(&p, 0) == NULL, "n_vocab 0 is refused");
    p.seed = 1234;
    p.top_k = 7;
    s = sampler_new(&p, 10);
    ok(s != NULL && sampler_get_params(s)->seed == 1234 && sampler_get_params(s)->top_k == 7,
       "sampler_get_params returns the parameters");
    sampler_free(s);
    sampler_free(NULL);
}

static void
test_greedy(void)
{
    const float logits[5] = { 0.1f, 2.0f, -1.0f, 2.0f, 1.9f };
    sampler_params p = params_off();
    sampler *s, *fresh;
    float probs[5];
    double u1, u2;
    int n;

    p.temp = 0.0f;
    p.top_k = 2;
    p.top_p = 0.5f;
    p.min_p = 0.1f;
    s = sampler_new(&p, 5);
    fresh = sampler_new(&p, 5);
    ok(sampler_sample(s, logits) == 1, "greedy: argmax, tie between 1 and 3 goes to 1");
    n = sampler_probs(s, logits, probs);
    ok(n == 1 && probs[1] == 1.0f && probs[0] == 0.0f && probs[3] == 0.0f,
       "greedy: probs are one-hot on the argmax");
    u1 = sampler_uniform(s);
    u2 = sampler_uniform(fresh);
    ok(u1 == u2, "greedy: the RNG is not used");
    sampler_free(s);
    sampler_free(fresh);

    p.temp = -1.0f;
    s = sampler_new(&p, 5);
    {
        const float l2[5] = { 3.0f, 2.0f, 5.0f, -1.0f, 4.999f };

        ok(sampler_sample(s, l2) == 2, "negative temp is greedy too");
    }
    sampler_free(s);
}

static void
test_temperature(void)
{
    const double w[5] = { 1, 2, 3, 4, 0 };
    const double t1[5] = { 0.1, 0.2, 0.3, 0.4, 0 };
    const double t05[5] = { 1.0 / 30, 4.0 / 30, 9.0 / 30, 16.0 / 30, 0 };
    const double t2[5] = { 0.1627005, 0.2300932, 0.2818055, 0.3254009, 0 };
    sampler_params p = params_off();
    float logits[5];

    log_weights(w, logits, 5);
    check_chain(&p, logits, 5, t1, 4, "temp 1: softmax of log-weights; -inf token gets 0");
    p.temp = 0.5f;
    check_chain(&p, logits, 5, t05, 4, "temp 0.5: weights squared");
    p.temp = 2.0f;
    check_chain(&p, logits, 5, t2, 4, "temp 2.0: square roots of the weights");
}

static void
test_top_k(void)
{
    const double w[5] = { 1, 2, 3, 4, 0 };
    const double k2[5] = { 0, 0, 3.0 / 7, 4.0 / 7, 0 };
    const double k2t[5] = { 0, 0, 9.0 / 25, 16.0 / 25, 0 };
    const double k1[5] = { 0, 0, 0, 1, 0 };
    const double all[5] = { 0.1, 0.2, 0.3, 0.4, 0 };
    const float ties[5] = { 1, 1, 1, 1, 0 };
    const double tie2[5] = { 0.5, 0.5, 0, 0, 0 };
    sampler_params p = params_off();
    float logits[5];

    log_weights(w, logits, 5);
    p.top_k = 2;
    check_chain(&p, logits, 5, k2, 2, "top-k 2");
    p.temp = 0.5f;
    check_chain(&p, logits, 5, k2t, 2, "top-k 2 then temp 0.5");
    p.temp = 1.0f;
    p.top_k = 1;
    check_chain(&p, logits, 5, k1, 1, "top-k 1 is one-hot");
    p.top_k = 4;
    check_chain(&p, logits, 5, all, 4, "top-k 4 with 4 finite tokens keeps all");
    p.top_k = 100;
    check_chain(&p, logits, 5, all, 4, "top-k above n_vocab is off");
    p.top_k = 2;
    check_chain(&p, ties, 5, tie2, 2, "top-k ties go to the lowest ids");
}

static void
test_top_p(void)
{
    const double w[4] = { 1, 2, 3, 4 };
    const double two[4] = { 0, 0, 3.0 / 7, 4.0 / 7 };
    const double three[4] = { 0, 2.0 / 9, 3.0 / 9, 4.0 / 9 };
    const double one[4] = { 0, 0, 0, 1 };
    const double all[4] = { 0.1, 0.2, 0.3, 0.4 };
    sampler_params p = params_off();
    float logits[4];

    log_weights(w, logits, 4);
    p.top_p = 0.7f;
    check_chain(&p, logits, 4, two, 2, "top-p 0.7: 0.4+0.3 reaches it exactly, keeps 2");
    p.top_p = 0.70001f;
    check_chain(&p, logits, 4, three, 3, "top-p 0.70001: needs a third token");
    p.top_p = 0.9f;
    check_chain(&p, logits, 4, three, 3, "top-p 0.9: exact boundary keeps 3");
    p.top_p = 0.95f;
    check_chain(&p, logits, 4, all, 4, "top-p 0.95: keeps all 4");
    p.top_p = 0.4f;
    check_chain(&p, logits, 4, one, 1, "top-p 0.4: the top token alone reaches it");
    p.top_p = 0.39f;
    check_chain(&p, logits, 4, one, 1, "top-p 0.39: one token");
    p.top_p = 0.0f;
    check_chain(&p, logits, 4, one, 1, "top-p 0: still keeps one token");
    p.top_p = 1.0f;
    check_chain(&p, logits, 4, all, 4, "top-p 1: off");
    /* After top-k 3 the mass is renormalised: 4/9 + 3/9 = 0.78 >= 0.75
     * keeps 2, where 0.4 + 0.3 over the whole vocabulary would need 3. */
    p.top_k = 3;
    p.top_p = 0.75f;
    check_chain(&p, logits, 4, two, 2, "top-p after top-k 3 uses the renormalised mass");
}

static void
test_min_p(void)
{
    const double w[4] = { 1, 2, 3, 4 };
    const double three[4] = { 0, 2.0 / 9, 3.0 / 9, 4.0 / 9 };
    const double two[4] = { 0, 0, 3.0 / 7, 4.0 / 7 };
    const double one[4] = { 0, 0, 0, 1 };
    const double all[4] = { 0.1, 0.2, 0.3, 0.4 };
    const double three_t[4] = { 0, 4.0 / 29, 9.0 / 29, 16.0 / 29 };
    sampler_params p = params_off();
    float logits[4];

    log_weights(w, logits, 4);
    p.min_p = 0.5f;
    check_chain(&p, logits, 4, three, 3, "min-p 0.5: p >= 0.2 kept (boundary included)");
    p.min_p = 0.51f;
    check_chain(&p, logits, 4, two, 2, "min-p 0.51: 0.2 < 0.204 dropped");
    p.min_p = 0.25f;
    check_chain(&p, logits, 4, all, 4, "min-p 0.25: 0.1 >= 0.1 kept");
    p.min_p = 1.0f;
    check_chain(&p, logits, 4, one, 1, "min-p 1: only the top token");
    p.min_p = 0.5f;
    p.temp = 0.5f;
    check_chain(&p, logits, 4, three_t, 3,
                "min-p 0.5 decides the set before temp 0.5 reshapes it");
}

static void
test_penalty(void)
{
    const float logits[5] = { 2.0f, -2.0f, 1.0f, 0.0f, 0.5f };
    const double pen_all[5] = { 0.3354412, 0.0022602, 0.3354412, 0.1234019, 0.2034554 };
    const double pen_win[5] = { 0.6449304, 0.0118123, 0.1439034, 0.0872818, 0.1120721 };
    sampler_params p = params_off();
    sampler *s;
    float probs[5];
    double want[5];
    int i;

    p.repeat_penalty = 2.0f;
    s = sampler_new(&p, 5);
    sampler_accept(s, 0);
    sampler_accept(s, 1);
    sampler_accept(s, 0);
    sampler_accept(s, 3);
    sampler_accept(s, 99);  /* out of range: ignored */
    sampler_accept(s, -1);
    sampler_probs(s, logits, probs);
    /* 2 -> 1 (divided once, not twice), -2 -> -4, 0 stays 0. */
    probs_near(probs, pen_all, 5, 2e-6,
               "penalty 2: positive logit halved once, negative doubled, zero unchanged");
    sampler_reset(s);
    sampler_probs(s, logits, probs);
    {
        double e[5], sum = 0.0;

        for (i = 0; i < 5; i++)
            sum += (e[i] = exp((double)logits[i]));
        for (i = 0; i < 5; i++)
            want[i] = e[i] / sum;
    }
    probs_near(probs, want, 5, 2e-6, "sampler_reset forgets the history");
    sampler_free(s);

    p.repeat_last_n = 2;
    s = sampler_new(&p, 5);
    sampler_accept(s, 0);
    sampler_accept(s, 1);
    sampler_accept(s, 4);
    sampler_accept(s, 2);
    sampler_probs(s, logits, probs);
    probs_near(probs, pen_win, 5, 2e-6, "repeat_last_n 2: only the last two tokens are penalised");
    sampler_free(s);

    p.repeat_last_n = 0;
    s = sampler_new(&p, 5);
    sampler_accept(s, 0);
    sampler_probs(s, logits, probs);
    probs_near(probs, want, 5, 2e-6, "repeat_last_n 0: no penalty");
    sampler_free(s);

    p = params_off();
    p.temp = 0.0f;
    p.repeat_penalty = 2.0f;
    s = sampler_new(&p, 5);
    {
        const float l2[5] = { 2.0f, 1.5f, 0.0f, -3.0f, 1.0f };

        ok(sampler_sample(s, l2) == 0, "greedy without history: 0");
        sampler_accept(s, 0);
        ok(sampler_sample(s, l2) == 1, "greedy with 0 penalised (2 -> 1): 1");
        sampler_accept(s, 1);
        ok(sampler_sample(s, l2) == 0, "0 and 1 penalised: 1 < 0.75, tie of 1.0 at 0 and 4 -> 0");
    }
    sampler_free(s);
}

static void
test_combined(void)
{
    const float logits[8] = { 3.0f, 1.0f, 2.5f, -1.0f, 2.0f, 0.5f, 1.5f, -0.5f };
    double a = 1.0 / (1.0 + 2.0 * exp(-1.0)), b = exp(-1.0) * a;
    const double want1[8] = { b, 0, a, 0, b, 0, 0, 0 };
    double c = 1.0 / (1.0 + exp(-1.0));
    const double want2[8] = { 1.0 - c, 0, c, 0, 0, 0, 0, 0 };
    sampler_params p = params_off();
    sampler *s;
    float probs[8];
    int n;

    /* Penalty 1.5 on {0, 3}: 3 -> 2, -1 -> -1.5. Sorted: 2.5(2) 2(0) 2(4)
     * 1.5(6) 1(1) ... top-k 5 keeps {2,0,4,6,1}, softmax 0.3566 0.2163
     * 0.2163 0.1312 0.0796; top-p 0.9 keeps 4 (cum 0.9204); min-p 0.4
     * (threshold 0.1427) drops 6; temp 0.5 on 2.5, 2, 2: 1 : e^-1 : e^-1. */
    p.repeat_penalty = 1.5f;
    p.top_k = 5;
    p.top_p = 0.9f;
    p.min_p = 0.4f;
    p.temp = 0.5f;
    s = sampler_new(&p, 8);
    sampler_accept(s, 0);
    sampler_accept(s, 3);
    sampler_accept(s, 0);
    n = sampler_probs(s, logits, probs);
    probs_near(probs, want1, 8, 2e-6, "combined chain: penalty, top-k, top-p, min-p, temp");
    ok(n == 3, "combined chain keeps 3 tokens (got %d)", n);
    sampler_free(s);

    /* top-p 0.5: cum 0.3566, 0.5729 -> {2, 0}; the tie 0/4 goes to id 0. */
    p.top_p = 0.5f;
    s = sampler_new(&p, 8);
    sampler_accept(s, 0);
    sampler_accept(s, 3);
    n = sampler_probs(s, logits, probs);
    probs_near(probs, want2, 8, 2e-6, "combined chain with top-p cutting inside a tie");
    ok(n == 2, "2 tokens kept (got %d)", n);
    sampler_free(s);
}

static void
test_nonfinite(void)
{
    const float nan_inf[4] = { NAN, 1.0f, INFINITY, 0.0f };
    const double one2[4] = { 0, 0, 1, 0 };
    const float two_inf[4] = { INFINITY, 1.0f, INFINITY, NAN };
    const double half[4] = { 0.5, 0, 0.5, 0 };
    const float none[4] = { NAN, -INFINITY, NAN, -INFINITY };
    const double zero[4] = { 1, 0, 0, 0 };
    const float some_nan[4] = { NAN, 1.0f, NAN, 0.0f };
    double e = exp(1.0);
    const double sn[4] = { 0, e / (e + 1.0), 0, 1.0 / (e + 1.0) };
    sampler_params p = params_off();
    sampler *s;

    check_chain(&p, nan_inf, 4, one2, 1, "NaN ignored, +inf takes all the mass");
    check_chain(&p, two_inf, 4, half, 2, "two +inf logits share the mass");
    check_chain(&p, none, 4, zero, 1, "all NaN/-inf: one-hot on token 0");
    check_chain(&p, some_nan, 4, sn, 2, "NaN tokens get probability 0");
    p.top_k = 1;
    check_chain(&p, some_nan, 4, (const double[4]){ 0, 1, 0, 0 }, 1, "NaN never wins top-k");
    p.top_k = 0;
    p.temp = 0.0f;
    s = sampler_new(&p, 4);
    ok(sampler_sample(s, some_nan) == 1, "greedy skips NaN");
    ok(sampler_sample(s, none) == 0, "greedy on all NaN/-inf: 0");
    sampler_free(s);
}

/* Draw n samples with sampler_sample and count them. */
static void
count_samples(sampler *s, const float *logits, long *count, int nv, long n)
{
    long i;

    memset(count, 0, (size_t)nv * sizeof(long));
    for (i = 0; i < n; i++) {
        int32_t t = sampler_sample(s, logits);

        if (t >= 0 && t < nv)
            count[t]++;
    }
}

static void
test_chi_square(void)
{
    const double w[8] = { 0.05, 0.10, 0.12, 0.13, 0.20, 0.15, 0.08, 0.17 };
    const long n = 200000;
    sampler_params p = params_off();
    sampler *s;
    float logits[8], probs[8];
    double pd[8], swapped[8], chi;
    long count[8];
    int df, i, zero_hits;

    log_weights(w, logits, 8);
    p.seed = 20240601;
    s = sampler_new(&p, 8);
    sampler_probs(s, logits, probs);
    for (i = 0; i < 8; i++)
        pd[i] = probs[i];
    probs_near(probs, w, 8, 1e-6, "chi-square setup: probs equal the weights");
    count_samples(s, logits, count, 8, n);
    chi = chi_square(count, pd, 8, n, &df);
    diag("200000 draws, df %d, chi-square %.3f, critical value (p=0.001) %.3f",
         df, chi, chi2_crit_001[7]);
    ok(df == 7 && chi < chi2_crit_001[7], "draws fit sampler_probs (chi2 %.2f < 24.322, df 7)", chi);
    memcpy(swapped, pd, sizeof(swapped));
    swapped[2] = pd[3];
    swapped[3] = pd[2];
    chi = chi_square(count, swapped, 8, n, &df);
    ok(chi > chi2_crit_001[7],
       "the same draws reject a distribution with 0.12/0.13 swapped (chi2 %.1f > 24.322)", chi);
    sampler_free(s);

    /* With top-k 5 and temp 0.7: zeros outside the set, df 4. */
    p.top_k = 5;
    p.temp = 0.7f;
    s = sampler_new(&p, 8);
    sampler_probs(s, logits, probs);
    for (i = 0; i < 8; i++)
        pd[i] = probs[i];
    count_samples(s, logits, count, 8, n);
    chi = chi_square(count, pd, 8, n, &df);
    zero_hits = 0;
    for (i = 0; i < 8; i++)
        if (pd[i] == 0.0 && count[i] != 0)
            zero_hits++;
    ok(df == 4 && chi < chi2_crit_001[4], "top-k 5, temp 0.7: draws fit (chi2 %.2f < 18.467, df %d)",
       chi, df);
    ok(zero_hits == 0, "top-k 5: no draws outside the kept set");
    sampler_free(s);

    /* sampler_draw on given probs summing to 1 + 1e-6, with zeros. */
    {
        const float given[6] = { 0.3f, 0.0f, 0.2f, 0.500001f, 0.0f, 0.0f };
        double gp[6];
        long cnt[6] = { 0 };
        double total = 0.0;

        for (i = 0; i < 6; i++)
            total += (double)given[i];
        for (i = 0; i < 6; i++)
            gp[i] = (double)given[i] / total;
        p = params_off();
        p.seed = 7;
        s = sampler_new(&p, 6);
        for (i = 0; i < n; i++) {
            int32_t t = sampler_draw(s, given);

            if (t >= 0 && t < 6)
                cnt[t]++;
        }
        chi = chi_square(cnt, gp, 6, n, &df);
        ok(df == 2 && chi < chi2_crit_001[2] && cnt[1] == 0 && cnt[4] == 0 && cnt[5] == 0,
           "sampler_draw on probs summing to 1+1e-6 fits (chi2 %.2f < 13.816), zeros never drawn",
           chi);
        sampler_free(s);
    }
}

static void
test_draw_edges(void)
{
    sampler_params p = params_off();
    sampler *s = sampler_new(&p, 5);
    const float onehot[5] = { 0, 0, 1, 0, 0 };
    const float lastz[5] = { 0.25f, 0.25f, 0.2499995f, 0.2499995f, 0.0f };
    const float zeros[5] = { 0, 0, 0, 0, 0 };
    const float junk[5] = { NAN, -1.0f, 0.5f, INFINITY, 0.5f };
    int i, good_onehot = 1, good_lastz = 1, good_junk = 1;

    for (i = 0; i < 20000; i++) {
        int32_t t;

        if (sampler_draw(s, onehot) != 2)
            good_onehot = 0;
        t = sampler_draw(s, lastz);
        if (t < 0 || t > 3)
            good_lastz = 0;
        t = sampler_draw(s, junk);
        if (t != 2 && t != 4)
            good_junk = 0;
    }
    ok(good_onehot, "draw on a one-hot distribution always returns it");
    ok(good_lastz, "draw on probs summing to 1-1e-6 never returns the trailing zero");
    ok(good_junk, "draw ignores NaN, negative and infinite entries");
    ok(sampler_draw(s, zeros) == 0, "draw on all zeros returns 0");
    sampler_free(s);
}

static void
test_determinism(void)
{
    const float logits[8] = { 0.1f, 0.3f, -0.2f, 0.0f, 0.25f, 0.05f, -0.1f, 0.2f };
    sampler_params p = params_off();
    sampler *a, *b, *c;
    int32_t sa[500], sb[500], sc[500];
    int i, same_ab = 1, same_ac = 1, same_reset = 1, in_range = 1, odd = 0;
    double mean = 0.0;

    p.seed = 99;
    a = sampler_new(&p, 8);
    b = sampler_new(&p, 8);
    p.seed = 100;
    c = sampler_new(&p, 8);
    for (i = 0; i < 500; i++) {
        sa[i] = sampler_sample(a, logits);
        sb[i] = sampler_sample(b, logits);
        sc[i] = sampler_sample(c, logits);
        if (sa[i] != sb[i])
            same_ab = 0;
        if (sa[i] != sc[i])
            same_ac = 0;
    }
    ok(same_ab, "same seed, same inputs: identical token sequence");
    ok(!same_ac, "different seeds: different sequences");
    sampler_reset(a);
    for (i = 0; i < 500; i++)
        if (sampler_sample(a, logits) != sa[i])
            same_reset = 0;
    ok(same_reset, "sampler_reset reproduces the sequence");
    sampler_free(a);
    sampler_free(b);
    sampler_free(c);

    p.seed = 0;
    a = sampler_new(&p, 8);
    for (i = 0; i < 100000; i++) {
        double u = sampler_uniform(a);
        double m = u * 0x1.0p53;

        if (!(u >= 0.0 && u < 1.0) || m != floor(m))
            in_range = 0;
        if (fmod(m, 2.0) == 1.0)
            odd++;
        mean += u;
    }
    mean /= 100000.0;
    ok(in_range, "sampler_uniform: in [0,1) on a 2^-53 grid");
    ok(odd > 45000 && odd < 55000, "sampler_uniform uses all 53 bits (lowest bit set %d/100000)", odd);
    ok(fabs(mean - 0.5) < 0.005, "sampler_uniform mean %.4f near 0.5", mean);
    sampler_free(a);
}

static void
test_never_zero(void)
{
    enum { NV = 64 };
    sampler_params p = params_off();
    sampler *s;
    float logits[NV], probs[NV];
    uint64_t x = 12345;
    int row, i, bad = 0, draws = 0;

    p.top_k = 6;
    p.top_p = 0.8f;
    p.min_p = 0.02f;
    p.temp = 1.3f;
    s = sampler_new(&p, NV);
    for (row = 0; row < 50; row++) {
        for (i = 0; i < NV; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            logits[i] = (float)((double)(x >> 11) * 0x1.0p-53 * 8.0 - 4.0);
        }
        sampler_probs(s, logits, probs);
        for (i = 0; i < 2000; i++) {
            int32_t t = sampler_sample(s, logits);

            draws++;
            if (t < 0 || t >= NV || probs[t] <= 0.0f)
                bad++;
        }
    }
    ok(bad == 0, "%d draws with top-k/top-p/min-p: none outside the kept set (%d bad)", draws, bad);
    sampler_free(s);
}

/* Reference: the whole vocabulary sorted, then the chain done naively. */
typedef struct ref_item {
    float logit;  /* logit */
    int id;       /* token id */
} ref_item;

static int
ref_cmp(const void *pa, const void *pb)
{
    const ref_item *a = pa, *b = pb;

    if (a->logit != b->logit)
        return a->logit > b->logit ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int
reference(const sampler_params *p, const float *logits, int n, double *out)
{
    ref_item *it = malloc((size_t)n * sizeof(*it));
    double *q = malloc((size_t)n * sizeof(double));
    double sum = 0.0, cum = 0.0;
    int i, keep;

    for (i = 0; i < n; i++) {
        it[i].logit = logits[i];
        it[i].id = i;
        out[i] = 0.0;
    }
    qsort(it, (size_t)n, sizeof(*it), ref_cmp);
    keep = p->top_k > 0 && p->top_k < n ? p->top_k : n;
    for (i = 0; i < keep; i++)
        sum += (q[i] = exp((double)it[i].logit - (double)it[0].logit));
    for (i = 0; i < keep; i++)
        q[i] /= sum;
    if (p->top_p < 1.0f)
        for (i = 0; i < keep; i++) {
            cum += q[i];
            if (cum >= (double)p->top_p) {
                keep = i + 1;
                break;
            }
        }
    if (p->min_p > 0.0f)
        for (i = 1; i < keep; i++)
            if (q[i] < (double)p->min_p * q[0]) {
                keep = i;
                break;
            }
    sum = 0.0;
    for (i = 0; i < keep; i++)
        sum += (q[i] = exp(((double)it[i].logit - (double)it[0].logit) / (double)p->temp));
    for (i = 0; i < keep; i++)
        out[it[i].id] = q[i] / sum;
    free(it);
    free(q);
    return keep;
}

static void
check_large(const sampler_params *p, const float *logits, int n, const char *name)
{
    sampler *s = sampler_new(p, n);
    float *probs = malloc((size_t)n * sizeof(float));
    double *want = malloc((size_t)n * sizeof(double));
    int got_n, want_n, i, same_set = 1;
    double maxdiff = 0.0;
    clock_t t0, t1;

    want_n = reference(p, logits, n, want);
    t0 = clock();
    for (i = 0; i < 20; i++)
        got_n = sampler_probs(s, logits, probs);
    t1 = clock();
    for (i = 0; i < n; i++) {
        double d = fabs((double)probs[i] - want[i]);

        if ((probs[i] > 0.0f) != (want[i] > 0.0))
            same_set = 0;
        if (d > maxdiff)
            maxdiff = d;
    }
    ok(got_n == want_n && same_set && maxdiff < 1e-6,
       "%s: kept %d (reference %d), same set %d, max |diff| %.2e", name, got_n, want_n,
       same_set, maxdiff);
    diag("%s: %.3f ms per sampler_probs", name,
         (double)(t1 - t0) * 1000.0 / CLOCKS_PER_SEC / 20.0);
    free(probs);
    free(want);
    sampler_free(s);
}

static void
test_large_vocab(void)
{
    enum { NV = 128000 };
    float *logits = malloc(NV * sizeof(float));
    float *ties = malloc(NV * sizeof(float));
    sampler_params p = params_off();
    uint64_t x = 777;
    int i;

    for (i = 0; i < NV; i++) {
        double u1, u2;

        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        u1 = ((double)(x >> 11) + 0.5) * 0x1.0p-53;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        u2 = (double)(x >> 11) * 0x1.0p-53;
        logits[i] = (float)(3.0 * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
        /* Coarse values: many ties, also at the top-k boundary. */
        ties[i] = (float)(floor((double)logits[i] * 4.0) / 4.0);
    }
    p.top_k = 40;
    check_large(&p, logits, NV, "128000 logits, top-k 40 vs full sort");
    check_large(&p, ties, NV, "128000 tied logits, top-k 40 vs full sort");
    p.top_p = 0.9f;
    p.min_p = 0.05f;
    p.temp = 0.7f;
    check_large(&p, logits, NV, "128000 logits, top-k 40, top-p 0.9, min-p 0.05, temp 0.7");
    p.top_k = 0;
    p.min_p = 0.0f;
    p.top_p = 0.5f;
    p.temp = 1.0f;
    check_large(&p, logits, NV, "128000 logits, top-k off, top-p 0.5");
    p.top_p = 1.0f;
    p.min_p = 0.05f;
    p.temp = 0.8f;
    check_large(&p, logits, NV, "128000 logits, top-k and top-p off, min-p 0.05, temp 0.8");
    /* Nearly flat: top-p 0.95 needs ~95% of the vocabulary (full sort). */
    for (i = 0; i < NV; i++)
        ties[i] = logits[i] * 0.001f;
    p.top_p = 0.95f;
    p.min_p = 0.0f;
    p.temp = 1.0f;
    check_large(&p, ties, NV, "128000 nearly flat logits, top-k off, top-p 0.95");
    free(logits);
    free(ties);
}

int
main(void)
{
    test_params();
    test_greedy();
    test_temperature();
    test_top_k();
    test_top_p();
    test_min_p();
    test_penalty();
    test_combined();
    test_nonfinite();
    test_chi_square();
    test_draw_edges();
    test_determinism();
    test_never_zero();
    test_large_vocab();
    return done_testing();
}
