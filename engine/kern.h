/* kern.h: compute kernels. A table with one entry per weight type holds
 * that type's functions: the row getter (dequantize one row to float) and
 * the row products (weight rows times activation rows), with a scalar
 * reference and SIMD variants (AVX2, AVX-512) chosen at run time from
 * CPUID; the binary itself only assumes baseline x86-64.
 *
 * Weight types: F32, F16, BF16 (float activations); Q8_0, Q4_0 (Q8_0
 * activations); Q4_K, Q6_K, TQ1_0, TQ2_0 (Q8_K activations; the int8
 * activation rows are described in quant.h). kern_matmul quantizes the
 * activations itself.
 *
 * TERNCHAT_KERNELS=scalar|avx2|avx512 in the environment (read once, at
 * the first use) caps the family used: the best one the CPU supports that
 * is not above the one named. */
#ifndef TERNCHAT_KERN_H
#define TERNCHAT_KERN_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

/* Instruction-set families of the kernels. */
enum kern_isa {
    KERN_ISA_SCALAR = 0, /* portable C, the reference */
    KERN_ISA_AVX2 = 1,   /* x86-64 AVX2 + FMA + F16C */
    KERN_ISA_AVX512 = 2, /* AVX2's + AVX-512 F, BW, VL, VNNI, VBMI, GFNI (Ice Lake, Zen 4 and later) */
    KERN_ISA_COUNT = 3
};

/* Dequantize n elements (whole blocks) of one row to float. */
typedef void (*kern_to_float_fn)(const void *src, float *dst, int64_t n);

/* Products of weight rows [r0, r1) with n activation rows:
 *     y[t * ldy + r] = sum_k W[r][k] * X[t][k]    for 0 <= t < n
 * w points at row 0 of W, whose rows are row_bytes apart; X row t starts
 * x_stride bytes after row t-1 (its format is the entry's act_type; rows
 * at least 4-byte aligned, kern_matmul aligns them to 64). Each (r, t)
 * product is computed the same way whatever n, r0 and r1 are, so a batch
 * gives the same bits as single rows. The integer kernels unpack each
 * weight block once per pass over the batch (a pass takes as many tokens
 * as fit in 512 KiB of activation rows, a few hundred) and multiply it with
 * every token of the pass. */
typedef void (*kern_rows_fn)(const void *w, size_t row_bytes, int64_t r0, int64_t r1,
                             int64_t cols, const void *x, size_t x_stride, int64_t n,
                             float *y, int64_t ldy);

/* One weight type's kernels. */
typedef struct kern_type {
    int type;                       /* enum qtype of the weights */
    int act_type;                   /* format of X the products take: QT_F32, QT_Q8_0 or QT_Q8_K */
    kern_to_float_fn to_float;      /* row getter */
    kern_rows_fn rows[KERN_ISA_COUNT]; /* row products per enum kern_isa; NULL where none */
} kern_type;

/* The entry for a weight type, or NULL if it cannot be used yet. */
const kern_type *kern_lookup(int type);

/* Whether this CPU can run an instruction-set family. */
int kern_isa_supported(int isa);
/* The family in use: the best one supported, unless TERNCHAT_KERNELS (read
 * once) or kern_set_isa() said otherwise. */
int kern_isa(void);
/* Force a family (tests, benchmarks); falls back to the best supported one
 * below it when the CPU lacks it. Returns the family now in use. Not to be
 * called during a matmul. */
int kern_set_isa(int isa);
/* "scalar", "avx2", "avx512". */
const char *kern_isa_name(int isa);
/* The family of a name, or -1. */
int kern_isa_from_name(const char *name);
/* The row products a matmul of this entry runs with the family in use
 * (that family's, or the best below it that the entry has). */
kern_rows_fn kern_rows_for(const kern_type *kt);

/* Quantize one activation row of n floats for the integer kernels
 * (act_type QT_Q8_0 or QT_Q8_K, formats in quant.h) with the family in use:
 * the same bytes as quant_act_row(), faster. */
void kern_quant_act(int act_type, const float *x, int64_t n, void *dst);

/* Dequantize row `row` of a [rows][cols] matrix of the given type. */
void kern_get_row(int type, const void *w, int64_t cols, int64_t row, float *out);

/* Y (n x rows floats) = X (n x cols floats) times W^T, W being rows x cols
 * of the given type (which must have a kern_lookup() entry). For the
 * integer types X is first quantized, once for the batch, to the entry's
 * act_type. Output rows are split across the pool's threads (p may be
 * NULL); results do not depend on the number of threads. When cols is not
 * a multiple of the type's block (integer types only), each row of W is
 * stored padded with zeros to the next whole block (kern_padded_cols), as
 * the in-memory ternary weights of narrow models are, and X is padded
 * with zeros the same way: the result equals that of the padded product. */
int64_t kern_padded_cols(int type, int64_t cols);
void kern_matmul(pool *p, int type, const void *w, int64_t rows, int64_t cols,
                 const float *x, int64_t n, float *y);

/* One product of a group for kern_matmul_multi: Y (n x rows) = X W^T. */
typedef struct kern_prod {
    int type;        /* weight type (with a kern_lookup() entry) */
    const void *w;   /* weights, rows x cols */
    int64_t rows;    /* rows of W: the output size */
    float *y;        /* output, n x rows floats */
} kern_prod;

/* Most products in one group. */
#define KERN_MULTI_MAX 4

/* Up to KERN_MULTI_MAX products of the same X (n x cols floats), such as
 * a layer's query, key and value maps: X is quantized once per activation
 * format, and the rows of all the products are split across the threads
 * in one run (one barrier). Each result has the bits kern_matmul gives. */
void kern_matmul_multi(pool *p, const kern_prod *pr, int np, int64_t cols, const float *x,
                       int64_t n);

#endif
