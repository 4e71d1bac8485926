/* sampler.h: turning logits into the next token: repetition penalty, top-k,
 * top-p, min-p, temperature, then a seeded draw (or argmax when temp <= 0). */
#ifndef TERNCHAT_SAMPLER_H
#define TERNCHAT_SAMPLER_H

#include <stdint.h>

typedef struct sampler_params {
    float temp;            /* <= 0: greedy (argmax) */
    int top_k;             /* <= 0: off */
    float top_p;           /* >= 1: off */
    float min_p;           /* <= 0: off */
    float repeat_penalty;  /* 1: off */
    int repeat_last_n;     /* tokens of history the penalty looks at */
    uint64_t seed;         /* RNG seed; the same seed gives the same draws */
} sampler_params;

/* Defaults: temp 0.8, top_k 40, top_p 0.95, min_p 0.05, repeat_penalty 1.0,
 * repeat_last_n 64, seed 0 (callers pick a random seed when the user gives none). */
void sampler_params_default(sampler_params *p);

typedef struct sampler sampler;

/* NULL when n_vocab <= 0 or the work buffers cannot be allocated. */
sampler *sampler_new(const sampler_params *p, int n_vocab);
void sampler_free(sampler *s);
const sampler_params *sampler_get_params(const sampler *s);
/* Record a token of the context (prompt or generated) for the penalty. */
void sampler_accept(sampler *s, int32_t token);
/* Forget the history and reseed the RNG. */
void sampler_reset(sampler *s);
/* Replace the penalty history by the last repeat_last_n of tokens[0..n), as
 * if sampler_accept had been called on each after a reset, but leave the
 * RNG alone (speculative decoding rewinds the history to each drafted
 * position). n may be 0 (no history). */
void sampler_set_history(sampler *s, const int32_t *tokens, int n);

/* The distribution the sampler draws from: after penalty, top-k, top-p,
 * min-p and temperature, probs[n_vocab] sums to 1 with zeros outside the
 * kept set (one-hot on the argmax when temp <= 0). Does not use the RNG.
 * Returns the number of tokens with nonzero probability. */
int sampler_probs(sampler *s, const float *logits, float *probs);
/* Draw a token from a distribution like the one above, using the RNG. */
int32_t sampler_draw(sampler *s, const float *probs);
/* A uniform double in [0, 1) from the sampler's RNG. */
double sampler_uniform(sampler *s);
/* sampler_probs then sampler_draw (argmax without the RNG when temp <= 0). */
int32_t sampler_sample(sampler *s, const float *logits);

#endif
