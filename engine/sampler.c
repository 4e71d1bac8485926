/* sampler.c: turning a row of logits into the next token.
 *
 * The chain, in this order (the order of llama.cpp's default chain):
 *
 *  0. Sanitise: a NaN logit counts as -inf, +inf is clamped to FLT_MAX.
 *     Tokens whose logit is -inf are never candidates (probability 0).
 *  1. Repetition penalty over the last repeat_last_n accepted tokens, each
 *     distinct token once: logit > 0 ? logit / penalty : logit * penalty
 *     (off when repeat_penalty is 1 or <= 0, or repeat_last_n <= 0; a
 *     penalised logit that overflows is clamped to +-FLT_MAX).
 *  -  temp <= 0 (or NaN): greedy. The answer is the argmax of the penalised
 *     logits, ties going to the lowest id, as a one-hot distribution; the
 *     filters below are skipped (they always keep the argmax) and the RNG
 *     is not used.
 *  2. Top-k: the k best candidates by (logit descending, id ascending), found
 *     with a size-k min-heap over the vocabulary; only those k are sorted.
 *  3. Softmax over the candidates (in double).
 *  4. Top-p: keep the shortest prefix of the candidates sorted as in 2 whose
 *     mass reaches top_p (at least one token). A mass within 1e-6 of top_p
 *     counts as reaching it, so boundaries written as floats behave as
 *     written. With top-k off, the best 64, 512, ... tokens are selected
 *     and sorted until their mass reaches top_p (a full sort only for flat
 *     distributions); with both off nothing is sorted.
 *  5. Min-p: keep the tokens with p >= min_p * p_max (with a relative slack
 *     of 1e-6 for the same reason; min_p above 1 counts as 1, so the most
 *     likely token always stays).
 *  6. Temperature: the logits of the kept tokens are divided by temp and a
 *     softmax over the kept tokens gives the final distribution.
 *  7. Draw (sampler_draw): inverse CDF over token ids with one uniform double
 *     u: the first id whose running sum exceeds u * (sum of the row).
 *
 * If every logit is NaN or -inf, the distribution is one-hot on token 0
 * (and greedy also picks token 0).
 *
 * The RNG is xoshiro256** seeded through splitmix64 from params.seed.
 * Work buffers are allocated once in sampler_new; the calls do not allocate.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

/* Slack for the top-p and min-p comparisons (see the top of the file). */
#define SAMPLER_EPS 1e-6

/* One candidate token in the work list. */
typedef struct sampler_cand {
    double p;      /* probability; in the last step the temperature weight */
    float logit;   /* penalised, sanitised logit */
    int32_t id;    /* token id */
} sampler_cand;

struct sampler {
    sampler_params params; /* the parameters, copied at sampler_new */
    int n_vocab;           /* size of the logit and probability rows */
    float *logits;         /* [n_vocab] penalised, sanitised copy of the logits */
    sampler_cand *cand;    /* [n_vocab] candidate work list / top-k heap */
    uint32_t *mark;        /* [n_vocab] stamp of the last penalty pass that hit the token */
    uint32_t stamp;        /* current penalty pass (0 is never a valid stamp) */
    float *probs;          /* [n_vocab] distribution buffer for sampler_sample */
    int32_t *hist;         /* ring of the last hist_cap accepted tokens */
    int hist_cap;          /* ring capacity: max(repeat_last_n, 0) */
    int hist_len;          /* tokens in the ring */
    int hist_pos;          /* where the next token goes */
    uint64_t rng[4];       /* xoshiro256** state */
};

void
sampler_params_default(sampler_params *p)
{
    p->temp = 0.8f;
    p->top_k = 40;
    p->top_p = 0.95f;
    p->min_p = 0.05f;
    p->repeat_penalty = 1.0f;
    p->repeat_last_n = 64;
    p->seed = 0;
}

/* ---- RNG ---------------------------------------------------------------- */

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void
rng_seed(sampler *s)
{
    uint64_t x = s->params.seed;
    int i;

    for (i = 0; i < 4; i++)
        s->rng[i] = splitmix64(&x);
}

static uint64_t
rng_next(sampler *s)
{
    uint64_t *st = s->rng;
    uint64_t r = rotl64(st[1] * 5, 7) * 9;
    uint64_t t = st[1] << 17;

    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl64(st[3], 45);
    return r;
}

double
sampler_uniform(sampler *s)
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

/* ---- lifetime ----------------------------------------------------------- */

sampler *
sampler_new(const sampler_params *p, int n_vocab)
{
    sampler *s;
    size_t n;
    int cap;

    if (n_vocab <= 0)
        return NULL;
    n = (size_t)n_vocab;
    if (n > SIZE_MAX / sizeof(sampler_cand))
        return NULL;
    cap = p->repeat_last_n > 0 ? p->repeat_last_n : 0;

    /* Sizes come from the model file and the user: check, don't abort. */
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->params = *p;
    s->n_vocab = n_vocab;
    s->logits = malloc(n * sizeof(float));
    s->cand = malloc(n * sizeof(sampler_cand));
    s->mark = calloc(n, sizeof(uint32_t));
    s->probs = malloc(n * sizeof(float));
    s->hist = malloc((cap > 0 ? (size_t)cap : 1) * sizeof(int32_t));
    if (s->logits == NULL || s->cand == NULL || s->mark == NULL ||
        s->probs == NULL || s->hist == NULL) {
        sampler_free(s);
        return NULL;
    }
    s->hist_cap = cap;
    sampler_reset(s);
    return s;
}

void
sampler_free(sampler *s)
{
    if (s == NULL)
        return;
    free(s->logits);
    free(s->cand);
    free(s->mark);
    free(s->probs);
    free(s->hist);
    free(s);
}

const sampler_params *
sampler_get_params(const sampler *s)
{
    return &s->params;
}

void
sampler_accept(sampler *s, int32_t token)
{
    /* Out-of-range ids cannot be penalised; they are not recorded. */
    if (token < 0 || token >= s->n_vocab || s->hist_cap == 0)
        return;
    s->hist[s->hist_pos] = token;
    s->hist_pos = (s->hist_pos + 1) % s->hist_cap;
    if (s->hist_len < s->hist_cap)
        s->hist_len++;
}

void
sampler_reset(sampler *s)
{
    s->hist_len = 0;
    s->hist_pos = 0;
    rng_seed(s);
}

void
sampler_set_history(sampler *s, const int32_t *tokens, int n)
{
    int i = n > s->hist_cap ? n - s->hist_cap : 0;

    s->hist_len = 0;
    s->hist_pos = 0;
    for (; i < n; i++)
        sampler_accept(s, tokens[i]);
}

/* ---- the chain ---------------------------------------------------------- */

/* Copy and sanitise the logits into s->logits, then apply the penalty. */
static void
prepare(sampler *s, const float *logits)
{
    float pen = s->params.repeat_penalty;
    int n = s->n_vocab;
    int i;

    for (i = 0; i < n; i++) {
        float v = logits[i];

        if (isnan(v))
            v = -INFINITY;
        else if (v > FLT_MAX)
            v = FLT_MAX;
        s->logits[i] = v;
    }
    if (!(pen > 0.0f) || pen == 1.0f || s->hist_len == 0)
        return;
    if (++s->stamp == 0) {
        memset(s->mark, 0, (size_t)n * sizeof(uint32_t));
        s->stamp = 1;
    }
    for (i = 0; i < s->hist_len; i++) {
        int32_t t = s->hist[i];
        float l = s->logits[t];

        if (s->mark[t] == s->stamp)
            continue;
        s->mark[t] = s->stamp;
        if (l == -INFINITY)
            continue;
        l = l > 0.0f ? l / pen : l * pen;
        if (isinf(l))
            l = l > 0.0f ? FLT_MAX : -FLT_MAX;
        s->logits[t] = l;
    }
}

/* Argmax of s->logits, ties to the lowest id; 0 when all are -inf. */
static int32_t
argmax(const sampler *s)
{
    int32_t best = 0;
    int i;

    for (i = 1; i < s->n_vocab; i++)
        if (s->logits[i] > s->logits[best])
            best = i;
    return best;
}

/* Is a ranked before b: higher logit, then lower id. */
static int
cand_better(const sampler_cand *a, const sampler_cand *b)
{
    if (a->logit != b->logit)
        return a->logit > b->logit;
    return a->id < b->id;
}

static int
cand_cmp(const void *pa, const void *pb)
{
    const sampler_cand *a = pa;
    const sampler_cand *b = pb;

    if (a->id == b->id)
        return 0;
    return cand_better(a, b) ? -1 : 1;
}

/* Restore the min-heap (root = worst candidate) below node i of h[0..n). */
static void
heap_down(sampler_cand *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1;
        int r = l + 1;
        int w = i;
        sampler_cand t;

        if (l < n && cand_better(&h[w], &h[l]))
            w = l;
        if (r < n && cand_better(&h[w], &h[r]))
            w = r;
        if (w == i)
            return;
        t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void
heap_up(sampler_cand *h, int i)
{
    while (i > 0) {
        int parent = (i - 1) / 2;
        sampler_cand t;

        if (!cand_better(&h[parent], &h[i]))
            return;
        t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

/* Fill s->cand with the k best candidates (all finite ones when k >=
 * n_vocab), best first. Returns their number (0 when every logit is -inf). */
static int
select_top(sampler *s, int k)
{
    int n = 0;
    int i;

    for (i = 0; i < s->n_vocab; i++) {
        sampler_cand c;

        if (s->logits[i] == -INFINITY)
            continue;
        c.logit = s->logits[i];
        c.id = i;
        c.p = 0.0;
        if (k >= s->n_vocab) {
            s->cand[n++] = c;
        } else if (n < k) {
            s->cand[n] = c;
            heap_up(s->cand, n);
            n++;
        } else if (cand_better(&c, &s->cand[0])) {
            s->cand[0] = c;
            heap_down(s->cand, n, 0);
        }
    }
    qsort(s->cand, (size_t)n, sizeof(sampler_cand), cand_cmp);
    return n;
}

/* The largest logit and sum(exp(l - max)) over all finite logits. Returns
 * the number of finite logits. */
static int
normaliser(const sampler *s, double *lmax, double *z)
{
    float m = -INFINITY;
    double sum = 0.0;
    int i, n = 0;

    for (i = 0; i < s->n_vocab; i++)
        if (s->logits[i] > m)
            m = s->logits[i];
    for (i = 0; i < s->n_vocab; i++) {
        if (s->logits[i] == -INFINITY)
            continue;
        sum += exp((double)s->logits[i] - (double)m);
        n++;
    }
    *lmax = m;
    *z = sum;
    return n;
}

/* The shortest prefix of cand[0..n) whose mass reaches top_p (at least 1). */
static int
top_p_prefix(const sampler *s, int n)
{
    double cum = 0.0;
    int i;

    for (i = 0; i < n; i++) {
        cum += s->cand[i].p;
        if (cum >= (double)s->params.top_p - SAMPLER_EPS)
            return i + 1;
    }
    return n;
}

/* Steps 2-4 with top-k on: top-k, softmax over the k, then top-p.
 * Returns the number of kept candidates, sorted best first. */
static int
chain_top_k(sampler *s, double *lmax, double *pmax)
{
    sampler_cand *c = s->cand;
    double sum = 0.0;
    int n, i;

    n = select_top(s, s->params.top_k);
    if (n == 0)
        return 0;
    *lmax = c[0].logit;
    for (i = 0; i < n; i++)
        sum += (c[i].p = exp((double)c[i].logit - *lmax));
    for (i = 0; i < n; i++)
        c[i].p /= sum;
    *pmax = 1.0 / sum;
    return s->params.top_p < 1.0f ? top_p_prefix(s, n) : n;
}

/* Steps 2-4 with top-k off and top-p on: the softmax runs over the whole
 * vocabulary, then the best k tokens are selected and sorted for k = 64,
 * 512, ... until their mass reaches top_p, so flat distributions fall back
 * to a full sort but peaked ones stay cheap. */
static int
chain_top_p(sampler *s, double *lmax, double *pmax)
{
    double z;
    int n_finite, k, n, i;

    n_finite = normaliser(s, lmax, &z);
    if (n_finite == 0)
        return 0;
    *pmax = 1.0 / z;
    for (k = 64;; k = k > s->n_vocab / 8 ? s->n_vocab : k * 8) {
        double cum = 0.0;

        n = select_top(s, k);
        for (i = 0; i < n; i++) {
            s->cand[i].p = exp((double)s->cand[i].logit - *lmax) / z;
            cum += s->cand[i].p;
        }
        if (n == n_finite || cum >= (double)s->params.top_p - SAMPLER_EPS)
            return top_p_prefix(s, n);
    }
}

/* Steps 2-4 with top-k and top-p off: every finite token, in id order. */
static int
chain_all(sampler *s, double *lmax, double *pmax)
{
    double z;
    int n = 0, i;

    if (normaliser(s, lmax, &z) == 0)
        return 0;
    *pmax = 1.0 / z;
    for (i = 0; i < s->n_vocab; i++) {
        if (s->logits[i] == -INFINITY)
            continue;
        s->cand[n].logit = s->logits[i];
        s->cand[n].id = i;
        s->cand[n].p = exp((double)s->logits[i] - *lmax) / z;
        n++;
    }
    return n;
}

int
sampler_probs(sampler *s, const float *logits, float *probs)
{
    const sampler_params *p = &s->params;
    sampler_cand *c = s->cand;
    double sum, lmax = 0.0, pmax = 1.0;
    int n_keep, n_nonzero, i;

    prepare(s, logits);
    memset(probs, 0, (size_t)s->n_vocab * sizeof(float));
    if (!(p->temp > 0.0f)) {
        probs[argmax(s)] = 1.0f;
        return 1;
    }
    if (p->top_k > 0 && p->top_k < s->n_vocab)
        n_keep = chain_top_k(s, &lmax, &pmax);
    else if (p->top_p < 1.0f)
        n_keep = chain_top_p(s, &lmax, &pmax);
    else
        n_keep = chain_all(s, &lmax, &pmax);
    if (n_keep == 0) {
        probs[0] = 1.0f;
        return 1;
    }

    /* Min-p: relative to the most likely token, which always stays (the
     * factor is capped at 1). Order is kept, so a sorted list stays sorted. */
    if (p->min_p > 0.0f) {
        double f = p->min_p < 1.0f ? (double)p->min_p : 1.0;
        double thresh = f * pmax * (1.0 - SAMPLER_EPS);
        int j = 0;

        for (i = 0; i < n_keep; i++)
            if (c[i].p >= thresh)
                c[j++] = c[i];
        n_keep = j;
    }

    /* Temperature on the kept logits, then the final softmax. */
    sum = 0.0;
    for (i = 0; i < n_keep; i++) {
        c[i].p = exp(((double)c[i].logit - lmax) / (double)p->temp);
        sum += c[i].p;
    }
    n_nonzero = 0;
    for (i = 0; i < n_keep; i++) {
        float q = (float)(c[i].p / sum);

        probs[c[i].id] = q;
        if (q > 0.0f)
            n_nonzero++;
    }
    return n_nonzero;
}

int32_t
sampler_draw(sampler *s, const float *probs)
{
    double u = sampler_uniform(s);
    double total = 0.0, target, cum = 0.0;
    int32_t last = -1;
    int i;

    /* Only finite positive entries count; the rest have probability 0. */
    for (i = 0; i < s->n_vocab; i++) {
        if (probs[i] > 0.0f && probs[i] <= FLT_MAX) {
            total += (double)probs[i];
            last = i;
        }
    }
    if (last < 0)
        return 0;
    target = u * total;
    for (i = 0; i < last; i++) {
        if (probs[i] > 0.0f && probs[i] <= FLT_MAX) {
            cum += (double)probs[i];
            if (cum > target)
                return i;
        }
    }
    /* The last positive entry, also when rounding left target >= cum. */
    return last;
}

int32_t
sampler_sample(sampler *s, const float *logits)
{
    if (!(s->params.temp > 0.0f)) {
        prepare(s, logits);
        return argmax(s);
    }
    sampler_probs(s, logits, s->probs);
    return sampler_draw(s, s->probs);
}
