/* test_quant.c: the reference quantizers against bytes worked out by hand
 * from llama.cpp's published algorithms (Q8_0, Q4_0, TQ2_0, TQ1_0, and the
 * int8 activation rows), the dequantizers of Q4_K and Q6_K on hand-derived
 * elements, dequant(quant(x)) error bounds, and the least-squares ternary
 * quantizer (exact on ternary blocks, never worse than absmax). */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "qtype.h"
#include "quant.h"
#include "tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* Standard normal (Box-Muller on a xorshift). */
static double
gauss(void)
{
    double u, v;

    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    u = ((double)(rng >> 11) + 0.5) * 0x1p-53;
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    v = (double)(rng >> 11) * 0x1p-53;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static int
bytes_eq(const void *got, const void *want, size_t n, const char *what)
{
    const uint8_t *g = got, *w = want;
    size_t i;

    for (i = 0; i < n; i++) {
        if (g[i] != w[i]) {
            ok(0, "%s", what);
            diag("  byte %zu: got 0x%02x, want 0x%02x", i, g[i], w[i]);
            return 0;
        }
    }
    return ok(1, "%s", what);
}

/* ---- Q8_0 ---- */

static void
test_q8_0(void)
{
    float x[4 * 32];
    uint8_t want[4 * 34], got[4 * 34];
    int j;

    memset(x, 0, sizeof x);
    memset(want, 0, sizeof want);
    /* block 0: amax 127, so d = 1 and q = roundf(x) (half away from zero) */
    {
        static const float v[8] = { 127, -127, 2.5f, -2.5f, 0.49f, -0.5f, 1.5f, -0.51f };
        static const int8_t q[8] = { 127, -127, 3, -3, 0, -1, 2, -1 };

        for (j = 0; j < 8; j++) {
            x[j] = v[j];
            want[2 + j] = (uint8_t)q[j];
        }
        want[0] = 0x00; /* d = 1.0 = half 0x3c00, little-endian */
        want[1] = 0x3c;
    }
    /* block 1: amax 63.5, so d = 0.5 (0x3800) and q = roundf(2x): 0.25
     * steps give ties */
    for (j = 0; j < 32; j++) {
        x[32 + j] = (float)(j - 16) * 0.25f; /* -4 .. 3.75 */
        want[34 + 2 + j] = (uint8_t)(int8_t)((j - 16) / 2 + ((j - 16) % 2 ? ((j - 16) < 0 ? -1 : 1) : 0));
    }
    x[32 + 31] = 63.5f;
    want[34 + 2 + 31] = 127;
    want[34] = 0x00;
    want[35] = 0x38;
    /* block 2: all zero: d = 0, q = 0 (already zero) */
    /* block 3: amax 1: d = 1/127 is not a half; the quants use the
     * unrounded d (id = 1/d = 127 exactly in float), the stored half is
     * 0x2008 (1.0078125 * 2^-7). 51861/65536 * 127 = 100.49968 rounds to
     * 100, where the rounded d would give 100.5057 -> 101. */
    x[96] = 1.0f;
    x[97] = 51861.0f / 65536.0f;
    x[98] = -0.5f;     /* -63.5 -> -64 */
    x[99] = 0.25f;     /* 31.75 -> 32 */
    want[102 + 2 + 0] = 127;
    want[102 + 2 + 1] = 100;
    want[102 + 2 + 2] = (uint8_t)(int8_t)-64;
    want[102 + 2 + 3] = 32;
    want[102] = 0x08;
    want[103] = 0x20;
    quant_row_q8_0(x, got, 4 * 32);
    bytes_eq(got, want, sizeof want, "q8_0: 4 blocks match the hand-derived bytes "
             "(roundf ties, unrounded d, zero block)");
}

/* ---- Q4_0 ---- */

static void
test_q4_0(void)
{
    float x[64];
    uint8_t want[36], got[36];
    int j;

    memset(x, 0, sizeof x);
    /* block 0: the signed max is -4: d = -4/-8 = 0.5 (0x3800), id = 2,
     * q = min(15, (int8_t)(2x + 8.5)); zeros give 8 */
    x[0] = -4.0f;   /* 0.5 -> 0 */
    x[1] = 3.5f;    /* 15.5 -> 15 */
    x[2] = 1.25f;   /* 11 -> 11 */
    x[3] = -0.3f;   /* 7.9 -> 7 */
    x[16] = 2.0f;   /* 12.5 -> 12 */
    x[17] = -1.0f;  /* 6.5 -> 6 */
    /* block 1: the signed max is +4: d = -0.5 (0xb800), id = -2 */
    x[32] = 4.0f;   /* 0.5 -> 0 */
    x[33] = -4.0f;  /* 16.5 -> 16 -> min 15 */
    x[48] = 1.0f;   /* 6.5 -> 6 */
    want[0] = 0x00;
    want[1] = 0x38;
    for (j = 0; j < 16; j++)
        want[2 + j] = 0x88;
    want[2 + 0] = 0x00 | 12 << 4;
    want[2 + 1] = 15 | 6 << 4;
    want[2 + 2] = 11 | 8 << 4;
    want[2 + 3] = 7 | 8 << 4;
    want[18] = 0x00;
    want[19] = 0xb8;
    for (j = 0; j < 16; j++)
        want[20 + j] = 0x88;
    want[20 + 0] = 0 | 6 << 4;
    want[20 + 1] = 15 | 8 << 4;
    quant_row_q4_0(x, got, 64);
    bytes_eq(got, want, sizeof want, "q4_0: 2 blocks match the hand-derived bytes (signed max, "
             "truncation, clamp at 15)");
}

/* ---- TQ2_0 / TQ1_0 ---- */

static void
test_tq2_0(void)
{
    float x[256];
    uint8_t want[66], got[66];
    int m;

    /* amax 2: d = 2 (0x4000), trit = lroundf(x / 2): +-1 -> +-1 (tie, away
     * from zero), +-0.9 -> 0. Element 128h + m + 32l goes to bits 2l of
     * byte 32h + m as code trit + 1. */
    for (m = 0; m < 32; m++) {
        x[m] = 2.0f;          /* h0 l0: +1, code 2 */
        x[32 + m] = 0.0f;     /* h0 l1: 0, code 1 */
        x[64 + m] = -1.0f;    /* h0 l2: -1, code 0 */
        x[96 + m] = 0.9f;     /* h0 l3: 0, code 1 */
        x[128 + m] = 1.0f;    /* h1 l0: +1, code 2 */
        x[160 + m] = -2.0f;   /* h1 l1: -1, code 0 */
        x[192 + m] = -0.9f;   /* h1 l2: 0, code 1 */
        x[224 + m] = 2.0f;    /* h1 l3: +1, code 2 */
        want[m] = 2 | 1 << 2 | 0 << 4 | 1 << 6;    /* 0x46 */
        want[32 + m] = 2 | 0 << 2 | 1 << 4 | 2 << 6; /* 0x92 */
    }
    x[5] = -2.0f; /* code 0 at bits 0-1 of byte 5 */
    want[5] = 0x44;
    want[64] = 0x00;
    want[65] = 0x40;
    quant_row_tq2_0(x, got, 256);
    ok(want[0] == 0x46 && want[32] == 0x92, "tq2_0: hand codes 0x46, 0x92");
    bytes_eq(got, want, sizeof want, "tq2_0: block matches the hand-derived bytes");
}

static void
test_tq1_0(void)
{
    float x[256];
    uint8_t want[54], got[54];
    int m;

    /* d = 2 again. qs[m] (m < 32): elements m + 32n, digits n = 0..4 most
     * significant first: codes 2 0 1 2 1 -> q = 162 + 0 + 9 + 6 + 1 = 178,
     * byte ceil(178 * 256 / 243) = (45568 + 242) / 243 = 188 (0xbc). */
    for (m = 0; m < 32; m++) {
        x[m] = 2.0f;
        x[32 + m] = -2.0f;
        x[64 + m] = 0.0f;
        x[96 + m] = 1.0f;   /* 0.5 -> 1 */
        x[128 + m] = 0.9f;  /* 0.45 -> 0 */
        want[m] = 188;
    }
    /* byte 7 with codes 2 0 2 2 1: q = 187, 187 * 256 + 242 = 48114 =
     * 198 * 243 exactly: the ceiling's + 242 matters (198, 0xc6) */
    x[64 + 7] = 2.0f;
    want[7] = 198;
    /* qs[32 + m] (m < 16): elements 160 + m + 16n, codes 0 1 2 0 2 ->
     * q = 27 + 18 + 2 = 47, byte (12032 + 242) / 243 = 50 (0x32) */
    for (m = 0; m < 16; m++) {
        x[160 + m] = -2.0f;
        x[176 + m] = 0.0f;
        x[192 + m] = 2.0f;
        x[208 + m] = -1.0f;
        x[224 + m] = 2.0f;
        want[32 + m] = 50;
    }
    /* qh[j]: elements 240 + j + 4n, n = 0..3, codes 2 2 0 1 -> q = 54 + 18
     * + 1 = 73, times 3 = 219, byte (56064 + 242) / 243 = 231 (0xe7); for
     * j = 2 the last code is 2: q = 74, 222, byte 234 (0xea) */
    for (m = 0; m < 4; m++) {
        x[240 + m] = 2.0f;
        x[244 + m] = 1.0f;
        x[248 + m] = -2.0f;
        x[252 + m] = 0.0f;
        want[48 + m] = 231;
    }
    x[252 + 2] = 2.0f;
    want[48 + 2] = 234;
    want[52] = 0x00;
    want[53] = 0x40;
    quant_row_tq1_0(x, got, 256);
    bytes_eq(got, want, sizeof want, "tq1_0: block matches the hand-derived bytes (base-3 "
             "packing, ceiling division, qh times 3)");
    /* and the digits come back: ((uint8_t)(b * 3^n) * 3) >> 8 */
    {
        float y[256];
        int bad = 0;

        quant_dequant_tq1_0(got, y, 256);
        for (m = 0; m < 256; m++) {
            float t = x[m] / 2.0f;
            float want_t = fabsf(t) >= 0.5f ? (t > 0 ? 1.0f : -1.0f) : 0.0f;

            bad += y[m] != want_t * 2.0f;
        }
        ok(bad == 0, "tq1_0: dequantized trits times d equal the inputs' trits (%d wrong)", bad);
    }
}

/* One outlier among values near 0.3: absmax gives d = 1 and zeros; the
 * least-squares scale is the mean of all 256 magnitudes. */
static void
test_tern_opt_bytes(void)
{
    float x[256];
    uint8_t got[66], want[66];
    int m;

    for (m = 0; m < 256; m++)
        x[m] = 0.3f;
    x[0] = 1.0f;
    /* absmax: d = 1 (0x3c00); 0.3 -> 0 (code 1), element 0 -> code 2 */
    memset(want, 0x55, 64);
    want[0] = 0x56;
    want[64] = 0x00;
    want[65] = 0x3c;
    quant_row_tq2_0(x, got, 256);
    bytes_eq(got, want, sizeof want, "tq2_0 absmax: outlier block, hand-derived bytes");
    /* least squares: all 256 nonzero, d = (1 + 255 * 0.3) / 256 =
     * 0.3027344 -> half 0.302734375 = 0x34d8; every code 2: bytes 0xaa */
    memset(want, 0xaa, 64);
    want[64] = 0xd8;
    want[65] = 0x34;
    quant_row_tq2_0_opt(x, got, 256);
    bytes_eq(got, want, sizeof want, "tq2_0 least squares: outlier block, hand-derived bytes");
}

/* The least-squares rule written plainly (qsort on magnitudes, in double):
 * the library's radix-sorted version must give the same bytes on blocks
 * with ties, zeros, denormals, infinities and NaN. */
static int
cmp_desc(const void *pa, const void *pb)
{
    float a = *(const float *)pa, b = *(const float *)pb;

    return a < b ? 1 : a > b ? -1 : 0;
}

static void
test_tern_opt_reference(void)
{
    int blk, bad = 0;

    for (blk = 0; blk < 400; blk++) {
        float x[256], m[256], d;
        int8_t t[256];
        uint8_t got[66], want[66];
        double sum = 0, best = 0, bestd = 0;
        int j, h, k;

        for (j = 0; j < 256; j++) {
            x[j] = (float)gauss() * (blk % 5 == 0 ? 1e-3f : 1.0f);
            if (blk % 3 == 0)
                x[j] = roundf(x[j] * 4) / 4; /* many ties */
            if (blk % 7 == 0 && j % 9 == 0)
                x[j] = 0.0f;
        }
        if (blk == 1)
            x[3] = 1e-40f; /* denormal */
        if (blk == 2) {
            x[5] = INFINITY;
            x[6] = -INFINITY;
            x[7] = NAN;
        }
        for (j = 0; j < 256; j++)
            m[j] = isfinite(x[j]) ? fabsf(x[j]) : 0.0f;
        qsort(m, 256, sizeof m[0], cmp_desc);
        for (j = 0; j < 256 && m[j] > 0; j++) {
            sum += (double)m[j];
            if (sum * sum / (j + 1) > best) {
                best = sum * sum / (j + 1);
                bestd = sum / (j + 1);
            }
        }
        d = fp16_to_f32(f32_to_fp16((float)bestd));
        for (j = 0; j < 256; j++)
            t[j] = (int8_t)(d > 0 && fabsf(x[j]) > d / 2 ? (x[j] > 0 ? 1 : -1) : 0);
        for (h = 0; h < 2; h++)
            for (j = 0; j < 32; j++) {
                unsigned q = 0;

                for (k = 0; k < 4; k++)
                    q += (unsigned)((t[128 * h + j + 32 * k] + 1) & 3) << (2 * k);
                want[32 * h + j] = (uint8_t)q;
            }
        {
            uint16_t hd = f32_to_fp16(d);

            memcpy(want + 64, &hd, 2);
        }
        quant_row_tq2_0_opt(x, got, 256);
        bad += memcmp(got, want, sizeof want) != 0;
    }
    ok(bad == 0, "tq2_0 least squares equals the plain qsort rule on 400 blocks with ties, "
       "zeros, a denormal, inf and NaN (%d differ)", bad);
}

/* Squared error of dequant(quant(x)) over n values. */
static double
sq_err(int type, int opt, const float *x, int64_t n, float *y, void *buf)
{
    double e = 0;
    int64_t i;

    quant_row(type, opt, x, buf, n);
    switch (type) {
    case QT_Q8_0: quant_dequant_q8_0(buf, y, n); break;
    case QT_Q4_0: quant_dequant_q4_0(buf, y, n); break;
    case QT_TQ2_0: quant_dequant_tq2_0(buf, y, n); break;
    default: quant_dequant_tq1_0(buf, y, n); break;
    }
    for (i = 0; i < n; i++)
        e += ((double)x[i] - (double)y[i]) * ((double)x[i] - (double)y[i]);
    return e;
}

static void
test_roundtrip(void)
{
    enum { N = 256 * 64 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    void *buf = malloc(qtype_row_bytes(QT_Q8_0, N));
    double worst = 0, ex = 0, e_ref, e_opt;
    int64_t i, b;
    int j, bad;

    for (i = 0; i < N; i++) {
        x[i] = (float)gauss();
        ex += (double)x[i] * (double)x[i];
    }
    /* Q8_0: |x - q d_h| <= d/2 + 127 |d - d_h| per block */
    quant_row_q8_0(x, buf, N);
    quant_dequant_q8_0(buf, y, N);
    bad = 0;
    for (b = 0; b < N / 32; b++) {
        float amax = 0, d, dh;

        for (j = 0; j < 32; j++)
            amax = fabsf(x[32 * b + j]) > amax ? fabsf(x[32 * b + j]) : amax;
        d = amax / 127;
        dh = fp16_to_f32(((const quant_block_q8_0 *)buf)[b].d);
        for (j = 0; j < 32; j++) {
            double e = fabs((double)x[32 * b + j] - (double)y[32 * b + j]);

            bad += e > 0.5 * (double)d + 127 * fabs((double)d - (double)dh) + 1e-7;
            worst = e / (double)d > worst ? e / (double)d : worst;
        }
    }
    ok(bad == 0, "q8_0 round trip: |x - x'| <= d/2 + 127|d - half(d)| (worst %.3f d)", worst);
    ok(sqrt(sq_err(QT_Q8_0, 0, x, N, y, buf) / ex) < 0.01, "q8_0: relative RMS error %.4f < 1%%",
       sqrt(sq_err(QT_Q8_0, 0, x, N, y, buf) / ex));
    ok(sqrt(sq_err(QT_Q4_0, 0, x, N, y, buf) / ex) < 0.15, "q4_0: relative RMS error %.4f < 15%%",
       sqrt(sq_err(QT_Q4_0, 0, x, N, y, buf) / ex));

    /* ternary: least squares never worse than absmax, on normal data much
     * better; TQ1_0 and TQ2_0 store the same trits */
    e_ref = sq_err(QT_TQ2_0, 0, x, N, y, buf);
    e_opt = sq_err(QT_TQ2_0, 1, x, N, y, buf);
    diag("random normal 256x64: RMS error tq2_0 absmax %.4f, least squares %.4f "
         "(relative %.4f, %.4f; RMS of x %.4f)", sqrt(e_ref / N), sqrt(e_opt / N),
         sqrt(e_ref / ex), sqrt(e_opt / ex), sqrt(ex / N));
    ok(e_opt < 0.7 * e_ref, "least squares ternary beats absmax on normal data "
       "(squared error %.1f vs %.1f)", e_opt, e_ref);
    ok(sq_err(QT_TQ1_0, 0, x, N, y, buf) == e_ref && sq_err(QT_TQ1_0, 1, x, N, y, buf) == e_opt,
       "tq1_0 gives the same values as tq2_0 (both quantizers)");
    bad = 0;
    for (b = 0; b < N / 256; b++) {
        double r = sq_err(QT_TQ2_0, 0, x + 256 * b, 256, y, buf);
        double o = sq_err(QT_TQ2_0, 1, x + 256 * b, 256, y, buf);

        bad += o > r * (1 + 1e-3);
    }
    ok(bad == 0, "least squares ternary: no block worse than absmax (%d worse)", bad);

    /* blocks already ternary {-a, 0, a}, a a half value: exact */
    for (b = 0; b < N / 256; b++) {
        float a = fp16_to_f32(f32_to_fp16((float)(0.01 + fabs(gauss()))));

        for (j = 0; j < 256; j++) {
            double g = gauss();

            x[256 * b + j] = g > 0.5 ? a : g < -0.5 ? -a : 0.0f;
        }
    }
    ok(sq_err(QT_TQ2_0, 1, x, N, y, buf) == 0 && sq_err(QT_TQ1_0, 1, x, N, y, buf) == 0 &&
       sq_err(QT_TQ2_0, 0, x, N, y, buf) == 0,
       "ternary blocks {-a, 0, a}: both quantizers reconstruct them exactly");
    free(x);
    free(y);
    free(buf);
}

/* ---- Q4_K and Q6_K row getters ---- */

static void
test_q4_k(void)
{
    quant_block_q4_k b;
    float y[256];
    int k;
    /* sc = {1, 2, 3, 4, 5, 6, 7, 63}, m = {0, 1, 2, 3, 4, 5, 6, 62}:
     * scales[0..3] = sc_j | (sc_{j+4} >> 4) << 6, scales[4..7] = m_j |
     * (m_{j+4} >> 4) << 6, scales[8..11] = (sc_{j+4} & 15) | (m_{j+4} & 15) << 4 */
    static const uint8_t sc[12] = { 1, 2, 3, 4 | 3 << 6, 0, 1, 2, 3 | 3 << 6,
                                    0x45, 0x56, 0x67, 0xef };

    b.d = 0x3c00;    /* 1 */
    b.dmin = 0x3800; /* 0.5 */
    memcpy(b.scales, sc, 12);
    for (k = 0; k < 128; k++)
        b.qs[k] = (uint8_t)(k * 7 + 3);
    quant_dequant_q4_k(&b, y, 256);
    for (k = 0; k < 8; k++) {
        uint8_t s, m;

        quant_q4_k_scale_min(b.scales, k, &s, &m);
        if (s != (k < 7 ? k + 1 : 63) || m != (k < 7 ? k : 62))
            break;
    }
    ok(k == 8, "q4_k: the 6-bit scales and mins unpack to the values packed by hand");
    /* e 0: qs[0] = 3, low: 1*1*3 - 0.5*0 = 3; e 33: sub-block 1, high
     * nibble of qs[1] = 10 -> 0: 2*0 - 0.5*1; e 100: sub-block 3, high
     * nibble of qs[36] = 255 -> 15: 4*15 - 0.5*3; e 200: sub-block 6, low
     * nibble of qs[104] = 219 -> 11: 7*11 - 0.5*6; e 255: sub-block 7,
     * high nibble of qs[127] = 124 -> 7: 63*7 - 0.5*62 */
    ok(y[0] == 3.0f && y[33] == -0.5f && y[100] == 58.5f && y[200] == 74.0f && y[255] == 410.0f,
       "q4_k: hand-derived elements (%g %g %g %g %g)", (double)y[0], (double)y[33],
       (double)y[100], (double)y[200], (double)y[255]);
}

static void
test_q6_k(void)
{
    quant_block_q6_k b;
    float y[256];
    int k;

    for (k = 0; k < 128; k++)
        b.ql[k] = (uint8_t)(k * 5 + 1);
    for (k = 0; k < 64; k++)
        b.qh[k] = (uint8_t)(k * 3);
    for (k = 0; k < 16; k++)
        b.scales[k] = (int8_t)(k - 8);
    b.d = 0x3400; /* 0.25 */
    quant_dequant_q6_k(&b, y, 256);
    /* e 0: ql[0] & 15 = 1, qh[0] bits 0-1 = 0: q = 1 - 32, sc[0] = -8:
     * 0.25 * -8 * -31 = 62. e 45: ql[45] = 226 & 15 = 2, qh[13] = 39 bits
     * 2-3 = 1: q = 18 - 32, sc[2] = -6: 21. e 200: ql[72] = 105 >> 4 = 6,
     * qh[40] = 120 bits 4-5 = 3: q = 54 - 32, sc[12] = 4: 22. e 255:
     * ql[127] = 124 >> 4 = 7, qh[63] = 189 bits 6-7 = 2: q = 39 - 32,
     * sc[15] = 7: 12.25 */
    ok(y[0] == 62.0f && y[45] == 21.0f && y[200] == 22.0f && y[255] == 12.25f,
       "q6_k: hand-derived elements (%g %g %g %g)", (double)y[0], (double)y[45], (double)y[200],
       (double)y[255]);
}

/* ---- activation rows ---- */

static void
test_act(void)
{
    float x[512];
    uint8_t *row = NULL;
    const int8_t *q;
    const float *d;
    int k, good;

    /* Q8_0: amax 127 in each block: d = 1, q = roundf(x) */
    for (k = 0; k < 64; k++)
        x[k] = (float)(k % 32) - 15.5f; /* -15.5 .. 15.5: ties */
    x[7] = 127.0f;
    x[32 + 9] = -127.0f;
    ok(quant_act_row_bytes(QT_Q8_0, 64) == 128,
       "q8_0 activation row of 64: 64 + 8 + 8 bytes -> 128");
    if (posix_memalign((void **)&row, 64, 1024) != 0)
        abort();
    memset(row, 0xee, 1024);
    quant_act_row(QT_Q8_0, x, 64, row);
    q = quant_act_qs(row);
    d = quant_act_d(row, 64);
    good = d[0] == 1.0f && d[1] == 1.0f;
    for (k = 0; k < 64; k++) {
        float v = x[k];
        int want = v == 127.0f ? 127 : v == -127.0f ? -127 : (int)(v + (v > 0 ? 0.5f : -0.5f));

        good &= q[k] == want;
    }
    for (k = 80; k < 128; k++)
        good &= row[k] == 0;
    ok(good && q[0] == -16 && q[31] == 16 && q[16] == 1 && q[15] == -1,
       "q8_0 activations: d = 1, q = roundf(x) away from zero (-15.5 -> -16, 0.5 -> 1), "
       "padding zeroed");
    {
        int32_t s0 = 0, s1 = 0;

        for (k = 0; k < 32; k++) {
            s0 += q[k];
            s1 += q[32 + k];
        }
        ok(quant_act_bsum32(row, 64)[0] == s0 && quant_act_bsum32(row, 64)[1] == s1 && s0 != s1,
           "q8_0 activations: each block's quant sum (%d, %d)", s0, s1);
    }

    /* Q8_K: the first value of largest magnitude is -127: iscale = 1,
     * q = rint(x) (ties to even), d = 1; in the second block it is +127:
     * iscale = -1, q = -rint(x), d = -1 */
    for (k = 0; k < 512; k++)
        x[k] = (float)(k % 64) * 0.5f - 16.0f; /* -16 .. 15.5 */
    x[3] = -127.0f;
    x[300] = 127.0f;
    x[301] = -127.0f;
    ok(quant_act_row_bytes(QT_Q8_K, 512) == 640, "q8_k activation row of 512: 512 + 8 + 8 + 64 "
       "-> 640");
    quant_act_row(QT_Q8_K, x, 512, row);
    q = quant_act_qs(row);
    d = quant_act_d(row, 512);
    good = d[0] == 1.0f && d[1] == -1.0f;
    for (k = 0; k < 512; k++) {
        float r = rintf(x[k]);

        good &= q[k] == (int)(k < 256 ? r : -r);
    }
    ok(good && q[1] == -16 && q[5] == -14 && q[256 + 1] == 16,
       "q8_k activations: q = rint(x) with ties to even (-15.5 -> -16, -13.5 -> -14), sign "
       "from the first largest magnitude");
    {
        const int16_t *bs = quant_act_bsums(row, 512);
        const int32_t *sum = quant_act_sum(row, 512);
        int j, s, tot[2] = { 0, 0 };

        good = 1;
        for (j = 0; j < 32; j++) {
            for (s = 0, k = 0; k < 16; k++)
                s += q[16 * j + k];
            good &= bs[j] == s;
            tot[j / 16] += s;
        }
        ok(good && sum[0] == tot[0] && sum[1] == tot[1], "q8_k activations: bsums of 16 and "
           "block sums (%d, %d)", sum[0], sum[1]);
    }
    free(row);
}

int
main(void)
{
    test_q8_0();
    test_q4_0();
    test_tq2_0();
    test_tq1_0();
    test_tern_opt_bytes();
    test_tern_opt_reference();
    test_roundtrip();
    test_q4_k();
    test_q6_k();
    test_act();
    return done_testing();
}
