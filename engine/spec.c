/* spec.c: the spec object's life: parameters, pairing a draft with the
 * target, the token history (feeding prompts, truncating) and statistics.
 * The rounds themselves are in spec_round.c. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spec_int.h"
#include "xmalloc.h"

double
spec_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
spec_params_default(spec_params *p)
{
    p->mode = SPEC_AUTO;
    p->draft_min = 0;
    p->draft_max = 16;
    p->ngram_min = 1;
    p->ngram_max = 3;
    p->reproducible = 0;
}

static const char *const spec_mode_names[] = { "off", "draft", "lookup", "auto" };

int
spec_mode_parse(const char *name)
{
    int i;

    for (i = 0; i < 4; i++)
        if (strcmp(name, spec_mode_names[i]) == 0)
            return i;
    return -1;
}

const char *
spec_mode_name(int mode)
{
    return mode >= 0 && mode < 4 ? spec_mode_names[mode] : "?";
}

/* A checked allocation of n * m floats (sizes come from the model files). */
static float *
spec_floats(size_t n, size_t m)
{
    if (m != 0 && n > SIZE_MAX / sizeof(float) / m)
        return NULL;
    return malloc((n * m > 0 ? n * m : 1) * sizeof(float));
}

static int
spec_check_params(const spec *s, const spec_params *pp, char *err, size_t errsz)
{
    if (pp->mode < SPEC_OFF || pp->mode > SPEC_AUTO) {
        snprintf(err, errsz, "unknown speculative mode %d", pp->mode);
        return -1;
    }
    if (pp->draft_min < 0 || pp->draft_max < pp->draft_min || pp->draft_max > SPEC_DRAFT_LIMIT) {
        snprintf(err, errsz, "draft lengths must satisfy 0 <= min (%d) <= max (%d) <= %d",
                 pp->draft_min, pp->draft_max, SPEC_DRAFT_LIMIT);
        return -1;
    }
    if (pp->ngram_min < 1 || pp->ngram_max < pp->ngram_min) {
        snprintf(err, errsz, "n-gram sizes must satisfy 1 <= min (%d) <= max (%d)",
                 pp->ngram_min, pp->ngram_max);
        return -1;
    }
    if (pp->mode == SPEC_DRAFT && s->dm == NULL) {
        snprintf(err, errsz, "speculative mode 'draft' needs a draft model");
        return -1;
    }
    return 0;
}

spec *
spec_new(const model *target, model_ctx *tctx, const model *draft, model_ctx *dctx,
         const sampler_params *sp, const spec_params *pp, char *err, size_t errsz)
{
    spec *s;

    if ((draft == NULL) != (dctx == NULL)) {
        snprintf(err, errsz, "a draft model needs its own cache (and a cache its model)");
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->target = target;
    s->tctx = tctx;
    s->dm = draft;
    s->dctx = dctx;
    s->nt = model_get_info(target)->n_vocab;
    s->nd = draft != NULL ? model_get_info(draft)->n_vocab : 0;
    s->cap_hist = 256;
    s->hist = xcalloc((size_t)s->cap_hist, sizeof *s->hist);
    s->probs = spec_floats((size_t)s->nt, 1);
    s->resid = spec_floats((size_t)s->nt, 1);
    if (draft != NULL)
        s->dlogits = spec_floats((size_t)s->nd, 1);
    if (s->probs == NULL || s->resid == NULL || (draft != NULL && s->dlogits == NULL)) {
        snprintf(err, errsz, "out of memory for vocabularies of %d and %d tokens", s->nt, s->nd);
        spec_free(s);
        return NULL;
    }
    if (spec_configure(s, sp, pp, err, errsz) != 0) {
        spec_free(s);
        return NULL;
    }
    model_ctx_truncate(tctx, 0);
    if (dctx != NULL)
        model_ctx_truncate(dctx, 0);
    return s;
}

int
spec_configure(spec *s, const sampler_params *sp, const spec_params *pp, char *err, size_t errsz)
{
    sampler_params dsp;
    sampler *tsmp, *dsmp = NULL;
    int mode, rows = s->rows;
    float *plogits = NULL, *qprobs = NULL;
    int32_t *batch = NULL;

    if (spec_check_params(s, pp, err, errsz) != 0)
        return -1;
    mode = pp->mode == SPEC_AUTO ? (s->dm != NULL ? SPEC_DRAFT : SPEC_LOOKUP) : pp->mode;
    if (mode == SPEC_DRAFT && !s->pair_checked) {
        if (spec_check_pair(s->target, s->dm, err, errsz) != 0)
            return -1;
        s->pair_checked = 1;
    }

    /* Everything new first, so that a failure changes nothing. */
    tsmp = sampler_new(sp, s->nt);
    if (s->dm != NULL) {
        dsp = *sp;
        dsp.seed = sp->seed ^ 0xd1b54a32d192ed03ULL;
        dsmp = sampler_new(&dsp, s->nd);
    }
    if (pp->draft_max + 1 > rows) {
        rows = pp->draft_max + 1;
        plogits = spec_floats((size_t)s->nt, (size_t)rows);
        if (s->dm != NULL)
            qprobs = spec_floats((size_t)s->nd, (size_t)rows);
        batch = malloc((size_t)rows * sizeof *batch);
    }
    if (tsmp == NULL || (s->dm != NULL && dsmp == NULL) ||
        (rows > s->rows && (plogits == NULL || batch == NULL || (s->dm != NULL && qprobs == NULL)))) {
        snprintf(err, errsz, "out of memory for speculative decoding (vocabularies of %d and %d "
                 "tokens, drafts of up to %d)", s->nt, s->nd, pp->draft_max);
        sampler_free(tsmp);
        sampler_free(dsmp);
        free(plogits);
        free(qprobs);
        free(batch);
        return -1;
    }
    sampler_free(s->tsmp);
    sampler_free(s->dsmp);
    s->tsmp = tsmp;
    s->dsmp = dsmp;
    if (rows > s->rows) {
        free(s->plogits);
        free(s->qprobs);
        free(s->batch);
        s->plogits = plogits;
        s->qprobs = qprobs;
        s->batch = batch;
        s->rows = rows;
    }
    s->penalty = sp->repeat_penalty > 0.0f && sp->repeat_penalty != 1.0f && sp->repeat_last_n > 0;

    /* The adaptive state (acceptance, measured costs) carries over from
     * reply to reply unless what it was learnt for changed. */
    if (!s->gam_ready || mode != s->mode || pp->draft_min != s->pp.draft_min ||
        pp->draft_max != s->pp.draft_max || pp->reproducible != s->pp.reproducible) {
        double c0 = 0.0;

        if (mode == SPEC_DRAFT) {
            double wt = (double)model_get_info(s->target)->weight_bytes;
            double wd = (double)model_get_info(s->dm)->weight_bytes;

            /* Decoding is mostly memory-bound: a step costs about its bytes. */
            c0 = wt > 0.0 ? wd / wt : 1.0;
        }
        spec_gamma_init(&s->gam, mode == SPEC_OFF ? 0 : pp->draft_min,
                        mode == SPEC_OFF ? 0 : pp->draft_max, c0, pp->reproducible);
        s->gam_ready = 1;
    }
    s->mode = mode;
    s->pp = *pp;
    s->st.mode = mode;
    spec_reserve(s, 0);
    return 0;
}

void
spec_free(spec *s)
{
    if (s == NULL)
        return;
    sampler_free(s->tsmp);
    sampler_free(s->dsmp);
    free(s->hist);
    free(s->batch);
    free(s->plogits);
    free(s->qprobs);
    free(s->dlogits);
    free(s->probs);
    free(s->resid);
    free(s);
}

int
spec_get_mode(const spec *s)
{
    return s->mode;
}

void
spec_set_stop(spec *s, int (*is_stop)(void *ud, int32_t id), void *ud)
{
    s->is_stop = is_stop;
    s->stop_ud = ud;
}

const int32_t *
spec_tokens(const spec *s, int *n_tokens)
{
    if (n_tokens != NULL)
        *n_tokens = s->n_hist;
    return s->hist;
}

int
spec_n_tokens(const spec *s)
{
    return s->n_hist;
}

int
spec_full(const spec *s)
{
    return s->n_hist > model_ctx_n_ctx(s->tctx);
}

void
spec_reserve(spec *s, int n)
{
    size_t need = (size_t)s->n_hist + (size_t)n + (size_t)s->pp.draft_max + 1;

    if (need <= (size_t)s->cap_hist)
        return;
    while ((size_t)s->cap_hist < need)
        s->cap_hist *= 2;
    s->hist = xreallocarray(s->hist, (size_t)s->cap_hist, sizeof *s->hist);
}

int
spec_feed(spec *s, const int32_t *tokens, int n, char *err, size_t errsz)
{
    int i, from, to, n_ctx = model_ctx_n_ctx(s->tctx);
    double t0 = spec_now();

    if (n <= 0)
        return 0;
    for (i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= s->nt) {
            snprintf(err, errsz, "token id %ld is out of range (the vocabulary has %d tokens)",
                     (long)tokens[i], s->nt);
            return -1;
        }
    }
    if ((long)s->n_hist + n - 1 > (long)n_ctx) {
        snprintf(err, errsz, "context full: %d tokens + %d more exceed the context of %d",
                 s->n_hist, n, n_ctx);
        return -1;
    }
    spec_reserve(s, n);
    memcpy(s->hist + s->n_hist, tokens, (size_t)n * sizeof *tokens);
    /* The target takes everything up to the new last token. */
    from = model_ctx_pos(s->tctx);
    to = s->n_hist + n - 1;
    for (i = from; i < to; i += SPEC_BATCH) {
        int m = to - i < SPEC_BATCH ? to - i : SPEC_BATCH;

        if (model_forward(s->tctx, s->hist + i, m, NULL, 0, err, errsz) != 0) {
            model_ctx_truncate(s->tctx, from);
            return -1;
        }
    }
    s->n_hist += n;
    s->st.t_feed += spec_now() - t0;
    return 0;
}

int
spec_truncate(spec *s, int pos)
{
    int keep;

    if (pos < 0 || pos > s->n_hist)
        return -1;
    s->n_hist = pos;
    keep = pos > 0 ? pos - 1 : 0;
    model_ctx_truncate(s->tctx, keep);
    if (s->dctx != NULL)
        model_ctx_truncate(s->dctx, keep);
    return 0;
}

void
spec_get_stats(const spec *s, spec_stats *st)
{
    *st = s->st;
    st->accept_rate = st->n_drafted > 0 ? (double)st->n_accepted / (double)st->n_drafted : 0.0;
    st->mean_run = st->n_draft_rounds > 0 ?
        (double)st->n_accepted / (double)st->n_draft_rounds : 0.0;
    st->gamma_mean = st->n_rounds > 0 ? (double)st->n_drafted / (double)st->n_rounds : 0.0;
    st->alpha = spec_gamma_alpha(&s->gam);
    st->tokens_per_s = st->t_total > 0.0 ? (double)st->n_tokens / st->t_total : 0.0;
}

void
spec_stats_reset(spec *s)
{
    memset(&s->st, 0, sizeof s->st);
    s->st.mode = s->mode;
}
