/* spec_round.c: one round of speculative decoding (see spec.h).
 *
 * State between calls, with h = the history (n_hist tokens):
 *  - the target's cache holds h[0 .. n_hist-1): the last token is pending
 *    and is fed at the start of the next round, in the same batch as the
 *    proposals;
 *  - the draft's cache holds a prefix h[0 .. m), m <= n_hist - 1, and is
 *    brought up to date in one batch when the draft is next needed.
 *
 * A round: gamma proposals d0.. are written after the history (hist has
 * room), so that the penalty history of drafted position i is simply
 * h[0 .. n_hist + i). The draft samples di from its distribution q_i (the
 * same sampler transforms as the target's; one-hot in lookup mode), the
 * target runs [h[n_hist-1], d0, .., d(gamma-1)] in one pass, and position i
 * gives the target's distribution p_i. di is accepted with probability
 * min(1, p_i(di) / q_i(di)); at the first rejection the token is drawn from
 * norm(max(0, p_i - q_i)) and the round ends; if all are accepted a bonus
 * token is drawn from p_gamma. Each produced token is therefore distributed
 * exactly as the target's sampler would draw it (at temperature 0: the
 * target's argmax). Both caches are then cut back to the accepted tokens.
 *
 * Ids only one side knows: a proposal outside the target's vocabulary has
 * p = 0 and is rejected without being fed to the target; a history token
 * outside the draft's vocabulary is fed to the draft as id 0 (only the
 * draft's guesses suffer). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec_int.h"
#include "xmalloc.h"

/* Bring the draft's cache up to h[0 .. n_hist) and leave the logits of the
 * last token in dlogits. */
static int
spec_draft_catch_up(spec *s, char *err, size_t errsz)
{
    int i, pos = model_ctx_pos(s->dctx);

    while (pos < s->n_hist) {
        int m = s->n_hist - pos < SPEC_BATCH ? s->n_hist - pos : SPEC_BATCH;
        int32_t *b = m <= s->pp.draft_max + 1 ? s->batch : xmalloc((size_t)m * sizeof *b);
        int rc;

        for (i = 0; i < m; i++) {
            int32_t id = s->hist[pos + i];

            b[i] = id < s->nd ? id : 0;
        }
        rc = model_forward(s->dctx, b, m, s->dlogits, 0, err, errsz);
        if (b != s->batch)
            free(b);
        if (rc != 0)
            return -1;
        pos += m;
    }
    return 0;
}

/* Draft up to gamma proposals with the draft model into hist[n_hist..),
 * their distributions into qprobs. Returns the count, or -1. The time of
 * each single draft step (one token in, a proposal out) is recorded; a
 * catch-up of several tokens, after rounds without drafting, is not one. */
static int
spec_propose_draft(spec *s, int gamma, char *err, size_t errsz)
{
    int i, lag = s->n_hist - model_ctx_pos(s->dctx);
    double t = spec_now(), t2;

    if (spec_draft_catch_up(s, err, errsz) != 0)
        return -1;
    for (i = 0; i < gamma; i++) {
        float *q = s->qprobs + (size_t)i * (size_t)s->nd;
        int32_t d;

        if (s->penalty)
            sampler_set_history(s->dsmp, s->hist, s->n_hist + i);
        sampler_probs(s->dsmp, s->dlogits, q);
        d = sampler_draw(s->dsmp, q);
        s->hist[s->n_hist + i] = d;
        t2 = spec_now();
        if (i > 0 || lag == 1)
            spec_gamma_time_draft(&s->gam, t2 - t);
        t = t2;
        if (i + 1 < gamma && model_forward(s->dctx, &d, 1, s->dlogits, 0, err, errsz) != 0)
            return -1;
    }
    return gamma;
}

/* Judge proposals hist[n_hist .. n_hist+n_prop) against the target logits
 * (row i: position i; a row exists for every position reached, since an
 * unfed proposal is outside the target's vocabulary and rejected). Writes
 * the produced token to *next and returns the number of accepted
 * proposals. */
static int
spec_judge(spec *s, int n_prop, int32_t *next)
{
    const int32_t *prop = s->hist + s->n_hist;
    int i;

    for (i = 0; i <= n_prop; i++) {
        const float *row = s->plogits + (size_t)i * (size_t)s->nt;
        const float *q = NULL;
        int32_t x;
        float px, qx;
        double sum;

        if (s->penalty)
            sampler_set_history(s->tsmp, s->hist, s->n_hist + i);
        sampler_probs(s->tsmp, row, s->probs);
        if (i == n_prop) {
            /* Every proposal accepted: a bonus token from p. */
            *next = sampler_draw(s->tsmp, s->probs);
            return n_prop;
        }
        x = prop[i];
        px = x < s->nt ? s->probs[x] : 0.0f;
        if (s->mode == SPEC_DRAFT) {
            q = s->qprobs + (size_t)i * (size_t)s->nd;
            qx = q[x];
        } else {
            qx = 1.0f;
        }
        if (px >= qx)
            continue;
        if (px > 0.0f && sampler_uniform(s->tsmp) * (double)qx < (double)px)
            continue;
        sum = spec_residual(s->probs, s->nt, q, s->nd, x, s->resid);
        *next = sampler_draw(s->tsmp, sum > 0.0 ? s->resid : s->probs);
        return i;
    }
    *next = 0; /* not reached */
    return n_prop;
}

int
spec_step(spec *s, int32_t *out, int cap, char *err, size_t errsz)
{
    int n_ctx = model_ctx_n_ctx(s->tctx);
    int limit, gamma, n_prop = 0, n_fed, k, n_out, i;
    double t0 = spec_now(), t1, t2;
    int32_t t;

    if (s->n_hist == 0 || spec_full(s) || cap < 1)
        return 0;
    /* The target needs n_hist - 1 + (1 + gamma) <= n_ctx. */
    limit = cap - 1;
    if (limit > n_ctx - s->n_hist)
        limit = n_ctx - s->n_hist;
    if (s->mode == SPEC_DRAFT) {
        int room = model_ctx_n_ctx(s->dctx) - s->n_hist + 1;

        if (limit > room)
            limit = room;
    }
    gamma = s->mode == SPEC_OFF || limit <= 0 ? 0 : spec_gamma_choose(&s->gam, limit);

    if (gamma > 0 && s->mode == SPEC_DRAFT) {
        n_prop = spec_propose_draft(s, gamma, err, errsz);
        if (n_prop < 0) {
            model_ctx_truncate(s->dctx, s->n_hist - 1);
            return -1;
        }
    } else if (gamma > 0) {
        n_prop = spec_lookup(s->hist, s->n_hist, s->pp.ngram_min, s->pp.ngram_max, gamma);
    }
    t1 = spec_now();

    /* One target pass over the pending token and the proposals the target
     * can take (an id outside its vocabulary is rejected unseen). */
    s->batch[0] = s->hist[s->n_hist - 1];
    for (n_fed = 0; n_fed < n_prop && s->hist[s->n_hist + n_fed] < s->nt; n_fed++)
        s->batch[n_fed + 1] = s->hist[s->n_hist + n_fed];
    if (model_forward(s->tctx, s->batch, n_fed + 1, s->plogits, 1, err, errsz) != 0) {
        if (s->dctx != NULL)
            model_ctx_truncate(s->dctx, s->n_hist - 1);
        return -1;
    }
    spec_gamma_time_verify(&s->gam, n_fed + 1, spec_now() - t1);
    k = spec_judge(s, n_prop, &t);
    t2 = spec_now();

    /* The produced tokens: the accepted proposals (already in place) and t,
     * up to the first end-of-generation token. */
    s->hist[s->n_hist + k] = t;
    n_out = k + 1;
    if (s->is_stop != NULL) {
        for (i = 0; i < n_out; i++) {
            if (s->is_stop(s->stop_ud, s->hist[s->n_hist + i])) {
                n_out = i + 1;
                break;
            }
        }
    }
    memcpy(out, s->hist + s->n_hist, (size_t)n_out * sizeof *out);
    s->n_hist += n_out;
    model_ctx_truncate(s->tctx, s->n_hist - 1);
    if (s->dctx != NULL)
        model_ctx_truncate(s->dctx, s->n_hist - 1);

    if (n_prop > 0) {
        spec_gamma_observe(&s->gam, n_prop, k);
        if (s->mode == SPEC_LOOKUP)
            spec_gamma_time_draft(&s->gam, (t1 - t0) / n_prop);
        s->st.n_draft_rounds++;
    }
    s->st.n_rounds++;
    s->st.n_drafted += n_prop;
    s->st.n_accepted += k;
    s->st.n_tokens += n_out;
    s->st.gamma_last = n_prop;
    s->st.t_draft += t1 - t0;
    s->st.t_verify += t2 - t1;
    s->st.t_total += spec_now() - t0;
    spec_reserve(s, 0);
    return n_out;
}
