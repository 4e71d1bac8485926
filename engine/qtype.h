/* qtype.h: the ggml tensor type ids found in GGUF files, with their block
 * sizes and names (the type table; ids from ../shared/docs/gguf-facts.md §2). */
#ifndef TERNCHAT_QTYPE_H
#define TERNCHAT_QTYPE_H

#include <stddef.h>
#include <stdint.h>

enum qtype {
    QT_F32 = 0,
    QT_F16 = 1,
    QT_Q4_0 = 2,
    QT_Q4_1 = 3,
    QT_Q5_0 = 6,
    QT_Q5_1 = 7,
    QT_Q8_0 = 8,
    QT_Q8_1 = 9,
    QT_Q2_K = 10,
    QT_Q3_K = 11,
    QT_Q4_K = 12,
    QT_Q5_K = 13,
    QT_Q6_K = 14,
    QT_Q8_K = 15,
    QT_IQ2_XXS = 16,
    QT_IQ2_XS = 17,
    QT_IQ3_XXS = 18,
    QT_IQ1_S = 19,
    QT_IQ4_NL = 20,
    QT_IQ3_S = 21,
    QT_IQ2_S = 22,
    QT_IQ4_XS = 23,
    QT_I8 = 24,
    QT_I16 = 25,
    QT_I32 = 26,
    QT_I64 = 27,
    QT_F64 = 28,
    QT_IQ1_M = 29,
    QT_BF16 = 30,
    QT_TQ1_0 = 34,
    QT_TQ2_0 = 35,
    QT_COUNT = 36 /* one past the largest id this build knows */
};

/* 1 if id is a type this build knows (size and name), else 0. */
int qtype_known(int id);
/* Lower-case name ("f32", "q8_0", "tq2_0"), or NULL for an unknown id. */
const char *qtype_name(int id);
/* Type id for a name (case-insensitive), or -1. */
int qtype_from_name(const char *name);
/* Elements per block (1 for plain types); 0 for an unknown id. */
size_t qtype_block_elems(int id);
/* Bytes per block; 0 for an unknown id. */
size_t qtype_block_bytes(int id);
/* Bytes of a row of n elements (n must be a multiple of the block size). */
size_t qtype_row_bytes(int id, int64_t n);

#endif
