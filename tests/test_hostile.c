/* test_hostile.c: memory bounds for hostile model files. A file may declare
 * huge counts, strings, arrays and tensors; ternchat must never allocate
 * more than a small multiple of the file's size plus a small constant for
 * it. Each case builds a file byte by byte, opens it with the GGUF reader,
 * then loads the tokenizer and the model from it, and measures the peak of
 * heap bytes in use with a counting hook: the glibc allocator wrapped in
 * the normal build, the sanitizer's allocation hooks under ASan. The
 * worst valid files (every key, tensor or token as small as the format
 * allows) give the multiplier that docs/testing.md records. */
#include "config.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "model.h"
#include "qtype.h"
#include "tap.h"
#include "tok.h"

#define NAME "hostile.gguf"
#define SLACK (1u << 20) /* the constant allowed on top of the multiple */
#define MULT 8           /* the multiple of the file size allowed (reader, model) */
#define MULT_TOK 12      /* the same for a vocabulary of empty tokens (see below) */

/* ---- counting the heap ---- */

static size_t mem_now;  /* bytes in use (as the allocator sizes them) */
static size_t mem_peak; /* most bytes in use since mem_reset */

static void
mem_add(size_t n)
{
    size_t now = __atomic_add_fetch(&mem_now, n, __ATOMIC_RELAXED);

    if (now > mem_peak)
        mem_peak = now;
}

static void
mem_sub(size_t n)
{
    __atomic_sub_fetch(&mem_now, n, __ATOMIC_RELAXED);
}

#ifdef TERNCHAT_ASAN
/* The sanitizer runtime calls these on every allocation and release. */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

static void
hook_malloc(const volatile void *p, size_t n)
{
    (void)p;
    mem_add(n);
}

static void
hook_free(const volatile void *p)
{
    mem_sub(__sanitizer_get_allocated_size(p));
}

static int
mem_init(void)
{
    return __sanitizer_install_malloc_and_free_hooks(hook_malloc, hook_free) != 0;
}
#else
/* The glibc allocator, wrapped: every allocation of the process (the
 * library's, libc's own) goes through these. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t a, size_t n);
void __libc_free(void *p);

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void *reallocarray(void *p, size_t n, size_t m);
void free(void *p);
int posix_memalign(void **out, size_t a, size_t n);
void *aligned_alloc(size_t a, size_t n);
void *memalign(size_t a, size_t n);

static void *
counted(void *p)
{
    if (p != NULL)
        mem_add(malloc_usable_size(p));
    return p;
}

void *
malloc(size_t n)
{
    return counted(__libc_malloc(n));
}

void *
calloc(size_t n, size_t m)
{
    return counted(__libc_calloc(n, m));
}

void *
realloc(void *p, size_t n)
{
    size_t old = p != NULL ? malloc_usable_size(p) : 0;
    void *q = __libc_realloc(p, n);

    if (q != NULL || n == 0) {
        mem_sub(old);
        counted(q);
    }
    return q;
}

void *
reallocarray(void *p, size_t n, size_t m)
{
    size_t t;

    if (__builtin_mul_overflow(n, m, &t))
        return NULL;
    return realloc(p, t);
}

void
free(void *p)
{
    if (p != NULL)
        mem_sub(malloc_usable_size(p));
    __libc_free(p);
}

void *
memalign(size_t a, size_t n)
{
    return counted(__libc_memalign(a, n));
}

void *
aligned_alloc(size_t a, size_t n)
{
    return memalign(a, n);
}

int
posix_memalign(void **out, size_t a, size_t n)
{
    void *p = memalign(a, n);

    if (p == NULL)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

static int
mem_init(void)
{
    return 1;
}
#endif

/* ---- building files ---- */

/* A byte builder with little-endian helpers. */
struct bb {
    uint8_t *p; /* bytes */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
};

static void
bb_put(struct bb *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void
bb_le(struct bb *b, uint64_t v, size_t n)
{
    uint8_t le[8];

    for (size_t i = 0; i < n; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    bb_put(b, le, n);
}

static void
bb_str(struct bb *b, const char *s)
{
    bb_le(b, strlen(s), 8);
    bb_put(b, s, strlen(s));
}

static void
bb_header(struct bb *b, int64_t n_tensors, int64_t n_kv)
{
    b->len = 0;
    bb_put(b, "GGUF", 4);
    bb_le(b, 3, 4);
    bb_le(b, (uint64_t)n_tensors, 8);
    bb_le(b, (uint64_t)n_kv, 8);
}

static void
kv_str(struct bb *b, const char *key, const char *v)
{
    bb_str(b, key);
    bb_le(b, GGUF_T_STR, 4);
    bb_str(b, v);
}

static void
kv_u32(struct bb *b, const char *key, uint32_t v)
{
    bb_str(b, key);
    bb_le(b, GGUF_T_U32, 4);
    bb_le(b, v, 4);
}

static void
kv_f32(struct bb *b, const char *key, float v)
{
    uint32_t u;

    memcpy(&u, &v, 4);
    bb_str(b, key);
    bb_le(b, GGUF_T_F32, 4);
    bb_le(b, u, 4);
}

/* A tensor info record of one dimension. */
static void
tensor_info(struct bb *b, const char *name, int type, int64_t ne0, uint64_t off)
{
    bb_str(b, name);
    bb_le(b, 1, 4);
    bb_le(b, (uint64_t)ne0, 8);
    bb_le(b, (uint64_t)type, 4);
    bb_le(b, off, 8);
}

static void
pad32(struct bb *b)
{
    while (b->len % 32 != 0)
        bb_le(b, 0, 1);
}

/* ---- measuring ---- */

/* Open the file, load a tokenizer and a model from it, and return the
 * peak heap bytes used beyond what was in use before. *what gets which
 * stages accepted the file ("gguf", "tok", "model" bits). */
static size_t
load_peak(const struct bb *b, unsigned *what, char *err, size_t errsz)
{
    size_t base;
    gguf *g;

    *what = 0;
    err[0] = '\0';
    base = mem_now;
    mem_peak = base;
    g = gguf_open_mem(b->p, b->len, NAME, err, errsz);
    if (g != NULL) {
        char e2[512];
        tok *t;
        model *m;

        *what |= 1;
        t = tok_load(g, e2, sizeof e2);
        if (t != NULL) {
            *what |= 2;
            tok_free(t);
        }
        m = model_load_gguf(g, e2, sizeof e2);
        if (m != NULL) {
            *what |= 4;
            model_free(m);
        } else {
            snprintf(err, errsz, "%s", e2);
        }
    }
    return mem_peak - base;
}

/* One case: the peak must stay within mult x size + SLACK. */
static void
check_case_mult(const char *name, const struct bb *b, unsigned want_what, int mult)
{
    char err[1024];
    unsigned what;
    size_t peak = load_peak(b, &what, err, sizeof err);

    ok(what == want_what, "%s: stages accepted %#x (want %#x)", name, what, want_what);
    if (what != want_what)
        diag("message: %s", err);
    ok(peak <= (size_t)mult * b->len + SLACK, "%s: %zu bytes of file, peak %zu bytes of heap "
       "(%.2fx the file; limit %dx + %u)", name, b->len, peak, (double)peak / (double)b->len,
       mult, SLACK);
    if (what == 0)
        contains(err, NAME, "the message names the file");
}

static void
check_case(const char *name, const struct bb *b, unsigned want_what)
{
    check_case_mult(name, b, want_what, MULT);
}

/* Huge counts, lengths and dimensions in tiny files. */
static void
test_declared_huge(struct bb *b)
{
    bb_header(b, 0, INT64_MAX);
    check_case("n_kv = 2^63-1", b, 0);
    bb_header(b, 1ll << 40, 0);
    check_case("n_tensors = 2^40", b, 0);

    bb_header(b, 0, 1);
    bb_str(b, "general.name");
    bb_le(b, GGUF_T_STR, 4);
    bb_le(b, 1ull << 63, 8);
    check_case("a string of 2^63 bytes", b, 0);

    bb_header(b, 0, 1);
    bb_str(b, "tokenizer.ggml.tokens");
    bb_le(b, GGUF_T_ARR, 4);
    bb_le(b, GGUF_T_STR, 4);
    bb_le(b, 1ull << 61, 8);
    check_case("an array of 2^61 strings", b, 0);

    bb_header(b, 0, 1);
    bb_str(b, "tokenizer.ggml.scores");
    bb_le(b, GGUF_T_ARR, 4);
    bb_le(b, GGUF_T_F32, 4);
    bb_le(b, 1ull << 62, 8);
    check_case("an array of 2^62 floats", b, 0);

    bb_header(b, 1, 0);
    bb_str(b, "token_embd.weight");
    bb_le(b, 4, 4);
    for (int i = 0; i < 4; i++)
        bb_le(b, 1ull << 40, 8);
    bb_le(b, QT_F32, 4);
    bb_le(b, 0, 8);
    check_case("a tensor of 2^160 elements", b, 0);

    bb_header(b, 1, 0);
    tensor_info(b, "token_embd.weight", QT_F32, 1ll << 50, 0);
    pad32(b);
    check_case("a tensor of 2^52 bytes past the end of the file", b, 0);
}

/* The smallest possible items, as many as fit: the worst ratios. */
static void
test_worst_valid(struct bb *b)
{
    char name[16];
    int n;

    /* 65025 keys of two bytes (no NUL) with one-byte values, 15 bytes
     * each: the reader keeps 64 bytes of record, 16 to 32 of index and a
     * copy of the key per key, about 7x at worst */
    n = 255 * 255;
    bb_header(b, 0, n);
    for (int i = 0; i < n; i++) {
        bb_le(b, 2, 8);
        bb_le(b, (uint64_t)(1 + i % 255), 1);
        bb_le(b, (uint64_t)(1 + i / 255), 1);
        bb_le(b, GGUF_T_U8, 4);
        bb_le(b, 0, 1);
    }
    check_case("65025 minimal keys", b, 1);

    /* 40000 empty tensors with three-byte names (35 bytes each) */
    n = 40000;
    bb_header(b, n, 0);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%03x", i);
        tensor_info(b, name, QT_F32, 0, 0);
    }
    pad32(b);
    check_case("40000 minimal tensors", b, 1);

    /* a vocabulary of 200000 empty tokens (8 bytes each): the tokenizer
     * names them [EMPTY_n], as llama.cpp does, and keeps a 24-byte entry,
     * the text, a hash slot and the decoded piece of each: about 10x */
    n = 200000;
    bb_header(b, 0, 2);
    kv_str(b, "tokenizer.ggml.model", "llama");
    bb_str(b, "tokenizer.ggml.tokens");
    bb_le(b, GGUF_T_ARR, 4);
    bb_le(b, GGUF_T_STR, 4);
    bb_le(b, (uint64_t)n, 8);
    for (int i = 0; i < n; i++)
        bb_le(b, 0, 8);
    check_case_mult("200000 empty tokens", b, 3, MULT_TOK);

    /* the same with one-byte tokens, a BPE vocabulary and 100000 merges */
    n = 100000;
    bb_header(b, 0, 3);
    kv_str(b, "tokenizer.ggml.model", "gpt2");
    bb_str(b, "tokenizer.ggml.tokens");
    bb_le(b, GGUF_T_ARR, 4);
    bb_le(b, GGUF_T_STR, 4);
    bb_le(b, (uint64_t)n, 8);
    for (int i = 0; i < n; i++) {
        bb_le(b, 1, 8);
        bb_le(b, (uint64_t)('a' + i % 26), 1);
    }
    bb_str(b, "tokenizer.ggml.merges");
    bb_le(b, GGUF_T_ARR, 4);
    bb_le(b, GGUF_T_STR, 4);
    bb_le(b, (uint64_t)n, 8);
    for (int i = 0; i < n; i++) {
        bb_le(b, 3, 8);
        bb_put(b, "a b", 3);
    }
    check_case("a BPE vocabulary of 100000 one-byte tokens and merges", b, 3);
}

/* Model hyperparameters: the largest allowed values with no tensors, and
 * norm vectors in a packed type (a vector is expanded to floats). */
static void
test_model(struct bb *b)
{
    static const char *const keys[] = {
        "llama.embedding_length", "llama.block_count", "llama.context_length",
        "llama.attention.head_count", "llama.feed_forward_length",
    };
    static const uint32_t big[] = { 1u << 20, 4096, 1u << 26, 16384, 1u << 20 };
    int64_t ne = 1 << 20;
    uint64_t off = 0;

    bb_header(b, 0, 7);
    kv_str(b, "general.architecture", "llama");
    for (int i = 0; i < 5; i++)
        kv_u32(b, keys[i], big[i]);
    kv_f32(b, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    check_case("the largest hyperparameters and no tensors", b, 1);

    /* token_embd of one row and output_norm of 2^20 elements in tq1_0
     * (54 bytes per 256 elements: 4 MiB of floats from 216 KiB) */
    bb_header(b, 2, 7);
    kv_str(b, "general.architecture", "llama");
    for (int i = 0; i < 5; i++)
        kv_u32(b, keys[i], i == 1 ? 1 : i == 3 ? 128 : i == 2 ? 64 : (uint32_t)ne);
    kv_f32(b, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    tensor_info(b, "token_embd.weight", QT_TQ1_0, ne, off);
    off += (uint64_t)ne / 256 * 54;
    tensor_info(b, "output_norm.weight", QT_TQ1_0, ne, off);
    off += (uint64_t)ne / 256 * 54;
    pad32(b);
    for (uint64_t i = 0; i < off; i++)
        bb_le(b, 0, 1);
    check_case("a norm vector of 2^20 elements in tq1_0 (refused)", b, 1);
}

int
main(void)
{
    struct bb b = { NULL, 0, 0 };
    void *volatile probe;

    if (!mem_init()) {
        skip("no allocation hooks in this build");
        return done_testing();
    }
    probe = malloc(1000);
    ok(mem_now >= 1000, "the heap counter sees allocations (%zu bytes in use)", mem_now);
    free(probe);
    test_declared_huge(&b);
    test_worst_valid(&b);
    test_model(&b);
    free(b.p);
    return done_testing();
}
