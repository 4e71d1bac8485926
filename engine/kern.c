/* kern.c: the kernel table and the float weight types (F32, F16, BF16)
 * against float activations: scalar references and AVX2 variants, the row
 * getters, run-time selection of the variant, and the threaded matmul. */
#include "config.h"

#include "kern.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "qtype.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define KERN_X86 1
#include <immintrin.h>
#else
#define KERN_X86 0
#endif

/* ---- row getters ---- */

static void
kern_f32_to_float(const void *src, float *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

static void
kern_f16_to_float(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    int64_t i;

    for (i = 0; i < n; i++)
        dst[i] = fp16_to_f32(s[i]);
}

static void
kern_bf16_to_float(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    int64_t i;

    for (i = 0; i < n; i++)
        dst[i] = bf16_to_f32(s[i]);
}

/* ---- scalar references: one plain sum per product, in index order ---- */

static void
kern_rows_f32_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                  const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t r, t, k;

    for (r = r0; r < r1; r++) {
        const float *wr = (const float *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const float *xt = (const float *)((const char *)x + (size_t)t * x_stride);
            float s = 0.0f;

            for (k = 0; k < cols; k++)
                s += wr[k] * xt[k];
            y[t * ldy + r] = s;
        }
    }
}

static void
kern_rows_f16_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                  const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t r, t, k;

    for (r = r0; r < r1; r++) {
        const uint16_t *wr = (const uint16_t *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const float *xt = (const float *)((const char *)x + (size_t)t * x_stride);
            float s = 0.0f;

            for (k = 0; k < cols; k++)
                s += fp16_to_f32(wr[k]) * xt[k];
            y[t * ldy + r] = s;
        }
    }
}

static void
kern_rows_bf16_ref(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                   const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)
{
    int64_t r, t, k;

    for (r = r0; r < r1; r++) {
        const uint16_t *wr = (const uint16_t *)((const char *)w + (size_t)r * row_bytes);

        for (t = 0; t < n; t++) {
            const float *xt = (const float *)((const char *)x + (size_t)t * x_stride);
            float s = 0.0f;

            for (k = 0; k < cols; k++)
                s += bf16_to_f32(wr[k]) * xt[k];
            y[t * ldy + r] = s;
        }
    }
}

/* ---- AVX2 + FMA (+ F16C) ---- */

#if KERN_X86
#define KERN_AVX2 __attribute__((target("avx2,fma,f16c")))

/* Horizontal sum of the 8 lanes. */
KERN_AVX2 static inline float
kern_hsum_avx2(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);

    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

/* 8 bf16 values to 8 floats. */
KERN_AVX2 static inline __m256
kern_load_bf16_avx2(const uint16_t *p)
{
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));

    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

/* 8 halves to 8 floats. */
KERN_AVX2 static inline __m256
kern_load_f16_avx2(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* The dot products: four 8-lane accumulators over 32 elements a step, then
 * 8 at a time, then the scalar tail. WLOAD loads 8 weights as floats. */
#define KERN_DOT_AVX2(name, wtype, WLOAD, WSCALAR)                              \
    KERN_AVX2 static float                                                      \
    name(const wtype *w, const float *x, int64_t n)                             \
    {                                                                           \
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();             \
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();             \
        int64_t i = 0;                                                          \
        float s;                                                                \
                                                                                \
        for (; i + 32 <= n; i += 32) {                                          \
            s0 = _mm256_fmadd_ps(WLOAD(w + i), _mm256_loadu_ps(x + i), s0);      \
            s1 = _mm256_fmadd_ps(WLOAD(w + i + 8), _mm256_loadu_ps(x + i + 8), s1); \
            s2 = _mm256_fmadd_ps(WLOAD(w + i + 16), _mm256_loadu_ps(x + i + 16), s2); \
            s3 = _mm256_fmadd_ps(WLOAD(w + i + 24), _mm256_loadu_ps(x + i + 24), s3); \
        }                                                                       \
        for (; i + 8 <= n; i += 8)                                              \
            s0 = _mm256_fmadd_ps(WLOAD(w + i), _mm256_loadu_ps(x + i), s0);      \
        s = kern_hsum_avx2(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))); \
        for (; i < n; i++)                                                      \
            s += WSCALAR(w[i]) * x[i];                                          \
        return s;                                                               \
    }

#define KERN_ID(v) (v)
KERN_DOT_AVX2(kern_dot_f32_avx2, float, _mm256_loadu_ps, KERN_ID)
KERN_DOT_AVX2(kern_dot_f16_avx2, uint16_t, kern_load_f16_avx2, fp16_to_f32)
KERN_DOT_AVX2(kern_dot_bf16_avx2, uint16_t, kern_load_bf16_avx2, bf16_to_f32)

/* Row products from a dot function: each weight row is read once from
 * memory and reused from cache for every activation row. */
#define KERN_ROWS_AVX2(name, wtype, dot)                                        \
    KERN_AVX2 static void                                                       \
    name(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t cols, \
         const void *x, size_t x_stride, int64_t n, float *y, int64_t ldy)      \
    {                                                                           \
        int64_t r, t;                                                           \
                                                                                \
        for (r = r0; r < r1; r++) {                                             \
            const wtype *wr = (const wtype *)((const char *)w + (size_t)r * row_bytes); \
                                                                                \
            for (t = 0; t < n; t++)                                             \
                y[t * ldy + r] = dot(wr, (const float *)((const char *)x + (size_t)t * x_stride), cols); \
        }                                                                       \
    }

KERN_ROWS_AVX2(kern_rows_f32_avx2, float, kern_dot_f32_avx2)
KERN_ROWS_AVX2(kern_rows_f16_avx2, uint16_t, kern_dot_f16_avx2)
KERN_ROWS_AVX2(kern_rows_bf16_avx2, uint16_t, kern_dot_bf16_avx2)
#define KERN_AVX2_FN(f) f
#else
#define KERN_AVX2_FN(f) NULL
#endif

/* ---- the table ---- */

static const kern_type kern_table[] = {
    { QT_F32, QT_F32, kern_f32_to_float,
      { kern_rows_f32_ref, KERN_AVX2_FN(kern_rows_f32_avx2) } },
    { QT_F16, QT_F32, kern_f16_to_float,
      { kern_rows_f16_ref, KERN_AVX2_FN(kern_rows_f16_avx2) } },
    { QT_BF16, QT_F32, kern_bf16_to_float,
      { kern_rows_bf16_ref, KERN_AVX2_FN(kern_rows_bf16_avx2) } },
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
    case KERN_ISA_AVX2:
#if KERN_X86
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
#else
        return 0;
#endif
    default:
        return 0;
    }
}

static void
kern_init(void)
{
    const char *e = getenv("TERNCHAT_KERNELS");

    if (e != NULL && strcmp(e, "scalar") == 0)
        kern_isa_cur = KERN_ISA_SCALAR;
    else if (kern_isa_supported(KERN_ISA_AVX2))
        kern_isa_cur = KERN_ISA_AVX2;
    else
        kern_isa_cur = KERN_ISA_SCALAR;
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
    kern_isa_cur = kern_isa_supported(isa) ? isa : KERN_ISA_SCALAR;
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
    default:
        return "?";
    }
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
    int64_t rows, cols;  /* W is rows x cols */
    const float *x;      /* activations, n x cols */
    int64_t n;           /* activation rows */
    float *y;            /* output, n x rows */
};

static void
kern_mm_part(void *arg, int64_t begin, int64_t end, int thread)
{
    const struct kern_mm *mm = arg;

    (void)thread;
    mm->fn(mm->w, mm->row_bytes, begin, end, mm->cols, mm->x,
           (size_t)mm->cols * sizeof(float), mm->n, mm->y, mm->rows);
}

void
kern_matmul(pool *p, int type, const void *w, int64_t rows, int64_t cols,
            const float *x, int64_t n, float *y)
{
    const kern_type *kt = kern_lookup(type);
    struct kern_mm mm;
    int isa = kern_isa();

    assert(kt != NULL);
    /* quantized activations come with the quantized weight types */
    assert(kt->act_type == QT_F32);
    mm.fn = kt->rows[isa] != NULL ? kt->rows[isa] : kt->rows[KERN_ISA_SCALAR];
    mm.w = w;
    mm.row_bytes = qtype_row_bytes(type, cols);
    mm.rows = rows;
    mm.cols = cols;
    mm.x = x;
    mm.n = n;
    mm.y = y;
    /* tiny products are not worth waking the workers for */
    if (rows * cols * n < 16384)
        kern_mm_part(&mm, 0, rows, 0);
    else
        pool_run(p, kern_mm_part, &mm, rows);
}
