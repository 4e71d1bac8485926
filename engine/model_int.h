/* model_int.h: the loaded model's layout, shared by the loader
 * (model_load.c) and the forward pass (model.c). Internal to the engine:
 * nothing outside those two files includes it. */
#ifndef TERNCHAT_MODEL_INT_H
#define TERNCHAT_MODEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"
#include "model.h"

/* A weight matrix in the file mapping: rows x cols of a kern type. */
typedef struct model_mat {
    const void *data;   /* row 0, inside the mapping */
    int type;           /* enum qtype */
    int64_t rows;       /* output features (ne[1]) */
    int64_t cols;       /* input features (ne[0]) */
} model_mat;

/* The linear maps of a block, in the order of model_layer.lin. */
enum model_lin {
    MODEL_LIN_Q = 0,
    MODEL_LIN_K,
    MODEL_LIN_V,
    MODEL_LIN_O,
    MODEL_LIN_GATE,
    MODEL_LIN_UP,
    MODEL_LIN_DOWN,
    MODEL_LIN_COUNT
};

/* One transformer block. Vectors are owned float copies. */
typedef struct model_layer {
    float *attn_norm;                  /* {n_embd} */
    float *attn_sub_norm;              /* bitnet: {n_embd}, else NULL */
    float *ffn_norm;                   /* {n_embd} */
    float *ffn_sub_norm;               /* bitnet: {n_ff}, else NULL */
    model_mat lin[MODEL_LIN_COUNT];    /* q, k, v, o, gate, up, down */
    float *bias[MODEL_LIN_COUNT];      /* llama: optional biases, NULL if absent */
    float scale[MODEL_LIN_COUNT];      /* bitnet: .scale values, 1 if absent */
    int has_scale[MODEL_LIN_COUNT];    /* whether the .scale tensor exists */
} model_layer;

struct model {
    gguf *g;               /* the reader (owns the mapping) */
    model_info info;       /* hyperparameters */
    model_mat tok_embd;    /* {n_embd, n_vocab} */
    model_mat output;      /* LM head: output.weight or tok_embd */
    float *output_norm;    /* {n_embd} */
    float *rope_factors;   /* rope_freqs.weight {n_rot/2}, or NULL */
    double *inv_freq;      /* {n_rot/2}: freq_scale * base^(-2i/n_rot) / factor[i] */
    model_layer *layers;   /* n_layer blocks */
    model_mat *orig;       /* the matrices as loaded, never changed (model_requant.c):
                            * n_layer * MODEL_LIN_COUNT block maps, token_embd, output */
    int n_orig;            /* entries in orig */
    model_weights *cur;    /* the re-quantized set in use, NULL: the loaded weights */
    int orig_type;         /* weight_type as loaded */
    size_t orig_bytes;     /* weight_bytes as loaded */
};

/* Names of the linear maps in tensor names ("attn_q"...). */
extern const char *const model_lin_names[MODEL_LIN_COUNT];

/* model_attn.c: attention of nq query heads that share a key/value head
 * (q: nq heads of hd floats, one after the other) over npos cached
 * positions (key and value rows kvd floats apart, starting at k and v):
 * s gets each head's npos softmax weights (scratch, nq * npos floats), out
 * the nq * hd-float results. Each head's result is the same, bit for bit,
 * whether it is computed alone or with others. */
typedef void (*model_attn_fn)(const float *q, int nq, const float *k, const float *v,
                              int64_t kvd, int npos, int hd, float scale, float *s, float *out);
/* The scalar reference. */
void model_attn_head_ref(const float *q, int nq, const float *k, const float *v, int64_t kvd,
                         int npos, int hd, float scale, float *s, float *out);
/* The variant for the kernels' instruction-set family in use (kern_isa()). */
model_attn_fn model_attn_pick(void);

/* model_act.c: the feed-forward gate, g[i] = act(g[i]) * u[i] for i < n,
 * act MODEL_ACT_SILU or MODEL_ACT_RELU2. */
typedef void (*model_glu_fn)(float *g, const float *u, int64_t n, int act);
/* The scalar reference. */
void model_glu_ref(float *g, const float *u, int64_t n, int act);
/* The variant for the kernels' instruction-set family in use. */
model_glu_fn model_glu_pick(void);

/* model_requant.c: record the loaded matrices in orig (at the end of
 * loading), and release orig and any re-quantized set (model_free). */
void model_weights_init(model *m);
void model_weights_fini(model *m);
/* The type shown for a model: the most common among the blocks' maps. */
int model_main_type(const model *m);

#endif
