/* model_requant.c: converting a loaded model's matrices to another weight
 * type in memory (the live switch, `ternchat bench --type`), the per-tensor
 * type rules and the row converter that `ternchat quantize` shares, and the
 * swap that installs a converted set. The loaded matrices are recorded once
 * at load time and never change, so a conversion can read them in another
 * thread while forward passes run on the weights in use. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fp16.h"
#include "kern.h"
#include "model_int.h"
#include "pool.h"
#include "qtype.h"
#include "quant.h"
#include "xmalloc.h"

/* Elements converted per step of a build, between progress reports. */
#define REQ_SLICE_ELEMS ((int64_t)1 << 20)
/* Buffers at least this big get 2 MiB alignment and huge pages. */
#define REQ_HUGE ((size_t)2 << 20)

/* A converted set of matrices. */
struct model_weights {
    int type;           /* target type it was built for */
    int n;              /* matrices, in model->orig's order; 0: the loaded weights */
    model_mat *mats;    /* the converted matrices */
    void **bufs;        /* owned data per matrix, NULL where it is the loaded data */
    size_t bytes;       /* bytes of bufs */
    char note[192];     /* fallback note, or "" */
};

static atomic_size_t req_live_bytes; /* bytes of all sets alive */

/* ---- rules ---- */

int
model_quant_supported(int type)
{
    switch (type) {
    case QT_F32:
    case QT_F16:
    case QT_BF16:
    case QT_Q8_0:
    case QT_Q4_0:
    case QT_TQ1_0:
    case QT_TQ2_0:
        return 1;
    default:
        return 0;
    }
}

const char *
model_quant_supported_names(void)
{
    return "f16, bf16, f32, q8_0, q4_0, tq2_0, tq1_0";
}

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

int
model_quant_role(const char *name, int n_dims, int tied)
{
    if (n_dims < 2 || !ends_with(name, ".weight") || ends_with(name, "_norm.weight") ||
        strcmp(name, "rope_freqs.weight") == 0)
        return MODEL_QROLE_KEEP;
    if (strcmp(name, "token_embd.weight") == 0)
        return tied ? MODEL_QROLE_OUTPUT : MODEL_QROLE_EMBD;
    if (strcmp(name, "output.weight") == 0)
        return MODEL_QROLE_OUTPUT;
    return MODEL_QROLE_LINEAR;
}

int
model_quant_pick(int role, int target, int64_t ne0, int src_type)
{
    int t;

    if (role == MODEL_QROLE_KEEP || !model_quant_supported(target))
        return src_type;
    switch (target) {
    case QT_Q4_0:
        t = role == MODEL_QROLE_OUTPUT ? QT_Q8_0 : QT_Q4_0;
        break;
    case QT_TQ1_0:
    case QT_TQ2_0:
        t = role == MODEL_QROLE_LINEAR ? target : QT_Q8_0;
        break;
    default:
        t = target;
        break;
    }
    if (ne0 % (int64_t)qtype_block_elems(t) != 0)
        t = ne0 % QUANT_QK == 0 ? QT_Q8_0 : QT_F16;
    return t;
}

/* ---- the converter ---- */

/* One conversion, shared by the threads: items are rows. */
struct req_conv {
    int src_type, dst_type, opt; /* types and quantizer choice */
    const char *src;             /* row 0 of the source */
    char *dst;                   /* row 0 of the destination */
    size_t src_rb, dst_rb;       /* bytes per row */
    int64_t cols;                /* elements per source row */
    int64_t kcols;               /* per destination row: cols, or padded (zeros) */
};

static void
req_conv_part(void *arg, int64_t begin, int64_t end, int thread)
{
    const struct req_conv *c = arg;
    float *f;
    int64_t r, i;

    (void)thread;
    if (c->src_type == c->dst_type) {
        memcpy(c->dst + (size_t)begin * c->dst_rb, c->src + (size_t)begin * c->src_rb,
               (size_t)(end - begin) * c->dst_rb);
        return;
    }
    f = xcalloc((size_t)c->kcols, sizeof *f); /* a padded tail stays zero */
    for (r = begin; r < end; r++) {
        char *d = c->dst + (size_t)r * c->dst_rb;

        kern_get_row(c->src_type, c->src, c->cols, r, f);
        switch (c->dst_type) {
        case QT_F32:
            memcpy(d, f, (size_t)c->cols * sizeof *f);
            break;
        case QT_F16:
            for (i = 0; i < c->cols; i++) {
                uint16_t h = f32_to_fp16(f[i]);

                memcpy(d + 2 * i, &h, 2);
            }
            break;
        case QT_BF16:
            for (i = 0; i < c->cols; i++) {
                uint16_t h = f32_to_bf16(f[i]);

                memcpy(d + 2 * i, &h, 2);
            }
            break;
        default:
            quant_row(c->dst_type, c->opt, f, d, c->kcols);
            break;
        }
    }
    free(f);
}

/* Check that the conversion can be done; fill c. With pad, rows that are
 * not whole blocks of dst_type are padded with zeros (kern_padded_cols). */
static int
req_conv_setup(struct req_conv *c, int src_type, const void *src, int dst_type, int opt,
               void *dst, int64_t cols, int pad)
{
    int64_t kcols = pad ? kern_padded_cols(dst_type, cols) : cols;

    if (kern_lookup(src_type) == NULL || !qtype_known(dst_type))
        return -1;
    if (src_type != dst_type && !model_quant_supported(dst_type))
        return -1;
    if (kcols % (int64_t)qtype_block_elems(dst_type) != 0 ||
        cols % (int64_t)qtype_block_elems(src_type) != 0 || (kcols != cols && src_type == dst_type))
        return -1;
    c->src_type = src_type;
    c->dst_type = dst_type;
    c->opt = opt;
    c->src = src;
    c->dst = dst;
    c->src_rb = qtype_row_bytes(src_type, cols);
    c->dst_rb = qtype_row_bytes(dst_type, kcols);
    c->cols = cols;
    c->kcols = kcols;
    return 0;
}

int
model_quant_convert(int src_type, const void *src, int dst_type, int opt, void *dst,
                    int64_t rows, int64_t cols, int n_threads)
{
    struct req_conv c;
    pool *p;

    if (req_conv_setup(&c, src_type, src, dst_type, opt, dst, cols, 0) != 0)
        return -1;
    p = n_threads > 1 && rows > 1 ? pool_new(n_threads) : NULL;
    pool_run(p, req_conv_part, &c, rows);
    pool_free(p);
    return 0;
}

/* ---- recording the loaded matrices ---- */

/* Role of orig[i]. */
static int
req_role(const model *m, int i)
{
    int nl = m->info.n_layer * MODEL_LIN_COUNT;

    if (i < nl)
        return MODEL_QROLE_LINEAR;
    if (i == nl)
        return m->info.tied_output ? MODEL_QROLE_OUTPUT : MODEL_QROLE_EMBD;
    return MODEL_QROLE_OUTPUT;
}

static size_t
req_mat_bytes(const model_mat *mt)
{
    return (size_t)mt->rows * qtype_row_bytes(mt->type, kern_padded_cols(mt->type, mt->cols));
}

void
model_weights_init(model *m)
{
    int nl = m->info.n_layer * MODEL_LIN_COUNT, i;

    m->n_orig = nl + 1 + (m->info.tied_output ? 0 : 1);
    m->orig = xcalloc((size_t)m->n_orig, sizeof *m->orig);
    for (i = 0; i < nl; i++)
        m->orig[i] = m->layers[i / MODEL_LIN_COUNT].lin[i % MODEL_LIN_COUNT];
    m->orig[nl] = m->tok_embd;
    if (!m->info.tied_output)
        m->orig[nl + 1] = m->output;
    m->orig_type = m->info.weight_type;
    m->orig_bytes = m->info.weight_bytes;
}

void
model_weights_fini(model *m)
{
    model_weights_free(m->cur);
    m->cur = NULL;
    free(m->orig);
    m->orig = NULL;
    m->n_orig = 0;
}

int
model_loaded_type(const model *m)
{
    return m->orig_type;
}

int
model_main_type(const model *m)
{
    int64_t counts[QT_COUNT] = { 0 };
    int i, j, best = m->layers[0].lin[0].type;

    for (i = 0; i < m->info.n_layer; i++)
        for (j = 0; j < MODEL_LIN_COUNT; j++) {
            int ty = m->layers[i].lin[j].type;

            if (ty >= 0 && ty < QT_COUNT && ++counts[ty] > counts[best])
                best = ty;
        }
    return best;
}

size_t
model_token_bytes(const model *m)
{
    size_t b = req_mat_bytes(&m->output);
    int i, j;

    for (i = 0; i < m->info.n_layer; i++)
        for (j = 0; j < MODEL_LIN_COUNT; j++)
            b += req_mat_bytes(&m->layers[i].lin[j]);
    return b;
}

int64_t
model_token_macs(const model *m, int with_head)
{
    int64_t n = with_head ? m->output.rows * m->output.cols : 0;
    int i, j;

    for (i = 0; i < m->info.n_layer; i++)
        for (j = 0; j < MODEL_LIN_COUNT; j++)
            n += m->layers[i].lin[j].rows * m->layers[i].lin[j].cols;
    return n;
}

/* ---- weight sets ---- */

size_t
model_weights_live_bytes(void)
{
    return atomic_load(&req_live_bytes);
}

int
model_weights_type(const model_weights *w)
{
    return w->type;
}

size_t
model_weights_bytes(const model_weights *w)
{
    return w->bytes;
}

const char *
model_weights_note(const model_weights *w)
{
    return w->note;
}

void
model_weights_free(model_weights *w)
{
    int i;

    if (w == NULL)
        return;
    for (i = 0; i < w->n; i++)
        free(w->bufs[i]);
    atomic_fetch_sub(&req_live_bytes, w->bytes);
    free(w->bufs);
    free(w->mats);
    free(w);
}

/* Note the fallbacks of a build in w->note. */
static void
req_note(model_weights *w, const model *m)
{
    int i, n_fb = 0, fb_type = -1, n_pad = 0;
    int64_t fb_cols = 0, pad_cols = 0;
    size_t len;

    for (i = 0; i < w->n; i++) {
        int want = model_quant_pick(req_role(m, i), w->type, QUANT_QK_K, m->orig[i].type);

        if (w->mats[i].type != want) {
            n_fb++;
            fb_type = w->mats[i].type;
            fb_cols = w->mats[i].cols;
        } else if (kern_padded_cols(w->mats[i].type, w->mats[i].cols) != w->mats[i].cols) {
            n_pad++;
            pad_cols = w->mats[i].cols;
        }
    }
    w->note[0] = '\0';
    if (n_fb > 0) {
        snprintf(w->note, sizeof w->note, "%d matri%s with rows of %lld elements (not a "
                 "multiple of the %s block of %zu) kept as %s", n_fb, n_fb == 1 ? "x" : "ces",
                 (long long)fb_cols, qtype_name(w->type), qtype_block_elems(w->type),
                 qtype_name(fb_type));
    }
    if (n_pad > 0) {
        len = strlen(w->note);
        snprintf(w->note + len, sizeof w->note - len, "%s%d matri%s with rows of %lld elements "
                 "padded with zeros to %lld", len ? "; " : "", n_pad, n_pad == 1 ? "x" : "ces",
                 (long long)pad_cols, (long long)kern_padded_cols(w->type, pad_cols));
    }
    if (w->type == QT_TQ1_0 || w->type == QT_TQ2_0 || w->type == QT_Q4_0) {
        len = strlen(w->note);
        snprintf(w->note + len, sizeof w->note - len, "%s%s as q8_0", len ? "; " : "",
                 m->info.tied_output ? "token_embd (the LM head)" :
                 w->type == QT_Q4_0 ? "the LM head" : "token_embd and the LM head");
    }
}

/* Let the kernel take back the mapped file pages of [p, p + n), now that
 * they are copied (they are clean: touched again, they are read back from
 * the file), so that the copy does not count twice in the resident size. */
static void
req_drop_pages(const void *p, size_t n)
{
#ifdef MADV_DONTNEED
    uintptr_t pg = 4096, a = ((uintptr_t)p + pg - 1) & ~(pg - 1), b = ((uintptr_t)p + n) & ~(pg - 1);

    if (b > a)
        (void)madvise((void *)a, b - a, MADV_DONTNEED);
#else
    (void)p;
    (void)n;
#endif
}

model_weights *
model_weights_build(const model *m, int type, int opt, int n_threads,
                    model_progress_fn progress, void *ud, char *err, size_t errsz)
{
    model_weights *w;
    pool *p = NULL;
    int64_t total = 0, done = 0;
    int i;

    if (!model_quant_supported(type) && type != m->orig_type) {
        snprintf(err, errsz, "cannot convert the weights to %s (supported: %s)",
                 qtype_name(type) ? qtype_name(type) : "an unknown type",
                 model_quant_supported_names());
        return NULL;
    }
    w = xcalloc(1, sizeof *w);
    w->type = type;
    if (type == m->orig_type && m->orig_bytes < MODEL_COPY_MIN)
        return w; /* the loaded weights, in place in the file's mapping */
    w->n = m->n_orig;
    w->mats = xcalloc((size_t)w->n, sizeof *w->mats);
    w->bufs = xcalloc((size_t)w->n, sizeof *w->bufs);
    for (i = 0; i < w->n; i++) {
        const model_mat *o = &m->orig[i];

        w->mats[i] = *o;
        w->mats[i].type = type == m->orig_type ? o->type
                          : model_quant_pick(req_role(m, i), type, o->cols, o->type);
        /* Ternary maps with rows that are not whole 256-blocks: in memory
         * (unlike in a file) a row can be padded with zeros, so that the
         * whole model runs ternary (the shipped target's rows are 192). */
        if ((type == QT_TQ2_0 || type == QT_TQ1_0) && req_role(m, i) == MODEL_QROLE_LINEAR &&
            w->mats[i].type != type)
            w->mats[i].type = type;
        if (w->mats[i].type != o->type || type == m->orig_type)
            total += o->rows * o->cols;
    }
    if (n_threads > 1)
        p = pool_new(n_threads);
    for (i = 0; i < w->n; i++) {
        const model_mat *o = &m->orig[i];
        model_mat *mt = &w->mats[i];
        struct req_conv c;
        size_t bytes = req_mat_bytes(mt);
        int64_t r, step;
        void *buf = NULL;

        if (mt->type == o->type && type != m->orig_type)
            continue;
        if (posix_memalign(&buf, bytes >= REQ_HUGE ? REQ_HUGE : 64, bytes ? bytes : 1) != 0) {
            snprintf(err, errsz, "cannot allocate %.1f MiB for %s weights",
                     (double)bytes / (1024.0 * 1024.0), qtype_name(mt->type));
            goto fail;
        }
#ifdef MADV_HUGEPAGE
        /* Generation reads every weight once per token: 2 MiB pages save
         * the TLB misses of 4 KiB ones (a hint; ignored where unsupported). */
        if (bytes >= REQ_HUGE)
            (void)madvise(buf, bytes, MADV_HUGEPAGE);
#endif
        w->bufs[i] = buf;
        w->bytes += bytes;
        atomic_fetch_add(&req_live_bytes, bytes);
        mt->data = buf;
        if (mt->type == o->type) {
            /* a copy of the file's bytes, out of the mapping */
            memcpy(buf, o->data, bytes);
            req_drop_pages(o->data, bytes);
            done += o->rows * o->cols;
            if (progress != NULL && progress(ud, total ? (double)done / (double)total : 1.0)) {
                snprintf(err, errsz, "conversion to %s stopped", qtype_name(type));
                goto fail;
            }
            continue;
        }
        if (req_conv_setup(&c, o->type, o->data, mt->type, opt, buf, o->cols, 1) != 0) {
            snprintf(err, errsz, "cannot convert %s weights to %s", qtype_name(o->type),
                     qtype_name(mt->type));
            goto fail;
        }
        step = REQ_SLICE_ELEMS / (o->cols ? o->cols : 1);
        if (step < 1)
            step = 1;
        for (r = 0; r < o->rows; r += step) {
            int64_t n = o->rows - r < step ? o->rows - r : step;
            struct req_conv cs = c;

            cs.src = c.src + (size_t)r * c.src_rb;
            cs.dst = c.dst + (size_t)r * c.dst_rb;
            pool_run(p, req_conv_part, &cs, n);
            done += n * o->cols;
            if (progress != NULL && progress(ud, total ? (double)done / (double)total : 1.0)) {
                snprintf(err, errsz, "conversion to %s stopped", qtype_name(type));
                goto fail;
            }
        }
    }
    pool_free(p);
    if (type != m->orig_type)
        req_note(w, m);
    return w;

fail:
    pool_free(p);
    model_weights_free(w);
    return NULL;
}

int
model_weights_copy_in(model *m)
{
    model_weights *w;
    char err[256];

    if (m->cur != NULL || m->orig_bytes < MODEL_COPY_MIN)
        return 0;
    w = model_weights_build(m, m->orig_type, 0, 1, NULL, NULL, err, sizeof err);
    if (w == NULL)
        return -1;
    model_weights_swap(m, w);
    return 0;
}

model_weights *
model_weights_swap(model *m, model_weights *w)
{
    model_weights *old = m->cur;
    const model_mat *src = m->orig;
    int nl = m->info.n_layer * MODEL_LIN_COUNT, i;
    size_t bytes = m->orig_bytes;

    if (w != NULL && w->n > 0) {
        src = w->mats;
        for (i = 0; i < w->n; i++)
            bytes = bytes - req_mat_bytes(&m->orig[i]) + req_mat_bytes(&w->mats[i]);
    }
    for (i = 0; i < nl; i++)
        m->layers[i / MODEL_LIN_COUNT].lin[i % MODEL_LIN_COUNT] = src[i];
    m->tok_embd = src[nl];
    m->output = m->info.tied_output ? src[nl] : src[nl + 1];
    m->cur = w;
    m->info.weight_type = model_main_type(m);
    m->info.weight_bytes = bytes;
    return old;
}
