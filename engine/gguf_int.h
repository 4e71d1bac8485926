/* gguf_int.h: internals of the gguf module, shared by gguf.c (mapping and
 * validation), gguf_get.c (accessors) and gguf_write.c (the writer). */
#ifndef TERNCHAT_GGUF_INT_H
#define TERNCHAT_GGUF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

#define GGUF_QUOTE_MAX 80                      /* bytes of a name shown in a message */
#define GGUF_QUOTE_SIZE (GGUF_QUOTE_MAX * 4 + 4) /* buffer for gguf_quote */

/* One metadata pair; offsets are bytes from the start of the file. */
struct gguf_kv {
    uint64_t off;     /* where the key (its length field) starts */
    uint64_t key_len; /* bytes of the key */
    size_t key;       /* offset of the NUL-terminated key in gguf.names */
    int type;         /* enum gguf_vtype */
    int arr_type;     /* element type of an array, -1 otherwise */
    uint64_t val;     /* the value (strings: their length field; arrays: element 0) */
    uint64_t arr_n;   /* number of array elements */
    uint64_t *strs;   /* string arrays: where each element's length field is */
};

/* One tensor info record. */
struct gguf_tensor {
    uint64_t info;          /* where the record starts */
    size_t name;            /* offset of the NUL-terminated name in gguf.names */
    size_t name_len;        /* bytes of the name */
    int type;               /* enum qtype */
    int n_dims;             /* dimensions stored in the file (0..4) */
    int64_t ne[GGUF_MAX_DIMS]; /* elements per dimension, unused ones 1 */
    uint64_t offset;        /* data offset relative to the data blob */
    uint64_t nbytes;        /* bytes of data */
};

/* An open-addressing hash index from names to item numbers. */
struct gguf_index {
    int64_t *slot; /* item number + 1, 0 for an empty slot */
    size_t mask;   /* number of slots - 1 (a power of two minus one) */
};

/* An open GGUF file. */
struct gguf {
    char *name;              /* path or name for messages */
    const uint8_t *data;     /* the file's bytes */
    size_t size;             /* bytes of data */
    void *map;               /* mmap'd region to unmap, or NULL */
    size_t map_len;          /* length of map */
    uint32_t version;        /* 2 or 3 */
    size_t alignment;        /* general.alignment or the default */
    uint64_t data_offset;    /* start of the tensor data blob */
    int64_t n_kv;            /* number of metadata pairs */
    struct gguf_kv *kv;      /* metadata pairs, in file order */
    int64_t n_tensors;       /* number of tensor infos */
    struct gguf_tensor *t;   /* tensor infos, in file order */
    char *names;             /* NUL-terminated copies of keys and tensor names */
    size_t names_len;        /* bytes used in names */
    size_t names_cap;        /* bytes allocated for names */
    struct gguf_index kv_ix; /* keys -> kv */
    struct gguf_index t_ix;  /* tensor names -> t */
};

/* Bytes of a scalar value type (0 for STR and ARR). */
extern const uint8_t gguf_vtype_size[GGUF_T_COUNT];

/* Little-endian decoding (the mapping has no alignment). */
static inline uint16_t
gguf_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
gguf_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
gguf_le64(const uint8_t *p)
{
    return (uint64_t)gguf_le32(p) | (uint64_t)gguf_le32(p + 4) << 32;
}

/* Quote n bytes for a message into dst (GGUF_QUOTE_SIZE bytes): printable
 * ASCII as is, other bytes as \xNN, long names cut with "...". */
void gguf_quote(char *dst, size_t dstsz, const uint8_t *s, uint64_t n);
/* Replace control characters so that a message stays on one line. */
void gguf_one_line(char *s);
/* Mappings guarded against the file shrinking under them (gguf_sigbus.c):
 * a SIGBUS inside one names the file and exits. */
void gguf_map_register(const void *base, size_t len, const char *name);
void gguf_map_unregister(const void *base);
/* The slot of ix holding name (n bytes), or the empty slot where it would
 * go; is_kv selects the key index (else the tensor name index). */
size_t gguf_index_probe(const gguf *g, const struct gguf_index *ix, int is_kv, const void *name,
                        size_t n);

#endif
