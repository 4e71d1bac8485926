/* test_spec.c: speculative decoding, exactness at temperature 0 and the
 * machinery around it: speculative greedy output equals target-only greedy
 * output token for token (random pairs with low acceptance, pairs with high
 * acceptance, llama and bitnet, vocabularies of different sizes, fixed
 * draft lengths 1..8 and adaptive ones, lookup mode, the shipped default
 * pair when present); both KV caches after rejected rounds equal those of a
 * fresh run; truncation and continuing; stop tokens, caps and a full
 * context; the adaptive draft length, n-gram lookup and residual helpers;
 * parameter and vocabulary-compatibility errors. The sampling distribution
 * is tested in test_spec_dist.c. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "model.h"
#include "sampler.h"
#include "spec.h"
#include "spec_int.h"
#include "tap.h"
#include "test_model_gen.h"
#include "test_spec_util.h"
#include "tok.h"

#define N_GEN 40       /* tokens generated per prompt */
#define N_PROMPTS 10   /* prompts per pair and draft length */

static char *tmpdir;

static void
greedy_params(sampler_params *sp)
{
    sampler_params_default(sp);
    sp->temp = 0.0f;
    sp->seed = 5;
}

/* ---- helpers' unit tests ------------------------------------------------ */

static void
test_lookup(void)
{
    int32_t h[32] = { 1, 2, 3, 4, 9, 1, 2, 3 };
    int32_t h2[32] = { 5, 6, 7, 5, 6, 7, 8, 6, 7 };
    int32_t h3[32] = { 1, 2, 3 };
    int32_t h4[32] = { 4, 5, 4 };
    int n;

    n = spec_lookup(h, 8, 1, 3, 3);
    ok(n == 3 && h[8] == 4 && h[9] == 9 && h[10] == 1,
       "lookup: the last 3-gram's earlier continuation is proposed");
    /* "6 7" occurs at 1 (-> 5) and 4 (-> 8); the 3-gram "7 6 7" never: the
     * most recent 2-gram wins. */
    n = spec_lookup(h2, 9, 1, 3, 2);
    ok(n == 2 && h2[9] == 8 && h2[10] == 6, "lookup: longest n-gram, most recent occurrence");
    n = spec_lookup(h2, 9, 3, 3, 2);
    ok(n == 0, "lookup: no 3-gram match, nothing proposed with ngram_min 3");
    ok(spec_lookup(h3, 3, 1, 3, 4) == 0, "lookup: no repeated token, nothing proposed");
    n = spec_lookup(h4, 3, 1, 3, 5);
    ok(n == 5 && h4[3] == 5 && h4[4] == 4 && h4[5] == 5 && h4[6] == 4 && h4[7] == 5,
       "lookup: a continuation reaching the end repeats the cycle");
    ok(spec_lookup(h4, 3, 1, 3, 0) == 0, "lookup: max 0 proposes nothing");
}

static void
test_residual(void)
{
    float p[5] = { 0.1f, 0.4f, 0.3f, 0.2f, 0.0f };
    float q[4] = { 0.3f, 0.1f, 0.3f, 0.3f };
    float r[5];
    double sum;

    sum = spec_residual(p, 5, q, 4, -1, r);
    ok(r[0] == 0.0f && r[1] > 0.29f && r[1] < 0.31f && r[2] == 0.0f && r[3] == 0.0f &&
       r[4] == 0.0f && sum > 0.29 && sum < 0.31, "residual: max(0, p - q) by token id");
    sum = spec_residual(p, 5, q, 2, -1, r);
    ok(r[2] > 0.29f && r[3] > 0.19f && sum > 0.79 && sum < 0.81,
       "residual: a shorter q counts as 0 beyond its end");
    sum = spec_residual(p, 5, NULL, 0, 1, r);
    ok(r[1] == 0.0f && r[0] == p[0] && r[2] == p[2] && r[3] == p[3] && sum > 0.59 && sum < 0.61,
       "residual: one-hot q removes that token");
}

static void
test_gamma(void)
{
    spec_gamma g;
    int i, gm, probes = 0, probe_at[4] = { 0, 0, 0, 0 };

    spec_gamma_init(&g, 3, 3, 0.1, 0);
    ok(spec_gamma_choose(&g, 10) == 3 && spec_gamma_choose(&g, 2) == 2,
       "gamma: min == max is fixed (capped by the limit)");

    spec_gamma_init(&g, 0, 8, 0.05, 0);
    for (i = 0; i < 200; i++)
        spec_gamma_observe(&g, 8, 8);
    for (i = 1; i <= 9; i++)
        spec_gamma_time_verify(&g, i, 0.01);
    spec_gamma_time_draft(&g, 0.0002);
    ok(spec_gamma_alpha(&g) > 0.95, "gamma: all accepted, alpha %.3f near 1", spec_gamma_alpha(&g));
    ok(spec_gamma_choose(&g, 100) == 8, "gamma: high acceptance, flat verify cost: the maximum");
    ok(spec_gamma_choose(&g, 5) == 5, "gamma: the limit caps the choice");

    /* alpha 0.8: E = (1 - 0.8^(g+1)) / 0.2. With a flat verify cost of 10 ms
     * and 0.2 ms per draft step, 8 is best; with 3 ms more per verified
     * token, E / (10 + 3.2 g) peaks at g = 3 (2 and 4 are within 3%). */
    for (i = 0; i < 200; i++)
        spec_gamma_observe(&g, 5, 4);
    ok(fabs(spec_gamma_alpha(&g) - 0.8) < 0.02, "gamma: 4 of 5 accepted, alpha %.3f",
       spec_gamma_alpha(&g));
    ok(spec_gamma_choose(&g, 100) == 8, "gamma: alpha 0.8, flat verify cost: the maximum");
    for (i = 1; i <= 9; i++)
        g.tv[i] = 0.01 + 0.003 * (i - 1);
    gm = spec_gamma_choose(&g, 100);
    ok(gm >= 2 && gm <= 4, "gamma: alpha 0.8, verify cost growing with the batch: %d", gm);

    spec_gamma_init(&g, 0, 8, 0.5, 0);
    for (i = 0; i < 200; i++)
        spec_gamma_observe(&g, 2, 0);
    spec_gamma_time_verify(&g, 1, 0.01);
    spec_gamma_time_verify(&g, 3, 0.012);
    spec_gamma_time_draft(&g, 0.005);
    ok(spec_gamma_alpha(&g) < 0.05, "gamma: nothing accepted, alpha %.3f near 0",
       spec_gamma_alpha(&g));
    for (i = 0; i < 15 * SPEC_PROBE_EVERY; i++) {
        if (spec_gamma_choose(&g, 8) > 0) {
            probe_at[probes < 4 ? probes : 3] = i;
            probes++;
        }
    }
    ok(probes == 4 && probe_at[0] == SPEC_PROBE_EVERY - 1 &&
       probe_at[1] == probe_at[0] + 2 * SPEC_PROBE_EVERY &&
       probe_at[3] == probe_at[2] + 8 * SPEC_PROBE_EVERY,
       "gamma: a useless draft is switched off but probed after %d, %d, %d... rounds (%d probes)",
       SPEC_PROBE_EVERY, 2 * SPEC_PROBE_EVERY, 4 * SPEC_PROBE_EVERY, probes);

    spec_gamma_init(&g, 0, 8, 0.05, 0);
    for (i = 0; i < 100; i++)
        spec_gamma_observe(&g, 8, 8);
    spec_gamma_time_verify(&g, 1, 0.01);
    spec_gamma_time_verify(&g, 9, 0.011);
    spec_gamma_time_draft(&g, 0.0005);
    probes = 0;
    for (i = 0; i < 4 * SPEC_PROBE_EVERY; i++)
        probes += spec_gamma_choose(&g, 8) == 0;
    ok(probes == 4, "gamma: while drafting pays, plain decoding is timed every %d rounds (%d)",
       SPEC_PROBE_EVERY, probes);

    /* A draft as slow as a pass, passes that grow with the batch: even
     * full acceptance would not pay, so no probes. */
    spec_gamma_init(&g, 0, 8, 1.0, 0);
    for (i = 1; i <= 9; i++)
        spec_gamma_time_verify(&g, i, 0.01 * (1.0 + 0.5 * (i - 1)));
    spec_gamma_time_draft(&g, 0.01);
    probes = 0;
    for (i = 0; i < 4 * SPEC_PROBE_EVERY; i++)
        probes += spec_gamma_choose(&g, 8) > 0;
    ok(probes == 0, "gamma: a draft that cannot pay is never probed (%d)", probes);

    /* Fixed costs: a draft step costs 0.1 pass, a pass 1 + 0.25 (n - 1);
     * measurements are ignored. alpha 0.8: E / (1 + 0.35 g) peaks at g = 3
     * (2 and 4 within 1%). */
    spec_gamma_init(&g, 0, 8, 0.1, 1);
    for (i = 0; i < 200; i++)
        spec_gamma_observe(&g, 5, 4);
    spec_gamma_time_verify(&g, 4, 100.0);
    spec_gamma_time_draft(&g, 100.0);
    gm = spec_gamma_choose(&g, 100);
    ok(gm >= 2 && gm <= 4 && spec_gamma_tv(&g, 4) == 1.75 && g.td == 0.1,
       "gamma: fixed costs ignore measurements (%d)", gm);

    spec_gamma_init(&g, 0, 4, 0.0, 0);
    ok(spec_gamma_tv(&g, 3) == 0.0, "gamma: nothing measured, no verify estimate");
    spec_gamma_time_verify(&g, 3, 2.0);
    ok(spec_gamma_tv(&g, 1) > 0.66 && spec_gamma_tv(&g, 1) < 0.67,
       "gamma: verify cost below the smallest size measured: in proportion");
    ok(spec_gamma_tv(&g, 5) > 2.33 && spec_gamma_tv(&g, 5) < 2.34,
       "gamma: one size measured (3 tokens, 2.0): above it, a quarter of its cost per token "
       "more (%.3f at 5)", spec_gamma_tv(&g, 5));
    spec_gamma_time_verify(&g, 1, 1.0);
    spec_gamma_time_verify(&g, 5, 3.0);
    ok(spec_gamma_tv(&g, 4) > 2.49 && spec_gamma_tv(&g, 4) < 2.51 && spec_gamma_tv(&g, 9) == 5.0,
       "gamma: verify cost interpolated between sizes, above the largest with their slope");
    spec_gamma_time_verify(&g, 5, 1.2);
    ok(spec_gamma_tv(&g, 9) > 1.43 && spec_gamma_tv(&g, 9) < 1.45,
       "gamma: a flat measured slope: still a quarter of the cost per token above (%.3f)",
       spec_gamma_tv(&g, 9));

    /* a cold start (nothing or only plain decoding timed), acceptance
     * unknown (0.5), no draft cost (lookup): a short proposal first, not
     * the maximum */
    spec_gamma_init(&g, 0, 16, 0.0, 0);
    gm = spec_gamma_choose(&g, 100);
    ok(gm >= 1 && gm <= 2, "gamma: a cold start tries a short proposal (%d)", gm);
    spec_gamma_init(&g, 0, 16, 0.0, 0);
    spec_gamma_time_verify(&g, 1, 1.0);
    gm = spec_gamma_choose(&g, 100);
    ok(gm >= 1 && gm <= 2, "gamma: and with only plain decoding timed (%d)", gm);
}

static void
test_modes(void)
{
    ok(spec_mode_parse("off") == SPEC_OFF && spec_mode_parse("draft") == SPEC_DRAFT &&
       spec_mode_parse("lookup") == SPEC_LOOKUP && spec_mode_parse("auto") == SPEC_AUTO &&
       spec_mode_parse("fast") == -1, "mode names parse");
    is_str(spec_mode_name(SPEC_LOOKUP), "lookup", "mode name");
}

/* ---- greedy exactness ---------------------------------------------------- */

/* One pair: greedy speculative output equals target-only output for every
 * prompt, for draft lengths fixed 1..8, adaptive 0..8 and 1..16. */
static void
greedy_pair(const char *what, model *tm, model *dm, int mode, int lo, int hi, double min_accept,
            int quick, float penalty)
{
    static const int cfg[][2] = { { 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 }, { 5, 5 }, { 6, 6 },
                                  { 7, 7 }, { 8, 8 }, { 0, 8 }, { 1, 16 } };
    char err[512];
    sampler_params sp;
    uint64_t rng = 77;
    int c, p;

    greedy_params(&sp);
    sp.repeat_penalty = penalty;
    sp.repeat_last_n = 16;
    for (c = quick ? 3 : 0; c < (int)(sizeof cfg / sizeof cfg[0]); c += quick ? 5 : 1) {
        spec_params pp;
        model_ctx *tc = model_ctx_new(tm, 0, err, sizeof err);
        model_ctx *dc = dm != NULL ? model_ctx_new(dm, 0, err, sizeof err) : NULL;
        spec *s;
        int same = 1, bad_prompt = -1, bad_at = -1;
        spec_stats st;

        spec_params_default(&pp);
        pp.mode = mode;
        pp.draft_min = cfg[c][0];
        pp.draft_max = cfg[c][1];
        s = spec_new(tm, tc, dm, dc, &sp, &pp, err, sizeof err);
        if (!ok(s != NULL, "%s: spec_new (draft %d..%d)", what, pp.draft_min, pp.draft_max)) {
            diag("%s", err);
            model_ctx_free(tc);
            model_ctx_free(dc);
            continue;
        }
        for (p = 0; p < (quick ? 3 : N_PROMPTS); p++) {
            int32_t prompt[24], ref[N_GEN], got[N_GEN];
            int np = 1 + (int)(tsu_rand(&rng) % 20), nr, ng, i;

            tsu_prompt(&rng, prompt, np, lo, hi);
            /* Half the prompts repeat a phrase, which lookup can use. */
            if (p % 2 == 1 && np >= 8)
                memcpy(prompt + np / 2, prompt, (size_t)(np / 2) * sizeof *prompt);
            nr = tsu_ref_decode(tm, 0, prompt, np, N_GEN, &sp, ref);
            spec_truncate(s, 0);
            if (spec_feed(s, prompt, np, err, sizeof err) != 0) {
                diag("%s", err);
                same = 0;
                break;
            }
            ng = tsu_spec_decode(s, N_GEN, got);
            if (ng != nr)
                same = 0;
            for (i = 0; i < nr && i < ng && same; i++) {
                if (ref[i] != got[i]) {
                    same = 0;
                    bad_prompt = p;
                    bad_at = i;
                }
            }
            if (!same)
                break;
        }
        spec_get_stats(s, &st);
        ok(same, "%s, draft %d..%d: greedy output equals the target's (%d prompts x %d tokens)",
           what, pp.draft_min, pp.draft_max, quick ? 3 : N_PROMPTS, N_GEN);
        if (!same)
            diag("first difference: prompt %d, token %d", bad_prompt, bad_at);
        diag("  accepted %ld of %ld (%.1f%%), mean run %.2f, gamma mean %.2f, rounds %ld",
             st.n_accepted, st.n_drafted, 100.0 * st.accept_rate, st.mean_run, st.gamma_mean,
             st.n_rounds);
        if (min_accept >= 0 && pp.draft_min == pp.draft_max)
            ok(st.n_drafted > 0 && st.accept_rate >= min_accept,
               "%s, draft %d: acceptance %.3f >= %.2f", what, pp.draft_max, st.accept_rate,
               min_accept);
        spec_free(s);
        model_ctx_free(tc);
        model_ctx_free(dc);
    }
}

/* Model files of the tests, written once. */
struct models {
    char *target, *draft, *twin, *bit_target, *tok_target, *tok_draft_big, *tok_target_big;
    char *tok_draft;
};

static void
make_models(struct models *mf)
{
    tsu_model_opts o;

    tsu_model_opts_init(&o);
    o.n_embd = 48;
    o.seed = 11;
    mf->target = tsu_write_model(tmpdir, "target.gguf", &o);
    o.perturb = 0.02; /* a close copy: high acceptance */
    mf->twin = tsu_write_model(tmpdir, "twin.gguf", &o);
    o.perturb = 0;
    o.n_embd = 16;
    o.n_layer = 1;
    o.seed = 12;
    mf->draft = tsu_write_model(tmpdir, "draft.gguf", &o);
    tsu_model_opts_init(&o);
    o.arch = "bitnet";
    o.seed = 13;
    mf->bit_target = tsu_write_model(tmpdir, "bit.gguf", &o);

    /* Vocabularies with a tokenizer; 2 added tokens at the end of one side. */
    tsu_model_opts_init(&o);
    o.tokenizer = 1;
    o.n_vocab = 40;
    o.seed = 21;
    mf->tok_target = tsu_write_model(tmpdir, "tok-target.gguf", &o);
    o.n_embd = 16;
    o.seed = 22;
    mf->tok_draft = tsu_write_model(tmpdir, "tok-draft.gguf", &o);
    o.n_vocab = 42;
    o.n_added = 2;
    mf->tok_draft_big = tsu_write_model(tmpdir, "tok-draft-big.gguf", &o);
    o.n_embd = 32;
    o.seed = 23;
    mf->tok_target_big = tsu_write_model(tmpdir, "tok-target-big.gguf", &o);
}

static void
free_models(struct models *mf)
{
    free(mf->target);
    free(mf->draft);
    free(mf->twin);
    free(mf->bit_target);
    free(mf->tok_target);
    free(mf->tok_draft);
    free(mf->tok_draft_big);
    free(mf->tok_target_big);
}

static void
test_greedy(const struct models *mf)
{
    model *t = tsu_load(mf->target), *d = tsu_load(mf->draft), *tw = tsu_load(mf->twin);
    model *bt = tsu_load(mf->bit_target), *kt = tsu_load(mf->tok_target);
    model *kd = tsu_load(mf->tok_draft), *kdb = tsu_load(mf->tok_draft_big);
    model *ktb = tsu_load(mf->tok_target_big);

    if (!ok(t && d && tw && bt && kt && kd && kdb && ktb, "test models load"))
        goto out;
    greedy_pair("random draft (low acceptance)", t, d, SPEC_DRAFT, 0, 64, -1, 0, 1.0f);
    greedy_pair("draft = target", t, t, SPEC_DRAFT, 0, 64, 1.0, 0, 1.0f);
    greedy_pair("perturbed copy", t, tw, SPEC_DRAFT, 0, 64, 0.5, 0, 1.0f);
    greedy_pair("perturbed copy, repeat penalty 1.5", t, tw, SPEC_DRAFT, 0, 64, 0.5, 0, 1.5f);
    greedy_pair("lookup, repeat penalty 1.5", t, NULL, SPEC_LOOKUP, 0, 64, -1, 0, 1.5f);
    greedy_pair("bitnet target, llama draft", bt, d, SPEC_DRAFT, 0, 64, -1, 0, 1.0f);
    greedy_pair("lookup", t, NULL, SPEC_LOOKUP, 0, 64, -1, 0, 1.0f);
    greedy_pair("draft has 2 added tokens more", kt, kdb, SPEC_DRAFT, 3, 40, -1, 0, 1.0f);
    greedy_pair("target has 2 added tokens more", ktb, kd, SPEC_DRAFT, 3, 42, -1, 0, 1.0f);
out:
    model_free(t);
    model_free(d);
    model_free(tw);
    model_free(bt);
    model_free(kt);
    model_free(kd);
    model_free(kdb);
    model_free(ktb);
}

/* ---- cache state ---------------------------------------------------------- */

/* Feed `pending` to c and to a fresh cache holding hist[0..pos); the logits
 * must be bit-identical. c is cut back afterwards. */
static int
same_cache(model *m, model_ctx *c, const int32_t *hist, int pos, int32_t pending)
{
    char err[512];
    int nv = model_get_info(m)->n_vocab, rc;
    model_ctx *f = model_ctx_new(m, 0, err, sizeof err);
    float *a = malloc((size_t)nv * sizeof *a), *b = malloc((size_t)nv * sizeof *b);

    rc = f != NULL && model_ctx_pos(c) == pos &&
         (pos == 0 || model_forward(f, hist, pos, NULL, 0, err, sizeof err) == 0) &&
         model_forward(f, &pending, 1, a, 0, err, sizeof err) == 0 &&
         model_forward(c, &pending, 1, b, 0, err, sizeof err) == 0 &&
         memcmp(a, b, (size_t)nv * sizeof *a) == 0;
    model_ctx_truncate(c, pos);
    model_ctx_free(f);
    free(a);
    free(b);
    return rc;
}

static void
test_caches(const struct models *mf, int mode)
{
    char err[512];
    model *t = tsu_load(mf->target), *d = mode == SPEC_DRAFT ? tsu_load(mf->draft) : NULL;
    model_ctx *tc = t ? model_ctx_new(t, 0, err, sizeof err) : NULL;
    model_ctx *dc = d ? model_ctx_new(d, 0, err, sizeof err) : NULL;
    sampler_params sp;
    spec_params pp;
    spec *s = NULL;
    int32_t prompt[12] = { 5, 9, 14, 5, 9, 14, 20, 5, 9, 3, 7, 1 }, out[8];
    int round, rejected = 0, good_t = 1, good_d = 1, good_pos = 1;
    spec_stats before, after;

    if (!ok(tc != NULL && (mode != SPEC_DRAFT || dc != NULL), "cache test setup"))
        goto out;
    sampler_params_default(&sp);
    sp.temp = 1.0f; /* sampling: rejections in the middle of drafts */
    sp.seed = 3;
    spec_params_default(&pp);
    pp.mode = mode;
    pp.draft_min = pp.draft_max = 6;
    s = spec_new(t, tc, d, dc, &sp, &pp, err, sizeof err);
    if (!ok(s != NULL && spec_feed(s, prompt, 12, err, sizeof err) == 0, "cache test spec"))
        goto out;
    for (round = 0; round < 40 && !spec_full(s); round++) {
        const int32_t *h;
        int n, k;

        spec_get_stats(s, &before);
        k = spec_step(s, out, 8, err, sizeof err);
        if (k <= 0)
            break;
        spec_get_stats(s, &after);
        h = spec_tokens(s, &n);
        good_pos &= model_ctx_pos(tc) == n - 1;
        if (after.n_accepted - before.n_accepted == after.n_drafted - before.n_drafted)
            continue;
        rejected++;
        good_t &= same_cache(t, tc, h, n - 1, h[n - 1]);
        if (dc != NULL) {
            int pd = model_ctx_pos(dc);

            good_pos &= pd <= n - 1;
            good_d &= same_cache(d, dc, h, pd, h[pd]);
        }
    }
    ok(rejected > 3, "%s: %d rounds with a rejection", spec_mode_name(mode), rejected);
    ok(good_pos, "%s: the target's cache ends just before the last token after every round",
       spec_mode_name(mode));
    ok(good_t, "%s: after rejections the target's cache equals a fresh run's",
       spec_mode_name(mode));
    if (dc != NULL)
        ok(good_d, "draft: after rejections the draft's cache equals a fresh run's");
out:
    spec_free(s);
    model_ctx_free(tc);
    model_ctx_free(dc);
    model_free(t);
    model_free(d);
}

/* ---- conversation operations --------------------------------------------- */

static int
stop_on(void *ud, int32_t id)
{
    return id == *(const int32_t *)ud;
}

static void
test_conversation(const struct models *mf)
{
    char err[512];
    model *t = tsu_load(mf->target), *d = tsu_load(mf->twin);
    model_ctx *tc = NULL, *dc = NULL;
    sampler_params sp;
    spec_params pp;
    spec *s = NULL;
    int32_t prompt[6] = { 4, 8, 15, 16, 23, 42 }, turn[5] = { 1, 2, 3, 2, 1 };
    int32_t a[40], ref[80], seq[80], out[20];
    int n, nr, i, k, stop_id, same;
    const int32_t *h;

    if (!ok(t != NULL && d != NULL, "conversation models"))
        goto out;
    tc = model_ctx_new(t, 0, err, sizeof err);
    dc = model_ctx_new(d, 0, err, sizeof err);
    greedy_params(&sp);
    spec_params_default(&pp);
    pp.draft_min = pp.draft_max = 6; /* long rounds: a stop token falls inside one */
    s = spec_new(t, tc, d, dc, &sp, &pp, err, sizeof err);
    if (!ok(s != NULL && spec_get_mode(s) == SPEC_DRAFT, "auto mode with a draft is draft"))
        goto out;
    spec_feed(s, prompt, 6, err, sizeof err);
    n = tsu_spec_decode(s, 20, a);
    /* Edit: keep the prompt and 7 generated tokens, add a user turn. */
    ok(spec_truncate(s, 13) == 0 && spec_n_tokens(s) == 13, "truncate to 13 tokens");
    ok(spec_truncate(s, 14) == -1 && spec_truncate(s, -1) == -1, "truncate beyond the end fails");
    ok(spec_feed(s, turn, 5, err, sizeof err) == 0 && spec_n_tokens(s) == 18, "feed a new turn");
    n = tsu_spec_decode(s, 20, a);
    memcpy(seq, prompt, sizeof prompt);
    h = spec_tokens(s, NULL);
    memcpy(seq + 6, h + 6, 7 * sizeof *seq);
    memcpy(seq + 13, turn, sizeof turn);
    nr = tsu_ref_decode(t, 0, seq, 18, 20, &sp, ref);
    ok(n == 20 && nr == 20 && memcmp(a, ref, 20 * sizeof *a) == 0,
       "after truncate + feed, greedy output equals the target's on the edited history");

    /* Stop tokens: the round ends at the first one, and the history and
     * caches hold nothing after it. */
    spec_truncate(s, 0);
    spec_feed(s, prompt, 6, err, sizeof err);
    nr = tsu_ref_decode(t, 0, prompt, 6, 40, &sp, ref);
    stop_id = ref[9];
    for (i = 0; ref[i] != stop_id; i++)
        ;
    spec_set_stop(s, stop_on, &stop_id);
    n = 0;
    while (n == 0 || a[n - 1] != stop_id) {
        k = spec_step(s, a + n, 40 - n, err, sizeof err);
        if (k <= 0)
            break;
        n += k;
    }
    ok(n == i + 1 && memcmp(a, ref, (size_t)n * sizeof *a) == 0 && spec_n_tokens(s) == 6 + n &&
       model_ctx_pos(tc) == 5 + n, "a stop token ends the round (after %d tokens)", i + 1);
    spec_set_stop(s, NULL, NULL);
    k = tsu_spec_decode(s, 40 - n, a + n);
    ok(k == 40 - n && memcmp(a, ref, 40 * sizeof *a) == 0,
       "generation continues after a stop token as the target would");

    /* cap 1: one token per round, plain decoding. */
    spec_truncate(s, 6);
    same = 1;
    for (i = 0; i < 20 && same; i++)
        same = spec_step(s, out, 1, err, sizeof err) == 1 && out[0] == ref[i];
    ok(same, "cap 1: one token per call, the target's");
out:
    spec_free(s);
    model_ctx_free(tc);
    model_ctx_free(dc);
    model_free(t);
    model_free(d);
}

/* spec_configure between replies: modes and draft lengths change, the
 * history and caches stay, greedy output stays the target's. */
static void
test_configure(const struct models *mf)
{
    static const int modes[][3] = { { SPEC_DRAFT, 2, 2 }, { SPEC_LOOKUP, 1, 30 },
                                    { SPEC_OFF, 0, 0 }, { SPEC_DRAFT, 0, 40 },
                                    { SPEC_AUTO, 5, 5 } };
    char err[512];
    model *t = tsu_load(mf->target), *d = tsu_load(mf->twin);
    model_ctx *tc = NULL, *dc = NULL;
    sampler_params sp;
    spec_params pp;
    spec *s = NULL;
    int32_t prompt[5] = { 2, 7, 1, 8, 2 }, a[100], ref[100];
    int n = 0, i, good = 1, k;

    if (!ok(t != NULL && d != NULL, "configure models"))
        goto out;
    tc = model_ctx_new(t, 0, err, sizeof err);
    dc = model_ctx_new(d, 0, err, sizeof err);
    greedy_params(&sp);
    spec_params_default(&pp);
    pp.mode = SPEC_LOOKUP; /* the draft is not checked or used yet */
    pp.draft_min = pp.draft_max = 1;
    s = spec_new(t, tc, d, dc, &sp, &pp, err, sizeof err);
    if (!ok(s != NULL && spec_feed(s, prompt, 5, err, sizeof err) == 0, "configure: spec_new"))
        goto out;
    tsu_ref_decode(t, 0, prompt, 5, 100, &sp, ref);
    for (i = 0; i < 5; i++) {
        pp.mode = modes[i][0];
        pp.draft_min = modes[i][1];
        pp.draft_max = modes[i][2];
        if (spec_configure(s, &sp, &pp, err, sizeof err) != 0) {
            diag("%s", err);
            good = 0;
        }
        good &= spec_get_mode(s) == (pp.mode == SPEC_AUTO ? SPEC_DRAFT : pp.mode);
        k = tsu_spec_decode(s, 20, a + n);
        good &= k == 20;
        n += 20;
    }
    ok(good && n == 100 && memcmp(a, ref, sizeof a) == 0,
       "configure: draft 2, lookup 1..30, off, draft 0..40, auto 5, 20 tokens each: the target's");
    pp.draft_min = 3;
    pp.draft_max = 2;
    ok(spec_configure(s, &sp, &pp, err, sizeof err) == -1 && spec_get_mode(s) == SPEC_DRAFT,
       "configure: bad lengths refused, nothing changed: %s", err);
out:
    spec_free(s);
    model_ctx_free(tc);
    model_ctx_free(dc);
    if (t != NULL) {
        tc = model_ctx_new(t, 0, err, sizeof err);
        spec_params_default(&pp);
        greedy_params(&sp);
        s = spec_new(t, tc, NULL, NULL, &sp, &pp, err, sizeof err);
        pp.mode = SPEC_DRAFT;
        ok(s != NULL && spec_get_mode(s) == SPEC_LOOKUP &&
           spec_configure(s, &sp, &pp, err, sizeof err) == -1 && strstr(err, "draft model"),
           "configure: draft mode without a draft model: %s", err);
        spec_free(s);
        model_ctx_free(tc);
    }
    model_free(t);
    model_free(d);
}

/* With reproducible set, a seeded sampling run with adaptive draft lengths
 * repeats exactly. */
static void
test_reproducible(const struct models *mf)
{
    char err[512];
    model *t = tsu_load(mf->target), *d = tsu_load(mf->draft);
    int32_t prompt[4] = { 3, 1, 4, 1 }, a[2][60];
    sampler_params sp;
    spec_params pp;
    int r, n[2] = { 0, 0 };
    spec_stats st;

    sampler_params_default(&sp);
    sp.seed = 99;
    spec_params_default(&pp);
    pp.reproducible = 1;
    pp.draft_min = 1;
    sp.temp = 0.5f;
    for (r = 0; r < 2 && t != NULL && d != NULL; r++) {
        model_ctx *tc = model_ctx_new(t, 0, err, sizeof err);
        model_ctx *dc = model_ctx_new(d, 0, err, sizeof err);
        spec *s = spec_new(t, tc, d, dc, &sp, &pp, err, sizeof err);

        if (s != NULL && spec_feed(s, prompt, 4, err, sizeof err) == 0)
            n[r] = tsu_spec_decode(s, 60, a[r]);
        if (s != NULL)
            spec_get_stats(s, &st);
        spec_free(s);
        model_ctx_free(tc);
        model_ctx_free(dc);
    }
    ok(n[0] == 60 && n[1] == 60 && memcmp(a[0], a[1], sizeof a[0]) == 0,
       "reproducible: the same seed gives the same 60 tokens");
    diag("  proposal length %.2f mean, acceptance %.2f", st.gamma_mean, st.accept_rate);
    model_free(t);
    model_free(d);
}

/* A full context: speculative decoding stops where the target alone would;
 * a draft with a smaller context simply stops drafting. */
static void
test_full(const struct models *mf)
{
    char err[512];
    model *t = tsu_load(mf->target), *d = tsu_load(mf->twin);
    model_ctx *tc = NULL, *dc = NULL;
    sampler_params sp;
    spec_params pp;
    spec *s = NULL;
    int32_t prompt[6] = { 4, 8, 15, 16, 23, 42 }, a[64], ref[64], long_prompt[30] = { 0 };
    int n, nr;

    if (!ok(t != NULL && d != NULL, "full-context models"))
        goto out;
    tc = model_ctx_new(t, 40, err, sizeof err);
    dc = model_ctx_new(d, 20, err, sizeof err);
    greedy_params(&sp);
    spec_params_default(&pp);
    pp.draft_min = pp.draft_max = 5;
    s = spec_new(t, tc, d, dc, &sp, &pp, err, sizeof err);
    if (!ok(s != NULL, "spec with contexts of 40 (target) and 20 (draft)"))
        goto out;
    spec_feed(s, prompt, 6, err, sizeof err);
    n = tsu_spec_decode(s, 64, a);
    nr = tsu_ref_decode(t, 40, prompt, 6, 64, &sp, ref);
    ok(n == 35 && nr == 35 && memcmp(a, ref, 35 * sizeof *a) == 0 && spec_full(s),
       "context 40, prompt 6: 35 tokens, the target's, then full (got %d, want %d)", n, nr);
    ok(spec_step(s, a, 4, err, sizeof err) == 0, "a full context: spec_step returns 0");
    spec_truncate(s, 0);
    ok(spec_feed(s, long_prompt, 30, err, sizeof err) == 0, "a prompt of 30 fits in 40");
    ok(spec_feed(s, long_prompt, 12, err, sizeof err) == -1 && strstr(err, "context") != NULL &&
       spec_n_tokens(s) == 30, "12 more do not, nothing appended: %s", err);
    long_prompt[3] = 64;
    spec_truncate(s, 0);
    ok(spec_feed(s, long_prompt, 5, err, sizeof err) == -1 && strstr(err, "64") != NULL &&
       spec_n_tokens(s) == 0, "an id outside the vocabulary is refused: %s", err);
out:
    spec_free(s);
    model_ctx_free(tc);
    model_ctx_free(dc);
    model_free(t);
    model_free(d);
}

/* ---- errors ------------------------------------------------------------------ */

/* A vocabulary-only tokenizer built in memory. kind 0: SPM; 1: BPE.
 * change: 0 none, 1 text of id 7, 2 type of id 7, 3 eos 3, 4 add_bos off,
 * 5 two extra normal tokens, 6 two extra control tokens. */
static tok *
mem_tok(int kind, int change)
{
    char err[512], *toks[24];
    int32_t types[24];
    gguf_writer *w = gguf_writer_new();
    uint8_t *buf = NULL;
    size_t len = 0;
    gguf *g;
    tok *t = NULL;
    int i, n = change >= 5 ? 24 : 22;

    for (i = 0; i < n; i++) {
        char b[32];

        types[i] = i == 0 ? 2 : i < 3 ? 3 : 1;
        if (i < 3)
            snprintf(b, sizeof b, "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
        else if (i >= 22)
            snprintf(b, sizeof b, "<x%d>", i), types[i] = change == 6 ? 3 : 1;
        else
            snprintf(b, sizeof b, "%c%s", 'a' + i, change == 1 && i == 7 ? "!" : "");
        if (change == 2 && i == 7)
            types[i] = 4;
        toks[i] = strdup(b);
    }
    gguf_writer_set_str(w, "general.architecture", "llama");
    gguf_writer_set_str(w, "tokenizer.ggml.model", kind == 1 ? "gpt2" : "llama");
    if (kind == 1) {
        const char *merges[1] = { "d e" };

        gguf_writer_set_str(w, "tokenizer.ggml.pre", "default");
        gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", merges, 1);
    }
    gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)toks, (uint64_t)n);
    gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GGUF_T_I32, types, (uint64_t)n);
    gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", change == 3 ? 3 : 2);
    if (change == 4)
        gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", 0);
    if (gguf_writer_write_mem(w, &buf, &len, err, sizeof err) == 0) {
        g = gguf_open_mem(buf, len, "vocab", err, sizeof err);
        if (g != NULL) {
            t = tok_load(g, err, sizeof err);
            gguf_close(g);
        }
    }
    if (t == NULL)
        diag("mem_tok(%d, %d): %s", kind, change, err);
    free(buf);
    gguf_writer_free(w);
    for (i = 0; i < n; i++)
        free(toks[i]);
    return t;
}

static void
check_vocab(int kind, int change, const char *want, const char *name)
{
    char err[512] = "";
    tok *a = mem_tok(0, 0), *b = mem_tok(kind, change);
    int rc;

    if (a == NULL || b == NULL) {
        skip("%s: tokenizer not built", name);
        tok_free(a);
        tok_free(b);
        return;
    }
    rc = spec_check_vocab(a, b, err, sizeof err);
    if (want == NULL)
        ok(rc == 0, "%s: compatible", name);
    else if (!ok(rc == -1 && strstr(err, want) != NULL && strchr(err, '\n') == NULL,
                 "%s: %s", name, err))
        diag("wanted a message with '%s'", want);
    if (want != NULL && change >= 5) {
        /* The other way round: the target is the larger one. */
        rc = spec_check_vocab(b, a, err, sizeof err);
        ok(rc == -1 && strstr(err, "target") != NULL, "%s (target larger): %s", name, err);
    } else if (change == 6) {
        ok(spec_check_vocab(b, a, err, sizeof err) == 0, "%s (target larger): compatible", name);
    }
    tok_free(a);
    tok_free(b);
}

static void
test_errors(const struct models *mf)
{
    char err[512];
    model *t = tsu_load(mf->target), *kt = tsu_load(mf->tok_target);
    model *kd = tsu_load(mf->tok_draft), *bt = tsu_load(mf->bit_target);
    model_ctx *tc = t ? model_ctx_new(t, 0, err, sizeof err) : NULL;
    model_ctx *dc = kd ? model_ctx_new(kd, 0, err, sizeof err) : NULL;
    sampler_params sp;
    spec_params pp;
    spec *s;
    tm_spec ts;
    tm_model *tm;
    char path[512];
    model *odd = NULL;

    if (!ok(t && kt && kd && bt && tc && dc, "error test models"))
        goto out;
    greedy_params(&sp);
    spec_params_default(&pp);
    pp.mode = SPEC_DRAFT;
    s = spec_new(t, tc, NULL, NULL, &sp, &pp, err, sizeof err);
    ok(s == NULL && strstr(err, "draft model") != NULL, "mode draft without a draft: %s", err);
    spec_params_default(&pp);
    pp.draft_min = 5;
    pp.draft_max = 4;
    s = spec_new(t, tc, NULL, NULL, &sp, &pp, err, sizeof err);
    ok(s == NULL && strstr(err, "draft lengths") != NULL, "draft_min > draft_max: %s", err);
    pp.draft_min = 0;
    pp.draft_max = SPEC_DRAFT_LIMIT + 1;
    s = spec_new(t, tc, NULL, NULL, &sp, &pp, err, sizeof err);
    ok(s == NULL && strstr(err, "draft lengths") != NULL, "draft_max too large: %s", err);
    spec_params_default(&pp);
    pp.ngram_min = 0;
    s = spec_new(t, tc, NULL, NULL, &sp, &pp, err, sizeof err);
    ok(s == NULL && strstr(err, "n-gram") != NULL, "ngram_min 0: %s", err);
    spec_params_default(&pp);
    s = spec_new(t, tc, kd, NULL, &sp, &pp, err, sizeof err);
    ok(s == NULL && strstr(err, "cache") != NULL, "a draft without a cache: %s", err);
    s = spec_new(t, tc, kd, dc, &sp, &pp, err, sizeof err);
    ok(s == NULL && strstr(err, "the target has no tokenizer") == NULL &&
       strstr(err, "tokenizer") != NULL, "a draft with a tokenizer, a target without: %s", err);

    /* Neither has a tokenizer: only the sizes can be compared. */
    tm_spec_init(&ts, "llama");
    tm = tm_build(&ts, 3); /* vocabulary 61 */
    snprintf(path, sizeof path, "%s/odd.gguf", tmpdir);
    if (tm_write(tm, path, err, sizeof err) == 0)
        odd = tsu_load(path);
    tm_free(tm);
    if (odd != NULL) {
        ok(spec_check_pair(t, odd, err, sizeof err) == -1 && strstr(err, "64") &&
           strstr(err, "61"), "no tokenizers, sizes 64 and 61: %s", err);
        ok(spec_check_pair(t, bt, err, sizeof err) == 0, "no tokenizers, same size: compatible");
    }
    ok(spec_check_pair(kt, kd, err, sizeof err) == 0, "same tokenizer: compatible");
    ok(spec_check_pair(kd, t, err, sizeof err) == -1 && strstr(err, "draft has none"),
       "a target with a tokenizer, a draft without: %s", err);

    check_vocab(0, 0, NULL, "identical vocabularies");
    check_vocab(0, 1, "token 7", "a token's text differs");
    check_vocab(0, 2, "token 7", "a token's type differs");
    check_vocab(0, 3, "eos", "eos ids differ");
    check_vocab(0, 4, "BOS", "add_bos differs");
    check_vocab(0, 5, "token 22", "larger vocabulary with ordinary tokens at the end");
    check_vocab(0, 6, NULL, "larger vocabulary with added control tokens at the end");
    check_vocab(1, 0, "tokenizer is BPE", "SentencePiece vs BPE");
out:
    model_free(odd);
    model_ctx_free(tc);
    model_ctx_free(dc);
    model_free(t);
    model_free(kt);
    model_free(kd);
    model_free(bt);
}

/* ---- the shipped pair ------------------------------------------------------ */

static void
test_default_pair(void)
{
    const char *src = getenv("TERNCHAT_SRCDIR");
    char tp[1024], dp[1024];
    model *t, *d;

    snprintf(tp, sizeof tp, "%s/share/models/ternchat-target.gguf", src ? src : ".");
    snprintf(dp, sizeof dp, "%s/share/models/ternchat-draft.gguf", src ? src : ".");
    if (access(tp, R_OK) != 0 || access(dp, R_OK) != 0) {
        skip("the default pair (share/models/ternchat-{target,draft}.gguf) is not there yet");
        return;
    }
    t = tsu_load(tp);
    d = tsu_load(dp);
    if (ok(t != NULL && d != NULL, "default pair loads")) {
        int nv = model_get_info(t)->n_vocab;

        greedy_pair("default pair", t, d, SPEC_DRAFT, 3, nv < 400 ? nv : 400, -1, 1, 1.0f);
    }
    model_free(t);
    model_free(d);
}

int
main(void)
{
    struct models mf;

    tmpdir = tm_tmpdir();
    if (tmpdir == NULL) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    test_lookup();
    test_residual();
    test_gamma();
    test_modes();
    make_models(&mf);
    test_greedy(&mf);
    test_caches(&mf, SPEC_DRAFT);
    test_caches(&mf, SPEC_LOOKUP);
    test_conversation(&mf);
    test_full(&mf);
    test_reproducible(&mf);
    test_configure(&mf);
    test_errors(&mf);
    test_default_pair();
    free_models(&mf);
    tm_rmdir(tmpdir);
    return done_testing();
}
