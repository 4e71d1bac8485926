/* spec.h: lossless speculative decoding. A cheap proposer (a small draft
 * model, or n-gram lookup in the conversation so far) guesses the next few
 * tokens; the target model checks them all in one batched forward pass and
 * keeps the longest prefix that the target's own sampler would have
 * produced (rejection sampling of Leviathan et al. / Chen et al. 2023), so
 * the output has exactly the distribution of the target alone with the same
 * sampler settings, and at temperature 0 the very same tokens.
 *
 * A spec object owns the token history of one conversation and drives the
 * target's (and the draft's) KV cache, which the caller creates and keeps:
 *
 *     s = spec_new(target, tctx, draft, dctx, &sampler_params, &spec_params, ...);
 *     spec_configure(s, &sampler_params, &spec_params, ...);  // per reply
 *     spec_feed(s, prompt, n, ...);            // prompt (or the next turn)
 *     while ((n = spec_step(s, out, cap, ...)) > 0)   // 1..cap tokens per round
 *         stream(out, n);                      // stop between rounds at will
 *     spec_truncate(s, pos);                   // conversation edits
 *
 * Between calls the target's cache holds every token of the history but
 * the last one, which the next round feeds together with the proposals;
 * the draft's cache holds a prefix of the history and catches up lazily. */
#ifndef TERNCHAT_SPEC_H
#define TERNCHAT_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "sampler.h"
#include "tok.h"

/* Where proposals come from. */
enum spec_mode {
    SPEC_OFF = 0,    /* none: plain decoding, one target pass per token */
    SPEC_DRAFT = 1,  /* a draft model */
    SPEC_LOOKUP = 2, /* n-gram lookup in the prompt and the conversation */
    SPEC_AUTO = 3    /* SPEC_DRAFT if a draft model is given, else SPEC_LOOKUP */
};

/* Largest draft length per round that spec_new accepts. */
#define SPEC_DRAFT_LIMIT 64

/* Settings of a spec object. */
typedef struct spec_params {
    int mode;          /* enum spec_mode */
    int draft_min;     /* shortest draft per round (0: may fall back to plain decoding) */
    int draft_max;     /* longest draft per round; draft_min == draft_max: fixed */
    int ngram_min;     /* lookup: shortest n-gram matched (>= 1) */
    int ngram_max;     /* lookup: longest n-gram matched (>= ngram_min) */
    int reproducible;  /* choose draft lengths without the clock (acceptance and
                        * model sizes only), so that a seeded run repeats exactly */
} spec_params;

/* Defaults: SPEC_AUTO, draft lengths 0..16 chosen adaptively from measured
 * speed and acceptance, n-grams 1..3. */
void spec_params_default(spec_params *p);
/* "off", "draft", "lookup", "auto"; -1 for anything else. */
int spec_mode_parse(const char *name);
const char *spec_mode_name(int mode);

/* Statistics since spec_new or the last spec_stats_reset (one reply). */
typedef struct spec_stats {
    int mode;              /* enum spec_mode in use (never SPEC_AUTO) */
    long n_tokens;         /* tokens produced by spec_step */
    long n_rounds;         /* rounds (target verification passes) */
    long n_draft_rounds;   /* rounds that had at least one proposal */
    long n_drafted;        /* proposals made */
    long n_accepted;       /* proposals accepted */
    double accept_rate;    /* n_accepted / n_drafted (0 when nothing was drafted) */
    double mean_run;       /* accepted proposals per drafting round */
    double gamma_mean;     /* mean draft length (proposals verified) per round */
    int gamma_last;        /* draft length of the last round */
    double alpha;          /* current acceptance estimate steering the choice */
    double t_draft;        /* seconds proposing (draft passes or lookup) */
    double t_verify;       /* seconds in target passes and the accept/reject test */
    double t_total;        /* seconds inside spec_step */
    double t_feed;         /* seconds inside spec_feed (prompts) */
    double tokens_per_s;   /* n_tokens / t_total */
} spec_stats;

typedef struct spec spec;

/* Pair a target with an optional draft. tctx/dctx are KV caches of target
 * and draft, owned by the caller, used only through this object from now
 * on and truncated to empty here; dctx may be NULL (then draft must be
 * NULL). When the draft is to be used the vocabularies are checked
 * (spec_check_pair).
 * sp: the sampler settings (the draft samples with the same transforms and
 * a seed derived from sp->seed). Returns NULL with a one-line message in
 * err (incompatible vocabularies, bad parameters, SPEC_DRAFT without a
 * draft model). */
spec *spec_new(const model *target, model_ctx *tctx, const model *draft, model_ctx *dctx,
               const sampler_params *sp, const spec_params *pp, char *err, size_t errsz);
void spec_free(spec *s);
/* New sampler and speculation settings for the next replies (the history
 * and the caches stay; the sampler's RNG restarts from sp->seed; what the
 * adaptive draft length learnt is kept unless the mode or the draft
 * lengths change). Returns 0, or -1 with a message in err and nothing
 * changed (bad parameters, SPEC_DRAFT without a draft model, a draft that
 * does not fit the target). */
int spec_configure(spec *s, const sampler_params *sp, const spec_params *pp, char *err,
                   size_t errsz);
/* The enum spec_mode in use (SPEC_AUTO resolved). */
int spec_get_mode(const spec *s);

/* End of generation: after spec_step produces a token for which
 * is_stop(ud, id) is true, the round ends with it (tokens the round had
 * accepted after it are dropped from the history and the caches). */
void spec_set_stop(spec *s, int (*is_stop)(void *ud, int32_t id), void *ud);

/* Append tokens to the history (a prompt, or the next user turn) and run
 * them through the target in batches. Returns 0, or -1 with a message in
 * err (an id outside the target's vocabulary, the context would overflow)
 * and nothing appended. */
int spec_feed(spec *s, const int32_t *tokens, int n, char *err, size_t errsz);

/* One round: propose, verify in one target pass, accept. Writes the new
 * tokens (1..cap, at most draft_max + 1) to out and appends them to the
 * history. Returns their count, 0 if there is no room left in the target's
 * context (spec_full) or the history is empty, or -1 with a message in err
 * (a forward pass failed; the state is then as before the call). */
int spec_step(spec *s, int32_t *out, int cap, char *err, size_t errsz);
/* 1 when the target's context cannot take the next round. */
int spec_full(const spec *s);

/* The history: n_tokens ids (prompt, generated, fed). */
const int32_t *spec_tokens(const spec *s, int *n_tokens);
int spec_n_tokens(const spec *s);
/* Forget every token from position pos on (0 <= pos <= spec_n_tokens);
 * both caches follow. Returns 0, or -1 if pos is out of range. */
int spec_truncate(spec *s, int pos);

void spec_get_stats(const spec *s, spec_stats *st);
/* Zero the counters and times (the adaptive state is kept). */
void spec_stats_reset(spec *s);

/* Can tokens of the draft's tokenizer be fed to the target and back?
 * Same tokenizer kind and pre-tokenizer, same special ids (bos, eos, eot,
 * eom, unk, pad) and add_bos/add_eos, the same text and type for every id
 * both have; the larger vocabulary may only add trailing tokens that are
 * not normal text or bytes. Returns 0, or -1 with a message naming the
 * first mismatch. */
int spec_check_vocab(const tok *target, const tok *draft, char *err, size_t errsz);
/* spec_check_vocab on the models' tokenizers; two models without one must
 * have the same vocabulary size, and one without cannot pair with one
 * with. Returns 0 or -1 with a message. */
int spec_check_pair(const model *target, const model *draft, char *err, size_t errsz);

#endif
