/* tok_spm.c: SentencePiece-style tokenization of one text fragment.
 * Spaces become U+2581; the text starts as one symbol per UTF-8
 * character; the adjacent pair whose concatenation is the vocabulary
 * token with the highest score is merged first (ties: leftmost), using a
 * binary heap of candidate pairs so each merge costs O(log n). Symbols
 * that are not tokens at the end fall back to <0xXX> byte tokens (then to
 * the unknown token). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tok_int.h"
#include "xmalloc.h"

/* A symbol: a run of the escaped text, linked to its neighbours. */
struct sym {
    long prev;     /* index of the previous live symbol, -1 at the start */
    long next;     /* index of the next live symbol, -1 at the end */
    size_t start;  /* byte offset in the escaped text */
    size_t n;      /* bytes; 0 once merged into its left neighbour */
};

/* A candidate merge of symbols left and right. */
struct bigram {
    float score;   /* score of the merged token */
    long left;     /* left symbol */
    long right;    /* right symbol */
    size_t size;   /* bytes of the merged text when it was proposed */
};

/* A max-heap of bigrams: higher score first, then lower left index. */
struct heap {
    struct bigram *v; /* entries */
    size_t n;         /* entries in use */
    size_t cap;       /* entries allocated */
};

static int
before(const struct bigram *a, const struct bigram *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void
heap_push(struct heap *h, struct bigram b)
{
    size_t i;

    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
    }
    i = h->n++;
    while (i > 0 && before(&b, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = b;
}

static struct bigram
heap_pop(struct heap *h)
{
    struct bigram top = h->v[0], last = h->v[--h->n];
    size_t i = 0, c;

    for (;;) {
        c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
    return top;
}

static void
try_bigram(const tok *t, const char *text, struct sym *s, struct heap *h, long left, long right)
{
    struct bigram b;
    int32_t id;
    size_t size;

    if (left < 0 || right < 0)
        return;
    size = s[left].n + s[right].n;
    id = tok_lookup(t, text + s[left].start, size);
    if (id < 0)
        return;
    b.score = t->tok[id].score;
    b.left = left;
    b.right = right;
    b.size = size;
    heap_push(h, b);
}

/* Token of one byte: <0xXX>, else the byte itself, else unknown (-1 if none). */
static int32_t
byte_token(const tok *t, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char buf[6] = { '<', '0', 'x', hex[c >> 4], hex[c & 15], '>' };
    char one = (char)c;
    int32_t id = tok_lookup(t, buf, 6);

    if (id < 0)
        id = tok_lookup(t, &one, 1);
    return id >= 0 ? id : t->unk;
}

void
tok_spm_encode(const tok *t, const char *s, size_t n, int prefix_space, tok_ids *out)
{
    struct heap h = { NULL, 0, 0 };
    size_t cap = (n + 1) * 3, len = 0, i, bad, clen;
    char *text = xmalloc(cap);
    struct sym *sym;
    long nsym = 0, k;

    if (prefix_space) {
        memcpy(text, "\xE2\x96\x81", 3);
        len = 3;
    }
    for (i = 0; i < n; i++) {
        if (s[i] == ' ') {
            memcpy(text + len, "\xE2\x96\x81", 3);
            len += 3;
        } else {
            text[len++] = s[i];
        }
    }
    if (len == 0) {
        free(text);
        return;
    }
    sym = xmalloc(len * sizeof *sym);
    for (i = 0; i < len; i += clen) {
        clen = tok_utf8_next((const unsigned char *)text + i, len - i, &bad);
        if (clen == 0) /* not reached: the input was sanitized */
            clen = bad;
        sym[nsym].start = i;
        sym[nsym].n = clen;
        sym[nsym].prev = nsym - 1;
        sym[nsym].next = i + clen < len ? nsym + 1 : -1;
        nsym++;
    }
    for (k = 1; k < nsym; k++)
        try_bigram(t, text, sym, &h, k - 1, k);
    while (h.n > 0) {
        struct bigram b = heap_pop(&h);
        struct sym *l = &sym[b.left], *r = &sym[b.right];

        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size)
            continue; /* stale: one side has changed since */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = b.left;
        try_bigram(t, text, sym, &h, l->prev, b.left);
        try_bigram(t, text, sym, &h, b.left, l->next);
    }
    tok_ids_reserve(out, (size_t)nsym);
    for (k = 0; k != -1; k = sym[k].next) {
        int32_t id = tok_lookup(t, text + sym[k].start, sym[k].n);

        if (id >= 0) {
            tok_ids_push(out, id);
            continue;
        }
        for (i = 0; i < sym[k].n; i++) {
            id = byte_token(t, (unsigned char)text[sym[k].start + i]);
            if (id >= 0)
                tok_ids_push(out, id);
        }
    }
    free(h.v);
    free(sym);
    free(text);
}
