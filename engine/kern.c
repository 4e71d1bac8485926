/* kern.c: the kernel table, the run-time choice of the instruction-set
 * family, the tiled driver of the integer kernels, and the threaded matmul
 * (which quantizes the activations of the integer types once per batch). */
#include "config.h"

#include "kern.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kern_int.h"
#include "qtype.h"
#include "quant.h"
#include "xmalloc.h"

#if KERN_X86
#include <cpuid.h>
#define KERN_AVX2_FN(f) f
#define KERN_AVX512_FN(f) f
#else
#define KERN_AVX2_FN(f) NULL
#define KERN_AVX512_FN(f) NULL
#endif

/* ---- the table ---- */

static const kern_type kern_table[] = {
    { QT_F32, QT_F32, kern_f32_to_float,
      { kern_rows_f32_ref, KERN_AVX2_FN(kern_rows_f32_avx2), NULL } },
    { QT_F16, QT_F32, kern_f16_to_float,
      { kern_rows_f16_ref, KERN_AVX2_FN(kern_rows_f16_avx2), NULL } },
    { QT_BF16, QT_F32, kern_bf16_to_float,
      { kern_rows_bf16_ref, KERN_AVX2_FN(kern_rows_bf16_avx2), NULL } },
    { QT_Q8_0, QT_Q8_0, quant_dequant_q8_0,
      { kern_rows_q8_0_ref, KERN_AVX2_FN(kern_rows_q8_0_avx2),
        KERN_AVX512_FN(kern_rows_q8_0_avx512) } },
    { QT_Q4_0, QT_Q8_0, quant_dequant_q4_0,
      { kern_rows_q4_0_ref, KERN_AVX2_FN(kern_rows_q4_0_avx2),
        KERN_AVX512_FN(kern_rows_q4_0_avx512) } },
    { QT_TQ2_0, QT_Q8_K, quant_dequant_tq2_0,
      { kern_rows_tq2_0_ref, KERN_AVX2_FN(kern_rows_tq2_0_avx2),
        KERN_AVX512_FN(kern_rows_tq2_0_avx512) } },
    { QT_TQ1_0, QT_Q8_K, quant_dequant_tq1_0,
      { kern_rows_tq1_0_ref, KERN_AVX2_FN(kern_rows_tq1_0_avx2),
        KERN_AVX512_FN(kern_rows_tq1_0_avx512) } },
    { QT_Q4_K, QT_Q8_K, quant_dequant_q4_k,
      { kern_rows_q4_k_ref, KERN_AVX2_FN(kern_rows_q4_k_avx2),
        KERN_AVX512_FN(kern_rows_q4_k_avx512) } },
    { QT_Q6_K, QT_Q8_K, quant_dequant_q6_k,
      { kern_rows_q6_k_ref, KERN_AVX2_FN(kern_rows_q6_k_avx2),
        KERN_AVX512_FN(kern_rows_q6_k_avx512) } },
};

const kern_type *
kern_lookup(int type)
{
    size_t i;

    for (i = 0; i < sizeof kern_table / sizeof kern_table[0]; i++)
        if (kern_table[i].type == type)
            return &kern_table[i];
    return NULL;
}

/* ---- run-time selection ---- */

static pthread_once_t kern_once = PTHREAD_ONCE_INIT;
static int kern_isa_cur = KERN_ISA_SCALAR; /* family in use */

int
kern_isa_supported(int isa)
{
    switch (isa) {
    case KERN_ISA_SCALAR:
        return 1;
#if KERN_X86
    case KERN_ISA_AVX2: {
        unsigned a, b, c, d; /* F16C is cpuid leaf 1, ecx bit 29 (clang has no "f16c" name) */

        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
    }
    case KERN_ISA_AVX512:
        __builtin_cpu_init();
        return kern_isa_supported(KERN_ISA_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi") &&
               __builtin_cpu_supports("gfni");
#endif
    default:
        return 0;
    }
}

/* The best supported family not above isa. */
static int
kern_best_upto(int isa)
{
    if (isa >= KERN_ISA_COUNT)
        isa = KERN_ISA_COUNT - 1;
    while (isa > KERN_ISA_SCALAR && !kern_isa_supported(isa))
        isa--;
    return isa < 0 ? KERN_ISA_SCALAR : isa;
}

static void
kern_init(void)
{
    const char *e = getenv("TERNCHAT_KERNELS");
    int want = e != NULL ? kern_isa_from_name(e) : -1;

    kern_isa_cur = kern_best_upto(want >= 0 ? want : KERN_ISA_COUNT - 1);
}

int
kern_isa(void)
{
    pthread_once(&kern_once, kern_init);
    return kern_isa_cur;
}

int
kern_set_isa(int isa)
{
    pthread_once(&kern_once, kern_init);
    kern_isa_cur = kern_best_upto(isa);
    return kern_isa_cur;
}

const char *
kern_isa_name(int isa)
{
    switch (isa) {
    case KERN_ISA_SCALAR:
        return "scalar";
    case KERN_ISA_AVX2:
        return "avx2";
    case KERN_ISA_AVX512:
        return "avx512";
    default:
        return "?";
    }
}

int
kern_isa_from_name(const char *name)
{
    int isa;

    for (isa = 0; isa < KERN_ISA_COUNT; isa++)
        if (name != NULL && strcmp(name, kern_isa_name(isa)) == 0)
            return isa;
    return -1;
}

kern_rows_fn
kern_rows_for(const kern_type *kt)
{
    int isa = kern_isa();

    while (isa > KERN_ISA_SCALAR && kt->rows[isa] == NULL)
        isa--;
    return kt->rows[isa];
}

/* ---- the tiled driver ---- */

/* Tokens of a batch handled per pass over the rows: as many as `budget`
 * bytes of activation rows (xs bytes each), a multiple of `mult` (at least
 * one), at most n. The tiled driver keeps about 512 KiB in the L2 cache
 * while the weights stream by; the 16-row kernels let about 4 MiB stream
 * from L3 (each activation byte loaded serves 16 rows) so that a tile's
 * transposed weights stay in L2 and the transposing is spread over many
 * tokens. */
static int64_t
kern_token_block(size_t budget, int64_t mult, size_t xs, int64_t n)
{
    int64_t tb = (int64_t)(budget / (xs ? xs : 1));

    tb -= tb % mult;
    if (tb < mult)
        tb = mult;
    return tb < n ? tb : n;
}

void
kern_tiles_run(const kern_tiles *k, const void *w, size_t rb, int64_t r0, int64_t r1,
               int64_t cols, const void *x, size_t xs, int64_t n, float *y, int64_t ldy)
{
    const char *wc = w, *xc = x;
    int64_t r, t0, tb, ns;
    char *buf;
    void *ub;

    if (n == 1) {
        for (r = r0; r + k->gr <= r1; r += k->gr)
            k->g(wc, rb, r, xc, xs, 0, cols, y, ldy);
        for (; r < r1; r++)
            k->g1(wc, rb, r, xc, xs, 0, cols, y, ldy);
        return;
    }
    /* the unpacked weights of a row tile: bounded by the weights' size */
    ns = (cols + k->step - 1) / k->step;
    buf = xmalloc((size_t)ns * (size_t)k->br * k->ubytes + 63);
    ub = buf + ((64 - ((uintptr_t)buf & 63)) & 63);
    tb = kern_token_block(512u << 10, 4, xs, n);
    for (t0 = 0; t0 < n; t0 += tb) {
        int64_t t1 = t0 + tb < n ? t0 + tb : n;

        for (r = r0; r + k->br <= r1; r += k->br)
            k->b(wc, rb, r, xc, xs, t0, t1, cols, y, ldy, ub);
        for (; r < r1; r++)
            k->b1(wc, rb, r, xc, xs, t0, t1, cols, y, ldy, ub);
    }
    free(buf);
}

/* ---- the 16-row kernels' batch driver ---- */

void
kern16_batch(kern16_fill_fn fill, kern16_chunk_fn chunk, size_t block_bytes, int64_t nb,
             const void *w, size_t rb, int64_t r0, int64_t r1, int64_t cols, const void *x,
             size_t xs, int64_t n, float *y, int64_t ldy)
{
    int64_t tb = kern_token_block(4u << 20, KERN16_T, xs, n), t0, t, r;
    char *buf = xmalloc((size_t)nb * block_bytes + 63);
    void *ub = buf + ((64 - ((uintptr_t)buf & 63)) & 63);

    for (t0 = 0; t0 < n; t0 += tb) {
        int64_t t1 = t0 + tb < n ? t0 + tb : n;

        for (r = r0; r < r1; r += KERN16_R) {
            int nv = r1 - r < KERN16_R ? (int)(r1 - r) : KERN16_R;

            fill(w, rb, r, nv, nb, ub);
            for (t = t0; t < t1; t += KERN16_T)
                chunk(ub, nb, x, xs, t, cols, y, ldy, r, nv,
                      t1 - t < KERN16_T ? (int)(t1 - t) : KERN16_T);
        }
    }
    free(buf);
}

/* ---- entry points ---- */

void
kern_get_row(int type, const void *w, int64_t cols, int64_t row, float *out)
{
    const kern_type *kt = kern_lookup(type);
    size_t rb = qtype_row_bytes(type, cols);

    assert(kt != NULL);
    kt->to_float((const char *)w + (size_t)row * rb, out, cols);
}

/* One matmul, shared by the threads. */
struct kern_mm {
    kern_rows_fn fn;     /* row products to run */
    const void *w;       /* weights, row 0 */
    size_t row_bytes;    /* bytes per weight row */
    int64_t rows, cols;  /* W is rows x cols (cols: padded to whole blocks) */
    int64_t xcols;       /* elements of a float activation row (<= cols) */
    const float *xf;     /* float activations, n x xcols */
    int act_type;        /* format the products take */
    void *x;             /* activations in that format */
    size_t x_stride;     /* bytes per activation row */
    int64_t n;           /* activation rows */
    float *y;            /* output, n x rows */
};

static void
kern_mm_part(void *arg, int64_t begin, int64_t end, int thread)
{
    const struct kern_mm *mm = arg;

    (void)thread;
    mm->fn(mm->w, mm->row_bytes, begin, end, mm->cols, mm->x, mm->x_stride, mm->n, mm->y,
           mm->rows);
}

/* Quantize activation rows [begin, end). */
static void
kern_mm_quant(void *arg, int64_t begin, int64_t end, int thread)
{
    const struct kern_mm *mm = arg;
    float *pad = NULL;
    int64_t t;

    (void)thread;
    if (mm->xcols < mm->cols)
        pad = xcalloc((size_t)mm->cols, sizeof *pad); /* the tail stays zero */
    for (t = begin; t < end; t++) {
        const float *xt = mm->xf + t * mm->xcols;

        if (pad != NULL) {
            memcpy(pad, xt, (size_t)mm->xcols * sizeof *pad);
            xt = pad;
        }
        kern_quant_act(mm->act_type, xt, mm->cols, (char *)mm->x + (size_t)t * mm->x_stride);
    }
    free(pad);
}

int64_t
kern_padded_cols(int type, int64_t cols)
{
    int64_t b = (int64_t)qtype_block_elems(type);

    return b > 0 ? (cols + b - 1) / b * b : cols;
}

/* The products of a group, shared by the threads: an item is a row of one
 * of them, the products' rows one after the other. */
struct kern_mg {
    struct kern_mm mm[KERN_MULTI_MAX]; /* the products */
    int64_t start[KERN_MULTI_MAX + 1]; /* first item of each product; start[np] = all */
    int np;                            /* products */
};

static void
kern_mg_part(void *arg, int64_t begin, int64_t end, int thread)
{
    const struct kern_mg *g = arg;
    int i;

    for (i = 0; i < g->np; i++) {
        int64_t lo = begin > g->start[i] ? begin : g->start[i];
        int64_t hi = end < g->start[i + 1] ? end : g->start[i + 1];

        if (lo < hi)
            kern_mm_part((void *)(uintptr_t)&g->mm[i], lo - g->start[i], hi - g->start[i],
                         thread);
    }
}

void
kern_matmul_multi(pool *p, const kern_prod *pr, int np, int64_t cols, const float *x, int64_t n)
{
    struct kern_mg g;
    char *buf[KERN_MULTI_MAX] = { NULL };
    int i, j;

    assert(np >= 1 && np <= KERN_MULTI_MAX);
    g.np = np;
    g.start[0] = 0;
    for (i = 0; i < np; i++) {
        struct kern_mm *mm = &g.mm[i];
        const kern_type *kt = kern_lookup(pr[i].type);

        assert(kt != NULL);
        mm->fn = kern_rows_for(kt);
        mm->w = pr[i].w;
        mm->rows = pr[i].rows;
        mm->cols = kern_padded_cols(pr[i].type, cols);
        mm->xcols = cols;
        assert(mm->cols == cols || kt->act_type != QT_F32);
        mm->row_bytes = qtype_row_bytes(pr[i].type, mm->cols);
        mm->xf = x;
        mm->act_type = kt->act_type;
        mm->n = n;
        mm->y = pr[i].y;
        g.start[i + 1] = g.start[i] + mm->rows;
        if (kt->act_type == QT_F32) {
            mm->x = (void *)(uintptr_t)x;
            mm->x_stride = (size_t)cols * sizeof(float);
            continue;
        }
        /* an earlier product takes the same activation rows: share them */
        for (j = 0; j < i; j++)
            if (g.mm[j].act_type == mm->act_type && g.mm[j].cols == mm->cols)
                break;
        if (j < i) {
            mm->x = g.mm[j].x;
            mm->x_stride = g.mm[j].x_stride;
            continue;
        }
        /* n x cols is bounded by the caller's own float buffers */
        mm->x_stride = quant_act_row_bytes(kt->act_type, mm->cols);
        buf[i] = xmalloc(mm->x_stride * (size_t)n + 63);
        mm->x = buf[i] + ((64 - ((uintptr_t)buf[i] & 63)) & 63);
        if (n >= 4 && cols * n >= 65536)
            pool_run(p, kern_mm_quant, mm, n);
        else
            kern_mm_quant(mm, 0, n, 0);
    }
    /* Small products are not worth waking the workers for: below about
     * 128K multiply-adds the barrier costs more than the split saves
     * (measured on the shipped target, 2 threads: generation 7,800 ->
     * 10,800 tokens/s in tq2_0, 7,250 -> 7,650 in f16; a 1B model's
     * products are all far above it). */
    if (g.start[np] * cols * n < 131072)
        kern_mg_part(&g, 0, g.start[np], 0);
    else
        pool_run(p, kern_mg_part, &g, g.start[np]);
    for (i = 0; i < np; i++)
        free(buf[i]);
}

void
kern_matmul(pool *p, int type, const void *w, int64_t rows, int64_t cols,
            const float *x, int64_t n, float *y)
{
    kern_prod pr;

    pr.type = type;
    pr.w = w;
    pr.rows = rows;
    pr.y = y;
    kern_matmul_multi(p, &pr, 1, cols, x, n);
}
