/* test_model.c: model_forward against a plain reference forward pass
 * written here (double precision, one token at a time, its own RMSNorm,
 * RoPE, attention and activations), for llama and bitnet variants; then
 * batch-vs-single, KV truncation and thread-count equality. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "model.h"
#include "qtype.h"
#include "tap.h"
#include "test_model_gen.h"

/* Max abs difference allowed between engine and reference logits. */
#define TOL 1e-4

static char *tmpdir;

/* ---- the reference ---- */

static const double *
ref_w(const tm_model *m, int il, const char *what)
{
    char name[128];
    const tm_tensor *t;

    snprintf(name, sizeof name, "blk.%d.%s", il, what);
    t = tm_find(m, name);
    return t != NULL ? t->v : NULL;
}

/* y[r] = sum_k W[r][k] x[k], W stored with rows of `cols` values. */
static void
ref_matvec(const double *w, const double *x, int rows, int cols, double *y)
{
    int r, k;

    for (r = 0; r < rows; r++) {
        double s = 0;

        for (k = 0; k < cols; k++)
            s += w[(size_t)r * cols + k] * x[k];
        y[r] = s;
    }
}

static void
ref_rms(double *v, const double *w, int n, double eps)
{
    double ss = 0;
    int i;

    for (i = 0; i < n; i++)
        ss += v[i] * v[i];
    ss = 1.0 / sqrt(ss / n + eps);
    for (i = 0; i < n; i++)
        v[i] = v[i] * ss * w[i];
}

/* A linear map of block il: y = (W x) * scale + bias, where present. */
static void
ref_lin(const tm_model *m, int il, const char *which, const double *x, int rows, int cols,
        double *y)
{
    char what[64];
    const double *b, *s;
    int r;

    snprintf(what, sizeof what, "%s.weight", which);
    ref_matvec(ref_w(m, il, what), x, rows, cols, y);
    snprintf(what, sizeof what, "%s.scale", which);
    s = ref_w(m, il, what);
    snprintf(what, sizeof what, "%s.bias", which);
    b = ref_w(m, il, what);
    for (r = 0; r < rows; r++) {
        if (s != NULL)
            y[r] *= s[0];
        if (b != NULL)
            y[r] += b[r];
    }
}

/* Rotate one head at position pos. neox: pairs (i, i + hd/2); else (2i, 2i+1). */
static void
ref_rope(const tm_model *m, double *v, int pos, int neox)
{
    const tm_spec *s = &m->s;
    const double *ff = tm_find(m, "rope_freqs.weight") ? tm_find(m, "rope_freqs.weight")->v : NULL;
    double base = s->rope_base > 0 ? s->rope_base : 10000.0;
    double lin = s->rope_factor > 0 ? 1.0 / s->rope_factor : 1.0;
    int hd = m->hd, i;

    if (s->rope_type != NULL && strcmp(s->rope_type, "none") == 0)
        lin = 1.0;
    for (i = 0; i < hd / 2; i++) {
        double ang = pos * lin * pow(base, -(2.0 * i) / hd) / (ff != NULL ? ff[i] : 1.0);
        int a = neox ? i : 2 * i, b = neox ? i + hd / 2 : 2 * i + 1;
        double c = cos(ang), sn = sin(ang), x = v[a], y = v[b];

        v[a] = x * c - y * sn;
        v[b] = x * sn + y * c;
    }
}

/* Logits of every position of tok[0..n), [n][n_vocab]. */
static void
ref_forward(const tm_model *m, const int32_t *tok, int n, double *logits)
{
    const tm_spec *s = &m->s;
    int bitnet = strcmp(s->arch, "bitnet") == 0;
    int relu2 = bitnet && s->act != NULL && strcmp(s->act, "silu") != 0;
    int e = s->n_embd, hd = m->hd, nh = s->n_head, nkv = s->n_head_kv, f = s->n_ff;
    int qd = nh * hd, kvd = nkv * hd, V = s->n_vocab;
    double *K = calloc((size_t)s->n_layer * n * kvd, sizeof *K);
    double *Vc = calloc((size_t)s->n_layer * n * kvd, sizeof *Vc);
    double *x = calloc((size_t)e, sizeof *x), *h = calloc((size_t)e, sizeof *h);
    double *q = calloc((size_t)qd, sizeof *q), *a = calloc((size_t)qd, sizeof *a);
    double *g = calloc((size_t)f, sizeof *g), *u = calloc((size_t)f, sizeof *u);
    double *o = calloc((size_t)e, sizeof *o), *sc = calloc((size_t)n, sizeof *sc);
    const tm_tensor *out = tm_find(m, "output.weight");
    int p, il, i, hh, t;

    if (bitnet || out == NULL)
        out = tm_find(m, "token_embd.weight");
    for (p = 0; p < n; p++) {
        for (i = 0; i < e; i++)
            x[i] = tm_find(m, "token_embd.weight")->v[(size_t)tok[p] * e + i];
        for (il = 0; il < s->n_layer; il++) {
            double *kp = K + ((size_t)il * n + p) * kvd, *vp = Vc + ((size_t)il * n + p) * kvd;

            memcpy(h, x, (size_t)e * sizeof *h);
            ref_rms(h, ref_w(m, il, "attn_norm.weight"), e, s->eps);
            ref_lin(m, il, "attn_q", h, qd, e, q);
            ref_lin(m, il, "attn_k", h, kvd, e, kp);
            ref_lin(m, il, "attn_v", h, kvd, e, vp);
            for (hh = 0; hh < nh; hh++)
                ref_rope(m, q + hh * hd, p, bitnet);
            for (hh = 0; hh < nkv; hh++)
                ref_rope(m, kp + hh * hd, p, bitnet);
            for (hh = 0; hh < nh; hh++) {
                int kh = hh / (nh / nkv);
                double mx = -1e300, sum = 0;

                for (t = 0; t <= p; t++) {
                    const double *kt = K + ((size_t)il * n + t) * kvd + kh * hd;
                    double d = 0;

                    for (i = 0; i < hd; i++)
                        d += q[hh * hd + i] * kt[i];
                    sc[t] = d / sqrt((double)hd);
                    mx = sc[t] > mx ? sc[t] : mx;
                }
                for (t = 0; t <= p; t++)
                    sum += (sc[t] = exp(sc[t] - mx));
                for (i = 0; i < hd; i++) {
                    double acc = 0;

                    for (t = 0; t <= p; t++)
                        acc += sc[t] / sum * Vc[((size_t)il * n + t) * kvd + kh * hd + i];
                    a[hh * hd + i] = acc;
                }
            }
            if (bitnet)
                ref_rms(a, ref_w(m, il, "attn_sub_norm.weight"), qd, s->eps);
            ref_lin(m, il, "attn_output", a, e, qd, o);
            for (i = 0; i < e; i++)
                x[i] += o[i];

            memcpy(h, x, (size_t)e * sizeof *h);
            ref_rms(h, ref_w(m, il, "ffn_norm.weight"), e, s->eps);
            ref_lin(m, il, "ffn_gate", h, f, e, g);
            ref_lin(m, il, "ffn_up", h, f, e, u);
            for (i = 0; i < f; i++) {
                double gv = g[i];

                g[i] = (relu2 ? (gv > 0 ? gv * gv : 0) : gv / (1 + exp(-gv))) * u[i];
            }
            if (bitnet)
                ref_rms(g, ref_w(m, il, "ffn_sub_norm.weight"), f, s->eps);
            ref_lin(m, il, "ffn_down", g, e, f, o);
            for (i = 0; i < e; i++)
                x[i] += o[i];
        }
        memcpy(h, x, (size_t)e * sizeof *h);
        ref_rms(h, tm_find(m, "output_norm.weight")->v, e, s->eps);
        ref_matvec(out->v, h, V, e, logits + (size_t)p * V);
    }
    free(K);
    free(Vc);
    free(x);
    free(h);
    free(q);
    free(a);
    free(g);
    free(u);
    free(o);
    free(sc);
}

/* ---- helpers ---- */

static model *
load_spec(const tm_spec *s, uint64_t seed, tm_model **tmo, char *err, size_t errsz)
{
    static int serial;
    char path[512];
    tm_model *m = tm_build(s, seed);
    model *mod;

    snprintf(path, sizeof path, "%s/m%d.gguf", tmpdir, serial++);
    if (tm_write(m, path, err, errsz) < 0) {
        tm_free(m);
        return NULL;
    }
    mod = model_load(path, err, errsz);
    if (tmo != NULL)
        *tmo = m;
    else
        tm_free(m);
    return mod;
}

static void
make_tokens(int32_t *tok, int n, int n_vocab, unsigned seed)
{
    int i;

    for (i = 0; i < n; i++)
        tok[i] = (int32_t)((seed * 2654435761u + (unsigned)i * 40503u) % (unsigned)n_vocab);
}

/* Forward n tokens in one batch and compare every row with the reference. */
static void
check_vs_ref(const char *what, const tm_spec *s)
{
    enum { N = 9 };
    char err[512];
    tm_model *tm = NULL;
    model *m = load_spec(s, 42, &tm, err, sizeof err);
    model_ctx *c;
    int32_t tok[N];
    float *lg;
    double *ref, worst = 0;
    int V = s->n_vocab, i;

    if (!ok(m != NULL, "%s: loads", what)) {
        diag("%s", err);
        tm_free(tm);
        return;
    }
    c = model_ctx_new(m, 0, err, sizeof err);
    make_tokens(tok, N, V, 7);
    lg = calloc((size_t)N * V, sizeof *lg);
    ref = calloc((size_t)N * V, sizeof *ref);
    ok(model_forward(c, tok, N, lg, 1, err, sizeof err) == 0, "%s: forward of %d tokens", what, N);
    ref_forward(tm, tok, N, ref);
    for (i = 0; i < N * V; i++) {
        double d = fabs((double)lg[i] - ref[i]);

        if (!(d <= worst))
            worst = d;
    }
    ok(worst <= TOL, "%s: logits match the reference (max abs diff %.3g <= %g)", what, worst,
       TOL);
    /* the reference's logits must not be trivially small */
    {
        double mx = 0;

        for (i = 0; i < N * V; i++)
            mx = fabs(ref[i]) > mx ? fabs(ref[i]) : mx;
        ok(mx > 0.05, "%s: logits are not degenerate (max |logit| %.3g)", what, mx);
    }
    free(lg);
    free(ref);
    model_ctx_free(c);
    model_free(m);
    tm_free(tm);
}

/* ---- tests ---- */

static void
test_reference(void)
{
    tm_spec s;

    tm_spec_init(&s, "llama");
    check_vs_ref("llama f32", &s);

    tm_spec_init(&s, "llama");
    s.n_embd = 48;
    s.n_head = 6;
    s.n_head_kv = 2;
    s.n_ff = 52;
    s.biases = 1;
    s.rope_freqs = 1;
    s.rope_base = 50000;
    s.rope_type = "linear";
    s.rope_factor = 4;
    check_vs_ref("llama gqa+biases+rope_freqs+base+linear scaling", &s);

    tm_spec_init(&s, "llama");
    s.rope_type = "none";
    s.rope_factor = 8; /* ignored with type none */
    s.n_head_kv = 4;
    check_vs_ref("llama mha, rope scaling none", &s);

    tm_spec_init(&s, "llama");
    s.tied = 1;
    check_vs_ref("llama tied embeddings", &s);

    tm_spec_init(&s, "llama");
    s.head_dim = 12; /* key_length != n_embd / n_head */
    check_vs_ref("llama key_length 12", &s);

    tm_spec_init(&s, "llama");
    s.ff_array = 1;
    check_vs_ref("llama per-layer feed_forward_length array", &s);

    tm_spec_init(&s, "llama");
    s.wtype = QT_F16;
    s.biases = 1;
    check_vs_ref("llama f16", &s);

    tm_spec_init(&s, "llama");
    s.wtype = QT_BF16;
    s.tied = 1;
    check_vs_ref("llama bf16 tied", &s);

    tm_spec_init(&s, "bitnet");
    check_vs_ref("bitnet silu, no scales", &s);

    tm_spec_init(&s, "bitnet");
    s.scales = 1;
    s.act = "silu";
    s.bitnet_output = 1; /* must be ignored: the LM head is token_embd */
    check_vs_ref("bitnet silu with scales (+ ignored output.weight)", &s);

    tm_spec_init(&s, "bitnet");
    s.scales = 1;
    s.act = "relu2";
    s.n_head_kv = 1;
    check_vs_ref("bitnet relu2 with scales", &s);

    tm_spec_init(&s, "bitnet");
    s.act = "squared_relu";
    s.wtype = QT_F16;
    check_vs_ref("bitnet squared_relu f16", &s);

    tm_spec_init(&s, "bitnet");
    s.wtype = QT_BF16;
    s.scales = 1;
    check_vs_ref("bitnet bf16 with scales", &s);

    /* the scalar reference kernels too */
    {
        int orig = kern_isa();

        kern_set_isa(KERN_ISA_SCALAR);
        tm_spec_init(&s, "llama");
        s.wtype = QT_F16;
        s.biases = 1;
        check_vs_ref("llama f16 [scalar]", &s);
        tm_spec_init(&s, "bitnet");
        s.wtype = QT_BF16;
        check_vs_ref("bitnet bf16 [scalar]", &s);
        kern_set_isa(orig);
    }
}

static void
test_info(void)
{
    char err[512];
    tm_spec s;
    tm_model *tm = NULL;
    model *m;
    const model_info *in;

    tm_spec_init(&s, "bitnet");
    s.act = "relu2";
    s.wtype = QT_F16;
    s.rope_base = 500000;
    m = load_spec(&s, 3, &tm, err, sizeof err);
    if (!ok(m != NULL, "info: bitnet model loads")) {
        diag("%s", err);
        tm_free(tm);
        return;
    }
    in = model_get_info(m);
    ok(in->arch == MODEL_ARCH_BITNET && strcmp(in->arch_name, "bitnet") == 0, "info: arch");
    ok(in->n_vocab == 61 && in->n_embd == 32 && in->n_layer == 2 && in->n_head == 4 &&
       in->n_head_kv == 2 && in->head_dim == 8 && in->n_ff == 48 && in->n_rot == 8 &&
       in->n_ctx_train == 64, "info: sizes");
    ok(in->rope_type == MODEL_ROPE_NEOX && in->act == MODEL_ACT_RELU2 && in->tied_output == 1,
       "info: bitnet uses NEOX rope, relu2, tied head");
    ok(fabsf(in->rope_base - 500000.0f) < 1 && fabsf(in->norm_eps - 1e-5f) < 1e-9f &&
       in->rope_scale == 1.0f, "info: rope base, eps, scale");
    ok(in->weight_type == QT_F16, "info: weight type f16");
    ok(in->weight_bytes == tm_bytes(tm), "info: weight_bytes %zu == %zu", in->weight_bytes,
       tm_bytes(tm));
    ok(model_gguf(m) != NULL, "info: reader kept");
    model_free(m);
    tm_free(tm);

    tm_spec_init(&s, "llama");
    s.rope_type = "linear";
    s.rope_factor = 2;
    m = load_spec(&s, 3, NULL, err, sizeof err);
    in = m != NULL ? model_get_info(m) : NULL;
    ok(in != NULL && in->rope_type == MODEL_ROPE_NORM && in->act == MODEL_ACT_SILU &&
       in->tied_output == 0 && in->rope_scale == 0.5f && in->rope_base == 10000.0f,
       "info: llama NORM rope, silu, untied, scale 1/2, default base");
    model_free(m);
}

/* Batch-of-N equals N single steps; truncation; thread counts. */
static void
test_batch(const char *what, const tm_spec *s)
{
    enum { N = 14 };
    char err[512];
    model *m = load_spec(s, 11, NULL, err, sizeof err);
    model_ctx *c;
    int32_t tok[N], other[N];
    float *single, *lg, *last;
    int V = s->n_vocab, sizes[] = { 1, 2, 3, 7, 14 }, k, i, th, same;

    if (!ok(m != NULL, "%s: loads", what)) {
        diag("%s", err);
        return;
    }
    make_tokens(tok, N, V, 3);
    make_tokens(other, N, V, 99);
    single = calloc((size_t)N * V, sizeof *single);
    lg = calloc((size_t)N * V, sizeof *lg);
    last = calloc((size_t)V, sizeof *last);
    c = model_ctx_new(m, 32, err, sizeof err);
    for (i = 0; i < N; i++)
        model_forward(c, tok + i, 1, single + (size_t)i * V, 0, err, sizeof err);
    ok(model_ctx_pos(c) == N, "%s: %d single steps", what, N);
    model_ctx_free(c);

    for (k = 0; k < (int)(sizeof sizes / sizeof sizes[0]); k++) {
        int bn = sizes[k], p;

        c = model_ctx_new(m, 32, err, sizeof err);
        same = 1;
        for (p = 0; p < N; p += bn) {
            int cnt = N - p < bn ? N - p : bn;

            same &= model_forward(c, tok + p, cnt, lg + (size_t)p * V, 1, err, sizeof err) == 0;
        }
        ok(same && memcmp(lg, single, (size_t)N * V * sizeof *lg) == 0,
           "%s: batches of %d give the same bits as single steps", what, bn);
        model_ctx_free(c);
    }

    /* last-only logits equal the last row of all_logits */
    c = model_ctx_new(m, 32, err, sizeof err);
    model_forward(c, tok, 7, last, 0, err, sizeof err);
    ok(memcmp(last, single + (size_t)6 * V, (size_t)V * sizeof *last) == 0,
       "%s: last-token logits equal the all-logits row", what);

    /* truncate and re-feed, also after overwriting with other tokens */
    model_forward(c, tok + 7, 7, NULL, 0, err, sizeof err);
    model_ctx_truncate(c, 5);
    ok(model_ctx_pos(c) == 5, "%s: truncate moves the position back", what);
    model_forward(c, other + 5, 6, NULL, 0, err, sizeof err);
    model_ctx_truncate(c, 5);
    model_forward(c, tok + 5, 9, lg + (size_t)5 * V, 1, err, sizeof err);
    ok(memcmp(lg + (size_t)5 * V, single + (size_t)5 * V, (size_t)9 * V * sizeof *lg) == 0,
       "%s: truncating and re-feeding gives identical logits", what);
    model_ctx_free(c);

    /* thread counts */
    for (th = 1; th <= 4; th++) {
        c = model_ctx_new(m, 32, err, sizeof err);
        model_ctx_set_threads(c, th);
        same = model_forward(c, tok, 7, lg, 1, err, sizeof err) == 0 &&
               model_forward(c, tok + 7, 7, lg + (size_t)7 * V, 1, err, sizeof err) == 0;
        ok(same && memcmp(lg, single, (size_t)N * V * sizeof *lg) == 0,
           "%s: %d thread(s) give the same bits", what, th);
        model_ctx_set_threads(c, th == 1 ? 3 : 1); /* resize, then run again */
        model_ctx_truncate(c, 0);
        same = model_forward(c, tok, N, lg, 1, err, sizeof err) == 0;
        ok(same && memcmp(lg, single, (size_t)N * V * sizeof *lg) == 0,
           "%s: after resizing the pool, still the same bits", what);
        model_ctx_free(c);
    }
    free(single);
    free(lg);
    free(last);
    model_free(m);
}

static void
test_batches(void)
{
    tm_spec s;
    int isa, orig = kern_isa();

    for (isa = 0; isa < KERN_ISA_COUNT; isa++) {
        char what[64];

        if (!kern_isa_supported(isa)) {
            skip("kernels %s not supported by this CPU", kern_isa_name(isa));
            continue;
        }
        kern_set_isa(isa);
        /* large enough for the matmuls to use the threads */
        tm_spec_init(&s, "llama");
        s.n_embd = 64;
        s.n_ff = 176;
        s.n_vocab = 300;
        s.n_head = 8;
        s.n_head_kv = 2;
        s.biases = 1;
        snprintf(what, sizeof what, "llama [%s]", kern_isa_name(isa));
        test_batch(what, &s);

        tm_spec_init(&s, "bitnet");
        s.n_embd = 64;
        s.n_ff = 176;
        s.n_vocab = 300;
        s.scales = 1;
        s.wtype = QT_F16;
        snprintf(what, sizeof what, "bitnet f16 [%s]", kern_isa_name(isa));
        test_batch(what, &s);
    }
    kern_set_isa(orig);
}

int
main(void)
{
    tmpdir = tm_tmpdir();
    if (tmpdir == NULL) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    diag("kernels: %s", kern_isa_name(kern_isa()));
    test_reference();
    test_info();
    test_batches();
    tm_rmdir(tmpdir);
    return done_testing();
}
