/* fp16.h: conversions between float and the two 16-bit float formats found
 * in GGUF files: IEEE binary16 ("half", ggml F16) and bfloat16 (ggml BF16).
 * Float to half rounds to nearest even (like F16C's _cvtss_sh(x, 0)); float
 * to bfloat16 follows ggml (round to nearest even, NaN kept quiet). */
#ifndef TERNCHAT_FP16_H
#define TERNCHAT_FP16_H

#include <stdint.h>
#include <string.h>

static inline uint32_t
fp16_f32_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float
fp16_bits_f32(uint32_t u)
{
    float f;

    memcpy(&f, &u, sizeof f);
    return f;
}

/* Half to float (exact for every value, NaN payloads kept). */
static inline float
fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t e = (h >> 10) & 0x1f;
    uint32_t m = h & 0x3ff;

    if (e == 0) {
        /* zero or subnormal: m * 2^-24, exact in float */
        float v = (float)m * 0x1p-24f;
        return fp16_bits_f32(fp16_f32_bits(v) | sign);
    }
    if (e == 31)
        return fp16_bits_f32(sign | 0x7f800000u | (m << 13));
    return fp16_bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

/* Float to half, round to nearest even; overflow gives inf, NaN stays a
 * (quiet) NaN, tiny values become subnormals or signed zero. */
static inline uint16_t
f32_to_fp16(float f)
{
    uint32_t x = fp16_f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t e, m, r, rem, half;
    int shift;

    x &= 0x7fffffffu;
    if (x > 0x7f800000u) /* NaN: quiet it, keep the top payload bits */
        return (uint16_t)(sign | 0x7e00 | ((x >> 13) & 0x3ff));
    if (x >= 0x477ff000u) /* >= 65520 rounds to inf (and inf itself) */
        return (uint16_t)(sign | 0x7c00);
    if (x >= 0x38800000u) {
        /* normal half: rebias the exponent, round the 13 dropped bits */
        x -= 0x38000000u;
        return (uint16_t)(sign | ((x + 0xfffu + ((x >> 13) & 1)) >> 13));
    }
    /* subnormal half (or zero): value = m * 2^(e-150), unit 2^-24 */
    e = x >> 23;
    if (e < 102)
        return (uint16_t)sign;
    m = (x & 0x7fffffu) | 0x800000u;
    shift = 126 - (int)e; /* 14..24 */
    r = m >> shift;
    rem = m & ((1u << shift) - 1);
    half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1)))
        r++;
    return (uint16_t)(sign | r);
}

/* Bfloat16 to float (exact). */
static inline float
bf16_to_f32(uint16_t b)
{
    return fp16_bits_f32((uint32_t)b << 16);
}

/* Float to bfloat16 as ggml does it: NaN -> (u >> 16) | 64, otherwise round
 * to nearest even without flushing subnormals. */
static inline uint16_t
f32_to_bf16(float f)
{
    uint32_t u = fp16_f32_bits(f);

    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 64);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

#endif
