/* kern.h: compute kernels. A table with one entry per weight type holds
 * that type's functions: the row getter (dequantize one row to float) and
 * the row products (weight rows times activation rows), with a scalar
 * reference and, where written, a SIMD variant chosen at run time.
 * TERNCHAT_KERNELS=scalar in the environment forces the references. */
#ifndef TERNCHAT_KERN_H
#define TERNCHAT_KERN_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

/* Instruction-set families of the kernels. */
enum kern_isa {
    KERN_ISA_SCALAR = 0, /* portable C, the reference */
    KERN_ISA_AVX2 = 1,   /* x86-64 AVX2 + FMA + F16C */
    KERN_ISA_COUNT = 2
};

/* Dequantize n elements (whole blocks) of one row to float. */
typedef void (*kern_to_float_fn)(const void *src, float *dst, int64_t n);

/* Products of weight rows [r0, r1) with n activation rows:
 *     y[t * ldy + r] = sum_k W[r][k] * X[t][k]    for 0 <= t < n
 * w points at row 0 of W, whose rows are row_bytes apart; X row t starts
 * x_stride bytes after row t-1 (its format is the entry's act_type). Each
 * (r, t) product is computed the same way whatever n, r0 and r1 are, so a
 * batch gives the same bits as single rows. */
typedef void (*kern_rows_fn)(const void *w, size_t row_bytes, int64_t r0, int64_t r1,
                             int64_t cols, const void *x, size_t x_stride, int64_t n,
                             float *y, int64_t ldy);

/* One weight type's kernels. */
typedef struct kern_type {
    int type;                       /* enum qtype of the weights */
    int act_type;                   /* format of X the products take (QT_F32 for the float types) */
    kern_to_float_fn to_float;      /* row getter */
    kern_rows_fn rows[KERN_ISA_COUNT]; /* row products per enum kern_isa; NULL where none */
} kern_type;

/* The entry for a weight type, or NULL if it cannot be used yet. */
const kern_type *kern_lookup(int type);

/* Whether this CPU can run an instruction-set family. */
int kern_isa_supported(int isa);
/* The family in use: the best one supported, unless TERNCHAT_KERNELS=scalar
 * (read once) or kern_set_isa() said otherwise. */
int kern_isa(void);
/* Force a family (tests, benchmarks); falls back to scalar when the CPU lacks
 * it. Returns the family now in use. Not to be called during a matmul. */
int kern_set_isa(int isa);
/* "scalar", "avx2". */
const char *kern_isa_name(int isa);

/* Dequantize row `row` of a [rows][cols] matrix of the given type. */
void kern_get_row(int type, const void *w, int64_t cols, int64_t row, float *out);

/* Y (n x rows floats) = X (n x cols floats) times W^T, W being rows x cols
 * of the given type (which must have a kern_lookup() entry). Output rows are
 * split across the pool's threads (p may be NULL); results do not depend on
 * the number of threads. */
void kern_matmul(pool *p, int type, const void *w, int64_t rows, int64_t cols,
                 const float *x, int64_t n, float *y);

#endif
