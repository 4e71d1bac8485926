/* mkseeds.c: writes the binary seed files of the fuzz corpora: small
 * models for fuzz_model (every weight type with kernels, llama and bitnet,
 * optional tensors) and vocabularies and models for fuzz_gguf. Built by
 * `make fuzz-build` as fuzz/mkseeds; run by hand when the generators
 * change: `fuzz/mkseeds $srcdir/tests/fuzz/corpus`. Deterministic. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "fuzz_vocab.h"
#include "gguf.h"
#include "qtype.h"
#include "quant.h"

static uint64_t rng = 1;

static uint32_t
next(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

/* Tensor buffers kept until the file is written. */
static void *bufs[512];
static size_t n_bufs;

static void
die(const char *what, const char *err)
{
    fprintf(stderr, "mkseeds: %s: %s\n", what, err);
    exit(1);
}

/* Add a {ne0, ne1} tensor of type; norms (ones) when norm is set. */
static void
add(gguf_writer *w, const char *name, int type, int64_t ne0, int64_t ne1, int norm)
{
    int64_t n = ne0 * ne1, ne[2] = { ne0, ne1 };
    float *f = malloc((size_t)n * sizeof *f);
    size_t nb = qtype_row_bytes(type, ne0) * (size_t)ne1;
    uint8_t *data = calloc(1, nb);
    char err[256];

    for (int64_t i = 0; i < n; i++)
        f[i] = norm ? 1.0f : ((float)(next() % 2001) - 1000.0f) / 4000.0f;
    switch (type) {
    case QT_F32:
        memcpy(data, f, nb);
        break;
    case QT_F16:
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = f32_to_fp16(f[i]);

            memcpy(data + 2 * i, &h, 2);
        }
        break;
    case QT_BF16:
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = f32_to_bf16(f[i]);

            memcpy(data + 2 * i, &h, 2);
        }
        break;
    case QT_Q4_K:
    case QT_Q6_K: {
        size_t bb = qtype_block_bytes(type), off = type == QT_Q4_K ? 0 : 208;
        uint16_t d = f32_to_fp16(0.01f);

        for (size_t i = 0; i < nb; i++)
            data[i] = (uint8_t)next();
        for (size_t b = 0; b < nb / bb; b++) {
            memcpy(data + b * bb + off, &d, 2);
            if (type == QT_Q4_K)
                memcpy(data + b * bb + 2, &d, 2);
        }
        break;
    }
    default:
        for (int64_t r = 0; r < ne1; r++)
            if (quant_row(type, 0, f + r * ne0, data + (size_t)r * qtype_row_bytes(type, ne0), ne0) < 0)
                die(name, "no quantizer");
        break;
    }
    free(f);
    if (gguf_writer_add_tensor(w, name, type, ne1 == 1 ? 1 : 2, ne, data, err, sizeof err) != 0)
        die(name, err);
    bufs[n_bufs++] = data;
}

static void
write_file(gguf_writer *w, const char *dir, const char *name)
{
    char path[4096], err[256];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (gguf_writer_write(w, path, err, sizeof err) != 0)
        die(path, err);
    gguf_writer_free(w);
    while (n_bufs > 0)
        free(bufs[--n_bufs]);
    printf("wrote %s\n", path);
}

/* What a seed model looks like. */
struct spec {
    const char *arch;   /* llama / bitnet */
    int n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_layer;
    int types[7];       /* q k v o gate up down */
    int embd_type;      /* token_embd */
    int norm_type;      /* norm vectors */
    int out_type;       /* output.weight (-1: tied) */
    int extras;         /* llama: biases and rope_freqs; bitnet: scales, relu2 */
    int vocab;          /* add an SPM vocabulary */
};

static gguf_writer *
model(const struct spec *s)
{
    static const char *const lin[7] = { "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate",
                                        "ffn_up", "ffn_down" };
    gguf_writer *w = gguf_writer_new();
    char key[128], name[96];
    int64_t qd = (int64_t)s->n_head * s->head_dim, kvd = (int64_t)s->n_head_kv * s->head_dim;
    int64_t shape[7][2] = { { s->n_embd, qd }, { s->n_embd, kvd }, { s->n_embd, kvd },
                            { qd, s->n_embd }, { s->n_embd, s->n_ff }, { s->n_embd, s->n_ff },
                            { s->n_ff, s->n_embd } };
    int bitnet = strcmp(s->arch, "bitnet") == 0;

#define K(x) (snprintf(key, sizeof key, "%s.%s", s->arch, x), key)
    gguf_writer_set_str(w, "general.architecture", s->arch);
    gguf_writer_set_u32(w, K("embedding_length"), (uint32_t)s->n_embd);
    gguf_writer_set_u32(w, K("block_count"), (uint32_t)s->n_layer);
    gguf_writer_set_u32(w, K("context_length"), 64);
    gguf_writer_set_u32(w, K("attention.head_count"), (uint32_t)s->n_head);
    gguf_writer_set_u32(w, K("attention.head_count_kv"), (uint32_t)s->n_head_kv);
    gguf_writer_set_u32(w, K("feed_forward_length"), (uint32_t)s->n_ff);
    gguf_writer_set_u32(w, K("attention.key_length"), (uint32_t)s->head_dim);
    gguf_writer_set_u32(w, K("attention.value_length"), (uint32_t)s->head_dim);
    gguf_writer_set_u32(w, K("rope.dimension_count"), (uint32_t)s->head_dim);
    gguf_writer_set_f32(w, K("attention.layer_norm_rms_epsilon"), 1e-5f);
    gguf_writer_set_f32(w, K("rope.freq_base"), 10000.0f);
    if (bitnet && s->extras)
        gguf_writer_set_str(w, K("hidden_activation"), "relu2");
    if (!bitnet && s->extras) {
        gguf_writer_set_str(w, K("rope.scaling.type"), "linear");
        gguf_writer_set_f32(w, K("rope.scaling.factor"), 2.0f);
    }
#undef K
    if (s->vocab)
        fv_add_spm(w);
    add(w, "token_embd.weight", s->embd_type, s->n_embd, s->n_vocab, 0);
    add(w, "output_norm.weight", s->norm_type, s->n_embd, 1, 1);
    if (s->out_type >= 0)
        add(w, "output.weight", s->out_type, s->n_embd, s->n_vocab, 0);
    if (!bitnet && s->extras)
        add(w, "rope_freqs.weight", QT_F32, s->head_dim / 2, 1, 1);
    for (int l = 0; l < s->n_layer; l++) {
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        add(w, name, s->norm_type, s->n_embd, 1, 1);
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        add(w, name, s->norm_type, s->n_embd, 1, 1);
        if (bitnet) {
            snprintf(name, sizeof name, "blk.%d.attn_sub_norm.weight", l);
            add(w, name, s->norm_type, s->n_embd, 1, 1);
            snprintf(name, sizeof name, "blk.%d.ffn_sub_norm.weight", l);
            add(w, name, s->norm_type, s->n_ff, 1, 1);
        }
        for (int i = 0; i < 7; i++) {
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, lin[i]);
            add(w, name, s->types[i], shape[i][0], shape[i][1], 0);
            if (s->extras) {
                snprintf(name, sizeof name, "blk.%d.%s.%s", l, lin[i], bitnet ? "scale" : "bias");
                add(w, name, QT_F32, bitnet ? 1 : shape[i][1], 1, 1);
            }
        }
    }
    return w;
}

int
main(int argc, char **argv)
{
    static const char *const pres[] = { "default", "llama3", "qwen2", "deepseek-llm", "falcon" };
    const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus";
    char sub[4096], name[128];
    const int F = QT_F32, H = QT_F16;

    /* fuzz_model: each weight type with kernels at least once. */
    snprintf(sub, sizeof sub, "%s/model", dir);
    {
        struct spec s = { "llama", 8, 2, 1, 4, 16, 12, 1, { F, F, F, F, F, F, F }, F, F, F, 0, 0 };
        write_file(model(&s), sub, "llama-f32.gguf");
    }
    {
        struct spec s = { "llama", 8, 2, 2, 4, 8, 10, 2, { H, QT_BF16, H, H, QT_BF16, H, H }, H, H,
                          -1, 1, 0 };
        write_file(model(&s), sub, "llama-f16-tied-extras.gguf");
    }
    {
        /* n_embd 256 for the 256-element blocks; heads of 2 keep it small */
        struct spec s = { "llama", 256, 1, 1, 2, 1, 3, 1,
                          { QT_TQ2_0, QT_TQ1_0, QT_Q4_K, F, QT_Q6_K, QT_Q8_0, F }, QT_Q4_0, F,
                          QT_Q8_0, 0, 0 };
        write_file(model(&s), sub, "llama-quant-mix.gguf");
    }
    {
        struct spec s = { "bitnet", 8, 2, 1, 4, 8, 10, 1, { H, H, H, H, H, H, H }, H, F, -1, 1, 0 };
        write_file(model(&s), sub, "bitnet-f16-scales.gguf");
    }
    {
        struct spec s = { "bitnet", 32, 2, 2, 16, 32, 4, 1,
                          { QT_Q8_0, QT_Q8_0, QT_Q4_0, QT_Q8_0, QT_Q4_0, QT_Q8_0, QT_Q8_0 },
                          QT_Q8_0, F, -1, 0, 0 };
        write_file(model(&s), sub, "bitnet-q8.gguf");
    }

    /* fuzz_gguf: vocabularies (SPM and BPE with several pre-tokenizers)
     * and a small model with a vocabulary and a chat template. */
    snprintf(sub, sizeof sub, "%s/gguf", dir);
    for (size_t i = 0; i <= sizeof pres / sizeof pres[0]; i++) {
        gguf_writer *w = gguf_writer_new();

        gguf_writer_set_str(w, "general.architecture", "llama");
        if (i == 0) {
            fv_add_spm(w);
            gguf_writer_set_str(w, "tokenizer.chat_template",
                                "{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}");
            snprintf(name, sizeof name, "vocab-spm.gguf");
        } else {
            fv_add_bpe(w, pres[i - 1]);
            gguf_writer_set_str(w, "tokenizer.chat_template",
                                i % 2 ? "<|im_start|>{{ role }}" : "<|start_header_id|>");
            snprintf(name, sizeof name, "vocab-bpe-%s.gguf", pres[i - 1]);
        }
        write_file(w, sub, name);
    }
    {
        struct spec s = { "llama", 8, 2, 1, 4, 8, 259 + 22, 1, { H, H, H, H, H, H, H }, H, F, -1, 0,
                          1 };
        write_file(model(&s), sub, "model-with-vocab.gguf");
    }
    return 0;
}
