/* gguf_get.c: accessors of an open GGUF file: metadata and tensor infos
 * by index or name, values decoded from the mapping on demand (byte by
 * byte, so no alignment is needed), and the checked getters that name
 * file, key, offset and types when a key is missing or of another type. */
#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gguf_int.h"

static const char *const vtype_names[GGUF_T_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array",
    "u64", "i64", "f64",
};

const char *
gguf_vtype_name(int vtype)
{
    return vtype >= 0 && vtype < GGUF_T_COUNT ? vtype_names[vtype] : "unknown";
}

/* ---- file-level accessors ---- */

const char *
gguf_name(const gguf *g)
{
    return g->name;
}

uint32_t
gguf_version(const gguf *g)
{
    return g->version;
}

size_t
gguf_alignment(const gguf *g)
{
    return g->alignment;
}

size_t
gguf_size(const gguf *g)
{
    return g->size;
}

size_t
gguf_data_offset(const gguf *g)
{
    return (size_t)g->data_offset;
}

/* ---- metadata ---- */

int64_t
gguf_n_kv(const gguf *g)
{
    return g->n_kv;
}

int64_t
gguf_find_kv(const gguf *g, const char *key)
{
    size_t slot = gguf_index_probe(g, &g->kv_ix, 1, key, strlen(key));

    return g->kv_ix.slot[slot] - 1;
}

static const struct gguf_kv *
kv_at(const gguf *g, int64_t kv)
{
    assert(kv >= 0 && kv < g->n_kv);
    return &g->kv[kv];
}

const char *
gguf_kv_key(const gguf *g, int64_t kv)
{
    return g->names + kv_at(g, kv)->key;
}

int
gguf_kv_type(const gguf *g, int64_t kv)
{
    return kv_at(g, kv)->type;
}

uint64_t
gguf_kv_offset(const gguf *g, int64_t kv)
{
    return kv_at(g, kv)->off;
}

const void *
gguf_kv_data(const gguf *g, int64_t kv)
{
    const struct gguf_kv *k = kv_at(g, kv);

    if (k->type == GGUF_T_STR || k->arr_type == GGUF_T_STR)
        return NULL;
    return g->data + k->val;
}

/* Decode an integer value of type t at p (bool: 0 or 1). */
static int64_t
int_at(const uint8_t *p, int t)
{
    uint64_t u;
    int64_t v;

    switch (t) {
    case GGUF_T_U8: return p[0];
    case GGUF_T_I8: return (int8_t)p[0];
    case GGUF_T_BOOL: return p[0] != 0;
    case GGUF_T_U16: return gguf_le16(p);
    case GGUF_T_I16: return (int16_t)gguf_le16(p);
    case GGUF_T_U32: return gguf_le32(p);
    case GGUF_T_I32: return (int32_t)gguf_le32(p);
    case GGUF_T_U64:
        u = gguf_le64(p);
        return u > INT64_MAX ? INT64_MAX : (int64_t)u;
    case GGUF_T_I64:
        u = gguf_le64(p);
        memcpy(&v, &u, sizeof v);
        return v;
    default:
        assert(!"not an integer type");
        return 0;
    }
}

/* Decode a number of type t at p as a double. */
static double
float_at(const uint8_t *p, int t)
{
    uint32_t u32;
    uint64_t u64;
    float f;
    double d;

    switch (t) {
    case GGUF_T_F32:
        u32 = gguf_le32(p);
        memcpy(&f, &u32, sizeof f);
        return (double)f;
    case GGUF_T_F64:
        u64 = gguf_le64(p);
        memcpy(&d, &u64, sizeof d);
        return d;
    case GGUF_T_U64:
        return (double)gguf_le64(p);
    default:
        return (double)int_at(p, t);
    }
}

int64_t
gguf_kv_int(const gguf *g, int64_t kv)
{
    const struct gguf_kv *k = kv_at(g, kv);

    return int_at(g->data + k->val, k->type);
}

double
gguf_kv_float(const gguf *g, int64_t kv)
{
    const struct gguf_kv *k = kv_at(g, kv);

    return float_at(g->data + k->val, k->type);
}

const char *
gguf_kv_str(const gguf *g, int64_t kv, size_t *len)
{
    const struct gguf_kv *k = kv_at(g, kv);

    assert(k->type == GGUF_T_STR);
    *len = (size_t)gguf_le64(g->data + k->val);
    return (const char *)g->data + k->val + 8;
}

int
gguf_kv_arr_type(const gguf *g, int64_t kv)
{
    return kv_at(g, kv)->arr_type;
}

uint64_t
gguf_kv_arr_n(const gguf *g, int64_t kv)
{
    return kv_at(g, kv)->arr_n;
}

/* Element i of a numeric array. */
static const uint8_t *
arr_elem(const gguf *g, const struct gguf_kv *k, uint64_t i)
{
    assert(k->type == GGUF_T_ARR && k->arr_type != GGUF_T_STR);
    assert(i < k->arr_n);
    return g->data + k->val + i * gguf_vtype_size[k->arr_type];
}

int64_t
gguf_kv_arr_int(const gguf *g, int64_t kv, uint64_t i)
{
    const struct gguf_kv *k = kv_at(g, kv);

    return int_at(arr_elem(g, k, i), k->arr_type);
}

double
gguf_kv_arr_float(const gguf *g, int64_t kv, uint64_t i)
{
    const struct gguf_kv *k = kv_at(g, kv);

    return float_at(arr_elem(g, k, i), k->arr_type);
}

const char *
gguf_kv_arr_str(const gguf *g, int64_t kv, uint64_t i, size_t *len)
{
    const struct gguf_kv *k = kv_at(g, kv);

    assert(k->type == GGUF_T_ARR && k->arr_type == GGUF_T_STR && i < k->arr_n);
    *len = (size_t)gguf_le64(g->data + k->strs[i]);
    return (const char *)g->data + k->strs[i] + 8;
}

/* ---- checked getters ---- */

/* Find key; on failure write a message and return MISSING. */
static int
get_kv(const gguf *g, const char *key, int64_t *kv, char *err, size_t errsz)
{
    *kv = gguf_find_kv(g, key);
    if (*kv >= 0)
        return GGUF_OK;
    if (err != NULL && errsz > 0) {
        snprintf(err, errsz, "%s: key '%s' is missing", g->name, key);
        gguf_one_line(err);
    }
    return GGUF_MISSING;
}

/* Report that kv has the wrong type; returns BADTYPE. */
static int
bad_type(const gguf *g, int64_t kv, const char *expected, char *err, size_t errsz)
{
    const struct gguf_kv *k = &g->kv[kv];
    char q[GGUF_QUOTE_SIZE];

    if (err == NULL || errsz == 0)
        return GGUF_BADTYPE;
    gguf_quote(q, sizeof q, (const uint8_t *)g->names + k->key, k->key_len);
    if (k->type == GGUF_T_ARR)
        snprintf(err, errsz, "%s: key '%s' (at byte %" PRIu64 "): expected %s, found array of %s",
                 g->name, q, k->off, expected, gguf_vtype_name(k->arr_type));
    else
        snprintf(err, errsz, "%s: key '%s' (at byte %" PRIu64 "): expected %s, found %s",
                 g->name, q, k->off, expected, gguf_vtype_name(k->type));
    gguf_one_line(err);
    return GGUF_BADTYPE;
}

static int
is_int_type(int t)
{
    return t == GGUF_T_U8 || t == GGUF_T_I8 || t == GGUF_T_U16 || t == GGUF_T_I16 ||
           t == GGUF_T_U32 || t == GGUF_T_I32 || t == GGUF_T_U64 || t == GGUF_T_I64;
}

int
gguf_get_int(const gguf *g, const char *key, int64_t *out, char *err, size_t errsz)
{
    int64_t kv;
    int rc = get_kv(g, key, &kv, err, errsz);

    if (rc != GGUF_OK)
        return rc;
    if (!is_int_type(g->kv[kv].type))
        return bad_type(g, kv, "an integer", err, errsz);
    *out = gguf_kv_int(g, kv);
    return GGUF_OK;
}

int
gguf_get_float(const gguf *g, const char *key, double *out, char *err, size_t errsz)
{
    int64_t kv;
    int rc = get_kv(g, key, &kv, err, errsz);
    int t;

    if (rc != GGUF_OK)
        return rc;
    t = g->kv[kv].type;
    if (t != GGUF_T_F32 && t != GGUF_T_F64 && !is_int_type(t))
        return bad_type(g, kv, "a number", err, errsz);
    *out = gguf_kv_float(g, kv);
    return GGUF_OK;
}

int
gguf_get_bool(const gguf *g, const char *key, int *out, char *err, size_t errsz)
{
    int64_t kv;
    int rc = get_kv(g, key, &kv, err, errsz);

    if (rc != GGUF_OK)
        return rc;
    if (g->kv[kv].type != GGUF_T_BOOL)
        return bad_type(g, kv, "bool", err, errsz);
    *out = (int)gguf_kv_int(g, kv);
    return GGUF_OK;
}

int
gguf_get_str(const gguf *g, const char *key, const char **s, size_t *len, char *err, size_t errsz)
{
    int64_t kv;
    int rc = get_kv(g, key, &kv, err, errsz);

    if (rc != GGUF_OK)
        return rc;
    if (g->kv[kv].type != GGUF_T_STR)
        return bad_type(g, kv, "string", err, errsz);
    *s = gguf_kv_str(g, kv, len);
    return GGUF_OK;
}

int
gguf_get_arr(const gguf *g, const char *key, int elem, int64_t *kv, uint64_t *n, char *err,
             size_t errsz)
{
    int rc = get_kv(g, key, kv, err, errsz);
    char want[32];

    if (rc != GGUF_OK)
        return rc;
    if (g->kv[*kv].type != GGUF_T_ARR || (elem >= 0 && g->kv[*kv].arr_type != elem)) {
        if (elem >= 0)
            snprintf(want, sizeof want, "array of %s", gguf_vtype_name(elem));
        else
            snprintf(want, sizeof want, "array");
        return bad_type(g, *kv, want, err, errsz);
    }
    *n = g->kv[*kv].arr_n;
    return GGUF_OK;
}

/* ---- tensors ---- */

int64_t
gguf_n_tensors(const gguf *g)
{
    return g->n_tensors;
}

int64_t
gguf_find_tensor(const gguf *g, const char *name)
{
    size_t slot = gguf_index_probe(g, &g->t_ix, 0, name, strlen(name));

    return g->t_ix.slot[slot] - 1;
}

static const struct gguf_tensor *
tensor_at(const gguf *g, int64_t t)
{
    assert(t >= 0 && t < g->n_tensors);
    return &g->t[t];
}

const char *
gguf_tensor_name(const gguf *g, int64_t t)
{
    return g->names + tensor_at(g, t)->name;
}

int
gguf_tensor_type(const gguf *g, int64_t t)
{
    return tensor_at(g, t)->type;
}

int
gguf_tensor_ndims(const gguf *g, int64_t t)
{
    return tensor_at(g, t)->n_dims;
}

const int64_t *
gguf_tensor_ne(const gguf *g, int64_t t)
{
    return tensor_at(g, t)->ne;
}

uint64_t
gguf_tensor_nbytes(const gguf *g, int64_t t)
{
    return tensor_at(g, t)->nbytes;
}

uint64_t
gguf_tensor_offset(const gguf *g, int64_t t)
{
    return tensor_at(g, t)->offset;
}

uint64_t
gguf_tensor_info_offset(const gguf *g, int64_t t)
{
    return tensor_at(g, t)->info;
}

const void *
gguf_tensor_data(const gguf *g, int64_t t)
{
    return g->data + g->data_offset + tensor_at(g, t)->offset;
}
