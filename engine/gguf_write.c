/* gguf_write.c: the GGUF writer. It collects metadata (in insertion order)
 * and tensors (by reference), then writes header, metadata, tensor infos,
 * padding and the padded tensor data in the layout llama.cpp expects, to
 * a temporary file that is renamed into place, or into a memory buffer. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf_int.h"
#include "qtype.h"
#include "xmalloc.h"

#define STAGE_BYTES (1 << 16) /* buffer for small writes to a file */

/* A growable byte buffer holding an encoded value. */
struct wbuf {
    uint8_t *p; /* bytes */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
};

/* One metadata pair. */
struct wkv {
    char *key;    /* NUL-terminated key */
    int type;     /* enum gguf_vtype */
    struct wbuf val; /* the encoded value, as it follows the type in the file */
};

/* One tensor to write. */
struct wtensor {
    char *name;                /* tensor name */
    int type;                  /* enum qtype */
    int n_dims;                /* dimensions written (1..4) */
    int64_t ne[GGUF_MAX_DIMS]; /* elements per dimension, unused ones 1 */
    const void *data;          /* caller's data, not owned */
    uint64_t nbytes;           /* bytes of data */
};

/* A file being assembled. */
struct gguf_writer {
    uint32_t version;     /* 2 or 3 */
    struct wkv *kv;       /* metadata, in insertion order */
    size_t n_kv;          /* pairs used */
    size_t cap_kv;        /* pairs allocated */
    struct wtensor *t;    /* tensors, in the order added */
    size_t n_t;           /* tensors used */
    size_t cap_t;         /* tensors allocated */
};

/* Where serialized bytes go: counted only, a memory buffer, or a file. */
struct sink {
    int fd;         /* file descriptor, or -1 */
    uint8_t *buf;   /* memory buffer (or the stage for a file), or NULL to count */
    size_t len;     /* bytes counted, or used in buf */
    size_t cap;     /* bytes of buf */
    int err_no;     /* first write error, 0 if none */
};

/* ---- encoding ---- */

static void
wb_put(struct wbuf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        b->cap = (b->len + n) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Append v as n little-endian bytes. */
static void
wb_le(struct wbuf *b, uint64_t v, size_t n)
{
    uint8_t le[8];

    for (size_t i = 0; i < n; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    wb_put(b, le, n);
}

static void
wb_str(struct wbuf *b, const char *s, size_t n)
{
    wb_le(b, n, 8);
    wb_put(b, s, n);
}

/* Append one host-order scalar of gguf_vtype_size[type] bytes, little-endian. */
static void
wb_scalar(struct wbuf *b, int type, const void *p)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;

    switch (gguf_vtype_size[type]) {
    case 1:
        wb_put(b, p, 1);
        break;
    case 2:
        memcpy(&v16, p, 2);
        wb_le(b, v16, 2);
        break;
    case 4:
        memcpy(&v32, p, 4);
        wb_le(b, v32, 4);
        break;
    default:
        memcpy(&v64, p, 8);
        wb_le(b, v64, 8);
        break;
    }
}

/* ---- writer ---- */

gguf_writer *
gguf_writer_new(void)
{
    gguf_writer *w = xcalloc(1, sizeof *w);

    w->version = 3;
    return w;
}

void
gguf_writer_free(gguf_writer *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        free(w->kv[i].val.p);
    }
    for (size_t i = 0; i < w->n_t; i++)
        free(w->t[i].name);
    free(w->kv);
    free(w->t);
    free(w);
}

void
gguf_writer_set_version(gguf_writer *w, uint32_t version)
{
    assert(version == 2 || version == 3);
    w->version = version;
}

/* The pair for key, replaced in place if it exists, else appended; its
 * value is emptied for the caller to fill. */
static struct wbuf *
set_key(gguf_writer *w, const char *key, int type)
{
    struct wkv *kv = NULL;

    for (size_t i = 0; i < w->n_kv && kv == NULL; i++)
        if (strcmp(w->kv[i].key, key) == 0)
            kv = &w->kv[i];
    if (kv == NULL) {
        if (w->n_kv == w->cap_kv) {
            w->cap_kv = w->cap_kv ? w->cap_kv * 2 : 16;
            w->kv = xreallocarray(w->kv, w->cap_kv, sizeof *w->kv);
        }
        kv = &w->kv[w->n_kv++];
        memset(kv, 0, sizeof *kv);
        kv->key = xstrdup(key);
    }
    kv->type = type;
    kv->val.len = 0;
    return &kv->val;
}

void
gguf_writer_set_u8(gguf_writer *w, const char *key, uint8_t v)
{
    wb_le(set_key(w, key, GGUF_T_U8), v, 1);
}

void
gguf_writer_set_i32(gguf_writer *w, const char *key, int32_t v)
{
    wb_le(set_key(w, key, GGUF_T_I32), (uint32_t)v, 4);
}

void
gguf_writer_set_u32(gguf_writer *w, const char *key, uint32_t v)
{
    wb_le(set_key(w, key, GGUF_T_U32), v, 4);
}

void
gguf_writer_set_u64(gguf_writer *w, const char *key, uint64_t v)
{
    wb_le(set_key(w, key, GGUF_T_U64), v, 8);
}

void
gguf_writer_set_f32(gguf_writer *w, const char *key, float v)
{
    uint32_t u;

    memcpy(&u, &v, sizeof u);
    wb_le(set_key(w, key, GGUF_T_F32), u, 4);
}

void
gguf_writer_set_bool(gguf_writer *w, const char *key, int v)
{
    wb_le(set_key(w, key, GGUF_T_BOOL), v != 0, 1);
}

void
gguf_writer_set_str(gguf_writer *w, const char *key, const char *v)
{
    wb_str(set_key(w, key, GGUF_T_STR), v, strlen(v));
}

void
gguf_writer_set_arr(gguf_writer *w, const char *key, int elem, const void *data, uint64_t n)
{
    struct wbuf *b;
    const uint8_t *p = data;

    assert(elem >= 0 && elem < GGUF_T_COUNT && elem != GGUF_T_STR && elem != GGUF_T_ARR);
    assert(n == 0 || data != NULL);
    b = set_key(w, key, GGUF_T_ARR);
    wb_le(b, (uint32_t)elem, 4);
    wb_le(b, n, 8);
    for (uint64_t i = 0; i < n; i++)
        wb_scalar(b, elem, p + i * gguf_vtype_size[elem]);
}

void
gguf_writer_set_arr_str(gguf_writer *w, const char *key, const char *const *v, uint64_t n)
{
    struct wbuf *b = set_key(w, key, GGUF_T_ARR);

    wb_le(b, GGUF_T_STR, 4);
    wb_le(b, n, 8);
    for (uint64_t i = 0; i < n; i++)
        wb_str(b, v[i], strlen(v[i]));
}

void
gguf_writer_copy_kv(gguf_writer *w, const gguf *g, const char *const *skip)
{
    for (int64_t i = 0; i < gguf_n_kv(g); i++) {
        const char *key = gguf_kv_key(g, i);
        int type = gguf_kv_type(g, i), skipped = 0;
        struct wbuf *b;
        const char *s;
        size_t len;

        for (size_t k = 0; skip != NULL && skip[k] != NULL; k++)
            skipped |= strcmp(skip[k], key) == 0;
        if (skipped)
            continue;
        b = set_key(w, key, type);
        if (type == GGUF_T_STR) {
            s = gguf_kv_str(g, i, &len);
            wb_str(b, s, len);
        } else if (type != GGUF_T_ARR) {
            wb_put(b, gguf_kv_data(g, i), gguf_vtype_size[type]);
        } else {
            int et = gguf_kv_arr_type(g, i);
            uint64_t n = gguf_kv_arr_n(g, i);

            wb_le(b, (uint32_t)et, 4);
            wb_le(b, n, 8);
            if (et != GGUF_T_STR) {
                wb_put(b, gguf_kv_data(g, i), (size_t)n * gguf_vtype_size[et]);
                continue;
            }
            for (uint64_t j = 0; j < n; j++) {
                s = gguf_kv_arr_str(g, i, j, &len);
                wb_str(b, s, len);
            }
        }
    }
}

int
gguf_writer_add_tensor(gguf_writer *w, const char *name, int type, int n_dims,
                       const int64_t *ne, const void *data, char *err, size_t errsz)
{
    struct wtensor t = { .type = type, .n_dims = n_dims, .data = data };
    size_t len = strlen(name), be;
    int64_t bytes;

    if (len == 0 || len >= GGUF_MAX_NAME) {
        snprintf(err, errsz, "tensor '%s': name must be 1 to %d bytes", name, GGUF_MAX_NAME - 1);
        return -1;
    }
    for (size_t i = 0; i < w->n_t; i++) {
        if (strcmp(w->t[i].name, name) == 0) {
            snprintf(err, errsz, "tensor '%s': duplicate tensor name", name);
            return -1;
        }
    }
    if (!qtype_known(type)) {
        snprintf(err, errsz, "tensor '%s': unknown type id %d", name, type);
        return -1;
    }
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS) {
        snprintf(err, errsz, "tensor '%s': n_dims %d is not in 1..%d", name, n_dims, GGUF_MAX_DIMS);
        return -1;
    }
    for (int j = 0; j < GGUF_MAX_DIMS; j++) {
        t.ne[j] = j < n_dims ? ne[j] : 1;
        if (t.ne[j] < 0) {
            snprintf(err, errsz, "tensor '%s': dimension %d is negative (%" PRId64 ")",
                     name, j, t.ne[j]);
            return -1;
        }
    }
    be = qtype_block_elems(type);
    if (t.ne[0] % (int64_t)be != 0) {
        snprintf(err, errsz, "tensor '%s': row length ne[0] = %" PRId64 " is not a multiple"
                 " of the %s block size %zu", name, t.ne[0], qtype_name(type), be);
        return -1;
    }
    bytes = t.ne[0] / (int64_t)be;
    if (__builtin_mul_overflow(bytes, (int64_t)qtype_block_bytes(type), &bytes) ||
        __builtin_mul_overflow(bytes, t.ne[1], &bytes) ||
        __builtin_mul_overflow(bytes, t.ne[2], &bytes) ||
        __builtin_mul_overflow(bytes, t.ne[3], &bytes) ||
        (uint64_t)bytes > SIZE_MAX) {
        snprintf(err, errsz, "tensor '%s': byte size overflows", name);
        return -1;
    }
    if (bytes > 0 && data == NULL) {
        snprintf(err, errsz, "tensor '%s': no data", name);
        return -1;
    }
    t.nbytes = (uint64_t)bytes;
    t.name = xstrdup(name);
    if (w->n_t == w->cap_t) {
        w->cap_t = w->cap_t ? w->cap_t * 2 : 16;
        w->t = xreallocarray(w->t, w->cap_t, sizeof *w->t);
    }
    w->t[w->n_t++] = t;
    return 0;
}

/* ---- serialization ---- */

/* Write n bytes to the file, remembering the first error. */
static void
write_all(struct sink *s, const uint8_t *p, size_t n)
{
    size_t done = 0;

    while (done < n && s->err_no == 0) {
        ssize_t k = write(s->fd, p + done, n - done);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            s->err_no = errno;
        else if (k == 0)
            s->err_no = EIO;
        else
            done += (size_t)k;
    }
}

static void
sink_flush(struct sink *s)
{
    write_all(s, s->buf, s->len);
    s->len = 0;
}

static void
emit(struct sink *s, const void *p, size_t n)
{
    const uint8_t *b = p;

    if (s->buf == NULL) {
        s->len += n;
        return;
    }
    if (s->fd < 0) {
        assert(s->cap - s->len >= n);
        if (n > 0)
            memcpy(s->buf + s->len, p, n);
        s->len += n;
        return;
    }
    if (n >= s->cap) {
        /* Large tensor data goes straight to the file. */
        sink_flush(s);
        write_all(s, b, n);
        return;
    }
    while (n > 0 && s->err_no == 0) {
        size_t k = s->cap - s->len < n ? s->cap - s->len : n;

        memcpy(s->buf + s->len, b, k);
        s->len += k;
        b += k;
        n -= k;
        if (s->len == s->cap)
            sink_flush(s);
    }
}

static void
emit_le(struct sink *s, uint64_t v, size_t n)
{
    uint8_t le[8];

    for (size_t i = 0; i < n; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    emit(s, le, n);
}

static void
emit_zeros(struct sink *s, uint64_t n)
{
    static const uint8_t zero[256];

    while (n > 0) {
        size_t k = n < sizeof zero ? (size_t)n : sizeof zero;

        emit(s, zero, k);
        n -= k;
    }
}

static uint64_t
pad_to(uint64_t x, size_t align)
{
    return (x + align - 1) / align * align;
}

/* The alignment the metadata asks for; -1 with a message if it is bad. */
static int
writer_alignment(const gguf_writer *w, size_t *align, const char *what, char *err, size_t errsz)
{
    *align = GGUF_DEFAULT_ALIGNMENT;
    for (size_t i = 0; i < w->n_kv; i++) {
        uint32_t a;

        if (strcmp(w->kv[i].key, "general.alignment") != 0)
            continue;
        if (w->kv[i].type != GGUF_T_U32) {
            snprintf(err, errsz, "%s: general.alignment has type %s, expected u32", what,
                     gguf_vtype_name(w->kv[i].type));
            return -1;
        }
        a = gguf_le32(w->kv[i].val.p);
        if (a == 0 || (a & (a - 1)) != 0) {
            snprintf(err, errsz, "%s: general.alignment %" PRIu32 " is not a power of two",
                     what, a);
            return -1;
        }
        *align = a;
    }
    return 0;
}

/* Write the header, metadata and tensor infos to s. */
static void
serialize(const gguf_writer *w, size_t align, struct sink *s)
{
    uint64_t off = 0;

    emit(s, "GGUF", 4);
    emit_le(s, w->version, 4);
    emit_le(s, w->n_t, 8);
    emit_le(s, w->n_kv, 8);
    for (size_t i = 0; i < w->n_kv; i++) {
        size_t n = strlen(w->kv[i].key);

        emit_le(s, n, 8);
        emit(s, w->kv[i].key, n);
        emit_le(s, (uint32_t)w->kv[i].type, 4);
        emit(s, w->kv[i].val.p, w->kv[i].val.len);
    }
    for (size_t i = 0; i < w->n_t; i++) {
        const struct wtensor *t = &w->t[i];
        size_t n = strlen(t->name);

        emit_le(s, n, 8);
        emit(s, t->name, n);
        emit_le(s, (uint32_t)t->n_dims, 4);
        for (int j = 0; j < t->n_dims; j++)
            emit_le(s, (uint64_t)t->ne[j], 8);
        emit_le(s, (uint32_t)t->type, 4);
        emit_le(s, off, 8);
        off = pad_to(off + t->nbytes, align);
    }
}

/* Everything after the tensor infos: padding, then padded tensor data.
 * pos is the number of bytes written so far. */
static void
serialize_data(const gguf_writer *w, size_t align, uint64_t pos, struct sink *s)
{
    emit_zeros(s, pad_to(pos, align) - pos);
    for (size_t i = 0; i < w->n_t; i++) {
        const struct wtensor *t = &w->t[i];

        emit(s, t->data, (size_t)t->nbytes);
        emit_zeros(s, pad_to(t->nbytes, align) - t->nbytes);
    }
}

/* Bytes of the header, metadata and tensor infos. */
static uint64_t
head_bytes(const gguf_writer *w, size_t align)
{
    struct sink s = { .fd = -1 };

    serialize(w, align, &s);
    return s.len;
}

int
gguf_writer_write_mem(gguf_writer *w, uint8_t **buf, size_t *len, char *err, size_t errsz)
{
    struct sink s = { .fd = -1 };
    size_t align;
    uint64_t head, total;

    if (writer_alignment(w, &align, "(memory)", err, errsz) < 0)
        return -1;
    head = head_bytes(w, align);
    total = pad_to(head, align);
    for (size_t i = 0; i < w->n_t; i++)
        total += pad_to(w->t[i].nbytes, align);
    s.buf = total > SIZE_MAX ? NULL : malloc(total == 0 ? 1 : (size_t)total);
    if (s.buf == NULL) {
        snprintf(err, errsz, "(memory): cannot allocate %" PRIu64 " bytes", total);
        return -1;
    }
    s.cap = (size_t)total;
    serialize(w, align, &s);
    serialize_data(w, align, head, &s);
    assert(s.len == total);
    *buf = s.buf;
    *len = s.len;
    return 0;
}

/* Flush the directory holding path so that a rename is durable (best effort). */
static void
sync_dir(const char *path)
{
    char *dir = xstrdup(path), *slash = strrchr(dir, '/');
    int fd;

    if (slash == NULL)
        strcpy(dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int
gguf_writer_write(gguf_writer *w, const char *path, char *err, size_t errsz)
{
    struct sink s = { .fd = -1 };
    char *tmp;
    size_t align;
    uint64_t head;
    int e = 0;

    if (writer_alignment(w, &align, path, err, errsz) < 0)
        return -1;
    {
        /* The rename below would replace whatever is there: never a
         * device (/dev/null), a directory or anything but a plain file. */
        struct stat st;

        if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
            snprintf(err, errsz, "%s: not a regular file; refusing to replace it", path);
            return -1;
        }
    }
    tmp = xasprintf("%s.tmp.XXXXXX", path);
    s.fd = mkostemp(tmp, O_CLOEXEC);
    if (s.fd < 0) {
        snprintf(err, errsz, "%s: cannot create a temporary file: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    s.buf = xmalloc(STAGE_BYTES);
    s.cap = STAGE_BYTES;
    head = head_bytes(w, align);
    {
        /* mkostemp makes the file 0600; give it the usual 0666 & ~umask. */
        mode_t mask = umask(0);

        umask(mask);
        if (fchmod(s.fd, 0666 & ~mask) < 0)
            e = errno;
    }
    if (e == 0) {
        serialize(w, align, &s);
        serialize_data(w, align, head, &s);
        sink_flush(&s);
        e = s.err_no;
    }
    if (e == 0 && fsync(s.fd) < 0)
        e = errno;
    if (close(s.fd) < 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) < 0)
        e = errno;
    if (e != 0) {
        unlink(tmp);
        snprintf(err, errsz, "%s: cannot write: %s", path, strerror(e));
    } else {
        sync_dir(path);
    }
    free(s.buf);
    free(tmp);
    return e == 0 ? 0 : -1;
}
