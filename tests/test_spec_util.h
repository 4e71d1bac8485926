/* test_spec_util.h: helpers of the speculative decoding tests: random
 * model files with an optional tokenizer and perturbed weights, target-only
 * reference decoding, and speculative decoding to a token count. Test code
 * only. */
#ifndef TERNCHAT_TEST_SPEC_UTIL_H
#define TERNCHAT_TEST_SPEC_UTIL_H

#include <stdint.h>

#include "model.h"
#include "sampler.h"
#include "spec.h"
#include "test_model_gen.h"

/* How to make one model file. */
typedef struct tsu_model_opts {
    const char *arch;   /* "llama" or "bitnet" */
    int n_embd;         /* hidden size */
    int n_layer;        /* blocks */
    int n_vocab;        /* vocabulary size */
    int n_ctx;          /* context_length */
    uint64_t seed;      /* weights */
    double perturb;     /* > 0: each weight times (1 + perturb * u), u uniform in [-1, 1) */
    int tokenizer;      /* write an SPM tokenizer (tokens "<unk>", "<s>", "</s>", "w3", ...) */
    int n_added;        /* with tokenizer: the last n_added tokens are CONTROL "<extra_i>" */
} tsu_model_opts;

/* Defaults: llama, n_embd 32, 2 layers, vocab 64, context 128, seed 1. */
void tsu_model_opts_init(tsu_model_opts *o);
/* Write dir/name and return its path (malloc'd), or NULL with a diag. */
char *tsu_write_model(const char *dir, const char *name, const tsu_model_opts *o);
/* model_load or NULL with a diag. */
model *tsu_load(const char *path);

/* Target-only decoding from a fresh cache of n_ctx positions: the prompt,
 * then up to n tokens drawn with sampler_sample (as `ternchat generate`
 * does), stopping when the cache is full. Returns the count. */
int tsu_ref_decode(model *m, int n_ctx, const int32_t *prompt, int np, int n,
                   const sampler_params *sp, int32_t *out);
/* Speculative decoding of up to n tokens (fewer when the context fills).
 * Returns the count, or -1 with a diag on error. */
int tsu_spec_decode(spec *s, int n, int32_t *out);
/* A random prompt of n ids in [lo, hi). */
void tsu_prompt(uint64_t *rng, int32_t *p, int n, int lo, int hi);
/* splitmix64 step. */
uint64_t tsu_rand(uint64_t *rng);

#endif
