/* model.h: llama and bitnet transformer models loaded from GGUF, and the
 * per-conversation state (KV cache) that a forward pass extends. */
#ifndef TERNCHAT_MODEL_H
#define TERNCHAT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

enum model_arch {
    MODEL_ARCH_LLAMA = 0,
    MODEL_ARCH_BITNET = 1
};

enum model_act {
    MODEL_ACT_SILU = 0,    /* silu(gate) * up */
    MODEL_ACT_RELU2 = 1    /* relu(gate)^2 * up */
};

enum model_rope {
    MODEL_ROPE_NORM = 0,   /* rotate adjacent pairs (x[2i], x[2i+1]) */
    MODEL_ROPE_NEOX = 1    /* rotate (x[i], x[i + n_rot/2]) */
};

/* Hyperparameters, read from "<arch>.*" metadata. */
typedef struct model_info {
    int arch;              /* enum model_arch */
    const char *arch_name; /* "llama" or "bitnet" */
    int n_vocab;           /* rows of token_embd */
    int n_embd;            /* hidden size */
    int n_layer;           /* transformer blocks */
    int n_head;            /* query heads */
    int n_head_kv;         /* key/value heads (grouped-query attention) */
    int head_dim;          /* dims per head (key_length) */
    int n_ff;              /* feed-forward hidden size */
    int n_rot;             /* dims rotated by RoPE (rope.dimension_count) */
    int n_ctx_train;       /* context_length from the file */
    float rope_base;       /* rope.freq_base (default 10000) */
    float rope_scale;      /* freq scale = 1/rope.scaling.factor (linear), 1 if none */
    int rope_type;         /* enum model_rope */
    float norm_eps;        /* attention.layer_norm_rms_epsilon */
    int act;               /* enum model_act */
    int tied_output;       /* LM head is token_embd */
    int weight_type;       /* type of most linear weights (enum qtype), for display */
    size_t weight_bytes;   /* bytes of all tensors */
} model_info;

typedef struct model model;
typedef struct model_ctx model_ctx;

/* Open and load a model file. Returns NULL with a one-line message in err. */
model *model_load(const char *path, char *err, size_t errsz);
/* Load from an open reader; the model takes ownership of g (also on failure). */
model *model_load_gguf(gguf *g, char *err, size_t errsz);
void model_free(model *m);
const model_info *model_get_info(const model *m);
/* The reader the model was loaded from (metadata such as the tokenizer). */
const gguf *model_gguf(const model *m);

/* A KV cache of n_ctx positions (0: the model's context_length, capped at
 * 4096 until the user asks for more). NULL with a message if it cannot be
 * allocated. */
model_ctx *model_ctx_new(model *m, int n_ctx, char *err, size_t errsz);
void model_ctx_free(model_ctx *c);
int model_ctx_n_ctx(const model_ctx *c);
/* Number of positions filled. */
int model_ctx_pos(const model_ctx *c);
/* Forget every position >= pos (0 <= pos <= model_ctx_pos()). */
void model_ctx_truncate(model_ctx *c, int pos);
/* Number of threads used by forward passes (default 1). */
void model_ctx_set_threads(model_ctx *c, int n_threads);

/* Run n tokens starting at the current position and append them to the
 * cache. logits: if all_logits, n rows of n_vocab floats, one per token;
 * else one row, for the last token; may be NULL. Returns 0, or -1 with a
 * message in err (token id out of range, context full) and the cache
 * unchanged. */
int model_forward(model_ctx *c, const int32_t *tokens, int n, float *logits,
                  int all_logits, char *err, size_t errsz);

#endif
