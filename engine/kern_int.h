/* kern_int.h: what the kernel files share, internal to the engine's
 * kern*.c files: the row products of each type and family, and the tiled
 * driver that the SIMD row products are built on. */
#ifndef TERNCHAT_KERN_INT_H
#define TERNCHAT_KERN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kern.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define KERN_X86 1
#else
#define KERN_X86 0
#endif

#define KERN_AVX2 __attribute__((target("avx2,fma,f16c")))
#define KERN_AVX512                                                                    \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,gfni")))

/* Row getters of the float types (kern_to_float_fn). */
void kern_f32_to_float(const void *src, float *dst, int64_t n);
void kern_f16_to_float(const void *src, float *dst, int64_t n);
void kern_bf16_to_float(const void *src, float *dst, int64_t n);

/* The row products, by type and family (kern_rows_fn). */
#define KERN_ROWS_DECL(name)                                                           \
    void name(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,   \
              const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
KERN_ROWS_DECL(kern_rows_f32_ref);
KERN_ROWS_DECL(kern_rows_f16_ref);
KERN_ROWS_DECL(kern_rows_bf16_ref);
KERN_ROWS_DECL(kern_rows_q8_0_ref);
KERN_ROWS_DECL(kern_rows_q4_0_ref);
KERN_ROWS_DECL(kern_rows_tq2_0_ref);
KERN_ROWS_DECL(kern_rows_tq1_0_ref);
KERN_ROWS_DECL(kern_rows_q4_k_ref);
KERN_ROWS_DECL(kern_rows_q6_k_ref);
#if KERN_X86
KERN_ROWS_DECL(kern_rows_f32_avx2);
KERN_ROWS_DECL(kern_rows_f16_avx2);
KERN_ROWS_DECL(kern_rows_bf16_avx2);
KERN_ROWS_DECL(kern_rows_q8_0_avx2);
KERN_ROWS_DECL(kern_rows_q4_0_avx2);
KERN_ROWS_DECL(kern_rows_tq2_0_avx2);
KERN_ROWS_DECL(kern_rows_tq1_0_avx2);
KERN_ROWS_DECL(kern_rows_q4_k_avx2);
KERN_ROWS_DECL(kern_rows_q6_k_avx2);
KERN_ROWS_DECL(kern_rows_q8_0_avx512);
KERN_ROWS_DECL(kern_rows_q4_0_avx512);
KERN_ROWS_DECL(kern_rows_tq2_0_avx512);
KERN_ROWS_DECL(kern_rows_tq1_0_avx512);
KERN_ROWS_DECL(kern_rows_q4_k_avx512);
KERN_ROWS_DECL(kern_rows_q6_k_avx512);
#endif

/* ---- the 16-row kernels' batch driver (kern_q8_vnni.c, kern_tq_vnni.c) ----
 * The tokens are taken in passes of about 4 MiB of activation rows; for
 * each pass, each tile of 16 rows of [r0, r1) (nv of them valid, the
 * others repeating the last) is transposed once into a 64-byte aligned
 * buffer of nb blocks of block_bytes (fill), then chunks of up to
 * KERN16_T tokens run over it (chunk, T of them). */
#define KERN16_R 16 /* rows per tile, one per vector lane */
#define KERN16_T 8  /* tokens per chunk */
typedef void (*kern16_fill_fn)(const void *w, size_t rb, int64_t r, int nv, int64_t nb,
                               void *ub);
typedef void (*kern16_chunk_fn)(const void *ub, int64_t nb, const void *x, size_t xs,
                                int64_t t, int64_t cols, float *y, int64_t ldy, int64_t r,
                                int nv, int T);
/* off[i]: byte offset of row i of a tile from its first row, rows past
 * the nv valid ones repeating the last (their lanes are computed, never
 * stored). */
static inline void
kern16_offsets(size_t rb, int nv, size_t *off)
{
    int i;

    for (i = 0; i < KERN16_R; i++)
        off[i] = (size_t)(i < nv ? i : nv - 1) * rb;
}

/* F(..., T) with the constant T equal to the run-time t (1..KERN16_T): the
 * kernels are inlined for each token count, their loops unrolled. */
#define KERN16_BY_T(t, F, ...)                                                           \
    do {                                                                                 \
        switch (t) {                                                                     \
        case 1: F(__VA_ARGS__, 1); break;                                                \
        case 2: F(__VA_ARGS__, 2); break;                                                \
        case 3: F(__VA_ARGS__, 3); break;                                                \
        case 4: F(__VA_ARGS__, 4); break;                                                \
        case 5: F(__VA_ARGS__, 5); break;                                                \
        case 6: F(__VA_ARGS__, 6); break;                                                \
        case 7: F(__VA_ARGS__, 7); break;                                                \
        default: F(__VA_ARGS__, KERN16_T); break;                                        \
        }                                                                                \
    } while (0)
void kern16_batch(kern16_fill_fn fill, kern16_chunk_fn chunk, size_t block_bytes, int64_t nb,
                  const void *w, size_t rb, int64_t r0, int64_t r1, int64_t cols,
                  const void *x, size_t xs, int64_t n, float *y, int64_t ldy);

/* ---- the tiled driver ----
 * Generation (one token): a tile of R weight rows walks the row in steps
 * (a block, or a pair of blocks), unpacks the R rows' weights of the step
 * into registers and multiplies them with the token; the weights ahead
 * are prefetched. Batches: the R rows are unpacked once, step by step,
 * into a buffer (L1/L2), then every chunk of up to 4 tokens of the batch
 * runs over them. Each (row, token) product has its own accumulator and
 * the same arithmetic in every shape, so results depend neither on the
 * shape used, nor on n, nor on the row range. */

/* Generation tile: rows [r, r+R) times token t. */
typedef void (*kern_tile_fn)(const char *w, size_t rb, int64_t r, const char *x, size_t xs,
                             int64_t t, int64_t cols, float *y, int64_t ldy);
/* Batch tile: rows [r, r+R) times tokens [t0, t1), with ub a buffer of
 * R * steps unpacked weights. */
typedef void (*kern_batch_fn)(const char *w, size_t rb, int64_t r, const char *x, size_t xs,
                              int64_t t0, int64_t t1, int64_t cols, float *y, int64_t ldy,
                              void *ub);

/* The tiles of one kernel. */
typedef struct kern_tiles {
    int gr;              /* rows of the generation tile */
    kern_tile_fn g;      /* gr rows x 1 token */
    kern_tile_fn g1;     /* 1 row x 1 token, for leftover rows */
    int br;              /* rows of the batch tile */
    kern_batch_fn b;     /* br rows x a token range */
    kern_batch_fn b1;    /* 1 row x a token range, for leftover rows */
    int step;            /* elements per step */
    size_t ubytes;       /* bytes of one row's unpacked step */
} kern_tiles;

/* Run a kernel's tiles over rows [r0, r1) and n tokens (kern_rows_fn
 * arguments). */
void kern_tiles_run(const kern_tiles *k, const void *w, size_t rb, int64_t r0, int64_t r1,
                    int64_t cols, const void *x, size_t xs, int64_t n, float *y, int64_t ldy);

/* How many rows ahead a tile of R rows prefetches: at least 6 KiB. */
static inline size_t
kern_prefetch_rows(size_t rb, int R)
{
    size_t n = (6144 + rb - 1) / rb;

    return n > (size_t)R ? n : (size_t)R;
}

/* A kernel is made of: U, the unpacked weights of one row and step; ACC,
 * the accumulator type (ZERO its zero, HSUM its reduction to a float);
 * NSTEP(cols), the number of steps; UNPACK(const char *row, int64_t step,
 * int64_t cols, U *u) and STEP(const U *u, const char *xrow, int64_t cols,
 * int64_t step, ACC *acc). */

/* Generation tile `name` of R rows, prefetching the rows after the tile
 * at the same step (rows are contiguous). */
#define KERN_GTILE(name, TARGET, U, ACC, ZERO, HSUM, NSTEP, UNPACK, STEP, R)                \
    TARGET static void                                                                      \
    name(const char *w, size_t rb, int64_t r, const char *x, size_t xs, int64_t t,         \
         int64_t cols, float *y, int64_t ldy)                                               \
    {                                                                                       \
        ACC acc[R];                                                                         \
        U u[R];                                                                             \
        const char *xt = x + (size_t)t * xs;                                                \
        int64_t ns = NSTEP(cols), s;                                                        \
        size_t sb = rb / (size_t)ns, ahead = kern_prefetch_rows(rb, R) * rb, off;          \
        int i;                                                                              \
                                                                                            \
        _Pragma("GCC unroll 8") for (i = 0; i < R; i++)                                     \
            acc[i] = ZERO;                                                                  \
        for (s = 0; s < ns; s++) {                                                          \
            _Pragma("GCC unroll 8") for (i = 0; i < R; i++) {                               \
                uintptr_t a = (uintptr_t)w + (size_t)(r + i) * rb + (size_t)s * sb + ahead; \
                                                                                            \
                for (off = 0; off < sb; off += 64)                                          \
                    __builtin_prefetch((const void *)(a + off), 0, 3);                      \
                __builtin_prefetch((const void *)(a + sb - 1), 0, 3);                       \
                UNPACK(w + (size_t)(r + i) * rb, s, cols, &u[i]);                           \
                STEP(&u[i], xt, cols, s, &acc[i]);                                          \
            }                                                                               \
        }                                                                                   \
        _Pragma("GCC unroll 8") for (i = 0; i < R; i++)                                     \
            y[t * ldy + r + i] = HSUM(acc[i]);                                              \
    }

/* Batch tile `name` of R rows: unpack all steps once into ub, then run
 * chunks of 4 tokens (and one of 1..3) over them. */
#define KERN_BTILE(name, TARGET, U, ACC, ZERO, HSUM, NSTEP, UNPACK, STEP, R)                \
    TARGET static inline __attribute__((always_inline)) void                                \
    name##_chunk(const U *ub, int64_t ns, const char *x, size_t xs, int64_t t, int64_t cols, \
                 float *y, int64_t ldy, int64_t r, const int T)                             \
    {                                                                                       \
        ACC acc[R][4];                                                                      \
        int64_t s;                                                                          \
        int i, j;                                                                           \
                                                                                            \
        _Pragma("GCC unroll 8") for (i = 0; i < R; i++)                                     \
            _Pragma("GCC unroll 8") for (j = 0; j < T; j++)                                 \
                acc[i][j] = ZERO;                                                           \
        for (s = 0; s < ns; s++)                                                            \
            _Pragma("GCC unroll 8") for (j = 0; j < T; j++)                                 \
                _Pragma("GCC unroll 8") for (i = 0; i < R; i++)                             \
                    STEP(&ub[s * R + i], x + (size_t)(t + j) * xs, cols, s, &acc[i][j]);    \
        _Pragma("GCC unroll 8") for (i = 0; i < R; i++)                                     \
            _Pragma("GCC unroll 8") for (j = 0; j < T; j++)                                 \
                y[(t + j) * ldy + r + i] = HSUM(acc[i][j]);                                 \
    }                                                                                       \
    TARGET static void                                                                      \
    name(const char *w, size_t rb, int64_t r, const char *x, size_t xs, int64_t t0,        \
         int64_t t1, int64_t cols, float *y, int64_t ldy, void *ubuf)                      \
    {                                                                                       \
        U *ub = ubuf;                                                                       \
        int64_t ns = NSTEP(cols), s, t;                                                     \
        int i;                                                                              \
                                                                                            \
        for (s = 0; s < ns; s++)                                                            \
            _Pragma("GCC unroll 8") for (i = 0; i < R; i++)                                 \
                UNPACK(w + (size_t)(r + i) * rb, s, cols, &ub[s * R + i]);                  \
        for (t = t0; t + 4 <= t1; t += 4)                                                   \
            name##_chunk(ub, ns, x, xs, t, cols, y, ldy, r, 4);                             \
        switch (t1 - t) {                                                                   \
        case 3:                                                                             \
            name##_chunk(ub, ns, x, xs, t, cols, y, ldy, r, 3);                             \
            break;                                                                          \
        case 2:                                                                             \
            name##_chunk(ub, ns, x, xs, t, cols, y, ldy, r, 2);                             \
            break;                                                                          \
        case 1:                                                                             \
            name##_chunk(ub, ns, x, xs, t, cols, y, ldy, r, 1);                             \
            break;                                                                          \
        default:                                                                            \
            break;                                                                          \
        }                                                                                   \
    }

/* A kernel's tiles: generation tile of GR rows, batch tile of BR rows,
 * their one-row versions; `name` (a kern_tiles) and `rows` (its
 * kern_rows_fn, declared above). SE: elements per step. */
#define KERN_TILES(rows, name, TARGET, U, ACC, ZERO, HSUM, NSTEP, UNPACK, STEP, SE, GR, BR)  \
    KERN_GTILE(name##_g, TARGET, U, ACC, ZERO, HSUM, NSTEP, UNPACK, STEP, GR)              \
    KERN_GTILE(name##_g1, TARGET, U, ACC, ZERO, HSUM, NSTEP, UNPACK, STEP, 1)              \
    KERN_BTILE(name##_b, TARGET, U, ACC, ZERO, HSUM, NSTEP, UNPACK, STEP, BR)              \
    KERN_BTILE(name##_b1, TARGET, U, ACC, ZERO, HSUM, NSTEP, UNPACK, STEP, 1)              \
    static const kern_tiles name = {                                                        \
        GR, name##_g, name##_g1, BR, name##_b, name##_b1, SE, sizeof(U)                     \
    };                                                                                      \
    KERN_ROWS_DECL(rows)                                                                    \
    {                                                                                       \
        kern_tiles_run(&name, w, row_bytes, r0, r1, cols, x, x_stride, n, y, ldy);          \
    }

#endif
