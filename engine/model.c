/* model.c: the per-conversation state (KV cache, scratch, thread pool) and
 * the batched forward pass of the llama and bitnet graphs. Activations are
 * [n][dim] matrices, one row per token of the batch; every weight matrix is
 * multiplied against all rows in one kernel call. Each token's numbers are
 * computed the same way whatever the batch size or thread count, so a batch
 * gives the same bits as single steps. */
#include "config.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "model_int.h"
#include "pool.h"
#include "xmalloc.h"

#define MODEL_DEFAULT_CTX 4096
#define MODEL_MAX_THREADS 256

struct model_ctx {
    model *m;          /* the model (not owned) */
    int n_ctx;         /* positions in the cache */
    int pos;           /* positions filled */
    int64_t kvd;       /* floats per position per layer: n_head_kv * head_dim */
    float *kv;         /* per layer: K [n_ctx][kvd] then V [n_ctx][kvd] */
    pool *pool;        /* worker threads (NULL: caller only) */
    int n_threads;     /* threads asked for */
    float *scores;     /* attention scores: [threads][heads per kv head][n_ctx] */
    int cap;           /* batch rows the buffers below hold */
    float *x;          /* [cap][n_embd] residual stream */
    float *h;          /* [cap][n_embd] normed input of a sub-layer */
    float *o;          /* [cap][n_embd] output of attn_output / ffn_down */
    float *q;          /* [cap][n_head * head_dim] queries */
    float *att;        /* [cap][n_head * head_dim] attention output */
    float *g;          /* [cap][n_ff] gate */
    float *u;          /* [cap][n_ff] up */
    float *rcos;       /* [cap][n_rot/2] RoPE cosines per token */
    float *rsin;       /* [cap][n_rot/2] RoPE sines per token */
};

static float *
model_kv_k(const model_ctx *c, int il)
{
    return c->kv + (size_t)il * 2 * (size_t)c->n_ctx * (size_t)c->kvd;
}

static float *
model_kv_v(const model_ctx *c, int il)
{
    return model_kv_k(c, il) + (size_t)c->n_ctx * (size_t)c->kvd;
}

static void
model_scratch_free(model_ctx *c)
{
    free(c->x);
    free(c->h);
    free(c->o);
    free(c->q);
    free(c->att);
    free(c->g);
    free(c->u);
    free(c->rcos);
    free(c->rsin);
    c->x = c->h = c->o = c->q = c->att = c->g = c->u = c->rcos = c->rsin = NULL;
    c->cap = 0;
}

/* Make the batch buffers hold n rows (n <= n_ctx, so sizes are bounded by
 * what the cache already took; still checked, as they come from the user). */
static int
model_scratch_reserve(model_ctx *c, int n, char *err, size_t errsz)
{
    const model_info *in = &c->m->info;
    size_t e = (size_t)in->n_embd, qd = (size_t)in->n_head * (size_t)in->head_dim;
    size_t f = (size_t)in->n_ff, r = (size_t)in->n_rot / 2 + 1;
    size_t rows;

    if (n <= c->cap)
        return 0;
    rows = (size_t)n;
    if (c->cap > 0 && rows < (size_t)c->cap * 2)
        rows = (size_t)c->cap * 2 < (size_t)c->n_ctx ? (size_t)c->cap * 2 : (size_t)c->n_ctx;
    model_scratch_free(c);
    c->x = malloc(rows * e * sizeof(float));
    c->h = malloc(rows * e * sizeof(float));
    c->o = malloc(rows * e * sizeof(float));
    c->q = malloc(rows * qd * sizeof(float));
    c->att = malloc(rows * qd * sizeof(float));
    c->g = malloc(rows * f * sizeof(float));
    c->u = malloc(rows * f * sizeof(float));
    c->rcos = malloc(rows * r * sizeof(float));
    c->rsin = malloc(rows * r * sizeof(float));
    if (!c->x || !c->h || !c->o || !c->q || !c->att || !c->g || !c->u || !c->rcos ||
        !c->rsin) {
        model_scratch_free(c);
        snprintf(err, errsz, "cannot allocate buffers for a batch of %d tokens", n);
        return -1;
    }
    c->cap = (int)rows;
    return 0;
}

model_ctx *
model_ctx_new(model *m, int n_ctx, char *err, size_t errsz)
{
    const model_info *in = &m->info;
    model_ctx *c;
    size_t per_pos, total;

    if (n_ctx < 0) {
        snprintf(err, errsz, "context size %d is negative", n_ctx);
        return NULL;
    }
    if (n_ctx == 0)
        n_ctx = in->n_ctx_train < MODEL_DEFAULT_CTX ? in->n_ctx_train : MODEL_DEFAULT_CTX;
    per_pos = (size_t)2 * (size_t)in->n_layer * (size_t)in->n_head_kv * (size_t)in->head_dim *
              sizeof(float);
    if (__builtin_mul_overflow(per_pos, (size_t)n_ctx, &total) || total > PTRDIFF_MAX) {
        snprintf(err, errsz, "a KV cache of %d positions is too large", n_ctx);
        return NULL;
    }
    c = xcalloc(1, sizeof *c);
    c->m = m;
    c->n_ctx = n_ctx;
    c->kvd = (int64_t)in->n_head_kv * in->head_dim;
    c->kv = malloc(total);
    c->scores = malloc((size_t)n_ctx * (size_t)(in->n_head / in->n_head_kv) * sizeof(float));
    if (c->kv == NULL || c->scores == NULL) {
        snprintf(err, errsz, "cannot allocate a KV cache of %.1f MiB for %d positions",
                 (double)total / (1024.0 * 1024.0), n_ctx);
        model_ctx_free(c);
        return NULL;
    }
    c->n_threads = 1;
    return c;
}

void
model_ctx_free(model_ctx *c)
{
    if (c == NULL)
        return;
    pool_free(c->pool);
    model_scratch_free(c);
    free(c->scores);
    free(c->kv);
    free(c);
}

int
model_ctx_n_ctx(const model_ctx *c)
{
    return c->n_ctx;
}

int
model_ctx_pos(const model_ctx *c)
{
    return c->pos;
}

void
model_ctx_truncate(model_ctx *c, int pos)
{
    if (pos < 0)
        pos = 0;
    if (pos < c->pos)
        c->pos = pos;
}

void
model_ctx_set_threads(model_ctx *c, int n_threads)
{
    int have;

    if (n_threads < 1)
        n_threads = 1;
    if (n_threads > MODEL_MAX_THREADS)
        n_threads = MODEL_MAX_THREADS;
    if (n_threads == c->n_threads)
        return;
    pool_free(c->pool);
    c->pool = n_threads > 1 ? pool_new(n_threads) : NULL;
    c->n_threads = n_threads;
    have = pool_n_threads(c->pool);
    free(c->scores);
    c->scores = xmalloc((size_t)have * (size_t)c->n_ctx *
                        (size_t)(c->m->info.n_head / c->m->info.n_head_kv) * sizeof(float));
}

/* ---- elementwise pieces ---- */

/* out = x / sqrt(mean(x^2) + eps) * w, for one row of n. */
static void
model_rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    double ss = 0;
    float scale;
    int i;

    for (i = 0; i < n; i++)
        ss += (double)x[i] * (double)x[i];
    scale = (float)(1.0 / sqrt(ss / n + (double)eps));
    for (i = 0; i < n; i++)
        out[i] = x[i] * scale * w[i];
}

/* Rotate one head of n_rot dims by the token's angles. */
static void
model_rope(float *v, const float *cs, const float *sn, int n_rot, int type)
{
    int half = n_rot / 2, i;

    for (i = 0; i < half; i++) {
        int a = type == MODEL_ROPE_NEOX ? i : 2 * i;
        int b = type == MODEL_ROPE_NEOX ? i + half : 2 * i + 1;
        float x0 = v[a], x1 = v[b];

        v[a] = x0 * cs[i] - x1 * sn[i];
        v[b] = x0 * sn[i] + x1 * cs[i];
    }
}

/* For each of the k maps which[i] of layer l: ys[i] (n rows of the map's
 * output size) = X W^T (* scale) (+ bias). The maps share X (the same
 * input size), which is quantized once, and one run of the threads. */
static void
model_linear_multi(model_ctx *c, const model_layer *l, const int *which, int k, const float *x,
                   int n, float *const *ys)
{
    kern_prod pr[KERN_MULTI_MAX];
    int64_t t, r;
    int i;

    assert(k >= 1 && k <= KERN_MULTI_MAX);
    for (i = 0; i < k; i++) {
        const model_mat *w = &l->lin[which[i]];

        assert(w->cols == l->lin[which[0]].cols);
        pr[i].type = w->type;
        pr[i].w = w->data;
        pr[i].rows = w->rows;
        pr[i].y = ys[i];
    }
    kern_matmul_multi(c->pool, pr, k, l->lin[which[0]].cols, x, n);
    for (i = 0; i < k; i++) {
        const model_mat *w = &l->lin[which[i]];
        float *y = ys[i];

        if (l->has_scale[which[i]])
            for (t = 0; t < n; t++)
                for (r = 0; r < w->rows; r++)
                    y[t * w->rows + r] *= l->scale[which[i]];
        if (l->bias[which[i]] != NULL)
            for (t = 0; t < n; t++)
                for (r = 0; r < w->rows; r++)
                    y[t * w->rows + r] += l->bias[which[i]][r];
    }
}

/* Y (n rows of the matrix's output size) = X W^T (* scale) (+ bias). */
static void
model_linear(model_ctx *c, const model_layer *l, int which, const float *x, int n, float *y)
{
    model_linear_multi(c, l, &which, 1, x, n, &y);
}

/* ---- attention ---- */

/* One layer's attention over a batch, shared by the threads: an item is one
 * (token, key/value head) pair, with the query heads that share it. */
struct model_attn {
    model_ctx *c;       /* context (scores buffers) */
    const float *q;     /* [n][n_head * hd] roped queries */
    const float *k;     /* layer's K cache [n_ctx][kvd] */
    const float *v;     /* layer's V cache */
    float *out;         /* [n][n_head * hd] */
    int pos0;           /* position of batch row 0 */
    model_attn_fn fn;   /* a key/value head's attention (scalar or SIMD, model_attn.c) */
};

static void
model_attn_part(void *arg, int64_t begin, int64_t end, int thread)
{
    const struct model_attn *a = arg;
    const model_info *in = &a->c->m->info;
    int hd = in->head_dim, nh = in->n_head, grp = in->n_head / in->n_head_kv;
    int64_t kvd = a->c->kvd;
    float *s = a->c->scores + (size_t)thread * (size_t)grp * (size_t)a->c->n_ctx;
    float scale = 1.0f / sqrtf((float)hd);
    int64_t item;

    for (item = begin; item < end; item++) {
        int i = (int)(item / in->n_head_kv), g = (int)(item % in->n_head_kv), h = g * grp;
        int64_t koff = (int64_t)g * hd;

        a->fn(a->q + (size_t)i * nh * hd + (size_t)h * hd, grp, a->k + koff, a->v + koff, kvd,
              a->pos0 + i + 1, hd, scale, s, a->out + (size_t)i * nh * hd + (size_t)h * hd);
    }
}

/* ---- the forward pass ---- */

/* The attention half of block il, adding into c->x. */
static void
model_attn_block(model_ctx *c, int il, int n)
{
    const model *m = c->m;
    const model_info *in = &m->info;
    const model_layer *l = &m->layers[il];
    int e = in->n_embd, hd = in->head_dim, half = in->n_rot / 2;
    int64_t qd = (int64_t)in->n_head * hd, kvd = c->kvd;
    float *kc = model_kv_k(c, il) + (size_t)c->pos * (size_t)kvd;
    float *vc = model_kv_v(c, il) + (size_t)c->pos * (size_t)kvd;
    struct model_attn a;
    int i, h;

    for (i = 0; i < n; i++)
        model_rmsnorm(c->h + (size_t)i * e, c->x + (size_t)i * e, l->attn_norm, e, in->norm_eps);
    {
        static const int qkv[3] = { MODEL_LIN_Q, MODEL_LIN_K, MODEL_LIN_V };
        float *const ys[3] = { c->q, kc, vc };

        model_linear_multi(c, l, qkv, 3, c->h, n, ys);
    }
    for (i = 0; i < n; i++) {
        const float *cs = c->rcos + (size_t)i * (half + 1), *sn = c->rsin + (size_t)i * (half + 1);

        for (h = 0; h < in->n_head; h++)
            model_rope(c->q + i * qd + (int64_t)h * hd, cs, sn, in->n_rot, in->rope_type);
        for (h = 0; h < in->n_head_kv; h++)
            model_rope(kc + i * kvd + (int64_t)h * hd, cs, sn, in->n_rot, in->rope_type);
    }

    a.c = c;
    a.q = c->q;
    a.k = model_kv_k(c, il);
    a.v = model_kv_v(c, il);
    a.out = c->att;
    a.pos0 = c->pos;
    a.fn = model_attn_pick();
    pool_run(c->pool, model_attn_part, &a, (int64_t)n * in->n_head_kv);

    if (l->attn_sub_norm != NULL) /* bitnet: the norm is over n_embd == qd */
        for (i = 0; i < n; i++)
            model_rmsnorm(c->att + i * qd, c->att + i * qd, l->attn_sub_norm, (int)qd,
                          in->norm_eps);
    model_linear(c, l, MODEL_LIN_O, c->att, n, c->o);
    for (i = 0; i < n * e; i++)
        c->x[i] += c->o[i];
}

/* The feed-forward half of block il, adding into c->x. */
static void
model_ffn_block(model_ctx *c, int il, int n)
{
    const model_info *in = &c->m->info;
    const model_layer *l = &c->m->layers[il];
    int e = in->n_embd, f = in->n_ff;
    int64_t i, j;

    for (i = 0; i < n; i++)
        model_rmsnorm(c->h + i * e, c->x + i * e, l->ffn_norm, e, in->norm_eps);
    {
        static const int gu[2] = { MODEL_LIN_GATE, MODEL_LIN_UP };
        float *const ys[2] = { c->g, c->u };

        model_linear_multi(c, l, gu, 2, c->h, n, ys);
    }
    model_glu_pick()(c->g, c->u, (int64_t)n * f, in->act);
    if (l->ffn_sub_norm != NULL)
        for (j = 0; j < n; j++)
            model_rmsnorm(c->g + j * f, c->g + j * f, l->ffn_sub_norm, f, in->norm_eps);
    model_linear(c, l, MODEL_LIN_DOWN, c->g, n, c->o);
    for (i = 0; i < (int64_t)n * e; i++)
        c->x[i] += c->o[i];
}

int
model_forward(model_ctx *c, const int32_t *tokens, int n, float *logits, int all_logits,
              char *err, size_t errsz)
{
    const model *m = c->m;
    const model_info *in = &m->info;
    int e = in->n_embd, half = in->n_rot / 2;
    int i, j, il;

    if (n <= 0 || tokens == NULL) {
        snprintf(err, errsz, "model_forward: no tokens (n = %d)", n);
        return -1;
    }
    if (n > c->n_ctx - c->pos) {
        snprintf(err, errsz, "context full: %d positions used + %d tokens exceed n_ctx %d",
                 c->pos, n, c->n_ctx);
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= in->n_vocab) {
            snprintf(err, errsz, "token id %ld at index %d is out of range (n_vocab %d)",
                     (long)tokens[i], i, in->n_vocab);
            return -1;
        }
    }
    if (model_scratch_reserve(c, n, err, errsz) < 0)
        return -1;

    for (i = 0; i < n; i++) {
        double p = (double)(c->pos + i);

        kern_get_row(m->tok_embd.type, m->tok_embd.data, e, tokens[i], c->x + (size_t)i * e);
        for (j = 0; j < half; j++) {
            double th = p * m->inv_freq[j];

            c->rcos[(size_t)i * (half + 1) + j] = (float)cos(th);
            c->rsin[(size_t)i * (half + 1) + j] = (float)sin(th);
        }
    }
    for (il = 0; il < in->n_layer; il++) {
        model_attn_block(c, il, n);
        model_ffn_block(c, il, n);
    }

    if (logits != NULL) {
        int first = all_logits ? 0 : n - 1, rows = n - first;

        for (i = 0; i < rows; i++)
            model_rmsnorm(c->h + (size_t)i * e, c->x + (size_t)(first + i) * e, m->output_norm,
                          e, in->norm_eps);
        kern_matmul(c->pool, m->output.type, m->output.data, m->output.rows, m->output.cols,
                    c->h, rows, logits);
    }
    c->pos += n;
    return 0;
}
