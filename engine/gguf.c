/* gguf.c: the GGUF reader's mapping and validation. gguf_open maps a
 * file (gguf_open_mem takes a caller's buffer) and every field is checked
 * before anything else may use it; a failure gives one line naming the
 * file, the field and its byte offset. Every count is checked against the
 * bytes left before anything is allocated for it, so memory use is
 * bounded by a small multiple of the input size. Accessors are in
 * gguf_get.c. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf_int.h"
#include "qtype.h"
#include "xmalloc.h"

#define MIN_KV_BYTES 13     /* key length, value type, a 1-byte value */
#define MIN_TENSOR_BYTES 25 /* name length, 1-byte name, n_dims, type, offset */

/* State of one validation pass. */
struct parse {
    gguf *g;        /* the file being validated */
    uint64_t pos;   /* read position */
    char ctx[512];  /* what is being read, e.g. "key 'x' (at byte 24)" */
    char *err;      /* caller's message buffer */
    size_t errsz;   /* its size */
};

const uint8_t gguf_vtype_size[GGUF_T_COUNT] = {
    [GGUF_T_U8] = 1, [GGUF_T_I8] = 1, [GGUF_T_U16] = 2, [GGUF_T_I16] = 2,
    [GGUF_T_U32] = 4, [GGUF_T_I32] = 4, [GGUF_T_F32] = 4, [GGUF_T_BOOL] = 1,
    [GGUF_T_U64] = 8, [GGUF_T_I64] = 8, [GGUF_T_F64] = 8,
};

/* ---- messages ---- */

/* Quote n bytes for a message: printable ASCII as is, others as \xNN,
 * long ones cut with "...". */
void
gguf_quote(char *dst, size_t dstsz, const uint8_t *s, uint64_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    uint64_t i;

    assert(dstsz >= GGUF_QUOTE_SIZE);
    for (i = 0; i < n && i < GGUF_QUOTE_MAX; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' && s[i] != '\'') {
            dst[o++] = (char)s[i];
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[s[i] >> 4];
            dst[o++] = hex[s[i] & 15];
        }
    }
    if (i < n) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* Replace control characters so that a message stays on one line. */
void
gguf_one_line(char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

/* A message about a file that could not be opened or mapped. */
__attribute__((format(printf, 3, 4))) static void
open_fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errsz == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    gguf_one_line(err);
}

/* Set the context that prefixes the following messages. */
__attribute__((format(printf, 2, 3))) static void
set_ctx(struct parse *ps, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ps->ctx, sizeof ps->ctx, fmt, ap);
    va_end(ap);
}

/* Write "name: context: message" into the caller's buffer; returns -1. */
__attribute__((format(printf, 2, 3))) static int
fail(struct parse *ps, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (ps->err == NULL || ps->errsz == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->ctx[0] != '\0')
        snprintf(ps->err, ps->errsz, "%s: %s: %s", ps->g->name, ps->ctx, msg);
    else
        snprintf(ps->err, ps->errsz, "%s: %s", ps->g->name, msg);
    gguf_one_line(ps->err);
    return -1;
}

/* ---- bounded reads ---- */

static uint64_t
left(const struct parse *ps)
{
    return ps->g->size - ps->pos;
}

/* Check that n more bytes exist; what names the field. */
static int
need(struct parse *ps, uint64_t n, const char *what)
{
    if (left(ps) >= n)
        return 0;
    return fail(ps, "truncated file: %s at byte %" PRIu64 " needs %" PRIu64
                " bytes but only %" PRIu64 " are left", what, ps->pos, n, left(ps));
}

static int
rd_u32(struct parse *ps, const char *what, uint32_t *v)
{
    if (need(ps, 4, what) < 0)
        return -1;
    *v = gguf_le32(ps->g->data + ps->pos);
    ps->pos += 4;
    return 0;
}

static int
rd_i32(struct parse *ps, const char *what, int32_t *v)
{
    uint32_t u;

    if (rd_u32(ps, what, &u) < 0)
        return -1;
    memcpy(v, &u, sizeof *v);
    return 0;
}

static int
rd_u64(struct parse *ps, const char *what, uint64_t *v)
{
    if (need(ps, 8, what) < 0)
        return -1;
    *v = gguf_le64(ps->g->data + ps->pos);
    ps->pos += 8;
    return 0;
}

static int
rd_i64(struct parse *ps, const char *what, int64_t *v)
{
    uint64_t u;

    if (rd_u64(ps, what, &u) < 0)
        return -1;
    memcpy(v, &u, sizeof *v);
    return 0;
}

/* Read a string header: its length, checked against the bytes left. On
 * success *at is where the bytes start and pos is past them. */
static int
rd_str(struct parse *ps, const char *what, uint64_t *at, uint64_t *len)
{
    uint64_t start = ps->pos;

    if (rd_u64(ps, what, len) < 0)
        return -1;
    if (*len > left(ps))
        return fail(ps, "%s: string length %" PRIu64 " at byte %" PRIu64
                    " runs past the end of the file (%" PRIu64 " bytes left)",
                    what, *len, start, left(ps));
    *at = ps->pos;
    ps->pos += *len;
    return 0;
}

/* ---- name storage and hash indexes ---- */

static size_t
add_name(gguf *g, const uint8_t *s, size_t n)
{
    size_t at = g->names_len;

    if (g->names_cap - g->names_len < n + 1) {
        g->names_cap = (g->names_cap + n + 1) * 2;
        g->names = xrealloc(g->names, g->names_cap);
    }
    memcpy(g->names + at, s, n);
    g->names[at + n] = '\0';
    g->names_len += n + 1;
    return at;
}

static uint64_t
hash_bytes(const void *p, size_t n)
{
    const uint8_t *s = p;
    uint64_t h = 0xcbf29ce484222325u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3u;
    return h;
}

/* Size an index for n items (n is bounded by the file size). */
static void
index_init(struct gguf_index *ix, int64_t n)
{
    size_t slots = 16;

    while (slots < (uint64_t)n * 2)
        slots *= 2;
    ix->slot = xcalloc(slots, sizeof *ix->slot);
    ix->mask = slots - 1;
}

/* The slot holding name, or the empty slot where it would go. */
size_t
gguf_index_probe(const gguf *g, const struct gguf_index *ix, int is_kv, const void *name, size_t n)
{
    size_t i = (size_t)hash_bytes(name, n) & ix->mask;

    for (;; i = (i + 1) & ix->mask) {
        int64_t k = ix->slot[i] - 1;
        size_t len, at;

        if (k < 0)
            return i;
        if (is_kv) {
            len = (size_t)g->kv[k].key_len;
            at = g->kv[k].key;
        } else {
            len = g->t[k].name_len;
            at = g->t[k].name;
        }
        if (len == n && memcmp(g->names + at, name, n) == 0)
            return i;
    }
}

/* ---- validation ---- */

static int
parse_header(struct parse *ps)
{
    gguf *g = ps->g;
    char q[GGUF_QUOTE_SIZE];
    uint32_t v;
    int64_t n_t, n_kv;
    uint64_t room;

    if (need(ps, 4, "magic") < 0)
        return -1;
    if (memcmp(g->data, "GGUF", 4) != 0) {
        gguf_quote(q, sizeof q, g->data, 4);
        return fail(ps, "bad magic at byte 0: expected 'GGUF', found '%s' (not a GGUF file)", q);
    }
    ps->pos = 4;
    if (rd_u32(ps, "version", &v) < 0)
        return -1;
    if (v != 2 && v != 3) {
        if (v == 0x02000000 || v == 0x03000000)
            return fail(ps, "bad version %" PRIu32 " at byte 4 (a big-endian file? "
                        "only little-endian versions 2 and 3 are supported)", v);
        return fail(ps, "bad version %" PRIu32 " at byte 4 (only versions 2 and 3 are supported)", v);
    }
    g->version = v;
    if (rd_i64(ps, "n_tensors", &n_t) < 0 || rd_i64(ps, "n_kv", &n_kv) < 0)
        return -1;
    if (n_t < 0)
        return fail(ps, "n_tensors at byte 8 is negative (%" PRId64 ")", n_t);
    if (n_kv < 0)
        return fail(ps, "n_kv at byte 16 is negative (%" PRId64 ")", n_kv);
    room = left(ps);
    if ((uint64_t)n_kv > room / MIN_KV_BYTES)
        return fail(ps, "n_kv at byte 16 is %" PRId64 ", more than the %" PRIu64
                    " bytes left can hold", n_kv, room);
    room -= (uint64_t)n_kv * MIN_KV_BYTES;
    if ((uint64_t)n_t > room / MIN_TENSOR_BYTES)
        return fail(ps, "n_tensors at byte 8 is %" PRId64 ", more than the %" PRIu64
                    " bytes left can hold", n_t, room);
    g->n_kv = n_kv;
    g->n_tensors = n_t;
    return 0;
}

/* An array value: element type, count, elements. */
static int
parse_array(struct parse *ps, struct gguf_kv *kv)
{
    int32_t et;
    uint64_t n, at = ps->pos, len, s;

    if (rd_i32(ps, "array element type", &et) < 0)
        return -1;
    if (et == GGUF_T_ARR)
        return fail(ps, "nested array (array of arrays) at byte %" PRIu64 " is not supported", at);
    if (et < 0 || et >= GGUF_T_COUNT)
        return fail(ps, "unknown array element type %" PRId32 " at byte %" PRIu64, et, at);
    at = ps->pos;
    if (rd_u64(ps, "array length", &n) < 0)
        return -1;
    kv->arr_type = et;
    kv->arr_n = n;
    kv->val = ps->pos;
    if (et != GGUF_T_STR) {
        if (n > left(ps) / gguf_vtype_size[et])
            return fail(ps, "array length %" PRIu64 " at byte %" PRIu64 " runs past the end of"
                        " the file (%" PRIu64 " elements of %s, %" PRIu64 " bytes left)",
                        n, at, n, gguf_vtype_name(et), left(ps));
        ps->pos += n * gguf_vtype_size[et];
        return 0;
    }
    /* Each string takes at least its 8-byte length: this bounds the table. */
    if (n > left(ps) / 8)
        return fail(ps, "array length %" PRIu64 " at byte %" PRIu64 " runs past the end of"
                    " the file (%" PRIu64 " strings, %" PRIu64 " bytes left)", n, at, n, left(ps));
    kv->strs = xmalloc(n == 0 ? 1 : n * sizeof *kv->strs);
    for (uint64_t i = 0; i < n; i++) {
        char what[64];

        snprintf(what, sizeof what, "array element %" PRIu64, i);
        kv->strs[i] = ps->pos;
        if (rd_str(ps, what, &s, &len) < 0)
            return -1;
    }
    return 0;
}

static int
check_alignment(struct parse *ps, struct gguf_kv *kv)
{
    uint32_t a;

    if (kv->type != GGUF_T_U32)
        return fail(ps, "general.alignment has type %s, expected u32", gguf_vtype_name(kv->type));
    a = gguf_le32(ps->g->data + kv->val);
    if (a == 0 || (a & (a - 1)) != 0)
        return fail(ps, "alignment %" PRIu32 " at byte %" PRIu64 " is not a power of two",
                    a, kv->val);
    ps->g->alignment = a;
    return 0;
}

static int
parse_kv(struct parse *ps, int64_t i)
{
    gguf *g = ps->g;
    struct gguf_kv *kv = &g->kv[i];
    char q[GGUF_QUOTE_SIZE];
    uint64_t at, tat;
    int32_t type;
    size_t slot;

    kv->off = ps->pos;
    kv->arr_type = -1;
    set_ctx(ps, "key #%" PRId64 " (at byte %" PRIu64 ")", i, kv->off);
    if (rd_str(ps, "key", &at, &kv->key_len) < 0)
        return -1;
    gguf_quote(q, sizeof q, g->data + at, kv->key_len);
    set_ctx(ps, "key '%s' (at byte %" PRIu64 ")", q, kv->off);
    if (memchr(g->data + at, '\0', kv->key_len) != NULL)
        return fail(ps, "key contains a NUL byte");
    slot = gguf_index_probe(g, &g->kv_ix, 1, g->data + at, kv->key_len);
    if (g->kv_ix.slot[slot] != 0)
        return fail(ps, "duplicate key (first at byte %" PRIu64 ")",
                    g->kv[g->kv_ix.slot[slot] - 1].off);
    tat = ps->pos;
    if (rd_i32(ps, "value type", &type) < 0)
        return -1;
    if (type < 0 || type >= GGUF_T_COUNT)
        return fail(ps, "unknown value type %" PRId32 " at byte %" PRIu64, type, tat);
    kv->type = type;
    kv->val = ps->pos;
    if (type == GGUF_T_ARR) {
        if (parse_array(ps, kv) < 0)
            return -1;
    } else if (type == GGUF_T_STR) {
        if (rd_str(ps, "string value", &at, &tat) < 0)
            return -1;
    } else {
        if (need(ps, gguf_vtype_size[type], "value") < 0)
            return -1;
        ps->pos += gguf_vtype_size[type];
    }
    kv->key = add_name(g, g->data + (kv->off + 8), (size_t)kv->key_len);
    g->kv_ix.slot[slot] = i + 1;
    if (kv->key_len == 17 && memcmp(g->names + kv->key, "general.alignment", 17) == 0)
        return check_alignment(ps, kv);
    return 0;
}

/* Context naming tensor t, for messages. */
static void
tensor_ctx(struct parse *ps, const struct gguf_tensor *t)
{
    char q[GGUF_QUOTE_SIZE];

    gguf_quote(q, sizeof q, (const uint8_t *)ps->g->names + t->name, t->name_len);
    set_ctx(ps, "tensor '%s' (info at byte %" PRIu64 ")", q, t->info);
}

/* Element count and byte size of t, with overflow checks. */
static int
tensor_size(struct parse *ps, struct gguf_tensor *t)
{
    size_t be = qtype_block_elems(t->type), bb = qtype_block_bytes(t->type);
    int64_t n = 1, bytes;

    if (t->ne[0] % (int64_t)be != 0)
        return fail(ps, "row length ne[0] = %" PRId64 " is not a multiple of the %s block"
                    " size %zu", t->ne[0], qtype_name(t->type), be);
    for (int j = 0; j < GGUF_MAX_DIMS; j++)
        if (__builtin_mul_overflow(n, t->ne[j], &n))
            return fail(ps, "dimensions %" PRId64 " x %" PRId64 " x %" PRId64 " x %" PRId64
                        " overflow int64", t->ne[0], t->ne[1], t->ne[2], t->ne[3]);
    bytes = t->ne[0] / (int64_t)be;
    if (__builtin_mul_overflow(bytes, (int64_t)bb, &bytes) ||
        __builtin_mul_overflow(bytes, t->ne[1], &bytes) ||
        __builtin_mul_overflow(bytes, t->ne[2], &bytes) ||
        __builtin_mul_overflow(bytes, t->ne[3], &bytes))
        return fail(ps, "byte size of %" PRId64 " x %" PRId64 " x %" PRId64 " x %" PRId64
                    " %s overflows int64", t->ne[0], t->ne[1], t->ne[2], t->ne[3],
                    qtype_name(t->type));
    t->nbytes = (uint64_t)bytes;
    return 0;
}

static int
parse_tensor(struct parse *ps, int64_t i)
{
    gguf *g = ps->g;
    struct gguf_tensor *t = &g->t[i];
    uint64_t at, len;
    uint32_t nd;
    int32_t type;
    size_t slot;

    t->info = ps->pos;
    set_ctx(ps, "tensor #%" PRId64 " (info at byte %" PRIu64 ")", i, t->info);
    if (rd_str(ps, "name", &at, &len) < 0)
        return -1;
    if (len == 0)
        return fail(ps, "empty tensor name");
    if (len >= GGUF_MAX_NAME)
        return fail(ps, "name of %" PRIu64 " bytes is too long (at most %d)", len, GGUF_MAX_NAME - 1);
    if (memchr(g->data + at, '\0', len) != NULL)
        return fail(ps, "name contains a NUL byte");
    t->name = add_name(g, g->data + at, len);
    t->name_len = len;
    tensor_ctx(ps, t);
    slot = gguf_index_probe(g, &g->t_ix, 0, g->data + at, len);
    if (g->t_ix.slot[slot] != 0)
        return fail(ps, "duplicate tensor name (first info at byte %" PRIu64 ")",
                    g->t[g->t_ix.slot[slot] - 1].info);
    g->t_ix.slot[slot] = i + 1;
    at = ps->pos;
    if (rd_u32(ps, "n_dims", &nd) < 0)
        return -1;
    if (nd > GGUF_MAX_DIMS)
        return fail(ps, "n_dims %" PRIu32 " at byte %" PRIu64 " is more than %d", nd, at,
                    GGUF_MAX_DIMS);
    t->n_dims = (int)nd;
    for (int j = 0; j < GGUF_MAX_DIMS; j++) {
        char what[32];

        t->ne[j] = 1;
        if (j >= t->n_dims)
            continue;
        snprintf(what, sizeof what, "dimension %d", j);
        if (rd_i64(ps, what, &t->ne[j]) < 0)
            return -1;
        if (t->ne[j] < 0)
            return fail(ps, "dimension %d is negative (%" PRId64 ")", j, t->ne[j]);
    }
    at = ps->pos;
    if (rd_i32(ps, "type", &type) < 0)
        return -1;
    if (!qtype_known(type))
        return fail(ps, "unknown type id %" PRId32 " at byte %" PRIu64, type, at);
    t->type = type;
    if (tensor_size(ps, t) < 0)
        return -1;
    at = ps->pos;
    if (rd_u64(ps, "data offset", &t->offset) < 0)
        return -1;
    if (t->offset % g->alignment != 0)
        return fail(ps, "data offset %" PRIu64 " at byte %" PRIu64 " is not a multiple of the"
                    " alignment %zu", t->offset, at, g->alignment);
    return 0;
}

/* A tensor's data range, for the overlap check. */
struct span {
    uint64_t off; /* start, relative to the blob */
    uint64_t end; /* one past the end */
    int64_t t;    /* tensor number */
};

static int
span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Every tensor's data lies inside the file and no two overlap. */
static int
check_data(struct parse *ps)
{
    gguf *g = ps->g;
    struct span *sp;
    uint64_t blob = g->size > g->data_offset ? g->size - g->data_offset : 0;
    uint64_t max_end = 0;
    int64_t max_t = -1;
    int rc = 0;

    for (int64_t i = 0; i < g->n_tensors; i++) {
        struct gguf_tensor *t = &g->t[i];

        if (g->data_offset > g->size || t->offset > blob || t->nbytes > blob - t->offset) {
            tensor_ctx(ps, t);
            return fail(ps, "data at offset %" PRIu64 " (%" PRIu64 " bytes, from byte %" PRIu64
                        ") lies outside the file (%zu bytes)", t->offset, t->nbytes,
                        g->data_offset + t->offset, g->size);
        }
    }
    sp = xmalloc(g->n_tensors == 0 ? 1 : (size_t)g->n_tensors * sizeof *sp);
    for (int64_t i = 0; i < g->n_tensors; i++) {
        sp[i].off = g->t[i].offset;
        sp[i].end = g->t[i].offset + g->t[i].nbytes;
        sp[i].t = i;
    }
    qsort(sp, (size_t)g->n_tensors, sizeof *sp, span_cmp);
    for (int64_t i = 0; i < g->n_tensors; i++) {
        if (sp[i].end == sp[i].off)
            continue;
        if (sp[i].off < max_end) {
            const struct gguf_tensor *o = &g->t[max_t];
            char q[GGUF_QUOTE_SIZE];

            gguf_quote(q, sizeof q, (const uint8_t *)g->names + o->name, o->name_len);
            tensor_ctx(ps, &g->t[sp[i].t]);
            rc = fail(ps, "data at offset %" PRIu64 " overlaps tensor '%s' (offset %" PRIu64
                      ", %" PRIu64 " bytes)", sp[i].off, q, o->offset, o->nbytes);
            break;
        }
        max_end = sp[i].end;
        max_t = sp[i].t;
    }
    free(sp);
    return rc;
}

static int
parse(gguf *g, char *err, size_t errsz)
{
    struct parse ps = { .g = g, .err = err, .errsz = errsz };

    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    if (parse_header(&ps) < 0)
        return -1;
    g->kv = xcalloc((size_t)g->n_kv + 1, sizeof *g->kv);
    g->t = xcalloc((size_t)g->n_tensors + 1, sizeof *g->t);
    index_init(&g->kv_ix, g->n_kv);
    index_init(&g->t_ix, g->n_tensors);
    for (int64_t i = 0; i < g->n_kv; i++)
        if (parse_kv(&ps, i) < 0)
            return -1;
    for (int64_t i = 0; i < g->n_tensors; i++)
        if (parse_tensor(&ps, i) < 0)
            return -1;
    /* pos <= size, so this cannot overflow. A file without tensors may end
     * before the padding (llama.cpp's vocab-only files do). */
    g->data_offset = (ps.pos + g->alignment - 1) / g->alignment * g->alignment;
    ps.ctx[0] = '\0';
    return check_data(&ps);
}

/* ---- open / close ---- */

static gguf *
gguf_alloc(const char *name)
{
    gguf *g = xcalloc(1, sizeof *g);

    g->name = xstrdup(name != NULL ? name : "(memory)");
    return g;
}

gguf *
gguf_open_mem(const void *data, size_t size, const char *name, char *err, size_t errsz)
{
    gguf *g = gguf_alloc(name);

    g->data = data != NULL ? data : (const void *)"";
    g->size = data != NULL ? size : 0;
    if (parse(g, err, errsz) < 0) {
        gguf_close(g);
        return NULL;
    }
    return g;
}

gguf *
gguf_open(const char *path, char *err, size_t errsz)
{
    struct stat st;
    gguf *g;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        open_fail(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        open_fail(err, errsz, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        open_fail(err, errsz, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        open_fail(err, errsz, "%s: file too large to map", path);
        close(fd);
        return NULL;
    }
    g = gguf_alloc(path);
    g->data = (const uint8_t *)"";
    if (st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

        if (m == MAP_FAILED) {
            open_fail(err, errsz, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            gguf_close(g);
            return NULL;
        }
        g->map = m;
        g->map_len = (size_t)st.st_size;
        g->data = m;
        g->size = (size_t)st.st_size;
        gguf_map_register(m, g->map_len, path);
    }
    close(fd);
    if (parse(g, err, errsz) < 0) {
        gguf_close(g);
        return NULL;
    }
    return g;
}

void
gguf_close(gguf *g)
{
    if (g == NULL)
        return;
    if (g->map != NULL) {
        gguf_map_unregister(g->map);
        munmap(g->map, g->map_len);
    }
    if (g->kv != NULL)
        for (int64_t i = 0; i < g->n_kv; i++)
            free(g->kv[i].strs);
    free(g->kv);
    free(g->t);
    free(g->names);
    free(g->kv_ix.slot);
    free(g->t_ix.slot);
    free(g->name);
    free(g);
}
