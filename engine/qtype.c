/* qtype.c: the table of ggml tensor types (ids, names, block sizes) that
 * the GGUF reader validates against and the kernels dispatch on. */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <strings.h>

#include "qtype.h"

/* One row of the type table. */
struct qtype_info {
    const char *name; /* lower-case name, NULL for an unused id */
    uint16_t elems;   /* elements per block */
    uint16_t bytes;   /* bytes per block */
};

static const struct qtype_info qtypes[QT_COUNT] = {
    [QT_F32] = { "f32", 1, 4 },
    [QT_F16] = { "f16", 1, 2 },
    [QT_Q4_0] = { "q4_0", 32, 18 },
    [QT_Q4_1] = { "q4_1", 32, 20 },
    [QT_Q5_0] = { "q5_0", 32, 22 },
    [QT_Q5_1] = { "q5_1", 32, 24 },
    [QT_Q8_0] = { "q8_0", 32, 34 },
    [QT_Q8_1] = { "q8_1", 32, 36 },
    [QT_Q2_K] = { "q2_k", 256, 84 },
    [QT_Q3_K] = { "q3_k", 256, 110 },
    [QT_Q4_K] = { "q4_k", 256, 144 },
    [QT_Q5_K] = { "q5_k", 256, 176 },
    [QT_Q6_K] = { "q6_k", 256, 210 },
    [QT_Q8_K] = { "q8_k", 256, 292 },
    [QT_IQ2_XXS] = { "iq2_xxs", 256, 66 },
    [QT_IQ2_XS] = { "iq2_xs", 256, 74 },
    [QT_IQ3_XXS] = { "iq3_xxs", 256, 98 },
    [QT_IQ1_S] = { "iq1_s", 256, 50 },
    [QT_IQ4_NL] = { "iq4_nl", 32, 18 },
    [QT_IQ3_S] = { "iq3_s", 256, 110 },
    [QT_IQ2_S] = { "iq2_s", 256, 82 },
    [QT_IQ4_XS] = { "iq4_xs", 256, 136 },
    [QT_I8] = { "i8", 1, 1 },
    [QT_I16] = { "i16", 1, 2 },
    [QT_I32] = { "i32", 1, 4 },
    [QT_I64] = { "i64", 1, 8 },
    [QT_F64] = { "f64", 1, 8 },
    [QT_IQ1_M] = { "iq1_m", 256, 56 },
    [QT_BF16] = { "bf16", 1, 2 },
    [QT_TQ1_0] = { "tq1_0", 256, 54 },
    [QT_TQ2_0] = { "tq2_0", 256, 66 },
};

int
qtype_known(int id)
{
    return id >= 0 && id < QT_COUNT && qtypes[id].name != NULL;
}

const char *
qtype_name(int id)
{
    return qtype_known(id) ? qtypes[id].name : NULL;
}

int
qtype_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    for (int id = 0; id < QT_COUNT; id++)
        if (qtypes[id].name != NULL && strcasecmp(qtypes[id].name, name) == 0)
            return id;
    return -1;
}

size_t
qtype_block_elems(int id)
{
    return qtype_known(id) ? qtypes[id].elems : 0;
}

size_t
qtype_block_bytes(int id)
{
    return qtype_known(id) ? qtypes[id].bytes : 0;
}

size_t
qtype_row_bytes(int id, int64_t n)
{
    assert(qtype_known(id));
    assert(n >= 0 && n % qtypes[id].elems == 0);
    return (size_t)(n / qtypes[id].elems) * qtypes[id].bytes;
}
