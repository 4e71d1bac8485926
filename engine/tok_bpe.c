/* tok_bpe.c: byte-level BPE (tokenizer.ggml.model "gpt2"). A text
 * fragment is cut into pre-tokens by the pre-tokenizer regexes; each
 * pre-token's bytes are mapped to printable code points (GPT-2's
 * bytes_to_unicode); then adjacent symbols are merged by the rank of
 * their pair in tokenizer.ggml.merges (lowest rank first, ties leftmost),
 * with a binary heap of candidate pairs and a hash of the merge pairs. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_int.h"
#include "xmalloc.h"

/* ---- byte <-> code point mapping ---- */

/* Code point GPT-2 assigns to byte b. */
static uint32_t
byte_cp(unsigned b)
{
    unsigned i, k = 0;

    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))
        return b;
    for (i = 0; i < b; i++)
        if (!((i >= 0x21 && i <= 0x7E) || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF)))
            k++;
    return 256 + k;
}

void
tok_bpe_init_bytes(tok *t)
{
    unsigned b;

    for (b = 0; b < 256; b++)
        t->byte_enc_len[b] = (uint8_t)tok_utf8_put(byte_cp(b), t->byte_enc[b]);
}

/* Byte GPT-2 maps code point cp from, or -1. The bytes without a printable
 * code point of their own (0x00-0x20, 0x7F-0xA0, 0xAD) took 256, 257...
 * in byte order. */
static int
cp_byte(uint32_t cp)
{
    if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF))
        return (int)cp;
    if (cp < 256 || cp >= 256 + 68)
        return -1;
    cp -= 256;
    if (cp < 33)
        return (int)cp;
    if (cp < 67)
        return (int)(0x7F + (cp - 33));
    return 0xAD;
}

size_t
tok_bpe_decode_text(const char *s, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, k = 0, len, bad;
    int b;

    while (i < n) {
        len = tok_utf8_next(u + i, n - i, &bad);
        if (len == 0) { /* not UTF-8: copy the bytes */
            memcpy(out + k, s + i, bad);
            k += bad;
            i += bad;
            continue;
        }
        b = cp_byte(tok_utf8_cp(u + i, len));
        if (b >= 0) {
            out[k++] = (char)b;
        } else { /* a code point outside the map: keep it as it is */
            memcpy(out + k, s + i, len);
            k += len;
        }
        i += len;
    }
    return k;
}

/* ---- merges ---- */

static uint64_t
pair_hash(const char *l, size_t ln, const char *r, size_t rn)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < ln; i++) {
        h ^= (unsigned char)l[i];
        h *= 1099511628211ULL;
    }
    h ^= 0x1FF; /* a value no byte has: separates the two parts */
    h *= 1099511628211ULL;
    for (i = 0; i < rn; i++) {
        h ^= (unsigned char)r[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

/* Rank of the merge (l, r), or -1. */
static long
merge_rank(const tok *t, const char *l, size_t ln, const char *r, size_t rn)
{
    size_t m = t->mhash.mask, h = (size_t)pair_hash(l, ln, r, rn) & m;

    for (;; h = (h + 1) & m) {
        int32_t o = t->mhash.slot[h];
        const struct tok_merge *e;

        if (o < 0)
            return -1;
        e = &t->merges[o];
        if (e->llen == ln && e->rlen == rn && memcmp(t->merge_arena + e->left, l, ln) == 0 &&
            memcmp(t->merge_arena + e->right, r, rn) == 0)
            return o;
    }
}

int
tok_bpe_load_merges(tok *t, const gguf *g, char *err, size_t errsz)
{
    int64_t kv;
    uint64_t n, i, total = 0;
    size_t len, slots = 16, pos;

    if (gguf_get_arr(g, "tokenizer.ggml.merges", GGUF_T_STR, &kv, &n, err, errsz) != GGUF_OK)
        return -1;
    if (n > INT32_MAX) {
        snprintf(err, errsz, "%s: tokenizer.ggml.merges has too many entries", gguf_name(g));
        return -1;
    }
    for (i = 0; i < n; i++) {
        gguf_kv_arr_str(g, kv, i, &len);
        total += len;
    }
    if (total >= UINT32_MAX) {
        snprintf(err, errsz, "%s: tokenizer.ggml.merges is too large", gguf_name(g));
        return -1;
    }
    /* Both sizes are bounded by the file size (checked by the reader). */
    t->merges = malloc((n + 1) * sizeof *t->merges);
    t->merge_arena = malloc(total + 1);
    if (t->merges == NULL || t->merge_arena == NULL) {
        snprintf(err, errsz, "%s: out of memory for %llu merges", gguf_name(g),
                 (unsigned long long)n);
        return -1;
    }
    while (slots < n * 2)
        slots *= 2;
    t->mhash.slot = xmalloc(slots * sizeof *t->mhash.slot);
    memset(t->mhash.slot, 0xff, slots * sizeof *t->mhash.slot);
    t->mhash.mask = slots - 1;
    pos = 0;
    for (i = 0; i < n; i++) {
        const char *s = gguf_kv_arr_str(g, kv, i, &len);
        const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
        struct tok_merge *e = &t->merges[t->n_merges];
        size_t h;

        memcpy(t->merge_arena + pos, s, len);
        if (sp != NULL) { /* "left right", split at the first space after index 0 */
            e->left = (uint32_t)pos;
            e->llen = (uint32_t)(sp - s);
            e->right = (uint32_t)(pos + e->llen + 1);
            e->rlen = (uint32_t)(len - e->llen - 1);
        } else { /* llama.cpp keeps such an entry as an empty pair */
            e->left = e->right = (uint32_t)pos;
            e->llen = e->rlen = 0;
        }
        pos += len;
        h = (size_t)pair_hash(t->merge_arena + e->left, e->llen, t->merge_arena + e->right,
                              e->rlen) & t->mhash.mask;
        for (;; h = (h + 1) & t->mhash.mask) {
            int32_t o = t->mhash.slot[h];
            const struct tok_merge *f;

            if (o < 0) {
                t->mhash.slot[h] = (int32_t)i;
                break;
            }
            f = &t->merges[o];
            if (f->llen == e->llen && f->rlen == e->rlen &&
                memcmp(t->merge_arena + f->left, t->merge_arena + e->left, e->llen) == 0 &&
                memcmp(t->merge_arena + f->right, t->merge_arena + e->right, e->rlen) == 0)
                break; /* a repeated pair keeps its first (lowest) rank */
        }
        t->n_merges++;
    }
    return 0;
}

/* ---- merging one pre-token ---- */

/* A symbol: a run of the encoded word, linked to its neighbours. */
struct sym {
    long prev;    /* previous live symbol, -1 at the start */
    long next;    /* next live symbol, -1 at the end */
    size_t start; /* byte offset in the encoded word */
    size_t n;     /* bytes; 0 once merged into its left neighbour */
};

/* A candidate merge. */
struct bigram {
    long rank;    /* merge rank (lower first) */
    long left;    /* left symbol */
    long right;   /* right symbol */
    size_t size;  /* bytes of the merged text when it was proposed */
};

/* Working state of one tok_bpe_encode call. */
struct bpe_ctx {
    const tok *t;      /* the tokenizer */
    tok_ids *out;      /* where ids go */
    char *buf;         /* the encoded pre-token */
    size_t cap;        /* bytes allocated in buf */
    struct sym *sym;   /* symbols */
    size_t sym_cap;    /* symbols allocated */
    struct bigram *heap; /* min-heap of candidates */
    size_t heap_n;     /* candidates in the heap */
    size_t heap_cap;   /* candidates allocated */
};

static int
before(const struct bigram *a, const struct bigram *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void
heap_push(struct bpe_ctx *c, const struct bigram *b)
{
    size_t i;

    if (c->heap_n == c->heap_cap) {
        c->heap_cap = c->heap_cap ? c->heap_cap * 2 : 64;
        c->heap = xreallocarray(c->heap, c->heap_cap, sizeof *c->heap);
    }
    i = c->heap_n++;
    while (i > 0 && before(b, &c->heap[(i - 1) / 2])) {
        c->heap[i] = c->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    c->heap[i] = *b;
}

static struct bigram
heap_pop(struct bpe_ctx *c)
{
    struct bigram top = c->heap[0], last = c->heap[--c->heap_n];
    size_t i = 0, k;

    for (;;) {
        k = 2 * i + 1;
        if (k >= c->heap_n)
            break;
        if (k + 1 < c->heap_n && before(&c->heap[k + 1], &c->heap[k]))
            k++;
        if (!before(&c->heap[k], &last))
            break;
        c->heap[i] = c->heap[k];
        i = k;
    }
    if (c->heap_n > 0)
        c->heap[i] = last;
    return top;
}

static void
try_bigram(struct bpe_ctx *c, long left, long right)
{
    struct bigram b;
    const struct sym *l, *r;

    if (left < 0 || right < 0)
        return;
    l = &c->sym[left];
    r = &c->sym[right];
    b.rank = merge_rank(c->t, c->buf + l->start, l->n, c->buf + r->start, r->n);
    if (b.rank < 0)
        return;
    b.left = left;
    b.right = right;
    b.size = l->n + r->n;
    heap_push(c, &b);
}

/* Pre-tokenizer callback: encode, merge and emit one pre-token. */
static void
bpe_word(void *ctx, const char *w, size_t wn)
{
    struct bpe_ctx *c = ctx;
    const tok *t = c->t;
    size_t len = 0, i, clen, bad;
    long nsym = 0, k;
    int32_t id;

    if (wn * 2 > c->cap) {
        c->cap = wn * 2 + 16;
        c->buf = xrealloc(c->buf, c->cap);
    }
    for (i = 0; i < wn; i++) {
        unsigned char b = (unsigned char)w[i];

        memcpy(c->buf + len, t->byte_enc[b], t->byte_enc_len[b]);
        len += t->byte_enc_len[b];
    }
    if (len == 0)
        return;
    if (t->ignore_merges) {
        id = tok_lookup(t, c->buf, len);
        if (id >= 0) {
            tok_ids_push(c->out, id);
            return;
        }
    }
    if (len > c->sym_cap) {
        c->sym_cap = len;
        c->sym = xreallocarray(c->sym, c->sym_cap, sizeof *c->sym);
    }
    for (i = 0; i < len; i += clen) {
        clen = tok_utf8_next((const unsigned char *)c->buf + i, len - i, &bad);
        if (clen == 0)
            clen = bad;
        c->sym[nsym].start = i;
        c->sym[nsym].n = clen;
        c->sym[nsym].prev = nsym - 1;
        c->sym[nsym].next = i + clen < len ? nsym + 1 : -1;
        nsym++;
    }
    c->heap_n = 0;
    for (k = 1; k < nsym; k++)
        try_bigram(c, k - 1, k);
    while (c->heap_n > 0) {
        struct bigram b = heap_pop(c);
        struct sym *l = &c->sym[b.left], *r = &c->sym[b.right];

        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size)
            continue; /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            c->sym[r->next].prev = b.left;
        try_bigram(c, l->prev, b.left);
        try_bigram(c, b.left, l->next);
    }
    for (k = 0; k != -1; k = c->sym[k].next) {
        const char *s = c->buf + c->sym[k].start;

        id = tok_lookup(t, s, c->sym[k].n);
        if (id >= 0) {
            tok_ids_push(c->out, id);
            continue;
        }
        /* Not a token: each byte of the encoded text, where that is one
         * (llama.cpp drops the others). */
        for (i = 0; i < c->sym[k].n; i++) {
            id = tok_lookup(t, s + i, 1);
            if (id >= 0)
                tok_ids_push(c->out, id);
        }
    }
}

int
tok_bpe_encode(const tok *t, const char *s, size_t n, tok_ids *out, char *err, size_t errsz)
{
    struct bpe_ctx c;
    int rc;

    memset(&c, 0, sizeof c);
    c.t = t;
    c.out = out;
    rc = tok_pre_split(t->pre, s, n, bpe_word, &c, err, errsz);
    free(c.buf);
    free(c.sym);
    free(c.heap);
    return rc;
}
