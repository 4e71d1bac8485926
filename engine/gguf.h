/* gguf.h: reading and writing GGUF files (v2 and v3).
 *
 * The reader maps the file and validates everything before use; on failure
 * it returns NULL and writes one line to the caller's buffer naming the file,
 * the field and the byte offset. Values are read from the mapping on demand
 * (unaligned-safe); tensor data pointers point into the mapping. */
#ifndef TERNCHAT_GGUF_H
#define TERNCHAT_GGUF_H

#include <stddef.h>
#include <stdint.h>

/* Value types of metadata (gguf_type). */
enum gguf_vtype {
    GGUF_T_U8 = 0,
    GGUF_T_I8 = 1,
    GGUF_T_U16 = 2,
    GGUF_T_I16 = 3,
    GGUF_T_U32 = 4,
    GGUF_T_I32 = 5,
    GGUF_T_F32 = 6,
    GGUF_T_BOOL = 7,
    GGUF_T_STR = 8,
    GGUF_T_ARR = 9,
    GGUF_T_U64 = 10,
    GGUF_T_I64 = 11,
    GGUF_T_F64 = 12,
    GGUF_T_COUNT = 13
};

/* Status of the checked getters. */
enum gguf_status {
    GGUF_OK = 0,
    GGUF_MISSING = 1,  /* key absent (err gets a message too) */
    GGUF_BADTYPE = -1  /* key present with another type (err names it) */
};

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_NAME 64 /* tensor names must be shorter than this */

typedef struct gguf gguf;

/* ---- reader ---- */

/* Map and validate a file. Returns NULL and a message in err on failure. */
gguf *gguf_open(const char *path, char *err, size_t errsz);
/* Validate a buffer already in memory (it must outlive the gguf). name is
 * used in messages in place of a path. */
gguf *gguf_open_mem(const void *data, size_t size, const char *name, char *err, size_t errsz);
void gguf_close(gguf *g);

const char *gguf_name(const gguf *g);         /* path or name given */
uint32_t gguf_version(const gguf *g);
size_t gguf_alignment(const gguf *g);
size_t gguf_size(const gguf *g);              /* bytes of the file */
size_t gguf_data_offset(const gguf *g);       /* start of the tensor data blob */

/* type name for messages ("u32", "string", "array"...) */
const char *gguf_vtype_name(int vtype);

/* Metadata by index: 0 <= kv < gguf_n_kv(). */
int64_t gguf_n_kv(const gguf *g);
int64_t gguf_find_kv(const gguf *g, const char *key); /* -1 if absent */
const char *gguf_kv_key(const gguf *g, int64_t kv);    /* NUL-terminated */
int gguf_kv_type(const gguf *g, int64_t kv);
uint64_t gguf_kv_offset(const gguf *g, int64_t kv);   /* byte offset of the key */
/* Scalar values; the caller has checked the type. */
int64_t gguf_kv_int(const gguf *g, int64_t kv);        /* any integer type or bool (u64 > INT64_MAX saturates) */
double gguf_kv_float(const gguf *g, int64_t kv);       /* F32/F64, or any integer */
const char *gguf_kv_str(const gguf *g, int64_t kv, size_t *len); /* not NUL-terminated */
/* Raw little-endian bytes of a scalar value or of a numeric array's packed
 * elements (unaligned: copy them out with memcpy); NULL for strings and
 * arrays of strings. */
const void *gguf_kv_data(const gguf *g, int64_t kv);
/* Arrays. */
int gguf_kv_arr_type(const gguf *g, int64_t kv);
uint64_t gguf_kv_arr_n(const gguf *g, int64_t kv);
int64_t gguf_kv_arr_int(const gguf *g, int64_t kv, uint64_t i);
double gguf_kv_arr_float(const gguf *g, int64_t kv, uint64_t i);
const char *gguf_kv_arr_str(const gguf *g, int64_t kv, uint64_t i, size_t *len);

/* Checked getters by key: GGUF_OK, GGUF_MISSING or GGUF_BADTYPE, with a
 * message in err (file, key, byte offset, expected and found type) unless OK. */
int gguf_get_int(const gguf *g, const char *key, int64_t *out, char *err, size_t errsz);
int gguf_get_float(const gguf *g, const char *key, double *out, char *err, size_t errsz);
int gguf_get_bool(const gguf *g, const char *key, int *out, char *err, size_t errsz);
int gguf_get_str(const gguf *g, const char *key, const char **s, size_t *len, char *err, size_t errsz);
/* An array whose elements have type elem (or any type when elem < 0);
 * *kv and *n receive its index and length. */
int gguf_get_arr(const gguf *g, const char *key, int elem, int64_t *kv, uint64_t *n, char *err, size_t errsz);

/* Tensors by index: 0 <= t < gguf_n_tensors(). */
int64_t gguf_n_tensors(const gguf *g);
int64_t gguf_find_tensor(const gguf *g, const char *name); /* -1 if absent */
const char *gguf_tensor_name(const gguf *g, int64_t t);
int gguf_tensor_type(const gguf *g, int64_t t);             /* enum qtype */
int gguf_tensor_ndims(const gguf *g, int64_t t);
const int64_t *gguf_tensor_ne(const gguf *g, int64_t t);    /* 4 entries, unused dims are 1 */
uint64_t gguf_tensor_nbytes(const gguf *g, int64_t t);
uint64_t gguf_tensor_offset(const gguf *g, int64_t t);      /* relative to the data blob */
uint64_t gguf_tensor_info_offset(const gguf *g, int64_t t); /* byte offset of its info record */
const void *gguf_tensor_data(const gguf *g, int64_t t);

/* ---- writer ---- */

typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_writer_new(void);
void gguf_writer_free(gguf_writer *w);
/* Version written (2 or 3; default 3). */
void gguf_writer_set_version(gguf_writer *w, uint32_t version);
/* Metadata, in insertion order. Setting a key again replaces its value in
 * place. "general.alignment" (u32) also sets the alignment used. */
void gguf_writer_set_u8(gguf_writer *w, const char *key, uint8_t v);
void gguf_writer_set_i32(gguf_writer *w, const char *key, int32_t v);
void gguf_writer_set_u32(gguf_writer *w, const char *key, uint32_t v);
void gguf_writer_set_u64(gguf_writer *w, const char *key, uint64_t v);
void gguf_writer_set_f32(gguf_writer *w, const char *key, float v);
void gguf_writer_set_bool(gguf_writer *w, const char *key, int v);
void gguf_writer_set_str(gguf_writer *w, const char *key, const char *v);
/* Array of n packed elements of a scalar type (not STR or ARR), copied. */
void gguf_writer_set_arr(gguf_writer *w, const char *key, int elem, const void *data, uint64_t n);
void gguf_writer_set_arr_str(gguf_writer *w, const char *key, const char *const *v, uint64_t n);
/* Copy every key of a reader (except those listed in skip, NULL-terminated). */
void gguf_writer_copy_kv(gguf_writer *w, const gguf *g, const char *const *skip);
/* A tensor; data (nbytes computed from type and ne) is not copied and must
 * stay valid until the file is written. Returns 0, or -1 with a message in
 * err (bad name, duplicate, ne[0] not a multiple of the block size...). */
int gguf_writer_add_tensor(gguf_writer *w, const char *name, int type, int n_dims,
                           const int64_t *ne, const void *data, char *err, size_t errsz);
/* Write the file: header, metadata, tensor infos, padding, then each tensor
 * padded to the alignment, in the order added (what llama.cpp expects).
 * Written to a temporary name and renamed, so a failure leaves no partial
 * file. Returns 0, or -1 with a message in err. */
int gguf_writer_write(gguf_writer *w, const char *path, char *err, size_t errsz);
/* The same bytes into a new malloc'd buffer. */
int gguf_writer_write_mem(gguf_writer *w, uint8_t **buf, size_t *len, char *err, size_t errsz);

#endif
