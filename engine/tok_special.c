/* tok_special.c: splitting special tokens out of input text before the
 * tokenizer proper runs. The result is the same as llama.cpp's
 * tokenizer_st_partition: special tokens are taken longest text first;
 * each one claims its non-overlapping occurrences from left to right that
 * lie wholly in text no longer token has claimed; LSTRIP/RSTRIP tokens
 * swallow the whitespace next to them. Instead of rescanning the text once
 * per special token, one pass over a trie of their texts finds every
 * occurrence, and the claims are then settled in that order. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tok_int.h"
#include "xmalloc.h"

/* An id with the length of its text, for sorting. */
struct by_len {
    uint32_t len; /* bytes of the text */
    int32_t id;   /* token id */
};

/* An occurrence of a special token in the input. */
struct occ {
    uint32_t rank; /* index in tok.special (priority) */
    size_t pos;    /* byte offset */
};

static int
cmp_by_len(const void *a, const void *b)
{
    const struct by_len *x = a, *y = b;

    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int
cmp_occ(const void *a, const void *b)
{
    const struct occ *x = a, *y = b;

    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int
cmp_frag(const void *a, const void *b)
{
    const struct tok_frag *x = a, *y = b;

    return (x->off > y->off) - (x->off < y->off);
}

static size_t
trans_hash(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key;
}

/* Child of node for byte c, or 0 if none (the root is never a child). */
static uint32_t
trie_child(const struct tok_trie *tr, size_t node, unsigned char c)
{
    uint64_t key = ((uint64_t)node << 8 | c) + 1;
    size_t h = trans_hash(key) & tr->mask;

    for (;; h = (h + 1) & tr->mask) {
        if (tr->keys[h] == 0)
            return 0;
        if (tr->keys[h] == key)
            return tr->child[h];
    }
}

static void
trie_set(struct tok_trie *tr, uint64_t key, uint32_t child)
{
    size_t h = trans_hash(key) & tr->mask;

    while (tr->keys[h] != 0)
        h = (h + 1) & tr->mask;
    tr->keys[h] = key;
    tr->child[h] = child;
}

static void
trie_grow(struct tok_trie *tr)
{
    uint64_t *keys = tr->keys;
    uint32_t *child = tr->child;
    size_t old = tr->mask + 1, i;

    tr->mask = old * 2 - 1;
    tr->keys = xcalloc(old * 2, sizeof *tr->keys);
    tr->child = xcalloc(old * 2, sizeof *tr->child);
    for (i = 0; i < old; i++)
        if (keys[i] != 0)
            trie_set(tr, keys[i], child[i]);
    free(keys);
    free(child);
}

static void
trie_insert(struct tok_trie *tr, const char *s, size_t n, int32_t rank)
{
    size_t node = 0, i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        uint32_t ch = trie_child(tr, node, c);

        if (ch == 0) {
            if (tr->n_nodes == tr->cap_nodes) {
                tr->cap_nodes *= 2;
                tr->term = xreallocarray(tr->term, tr->cap_nodes, sizeof *tr->term);
            }
            ch = (uint32_t)tr->n_nodes++;
            tr->term[ch] = -1;
            if ((tr->n_trans + 1) * 2 > tr->mask + 1)
                trie_grow(tr);
            trie_set(tr, ((uint64_t)node << 8 | c) + 1, ch);
            tr->n_trans++;
        }
        node = ch;
    }
    if (tr->term[node] < 0) /* a duplicate text: the first (higher priority) stays */
        tr->term[node] = rank;
}

void
tok_special_build(tok *t)
{
    struct tok_trie *tr = &t->trie;
    struct by_len *v;
    size_t n = 0, i;
    int32_t id;

    v = xmalloc(((size_t)t->n + 1) * sizeof *v);
    for (id = 0; id < t->n; id++)
        if (t->tok[id].attr & (TOK_A_CONTROL | TOK_A_USER_DEFINED | TOK_A_UNKNOWN)) {
            v[n].len = t->tok[id].len;
            v[n].id = id;
            n++;
        }
    qsort(v, n, sizeof *v, cmp_by_len);
    t->special = xmalloc((n + 1) * sizeof *t->special);
    t->n_special = n;
    for (i = 0; i < n; i++)
        t->special[i] = v[i].id;
    free(v);

    tr->cap_nodes = 64;
    tr->term = xmalloc(tr->cap_nodes * sizeof *tr->term);
    tr->term[0] = -1;
    tr->n_nodes = 1;
    tr->mask = 63;
    tr->keys = xcalloc(tr->mask + 1, sizeof *tr->keys);
    tr->child = xcalloc(tr->mask + 1, sizeof *tr->child);
    for (i = 0; i < n; i++) {
        const struct tok_entry *e = &t->tok[t->special[i]];

        trie_insert(tr, t->arena + e->text, e->len, (int32_t)i);
        tr->first[(unsigned char)t->arena[e->text]] = 1;
    }
}

void
tok_special_free(tok *t)
{
    free(t->special);
    free(t->trie.term);
    free(t->trie.keys);
    free(t->trie.child);
}

/* Append a fragment to a growing array. */
static void
frag_add(struct tok_frag **v, size_t *n, size_t *cap, size_t off, size_t len, int32_t id)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = xreallocarray(*v, *cap, sizeof **v);
    }
    (*v)[*n].off = off;
    (*v)[*n].len = len;
    (*v)[*n].id = id;
    (*n)++;
}

/* Find every occurrence of an enabled special token. */
static size_t
find_all(const tok *t, const char *s, size_t n, int parse_special, struct occ **out)
{
    const struct tok_trie *tr = &t->trie;
    struct occ *v = NULL;
    size_t nv = 0, cap = 0, p, q, node;

    for (p = 0; p < n; p++) {
        if (!tr->first[(unsigned char)s[p]])
            continue;
        node = 0;
        for (q = p; q < n; q++) {
            node = trie_child(tr, node, (unsigned char)s[q]);
            if (node == 0)
                break;
            if (tr->term[node] >= 0) {
                int32_t id = t->special[tr->term[node]];

                if (!parse_special && (t->tok[id].attr & (TOK_A_CONTROL | TOK_A_UNKNOWN)))
                    continue;
                if (nv == cap) {
                    cap = cap ? cap * 2 : 16;
                    v = xreallocarray(v, cap, sizeof *v);
                }
                v[nv].rank = (uint32_t)tr->term[node];
                v[nv].pos = p;
                nv++;
            }
        }
    }
    *out = v;
    return nv;
}

size_t
tok_special_split(const tok *t, const char *s, size_t n, int parse_special, struct tok_frag **out)
{
    struct tok_frag *toks = NULL, *v = NULL;
    size_t ntoks = 0, captoks = 0, nv = 0, cap = 0, nocc, i, j, cur;
    struct occ *occ = NULL;
    unsigned char *state; /* per byte: 0 free text, 1 claimed by a token, 2 stripped */

    nocc = t->n_special ? find_all(t, s, n, parse_special, &occ) : 0;
    if (nocc == 0) {
        frag_add(&v, &nv, &cap, 0, n, -1);
        *out = v;
        return nv;
    }
    qsort(occ, nocc, sizeof *occ, cmp_occ);
    state = xcalloc(n, 1);
    for (i = 0; i < nocc; i++) {
        int32_t id = t->special[occ[i].rank];
        const struct tok_entry *e = &t->tok[id];
        size_t p = occ[i].pos, len = e->len;

        for (j = p; j < p + len; j++)
            if (state[j] != 0)
                break;
        if (j < p + len)
            continue;
        memset(state + p, 1, len);
        frag_add(&toks, &ntoks, &captoks, p, 0, id);
        if (e->attr & TOK_A_RSTRIP)
            for (j = p + len; j < n && state[j] == 0 && isspace((unsigned char)s[j]); j++)
                state[j] = 2;
        if (e->attr & TOK_A_LSTRIP)
            for (j = p; j > 0 && state[j - 1] == 0 && isspace((unsigned char)s[j - 1]); j--)
                state[j - 1] = 2;
    }
    qsort(toks, ntoks, sizeof *toks, cmp_frag);
    cur = 0;
    for (i = 0; i <= ntoks; i++) {
        size_t end = i < ntoks ? toks[i].off : n;

        /* maximal runs of free text in [cur, end) */
        while (cur < end) {
            size_t run;

            while (cur < end && state[cur] != 0)
                cur++;
            for (run = cur; run < end && state[run] == 0; run++)
                ;
            if (run > cur)
                frag_add(&v, &nv, &cap, cur, run - cur, -1);
            cur = run;
        }
        if (i < ntoks) {
            frag_add(&v, &nv, &cap, toks[i].off, 0, toks[i].id);
            cur = toks[i].off + t->tok[toks[i].id].len;
        }
    }
    free(state);
    free(toks);
    free(occ);
    *out = v;
    return nv;
}
