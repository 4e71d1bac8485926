/* spec_int.h: pieces of speculative decoding shared by engine/spec*.c and
 * their tests: the adaptive draft length, n-gram lookup and the residual
 * distribution of a rejection, and the spec object itself (spec.c holds
 * its lifetime and history, spec_round.c the rounds). Not part of the
 * public API. */
#ifndef TERNCHAT_SPEC_INT_H
#define TERNCHAT_SPEC_INT_H

#include <stdint.h>

#include "model.h"
#include "sampler.h"
#include "spec.h"

/* ---- adaptive draft length (spec_gamma.c) ---- */

/* Times kept per cost; the estimate is the least of them (noise from a
 * busy machine only ever adds time). */
#define SPEC_TIME_WINDOW 8

/* What the choice of gamma rests on: the acceptance rate as decayed
 * counts, and measured costs of a draft step and of verification passes of
 * each size. */
typedef struct spec_gamma {
    int min;                 /* smallest gamma */
    int max;                 /* largest gamma */
    double acc;              /* decayed count of accepted proposals */
    double trials;           /* decayed count of proposals judged */
    double c0;               /* guess of draft step / verify pass before measuring */
    double td;               /* seconds per draft step (least recent one); < 0 until measured */
    double tv[SPEC_DRAFT_LIMIT + 2]; /* seconds per verify pass of n tokens; 0 unknown */
    double td_win[SPEC_TIME_WINDOW]; /* the last draft step times (0: empty) */
    double tv_win[SPEC_DRAFT_LIMIT + 2][SPEC_TIME_WINDOW]; /* the last pass times per size */
    int td_pos;              /* next slot of td_win */
    int tv_pos[SPEC_DRAFT_LIMIT + 2]; /* next slot of each tv_win row */
    int probe_run;           /* rounds since the last probe */
    int probe_every;         /* rounds between probes now */
    int fixed_costs;         /* ignore measured times: draft step c0, pass 1 + slope (n - 1) */
} spec_gamma;

/* Every this many rounds, one round probes the other side of gamma 0
 * (drafting when plain decoding looks best, plain decoding otherwise). */
#define SPEC_PROBE_EVERY 16
#define SPEC_PROBE_MAX 256
/* With fixed costs: the extra cost of each further token in a verify pass,
 * relative to a pass of one token. */
#define SPEC_FIXED_SLOPE 0.25

/* min..max: the bounds; c0: the cost ratio to assume until measured (0
 * for lookup, which costs next to nothing); fixed_costs: never measure
 * (the choice then depends on acceptance only, so that it repeats). */
void spec_gamma_init(spec_gamma *g, int min, int max, double c0, int fixed_costs);
/* The draft length for the next round, at most limit (>= 0): fixed when
 * min == max, else the one maximising expected tokens per second,
 * (1 - a^(gamma+1)) / (1 - a) / (gamma * t_draft + t_verify(gamma + 1)). */
int spec_gamma_choose(spec_gamma *g, int limit);
/* A round judged `proposed` proposals and accepted the first `accepted`. */
void spec_gamma_observe(spec_gamma *g, int proposed, int accepted);
/* Measured seconds of one draft step / of a verify pass of n tokens. */
void spec_gamma_time_draft(spec_gamma *g, double seconds);
void spec_gamma_time_verify(spec_gamma *g, int n, double seconds);
/* Current estimate of the acceptance rate. */
double spec_gamma_alpha(const spec_gamma *g);
/* Expected seconds of a verify pass of n tokens (<= 0 when nothing is
 * known yet). */
double spec_gamma_tv(const spec_gamma *g, int n);

/* ---- n-gram lookup (spec_lookup.c) ---- */

/* Prompt-lookup proposals: for n from ngram_max down to ngram_min, find
 * the most recent earlier occurrence of the last n tokens of hist[0..n_hist)
 * and write up to max tokens that followed it to hist[n_hist..) (which must
 * have room; a continuation that runs into the end of the history repeats
 * the cycle). Returns the number written (0: no match). */
int spec_lookup(int32_t *hist, int n_hist, int ngram_min, int ngram_max, int max);

/* ---- verification (spec_verify.c) ---- */

/* The residual distribution after a rejection, over the target's token
 * ids: r[j] = max(0, p[j] - q[j]) for 0 <= j < np, where q has nq entries
 * (q[j] = 0 beyond them) or, when q is NULL, is one-hot on token `onehot`.
 * Returns sum(r) (0 when p <= q everywhere, up to rounding). */
double spec_residual(const float *p, int np, const float *q, int nq, int32_t onehot, float *r);

/* ---- the spec object (spec.c, spec_round.c) ---- */

#define SPEC_BATCH 256 /* tokens per forward pass when feeding */

struct spec {
    const model *target;     /* the target model (not owned) */
    const model *dm;         /* the draft model given, or NULL (not owned) */
    model_ctx *tctx;         /* the target's cache (not owned) */
    model_ctx *dctx;         /* the draft's cache, or NULL (not owned) */
    int pair_checked;        /* spec_check_pair passed for dm */
    int mode;                /* enum spec_mode in use (SPEC_AUTO resolved) */
    spec_params pp;          /* the parameters */
    int nt;                  /* target vocabulary size */
    int nd;                  /* draft vocabulary size (0 without a draft) */
    int penalty;             /* the sampler's repetition penalty is active */
    sampler *tsmp;           /* the target's sampler: p, acceptance, draws */
    sampler *dsmp;           /* the draft's sampler: q and proposals (or NULL) */
    int32_t *hist;           /* history, then room for draft_max + 1 more */
    int n_hist;              /* tokens in the history */
    int cap_hist;            /* ids allocated in hist */
    int rows;                /* positions the round buffers hold (>= draft_max + 1) */
    int32_t *batch;          /* [rows] target batch / draft feed */
    float *plogits;          /* [rows * nt] target logits of a round */
    float *qprobs;           /* [rows * nd] draft distributions of a round */
    float *dlogits;          /* [nd] draft logits */
    float *probs;            /* [nt] target distribution */
    float *resid;            /* [nt] residual distribution */
    int (*is_stop)(void *, int32_t); /* end-of-generation test or NULL */
    void *stop_ud;           /* its argument */
    spec_gamma gam;          /* adaptive draft length */
    int gam_ready;           /* gam is set up for the current parameters */
    spec_stats st;           /* counters (derived fields filled by the getter) */
};

/* Monotonic seconds. */
double spec_now(void);
/* Make room in hist for n more tokens plus a round's proposals. */
void spec_reserve(spec *s, int n);

#endif
