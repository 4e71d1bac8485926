/* mkmodel.c: ternchat-mkmodel, which writes a small llama or bitnet GGUF
 * with random weights (deterministic for a seed) and a minimal SPM
 * tokenizer (byte fallback plus single letters and digits), for tests,
 * benchmarks and the quick start. */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "gguf.h"
#include "model.h"
#include "qtype.h"
#include "xmalloc.h"

/* What to generate. */
typedef struct mk_opts {
    int bitnet;        /* arch bitnet (else llama) */
    int n_embd;        /* hidden size */
    int n_layer;       /* blocks */
    int n_head;        /* query heads */
    int n_head_kv;     /* key/value heads */
    int n_ff;          /* feed-forward size */
    int n_vocab;       /* vocabulary size */
    int ctx;           /* context_length */
    int type;          /* enum qtype of the matrices (quantized types follow
                        * `ternchat quantize`'s per-tensor rules) */
    uint64_t seed;     /* random seed */
    int tied;          /* llama: no output.weight */
    int scales;        /* bitnet: write .scale tensors */
    int relu2;         /* bitnet: hidden_activation relu2 */
    const char *out;   /* output path */
} mk_opts;

/* The writer and the buffers it points at until the file is written. */
typedef struct mk_state {
    gguf_writer *w;    /* the writer */
    void **bufs;       /* tensor data to free after writing */
    size_t n_bufs;     /* entries in bufs */
    uint64_t rng;      /* splitmix64 state */
    int tied;          /* the file has no output.weight (token_embd is the LM head) */
} mk_state;

static uint64_t
mk_next(mk_state *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static float
mk_uniform(mk_state *s)
{
    return (float)((double)(mk_next(s) >> 11) * 0x1p-52 - 1.0);
}

static void
mk_die(const char *msg)
{
    fprintf(stderr, "ternchat-mkmodel: %s\n", msg);
    exit(1);
}

/* Add a tensor of floats, converted to type; takes ownership of f. */
static void
mk_add(mk_state *s, const char *name, int type, int64_t ne0, int64_t ne1, float *f)
{
    int64_t ne[2] = { ne0, ne1 }, i, n = ne0 * ne1;
    void *data = f;
    char err[512];

    if (type != QT_F32 && type != QT_F16 && type != QT_BF16) {
        /* a quantized type: the same per-tensor choice as `ternchat quantize` */
        int t = model_quant_pick(model_quant_role(name, ne1 > 1 ? 2 : 1, s->tied), type, ne0,
                                 QT_F32);

        data = xmalloc(qtype_row_bytes(t, ne0) * (size_t)ne1);
        if (model_quant_convert(QT_F32, f, t, 1, data, ne1, ne0, 1) != 0)
            mk_die("cannot quantize a tensor");
        free(f);
        type = t;
    } else if (type == QT_F16 || type == QT_BF16) {
        uint16_t *h = xmalloc((size_t)n * sizeof *h);

        for (i = 0; i < n; i++)
            h[i] = type == QT_F16 ? f32_to_fp16(f[i]) : f32_to_bf16(f[i]);
        free(f);
        data = h;
    }
    s->bufs = xreallocarray(s->bufs, s->n_bufs + 1, sizeof *s->bufs);
    s->bufs[s->n_bufs++] = data;
    if (gguf_writer_add_tensor(s->w, name, type, ne1 > 1 ? 2 : 1, ne, data, err, sizeof err) < 0)
        mk_die(err);
}

/* A random matrix {cols, rows}; bitnet weights are ternary times a scale. */
static void
mk_matrix(mk_state *s, const mk_opts *o, const char *name, int64_t cols, int64_t rows)
{
    float *f = xmalloc((size_t)(cols * rows) * sizeof *f);
    float a = sqrtf(3.0f / (float)cols);
    int64_t i;

    for (i = 0; i < cols * rows; i++) {
        if (o->bitnet) {
            uint64_t r = mk_next(s) % 3;

            f[i] = ((float)r - 1.0f) * a;
        } else {
            f[i] = mk_uniform(s) * a;
        }
    }
    mk_add(s, name, o->type, cols, rows, f);
}

/* A norm weight {n}: 1 plus a little noise, always F32. */
static void
mk_norm(mk_state *s, const char *name, int64_t n)
{
    float *f = xmalloc((size_t)n * sizeof *f);
    int64_t i;

    for (i = 0; i < n; i++)
        f[i] = 1.0f + 0.1f * mk_uniform(s);
    mk_add(s, name, QT_F32, n, 1, f);
}

/* The tokenizer: <unk> <s> </s>, 256 byte tokens, then "▁", "▁a", "a", ...
 * over a-z, A-Z, 0-9 while there is room, then <unused_N> padding. */
static void
mk_tokenizer(mk_state *s, const mk_opts *o)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char **tok = xcalloc((size_t)o->n_vocab, sizeof *tok);
    float *score = xcalloc((size_t)o->n_vocab, sizeof *score);
    int32_t *type = xcalloc((size_t)o->n_vocab, sizeof *type);
    int i, n = 0, k = 0;
    size_t c;

    tok[n] = xstrdup("<unk>"), type[n++] = 2;
    tok[n] = xstrdup("<s>"), type[n++] = 3;
    tok[n] = xstrdup("</s>"), type[n++] = 3;
    for (i = 0; i < 256; i++)
        tok[n] = xasprintf("<0x%02X>", i), type[n++] = 6;
    if (n < o->n_vocab)
        tok[n] = xstrdup("\xe2\x96\x81"), score[n] = (float)-(++k), type[n++] = 1;
    for (c = 0; c < sizeof chars - 1; c++) {
        if (n < o->n_vocab)
            tok[n] = xasprintf("\xe2\x96\x81%c", chars[c]), score[n] = (float)-(++k), type[n++] = 1;
        if (n < o->n_vocab)
            tok[n] = xasprintf("%c", chars[c]), score[n] = (float)-(++k), type[n++] = 1;
    }
    for (i = 0; n < o->n_vocab; i++)
        tok[n] = xasprintf("<unused_%d>", i), score[n] = -1e6f, type[n++] = 5;

    gguf_writer_set_str(s->w, "tokenizer.ggml.model", "llama");
    gguf_writer_set_arr_str(s->w, "tokenizer.ggml.tokens", (const char *const *)tok,
                            (uint64_t)n);
    gguf_writer_set_arr(s->w, "tokenizer.ggml.scores", GGUF_T_F32, score, (uint64_t)n);
    gguf_writer_set_arr(s->w, "tokenizer.ggml.token_type", GGUF_T_I32, type, (uint64_t)n);
    gguf_writer_set_u32(s->w, "tokenizer.ggml.bos_token_id", 1);
    gguf_writer_set_u32(s->w, "tokenizer.ggml.eos_token_id", 2);
    gguf_writer_set_u32(s->w, "tokenizer.ggml.unknown_token_id", 0);
    gguf_writer_set_bool(s->w, "tokenizer.ggml.add_bos_token", 1);
    gguf_writer_set_bool(s->w, "tokenizer.ggml.add_eos_token", 0);
    for (i = 0; i < n; i++)
        free(tok[i]);
    free(tok);
    free(score);
    free(type);
}

/* general.file_type (llama_ftype) of a matrix type. */
static unsigned
mk_file_type(int type)
{
    switch (type) {
    case QT_F16: return 1;
    case QT_Q4_0: return 2;
    case QT_Q8_0: return 7;
    case QT_BF16: return 32;
    case QT_TQ1_0: return 36;
    case QT_TQ2_0: return 37;
    default: return 0;
    }
}

static void
mk_write(const mk_opts *o)
{
    static const char *const lin[] = { "attn_q", "attn_k", "attn_v", "attn_output",
                                       "ffn_gate", "ffn_up", "ffn_down" };
    const char *arch = o->bitnet ? "bitnet" : "llama";
    int hd = o->n_embd / o->n_head, il, i;
    int64_t qd = (int64_t)o->n_head * hd, kvd = (int64_t)o->n_head_kv * hd;
    int64_t shape[7][2] = { { o->n_embd, qd }, { o->n_embd, kvd }, { o->n_embd, kvd },
                            { qd, o->n_embd }, { o->n_embd, o->n_ff }, { o->n_embd, o->n_ff },
                            { o->n_ff, o->n_embd } };
    mk_state s = { gguf_writer_new(), NULL, 0, o->seed, o->bitnet || o->tied };
    char key[128], name[GGUF_MAX_NAME], err[512];
    size_t b;

    gguf_writer_set_str(s.w, "general.architecture", arch);
    snprintf(key, sizeof key, "ternchat random %s", arch);
    gguf_writer_set_str(s.w, "general.name", key);
    gguf_writer_set_u32(s.w, "general.file_type", mk_file_type(o->type));
    if (o->type != QT_F32 && o->type != QT_F16 && o->type != QT_BF16)
        gguf_writer_set_u32(s.w, "general.quantization_version", 2);
#define MK_KEY(suffix) (snprintf(key, sizeof key, "%s.%s", arch, suffix), key)
    gguf_writer_set_u32(s.w, MK_KEY("context_length"), (uint32_t)o->ctx);
    gguf_writer_set_u32(s.w, MK_KEY("embedding_length"), (uint32_t)o->n_embd);
    gguf_writer_set_u32(s.w, MK_KEY("block_count"), (uint32_t)o->n_layer);
    gguf_writer_set_u32(s.w, MK_KEY("feed_forward_length"), (uint32_t)o->n_ff);
    gguf_writer_set_u32(s.w, MK_KEY("attention.head_count"), (uint32_t)o->n_head);
    gguf_writer_set_u32(s.w, MK_KEY("attention.head_count_kv"), (uint32_t)o->n_head_kv);
    gguf_writer_set_f32(s.w, MK_KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    gguf_writer_set_f32(s.w, MK_KEY("rope.freq_base"), 10000.0f);
    gguf_writer_set_u32(s.w, MK_KEY("rope.dimension_count"), (uint32_t)hd);
    gguf_writer_set_u32(s.w, MK_KEY("vocab_size"), (uint32_t)o->n_vocab);
    if (o->bitnet)
        gguf_writer_set_str(s.w, MK_KEY("hidden_activation"), o->relu2 ? "relu2" : "silu");
#undef MK_KEY
    mk_tokenizer(&s, o);

    mk_matrix(&s, o, "token_embd.weight", o->n_embd, o->n_vocab);
    mk_norm(&s, "output_norm.weight", o->n_embd);
    if (!o->bitnet && !o->tied)
        mk_matrix(&s, o, "output.weight", o->n_embd, o->n_vocab);
    for (il = 0; il < o->n_layer; il++) {
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", il);
        mk_norm(&s, name, o->n_embd);
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", il);
        mk_norm(&s, name, o->n_embd);
        if (o->bitnet) {
            snprintf(name, sizeof name, "blk.%d.attn_sub_norm.weight", il);
            mk_norm(&s, name, o->n_embd);
            snprintf(name, sizeof name, "blk.%d.ffn_sub_norm.weight", il);
            mk_norm(&s, name, o->n_ff);
        }
        for (i = 0; i < 7; i++) {
            snprintf(name, sizeof name, "blk.%d.%s.weight", il, lin[i]);
            mk_matrix(&s, o, name, shape[i][0], shape[i][1]);
            if (o->bitnet && o->scales) {
                float *f = xmalloc(sizeof *f);

                f[0] = 1.0f + 0.5f * mk_uniform(&s);
                snprintf(name, sizeof name, "blk.%d.%s.scale", il, lin[i]);
                mk_add(&s, name, QT_F32, 1, 1, f);
            }
        }
    }
    if (gguf_writer_write(s.w, o->out, err, sizeof err) < 0)
        mk_die(err);
    gguf_writer_free(s.w);
    for (b = 0; b < s.n_bufs; b++)
        free(s.bufs[b]);
    free(s.bufs);
}

static void
mk_usage(FILE *f)
{
    fprintf(f,
            "usage: ternchat-mkmodel [options] -o OUT.gguf\n"
            "Write a GGUF model with random weights and a tiny SPM tokenizer.\n"
            "  --arch llama|bitnet   architecture (llama)\n"
            "  --n-embd N            hidden size (64)\n"
            "  --n-layer N           blocks (2)\n"
            "  --n-head N            query heads (4)\n"
            "  --n-head-kv N         key/value heads (n-head)\n"
            "  --n-ff N              feed-forward size (192)\n"
            "  --n-vocab N           vocabulary size, >= 259 (320)\n"
            "  --ctx N               context_length (256)\n"
            "  --type TYPE           type of the weight matrices: f32 (default), f16,\n"
            "                        bf16, or q8_0, q4_0, tq2_0, tq1_0 with the\n"
            "                        per-tensor rules of `ternchat quantize`\n"
            "  --seed S              random seed (1)\n"
            "  --tied                llama: no output.weight (LM head = token_embd)\n"
            "  --scales              bitnet: write per-tensor .scale tensors\n"
            "  --act silu|relu2      bitnet: hidden_activation (silu)\n"
            "  -o, --output FILE     where to write\n");
}

/* A positive integer option no larger than max. */
static int
mk_int(const char *opt, const char *v, long max)
{
    char *end;
    long n = strtol(v, &end, 10);

    if (*v == '\0' || *end != '\0' || n < 1 || n > max) {
        fprintf(stderr, "ternchat-mkmodel: %s wants an integer in [1, %ld], got '%s'\n", opt,
                max, v);
        exit(2);
    }
    return (int)n;
}

int
main(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "arch", required_argument, NULL, 'a' },   { "n-embd", required_argument, NULL, 'e' },
        { "n-layer", required_argument, NULL, 'l' }, { "n-head", required_argument, NULL, 'H' },
        { "n-head-kv", required_argument, NULL, 'K' }, { "n-ff", required_argument, NULL, 'f' },
        { "n-vocab", required_argument, NULL, 'v' }, { "ctx", required_argument, NULL, 'c' },
        { "type", required_argument, NULL, 't' },   { "seed", required_argument, NULL, 's' },
        { "tied", no_argument, NULL, 'T' },          { "scales", no_argument, NULL, 'S' },
        { "act", required_argument, NULL, 'A' },     { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 }
    };
    mk_opts o = { 0, 64, 2, 4, 0, 192, 320, 256, QT_F32, 1, 0, 0, 0, NULL };
    int c;

    while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (strcmp(optarg, "llama") == 0)
                o.bitnet = 0;
            else if (strcmp(optarg, "bitnet") == 0)
                o.bitnet = 1;
            else
                mk_die("--arch wants llama or bitnet");
            break;
        case 'e': o.n_embd = mk_int("--n-embd", optarg, 65536); break;
        case 'l': o.n_layer = mk_int("--n-layer", optarg, 1024); break;
        case 'H': o.n_head = mk_int("--n-head", optarg, 4096); break;
        case 'K': o.n_head_kv = mk_int("--n-head-kv", optarg, 4096); break;
        case 'f': o.n_ff = mk_int("--n-ff", optarg, 262144); break;
        case 'v': o.n_vocab = mk_int("--n-vocab", optarg, 1 << 20); break;
        case 'c': o.ctx = mk_int("--ctx", optarg, 1 << 24); break;
        case 't':
            o.type = qtype_from_name(optarg);
            if (o.type < 0 || !model_quant_supported(o.type))
                mk_die("--type wants f32, f16, bf16, q8_0, q4_0, tq2_0 or tq1_0");
            break;
        case 's': {
            char *end;

            o.seed = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0')
                mk_die("--seed wants an unsigned integer");
            break;
        }
        case 'T': o.tied = 1; break;
        case 'S': o.scales = 1; break;
        case 'A':
            if (strcmp(optarg, "silu") == 0)
                o.relu2 = 0;
            else if (strcmp(optarg, "relu2") == 0)
                o.relu2 = 1;
            else
                mk_die("--act wants silu or relu2");
            break;
        case 'o': o.out = optarg; break;
        case 'h': mk_usage(stdout); return 0;
        default: mk_usage(stderr); return 2;
        }
    }
    if (optind != argc || o.out == NULL) {
        mk_usage(stderr);
        return 2;
    }
    if (o.n_head_kv == 0)
        o.n_head_kv = o.n_head;
    if (o.n_embd % o.n_head != 0 || (o.n_embd / o.n_head) % 2 != 0)
        mk_die("--n-head must divide --n-embd into an even head size");
    if (o.n_head % o.n_head_kv != 0)
        mk_die("--n-head-kv must divide --n-head");
    if (o.n_vocab < 259)
        mk_die("--n-vocab must be at least 259 (3 control + 256 byte tokens)");
    mk_write(&o);
    return 0;
}
