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

/* ---- re-quantization (model_requant.c) ----
 * A model keeps the matrices it was loaded with. A weight set holds its
 * block maps, token_embd and LM head converted to another type, built from
 * those original weights (so switching f16 -> tq2_0 -> q8_0 never compounds
 * errors); installing one is a pointer swap, and going back to the loaded
 * weights is free. `ternchat quantize` writes files with the same rules and
 * the same converter, so a file quantized offline gives the same logits.
 *
 * The type each tensor gets for a target type T (model_quant_pick):
 *   - 1-D tensors (norms, biases, .scale, rope_freqs) keep their type;
 *   - f32, f16, bf16: every matrix becomes T;
 *   - q8_0: every matrix q8_0;
 *   - q4_0: block maps and token_embd q4_0, the LM head q8_0 (llama.cpp
 *     uses q6_k there; this build has no K-quant quantizer);
 *   - tq1_0, tq2_0: block maps T; token_embd and the LM head q8_0 (llama.cpp
 *     uses q4_k and q6_k; a 2-bit LM head, tied or not, wrecks quality, and
 *     this build has no K-quant quantizer);
 *   - a row length that is not a multiple of the chosen type's block falls
 *     back to q8_0 when it is a multiple of 32, else f16 (llama.cpp uses
 *     q4_0 for the ternary types). */

/* What a tensor is, for the choice of its type. */
enum model_qrole {
    MODEL_QROLE_KEEP = 0,   /* not quantized (1-D, norms, biases, scales) */
    MODEL_QROLE_LINEAR = 1, /* a block's linear map */
    MODEL_QROLE_EMBD = 2,   /* token_embd with a separate LM head */
    MODEL_QROLE_OUTPUT = 3  /* the LM head: output.weight, or token_embd when tied */
};

typedef struct model_weights model_weights;

/* Whether type is a target of re-quantization / `ternchat quantize`
 * (f32, f16, bf16, q8_0, q4_0, tq1_0, tq2_0). */
int model_quant_supported(int type);
/* "f16, bf16, f32, q8_0, q4_0, tq2_0, tq1_0", for messages. */
const char *model_quant_supported_names(void);
/* The role of a tensor of a file from its name and dimensions; tied: the
 * file has no output.weight (token_embd is the LM head). */
int model_quant_role(const char *name, int n_dims, int tied);
/* The type a tensor of role role, src_type and row length ne0 gets for the
 * target type (rules above). */
int model_quant_pick(int role, int target, int64_t ne0, int src_type);
/* Convert rows x cols of src_type (anything kern_get_row reads) at src to
 * dst_type at dst (rows * qtype_row_bytes(dst_type, cols) bytes); opt picks
 * the least-squares ternary quantizer. Rows are split over n_threads
 * threads (<= 1: the caller alone). Returns 0, or -1 if dst_type cannot be
 * produced or cols is not a multiple of its block. */
int model_quant_convert(int src_type, const void *src, int dst_type, int opt, void *dst,
                        int64_t rows, int64_t cols, int n_threads);

/* Progress of model_weights_build: done in [0, 1]. Return nonzero to stop. */
typedef int (*model_progress_fn)(void *ud, double done);

/* Build m's matrices converted to type (model_quant_supported) from the
 * loaded weights, with n_threads threads. Reads only what never changes,
 * so it may run in another thread while forward passes use m. Returns the
 * set, or NULL with a message (unsupported type, stopped by progress). A
 * request for the loaded type gives an empty set (installing it means the
 * loaded weights, read in place from the file's mapping), or, for weights
 * of MODEL_COPY_MIN bytes or more, a copy of them in memory backed by
 * 2 MiB pages where the system offers them (generation reads every weight
 * once per token: measured 27 -> 37 tokens/s on a 1.1 GB q8_0 model). */
#define MODEL_COPY_MIN ((size_t)64 << 20)
model_weights *model_weights_build(const model *m, int type, int opt, int n_threads,
                                   model_progress_fn progress, void *ud, char *err,
                                   size_t errsz);
void model_weights_free(model_weights *w);
/* The target type it was built for. */
int model_weights_type(const model_weights *w);
/* Bytes of its own buffers (matrices sharing the loaded data count 0). */
size_t model_weights_bytes(const model_weights *w);
/* "" or a note on fallbacks ("2 matrices with rows of 96 elements kept as
 * q8_0"); stays valid until the set is freed. */
const char *model_weights_note(const model_weights *w);
/* Install w (NULL, or a set built for the loaded type: the loaded weights)
 * in m, updating model_info's weight_type and weight_bytes; no forward pass
 * on m may run meanwhile. Returns the set it replaces (NULL: it was the
 * loaded weights), which the caller frees once nothing uses it. */
model_weights *model_weights_swap(model *m, model_weights *w);
/* After loading: for weights of MODEL_COPY_MIN bytes or more, install the
 * copy described at model_weights_build. 0, or -1 when memory ran short
 * (the weights stay in the mapping). */
int model_weights_copy_in(model *m);
/* The type shown for the loaded weights. */
int model_loaded_type(const model *m);
/* Bytes of weights one generated token reads: every block map and the LM
 * head (the token_embd row is not counted). */
size_t model_token_bytes(const model *m);
/* Multiply-adds per token in the block maps and the LM head (the LM head
 * counted once: prompt passes compute logits for the last token only). */
int64_t model_token_macs(const model *m, int with_head);
/* Bytes of all re-quantized sets alive in the process (a counter for tests). */
size_t model_weights_live_bytes(void);

#endif
