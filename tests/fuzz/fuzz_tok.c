/* fuzz_tok.c: fuzz target of the tokenizers: text through tok_encode and
 * back through the decoders. The first input byte picks the vocabulary
 * (SPM with byte fallback, or byte-level BPE with one of the
 * pre-tokenizers), the second the flags and how the ids are fed to the
 * streaming decoder; the rest is the text. Invariants:
 *   - every id is in range;
 *   - byte-level BPE round-trips any text: decode(encode(x)) is x with
 *     ill-formed UTF-8 replaced by U+FFFD (special tokens parsed from the
 *     text come back with TOK_STREAM_SPECIAL);
 *   - SPM round-trips text without U+2581 the same way (it has byte
 *     fallback, so nothing becomes <unk>);
 *   - streaming the ids in any pieces gives the same bytes as tok_decode,
 *     and every piece the stream releases is valid UTF-8. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "fuzz_utf8.h"
#include "fuzz_vocab.h"
#include "gguf.h"
#include "tok.h"

static const char *const pres[] = {
    NULL /* SPM */, "default", "llama3", "llama-bpe", "qwen2", "gpt-2", "deepseek-llm",
    "deepseek-coder", "falcon", "starcoder", "chatglm-bpe", "poro-chat", "viking", "smaug-bpe",
};
#define N_TOK (sizeof pres / sizeof pres[0])

static tok *toks[N_TOK];

void
fuzz_init(void)
{
    for (size_t i = 0; i < N_TOK; i++) {
        char err[512];
        size_t len;
        uint8_t *buf = fv_vocab_gguf(pres[i], &len);
        gguf *g = gguf_open_mem(buf, len, "vocab", err, sizeof err);

        if (g == NULL || (toks[i] = tok_load(g, err, sizeof err)) == NULL) {
            fprintf(stderr, "fuzz_tok: vocabulary %s: %s\n", pres[i] ? pres[i] : "spm", err);
            abort();
        }
        gguf_close(g);
        free(buf);
    }
}

/* Decode ids through a stream in pieces whose sizes come from seed;
 * returns the bytes (a new string) and checks each release. */
static char *
stream_decode(const tok *t, const int32_t *ids, size_t n, unsigned flags, unsigned seed,
              size_t *len)
{
    tok_stream *s = tok_stream_new(t, flags);
    char *out = malloc(1);
    size_t o = 0, i;

    for (i = 0; i <= n; i++) {
        size_t pl;
        const char *p = i < n ? tok_stream_push(s, ids[i], &pl) : tok_stream_flush(s, &pl);

        fuzz_check(fu_valid(p, pl), "the stream released ill-formed UTF-8 after id %zu", i);
        out = realloc(out, o + pl + 1);
        memcpy(out + o, p, pl);
        o += pl;
        /* now and then, feed an out-of-range id: it must give nothing */
        if ((seed >> (i % 16)) & 1 && i < n) {
            (void)tok_stream_push(s, -1, &pl);
            fuzz_check(pl == 0, "an out-of-range id gave bytes");
        }
    }
    out[o] = '\0';
    tok_stream_free(s);
    *len = o;
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text;
    size_t tn, clean_n, dn, sn;
    unsigned which, mode, flags;
    char *clean, *dec, *str, err[512];
    tok_ids ids = { 0 };
    const tok *t;
    int rc, has_2581;

    if (size < 2)
        return 0;
    which = data[0] % N_TOK;
    mode = data[1];
    text = (const char *)data + 2;
    tn = size - 2;
    t = toks[which];
    flags = mode & 7u;
    rc = tok_encode(t, text, tn, flags, &ids, err, sizeof err);
    fuzz_check(rc == 0, "tok_encode failed: %s", err);
    for (size_t i = 0; i < ids.n; i++)
        fuzz_check(ids.v[i] >= 0 && ids.v[i] < tok_n_vocab(t), "id %d out of range", ids.v[i]);

    clean = fu_sanitize(text, tn, &clean_n);
    has_2581 = memmem(clean, clean_n, "\xe2\x96\x81", 3) != NULL;
    dec = tok_decode(t, ids.v, ids.n, (flags & TOK_PARSE_SPECIAL) ? TOK_STREAM_SPECIAL : 0, &dn);
    fuzz_check(fu_valid(dec, dn), "tok_decode gave ill-formed UTF-8");
    if (!(flags & (TOK_ADD_BOS | TOK_ADD_EOS)) && (pres[which] != NULL || !has_2581) &&
        (pres[which] != NULL || !(flags & TOK_PARSE_SPECIAL))) {
        if (dn != clean_n || memcmp(dec, clean, dn) != 0) {
            fprintf(stderr, "vocabulary %s, flags %u: %zu bytes in, %zu ids, %zu bytes out\n",
                    pres[which] ? pres[which] : "spm", flags, clean_n, ids.n, dn);
            fuzz_fail("decode(encode(text)) differs from the text");
        }
    }
    str = stream_decode(t, ids.v, ids.n, (flags & TOK_PARSE_SPECIAL) ? TOK_STREAM_SPECIAL : 0,
                        mode >> 3, &sn);
    fuzz_check(sn == dn && memcmp(str, dec, dn) == 0, "streaming and one-shot decoding differ");
    free(str);
    free(dec);
    free(clean);
    tok_ids_free(&ids);
    return 0;
}
