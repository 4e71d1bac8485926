/* tok.c: loading a tokenizer from GGUF metadata (vocabulary, types,
 * scores, special ids and the per-model defaults llama.cpp applies), the
 * vocabulary hash, decoded pieces, and tok_encode, which splits out
 * special tokens and hands each text fragment to the SPM or BPE code. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_int.h"
#include "xmalloc.h"

/* ---- id arrays ---- */

void
tok_ids_reserve(tok_ids *a, size_t extra)
{
    size_t cap;

    if (a->cap - a->n >= extra)
        return;
    cap = a->cap ? a->cap : 16;
    while (cap - a->n < extra)
        cap *= 2;
    a->v = xreallocarray(a->v, cap, sizeof *a->v);
    a->cap = cap;
}

void
tok_ids_push(tok_ids *a, int32_t id)
{
    if (a->n == a->cap)
        tok_ids_reserve(a, 1);
    a->v[a->n++] = id;
}

void
tok_ids_free(tok_ids *a)
{
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

/* ---- vocabulary hash ---- */

static uint64_t
hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

static void
vocab_build(tok *t)
{
    size_t slots = 16, m;
    int32_t i;

    while (slots < (size_t)t->n * 2)
        slots *= 2;
    t->vocab.slot = xmalloc(slots * sizeof *t->vocab.slot);
    memset(t->vocab.slot, 0xff, slots * sizeof *t->vocab.slot);
    t->vocab.mask = m = slots - 1;
    for (i = 0; i < t->n; i++) {
        const char *s = t->arena + t->tok[i].text;
        size_t n = t->tok[i].len, h = (size_t)hash_bytes(s, n) & m;

        for (;; h = (h + 1) & m) {
            int32_t o = t->vocab.slot[h];

            if (o < 0) {
                t->vocab.slot[h] = i;
                break;
            }
            if (t->tok[o].len == n && memcmp(t->arena + t->tok[o].text, s, n) == 0) {
                t->vocab.slot[h] = i; /* a later duplicate wins, as in llama.cpp */
                break;
            }
        }
    }
}

int32_t
tok_lookup(const tok *t, const char *s, size_t n)
{
    size_t m = t->vocab.mask, h = (size_t)hash_bytes(s, n) & m;

    for (;; h = (h + 1) & m) {
        int32_t o = t->vocab.slot[h];

        if (o < 0)
            return -1;
        if (t->tok[o].len == n && memcmp(t->arena + t->tok[o].text, s, n) == 0)
            return o;
    }
}

/* ---- loading ---- */

/* Read an optional bool key; a key of another type is an error. */
static int
get_opt_bool(const gguf *g, const char *key, int *v, char *err, size_t errsz)
{
    int b, rc = gguf_get_bool(g, key, &b, err, errsz);

    if (rc == GGUF_OK)
        *v = b != 0;
    return rc == GGUF_BADTYPE ? -1 : 0;
}

/* Read an optional token id key; ids out of range are ignored (llama.cpp
 * warns and keeps the default). */
static int
get_opt_id(const tok *t, const gguf *g, const char *key, int32_t *id, char *err, size_t errsz)
{
    int64_t v;
    int rc = gguf_get_int(g, key, &v, err, errsz);

    if (rc == GGUF_BADTYPE)
        return -1;
    if (rc == GGUF_OK && v >= 0 && v < t->n)
        *id = (int32_t)v;
    return 0;
}

/* Copy the vocabulary texts, scores and types. */
static int
load_tokens(tok *t, const gguf *g, char *err, size_t errsz)
{
    int64_t kv_tok, kv_sc = -1, kv_ty = -1;
    uint64_t n, n2, i, total = 0;
    size_t len;
    char name[32];

    if (gguf_get_arr(g, "tokenizer.ggml.tokens", GGUF_T_STR, &kv_tok, &n, err, errsz) != GGUF_OK)
        return -1;
    if (n == 0 || n > INT32_MAX) {
        snprintf(err, errsz, "%s: tokenizer.ggml.tokens has %llu entries", gguf_name(g),
                 (unsigned long long)n);
        return -1;
    }
    if (gguf_find_kv(g, "tokenizer.ggml.scores") >= 0) {
        if (gguf_get_arr(g, "tokenizer.ggml.scores", GGUF_T_F32, &kv_sc, &n2, err, errsz) !=
            GGUF_OK)
            return -1;
        if (n2 != n) {
            snprintf(err, errsz, "%s: tokenizer.ggml.scores has %llu entries for %llu tokens",
                     gguf_name(g), (unsigned long long)n2, (unsigned long long)n);
            return -1;
        }
    }
    if (gguf_find_kv(g, "tokenizer.ggml.token_type") >= 0) {
        int at;

        if (gguf_get_arr(g, "tokenizer.ggml.token_type", -1, &kv_ty, &n2, err, errsz) != GGUF_OK)
            return -1;
        at = gguf_kv_arr_type(g, kv_ty);
        if (n2 != n || at == GGUF_T_STR || at == GGUF_T_ARR || at == GGUF_T_F32 ||
            at == GGUF_T_F64) {
            snprintf(err, errsz, "%s: tokenizer.ggml.token_type must be %llu integers",
                     gguf_name(g), (unsigned long long)n);
            return -1;
        }
    }
    t->n = (int32_t)n;
    /* n is bounded by the file size (each entry takes 8 bytes there). */
    t->tok = calloc(n, sizeof *t->tok);
    if (t->tok == NULL) {
        snprintf(err, errsz, "%s: out of memory for %llu tokens", gguf_name(g),
                 (unsigned long long)n);
        return -1;
    }
    for (i = 0; i < n; i++) {
        gguf_kv_arr_str(g, kv_tok, i, &len);
        total += len ? len + 1 : sizeof "[EMPTY_]" + 10;
    }
    if (total >= UINT32_MAX) {
        snprintf(err, errsz, "%s: tokenizer.ggml.tokens is too large", gguf_name(g));
        return -1;
    }
    t->arena = malloc(total + 1);
    if (t->arena == NULL) {
        snprintf(err, errsz, "%s: out of memory for the vocabulary", gguf_name(g));
        return -1;
    }
    total = 0;
    for (i = 0; i < n; i++) {
        struct tok_entry *e = &t->tok[i];
        const char *s = gguf_kv_arr_str(g, kv_tok, i, &len);

        if (len == 0) { /* llama.cpp names empty tokens "[EMPTY_i]" */
            snprintf(name, sizeof name, "[EMPTY_%llu]", (unsigned long long)i);
            s = name;
            len = strlen(name);
        }
        e->text = (uint32_t)total;
        e->len = (uint32_t)len;
        memcpy(t->arena + total, s, len);
        t->arena[total + len] = '\0';
        total += len + 1;
        e->score = kv_sc >= 0 ? (float)gguf_kv_arr_float(g, kv_sc, i) : 0.0f;
        e->type = TOK_T_NORMAL;
        e->attr = TOK_A_NORMAL;
        if (kv_ty >= 0) {
            int64_t ty = gguf_kv_arr_int(g, kv_ty, i);
            static const uint16_t attr_of[] = {
                [TOK_T_UNDEFINED] = 0,
                [TOK_T_NORMAL] = TOK_A_NORMAL,
                [TOK_T_UNKNOWN] = TOK_A_UNKNOWN,
                [TOK_T_CONTROL] = TOK_A_CONTROL,
                [TOK_T_USER_DEFINED] = TOK_A_USER_DEFINED,
                [TOK_T_UNUSED] = TOK_A_UNUSED,
                [TOK_T_BYTE] = TOK_A_BYTE,
            };

            if (ty < 0 || ty > TOK_T_BYTE) /* unknown types count as undefined */
                ty = TOK_T_UNDEFINED;
            e->type = (uint8_t)ty;
            e->attr = attr_of[ty];
        }
    }
    return 0;
}

/* Make id a control token (llama.cpp does this to tokens it detects by text). */
static void
force_control(tok *t, int32_t id)
{
    if (!(t->tok[id].attr & TOK_A_CONTROL)) {
        t->tok[id].attr = TOK_A_CONTROL;
        t->tok[id].type = TOK_T_CONTROL;
    }
}

/* If *id is unset, set it to the first of the texts present in the vocabulary. */
static void
detect(tok *t, int32_t *id, const char *const *texts)
{
    size_t i;
    int32_t f;

    if (*id >= 0)
        return;
    for (i = 0; texts[i] != NULL; i++) {
        f = tok_lookup(t, texts[i], strlen(texts[i]));
        if (f >= 0) {
            *id = f;
            force_control(t, f);
            return;
        }
    }
}

static void
eog_add(tok *t, int32_t id)
{
    size_t i;

    if (id < 0)
        return;
    for (i = 0; i < t->n_eog; i++)
        if (t->eog[i] == id)
            return;
    t->eog = xreallocarray(t->eog, t->n_eog + 1, sizeof *t->eog);
    t->eog[t->n_eog++] = id;
}

static int
cmp_id(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return (x > y) - (x < y);
}

/* Special ids from keys, text detection, and the end-of-generation set. */
static int
load_special(tok *t, const gguf *g, char *err, size_t errsz)
{
    static const char *const keys[] = {
        "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id",
        "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
        "tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.fim_suf_token_id",
        "tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.fim_pad_token_id",
        "tokenizer.ggml.fim_rep_token_id", "tokenizer.ggml.fim_sep_token_id",
        /* deprecated names of the first three FIM ids */
        "tokenizer.ggml.prefix_token_id", "tokenizer.ggml.suffix_token_id",
        "tokenizer.ggml.middle_token_id",
    };
    static const char *const eot_texts[] = {
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>",
        "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", /* DeepSeek */
        NULL
    };
    static const char *const eom_texts[] = { "<|eom_id|>", NULL };
    static const char *const pre_texts[] = { "<|fim_prefix|>", "<fim-prefix>",
                                             "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>",
                                             "<PRE>", NULL };
    static const char *const suf_texts[] = { "<|fim_suffix|>", "<fim-suffix>",
                                             "<\xEF\xBD\x9C" "fim\xE2\x96\x81hole\xEF\xBD\x9C>",
                                             "<SUF>", NULL };
    static const char *const mid_texts[] = { "<|fim_middle|>", "<fim-middle>",
                                             "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>",
                                             "<MID>", NULL };
    static const char *const pad_texts[] = { "<|fim_pad|>", "<fim-pad>", "<PAD>", NULL };
    static const char *const rep_texts[] = { "<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                             "<REPO>", NULL };
    static const char *const sep_texts[] = { "<|file_sep|>", NULL };
    static const char *const eog_texts[] = { "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                             "<|endoftext|>", "<|eom_id|>", "<EOT>", NULL };
    int32_t *const dst[] = { &t->bos, &t->eos, &t->eot, &t->eom, &t->unk, &t->pad,
                             &t->fim_pre, &t->fim_suf, &t->fim_mid, &t->fim_pad, &t->fim_rep,
                             &t->fim_sep, &t->fim_pre, &t->fim_suf, &t->fim_mid };
    size_t i;

    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (get_opt_id(t, g, keys[i], dst[i], err, errsz) != 0)
            return -1;
    if (get_opt_bool(g, "tokenizer.ggml.add_bos_token", &t->add_bos, err, errsz) != 0 ||
        get_opt_bool(g, "tokenizer.ggml.add_eos_token", &t->add_eos, err, errsz) != 0)
        return -1;

    detect(t, &t->eot, eot_texts);
    detect(t, &t->eom, eom_texts);
    detect(t, &t->fim_pre, pre_texts);
    detect(t, &t->fim_suf, suf_texts);
    detect(t, &t->fim_mid, mid_texts);
    detect(t, &t->fim_pad, pad_texts);
    detect(t, &t->fim_rep, rep_texts);
    detect(t, &t->fim_sep, sep_texts);

    eog_add(t, t->fim_pad);
    eog_add(t, t->fim_rep);
    eog_add(t, t->fim_sep);
    for (i = 0; eog_texts[i] != NULL; i++) {
        int32_t id = tok_lookup(t, eog_texts[i], strlen(eog_texts[i]));

        if (id >= 0) {
            eog_add(t, id);
            force_control(t, id);
        }
    }
    eog_add(t, t->eos);
    eog_add(t, t->eot);
    eog_add(t, t->eom);
    if (t->n_eog > 1)
        qsort(t->eog, t->n_eog, sizeof *t->eog, cmp_id);
    return 0;
}

/* Whitespace stripping around special tokens that llama.cpp sets by model
 * or pre-tokenizer name (the attributes are not stored in GGUF). */
static void
model_attrs(tok *t, const gguf *g)
{
    const char *s;
    size_t len, i;
    char name[256], err[256];
    int32_t id;

    if (strstr(t->pre_name, "jina-v2-de") || strstr(t->pre_name, "jina-v2-es") ||
        strstr(t->pre_name, "jina-v2-code")) {
        id = tok_lookup(t, "<mask>", 6);
        if (id >= 0)
            t->tok[id].attr |= TOK_A_LSTRIP;
        return;
    }
    if (gguf_get_str(g, "general.name", &s, &len, err, sizeof err) != GGUF_OK)
        return;
    if (len >= sizeof name)
        len = sizeof name - 1;
    for (i = 0; i < len; i++)
        name[i] = (char)tolower((unsigned char)s[i]);
    name[len] = '\0';
    if (strstr(name, "phi-3") || strstr(name, "phi3")) {
        static const char *const keep[] = { "<unk>", "<s>", "<|endoftext|>" };

        for (i = 0; i < t->n_special; i++)
            t->tok[t->special[i]].attr |= TOK_A_RSTRIP;
        id = tok_lookup(t, "</s>", 4);
        if (id >= 0)
            t->tok[id].attr |= TOK_A_RSTRIP;
        for (i = 0; i < 3; i++) {
            id = tok_lookup(t, keep[i], strlen(keep[i]));
            if (id >= 0)
                t->tok[id].attr &= (uint16_t)~TOK_A_RSTRIP;
        }
    }
}

/* Precompute the decoded bytes of every token (with special text). */
static void
build_pieces(tok *t)
{
    size_t total = 0, j;
    int32_t i;
    char *p;

    for (i = 0; i < t->n; i++)
        total += t->tok[i].len + 1;
    t->pieces = p = xmalloc(total + 1);
    for (i = 0; i < t->n; i++) {
        struct tok_entry *e = &t->tok[i];
        const char *s = t->arena + e->text;
        size_t n = e->len, k = 0;

        e->piece = (uint32_t)(p - t->pieces);
        if (e->attr & (TOK_A_UNKNOWN | TOK_A_CONTROL | TOK_A_USER_DEFINED)) {
            memcpy(p, s, n);
            k = n;
        } else if (e->attr & TOK_A_NORMAL) {
            if (t->kind == TOK_SPM) {
                for (j = 0; j < n; j++) {
                    if (j + 2 < n && memcmp(s + j, "\xE2\x96\x81", 3) == 0) {
                        p[k++] = ' ';
                        j += 2;
                    } else {
                        p[k++] = s[j];
                    }
                }
            } else {
                k = tok_bpe_decode_text(s, n, p);
            }
        } else if ((e->attr & TOK_A_BYTE) && t->kind == TOK_SPM) {
            unsigned v;
            char tail;

            if (n == 6 && sscanf(s, "<0x%2x%c", &v, &tail) == 2 && tail == '>') {
                p[0] = (char)v;
                k = 1;
            } else {
                memcpy(p, s, n);
                k = n;
            }
        }
        e->plen = (uint32_t)k;
        p += k;
    }
}

tok *
tok_load(const gguf *g, char *err, size_t errsz)
{
    const char *model, *pre = NULL;
    size_t mlen, plen = 0;
    int rc, no_bos = 0;
    tok *t;

    rc = gguf_get_str(g, "tokenizer.ggml.model", &model, &mlen, err, errsz);
    if (rc != GGUF_OK)
        return NULL;
    t = xcalloc(1, sizeof *t);
    t->bos = t->eos = t->eot = t->eom = t->unk = t->pad = -1;
    t->fim_pre = t->fim_suf = t->fim_mid = t->fim_pad = t->fim_rep = t->fim_sep = -1;
    if (mlen == 5 && memcmp(model, "llama", 5) == 0) {
        t->kind = TOK_SPM;
        t->bos = 1;
        t->eos = 2;
        t->unk = 0;
        t->add_space_prefix = 1;
        t->add_bos = 1;
        t->pre_type = TOK_PRE_DEFAULT;
        snprintf(t->pre_name, sizeof t->pre_name, "default");
    } else if (mlen == 4 && memcmp(model, "gpt2", 4) == 0) {
        t->kind = TOK_BPE;
        t->bos = 11;
        t->eos = 11;
        rc = gguf_get_str(g, "tokenizer.ggml.pre", &pre, &plen, err, errsz);
        if (rc == GGUF_BADTYPE)
            goto fail;
        if (rc != GGUF_OK || plen == 0) {
            pre = "default";
            plen = 7;
        }
        if (plen >= sizeof t->pre_name) {
            snprintf(err, errsz, "%s: unknown pre-tokenizer type '%.*s...'", gguf_name(g), 40,
                     pre);
            goto fail;
        }
        memcpy(t->pre_name, pre, plen);
        t->pre_name[plen] = '\0';
        if (tok_pre_lookup(t->pre_name, &t->pre_type, &t->ignore_merges, &t->add_bos,
                           &no_bos) != 0 ||
            strlen(t->pre_name) != plen) {
            snprintf(err, errsz, "%s: unknown pre-tokenizer type '%s' (tokenizer.ggml.pre)",
                     gguf_name(g), t->pre_name);
            goto fail;
        }
        if (no_bos)
            t->bos = -1;
    } else {
        snprintf(err, errsz, "%s: unsupported tokenizer model '%.*s' (tokenizer.ggml.model; "
                 "supported: llama, gpt2)", gguf_name(g), (int)(mlen > 40 ? 40 : mlen), model);
        goto fail;
    }
    if (get_opt_bool(g, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix, err, errsz) != 0)
        goto fail;
    if (load_tokens(t, g, err, errsz) != 0)
        goto fail;
    vocab_build(t);
    if (t->bos >= t->n)
        t->bos = -1;
    if (t->eos >= t->n)
        t->eos = -1;
    if (t->unk >= t->n)
        t->unk = -1;
    if (load_special(t, g, err, errsz) != 0)
        goto fail;
    tok_special_build(t);
    model_attrs(t, g);
    if (t->kind == TOK_BPE) {
        tok_bpe_init_bytes(t);
        if (tok_bpe_load_merges(t, g, err, errsz) != 0)
            goto fail;
        t->pre = tok_pre_new(t->pre_type, err, errsz);
        if (t->pre == NULL)
            goto fail;
    }
    build_pieces(t);
    return t;
fail:
    /* one line, and no terminal controls from the file's strings */
    for (unsigned char *p = (unsigned char *)err; errsz > 0 && *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* C1 controls */
            p[0] = p[1] = '?';
    }
    tok_free(t);
    return NULL;
}

void
tok_free(tok *t)
{
    if (t == NULL)
        return;
    free(t->tok);
    free(t->arena);
    free(t->pieces);
    free(t->vocab.slot);
    free(t->merges);
    free(t->merge_arena);
    free(t->mhash.slot);
    free(t->eog);
    tok_special_free(t);
    tok_pre_free(t->pre);
    free(t);
}

/* ---- encoding ---- */

int
tok_encode(const tok *t, const char *text, size_t len, unsigned flags, tok_ids *out, char *err,
           size_t errsz)
{
    struct tok_frag *frags = NULL;
    size_t nf = 0, i, clean_n;
    char *clean;
    int prev_special = 1, rc = 0;

    clean = tok_utf8_sanitize(text, len, &clean_n);
    if (clean != NULL) {
        text = clean;
        len = clean_n;
    }
    if (len > 0)
        nf = tok_special_split(t, text, len, (flags & TOK_PARSE_SPECIAL) != 0, &frags);
    if ((flags & TOK_ADD_BOS) && t->add_bos && t->bos >= 0)
        tok_ids_push(out, t->bos);
    for (i = 0; i < nf && rc == 0; i++) {
        if (frags[i].id >= 0) {
            tok_ids_push(out, frags[i].id);
            prev_special = 1;
        } else if (t->kind == TOK_SPM) {
            tok_spm_encode(t, text + frags[i].off, frags[i].len,
                           t->add_space_prefix && prev_special, out);
            prev_special = 0;
        } else {
            rc = tok_bpe_encode(t, text + frags[i].off, frags[i].len, out, err, errsz);
        }
    }
    if (rc == 0 && (flags & TOK_ADD_EOS) && t->add_eos && t->eos >= 0)
        tok_ids_push(out, t->eos);
    free(frags);
    free(clean);
    return rc;
}

/* ---- properties ---- */

int
tok_kind(const tok *t)
{
    return t->kind;
}

const char *
tok_pre_name(const tok *t)
{
    return t->pre_name;
}

int32_t
tok_n_vocab(const tok *t)
{
    return t->n;
}

int32_t
tok_bos(const tok *t)
{
    return t->bos;
}

int32_t
tok_eos(const tok *t)
{
    return t->eos;
}

int32_t
tok_eot(const tok *t)
{
    return t->eot;
}

int32_t
tok_eom(const tok *t)
{
    return t->eom;
}

int32_t
tok_unk(const tok *t)
{
    return t->unk;
}

int32_t
tok_pad(const tok *t)
{
    return t->pad;
}

int
tok_add_bos(const tok *t)
{
    return t->add_bos && t->bos >= 0;
}

int
tok_add_eos(const tok *t)
{
    return t->add_eos && t->eos >= 0;
}

int
tok_add_space_prefix(const tok *t)
{
    return t->kind == TOK_SPM && t->add_space_prefix;
}

int
tok_is_eog(const tok *t, int32_t id)
{
    size_t lo = 0, hi = t->n_eog;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (t->eog[mid] == id)
            return 1;
        if (t->eog[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int
tok_token_type(const tok *t, int32_t id)
{
    if (id < 0 || id >= t->n)
        return -1;
    return t->tok[id].type;
}

const char *
tok_text(const tok *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->n) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (len != NULL)
        *len = t->tok[id].len;
    return t->arena + t->tok[id].text;
}

int32_t
tok_find(const tok *t, const char *text, size_t len)
{
    return tok_lookup(t, text, len);
}

const char *
tok_piece(const tok *t, int32_t id, int special, size_t *len)
{
    if (id < 0 || id >= t->n ||
        (!special && (t->tok[id].attr & (TOK_A_UNKNOWN | TOK_A_CONTROL)))) {
        if (len != NULL)
            *len = 0;
        return "";
    }
    if (len != NULL)
        *len = t->tok[id].plen;
    return t->pieces + t->tok[id].piece;
}
