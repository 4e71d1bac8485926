/* test_gguf.c: the GGUF writer and reader round trip (every value type,
 * custom alignment, tensors of several types and ranks, versions 2 and 3,
 * write_mem, copy_kv), writer errors, the type table and the real
 * vocab-only files from the test data. Hostile inputs are in
 * test_gguf_reject.c. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf.h"
#include "qtype.h"
#include "tap.h"

static char tmpdir[64]; /* scratch directory, removed at the end */

/* The tensors written by make_writer. */
struct ttensor {
    const char *name; /* tensor name */
    int type;         /* qtype */
    int n_dims;       /* rank */
    int64_t ne[4];    /* shape */
    size_t nbytes;    /* bytes of data */
    uint8_t *data;    /* its bytes */
};

static struct ttensor tensors[] = {
    { "a.f32", QT_F32, 1, { 5, 1, 1, 1 }, 20, NULL },
    { "b.f16", QT_F16, 2, { 3, 7, 1, 1 }, 42, NULL },
    { "c.bf16", QT_BF16, 3, { 2, 3, 4, 1 }, 48, NULL },
    { "d.q8_0", QT_Q8_0, 4, { 64, 2, 1, 3 }, 2 * 34 * 6, NULL },
    { "e.tq2_0", QT_TQ2_0, 2, { 256, 2, 1, 1 }, 132, NULL },
    { "f.this-name-is-sixty-three-bytes-long.abcdefghijklmnopqrstuvwxy", QT_F32, 1,
      { 1, 1, 1, 1 }, 4, NULL },
};
#define N_TENSORS (sizeof tensors / sizeof tensors[0])

static const uint8_t a_u8[] = { 0, 1, 255 };
static const int8_t a_i8[] = { -128, 0, 127 };
static const uint16_t a_u16[] = { 0, 65535 };
static const int16_t a_i16[] = { -32768, 32767, -1 };
static const uint32_t a_u32[] = { 7, 4000000000u };
static const int32_t a_i32[] = { INT32_MIN, -1, INT32_MAX };
static const float a_f32[] = { 1.5f, -0.25f, 3e38f };
static const uint8_t a_bool[] = { 1, 0, 1, 1 };
static const uint64_t a_u64[] = { 0, UINT64_MAX };
static const int64_t a_i64[] = { INT64_MIN, 42 };
static const double a_f64[] = { 3.141592653589793, -1e300 };
static const char *const a_str[] = { "hello", "", "w\xc3\xb6rld", "tab\there" };

static gguf_writer *
make_writer(uint32_t version)
{
    gguf_writer *w = gguf_writer_new();
    char err[256];

    gguf_writer_set_version(w, version);
    gguf_writer_set_str(w, "general.architecture", "llama");
    gguf_writer_set_u8(w, "t.u8", 200);
    gguf_writer_set_i32(w, "t.i32", -123456);
    gguf_writer_set_u32(w, "t.u32", 4000000000u);
    gguf_writer_set_u64(w, "t.u64", UINT64_MAX - 1);
    gguf_writer_set_f32(w, "t.f32", 0.5f);
    gguf_writer_set_bool(w, "t.bool", 1);
    gguf_writer_set_bool(w, "t.false", 0);
    gguf_writer_set_str(w, "t.str", "first value");
    gguf_writer_set_u32(w, "general.alignment", 64);
    gguf_writer_set_arr(w, "a.u8", GGUF_T_U8, a_u8, 3);
    gguf_writer_set_arr(w, "a.i8", GGUF_T_I8, a_i8, 3);
    gguf_writer_set_arr(w, "a.u16", GGUF_T_U16, a_u16, 2);
    gguf_writer_set_arr(w, "a.i16", GGUF_T_I16, a_i16, 3);
    gguf_writer_set_arr(w, "a.u32", GGUF_T_U32, a_u32, 2);
    gguf_writer_set_arr(w, "a.i32", GGUF_T_I32, a_i32, 3);
    gguf_writer_set_arr(w, "a.f32", GGUF_T_F32, a_f32, 3);
    gguf_writer_set_arr(w, "a.bool", GGUF_T_BOOL, a_bool, 4);
    gguf_writer_set_arr(w, "a.u64", GGUF_T_U64, a_u64, 2);
    gguf_writer_set_arr(w, "a.i64", GGUF_T_I64, a_i64, 2);
    gguf_writer_set_arr(w, "a.f64", GGUF_T_F64, a_f64, 2);
    gguf_writer_set_arr(w, "a.empty", GGUF_T_I32, NULL, 0);
    gguf_writer_set_arr_str(w, "a.str", a_str, 4);
    /* Replaced in place: stays the 9th key, with the new value. */
    gguf_writer_set_str(w, "t.str", "second value");
    for (size_t i = 0; i < N_TENSORS; i++) {
        struct ttensor *t = &tensors[i];

        if (gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, err,
                                   sizeof err) != 0)
            diag("add_tensor %s: %s", t->name, err);
    }
    return w;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

static size_t
pad(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

/* Check every value make_writer wrote. */
static void
check_values(const gguf *g, const char *what)
{
    int64_t kv, iv;
    uint64_t n;
    double dv;
    const char *s;
    size_t len;
    int b, all = 1;
    char err[512];

    ok(gguf_n_kv(g) == 23, "%s: 23 keys (got %" PRId64 ")", what, gguf_n_kv(g));
    is_str(gguf_kv_key(g, 0), "general.architecture", "first key in order");
    is_str(gguf_kv_key(g, 8), "t.str", "replaced key keeps its place");
    is_str(gguf_kv_key(g, 22), "a.str", "last key in order");
    ok(gguf_get_str(g, "t.str", &s, &len, err, sizeof err) == GGUF_OK && len == 12 &&
       memcmp(s, "second value", 12) == 0, "%s: replaced string value", what);
    ok(gguf_get_int(g, "t.u8", &iv, err, sizeof err) == GGUF_OK && iv == 200, "%s: u8", what);
    ok(gguf_get_int(g, "t.i32", &iv, err, sizeof err) == GGUF_OK && iv == -123456, "%s: i32", what);
    ok(gguf_get_int(g, "t.u32", &iv, err, sizeof err) == GGUF_OK && iv == 4000000000, "%s: u32", what);
    ok(gguf_get_int(g, "t.u64", &iv, err, sizeof err) == GGUF_OK && iv == INT64_MAX,
       "%s: u64 above INT64_MAX saturates", what);
    kv = gguf_find_kv(g, "t.u64");
    ok(kv >= 0 && gguf_kv_type(g, kv) == GGUF_T_U64 &&
       memcmp(gguf_kv_data(g, kv), "\xfe\xff\xff\xff\xff\xff\xff\xff", 8) == 0,
       "%s: u64 raw bytes", what);
    ok(gguf_get_float(g, "t.f32", &dv, err, sizeof err) == GGUF_OK && dv == 0.5, "%s: f32", what);
    ok(gguf_get_float(g, "t.u8", &dv, err, sizeof err) == GGUF_OK && dv == 200.0,
       "%s: get_float accepts integers", what);
    ok(gguf_get_bool(g, "t.bool", &b, err, sizeof err) == GGUF_OK && b == 1, "%s: bool true", what);
    ok(gguf_get_bool(g, "t.false", &b, err, sizeof err) == GGUF_OK && b == 0, "%s: bool false", what);
    ok(gguf_get_str(g, "general.architecture", &s, &len, err, sizeof err) == GGUF_OK &&
       len == 5 && memcmp(s, "llama", 5) == 0, "%s: string", what);
    ok(gguf_get_int(g, "general.alignment", &iv, err, sizeof err) == GGUF_OK && iv == 64 &&
       gguf_alignment(g) == 64, "%s: alignment 64", what);

    /* Numeric arrays, element by element. */
    all = gguf_get_arr(g, "a.u8", GGUF_T_U8, &kv, &n, err, sizeof err) == GGUF_OK && n == 3;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_int(g, kv, i) == a_u8[i];
    ok(all, "%s: u8 array", what);
    all = gguf_get_arr(g, "a.i8", GGUF_T_I8, &kv, &n, err, sizeof err) == GGUF_OK && n == 3;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_int(g, kv, i) == a_i8[i];
    ok(all, "%s: i8 array", what);
    all = gguf_get_arr(g, "a.u16", GGUF_T_U16, &kv, &n, err, sizeof err) == GGUF_OK && n == 2;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_int(g, kv, i) == a_u16[i];
    ok(all, "%s: u16 array", what);
    all = gguf_get_arr(g, "a.i16", GGUF_T_I16, &kv, &n, err, sizeof err) == GGUF_OK && n == 3;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_int(g, kv, i) == a_i16[i];
    ok(all, "%s: i16 array", what);
    all = gguf_get_arr(g, "a.u32", GGUF_T_U32, &kv, &n, err, sizeof err) == GGUF_OK && n == 2;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_int(g, kv, i) == a_u32[i];
    ok(all, "%s: u32 array", what);
    all = gguf_get_arr(g, "a.i32", GGUF_T_I32, &kv, &n, err, sizeof err) == GGUF_OK && n == 3;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_int(g, kv, i) == a_i32[i];
    ok(all, "%s: i32 array", what);
    all = gguf_get_arr(g, "a.f32", GGUF_T_F32, &kv, &n, err, sizeof err) == GGUF_OK && n == 3;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_float(g, kv, i) == (double)a_f32[i];
    ok(all, "%s: f32 array", what);
    all = gguf_get_arr(g, "a.bool", GGUF_T_BOOL, &kv, &n, err, sizeof err) == GGUF_OK && n == 4;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_int(g, kv, i) == a_bool[i];
    ok(all, "%s: bool array", what);
    all = gguf_get_arr(g, "a.u64", GGUF_T_U64, &kv, &n, err, sizeof err) == GGUF_OK && n == 2 &&
          gguf_kv_arr_int(g, kv, 0) == 0 && gguf_kv_arr_int(g, kv, 1) == INT64_MAX &&
          gguf_kv_arr_float(g, kv, 1) == 18446744073709551615.0;
    ok(all, "%s: u64 array", what);
    all = gguf_get_arr(g, "a.i64", GGUF_T_I64, &kv, &n, err, sizeof err) == GGUF_OK && n == 2;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_int(g, kv, i) == a_i64[i];
    ok(all, "%s: i64 array", what);
    all = gguf_get_arr(g, "a.f64", GGUF_T_F64, &kv, &n, err, sizeof err) == GGUF_OK && n == 2;
    for (uint64_t i = 0; all && i < n; i++)
        all = gguf_kv_arr_float(g, kv, i) == a_f64[i];
    ok(all, "%s: f64 array", what);
    ok(gguf_get_arr(g, "a.empty", GGUF_T_I32, &kv, &n, err, sizeof err) == GGUF_OK && n == 0,
       "%s: empty array", what);
    all = gguf_get_arr(g, "a.str", GGUF_T_STR, &kv, &n, err, sizeof err) == GGUF_OK && n == 4;
    for (uint64_t i = 0; all && i < n; i++) {
        s = gguf_kv_arr_str(g, kv, i, &len);
        all = len == strlen(a_str[i]) && memcmp(s, a_str[i], len) == 0;
    }
    ok(all, "%s: string array", what);
    ok(gguf_get_arr(g, "a.str", -1, &kv, &n, err, sizeof err) == GGUF_OK && n == 4 &&
       gguf_kv_arr_type(g, kv) == GGUF_T_STR && gguf_kv_data(g, kv) == NULL,
       "%s: get_arr with any element type", what);
}

/* Check the tensors make_writer added: shapes, types, placement, data. */
static void
check_tensors(const gguf *g, const char *what)
{
    uint64_t expect = 0;
    int place = 1, shape = 1, data = 1;

    ok(gguf_n_tensors(g) == (int64_t)N_TENSORS, "%s: %zu tensors", what, N_TENSORS);
    ok(gguf_data_offset(g) % 64 == 0, "%s: data blob aligned to 64 (%zu)", what,
       gguf_data_offset(g));
    for (size_t i = 0; i < N_TENSORS && (int64_t)i < gguf_n_tensors(g); i++) {
        const struct ttensor *t = &tensors[i];
        const int64_t *ne = gguf_tensor_ne(g, (int64_t)i);

        if (strcmp(gguf_tensor_name(g, (int64_t)i), t->name) != 0 ||
            gguf_find_tensor(g, t->name) != (int64_t)i ||
            gguf_tensor_type(g, (int64_t)i) != t->type ||
            gguf_tensor_ndims(g, (int64_t)i) != t->n_dims ||
            gguf_tensor_nbytes(g, (int64_t)i) != t->nbytes)
            shape = 0;
        for (int j = 0; j < 4; j++)
            if (ne[j] != t->ne[j])
                shape = 0;
        if (gguf_tensor_offset(g, (int64_t)i) != expect || expect % 64 != 0)
            place = 0;
        if (memcmp(gguf_tensor_data(g, (int64_t)i), t->data, t->nbytes) != 0 ||
            (const uint8_t *)gguf_tensor_data(g, (int64_t)i) !=
                (const uint8_t *)gguf_tensor_data(g, 0) + expect)
            data = 0;
        expect = pad(expect + t->nbytes, 64);
    }
    ok(shape, "%s: names, types, ranks, ne, nbytes", what);
    ok(place, "%s: offsets aligned and contiguous in info order", what);
    ok(data, "%s: tensor data bytes", what);
    ok(gguf_size(g) == gguf_data_offset(g) + expect, "%s: file size = data offset + padded data",
       what);
    ok(gguf_find_tensor(g, "nope") == -1 && gguf_find_kv(g, "nope") == -1, "%s: absent names",
       what);
    ok(gguf_tensor_info_offset(g, 0) > 24 &&
       gguf_tensor_info_offset(g, 1) > gguf_tensor_info_offset(g, 0), "%s: info offsets", what);
}

static void
test_round_trip(void)
{
    char path[128], err[512];
    gguf_writer *w = make_writer(3);
    uint8_t *mem = NULL, *file;
    size_t mlen = 0, flen = 0;
    gguf *g;

    snprintf(path, sizeof path, "%s/rt.gguf", tmpdir);
    ok(gguf_writer_write(w, path, err, sizeof err) == 0, "write v3 file");
    g = gguf_open(path, err, sizeof err);
    if (!ok(g != NULL, "open v3 file"))
        diag("%s", err);
    if (g != NULL) {
        is_str(gguf_name(g), path, "gguf_name is the path");
        ok(gguf_version(g) == 3, "version 3");
        check_values(g, "v3");
        check_tensors(g, "v3");
        gguf_close(g);
    }
    ok(gguf_writer_write_mem(w, &mem, &mlen, err, sizeof err) == 0, "write_mem");
    file = read_file(path, &flen);
    ok(file != NULL && flen == mlen && memcmp(file, mem, mlen) == 0,
       "write_mem bytes equal the file bytes (%zu)", mlen);
    /* Writing again over an existing file replaces it. */
    ok(gguf_writer_write(w, path, err, sizeof err) == 0, "write over an existing file");
    free(file);
    free(mem);
    gguf_writer_free(w);

    w = make_writer(2);
    ok(gguf_writer_write_mem(w, &mem, &mlen, err, sizeof err) == 0, "write_mem v2");
    g = gguf_open_mem(mem, mlen, "v2.gguf", err, sizeof err);
    if (!ok(g != NULL, "open v2 buffer"))
        diag("%s", err);
    if (g != NULL) {
        is_str(gguf_name(g), "v2.gguf", "gguf_name is the name given");
        ok(gguf_version(g) == 2, "version 2");
        check_values(g, "v2");
        check_tensors(g, "v2");
        gguf_close(g);
    }
    free(mem);
    gguf_writer_free(w);
}

/* Checked getters: missing keys and wrong types name file, key, offset,
 * expected and found type. */
static void
test_getters(void)
{
    gguf_writer *w = make_writer(3);
    uint8_t *mem = NULL;
    size_t mlen = 0, len;
    char err[512];
    int64_t iv, kv;
    uint64_t n;
    double dv;
    const char *s;
    int b;
    gguf *g;

    gguf_writer_write_mem(w, &mem, &mlen, err, sizeof err);
    g = gguf_open_mem(mem, mlen, "get.gguf", err, sizeof err);
    ok(g != NULL, "open for getters");
    if (g == NULL)
        goto out;
    kv = gguf_find_kv(g, "t.str");
    ok(gguf_get_int(g, "t.str", &iv, err, sizeof err) == GGUF_BADTYPE, "get_int on a string");
    {
        char want[256];

        snprintf(want, sizeof want, "get.gguf: key 't.str' (at byte %" PRIu64 "): expected an"
                 " integer, found string", gguf_kv_offset(g, kv));
        is_str(err, want, "get_int message names file, key, offset and types");
    }
    ok(gguf_get_int(g, "nope.key", &iv, err, sizeof err) == GGUF_MISSING, "get_int missing");
    is_str(err, "get.gguf: key 'nope.key' is missing", "missing key message");
    ok(gguf_get_float(g, "t.str", &dv, err, sizeof err) == GGUF_BADTYPE, "get_float on a string");
    contains(err, "expected a number, found string", "get_float message");
    ok(gguf_get_bool(g, "t.u8", &b, err, sizeof err) == GGUF_BADTYPE, "get_bool on a u8");
    contains(err, "expected bool, found u8", "get_bool message");
    ok(gguf_get_str(g, "a.str", &s, &len, err, sizeof err) == GGUF_BADTYPE, "get_str on an array");
    contains(err, "key 'a.str' (at byte ", "get_str message names the key and offset");
    contains(err, "expected string, found array of string", "get_str message types");
    ok(gguf_get_arr(g, "a.u32", GGUF_T_I32, &kv, &n, err, sizeof err) == GGUF_BADTYPE,
       "get_arr with another element type");
    contains(err, "expected array of i32, found array of u32", "get_arr message");
    ok(gguf_get_arr(g, "t.u32", -1, &kv, &n, err, sizeof err) == GGUF_BADTYPE,
       "get_arr on a scalar");
    contains(err, "expected array, found u32", "get_arr scalar message");
    ok(gguf_get_int(g, "t.bool", &iv, err, sizeof err) == GGUF_BADTYPE, "get_int on a bool");
    ok(gguf_get_str(g, "missing", &s, &len, NULL, 0) == GGUF_MISSING, "NULL err buffer is fine");
    is_str(gguf_vtype_name(GGUF_T_F64), "f64", "vtype name f64");
    is_str(gguf_vtype_name(99), "unknown", "vtype name of a bad id");
    gguf_close(g);
out:
    free(mem);
    gguf_writer_free(w);
}

/* Same type and value for key k of a and b. */
static int
same_kv(const gguf *a, int64_t i, const gguf *b, int64_t j)
{
    int t = gguf_kv_type(a, i), et;
    static const uint8_t sz[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
    const char *s1, *s2;
    size_t l1, l2;
    uint64_t n;

    if (t != gguf_kv_type(b, j))
        return 0;
    if (t == GGUF_T_STR) {
        s1 = gguf_kv_str(a, i, &l1);
        s2 = gguf_kv_str(b, j, &l2);
        return l1 == l2 && memcmp(s1, s2, l1) == 0;
    }
    if (t != GGUF_T_ARR)
        return memcmp(gguf_kv_data(a, i), gguf_kv_data(b, j), sz[t]) == 0;
    et = gguf_kv_arr_type(a, i);
    n = gguf_kv_arr_n(a, i);
    if (et != gguf_kv_arr_type(b, j) || n != gguf_kv_arr_n(b, j))
        return 0;
    if (et != GGUF_T_STR)
        return n == 0 || memcmp(gguf_kv_data(a, i), gguf_kv_data(b, j), n * sz[et]) == 0;
    for (uint64_t k = 0; k < n; k++) {
        s1 = gguf_kv_arr_str(a, i, k, &l1);
        s2 = gguf_kv_arr_str(b, j, k, &l2);
        if (l1 != l2 || memcmp(s1, s2, l1) != 0)
            return 0;
    }
    return 1;
}

/* copy_kv writes every key of src but the skipped ones; compare. */
static void
check_copy(const gguf *src, const char *const *skip, const char *what)
{
    gguf_writer *w = gguf_writer_new();
    uint8_t *mem = NULL;
    size_t mlen = 0;
    char err[512];
    int64_t j = 0, nskip = 0;
    int all = 1;
    gguf *g;

    gguf_writer_copy_kv(w, src, skip);
    ok(gguf_writer_write_mem(w, &mem, &mlen, err, sizeof err) == 0, "%s: write copy", what);
    g = gguf_open_mem(mem, mlen, "copy.gguf", err, sizeof err);
    if (!ok(g != NULL, "%s: open copy", what))
        diag("%s", err);
    if (g != NULL) {
        for (int64_t i = 0; i < gguf_n_kv(src); i++) {
            int skipped = 0;

            for (size_t k = 0; skip != NULL && skip[k] != NULL; k++)
                skipped |= strcmp(skip[k], gguf_kv_key(src, i)) == 0;
            if (skipped) {
                nskip++;
                all &= gguf_find_kv(g, gguf_kv_key(src, i)) == -1;
                continue;
            }
            all &= j < gguf_n_kv(g) && strcmp(gguf_kv_key(g, j), gguf_kv_key(src, i)) == 0 &&
                   same_kv(src, i, g, j);
            j++;
        }
        ok(all && j == gguf_n_kv(g), "%s: %" PRId64 " keys copied in order, same types and "
           "values, %" PRId64 " skipped", what, j, nskip);
        ok(gguf_alignment(g) == gguf_alignment(src), "%s: alignment copied (%zu)", what,
           gguf_alignment(g));
        gguf_close(g);
    }
    free(mem);
    gguf_writer_free(w);
}

static void
test_copy_kv(void)
{
    static const char *const skip[] = { "t.str", "a.f64", NULL };
    gguf_writer *w = make_writer(3);
    uint8_t *mem = NULL;
    size_t mlen = 0;
    char err[512];
    gguf *g;

    gguf_writer_write_mem(w, &mem, &mlen, err, sizeof err);
    g = gguf_open_mem(mem, mlen, "src.gguf", err, sizeof err);
    if (g != NULL) {
        check_copy(g, NULL, "copy_kv all");
        check_copy(g, skip, "copy_kv skipping two");
        gguf_close(g);
    }
    free(mem);
    gguf_writer_free(w);
}

static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void
test_writer_errors(void)
{
    gguf_writer *w = gguf_writer_new();
    static uint8_t buf[1 << 20];
    int64_t ne[4] = { 33, 1, 1, 1 };
    char err[512], path[256], sub[128];
    struct rlimit old, lim;
    uint8_t *mem;
    size_t mlen;
    gguf *g;

    ok(gguf_writer_add_tensor(w, "q", QT_Q8_0, 1, ne, buf, err, sizeof err) == -1,
       "add_tensor: ne[0] not a multiple of the block size");
    contains(err, "not a multiple of the q8_0 block size 32", "block size message");
    ne[0] = 32;
    ok(gguf_writer_add_tensor(w, "", QT_F32, 1, ne, buf, err, sizeof err) == -1, "empty name");
    ok(gguf_writer_add_tensor(w, "0123456789012345678901234567890123456789012345678901234567890123",
                              QT_F32, 1, ne, buf, err, sizeof err) == -1, "64-byte name");
    contains(err, "name must be 1 to 63 bytes", "name length message");
    ok(gguf_writer_add_tensor(w, "x", 4, 1, ne, buf, err, sizeof err) == -1, "unknown type");
    contains(err, "unknown type id 4", "unknown type message");
    ok(gguf_writer_add_tensor(w, "x", QT_F32, 5, ne, buf, err, sizeof err) == -1, "5 dims");
    ne[1] = -2;
    ok(gguf_writer_add_tensor(w, "x", QT_F32, 2, ne, buf, err, sizeof err) == -1, "negative dim");
    contains(err, "dimension 1 is negative (-2)", "negative dim message");
    ne[1] = INT64_MAX / 2;
    ok(gguf_writer_add_tensor(w, "x", QT_F32, 2, ne, buf, err, sizeof err) == -1, "size overflow");
    contains(err, "overflows", "overflow message");
    ne[1] = 1;
    ok(gguf_writer_add_tensor(w, "x", QT_F32, 1, ne, NULL, err, sizeof err) == -1, "no data");
    ok(gguf_writer_add_tensor(w, "x", QT_F32, 1, ne, buf, err, sizeof err) == 0, "valid tensor");
    ok(gguf_writer_add_tensor(w, "x", QT_F32, 1, ne, buf, err, sizeof err) == -1, "duplicate");
    contains(err, "tensor 'x': duplicate tensor name", "duplicate message");

    snprintf(path, sizeof path, "%s/no/such/dir/x.gguf", tmpdir);
    ok(gguf_writer_write(w, path, err, sizeof err) == -1, "write into a missing directory");
    contains(err, path, "write error names the path");
    contains(err, strerror(ENOENT), "write error gives strerror");
    /* A device or a directory in the way is never replaced. */
    ok(gguf_writer_write(w, "/dev/null", err, sizeof err) == -1, "/dev/null is not replaced");
    contains(err, "not a regular file", "the message says why");
    {
        struct stat st;

        ok(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is still a device");
    }
    ok(gguf_writer_write(w, tmpdir, err, sizeof err) == -1, "a directory is not replaced");

    gguf_writer_set_u32(w, "general.alignment", 48);
    ok(gguf_writer_write_mem(w, &mem, &mlen, err, sizeof err) == -1, "alignment 48 refused");
    contains(err, "general.alignment 48 is not a power of two", "alignment message");
    gguf_writer_set_u64(w, "general.alignment", 64);
    ok(gguf_writer_write_mem(w, &mem, &mlen, err, sizeof err) == -1, "u64 alignment refused");
    contains(err, "general.alignment has type u64, expected u32", "alignment type message");
    gguf_writer_free(w);

    /* A write that fails half way (file size limit, like a full disk)
     * reports it and leaves neither the file nor the temporary behind. */
    w = gguf_writer_new();
    ne[0] = (int64_t)(sizeof buf / 4);
    gguf_writer_add_tensor(w, "big", QT_F32, 1, ne, buf, err, sizeof err);
    snprintf(sub, sizeof sub, "%s/full", tmpdir);
    mkdir(sub, 0700);
    snprintf(path, sizeof path, "%s/big.gguf", sub);
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 100000;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        int rc = gguf_writer_write(w, path, err, sizeof err);

        setrlimit(RLIMIT_FSIZE, &old);
        ok(rc == -1, "write past the file size limit fails");
        contains(err, path, "failed write names the path");
        contains(err, strerror(EFBIG), "failed write gives strerror");
        ok(count_entries(sub) == 0, "no file or temporary left behind");
    } else {
        skip("setrlimit(RLIMIT_FSIZE) failed");
    }
    signal(SIGXFSZ, SIG_DFL);
    ok(gguf_writer_write(w, path, err, sizeof err) == 0 && count_entries(sub) == 1,
       "the same write succeeds without the limit");
    unlink(path);
    rmdir(sub);
    gguf_writer_free(w);

    /* An empty writer makes a valid empty file. */
    w = gguf_writer_new();
    ok(gguf_writer_write_mem(w, &mem, &mlen, err, sizeof err) == 0 && mlen == 32,
       "empty file is 24 bytes padded to 32");
    g = gguf_open_mem(mem, mlen, "empty", err, sizeof err);
    ok(g != NULL && gguf_n_kv(g) == 0 && gguf_n_tensors(g) == 0 && gguf_data_offset(g) == 32,
       "empty file reads back");
    gguf_close(g);
    free(mem);
    gguf_writer_free(w);
}

static void
test_qtype(void)
{
    static const struct {
        int id;
        const char *name;
        size_t elems, bytes;
    } want[] = {
        { 0, "f32", 1, 4 }, { 1, "f16", 1, 2 }, { 2, "q4_0", 32, 18 }, { 3, "q4_1", 32, 20 },
        { 6, "q5_0", 32, 22 }, { 7, "q5_1", 32, 24 }, { 8, "q8_0", 32, 34 },
        { 9, "q8_1", 32, 36 }, { 10, "q2_k", 256, 84 }, { 11, "q3_k", 256, 110 },
        { 12, "q4_k", 256, 144 }, { 13, "q5_k", 256, 176 }, { 14, "q6_k", 256, 210 },
        { 15, "q8_k", 256, 292 }, { 16, "iq2_xxs", 256, 66 }, { 17, "iq2_xs", 256, 74 },
        { 18, "iq3_xxs", 256, 98 }, { 19, "iq1_s", 256, 50 }, { 20, "iq4_nl", 32, 18 },
        { 21, "iq3_s", 256, 110 }, { 22, "iq2_s", 256, 82 }, { 23, "iq4_xs", 256, 136 },
        { 24, "i8", 1, 1 }, { 25, "i16", 1, 2 }, { 26, "i32", 1, 4 }, { 27, "i64", 1, 8 },
        { 28, "f64", 1, 8 }, { 29, "iq1_m", 256, 56 }, { 30, "bf16", 1, 2 },
        { 34, "tq1_0", 256, 54 }, { 35, "tq2_0", 256, 66 },
    };
    static const int unknown[] = { -1, 4, 5, 31, 32, 33, 36, 39, 1000 };
    int all = 1;

    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int id = want[i].id;

        if (!qtype_known(id) || qtype_name(id) == NULL || strcmp(qtype_name(id), want[i].name) != 0 ||
            qtype_from_name(want[i].name) != id || qtype_block_elems(id) != want[i].elems ||
            qtype_block_bytes(id) != want[i].bytes) {
            diag("type %d (%s) wrong", id, want[i].name);
            all = 0;
        }
    }
    ok(all, "all 31 known types: names, from_name, block sizes");
    all = 1;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        all &= !qtype_known(unknown[i]) && qtype_name(unknown[i]) == NULL &&
               qtype_block_elems(unknown[i]) == 0 && qtype_block_bytes(unknown[i]) == 0;
    ok(all, "unknown ids 4, 5, 31-33, 36+ and -1 are rejected");
    ok(qtype_from_name("Q8_0") == QT_Q8_0 && qtype_from_name("TQ2_0") == QT_TQ2_0 &&
       qtype_from_name("BF16") == QT_BF16, "from_name is case-insensitive");
    ok(qtype_from_name("q9_0") == -1 && qtype_from_name("") == -1 && qtype_from_name(NULL) == -1,
       "from_name of unknown names");
    ok(qtype_row_bytes(QT_Q8_0, 64) == 68, "row_bytes q8_0 64 = 68");
    ok(qtype_row_bytes(QT_TQ2_0, 512) == 132, "row_bytes tq2_0 512 = 132");
    ok(qtype_row_bytes(QT_TQ1_0, 256) == 54, "row_bytes tq1_0 256 = 54");
    ok(qtype_row_bytes(QT_F16, 3) == 6, "row_bytes f16 3 = 6");
    ok(qtype_row_bytes(QT_Q4_K, 4096) == 16 * 144, "row_bytes q4_k 4096");
    ok(qtype_row_bytes(QT_F32, 0) == 0, "row_bytes of 0 elements");
}

/* The real vocab-only files of llama.cpp. */
static void
test_vocab(void)
{
    static const struct {
        const char *file; /* file name */
        uint64_t n;       /* tokens, from the README of the test data */
    } counts[] = {
        { "ggml-vocab-deepseek-coder.gguf", 32256 }, { "ggml-vocab-falcon.gguf", 65024 },
        { "ggml-vocab-gpt-2.gguf", 50257 }, { "ggml-vocab-llama-spm.gguf", 32000 },
        { "ggml-vocab-phi-3.gguf", 32064 }, { "ggml-vocab-refact.gguf", 49216 },
        { "ggml-vocab-starcoder.gguf", 49152 },
    };
    const char *td = getenv("TERNCHAT_TESTDATA");
    char pat[512], err[512];
    glob_t gl;

    if (td == NULL || *td == '\0') {
        skip("TERNCHAT_TESTDATA is not set: real vocab files not tested");
        return;
    }
    snprintf(pat, sizeof pat, "%s/vocab/*.gguf", td);
    if (glob(pat, 0, NULL, &gl) != 0) {
        ok(0, "vocab files found in %s", pat);
        return;
    }
    for (size_t i = 0; i < gl.gl_pathc; i++) {
        const char *p = gl.gl_pathv[i], *base = strrchr(p, '/') + 1;
        gguf *g = gguf_open(p, err, sizeof err);
        int64_t kv;
        uint64_t n;
        int rc;

        if (!ok(g != NULL, "open %s", base))
            diag("%s", err);
        if (g == NULL)
            continue;
        ok(gguf_n_tensors(g) == 0, "%s: no tensors", base);
        n = 0;
        rc = gguf_get_arr(g, "tokenizer.ggml.tokens", GGUF_T_STR, &kv, &n, err, sizeof err);
        ok(rc == GGUF_OK, "%s: tokens is a string array", base);
        for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
            if (strcmp(base, counts[k].file) == 0)
                ok(n == counts[k].n, "%s: %" PRIu64 " tokens (README: %" PRIu64 ")", base, n,
                   counts[k].n);
        if (strcmp(base, "ggml-vocab-llama-spm.gguf") == 0) {
            const char *s;
            size_t len;

            s = gguf_kv_arr_str(g, kv, 1, &len);
            ok(len == 3 && memcmp(s, "<s>", 3) == 0, "llama-spm token 1 is <s>");
            ok(gguf_size(g) == 723869 && gguf_data_offset(g) == 723872,
               "llama-spm ends before the padding (size %zu, data offset %zu)", gguf_size(g),
               gguf_data_offset(g));
            check_copy(g, NULL, "llama-spm copy_kv");
        }
        gguf_close(g);
    }
    globfree(&gl);
}

int
main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_gguf.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        ok(0, "mkdtemp: %s", strerror(errno));
        return done_testing();
    }
    for (size_t i = 0; i < N_TENSORS; i++) {
        tensors[i].data = malloc(tensors[i].nbytes);
        for (size_t k = 0; k < tensors[i].nbytes; k++)
            tensors[i].data[k] = (uint8_t)(k * 7 + i * 31 + 1);
    }
    test_round_trip();
    test_getters();
    test_copy_kv();
    test_writer_errors();
    test_qtype();
    test_vocab();
    for (size_t i = 0; i < N_TENSORS; i++)
        free(tensors[i].data);
    {
        char p[128];

        snprintf(p, sizeof p, "%s/rt.gguf", tmpdir);
        unlink(p);
    }
    ok(rmdir(tmpdir) == 0, "temporary directory empty and removed");
    return done_testing();
}
