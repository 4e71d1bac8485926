/* bench_spec.c: the speculative side of `ternchat bench`: the same chat
 * prompts generated greedily by the target alone and with proposals (a
 * draft model or n-gram lookup), with the acceptance rate, the mean draft
 * length, the measured cost ratio of a proposal to a verification, and the
 * speedup Leviathan et al.'s formula predicts from those next to the one
 * measured. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sampler.h"
#include "xmalloc.h"

/* Totals of one mode over the prompts of one repeat. */
struct bench_run {
    long n_tokens;      /* tokens generated */
    double t_gen;       /* seconds in spec_step */
    long n_rounds;      /* verification rounds */
    long n_drafted;     /* proposals */
    long n_accepted;    /* proposals accepted */
    double t_draft;     /* seconds proposing */
    double t_verify;    /* seconds verifying */
};

static int
bench_is_eog(void *ud, int32_t id)
{
    return tok_is_eog(ud, id);
}

/* One prompt with one mode: tokens into *gen (if not NULL), totals into r. */
static int
bench_one(const model *target, model_ctx *tctx, const model *draft, model_ctx *dctx,
          const tok *tk, const spec_params *pp, const tok_ids *prompt, int n_gen,
          tok_ids *gen, struct bench_run *r, char *err, size_t errsz)
{
    sampler_params sp;
    spec_stats st;
    spec *s;
    int32_t out[SPEC_DRAFT_LIMIT + 1];
    int n = 0, k, i, eog = 0;

    sampler_params_default(&sp);
    sp.temp = 0;
    s = spec_new(target, tctx, draft, dctx, &sp, pp, err, errsz);
    if (s == NULL)
        return -1;
    spec_set_stop(s, bench_is_eog, (void *)(uintptr_t)tk);
    if (spec_feed(s, prompt->v, (int)prompt->n, err, errsz) != 0) {
        spec_free(s);
        return -1;
    }
    spec_stats_reset(s);
    while (n < n_gen && !eog) {
        int cap = n_gen - n < SPEC_DRAFT_LIMIT + 1 ? n_gen - n : SPEC_DRAFT_LIMIT + 1;

        k = spec_step(s, out, cap, err, errsz);
        if (k < 0) {
            spec_free(s);
            return -1;
        }
        if (k == 0)
            break;
        for (i = 0; i < k; i++) {
            if (gen != NULL)
                tok_ids_push(gen, out[i]);
            if (tok_is_eog(tk, out[i]))
                eog = 1;
        }
        n += k;
    }
    spec_get_stats(s, &st);
    r->n_tokens += st.n_tokens;
    r->t_gen += st.t_total;
    r->n_rounds += st.n_rounds;
    r->n_drafted += st.n_drafted;
    r->n_accepted += st.n_accepted;
    r->t_draft += st.t_draft;
    r->t_verify += st.t_verify;
    spec_free(s);
    return 0;
}

int
bench_spec_run(const model *target, model_ctx *tctx, const model *draft, model_ctx *dctx,
               const tok *tk, const spec_params *pp, const tok_ids *prompts, int n_prompts,
               int n_gen, int repeats, bench_spec_result *out, char *err, size_t errsz)
{
    spec_params off = *pp;
    double *base = xcalloc((size_t)repeats, sizeof *base);
    double *fast = xcalloc((size_t)repeats, sizeof *fast);
    struct bench_run all;
    int rep, i, rc = -1;

    memset(out, 0, sizeof *out);
    memset(&all, 0, sizeof all);
    off.mode = SPEC_OFF;
    out->mode = pp->mode;
    out->n_prompts = n_prompts;
    out->identical = 1;
    for (rep = 0; rep < repeats; rep++) {
        struct bench_run rb, rs;

        memset(&rb, 0, sizeof rb);
        memset(&rs, 0, sizeof rs);
        for (i = 0; i < n_prompts; i++) {
            tok_ids gb = { 0 }, gs = { 0 };
            int ok1, ok2;

            ok1 = bench_one(target, tctx, NULL, NULL, tk, &off, &prompts[i], n_gen,
                            rep == 0 ? &gb : NULL, &rb, err, errsz);
            ok2 = ok1 == 0 ? bench_one(target, tctx, draft, dctx, tk, pp, &prompts[i], n_gen,
                                       rep == 0 ? &gs : NULL, &rs, err, errsz) : -1;
            if (rep == 0 && (gb.n != gs.n || (gb.n > 0 &&
                             memcmp(gb.v, gs.v, gb.n * sizeof *gb.v) != 0)))
                out->identical = 0;
            tok_ids_free(&gb);
            tok_ids_free(&gs);
            if (ok1 != 0 || ok2 != 0)
                goto out;
        }
        base[rep] = rb.t_gen > 0 ? (double)rb.n_tokens / rb.t_gen : 0;
        fast[rep] = rs.t_gen > 0 ? (double)rs.n_tokens / rs.t_gen : 0;
        out->n_tokens = rs.n_tokens;
        all.n_rounds += rs.n_rounds;
        all.n_drafted += rs.n_drafted;
        all.n_accepted += rs.n_accepted;
        all.t_draft += rs.t_draft;
        all.t_verify += rs.t_verify;
    }
    bench_stat_of(base, repeats, &out->base_tps);
    bench_stat_of(fast, repeats, &out->spec_tps);
    out->accept_rate = all.n_drafted > 0 ? (double)all.n_accepted / (double)all.n_drafted : 0;
    out->gamma_mean = all.n_rounds > 0 ? (double)all.n_drafted / (double)all.n_rounds : 0;
    if (all.n_drafted > 0 && all.n_rounds > 0 && all.t_verify > 0)
        out->cost_ratio = (all.t_draft / (double)all.n_drafted) /
                          (all.t_verify / (double)all.n_rounds);
    out->speedup = out->base_tps.median > 0 ? out->spec_tps.median / out->base_tps.median : 0;
    out->speedup_pred = bench_spec_speedup(out->accept_rate, out->gamma_mean, out->cost_ratio);
    rc = 0;
out:
    free(base);
    free(fast);
    return rc;
}
