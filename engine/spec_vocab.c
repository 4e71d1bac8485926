/* spec_vocab.c: may this draft be paired with this target? Proposals and
 * the history cross between the two models as token ids, so an id must
 * mean the same text in both. (Correctness of the output never depends on
 * the draft, but a draft whose ids mean something else would propose
 * nonsense at full cost.) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "gguf.h"
#include "spec.h"
#include "tok.h"

/* A token's text for a one-line message: printable ASCII as is, the rest
 * as \xNN, cut at 24 bytes. */
static void
show_text(const tok *t, int32_t id, char *buf, size_t bufsz)
{
    size_t len = 0, i, o = 0;
    const char *s = tok_text(t, id, &len);

    for (i = 0; s != NULL && i < len && i < 24 && o + 5 < bufsz; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02X", c);
    }
    if (s != NULL && len > 24 && o + 4 < bufsz) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

static const char *
kind_name(int kind)
{
    return kind == TOK_SPM ? "SentencePiece (llama)" : kind == TOK_BPE ? "BPE (gpt2)" : "unknown";
}

/* May the tail id of the larger vocabulary be an added token? */
static int
is_added(const tok *t, int32_t id)
{
    int ty = tok_token_type(t, id);

    return ty != TOK_T_NORMAL && ty != TOK_T_BYTE;
}

int
spec_check_vocab(const tok *t, const tok *d, char *err, size_t errsz)
{
    static const char *const special_names[] = { "bos", "eos", "eot", "eom", "unk", "pad" };
    int32_t (*const special[])(const tok *) = { tok_bos, tok_eos, tok_eot, tok_eom, tok_unk,
                                                tok_pad };
    int32_t nt = tok_n_vocab(t), nd = tok_n_vocab(d), n = nt < nd ? nt : nd, i;
    char a[128], b[128];
    size_t k;

    if (tok_kind(t) != tok_kind(d)) {
        snprintf(err, errsz, "the draft's tokenizer is %s but the target's is %s",
                 kind_name(tok_kind(d)), kind_name(tok_kind(t)));
        return -1;
    }
    if (strcmp(tok_pre_name(t), tok_pre_name(d)) != 0) {
        snprintf(err, errsz, "the draft's pre-tokenizer is '%s' but the target's is '%s'",
                 tok_pre_name(d), tok_pre_name(t));
        return -1;
    }
    for (k = 0; k < sizeof special_names / sizeof special_names[0]; k++) {
        int32_t x = special[k](t), y = special[k](d);

        if (x != y) {
            snprintf(err, errsz, "the draft's %s token is %ld but the target's is %ld",
                     special_names[k], (long)y, (long)x);
            return -1;
        }
    }
    if (tok_add_bos(t) != tok_add_bos(d) || tok_add_eos(t) != tok_add_eos(d)) {
        snprintf(err, errsz, "the draft %s a BOS/EOS where the target does not (add_bos %d/%d, "
                 "add_eos %d/%d for target/draft)",
                 tok_add_bos(d) || tok_add_eos(d) ? "adds" : "omits", tok_add_bos(t),
                 tok_add_bos(d), tok_add_eos(t), tok_add_eos(d));
        return -1;
    }
    for (i = 0; i < n; i++) {
        size_t lt, ld;
        const char *st = tok_text(t, i, &lt), *sd = tok_text(d, i, &ld);

        if (lt != ld || memcmp(st, sd, lt) != 0) {
            show_text(t, i, a, sizeof a);
            show_text(d, i, b, sizeof b);
            snprintf(err, errsz, "token %ld differs: '%s' in the target, '%s' in the draft",
                     (long)i, a, b);
            return -1;
        }
        if (tok_token_type(t, i) != tok_token_type(d, i)) {
            show_text(t, i, a, sizeof a);
            snprintf(err, errsz, "token %ld ('%s') has type %d in the target but %d in the draft",
                     (long)i, a, tok_token_type(t, i), tok_token_type(d, i));
            return -1;
        }
    }
    for (i = n; i < (nt > nd ? nt : nd); i++) {
        const tok *big = nt > nd ? t : d;

        if (!is_added(big, i)) {
            show_text(big, i, a, sizeof a);
            snprintf(err, errsz, "the vocabularies differ in size (target %ld, draft %ld) and "
                     "token %ld ('%s') of the %s is ordinary text, not an added token",
                     (long)nt, (long)nd, (long)i, a, big == t ? "target" : "draft");
            return -1;
        }
    }
    return 0;
}

int
spec_check_pair(const model *target, const model *draft, char *err, size_t errsz)
{
    const gguf *gt = model_gguf(target), *gd = model_gguf(draft);
    int ht = gguf_find_kv(gt, "tokenizer.ggml.model") >= 0;
    int hd = gguf_find_kv(gd, "tokenizer.ggml.model") >= 0;
    int nt = model_get_info(target)->n_vocab, nd = model_get_info(draft)->n_vocab;
    char e2[384];
    tok *t, *d;
    int rc;

    if (!ht && !hd) {
        if (nt != nd) {
            snprintf(err, errsz, "neither model has a tokenizer and their vocabularies differ "
                     "in size (target %d, draft %d)", nt, nd);
            return -1;
        }
        return 0;
    }
    if (ht != hd) {
        snprintf(err, errsz, "the %s has a tokenizer but the %s has none",
                 ht ? "target" : "draft", ht ? "draft" : "target");
        return -1;
    }
    t = tok_load(gt, e2, sizeof e2);
    if (t == NULL) {
        snprintf(err, errsz, "target: %s", e2);
        return -1;
    }
    d = tok_load(gd, e2, sizeof e2);
    if (d == NULL) {
        snprintf(err, errsz, "draft: %s", e2);
        tok_free(t);
        return -1;
    }
    rc = spec_check_vocab(t, d, e2, sizeof e2);
    if (rc != 0)
        snprintf(err, errsz, "the draft does not fit the target: %s", e2);
    tok_free(d);
    tok_free(t);
    return rc;
}
