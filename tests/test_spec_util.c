/* test_spec_util.c: helpers of the speculative decoding tests (see
 * test_spec_util.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "model.h"
#include "qtype.h"
#include "sampler.h"
#include "spec.h"
#include "tap.h"
#include "test_model_gen.h"
#include "test_spec_util.h"

uint64_t
tsu_rand(uint64_t *rng)
{
    uint64_t z = (*rng += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void
tsu_prompt(uint64_t *rng, int32_t *p, int n, int lo, int hi)
{
    int i;

    for (i = 0; i < n; i++)
        p[i] = lo + (int32_t)(tsu_rand(rng) % (uint64_t)(hi - lo));
}

void
tsu_model_opts_init(tsu_model_opts *o)
{
    memset(o, 0, sizeof *o);
    o->arch = "llama";
    o->n_embd = 32;
    o->n_layer = 2;
    o->n_vocab = 64;
    o->n_ctx = 128;
    o->seed = 1;
}

/* Rewrite the file at src to dst with an SPM tokenizer added. */
static int
add_tokenizer(const char *src, const char *dst, const tsu_model_opts *o)
{
    char err[512];
    gguf *g = gguf_open(src, err, sizeof err);
    gguf_writer *w;
    char **toks;
    int32_t *types;
    int64_t t;
    int i, rc = 0;

    if (g == NULL) {
        diag("%s", err);
        return -1;
    }
    w = gguf_writer_new();
    gguf_writer_copy_kv(w, g, NULL);
    toks = calloc((size_t)o->n_vocab, sizeof *toks);
    types = calloc((size_t)o->n_vocab, sizeof *types);
    for (i = 0; i < o->n_vocab; i++) {
        char buf[32];

        if (i == 0)
            snprintf(buf, sizeof buf, "<unk>"), types[i] = 2;
        else if (i == 1)
            snprintf(buf, sizeof buf, "<s>"), types[i] = 3;
        else if (i == 2)
            snprintf(buf, sizeof buf, "</s>"), types[i] = 3;
        else if (i >= o->n_vocab - o->n_added)
            snprintf(buf, sizeof buf, "<extra_%d>", i), types[i] = 3;
        else
            snprintf(buf, sizeof buf, "w%d", i), types[i] = 1;
        toks[i] = strdup(buf);
    }
    gguf_writer_set_str(w, "tokenizer.ggml.model", "llama");
    gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)toks,
                            (uint64_t)o->n_vocab);
    gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GGUF_T_I32, types, (uint64_t)o->n_vocab);
    gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2);
    for (t = 0; t < gguf_n_tensors(g) && rc == 0; t++)
        rc = gguf_writer_add_tensor(w, gguf_tensor_name(g, t), gguf_tensor_type(g, t),
                                    gguf_tensor_ndims(g, t), gguf_tensor_ne(g, t),
                                    gguf_tensor_data(g, t), err, sizeof err);
    if (rc == 0)
        rc = gguf_writer_write(w, dst, err, sizeof err);
    if (rc != 0)
        diag("%s", err);
    gguf_writer_free(w);
    gguf_close(g);
    for (i = 0; i < o->n_vocab; i++)
        free(toks[i]);
    free(toks);
    free(types);
    return rc;
}

char *
tsu_write_model(const char *dir, const char *name, const tsu_model_opts *o)
{
    tm_spec sp;
    tm_model *m;
    char err[512], *path, *tmp;
    size_t len = strlen(dir) + strlen(name) + 16;
    uint64_t rng = o->seed * 31 + 5;
    int i, rc;

    tm_spec_init(&sp, o->arch);
    sp.n_embd = o->n_embd;
    sp.n_layer = o->n_layer;
    sp.n_ff = o->n_embd * 3 / 2;
    sp.n_vocab = o->n_vocab;
    sp.n_ctx = o->n_ctx;
    if (strcmp(o->arch, "bitnet") == 0)
        sp.act = "relu2";
    m = tm_build(&sp, o->seed);
    if (o->perturb > 0) {
        for (i = 0; i < m->nt; i++) {
            tm_tensor *t = &m->t[i];
            float *f = t->raw;
            int64_t j;

            if (t->type != QT_F32)
                continue;
            for (j = 0; j < t->ne0 * t->ne1; j++) {
                double u = (double)(tsu_rand(&rng) >> 11) * 0x1p-52 - 1.0;

                f[j] = (float)((double)f[j] * (1.0 + o->perturb * u));
            }
        }
    }
    path = malloc(len);
    tmp = malloc(len + 8);
    snprintf(path, len, "%s/%s", dir, name);
    snprintf(tmp, len + 8, "%s/tmp-%s", dir, name);
    rc = tm_write(m, o->tokenizer ? tmp : path, err, sizeof err);
    if (rc != 0)
        diag("%s", err);
    tm_free(m);
    if (rc == 0 && o->tokenizer) {
        rc = add_tokenizer(tmp, path, o);
        unlink(tmp);
    }
    free(tmp);
    if (rc != 0) {
        free(path);
        return NULL;
    }
    return path;
}

model *
tsu_load(const char *path)
{
    char err[512];
    model *m = model_load(path, err, sizeof err);

    if (m == NULL)
        diag("%s", err);
    return m;
}

int
tsu_ref_decode(model *m, int n_ctx, const int32_t *prompt, int np, int n,
               const sampler_params *sp, int32_t *out)
{
    char err[512];
    int nv = model_get_info(m)->n_vocab, got = 0, i;
    model_ctx *c = model_ctx_new(m, n_ctx, err, sizeof err);
    sampler *smp = sampler_new(sp, nv);
    float *logits = malloc((size_t)nv * sizeof *logits);

    if (c == NULL || smp == NULL || logits == NULL ||
        model_forward(c, prompt, np, logits, 0, err, sizeof err) != 0) {
        diag("reference decoding: %s", c == NULL ? err : "setup failed");
        got = -1;
        goto out;
    }
    for (i = 0; i < np; i++)
        sampler_accept(smp, prompt[i]);
    while (got < n) {
        int32_t id = sampler_sample(smp, logits);

        sampler_accept(smp, id);
        out[got++] = id;
        if (got == n || model_ctx_pos(c) >= model_ctx_n_ctx(c))
            break;
        if (model_forward(c, &id, 1, logits, 0, err, sizeof err) != 0) {
            diag("reference decoding: %s", err);
            got = -1;
            break;
        }
    }
out:
    free(logits);
    sampler_free(smp);
    model_ctx_free(c);
    return got;
}

int
tsu_spec_decode(spec *s, int n, int32_t *out)
{
    char err[512];
    int got = 0;

    while (got < n) {
        int k = spec_step(s, out + got, n - got, err, sizeof err);

        if (k < 0) {
            diag("spec_step: %s", err);
            return -1;
        }
        if (k == 0)
            break;
        got += k;
    }
    return got;
}
