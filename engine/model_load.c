/* model_load.c: loading llama and bitnet models from GGUF: hyperparameters
 * from "<arch>.*" metadata, every tensor checked for presence, shape and
 * type before use, with one-line messages that name the file. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "model_int.h"
#include "qtype.h"
#include "xmalloc.h"

/* Limits beyond which a file is refused as absurd. */
#define MODEL_MAX_DIM (1 << 20)     /* n_embd, n_ff, n_head * head_dim */
#define MODEL_MAX_LAYER 4096
#define MODEL_MAX_HEAD 16384
#define MODEL_MAX_HEAD_DIM 8192
#define MODEL_MAX_CTX (1 << 26)
#define MODEL_MAX_VOCAB (1 << 26)

const char *const model_lin_names[MODEL_LIN_COUNT] = {
    "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"
};

/* Loading state: the model being built and where messages go. */
typedef struct model_loader {
    model *m;          /* the model being filled */
    const gguf *g;     /* its reader */
    const char *arch;  /* "llama" or "bitnet" (key prefix) */
    char *err;         /* caller's buffer */
    size_t errsz;      /* its size */
} model_loader;

__attribute__((format(printf, 2, 3))) static int
ld_fail(model_loader *ld, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (ld->errsz == 0)
        return -1;
    n = snprintf(ld->err, ld->errsz, "%s: ", gguf_name(ld->g));
    if (n < 0 || (size_t)n >= ld->errsz)
        return -1;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->errsz - (size_t)n, fmt, ap);
    va_end(ap);
    /* one line, and no terminal controls from the file's strings */
    for (unsigned char *p = (unsigned char *)ld->err; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* C1 controls */
            p[0] = p[1] = '?';
    }
    return -1;
}

/* Read the integer "<arch>.<name>": 0 with *out set, 1 if absent (then
 * *out = def), -1 on error. per_layer accepts an array of n_layer entries
 * that must all be equal. */
static int
ld_int(model_loader *ld, const char *name, int required, int per_layer, int64_t def,
       int64_t *out)
{
    char key[128];
    int64_t kv;
    uint64_t i, n;
    int vt;

    snprintf(key, sizeof key, "%s.%s", ld->arch, name);
    *out = def;
    kv = gguf_find_kv(ld->g, key);
    if (kv < 0) {
        if (required)
            return ld_fail(ld, "missing required key '%s'", key);
        return 1;
    }
    vt = gguf_kv_type(ld->g, kv);
    if (vt != GGUF_T_ARR) {
        if (gguf_get_int(ld->g, key, out, ld->err, ld->errsz) != GGUF_OK)
            return -1;
        return 0;
    }
    if (!per_layer)
        return ld_fail(ld, "key '%s' is an array, expected an integer", key);
    n = gguf_kv_arr_n(ld->g, kv);
    vt = gguf_kv_arr_type(ld->g, kv);
    if (vt == GGUF_T_F32 || vt == GGUF_T_F64 || vt == GGUF_T_STR || vt == GGUF_T_ARR ||
        vt == GGUF_T_BOOL)
        return ld_fail(ld, "key '%s' is an array of %s, expected integers", key,
                       gguf_vtype_name(vt));
    if (n != (uint64_t)ld->m->info.n_layer)
        return ld_fail(ld, "key '%s' has %" PRIu64 " entries, expected one per layer (%d)",
                       key, n, ld->m->info.n_layer);
    *out = gguf_kv_arr_int(ld->g, kv, 0);
    for (i = 1; i < n; i++) {
        int64_t v = gguf_kv_arr_int(ld->g, kv, i);

        if (v != *out)
            return ld_fail(ld, "per-layer values of '%s' differ (layer 0: %" PRId64
                           ", layer %" PRIu64 ": %" PRId64 "); not supported",
                           key, *out, i, v);
    }
    return 0;
}

/* Read the float "<arch>.<name>" (absent: def). */
static int
ld_float(model_loader *ld, const char *name, int required, double def, double *out)
{
    char key[128];
    int rc;

    snprintf(key, sizeof key, "%s.%s", ld->arch, name);
    *out = def;
    if (gguf_find_kv(ld->g, key) < 0) {
        if (required)
            return ld_fail(ld, "missing required key '%s'", key);
        return 1;
    }
    rc = gguf_get_float(ld->g, key, out, ld->err, ld->errsz);
    return rc == GGUF_OK ? 0 : -1;
}

/* An integer hyperparameter that must lie in [lo, hi]. */
static int
ld_range(model_loader *ld, const char *name, int64_t v, int64_t lo, int64_t hi, int *out)
{
    if (v < lo || v > hi)
        return ld_fail(ld, "%s.%s = %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
                       ld->arch, name, v, lo, hi);
    *out = (int)v;
    return 0;
}

/* "{a, b}" for messages. */
static void
ld_fmt_ne(char *buf, size_t sz, const int64_t *ne, int ndims)
{
    size_t len = 0;
    int i;

    buf[0] = '\0';
    for (i = 0; i < ndims && len < sz; i++)
        len += (size_t)snprintf(buf + len, sz - len, "%s%" PRId64, i ? ", " : "{", ne[i]);
    if (len < sz)
        snprintf(buf + len, sz - len, "}");
}

/* Find a tensor and check it: shape {ne0} (ne1 == 0) or {ne0, ne1} (ne1 < 0:
 * any number of rows), a type with kernels, aligned data. Returns its index,
 * -1 if absent and optional, -2 on error. */
static int64_t
ld_tensor(model_loader *ld, const char *name, int required, int64_t ne0, int64_t ne1)
{
    const gguf *g = ld->g;
    int64_t t = gguf_find_tensor(g, name);
    const int64_t *ne;
    int64_t want[GGUF_MAX_DIMS] = { ne0, ne1 == 0 ? 1 : ne1, 1, 1 };
    const kern_type *kt;
    int type, i, bad = 0;

    if (t < 0) {
        if (required)
            return ld_fail(ld, "missing tensor '%s'", name) - 1;
        return -1;
    }
    ne = gguf_tensor_ne(g, t);
    for (i = 0; i < GGUF_MAX_DIMS; i++)
        if (ne[i] != want[i] && !(i == 1 && ne1 < 0))
            bad = 1;
    if (bad) {
        char fbuf[96], wbuf[96];
        int nd = gguf_tensor_ndims(g, t);

        ld_fmt_ne(fbuf, sizeof fbuf, ne, nd < 1 ? 1 : nd);
        if (ne1 < 0)
            snprintf(wbuf, sizeof wbuf, "{%" PRId64 ", n_vocab}", ne0);
        else
            ld_fmt_ne(wbuf, sizeof wbuf, want, ne1 == 0 ? 1 : 2);
        return ld_fail(ld, "tensor '%s' has shape %s, expected %s", name, fbuf, wbuf) - 1;
    }
    type = gguf_tensor_type(g, t);
    kt = kern_lookup(type);
    if (kt == NULL) {
        const char *tn = qtype_name(type);

        if (tn != NULL)
            return ld_fail(ld, "tensor '%s' has type %s, which is not supported yet "
                           "(supported: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k, tq1_0, tq2_0)",
                           name, tn) - 1;
        return ld_fail(ld, "tensor '%s' has unknown type id %d", name, type) - 1;
    }
    /* f32 needs 4 bytes, the others hold 16-bit fields (halves) */
    if ((uintptr_t)gguf_tensor_data(g, t) % (type == QT_F32 ? 4 : 2) != 0)
        return ld_fail(ld, "tensor '%s' data is not aligned for its type %s", name,
                       qtype_name(type)) - 1;
    return t;
}

/* A checked vector tensor as an owned float array (NULL: absent or error,
 * told apart by *rc: 0 ok/absent, -1 error). */
static float *
ld_vec(model_loader *ld, const char *name, int required, int64_t n, int *rc)
{
    int64_t t = ld_tensor(ld, name, required, n, 0);
    float *v;
    int64_t i;
    int type;

    *rc = 0;
    if (t == -1)
        return NULL;
    if (t < 0) {
        *rc = -1;
        return NULL;
    }
    /* a packed vector would be expanded up to 19 times (tq1_0) */
    type = gguf_tensor_type(ld->g, t);
    if (type != QT_F32 && type != QT_F16 && type != QT_BF16) {
        *rc = ld_fail(ld, "tensor '%s' has type %s; vectors must be f32, f16 or bf16", name,
                      qtype_name(type));
        return NULL;
    }
    v = xmalloc((size_t)n * sizeof *v);
    kern_get_row(gguf_tensor_type(ld->g, t), gguf_tensor_data(ld->g, t), n, 0, v);
    for (i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            free(v);
            *rc = ld_fail(ld, "tensor '%s' holds a non-finite value at %" PRId64, name, i);
            return NULL;
        }
    }
    return v;
}

/* A checked matrix {cols, rows}. */
static int
ld_mat(model_loader *ld, const char *name, int required, int64_t cols, int64_t rows,
       model_mat *out)
{
    int64_t t = ld_tensor(ld, name, required, cols, rows);

    memset(out, 0, sizeof *out);
    if (t == -1)
        return 1;
    if (t < 0)
        return -1;
    out->data = gguf_tensor_data(ld->g, t);
    out->type = gguf_tensor_type(ld->g, t);
    out->cols = gguf_tensor_ne(ld->g, t)[0];
    out->rows = gguf_tensor_ne(ld->g, t)[1];
    return 0;
}

/* Hyperparameters into m->info. */
static int
ld_hparams(model_loader *ld)
{
    model_info *in = &ld->m->info;
    int64_t v, kl, vl;
    double f;
    const char *s;
    size_t slen;
    char key[128];
    int rc;

    if (ld_int(ld, "embedding_length", 1, 0, 0, &v) < 0 ||
        ld_range(ld, "embedding_length", v, 1, MODEL_MAX_DIM, &in->n_embd) < 0)
        return -1;
    if (ld_int(ld, "block_count", 1, 0, 0, &v) < 0 ||
        ld_range(ld, "block_count", v, 1, MODEL_MAX_LAYER, &in->n_layer) < 0)
        return -1;
    if (ld_int(ld, "context_length", 1, 0, 0, &v) < 0 ||
        ld_range(ld, "context_length", v, 1, MODEL_MAX_CTX, &in->n_ctx_train) < 0)
        return -1;
    if (ld_int(ld, "attention.head_count", 1, 1, 0, &v) < 0 ||
        ld_range(ld, "attention.head_count", v, 1, MODEL_MAX_HEAD, &in->n_head) < 0)
        return -1;
    if (ld_int(ld, "attention.head_count_kv", 0, 1, in->n_head, &v) < 0 ||
        ld_range(ld, "attention.head_count_kv", v, 1, MODEL_MAX_HEAD, &in->n_head_kv) < 0)
        return -1;
    if (in->n_head % in->n_head_kv != 0)
        return ld_fail(ld, "head_count_kv %d does not divide head_count %d",
                       in->n_head_kv, in->n_head);
    if (ld_int(ld, "feed_forward_length", 1, 1, 0, &v) < 0 ||
        ld_range(ld, "feed_forward_length", v, 1, MODEL_MAX_DIM, &in->n_ff) < 0)
        return -1;

    rc = ld_int(ld, "attention.key_length", 0, 0, -1, &kl);
    if (rc < 0 || ld_int(ld, "attention.value_length", 0, 0, kl, &vl) < 0)
        return -1;
    if (kl < 0) {
        if (in->n_embd % in->n_head != 0)
            return ld_fail(ld, "head_count %d does not divide embedding_length %d",
                           in->n_head, in->n_embd);
        kl = in->n_embd / in->n_head;
        if (vl < 0)
            vl = kl;
    }
    if (kl != vl)
        return ld_fail(ld, "key_length %" PRId64 " != value_length %" PRId64
                       " is not supported", kl, vl);
    if (ld_range(ld, "attention.key_length", kl, 1, MODEL_MAX_HEAD_DIM, &in->head_dim) < 0)
        return -1;
    if ((int64_t)in->n_head * in->head_dim > MODEL_MAX_DIM)
        return ld_fail(ld, "head_count * key_length = %" PRId64 " is too large",
                       (int64_t)in->n_head * in->head_dim);
    if (in->arch == MODEL_ARCH_BITNET && (int64_t)in->n_head * in->head_dim != in->n_embd)
        return ld_fail(ld, "head_count * key_length = %" PRId64 " must equal embedding_length "
                       "%d for bitnet (attn_sub_norm)", (int64_t)in->n_head * in->head_dim,
                       in->n_embd);

    if (ld_int(ld, "rope.dimension_count", 0, 0, in->head_dim, &v) < 0 ||
        ld_range(ld, "rope.dimension_count", v, 0, in->head_dim, &in->n_rot) < 0)
        return -1;
    if (in->arch == MODEL_ARCH_LLAMA && in->n_rot != in->head_dim)
        return ld_fail(ld, "rope.dimension_count %d must equal the head size %d for llama",
                       in->n_rot, in->head_dim);
    if (in->n_rot % 2 != 0)
        return ld_fail(ld, "rope.dimension_count %d is odd", in->n_rot);

    if (ld_float(ld, "attention.layer_norm_rms_epsilon", 1, 0, &f) < 0)
        return -1;
    if (!isfinite(f) || f < 0 || f > 1)
        return ld_fail(ld, "%s.attention.layer_norm_rms_epsilon = %g is out of range",
                       ld->arch, f);
    in->norm_eps = (float)f;

    if (ld_float(ld, "rope.freq_base", 0, 10000.0, &f) < 0)
        return -1;
    if (!isfinite(f) || f <= 0 || f > 1e30)
        return ld_fail(ld, "%s.rope.freq_base = %g is out of range", ld->arch, f);
    in->rope_base = (float)f;

    /* rope scaling: absent type means linear (with factor 1 if no factor) */
    in->rope_scale = 1.0f;
    snprintf(key, sizeof key, "%s.rope.scaling.type", ld->arch);
    s = "linear";
    slen = 6;
    if (gguf_find_kv(ld->g, key) >= 0 &&
        gguf_get_str(ld->g, key, &s, &slen, ld->err, ld->errsz) != GGUF_OK)
        return -1;
    if (slen == 6 && memcmp(s, "linear", 6) == 0) {
        rc = ld_float(ld, "rope.scaling.factor", 0, 0.0, &f);
        if (rc == 1)
            rc = ld_float(ld, "rope.scale_linear", 0, 0.0, &f);
        if (rc < 0)
            return -1;
        if (!isfinite(f) || f < 0 || (f > 0 && f < 1e-6) || f > 1e6)
            return ld_fail(ld, "%s.rope.scaling.factor = %g is out of range", ld->arch, f);
        if (f != 0)
            in->rope_scale = (float)(1.0 / f);
    } else if (!(slen == 4 && memcmp(s, "none", 4) == 0)) {
        return ld_fail(ld, "rope scaling type '%.*s' is not supported (supported: none, linear)",
                       (int)(slen > 64 ? 64 : slen), s);
    }

    in->rope_type = in->arch == MODEL_ARCH_BITNET ? MODEL_ROPE_NEOX : MODEL_ROPE_NORM;
    in->act = MODEL_ACT_SILU;
    if (in->arch == MODEL_ARCH_BITNET) {
        snprintf(key, sizeof key, "%s.hidden_activation", ld->arch);
        if (gguf_find_kv(ld->g, key) >= 0) {
            if (gguf_get_str(ld->g, key, &s, &slen, ld->err, ld->errsz) != GGUF_OK)
                return -1;
            if (slen == 4 && memcmp(s, "silu", 4) == 0)
                in->act = MODEL_ACT_SILU;
            else if ((slen == 5 && memcmp(s, "relu2", 5) == 0) ||
                     (slen == 12 && memcmp(s, "relu_squared", 12) == 0) ||
                     (slen == 8 && memcmp(s, "relu_sqr", 8) == 0) ||
                     (slen == 12 && memcmp(s, "squared_relu", 12) == 0))
                in->act = MODEL_ACT_RELU2;
            else
                return ld_fail(ld, "hidden_activation '%.*s' is not supported "
                               "(supported: silu, relu2)", (int)(slen > 64 ? 64 : slen), s);
        }
    }
    return 0;
}

/* One block's tensors. */
static int
ld_layer(model_loader *ld, int il)
{
    model *m = ld->m;
    const model_info *in = &m->info;
    model_layer *l = &m->layers[il];
    int64_t qd = (int64_t)in->n_head * in->head_dim;
    int64_t kvd = (int64_t)in->n_head_kv * in->head_dim;
    int64_t shape[MODEL_LIN_COUNT][2] = {
        { in->n_embd, qd }, { in->n_embd, kvd }, { in->n_embd, kvd }, { qd, in->n_embd },
        { in->n_embd, in->n_ff }, { in->n_embd, in->n_ff }, { in->n_ff, in->n_embd }
    };
    int bitnet = in->arch == MODEL_ARCH_BITNET;
    char name[GGUF_MAX_NAME + 16];
    int i, rc;

    snprintf(name, sizeof name, "blk.%d.attn_norm.weight", il);
    if ((l->attn_norm = ld_vec(ld, name, 1, in->n_embd, &rc)) == NULL)
        return -1;
    snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", il);
    if ((l->ffn_norm = ld_vec(ld, name, 1, in->n_embd, &rc)) == NULL)
        return -1;
    if (bitnet) {
        snprintf(name, sizeof name, "blk.%d.attn_sub_norm.weight", il);
        if ((l->attn_sub_norm = ld_vec(ld, name, 1, in->n_embd, &rc)) == NULL)
            return -1;
        snprintf(name, sizeof name, "blk.%d.ffn_sub_norm.weight", il);
        if ((l->ffn_sub_norm = ld_vec(ld, name, 1, in->n_ff, &rc)) == NULL)
            return -1;
    }
    for (i = 0; i < MODEL_LIN_COUNT; i++) {
        snprintf(name, sizeof name, "blk.%d.%s.weight", il, model_lin_names[i]);
        if (ld_mat(ld, name, 1, shape[i][0], shape[i][1], &l->lin[i]) < 0)
            return -1;
        l->scale[i] = 1.0f;
        if (bitnet) {
            float *s;

            snprintf(name, sizeof name, "blk.%d.%s.scale", il, model_lin_names[i]);
            s = ld_vec(ld, name, 0, 1, &rc);
            if (rc < 0)
                return -1;
            if (s != NULL) {
                l->scale[i] = s[0];
                l->has_scale[i] = 1;
                free(s);
            }
        } else {
            snprintf(name, sizeof name, "blk.%d.%s.bias", il, model_lin_names[i]);
            l->bias[i] = ld_vec(ld, name, 0, shape[i][1], &rc);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

/* Tensors outside the blocks, then the blocks. */
static int
ld_tensors(model_loader *ld)
{
    model *m = ld->m;
    model_info *in = &m->info;
    int64_t t, counts[QT_COUNT] = { 0 };
    int i, j, rc, best;

    if (ld_mat(ld, "token_embd.weight", 1, in->n_embd, -1, &m->tok_embd) < 0)
        return -1;
    if (m->tok_embd.rows < 1 || m->tok_embd.rows > MODEL_MAX_VOCAB)
        return ld_fail(ld, "token_embd.weight has %" PRId64 " rows (vocabulary size out of range)",
                       m->tok_embd.rows);
    in->n_vocab = (int)m->tok_embd.rows;
    if ((m->output_norm = ld_vec(ld, "output_norm.weight", 1, in->n_embd, &rc)) == NULL)
        return -1;
    m->output = m->tok_embd;
    in->tied_output = 1;
    if (in->arch == MODEL_ARCH_LLAMA) {
        model_mat out;

        rc = ld_mat(ld, "output.weight", 0, in->n_embd, in->n_vocab, &out);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            m->output = out;
            in->tied_output = 0;
        }
        m->rope_factors = ld_vec(ld, "rope_freqs.weight", 0, in->n_rot / 2, &rc);
        if (rc < 0)
            return -1;
        for (i = 0; m->rope_factors != NULL && i < in->n_rot / 2; i++)
            if (!(m->rope_factors[i] > 0))
                return ld_fail(ld, "rope_freqs.weight[%d] = %g is not positive", i,
                               (double)m->rope_factors[i]);
    }

    m->layers = xcalloc((size_t)in->n_layer, sizeof *m->layers);
    for (i = 0; i < in->n_layer; i++)
        if (ld_layer(ld, i) < 0)
            return -1;

    /* display type: the most common among the blocks' linear weights */
    best = m->layers[0].lin[0].type;
    for (i = 0; i < in->n_layer; i++)
        for (j = 0; j < MODEL_LIN_COUNT; j++) {
            int ty = m->layers[i].lin[j].type;

            if (ty >= 0 && ty < QT_COUNT && ++counts[ty] > counts[best])
                best = ty;
        }
    in->weight_type = best;
    in->weight_bytes = 0;
    for (t = 0; t < gguf_n_tensors(ld->g); t++)
        in->weight_bytes += gguf_tensor_nbytes(ld->g, t);

    m->inv_freq = xcalloc((size_t)in->n_rot / 2 + 1, sizeof *m->inv_freq);
    for (i = 0; i < in->n_rot / 2; i++) {
        double fi = (double)in->rope_scale * pow((double)in->rope_base, -2.0 * i / in->n_rot);

        if (m->rope_factors != NULL)
            fi /= (double)m->rope_factors[i];
        m->inv_freq[i] = fi;
    }
    model_weights_init(m);
    return 0;
}

static void
model_free_parts(model *m)
{
    int i, j;

    if (m->layers != NULL) {
        for (i = 0; i < m->info.n_layer; i++) {
            model_layer *l = &m->layers[i];

            free(l->attn_norm);
            free(l->attn_sub_norm);
            free(l->ffn_norm);
            free(l->ffn_sub_norm);
            for (j = 0; j < MODEL_LIN_COUNT; j++)
                free(l->bias[j]);
        }
        free(m->layers);
    }
    free(m->output_norm);
    free(m->rope_factors);
    free(m->inv_freq);
}

model *
model_load_gguf(gguf *g, char *err, size_t errsz)
{
    model_loader ld;
    model *m;
    const char *arch;
    size_t alen;

    if (g == NULL) {
        snprintf(err, errsz, "model_load_gguf: no reader");
        return NULL;
    }
    m = xcalloc(1, sizeof *m);
    m->g = g;
    ld.m = m;
    ld.g = g;
    ld.err = err;
    ld.errsz = errsz;
    ld.arch = "";
    if (gguf_find_kv(g, "general.architecture") < 0) {
        ld_fail(&ld, "missing required key 'general.architecture'");
        goto fail;
    }
    if (gguf_get_str(g, "general.architecture", &arch, &alen, err, errsz) != GGUF_OK)
        goto fail;
    if (alen == 5 && memcmp(arch, "llama", 5) == 0) {
        m->info.arch = MODEL_ARCH_LLAMA;
        m->info.arch_name = "llama";
    } else if (alen == 6 && memcmp(arch, "bitnet", 6) == 0) {
        m->info.arch = MODEL_ARCH_BITNET;
        m->info.arch_name = "bitnet";
    } else {
        ld_fail(&ld, "unknown architecture '%.*s' (supported: llama, bitnet)",
                (int)(alen > 64 ? 64 : alen), arch);
        goto fail;
    }
    ld.arch = m->info.arch_name;
    if (ld_hparams(&ld) < 0 || ld_tensors(&ld) < 0)
        goto fail;
    return m;

fail:
    model_free(m);
    return NULL;
}

model *
model_load(const char *path, char *err, size_t errsz)
{
    gguf *g = gguf_open(path, err, errsz);

    if (g == NULL)
        return NULL;
    return model_load_gguf(g, err, errsz);
}

void
model_free(model *m)
{
    if (m == NULL)
        return;
    model_weights_fini(m);
    model_free_parts(m);
    gguf_close(m->g);
    free(m);
}

const model_info *
model_get_info(const model *m)
{
    return &m->info;
}

const gguf *
model_gguf(const model *m)
{
    return m->g;
}
