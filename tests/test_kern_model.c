/* test_kern_model.c: whole models with quantized weights. Tiny llama and
 * bitnet models are quantized through quant_row() (Q8_0, Q4_0, TQ2_0,
 * TQ1_0, absmax and least-squares) or given Q4_K / Q6_K embeddings and
 * heads, written with the GGUF writer and loaded; their logits are
 * compared with (a) the same model in F32 holding the dequantized weights
 * (the difference is only the activation quantization: 2% of the largest
 * logit with Q8_0 activations, 4% with Q8_K ones), (b) the original float
 * model, (c) themselves under the scalar kernels (1%: see below), (d)
 * themselves run one token at a time (bit-exact). model_info's
 * weight_type is checked too. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "kern.h"
#include "model.h"
#include "qtype.h"
#include "quant.h"
#include "tap.h"
#include "test_model_gen.h"

enum { NTOK = 7 };

static char *tmpdir;
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t
rnd32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* Which quantization to apply to a tiny model. */
typedef struct qspec {
    const char *what;  /* name in messages */
    int lin;           /* type of the blocks' linear weights */
    int emb;           /* type of token_embd */
    int out;           /* type of output.weight (llama) */
    int opt;           /* least-squares ternary quantizer */
    double tol_act;    /* max |diff| / max |logit| vs the dequantized F32 model */
    double tol_float;  /* the same vs the original float model (0: not compared, the
                          weights being random K blocks or ternary approximations) */
} qspec;

/* Random K-type rows with moderate scales (there is no K quantizer). */
static void
random_k(int type, uint8_t *raw, size_t nbytes)
{
    size_t bb = qtype_block_bytes(type), i, b;

    for (i = 0; i < nbytes; i++)
        raw[i] = (uint8_t)rnd32();
    for (b = 0; b < nbytes / bb; b++) {
        uint8_t *p = raw + b * bb;
        uint16_t d = (uint16_t)(0x1800 + rnd32() % 0x400); /* ~2^-9 .. 2^-8 */

        if (type == QT_Q4_K) {
            memcpy(p, &d, 2);
            memcpy(p + 2, &d, 2);
        } else {
            memcpy(p + 208, &d, 2);
        }
    }
}

/* Re-encode tensor t of m as type (from its float values), and put the
 * dequantized values, as F32, into the same tensor of twin. */
static void
requant(tm_tensor *t, tm_tensor *twin, int type, int opt)
{
    size_t n = (size_t)(t->ne0 * t->ne1), nb = qtype_row_bytes(type, t->ne0) * (size_t)t->ne1;
    float *f = malloc(n * sizeof *f);
    uint8_t *raw = malloc(nb);
    int64_t r;
    size_t i;

    for (i = 0; i < n; i++)
        f[i] = (float)t->v[i];
    if (type == QT_Q4_K || type == QT_Q6_K) {
        random_k(type, raw, nb);
    } else {
        for (r = 0; r < t->ne1; r++)
            if (quant_row(type, opt, f + r * t->ne0, raw + (size_t)r * (nb / (size_t)t->ne1), t->ne0) < 0)
                abort();
    }
    for (r = 0; r < t->ne1; r++)
        kern_get_row(type, raw, t->ne0, r, f + r * t->ne0);
    free(t->raw);
    t->raw = raw;
    t->type = type;
    t->nbytes = nb;
    memcpy(twin->raw, f, n * sizeof *f);
    for (i = 0; i < n; i++)
        twin->v[i] = f[i];
    free(f);
}

static int
is_lin(const char *name)
{
    return strncmp(name, "blk.", 4) == 0 && strstr(name, "norm") == NULL &&
           strstr(name, ".weight") != NULL;
}

/* Logits of NTOK tokens, one batch (all rows), or token by token. */
static float *
run(const char *path, int single, const model_info **info_out, model **keep)
{
    char err[512];
    model *m = model_load(path, err, sizeof err);
    model_ctx *c;
    int32_t tok[NTOK];
    float *lg;
    int i, V;

    if (m == NULL) {
        diag("load %s: %s", path, err);
        return NULL;
    }
    V = model_get_info(m)->n_vocab;
    for (i = 0; i < NTOK; i++)
        tok[i] = (int32_t)((i * 37 + 11) % V);
    c = model_ctx_new(m, 32, err, sizeof err);
    lg = calloc((size_t)NTOK * V, sizeof *lg);
    if (single) {
        for (i = 0; i < NTOK; i++)
            if (model_forward(c, tok + i, 1, lg + (size_t)i * V, 1, err, sizeof err) < 0)
                diag("forward: %s", err);
    } else if (model_forward(c, tok, NTOK, lg, 1, err, sizeof err) < 0) {
        diag("forward: %s", err);
    }
    model_ctx_free(c);
    if (keep != NULL) {
        *keep = m;
        *info_out = model_get_info(m);
    } else {
        model_free(m);
    }
    return lg;
}

/* max |a - b| / max |b| */
static double
rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, mx = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]);

        d = e > d ? e : d;
        mx = fabs((double)b[i]) > mx ? fabs((double)b[i]) : mx;
    }
    return mx > 0 ? d / mx : (double)INFINITY;
}

static void
check(const char *arch, const qspec *q)
{
    static int serial;
    char pq[600], pd[600], pf[600], err[512];
    tm_spec s;
    tm_model *mq, *md, *mf;
    float *lq, *ld, *lf, *ls, *l1;
    model *keep = NULL;
    const model_info *info = NULL;
    size_t nl;
    int i, orig = kern_isa(), best;

    tm_spec_init(&s, arch);
    s.n_embd = 256;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.n_ff = 512;
    s.n_vocab = 67;
    s.n_layer = 2;
    if (strcmp(arch, "bitnet") == 0)
        s.act = "relu2";
    mq = tm_build(&s, 9);
    md = tm_build(&s, 9);
    mf = tm_build(&s, 9);
    for (i = 0; i < mq->nt; i++) {
        tm_tensor *t = &mq->t[i];

        if (is_lin(t->name))
            requant(t, &md->t[i], q->lin, q->opt);
        else if (strcmp(t->name, "token_embd.weight") == 0 && q->emb != QT_F32)
            requant(t, &md->t[i], q->emb, q->opt);
        else if (strcmp(t->name, "output.weight") == 0 && q->out != QT_F32)
            requant(t, &md->t[i], q->out, q->opt);
    }
    snprintf(pq, sizeof pq, "%s/q%d.gguf", tmpdir, serial);
    snprintf(pd, sizeof pd, "%s/d%d.gguf", tmpdir, serial);
    snprintf(pf, sizeof pf, "%s/f%d.gguf", tmpdir, serial++);
    if (!ok(tm_write(mq, pq, err, sizeof err) == 0 && tm_write(md, pd, err, sizeof err) == 0 &&
            tm_write(mf, pf, err, sizeof err) == 0, "%s %s: written", arch, q->what)) {
        diag("%s", err);
        goto out;
    }
    nl = (size_t)NTOK * (size_t)s.n_vocab;
    best = kern_set_isa(KERN_ISA_COUNT - 1);
    lq = run(pq, 0, &info, &keep);
    ld = run(pd, 0, NULL, NULL);
    lf = run(pf, 0, NULL, NULL);
    kern_set_isa(KERN_ISA_SCALAR);
    ls = run(pq, 0, NULL, NULL);
    kern_set_isa(best);
    l1 = run(pq, 1, NULL, NULL);
    if (ok(lq && ld && lf && ls && l1 && keep, "%s %s: loads and runs", arch, q->what)) {
        double da = rel_diff(lq, ld, nl), df = rel_diff(lq, lf, nl), dsc = rel_diff(lq, ls, nl);

        ok(info->weight_type == q->lin, "%s %s: weight_type is %s", arch, q->what,
           qtype_name(info->weight_type));
        ok(da <= q->tol_act, "%s %s: vs F32 with the dequantized weights: %.2g <= %g of max "
           "|logit| (activation quantization only)", arch, q->what, da, q->tol_act);
        if (q->tol_float > 0)
            ok(df <= q->tol_float, "%s %s: vs the float model: %.2g <= %g of max |logit|", arch,
               q->what, df, q->tol_float);
        /* the kernels agree to ~1e-6 (test_kern_quant), but a difference
         * that small can move an activation across a rounding boundary of
         * the next int8 quantization: one step, ~1/127 of its block */
        ok(dsc <= 0.01, "%s %s: scalar vs %s kernels: %.2g <= 0.01 of max |logit|", arch,
           q->what, kern_isa_name(best), dsc);
        ok(memcmp(lq, l1, nl * sizeof *lq) == 0, "%s %s: a batch of %d == token by token, "
           "bit for bit", arch, q->what, NTOK);
        /* the families between scalar and the best one, if any */
        for (i = KERN_ISA_AVX2; i < best; i++) {
            float *lm;

            if (kern_set_isa(i) != i)
                continue;
            lm = run(pq, 0, NULL, NULL);
            ok(lm != NULL && rel_diff(lm, ls, nl) <= 0.01, "%s %s: scalar vs %s kernels: %.2g "
               "<= 0.01 of max |logit|", arch, q->what, kern_isa_name(i),
               lm != NULL ? rel_diff(lm, ls, nl) : -1.0);
            free(lm);
        }
        kern_set_isa(best);
    }
    free(lq);
    free(ld);
    free(lf);
    free(ls);
    free(l1);
    model_free(keep);
out:
    kern_set_isa(orig);
    tm_free(mq);
    tm_free(md);
    tm_free(mf);
}

/* Bitnet weights exactly ternary per block: TQ2_0 / TQ1_0 store them
 * exactly, so the quantized model equals the float one up to the
 * activation quantization. */
static void
check_exact_ternary(int type, int opt)
{
    char path[600], pf[600], err[512];
    tm_spec s;
    tm_model *mq, *mf;
    float *lq, *lf;
    int i, bad = 0;

    tm_spec_init(&s, "bitnet");
    s.n_embd = 256;
    s.n_ff = 512;
    s.n_head = 4;
    s.n_head_kv = 4;
    s.scales = 1;
    mq = tm_build(&s, 21);
    mf = tm_build(&s, 21);
    for (i = 0; i < mq->nt; i++) {
        tm_tensor *t = &mq->t[i];

        if (is_lin(t->name)) {
            float *back = malloc((size_t)(t->ne0 * t->ne1) * sizeof *back);
            int64_t k;

            requant(t, &mf->t[i], type, opt);
            /* requant() put the dequantized values in the twin: the very
             * same as the original ternary floats */
            memcpy(back, mf->t[i].raw, (size_t)(t->ne0 * t->ne1) * sizeof *back);
            for (k = 0; k < t->ne0 * t->ne1; k++)
                bad += (double)back[k] != tm_find(mq, t->name)->v[k];
            free(back);
        }
    }
    ok(bad == 0, "exactly ternary bitnet, %s%s: quantized weights reproduce every float weight "
       "(%d differ)", qtype_name(type), opt ? " (least squares)" : "", bad);
    snprintf(path, sizeof path, "%s/t%d%d.gguf", tmpdir, type, opt);
    snprintf(pf, sizeof pf, "%s/tf%d%d.gguf", tmpdir, type, opt);
    if (tm_write(mq, path, err, sizeof err) == 0 && tm_write(mf, pf, err, sizeof err) == 0) {
        lq = run(path, 0, NULL, NULL);
        lf = run(pf, 0, NULL, NULL);
        if (ok(lq && lf, "exactly ternary %s: runs", qtype_name(type))) {
            double d = rel_diff(lq, lf, (size_t)NTOK * (size_t)s.n_vocab);

            ok(d <= 0.04, "exactly ternary %s: logits as F32 up to activation quantization "
               "(%.2g <= 0.04 of max |logit|)", qtype_name(type), d);
        }
        free(lq);
        free(lf);
    } else {
        ok(0, "write: %s", err);
    }
    tm_free(mq);
    tm_free(mf);
}

int
main(void)
{
    static const qspec llama[] = {
        { "q8_0", QT_Q8_0, QT_Q8_0, QT_Q8_0, 0, 0.02, 0.03 },
        { "q4_0", QT_Q4_0, QT_Q4_0, QT_Q4_0, 0, 0.02, 0.5 },
        { "q8_0 + q4_k embd + q6_k output", QT_Q8_0, QT_Q4_K, QT_Q6_K, 0, 0.04, 0 },
        { "tq2_0 least squares", QT_TQ2_0, QT_F32, QT_Q8_0, 1, 0.04, 0 },
    };
    static const qspec bitnet[] = {
        { "tq2_0", QT_TQ2_0, QT_F32, QT_F32, 0, 0.04, 0.04 },
        { "tq1_0", QT_TQ1_0, QT_F32, QT_F32, 0, 0.04, 0.04 },
        { "tq2_0 + q4_k embd (llama.cpp's layout)", QT_TQ2_0, QT_Q4_K, QT_F32, 1, 0.04, 0 },
    };
    size_t i;

    tmpdir = tm_tmpdir();
    if (tmpdir == NULL) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    diag("kernels: %s", kern_isa_name(kern_isa()));
    for (i = 0; i < sizeof llama / sizeof llama[0]; i++)
        check("llama", &llama[i]);
    for (i = 0; i < sizeof bitnet / sizeof bitnet[0]; i++)
        check("bitnet", &bitnet[i]);
    check_exact_ternary(QT_TQ2_0, 0);
    check_exact_ternary(QT_TQ2_0, 1);
    check_exact_ternary(QT_TQ1_0, 1);
    tm_rmdir(tmpdir);
    return done_testing();
}
