/* test_kern.c: half/bfloat16 conversions against known bit patterns, each
 * kernel against a double-precision product and its SIMD variant against
 * the scalar reference on odd shapes, batch-vs-single bit equality, and the
 * thread pool (every item once, any thread count, same matmul bits). */
#include "config.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp16.h"
#include "kern.h"
#include "pool.h"
#include "qtype.h"
#include "tap.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

static float
bits_f(uint32_t u)
{
    float f;

    memcpy(&f, &u, 4);
    return f;
}

static uint32_t
f_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    return u;
}

/* ---- conversions ---- */

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("f16c"))) static uint16_t
hw_f32_to_f16(float f)
{
    return (uint16_t)_cvtss_sh(f, 0);
}
#endif

static void
test_fp16(void)
{
    static const struct { uint16_t h; uint32_t f; } dec[] = {
        { 0x3c00, 0x3f800000 }, /* 1 */
        { 0xc000, 0xc0000000 }, /* -2 */
        { 0x7bff, 0x477fe000 }, /* 65504, largest */
        { 0x0400, 0x38800000 }, /* 2^-14, smallest normal */
        { 0x0001, 0x33800000 }, /* 2^-24, smallest subnormal */
        { 0x03ff, 0x387fc000 }, /* largest subnormal */
        { 0x8001, 0xb3800000 }, /* -2^-24 */
        { 0x0000, 0x00000000 },
        { 0x8000, 0x80000000 }, /* -0 */
        { 0x7c00, 0x7f800000 }, /* inf */
        { 0xfc00, 0xff800000 }, /* -inf */
        { 0x3555, 0x3eaaa000 }, /* 0.333251953125 */
    };
    static const struct { uint32_t f; uint16_t h; const char *what; } enc[] = {
        { 0x3f800000, 0x3c00, "1" },
        { 0x3f801000, 0x3c00, "1 + 2^-11: tie, to even (down)" },
        { 0x3f803000, 0x3c02, "1 + 3*2^-11: tie, to even (up)" },
        { 0x3f801001, 0x3c01, "just above the tie: up" },
        { 0x477fe000, 0x7bff, "65504" },
        { 0x477fefff, 0x7bff, "just below 65520: 65504" },
        { 0x477ff000, 0x7c00, "65520: to inf" },
        { 0x4e6e6b28, 0x7c00, "1e9: inf" },
        { 0xff800000, 0xfc00, "-inf" },
        { 0x38800000, 0x0400, "2^-14" },
        { 0x387fc000, 0x03ff, "largest subnormal" },
        { 0x387fe000, 0x0400, "tie between largest subnormal and 2^-14: to even" },
        { 0x33800000, 0x0001, "2^-24" },
        { 0x33000000, 0x0000, "2^-25: tie, to even zero" },
        { 0x33000001, 0x0001, "just above 2^-25: 2^-24" },
        { 0x33c00000, 0x0002, "1.5*2^-24: tie, to even 2" },
        { 0x34200000, 0x0002, "2.5*2^-24: tie, to even 2" },
        { 0x32800000, 0x0000, "2^-26: zero" },
        { 0xb3000000, 0x8000, "-2^-25: -0" },
        { 0x00000001, 0x0000, "float subnormal: zero" },
        { 0x80000000, 0x8000, "-0" },
    };
    size_t i;
    uint32_t h, bad;

    for (i = 0; i < sizeof dec / sizeof dec[0]; i++)
        ok(f_bits(fp16_to_f32(dec[i].h)) == dec[i].f, "fp16_to_f32(0x%04x) = 0x%08x",
           dec[i].h, dec[i].f);
    for (i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        uint16_t got = f32_to_fp16(bits_f(enc[i].f));

        ok(got == enc[i].h, "f32_to_fp16: %s (0x%04x, got 0x%04x)", enc[i].what, enc[i].h, got);
    }
    ok(isnan(fp16_to_f32(0x7e00)) && isnan(fp16_to_f32(0xfd01)), "half NaNs decode to NaN");
    {
        uint16_t n1 = f32_to_fp16(NAN), n2 = f32_to_fp16(bits_f(0x7f800001));

        ok((n1 & 0x7c00) == 0x7c00 && (n1 & 0x3ff) != 0 && (n2 & 0x7c00) == 0x7c00 &&
           (n2 & 0x3ff) != 0, "NaN (quiet and signalling) encodes to a half NaN");
    }
    /* every half that is not NaN survives a round trip */
    bad = 0;
    for (h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            continue;
        if (f32_to_fp16(fp16_to_f32((uint16_t)h)) != h)
            bad++;
    }
    ok(bad == 0, "all 63488 non-NaN halves round-trip (%u bad)", bad);
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("f16c")) {
        uint64_t r = 1;

        bad = 0;
        for (i = 0; i < 2000000; i++) {
            uint32_t u;
            float f;

            r = r * 6364136223846793005ull + 1442695040888963407ull;
            u = (uint32_t)(r >> 32);
            /* half the samples near the half range, to hit rounding */
            if (i & 1)
                u = (u & 0x80ffffffu) | ((0x30u + (u >> 24) % 0x18u) << 24);
            f = bits_f(u);
            if (isnan(f))
                continue;
            if (f32_to_fp16(f) != hw_f32_to_f16(f))
                bad++;
        }
        ok(bad == 0, "f32_to_fp16 equals F16C on 2M random floats (%u differ)", bad);
    } else {
        skip("no F16C to compare with");
    }
#else
    skip("no F16C to compare with");
#endif
}

static void
test_bf16(void)
{
    ok(bf16_to_f32(0x3f80) == 1.0f && f_bits(bf16_to_f32(0xc049)) == 0xc0490000u,
       "bf16_to_f32 is a shift");
    ok(f32_to_bf16(1.0f) == 0x3f80, "f32_to_bf16(1) = 0x3f80");
    ok(f32_to_bf16(bits_f(0x3f808000)) == 0x3f80, "bf16: tie rounds to even (down)");
    ok(f32_to_bf16(bits_f(0x3f818000)) == 0x3f82, "bf16: tie rounds to even (up)");
    ok(f32_to_bf16(bits_f(0x3f808001)) == 0x3f81, "bf16: above the tie rounds up");
    ok(f32_to_bf16(bits_f(0x3f807fff)) == 0x3f80, "bf16: below the tie rounds down");
    ok(f32_to_bf16(bits_f(0x7f800000)) == 0x7f80 && f32_to_bf16(bits_f(0xff800000)) == 0xff80,
       "bf16: +-inf");
    ok(f32_to_bf16(bits_f(0x7f7fffff)) == 0x7f80, "bf16: FLT_MAX rounds to inf");
    ok(f32_to_bf16(bits_f(0x7fc00001)) == 0x7fc0, "bf16: quiet NaN -> 0x7fc0");
    ok(f32_to_bf16(bits_f(0x7f800001)) == 0x7fc0, "bf16: signalling NaN -> quiet (u>>16)|64");
    ok(f32_to_bf16(bits_f(0xff810000)) == 0xffc1, "bf16: negative NaN keeps sign and payload");
    ok(f32_to_bf16(bits_f(0x00018000)) == 0x0002 && f32_to_bf16(bits_f(0x00008000)) == 0x0000,
       "bf16: subnormals round to even, not flushed");
    ok(f32_to_bf16(bits_f(0x80000000)) == 0x8000, "bf16: -0");
}

/* ---- kernels ---- */

static uint64_t rng = 88172645463325252ull;

static float
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) * 0x1p-52 - 1.0);
}

/* Weights of a type from floats; w_exact gets the values actually stored. */
static void *
make_weights(int type, int64_t n, float *w_exact)
{
    void *w = malloc((size_t)n * (type == QT_F32 ? 4 : 2));
    int64_t i;

    for (i = 0; i < n; i++) {
        float f = rnd();

        if (type == QT_F32) {
            ((float *)w)[i] = f;
            w_exact[i] = f;
        } else if (type == QT_F16) {
            ((uint16_t *)w)[i] = f32_to_fp16(f);
            w_exact[i] = fp16_to_f32(((uint16_t *)w)[i]);
        } else {
            ((uint16_t *)w)[i] = f32_to_bf16(f);
            w_exact[i] = bf16_to_f32(((uint16_t *)w)[i]);
        }
    }
    return w;
}

static void
test_kernels(void)
{
    static const int types[] = { QT_F32, QT_F16, QT_BF16 };
    static const int shapes[][3] = { /* rows, cols, n */
        { 1, 1, 1 }, { 7, 13, 3 }, { 33, 67, 5 }, { 19, 259, 2 }, { 5, 1000, 1 },
        { 64, 128, 7 }, { 3, 31, 9 }, { 11, 40, 4 },
    };
    size_t ti, si;

    ok(kern_lookup(QT_Q8_0) != NULL && kern_lookup(QT_TQ2_0) != NULL &&
       kern_lookup(QT_Q5_0) == NULL && kern_lookup(QT_IQ2_XXS) == NULL,
       "kernels for the integer types read (see test_kern_quant), none for the others");
    for (ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        int type = types[ti];
        const kern_type *kt = kern_lookup(type);
        const char *tn = qtype_name(type);

        if (!ok(kt != NULL && kt->type == type && kt->act_type == QT_F32, "%s: table entry", tn))
            continue;
        for (si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            int rows = shapes[si][0], cols = shapes[si][1], n = shapes[si][2], isa;
            float *we = malloc((size_t)rows * cols * sizeof *we);
            void *w = make_weights(type, (int64_t)rows * cols, we);
            float *x = malloc((size_t)n * cols * sizeof *x);
            float *yref = malloc((size_t)n * rows * sizeof *yref);
            float *y = malloc((size_t)n * rows * sizeof *y);
            float *y1 = malloc((size_t)n * rows * sizeof *y1);
            float *row = malloc((size_t)cols * sizeof *row);
            size_t rb = qtype_row_bytes(type, cols);
            double worst = 0;
            int r, t, k, good;

            for (k = 0; k < n * cols; k++)
                x[k] = rnd();
            /* the row getter */
            good = 1;
            for (r = 0; r < rows; r++) {
                kern_get_row(type, w, cols, r, row);
                good &= memcmp(row, we + (size_t)r * cols, (size_t)cols * sizeof *row) == 0;
            }
            ok(good, "%s %dx%d: row getter", tn, rows, cols);

            /* scalar reference vs a double product */
            kt->rows[KERN_ISA_SCALAR](w, rb, 0, rows, cols, x, (size_t)cols * 4, n, yref, rows);
            for (t = 0; t < n; t++)
                for (r = 0; r < rows; r++) {
                    double s = 0, mag = 0, d;

                    for (k = 0; k < cols; k++) {
                        s += (double)we[(size_t)r * cols + k] * (double)x[(size_t)t * cols + k];
                        mag += fabs((double)we[(size_t)r * cols + k] * (double)x[(size_t)t * cols + k]);
                    }
                    d = fabs((double)yref[t * rows + r] - s) / (mag + 1e-30);
                    worst = d > worst ? d : worst;
                }
            ok(worst < 1e-5, "%s %dx%d n=%d: scalar ref within 1e-5 (relative) of double (%.2g)",
               tn, rows, cols, n, worst);

            for (isa = 0; isa < KERN_ISA_COUNT; isa++) {
                kern_rows_fn fn = kt->rows[isa];

                if (fn == NULL || !kern_isa_supported(isa))
                    continue;
                fn(w, rb, 0, rows, cols, x, (size_t)cols * 4, n, y, rows);
                if (isa != KERN_ISA_SCALAR) {
                    worst = 0;
                    for (k = 0; k < n * rows; k++) {
                        double d = fabs((double)y[k] - (double)yref[k]);

                        worst = d > worst ? d : worst;
                    }
                    ok(worst <= 1e-5 * sqrt((double)cols), "%s %dx%d n=%d: %s vs scalar (%.2g)",
                       tn, rows, cols, n, kern_isa_name(isa), worst);
                }
                /* batch vs single, and a row range split anywhere */
                for (t = 0; t < n; t++) {
                    int mid = rows / 3;

                    fn(w, rb, 0, mid, cols, x + (size_t)t * cols, 0, 1, y1 + (size_t)t * rows, rows);
                    fn(w, rb, mid, rows, cols, x + (size_t)t * cols, 0, 1, y1 + (size_t)t * rows,
                       rows);
                }
                ok(memcmp(y, y1, (size_t)n * rows * sizeof *y) == 0,
                   "%s %dx%d n=%d: %s batch == single, any row split", tn, rows, cols, n,
                   kern_isa_name(isa));
            }
            free(we);
            free(w);
            free(x);
            free(yref);
            free(y);
            free(y1);
            free(row);
        }
    }
}

/* kern_matmul through pools of 1..4 threads: same bits as without. */
static void
test_matmul_threads(void)
{
    int rows = 301, cols = 97, n = 5, th, type;

    for (type = 0; type < 3; type++) {
        int qt = type == 0 ? QT_F32 : type == 1 ? QT_F16 : QT_BF16;
        float *we = malloc((size_t)rows * cols * sizeof *we);
        void *w = make_weights(qt, (int64_t)rows * cols, we);
        float *x = malloc((size_t)n * cols * sizeof *x);
        float *y0 = malloc((size_t)n * rows * sizeof *y0), *y = malloc((size_t)n * rows * sizeof *y);
        int k;

        for (k = 0; k < n * cols; k++)
            x[k] = rnd();
        kern_matmul(NULL, qt, w, rows, cols, x, n, y0);
        for (th = 1; th <= 4; th++) {
            pool *p = pool_new(th);

            memset(y, 0, (size_t)n * rows * sizeof *y);
            kern_matmul(p, qt, w, rows, cols, x, n, y);
            ok(pool_n_threads(p) == th && memcmp(y, y0, (size_t)n * rows * sizeof *y) == 0,
               "%s matmul %dx%d n=%d with %d thread(s): same bits", qtype_name(qt), rows, cols,
               n, th);
            pool_free(p);
        }
        free(we);
        free(w);
        free(x);
        free(y0);
        free(y);
    }
}

/* ---- pool ---- */

/* Per-run record of which items ran on which thread. */
struct visit {
    atomic_int *count;  /* times each item was visited */
    atomic_int bad;     /* bad thread index or range seen */
    int n_threads;      /* pool size */
};

static void
visit_fn(void *arg, int64_t begin, int64_t end, int thread)
{
    struct visit *v = arg;
    int64_t i;

    if (thread < 0 || thread >= v->n_threads || begin >= end)
        atomic_fetch_add(&v->bad, 1);
    for (i = begin; i < end; i++)
        atomic_fetch_add(&v->count[i], 1);
}

static void
test_pool(void)
{
    static const int64_t sizes[] = { 0, 1, 2, 3, 7, 64, 1001 };
    int th;

    ok(pool_n_threads(NULL) == 1, "NULL pool: 1 thread");
    for (th = 0; th <= 5; th++) {
        pool *p = pool_new(th);
        int want = th < 1 ? 1 : th, good = 1, run;
        size_t si;

        ok(pool_n_threads(p) == want, "pool_new(%d): %d thread(s)", th, want);
        for (run = 0; run < 300; run++) {
            for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                int64_t n = sizes[si], i;
                struct visit v;

                v.count = calloc((size_t)n + 1, sizeof *v.count);
                atomic_init(&v.bad, 0);
                v.n_threads = want;
                pool_run(p, visit_fn, &v, n);
                for (i = 0; i < n; i++)
                    good &= atomic_load(&v.count[i]) == 1;
                good &= atomic_load(&v.bad) == 0;
                free(v.count);
            }
        }
        ok(good, "%d thread(s): 2100 runs, every item exactly once, valid thread ids", want);
        pool_free(p);
    }
    pool_free(NULL);
    ok(1, "pool_free(NULL) is a no-op");
}

/* TERNCHAT_KERNELS=scalar, read at the first use: checked in a child that
 * has not chosen yet. */
static void
test_env_override(void)
{
    static const char *const names[] = { "scalar", "avx2", "avx512", "bogus" };
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        int want = kern_isa_from_name(names[i]), st = 0;
        pid_t pid;

        /* the best supported family not above the one named (bogus: the best) */
        if (want < 0)
            want = KERN_ISA_COUNT - 1;
        while (want > 0 && !kern_isa_supported(want))
            want--;
        pid = fork();
        if (pid == 0) {
            setenv("TERNCHAT_KERNELS", names[i], 1);
            _exit(kern_isa() == want ? 0 : 1);
        }
        ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "TERNCHAT_KERNELS=%s selects %s", names[i], kern_isa_name(want));
    }
}

int
main(void)
{
    test_env_override();
    diag("kernels in use: %s", kern_isa_name(kern_isa()));
    ok(kern_set_isa(KERN_ISA_SCALAR) == KERN_ISA_SCALAR && kern_isa() == KERN_ISA_SCALAR,
       "kern_set_isa(scalar)");
    kern_set_isa(KERN_ISA_AVX2);
    ok(kern_isa() == (kern_isa_supported(KERN_ISA_AVX2) ? KERN_ISA_AVX2 : KERN_ISA_SCALAR),
       "kern_set_isa(avx2) falls back when unsupported");
    kern_set_isa(KERN_ISA_AVX512);
    ok(kern_isa() == (kern_isa_supported(KERN_ISA_AVX512) ? KERN_ISA_AVX512
                      : kern_isa_supported(KERN_ISA_AVX2) ? KERN_ISA_AVX2 : KERN_ISA_SCALAR),
       "kern_set_isa(avx512) falls back to the best family below when unsupported");
    ok(kern_isa_from_name("avx512") == KERN_ISA_AVX512 && kern_isa_from_name("avx2") == KERN_ISA_AVX2 &&
       kern_isa_from_name("scalar") == KERN_ISA_SCALAR && kern_isa_from_name("sse") == -1,
       "kern_isa_from_name");
    diag("this CPU: avx2 %s, avx512 (f, bw, vl, vnni, vbmi, gfni) %s",
         kern_isa_supported(KERN_ISA_AVX2) ? "yes" : "no",
         kern_isa_supported(KERN_ISA_AVX512) ? "yes" : "no");
    test_fp16();
    test_bf16();
    test_kernels();
    test_matmul_threads();
    test_pool();
    return done_testing();
}
