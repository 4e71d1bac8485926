/* test_model_gen.c: random test models (see test_model_gen.h). Values are
 * generated so that they are exact in the type written (f16: 11 significant
 * bits, bf16: 8), so the reference forward pass can use them as doubles. */
#include "config.h"

#include "test_model_gen.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "qtype.h"

/* Kinds of values. */
enum { TM_MAT, TM_TERN, TM_EMB, TM_NORM, TM_BIAS, TM_SCALE, TM_FREQ };

static uint64_t tm_rng;

static uint64_t
tm_next(void)
{
    uint64_t z = (tm_rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* An integer in [-k, k]. */
static int
tm_int(int k)
{
    return (int)(tm_next() % (uint64_t)(2 * k + 1)) - k;
}

/* Half bits of a value known to be exact in half (own encoder: frexp). */
static uint16_t
tm_f16_exact(double v)
{
    uint16_t sign = v < 0 ? 0x8000 : 0;
    double a = fabs(v), mant;
    int e, he;

    if (a == 0)
        return sign;
    mant = frexp(a, &e); /* a = mant * 2^e, mant in [0.5, 1) */
    he = e - 1 + 15;
    if (he >= 1)
        return (uint16_t)(sign | (he << 10) | (int)((mant * 2 - 1) * 1024));
    return (uint16_t)(sign | (int)(a / ldexp(1, -24)));
}

static void *
tm_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);

    if (p == NULL)
        abort();
    return p;
}

static void
tm_add(tm_model *m, const char *name, int kind, int type, int64_t ne0, int64_t ne1)
{
    tm_tensor *t;
    double scale2 = 1.0;
    int64_t i, n;

    if (m->s.bad_shape != NULL && strcmp(m->s.bad_shape, name) == 0) {
        if (ne1 > 1)
            ne1 += 8;
        else
            ne0 += 8;
    }
    n = ne0 * ne1;
    m->t = realloc(m->t, (size_t)(m->nt + 1) * sizeof *m->t);
    if (m->t == NULL)
        abort();
    t = &m->t[m->nt++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->ne0 = ne0;
    t->ne1 = ne1;
    t->v = tm_alloc((size_t)n * sizeof *t->v);
    if (kind == TM_MAT || kind == TM_TERN)
        scale2 = ldexp(1, -(int)floor(log2(sqrt((double)ne0))));
    for (i = 0; i < n; i++) {
        switch (kind) {
        case TM_TERN:
            t->v[i] = tm_int(1) * scale2;
            break;
        case TM_NORM:
            t->v[i] = 1.0 + tm_int(64) / 256.0;
            break;
        case TM_BIAS:
            t->v[i] = tm_int(64) / 256.0;
            break;
        case TM_SCALE:
            t->v[i] = 0.5 + (tm_int(64) + 64) / 128.0;
            break;
        case TM_FREQ:
            t->v[i] = 1.0 + (tm_int(96) + 96) / 64.0;
            break;
        default: /* TM_MAT, TM_EMB */
            if (type == QT_F16)
                t->v[i] = tm_int(1024) / 1024.0 * scale2;
            else if (type == QT_BF16)
                t->v[i] = tm_int(128) / 128.0 * scale2;
            else
                t->v[i] = (double)(float)((double)(tm_next() >> 11) * 0x1p-52 - 1.0) * scale2;
            break;
        }
    }
    if (m->s.bad_type != NULL && strcmp(m->s.bad_type, name) == 0) {
        t->type = QT_Q5_0;
        t->nbytes = qtype_row_bytes(QT_Q5_0, ne0) * (size_t)ne1;
        t->raw = tm_alloc(t->nbytes);
        return;
    }
    t->nbytes = (size_t)n * (type == QT_F32 ? 4 : 2);
    t->raw = tm_alloc(t->nbytes);
    for (i = 0; i < n; i++) {
        if (type == QT_F32) {
            ((float *)t->raw)[i] = (float)t->v[i];
        } else if (type == QT_F16) {
            ((uint16_t *)t->raw)[i] = tm_f16_exact(t->v[i]);
        } else {
            float f = (float)t->v[i];
            uint32_t u;

            memcpy(&u, &f, 4);
            ((uint16_t *)t->raw)[i] = (uint16_t)(u >> 16);
        }
    }
}

void
tm_spec_init(tm_spec *s, const char *arch)
{
    memset(s, 0, sizeof *s);
    s->arch = arch;
    s->n_embd = 32;
    s->n_layer = 2;
    s->n_head = 4;
    s->n_head_kv = 2;
    s->n_ff = 48;
    s->n_vocab = 61;
    s->n_ctx = 64;
    s->wtype = QT_F32;
    s->eps = 1e-5;
}

tm_model *
tm_build(const tm_spec *s, uint64_t seed)
{
    static const char *const lin[] = { "attn_q", "attn_k", "attn_v", "attn_output",
                                       "ffn_gate", "ffn_up", "ffn_down" };
    tm_model *m = tm_alloc(sizeof *m);
    int bitnet = strcmp(s->arch, "bitnet") == 0;
    int64_t e, qd, kvd, f;
    char name[64];
    int il, i;

    m->s = *s;
    tm_rng = seed * 0x2545f4914f6cdd1dull + 7;
    m->hd = s->head_dim > 0 ? s->head_dim : s->n_embd / s->n_head;
    e = s->n_embd;
    f = s->n_ff;
    qd = (int64_t)s->n_head * m->hd;
    kvd = (int64_t)s->n_head_kv * m->hd;
    {
        int64_t shape[7][2] = { { e, qd }, { e, kvd }, { e, kvd }, { qd, e },
                                { e, f }, { e, f }, { f, e } };

        tm_add(m, "token_embd.weight", TM_EMB, s->wtype, e, s->n_vocab);
        tm_add(m, "output_norm.weight", TM_NORM, QT_F32, e, 1);
        if ((!bitnet && !s->tied) || (bitnet && s->bitnet_output))
            tm_add(m, "output.weight", TM_MAT, s->wtype, e, s->n_vocab);
        if (s->rope_freqs)
            tm_add(m, "rope_freqs.weight", TM_FREQ, QT_F32, m->hd / 2, 1);
        for (il = 0; il < s->n_layer; il++) {
            snprintf(name, sizeof name, "blk.%d.attn_norm.weight", il);
            tm_add(m, name, TM_NORM, QT_F32, e, 1);
            snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", il);
            tm_add(m, name, TM_NORM, QT_F32, e, 1);
            if (bitnet) {
                snprintf(name, sizeof name, "blk.%d.attn_sub_norm.weight", il);
                tm_add(m, name, TM_NORM, QT_F32, e, 1);
                snprintf(name, sizeof name, "blk.%d.ffn_sub_norm.weight", il);
                tm_add(m, name, TM_NORM, QT_F32, f, 1);
            }
            for (i = 0; i < 7; i++) {
                snprintf(name, sizeof name, "blk.%d.%s.weight", il, lin[i]);
                tm_add(m, name, bitnet ? TM_TERN : TM_MAT, s->wtype, shape[i][0], shape[i][1]);
                if (s->biases) {
                    snprintf(name, sizeof name, "blk.%d.%s.bias", il, lin[i]);
                    tm_add(m, name, TM_BIAS, QT_F32, shape[i][1], 1);
                }
                if (s->scales) {
                    snprintf(name, sizeof name, "blk.%d.%s.scale", il, lin[i]);
                    tm_add(m, name, TM_SCALE, QT_F32, 1, 1);
                }
            }
        }
    }
    return m;
}

void
tm_free(tm_model *m)
{
    int i;

    if (m == NULL)
        return;
    for (i = 0; i < m->nt; i++) {
        free(m->t[i].v);
        free(m->t[i].raw);
    }
    free(m->t);
    free(m);
}

const tm_tensor *
tm_find(const tm_model *m, const char *name)
{
    int i;

    for (i = 0; i < m->nt; i++)
        if (strcmp(m->t[i].name, name) == 0)
            return &m->t[i];
    return NULL;
}

size_t
tm_bytes(const tm_model *m)
{
    size_t n = 0;
    int i;

    for (i = 0; i < m->nt; i++)
        if (m->s.omit_tensor == NULL || strcmp(m->s.omit_tensor, m->t[i].name) != 0)
            n += m->t[i].nbytes;
    return n;
}

/* Key writers that honour omit_key. */
static int
tm_skip(const tm_model *m, const char *key)
{
    return m->s.omit_key != NULL && strcmp(m->s.omit_key, key) == 0;
}

static void
tm_u32(gguf_writer *w, const tm_model *m, const char *suffix, uint32_t v)
{
    char key[128];

    snprintf(key, sizeof key, "%s.%s", m->s.arch, suffix);
    if (!tm_skip(m, key))
        gguf_writer_set_u32(w, key, v);
}

static void
tm_f32(gguf_writer *w, const tm_model *m, const char *suffix, double v)
{
    char key[128];

    snprintf(key, sizeof key, "%s.%s", m->s.arch, suffix);
    if (!tm_skip(m, key))
        gguf_writer_set_f32(w, key, (float)v);
}

static void
tm_str(gguf_writer *w, const tm_model *m, const char *suffix, const char *v)
{
    char key[128];

    snprintf(key, sizeof key, "%s.%s", m->s.arch, suffix);
    if (!tm_skip(m, key))
        gguf_writer_set_str(w, key, v);
}

int
tm_write(const tm_model *m, const char *path, char *err, size_t errsz)
{
    const tm_spec *s = &m->s;
    gguf_writer *w = gguf_writer_new();
    int i, rc = 0;

    if (!tm_skip(m, "general.architecture"))
        gguf_writer_set_str(w, "general.architecture", s->arch);
    gguf_writer_set_str(w, "general.name", "test model");
    tm_u32(w, m, "context_length", (uint32_t)s->n_ctx);
    tm_u32(w, m, "embedding_length", (uint32_t)s->n_embd);
    tm_u32(w, m, "block_count", (uint32_t)s->n_layer);
    if (s->ff_array) {
        char key[128];
        int32_t *ff = tm_alloc((size_t)s->n_layer * sizeof *ff);

        for (i = 0; i < s->n_layer; i++)
            ff[i] = s->n_ff + (s->ff_array == 2 && i == s->n_layer - 1 ? 16 : 0);
        snprintf(key, sizeof key, "%s.feed_forward_length", s->arch);
        gguf_writer_set_arr(w, key, GGUF_T_I32, ff, (uint64_t)s->n_layer);
        free(ff);
    } else {
        tm_u32(w, m, "feed_forward_length", (uint32_t)s->n_ff);
    }
    tm_u32(w, m, "attention.head_count", (uint32_t)s->n_head);
    tm_u32(w, m, "attention.head_count_kv", (uint32_t)s->n_head_kv);
    tm_f32(w, m, "attention.layer_norm_rms_epsilon", s->eps);
    if (s->head_dim > 0) {
        tm_u32(w, m, "attention.key_length", (uint32_t)s->head_dim);
        tm_u32(w, m, "attention.value_length",
               (uint32_t)(s->value_length > 0 ? s->value_length : s->head_dim));
    }
    if (s->rope_base > 0)
        tm_f32(w, m, "rope.freq_base", s->rope_base);
    if (s->rope_type != NULL)
        tm_str(w, m, "rope.scaling.type", s->rope_type);
    if (s->rope_factor > 0)
        tm_f32(w, m, "rope.scaling.factor", s->rope_factor);
    if (s->act != NULL)
        tm_str(w, m, "hidden_activation", s->act);
    for (i = 0; i < m->nt && rc == 0; i++) {
        const tm_tensor *t = &m->t[i];
        int64_t ne[2] = { t->ne0, t->ne1 };

        if (s->omit_tensor != NULL && strcmp(s->omit_tensor, t->name) == 0)
            continue;
        rc = gguf_writer_add_tensor(w, t->name, t->type, t->ne1 > 1 ? 2 : 1, ne, t->raw, err,
                                    errsz);
    }
    if (rc == 0)
        rc = gguf_writer_write(w, path, err, errsz);
    gguf_writer_free(w);
    return rc;
}

char *
tm_tmpdir(void)
{
    char tmpl[] = "/tmp/tc-model-XXXXXX";
    char *d = mkdtemp(tmpl);

    return d != NULL ? strdup(d) : NULL;
}

void
tm_rmdir(char *dir)
{
    DIR *d;
    struct dirent *de;
    char path[4096];

    if (dir == NULL)
        return;
    d = opendir(dir);
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}
