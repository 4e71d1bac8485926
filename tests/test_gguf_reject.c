/* test_gguf_reject.c: hostile GGUF inputs. Each validation rule of the
 * reader gets a file built byte by byte here, and the test asserts the
 * one-line message (file name, field, byte offset). A small mutation pass
 * over a valid file checks that no input crashes the reader. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gguf.h"
#include "qtype.h"
#include "tap.h"

#define NAME "hostile.gguf"

static char tmpdir[64]; /* scratch directory, removed at the end */
static char err[1024];  /* message of the last open */

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
    if (n > 0)
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

static void bb_u8(struct bb *b, uint8_t v) { bb_le(b, v, 1); }
static void bb_u32(struct bb *b, uint32_t v) { bb_le(b, v, 4); }
static void bb_i32(struct bb *b, int32_t v) { bb_le(b, (uint32_t)v, 4); }
static void bb_u64(struct bb *b, uint64_t v) { bb_le(b, v, 8); }
static void bb_i64(struct bb *b, int64_t v) { bb_le(b, (uint64_t)v, 8); }

static void
bb_strn(struct bb *b, const char *s, size_t n)
{
    bb_u64(b, n);
    bb_put(b, s, n);
}

static void
bb_str(struct bb *b, const char *s)
{
    bb_strn(b, s, strlen(s));
}

static void
bb_zeros(struct bb *b, size_t n)
{
    while (n-- > 0)
        bb_u8(b, 0);
}

static void
bb_pad(struct bb *b, size_t align)
{
    while (b->len % align != 0)
        bb_u8(b, 0);
}

/* Start a file: magic, version 3, counts. */
static void
bb_header(struct bb *b, int64_t n_tensors, int64_t n_kv)
{
    b->len = 0;
    bb_put(b, "GGUF", 4);
    bb_u32(b, 3);
    bb_i64(b, n_tensors);
    bb_i64(b, n_kv);
}

/* A tensor info record: name, dims, type, offset. */
static void
bb_tensor(struct bb *b, const char *name, int n_dims, const int64_t *ne, int type, uint64_t off)
{
    bb_str(b, name);
    bb_u32(b, (uint32_t)n_dims);
    for (int i = 0; i < n_dims; i++)
        bb_i64(b, ne[i]);
    bb_i32(b, type);
    bb_u64(b, off);
}

/* Open b; the test passes if it is rejected with a one-line message that
 * holds each needle (a NULL-terminated list). */
static void
reject(const struct bb *b, const char *what, ...)
{
    gguf *g;
    va_list ap;
    const char *needle;

    err[0] = '\0';
    g = gguf_open_mem(b->p, b->len, NAME, err, sizeof err);
    ok(g == NULL, "rejects %s", what);
    if (g != NULL) {
        gguf_close(g);
        return;
    }
    ok(strchr(err, '\n') == NULL && strncmp(err, NAME ": ", strlen(NAME) + 2) == 0,
       "%s: one line starting with the file name", what);
    va_start(ap, what);
    while ((needle = va_arg(ap, const char *)) != NULL)
        contains(err, needle, needle);
    va_end(ap);
}

/* Open b; the test passes if it is accepted. */
static gguf *
accept(const struct bb *b, const char *what)
{
    gguf *g = gguf_open_mem(b->p, b->len, NAME, err, sizeof err);

    if (!ok(g != NULL, "accepts %s", what))
        diag("%s", err);
    return g;
}

static void
test_header(struct bb *b)
{
    bb_header(b, 0, 0);
    memcpy(b->p, "GGML", 4);
    reject(b, "bad magic", NAME ": bad magic at byte 0", "found 'GGML'", NULL);
    memcpy(b->p, "\x00\x01GU", 4);
    reject(b, "bad magic with binary bytes", "found '\\x00\\x01GU'", NULL);

    bb_header(b, 0, 0);
    b->p[4] = 1;
    reject(b, "version 1", "bad version 1 at byte 4", NULL);
    b->p[4] = 4;
    reject(b, "version 4", "bad version 4 at byte 4", NULL);
    b->p[4] = 0;
    b->p[7] = 3;
    reject(b, "big-endian version", "big-endian", "at byte 4", NULL);

    b->len = 0;
    reject(b, "an empty buffer", "truncated file: magic at byte 0 needs 4 bytes but only 0",
           NULL);
    bb_put(b, "GGUF", 4);
    bb_u32(b, 3);
    bb_u32(b, 0);
    reject(b, "a truncated header", "truncated file: n_tensors at byte 8 needs 8 bytes but "
           "only 4 are left", NULL);
    bb_u32(b, 0);
    bb_u32(b, 0);
    reject(b, "a header cut inside n_kv", "n_kv at byte 16", "truncated", NULL);

    bb_header(b, -3, 0);
    reject(b, "negative n_tensors", "n_tensors at byte 8 is negative (-3)", NULL);
    bb_header(b, 0, -1);
    reject(b, "negative n_kv", "n_kv at byte 16 is negative (-1)", NULL);
    bb_header(b, 0, 1000);
    bb_zeros(b, 16);
    reject(b, "n_kv too large for the file", "n_kv at byte 16 is 1000, more than the 16 bytes "
           "left can hold", NULL);
    bb_header(b, 0, INT64_MAX);
    reject(b, "n_kv INT64_MAX", "n_kv at byte 16 is 9223372036854775807", NULL);
    bb_header(b, INT64_MAX, 0);
    reject(b, "n_tensors INT64_MAX", "n_tensors at byte 8 is 9223372036854775807", NULL);
    bb_header(b, 2, 0);
    bb_zeros(b, 40);
    reject(b, "n_tensors too large for the file", "n_tensors at byte 8 is 2, more than the 40 "
           "bytes left", NULL);
}

/* One key "k" of the given type, then whatever the caller appends. */
static void
kv_start(struct bb *b, int type)
{
    bb_header(b, 0, 1);
    bb_str(b, "k");
    bb_i32(b, type);
}

/* Two keys: a complete "first" (a 16-byte string, bytes 24..64), then
 * whatever the caller appends. */
static void
first_kv(struct bb *b)
{
    bb_header(b, 0, 2);
    bb_str(b, "first");
    bb_i32(b, GGUF_T_STR);
    bb_str(b, "0123456789abcdef");
}

static void
test_kv(struct bb *b)
{
    char want[256];

    /* A count too large for the bytes left is caught first, so the cut
     * files below start with a complete key "first" (bytes 24..64). */
    first_kv(b);
    bb_put(b, "\x05\x00\x00", 3);
    reject(b, "a file cut inside a key length", "key #1 (at byte 65): truncated file: key at "
           "byte 65 needs 8 bytes but only 3 are left", NULL);
    first_kv(b);
    bb_u64(b, 10);
    bb_put(b, "abc", 3);
    reject(b, "a key running past the end", "key #1 (at byte 65): key: string length 10 at "
           "byte 65 runs past the end of the file (3 bytes left)", NULL);
    first_kv(b);
    bb_u64(b, UINT64_MAX);
    bb_zeros(b, 4);
    reject(b, "a key length of 2^64-1", "string length 18446744073709551615 at byte 65 runs "
           "past the end", NULL);
    first_kv(b);
    bb_str(b, "k");
    bb_u8(b, 4);
    reject(b, "a file cut inside a value type", "key 'k' (at byte 65): truncated file: value "
           "type at byte 74", NULL);
    kv_start(b, GGUF_T_U32);
    bb_put(b, "\x01\x02", 2);
    reject(b, "a file cut inside a value", "key 'k' (at byte 24): truncated file: value at "
           "byte 37 needs 4 bytes but only 2 are left", NULL);
    kv_start(b, GGUF_T_F64);
    reject(b, "a file ending before a value", "truncated file: value at byte 37 needs 8", NULL);
    kv_start(b, GGUF_T_STR);
    bb_u64(b, 1000);
    bb_put(b, "abcdefghij", 10);
    reject(b, "a string value past the end", "key 'k' (at byte 24): string value: string "
           "length 1000 at byte 37 runs past the end of the file (10 bytes left)", NULL);
    kv_start(b, GGUF_T_STR);
    bb_put(b, "\x01\x00", 2);
    reject(b, "a file cut inside a string length", "truncated file: string value at byte 37",
           NULL);

    kv_start(b, 13);
    bb_u32(b, 0);
    reject(b, "value type 13", "key 'k' (at byte 24): unknown value type 13 at byte 33", NULL);
    kv_start(b, -1);
    bb_u32(b, 0);
    reject(b, "value type -1", "unknown value type -1 at byte 33", NULL);

    /* Two keys: the second one is a duplicate. */
    bb_header(b, 0, 2);
    bb_str(b, "dup");
    bb_i32(b, GGUF_T_U8);
    bb_u8(b, 1);
    bb_str(b, "dup");
    bb_i32(b, GGUF_T_STR);
    bb_str(b, "x");
    reject(b, "a duplicate key", "key 'dup' (at byte 40): duplicate key (first at byte 24)",
           NULL);

    bb_header(b, 0, 1);
    bb_strn(b, "a\0b", 3);
    bb_i32(b, GGUF_T_U8);
    bb_u8(b, 1);
    reject(b, "a key with a NUL byte", "key 'a\\x00b' (at byte 24): key contains a NUL byte",
           NULL);

    /* Control characters in a key are escaped: the message stays one line. */
    bb_header(b, 0, 1);
    bb_str(b, "evil\n\x1b[2Jkey");
    bb_i32(b, 77);
    reject(b, "a key with control characters", "key 'evil\\x0a\\x1b[2Jkey'", NULL);
    {
        char longkey[301];

        memset(longkey, 'x', 300);
        longkey[300] = '\0';
        bb_header(b, 0, 1);
        bb_str(b, longkey);
        bb_i32(b, 77);
        reject(b, "a 300-byte key", "xxx...' (at byte 24)", NULL);
        ok(strlen(err) < 250, "long keys are cut in messages (%zu bytes)", strlen(err));
    }

    /* general.alignment: u32, nonzero power of two. */
    bb_header(b, 0, 1);
    bb_str(b, "general.alignment");
    bb_i32(b, GGUF_T_U64);
    bb_u64(b, 64);
    reject(b, "general.alignment as u64", "key 'general.alignment' (at byte 24): "
           "general.alignment has type u64, expected u32", NULL);
    bb_header(b, 0, 1);
    bb_str(b, "general.alignment");
    bb_i32(b, GGUF_T_STR);
    bb_str(b, "64");
    reject(b, "general.alignment as string", "general.alignment has type string", NULL);
    bb_header(b, 0, 1);
    bb_str(b, "general.alignment");
    bb_i32(b, GGUF_T_U32);
    bb_u32(b, 48);
    reject(b, "alignment 48", "key 'general.alignment' (at byte 24): alignment 48 at byte 53 is "
           "not a power of two", NULL);
    b->len -= 4;
    bb_u32(b, 0);
    reject(b, "alignment 0", "alignment 0 at byte 53 is not a power of two", NULL);
    b->len -= 4;
    bb_u32(b, 1);
    gguf_close(accept(b, "alignment 1"));

    snprintf(want, sizeof want, "%s", "nested array (array of arrays) at byte 37 is not supported");
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, GGUF_T_ARR);
    bb_u64(b, 1);
    bb_i32(b, GGUF_T_U8);
    bb_u64(b, 0);
    reject(b, "a nested array", want, NULL);
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, 99);
    bb_u64(b, 0);
    reject(b, "array element type 99", "unknown array element type 99 at byte 37", NULL);
    kv_start(b, GGUF_T_ARR);
    bb_put(b, "\x04\x00", 2);
    reject(b, "a file cut inside an array type", "truncated file: array element type at byte 37",
           NULL);
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, GGUF_T_U32);
    bb_put(b, "\x04\x00", 2);
    reject(b, "a file cut inside an array length", "truncated file: array length at byte 41",
           NULL);
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, GGUF_T_U32);
    bb_u64(b, 1ull << 62);
    bb_zeros(b, 16);
    reject(b, "an array of 2^62 u32", "array length 4611686018427387904 at byte 41 runs past "
           "the end of the file", "16 bytes left", NULL);
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, GGUF_T_U64);
    bb_u64(b, UINT64_MAX);
    reject(b, "an array of 2^64-1 u64", "array length 18446744073709551615 at byte 41", NULL);
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, GGUF_T_U16);
    bb_u64(b, 5);
    bb_zeros(b, 9);
    reject(b, "an array one byte short", "array length 5 at byte 41 runs past", NULL);
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, GGUF_T_STR);
    bb_u64(b, UINT64_MAX / 2);
    bb_zeros(b, 64);
    reject(b, "an array of 2^63 strings", "array length 9223372036854775807 at byte 41 runs "
           "past the end of the file", NULL);
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, GGUF_T_STR);
    bb_u64(b, 3);
    bb_str(b, "one");
    bb_str(b, "two");
    bb_u64(b, 1);
    reject(b, "a string array with a missing element", "array element 2: string length 1 at "
           "byte 71 runs past the end", NULL);
    kv_start(b, GGUF_T_ARR);
    bb_i32(b, GGUF_T_STR);
    bb_u64(b, 2);
    bb_str(b, "one-two-three");
    bb_put(b, "\x01\x00\x00", 3);
    reject(b, "a string array cut inside a length", "truncated file: array element 1 at byte 70",
           NULL);
}

static const int64_t ne16[4] = { 16, 1, 1, 1 };
#define LONG_NAME "blk.10.attn_output.weight" /* 25 bytes */

static void
test_tensor_info(struct bb *b)
{
    char name[80];

    bb_header(b, 1, 0);
    bb_tensor(b, "blk.0.attn_q.weight", 3, (const int64_t[]){ 32, 4, -5 }, QT_F32, 0);
    reject(b, "a negative dimension", NULL);
    is_str(err, NAME ": tensor 'blk.0.attn_q.weight' (info at byte 24): dimension 2 is "
           "negative (-5)", "negative dimension: the whole message");

    bb_header(b, 1, 0);
    bb_tensor(b, "w", 5, (const int64_t[]){ 1, 1, 1, 1, 1 }, QT_F32, 0);
    reject(b, "5 dimensions", "tensor 'w' (info at byte 24): n_dims 5 at byte 33 is more than 4",
           NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, "w", -1, ne16, QT_F32, 0);
    reject(b, "n_dims 2^32-1", "n_dims 4294967295 at byte 33", NULL);

    bb_header(b, 1, 0);
    bb_tensor(b, "w", 2, (const int64_t[]){ 1ll << 32, 1ll << 32 }, QT_F32, 0);
    reject(b, "dimensions overflowing int64", "tensor 'w' (info at byte 24): dimensions "
           "4294967296 x 4294967296 x 1 x 1 overflow int64", NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, "w", 4, (const int64_t[]){ 1 << 16, 1 << 16, 1 << 16, 1 << 16 }, QT_F32, 0);
    reject(b, "four dimensions overflowing int64", "overflow int64", NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, "w", 1, (const int64_t[]){ 1ll << 62 }, QT_F32, 0);
    reject(b, "a byte size overflowing int64", "byte size of 4611686018427387904 x 1 x 1 x 1 "
           "f32 overflows int64", NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, "w", 1, (const int64_t[]){ INT64_MAX / 32 * 32 }, QT_Q8_0, 0);
    reject(b, "a q8_0 byte size overflowing int64", "byte size of", "q8_0 overflows", NULL);

    bb_header(b, 1, 0);
    bb_tensor(b, "w", 2, (const int64_t[]){ 33, 2 }, QT_Q8_0, 0);
    reject(b, "ne[0] not a multiple of 32", "tensor 'w' (info at byte 24): row length ne[0] = "
           "33 is not a multiple of the q8_0 block size 32", NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, "w", 1, (const int64_t[]){ 128 }, QT_TQ2_0, 0);
    reject(b, "ne[0] not a multiple of 256", "ne[0] = 128 is not a multiple of the tq2_0 block "
           "size 256", NULL);

    {
        static const int bad[] = { 4, 5, 31, 32, 33, 36, 39, -1, 1000 };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char what[64], want[64];

            bb_header(b, 1, 0);
            bb_tensor(b, "w", 1, ne16, bad[i], 0);
            snprintf(what, sizeof what, "tensor type id %d", bad[i]);
            snprintf(want, sizeof want, "tensor 'w' (info at byte 24): unknown type id %d at "
                     "byte 45", bad[i]);
            reject(b, what, want, NULL);
        }
    }

    bb_header(b, 2, 0);
    bb_tensor(b, "w", 1, ne16, QT_F32, 0);
    bb_tensor(b, "w", 1, ne16, QT_F32, 64);
    reject(b, "a duplicate tensor name", "tensor 'w' (info at byte 57): duplicate tensor name "
           "(first info at byte 24)", NULL);

    memset(name, 'n', 64);
    name[64] = '\0';
    bb_header(b, 1, 0);
    bb_tensor(b, name, 1, ne16, QT_F32, 0);
    reject(b, "a 64-byte tensor name", "tensor #0 (info at byte 24): name of 64 bytes is too "
           "long (at most 63)", NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, "", 1, ne16, QT_F32, 0);
    reject(b, "an empty tensor name", "tensor #0 (info at byte 24): empty tensor name", NULL);
    bb_header(b, 1, 0);
    bb_strn(b, "a\0b", 3);
    bb_u32(b, 1);
    bb_i64(b, 16);
    bb_i32(b, QT_F32);
    bb_u64(b, 0);
    reject(b, "a tensor name with a NUL byte", "name contains a NUL byte", NULL);
    bb_header(b, 1, 0);
    bb_u64(b, 500);
    bb_zeros(b, 40);
    reject(b, "a tensor name past the end", "tensor #0 (info at byte 24): name: string length "
           "500 at byte 24 runs past the end", NULL);

    /* Truncated inside the tensor infos (with a name long enough that
     * n_tensors itself is plausible). */
    bb_header(b, 1, 0);
    bb_tensor(b, LONG_NAME, 2, (const int64_t[]){ 32, 2 }, QT_F32, 0);
    b->len = 69 + 3;
    reject(b, "a file cut inside a dimension", "tensor '" LONG_NAME "' (info at byte 24): "
           "truncated file: dimension 1 at byte 69 needs 8 bytes but only 3 are left", NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, LONG_NAME, 2, (const int64_t[]){ 32, 2 }, QT_F32, 0);
    b->len -= 8;
    reject(b, "a file ending before a data offset", "tensor '" LONG_NAME "' (info at byte 24): "
           "truncated file: data offset at byte 81 needs 8 bytes but only 0 are left", NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, LONG_NAME, 2, (const int64_t[]){ 32, 2 }, QT_F32, 0);
    b->len = 57 + 2;
    reject(b, "a file cut inside n_dims", "truncated file: n_dims at byte 57", NULL);
    bb_header(b, 1, 0);
    bb_tensor(b, LONG_NAME, 2, (const int64_t[]){ 32, 2 }, QT_F32, 0);
    b->len = 77 + 1;
    reject(b, "a file cut inside a type", "truncated file: type at byte 77", NULL);
    bb_header(b, 2, 0);
    bb_tensor(b, LONG_NAME, 1, ne16, QT_F32, 0);
    bb_zeros(b, 7);
    reject(b, "a file cut inside the second tensor info", "tensor #1 (info at byte 81): "
           "truncated file: name at byte 81", NULL);
}

/* A file of tensors named t0, t1... with F32 data of nel[i] floats at
 * off[i], and blob bytes of data after the padding. */
static void
tensor_file(struct bb *b, int n, const int64_t *nel, const uint64_t *off, size_t blob,
            uint32_t align)
{
    bb_header(b, n, align != 0);
    if (align != 0) {
        bb_str(b, "general.alignment");
        bb_i32(b, GGUF_T_U32);
        bb_u32(b, align);
    }
    for (int i = 0; i < n; i++) {
        char name[16];

        snprintf(name, sizeof name, "t%d", i);
        bb_tensor(b, name, 1, &nel[i], QT_F32, off[i]);
    }
    bb_pad(b, align != 0 ? align : 32);
    for (size_t i = 0; i < blob; i++)
        bb_u8(b, (uint8_t)i);
}

static void
test_placement(struct bb *b)
{
    gguf *g;

    tensor_file(b, 1, (const int64_t[]){ 16 }, (const uint64_t[]){ 0 }, 64, 0);
    g = accept(b, "one tensor that fills the blob");
    if (g != NULL) {
        ok(gguf_data_offset(g) == 64 && ((const uint8_t *)gguf_tensor_data(g, 0))[63] == 63,
           "data offset 64 and data pointer");
        gguf_close(g);
    }
    tensor_file(b, 1, (const int64_t[]){ 16 }, (const uint64_t[]){ 0 }, 63, 0);
    reject(b, "a tensor one byte past the end", "tensor 't0' (info at byte 24): data at offset 0"
           " (64 bytes, from byte 64) lies outside the file (127 bytes)", NULL);
    tensor_file(b, 1, (const int64_t[]){ 16 }, (const uint64_t[]){ 64 }, 64, 0);
    reject(b, "a tensor after the end", "data at offset 64 (64 bytes, from byte 128) lies "
           "outside the file (128 bytes)", NULL);
    tensor_file(b, 1, (const int64_t[]){ 16 }, (const uint64_t[]){ 1ull << 63 }, 64, 0);
    reject(b, "a tensor at offset 2^63", "data at offset 9223372036854775808", "outside", NULL);
    tensor_file(b, 1, (const int64_t[]){ 16 }, (const uint64_t[]){ UINT64_MAX - 31 }, 64, 0);
    reject(b, "a tensor at offset 2^64-32", "outside the file", NULL);
    tensor_file(b, 1, (const int64_t[]){ 0 }, (const uint64_t[]){ 0 }, 0, 0);
    b->len = 58;
    reject(b, "an empty tensor in a file without the data padding", "lies outside the file",
           NULL);
    tensor_file(b, 1, (const int64_t[]){ 16 }, (const uint64_t[]){ 16 }, 128, 0);
    reject(b, "an offset not a multiple of 32", "tensor 't0' (info at byte 24): data offset 16 "
           "at byte 50 is not a multiple of the alignment 32", NULL);
    tensor_file(b, 1, (const int64_t[]){ 16 }, (const uint64_t[]){ 32 }, 128, 64);
    reject(b, "an offset not a multiple of 64", "data offset 32 at byte 83 is not a multiple of "
           "the alignment 64", NULL);

    tensor_file(b, 2, (const int64_t[]){ 16, 16 }, (const uint64_t[]){ 0, 32 }, 128, 0);
    reject(b, "overlapping tensors", "tensor 't1' (info at byte 58): data at offset 32 overlaps "
           "tensor 't0' (offset 0, 64 bytes)", NULL);
    tensor_file(b, 2, (const int64_t[]){ 8, 8 }, (const uint64_t[]){ 32, 32 }, 128, 0);
    reject(b, "two tensors at the same offset", "data at offset 32 overlaps tensor 't0' (offset "
           "32, 32 bytes)", NULL);
    tensor_file(b, 3, (const int64_t[]){ 8, 8, 64 }, (const uint64_t[]){ 0, 256, 64 }, 512, 0);
    reject(b, "a tensor overlapping a later one", "tensor 't1' (info at byte 58): data at offset"
           " 256 overlaps tensor 't2' (offset 64, 256 bytes)", NULL);

    /* Lenient placement: any aligned, in-file, non-overlapping offset. */
    tensor_file(b, 3, (const int64_t[]){ 8, 8, 0 }, (const uint64_t[]){ 128, 0, 0 }, 160, 0);
    g = accept(b, "tensors out of order, with a gap and an empty tensor");
    if (g != NULL) {
        ok(gguf_tensor_offset(g, 0) == 128 && gguf_tensor_nbytes(g, 2) == 0 &&
           ((const uint8_t *)gguf_tensor_data(g, 0))[0] == 128, "placement read back");
        gguf_close(g);
    }
    tensor_file(b, 2, (const int64_t[]){ 16, 16 }, (const uint64_t[]){ 0, 64 }, 128, 64);
    g = accept(b, "a 64-aligned file");
    gguf_close(g);

    /* Vocab-only: no tensors, the file may end without the padding. */
    bb_header(b, 0, 1);
    bb_str(b, "k");
    bb_i32(b, GGUF_T_U8);
    bb_u8(b, 7);
    g = accept(b, "a tensorless file ending right after its metadata");
    if (g != NULL) {
        ok(gguf_size(g) == 38 && gguf_data_offset(g) == 64 && gguf_n_tensors(g) == 0,
           "size 38, data offset 64");
        gguf_close(g);
    }
}

/* The reader maps files too: messages name the path. */
static void
test_files(struct bb *b)
{
    char path[128];
    FILE *f;
    gguf *g;

    snprintf(path, sizeof path, "%s/cut.gguf", tmpdir);
    f = fopen(path, "wb");
    fclose(f);
    g = gguf_open(path, err, sizeof err);
    ok(g == NULL, "rejects an empty file");
    contains(err, path, "empty file: message names the path");
    contains(err, "truncated file: magic at byte 0", "empty file: truncated at byte 0");

    bb_header(b, 1, 0);
    bb_tensor(b, "blk.0.attn_q.weight", 3, (const int64_t[]){ 32, 4, -5 }, QT_F32, 0);
    f = fopen(path, "wb");
    fwrite(b->p, 1, b->len, f);
    fclose(f);
    g = gguf_open(path, err, sizeof err);
    ok(g == NULL, "rejects a bad file from disk");
    {
        char want[256];

        snprintf(want, sizeof want, "%s: tensor 'blk.0.attn_q.weight' (info at byte 24): "
                 "dimension 2 is negative (-5)", path);
        is_str(err, want, "file message: path, tensor, offset, field");
    }
    unlink(path);
    g = gguf_open(path, err, sizeof err);
    ok(g == NULL, "a missing file");
    contains(err, strerror(ENOENT), "missing file: strerror");
    g = gguf_open(tmpdir, err, sizeof err);
    ok(g == NULL, "a directory");
    contains(err, "not a regular file", "directory message");
}

/* Huge counts are refused before anything is allocated: in a child with
 * a small address-space limit a reader that trusted them would abort. */
static void
test_bounded_alloc(struct bb *b)
{
#ifdef TERNCHAT_ASAN
    (void)b;
    skip("address-space limit test does not work under ASan");
#else
    pid_t pid;
    int st = 0;

    pid = fork();
    if (pid == 0) {
        struct rlimit lim = { 1ull << 30, 1ull << 30 };
        static const int64_t cases[][2] = { { 0, 1ll << 40 }, { 1ll << 40, 0 } };
        int bad = 0;

        setrlimit(RLIMIT_AS, &lim);
        for (size_t i = 0; i < 2; i++) {
            bb_header(b, cases[i][0], cases[i][1]);
            bb_zeros(b, 1 << 20);
            bad |= gguf_open_mem(b->p, b->len, NAME, err, sizeof err) != NULL;
        }
        kv_start(b, GGUF_T_ARR);
        bb_i32(b, GGUF_T_STR);
        bb_u64(b, 1ull << 40);
        bb_zeros(b, 1 << 20);
        bad |= gguf_open_mem(b->p, b->len, NAME, err, sizeof err) != NULL;
        _exit(bad);
    }
    waitpid(pid, &st, 0);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "huge counts rejected under a 1 GiB address-space"
       " limit (status %d)", st);
#endif
}

/* Walk everything an accepted file offers (ASan checks the reads). */
static double
walk(const gguf *g)
{
    double sum = 0;
    size_t len;

    for (int64_t i = 0; i < gguf_n_kv(g); i++) {
        int t = gguf_kv_type(g, i);
        const char *s;

        sum += (double)strlen(gguf_kv_key(g, i));
        if (t == GGUF_T_STR) {
            s = gguf_kv_str(g, i, &len);
            sum += len > 0 ? (unsigned char)s[len - 1] : 0;
        } else if (t != GGUF_T_ARR) {
            sum += gguf_kv_float(g, i);
        } else {
            for (uint64_t j = 0; j < gguf_kv_arr_n(g, i); j++) {
                if (gguf_kv_arr_type(g, i) == GGUF_T_STR) {
                    s = gguf_kv_arr_str(g, i, j, &len);
                    sum += len > 0 ? (unsigned char)s[len - 1] : 0;
                } else {
                    sum += gguf_kv_arr_float(g, i, j);
                }
            }
        }
    }
    for (int64_t i = 0; i < gguf_n_tensors(g); i++) {
        const uint8_t *d = gguf_tensor_data(g, i);
        uint64_t n = gguf_tensor_nbytes(g, i);

        sum += (double)strlen(gguf_tensor_name(g, i)) + (double)gguf_tensor_ne(g, i)[3];
        if (n > 0)
            sum += d[0] + d[n - 1];
    }
    return sum;
}

/* Every truncation and many byte mutations of a valid file. */
static void
test_mutations(void)
{
    static const char *const strs[] = { "a", "bc", "" };
    static const uint32_t u32s[] = { 1, 2, 3 };
    static const uint8_t xors[] = { 0x01, 0x80, 0xff, 0x10, 0x3f };
    gguf_writer *w = gguf_writer_new();
    uint8_t *mem = NULL, *copy;
    size_t mlen = 0, accepted = 0, rejected = 0, bad_trunc = 0, cut_at;
    static uint8_t data[512];
    char e[256];
    gguf *g;

    gguf_writer_set_str(w, "general.architecture", "llama");
    gguf_writer_set_u32(w, "x.u32", 5);
    gguf_writer_set_arr(w, "x.arr", GGUF_T_U32, u32s, 3);
    gguf_writer_set_arr_str(w, "x.strs", strs, 3);
    gguf_writer_add_tensor(w, "a", QT_F32, 2, (const int64_t[]){ 4, 2 }, data, e, sizeof e);
    gguf_writer_add_tensor(w, "b", QT_Q8_0, 1, (const int64_t[]){ 64 }, data, e, sizeof e);
    gguf_writer_write_mem(w, &mem, &mlen, e, sizeof e);
    g = gguf_open_mem(mem, mlen, "m", e, sizeof e);
    cut_at = g != NULL ? gguf_data_offset(g) + gguf_tensor_offset(g, 1) + 68 : 0;
    gguf_close(g);
    ok(cut_at > 0, "mutation base file is valid");
    /* Each prefix goes into its own exact-size buffer so ASan sees any
     * read past its end. */
    for (size_t n = 0; n < mlen; n++) {
        copy = malloc(n > 0 ? n : 1);
        memcpy(copy, mem, n);
        g = gguf_open_mem(copy, n, "m", e, sizeof e);
        if (g != NULL) {
            walk(g);
            gguf_close(g);
        }
        if ((g != NULL) != (n >= cut_at))
            bad_trunc++;
        free(copy);
    }
    ok(bad_trunc == 0, "every truncation before the end of the last tensor is rejected "
       "(%zu wrong)", bad_trunc);
    copy = malloc(mlen);
    for (size_t i = 0; i < mlen; i++) {
        for (size_t k = 0; k < sizeof xors; k++) {
            memcpy(copy, mem, mlen);
            copy[i] ^= xors[k];
            g = gguf_open_mem(copy, mlen, "m", e, sizeof e);
            if (g != NULL) {
                accepted++;
                walk(g);
                gguf_close(g);
            } else {
                rejected++;
            }
        }
    }
    ok(rejected > 0 && accepted > 0, "byte mutations: %zu accepted, %zu rejected, no crash",
       accepted, rejected);
    free(copy);
    free(mem);
    gguf_writer_free(w);
}

int
main(void)
{
    struct bb b = { 0 };

    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_gguf_reject.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        ok(0, "mkdtemp: %s", strerror(errno));
        return done_testing();
    }
    test_header(&b);
    test_kv(&b);
    test_tensor_info(&b);
    test_placement(&b);
    test_files(&b);
    test_bounded_alloc(&b);
    test_mutations();
    free(b.p);
    ok(rmdir(tmpdir) == 0, "temporary directory empty and removed");
    return done_testing();
}
