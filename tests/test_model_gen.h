/* test_model_gen.h: tiny random llama/bitnet models for the model tests,
 * written through the GGUF writer, with optional defects (a missing key or
 * tensor, a wrong shape or type) for the loader's rejection tests. The
 * weights are kept as exact doubles so that the tests' own reference
 * forward pass can use them. Test code only; shares nothing with engine/
 * beyond the public headers. */
#ifndef TERNCHAT_TEST_MODEL_GEN_H
#define TERNCHAT_TEST_MODEL_GEN_H

#include <stddef.h>
#include <stdint.h>

/* What to generate. Zero fields take defaults (see tm_spec_init). */
typedef struct tm_spec {
    const char *arch;        /* general.architecture ("llama", "bitnet", anything) */
    int n_embd;              /* hidden size */
    int n_layer;             /* blocks */
    int n_head;              /* query heads */
    int n_head_kv;           /* key/value heads */
    int n_ff;                /* feed-forward size */
    int n_vocab;             /* token_embd rows */
    int n_ctx;               /* context_length */
    int head_dim;            /* > 0: write attention.key_length/value_length = this */
    int value_length;        /* > 0: write value_length = this instead */
    int wtype;               /* enum qtype of the matrices (QT_F32/F16/BF16) */
    int biases;              /* llama: write all seven biases */
    int rope_freqs;          /* llama: write rope_freqs.weight */
    int tied;                /* llama: omit output.weight */
    int bitnet_output;       /* bitnet: write an output.weight (to be ignored) */
    int scales;              /* bitnet: write the .scale tensors */
    const char *act;         /* bitnet: hidden_activation, NULL to omit */
    double rope_base;        /* > 0: write rope.freq_base */
    const char *rope_type;   /* write rope.scaling.type */
    double rope_factor;      /* > 0: write rope.scaling.factor */
    int ff_array;            /* feed_forward_length as a per-layer array: 1 equal, 2 unequal */
    double eps;              /* rms epsilon */
    const char *omit_key;    /* defect: do not write this key */
    const char *omit_tensor; /* defect: do not write this tensor */
    const char *bad_shape;   /* defect: this tensor gets 8 more rows (or elements) */
    const char *bad_type;    /* defect: this tensor is written as Q5_0 (no kernels) */
} tm_spec;

/* One tensor: its exact values and the bytes written. */
typedef struct tm_tensor {
    char name[64];           /* tensor name */
    int type;                /* enum qtype written */
    int64_t ne0, ne1;        /* shape (ne1 = 1 for vectors) */
    double *v;               /* ne0 * ne1 exact values, row-major by ne1 */
    void *raw;               /* the encoded data */
    size_t nbytes;           /* bytes of raw */
} tm_tensor;

typedef struct tm_model {
    tm_spec s;               /* the spec, defaults filled */
    int hd;                  /* head size used */
    tm_tensor *t;            /* tensors in file order */
    int nt;                  /* number of tensors */
} tm_model;

/* Defaults: a small llama (or bitnet), f32, 2 layers. */
void tm_spec_init(tm_spec *s, const char *arch);
/* Generate the weights (deterministic for a seed). */
tm_model *tm_build(const tm_spec *s, uint64_t seed);
void tm_free(tm_model *m);
/* The tensor of that name, or NULL. */
const tm_tensor *tm_find(const tm_model *m, const char *name);
/* Write the GGUF file; 0 or -1 with a message. */
int tm_write(const tm_model *m, const char *path, char *err, size_t errsz);
/* Sum of the tensors' bytes. */
size_t tm_bytes(const tm_model *m);

/* A fresh temporary directory (NULL on failure), and its removal with the
 * files in it. */
char *tm_tmpdir(void);
void tm_rmdir(char *dir);

#endif
