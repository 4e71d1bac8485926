/* test_tok.c: tokenizer behaviour on small vocabularies built here with
 * the GGUF writer (SPM merges and byte fallback, BPE merges, special
 * tokens, BOS/EOS flags, end-of-generation ids, invalid UTF-8, streaming
 * decode) and, when $TERNCHAT_TESTDATA is set, on the shared vocabularies
 * (round trips, special tokens, speed). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gguf.h"
#include "tap.h"
#include "tok.h"

#define U2581 "\xE2\x96\x81"

/* ---- helpers ---- */

/* Load a tokenizer from a writer's bytes (the tokenizer copies what it needs). */
static tok *
load_from(gguf_writer *w, char *err, size_t errsz)
{
    uint8_t *buf;
    size_t len;
    gguf *g;
    tok *t = NULL;

    if (gguf_writer_write_mem(w, &buf, &len, err, errsz) != 0)
        return NULL;
    g = gguf_open_mem(buf, len, "(test)", err, errsz);
    if (g != NULL) {
        t = tok_load(g, err, errsz);
        gguf_close(g);
    }
    free(buf);
    gguf_writer_free(w);
    return t;
}

/* Ids as "1 2 3" (static buffer). */
static const char *
str_ids(const tok_ids *a)
{
    static char buf[4096];
    size_t k = 0, i;

    buf[0] = '\0';
    for (i = 0; i < a->n && k + 16 < sizeof buf; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, i ? " %d" : "%d", (int)a->v[i]);
    return buf;
}

/* Encode and return the ids as a string (static buffer). */
static const char *
enc(const tok *t, const char *text, unsigned flags)
{
    tok_ids a = { 0 };
    char err[256];
    const char *s;

    if (tok_encode(t, text, strlen(text), flags, &a, err, sizeof err) != 0) {
        diag("encode failed: %s", err);
        return "(error)";
    }
    s = str_ids(&a);
    tok_ids_free(&a);
    return s;
}

/* 1 if s[0..n) is valid UTF-8 (checked here independently of the library). */
static int
valid_utf8(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, k, need;
    uint32_t cp;

    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        if (u[i] >= 0xC2 && u[i] <= 0xDF)
            need = 2, cp = u[i] & 0x1F;
        else if (u[i] >= 0xE0 && u[i] <= 0xEF)
            need = 3, cp = u[i] & 0x0F;
        else if (u[i] >= 0xF0 && u[i] <= 0xF4)
            need = 4, cp = u[i] & 0x07;
        else
            return 0;
        if (i + need > n)
            return 0;
        for (k = 1; k < need; k++) {
            if ((u[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (u[i + k] & 0x3F);
        }
        if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += need;
    }
    return 1;
}

/* ---- a small SPM vocabulary ---- */

enum { UNK = 0, BOS = 1, EOS = 2, BYTE0 = 3 }; /* <0x00> is id 3, <0xFF> id 258 */

static const char *const spm_words[] = {
    U2581, "h", "e", "l", "o", "w", "r", "d", "a",
    U2581 "h", "he", "ll", "llo", "hello", U2581 "hello", U2581 "w", "or", "wor", "ld",
    U2581 "wor", U2581 "world", "aa", "<|im_start|>", "<|im_end|>", "<user>", "<|endoftext|>",
};
/* Scores give the merge paths he+llo and wor+ld: ll, he, llo, hello, ▁hello
 * and or, ld, wor, ▁wor, ▁world. */
static const float spm_scores[] = {
    -1, -2, -2, -2, -2, -2, -2, -2, -2,
    -3, -1.5f, -1, -2, -2.5f, -1, -3, -1, -2, -1.2f,
    -2.5f, -1, -3, 0, 0, 0, 0,
};
#define N_WORDS (sizeof spm_words / sizeof spm_words[0])

/* Id of a word of spm_words. */
static int
spm_id(const char *w)
{
    size_t i;

    for (i = 0; i < N_WORDS; i++)
        if (strcmp(spm_words[i], w) == 0)
            return (int)(BYTE0 + 256 + i);
    return -1;
}

/* The SPM test vocabulary; extra_keys adds keys before writing. */
static tok *
spm_vocab(void (*extra_keys)(gguf_writer *))
{
    static char bytes[256][8];
    const char *toks[3 + 256 + N_WORDS];
    float scores[3 + 256 + N_WORDS];
    int32_t types[3 + 256 + N_WORDS];
    size_t n = 0, i;
    gguf_writer *w = gguf_writer_new();
    char err[256];
    tok *t;

    toks[n] = "<unk>", scores[n] = 0, types[n++] = TOK_T_UNKNOWN;
    toks[n] = "<s>", scores[n] = 0, types[n++] = TOK_T_CONTROL;
    toks[n] = "</s>", scores[n] = 0, types[n++] = TOK_T_CONTROL;
    for (i = 0; i < 256; i++) {
        snprintf(bytes[i], sizeof bytes[i], "<0x%02X>", (unsigned)i);
        toks[n] = bytes[i], scores[n] = 0, types[n++] = TOK_T_BYTE;
    }
    for (i = 0; i < N_WORDS; i++) {
        toks[n] = spm_words[i];
        scores[n] = spm_scores[i];
        types[n] = TOK_T_NORMAL;
        if (spm_words[i][0] == '<')
            types[n] = strcmp(spm_words[i], "<user>") == 0 ? TOK_T_USER_DEFINED : TOK_T_CONTROL;
        n++;
    }
    gguf_writer_set_str(w, "general.architecture", "llama");
    gguf_writer_set_str(w, "tokenizer.ggml.model", "llama");
    gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, n);
    gguf_writer_set_arr(w, "tokenizer.ggml.scores", GGUF_T_F32, scores, n);
    gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GGUF_T_I32, types, n);
    if (extra_keys != NULL)
        extra_keys(w);
    t = load_from(w, err, sizeof err);
    if (t == NULL)
        diag("SPM vocabulary: %s", err);
    return t;
}

static void
add_eos_key(gguf_writer *w)
{
    gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", 1);
}

static void
no_prefix_key(gguf_writer *w)
{
    gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", 0);
}

static void
test_spm(void)
{
    tok *t = spm_vocab(NULL), *t2;
    char want[256], err[256];
    int hello = spm_id(U2581 "hello"), world = spm_id(U2581 "world");
    int ims = spm_id("<|im_start|>"), ime = spm_id("<|im_end|>"), user = spm_id("<user>");
    tok_ids a = { 0 }, b = { 0 };

    if (!ok(t != NULL, "SPM vocabulary loads"))
        return;
    ok(tok_kind(t) == TOK_SPM && tok_n_vocab(t) == (int32_t)(3 + 256 + N_WORDS),
       "SPM kind and size");
    ok(tok_bos(t) == BOS && tok_eos(t) == EOS && tok_unk(t) == UNK,
       "SPM default special ids 1/2/0");
    ok(tok_add_bos(t) && !tok_add_eos(t) && tok_add_space_prefix(t),
       "SPM defaults: add_bos, no add_eos, space prefix");

    snprintf(want, sizeof want, "%d %d", hello, world);
    is_str(enc(t, "hello world", 0), want, "SPM: merges by score give ▁hello ▁world");
    snprintf(want, sizeof want, "%d %d %d", BOS, hello, world);
    is_str(enc(t, "hello world", TOK_ADD_SPECIAL), want, "SPM: TOK_ADD_SPECIAL prepends BOS");
    snprintf(want, sizeof want, "%d %d", hello, world);
    is_str(enc(t, "hello world", TOK_ADD_EOS), want, "SPM: no EOS unless the vocabulary asks");
    is_str(enc(t, "", TOK_ADD_SPECIAL), "1", "SPM: empty text with BOS gives just BOS");
    is_str(enc(t, "", 0), "", "SPM: empty text gives nothing");

    /* byte fallback: 'é' (C3 A9) and 'z' are not pieces */
    snprintf(want, sizeof want, "%d %d %d %d", spm_id(U2581 "h"), BYTE0 + 0xC3, BYTE0 + 0xA9,
             BYTE0 + 'z');
    is_str(enc(t, "h\xC3\xA9z", 0), want, "SPM: byte fallback for characters without a piece");

    /* special tokens: parsed only on request; the text after one gets the space prefix */
    snprintf(want, sizeof want, "%d %d %d", ims, hello, ime);
    is_str(enc(t, "<|im_start|>hello<|im_end|>", TOK_PARSE_SPECIAL), want,
           "SPM: control tokens parsed with TOK_PARSE_SPECIAL (space prefix after them)");
    {
        const char *s = enc(t, "<|im_start|>hello", 0);
        char ids[16];

        snprintf(ids, sizeof ids, "%d", ims);
        ok(strstr(s, ids) == NULL && strlen(s) > 10,
           "SPM: control token text stays text without it (%s)", s);
    }
    snprintf(want, sizeof want, "%d %d %d", hello, user, hello);
    is_str(enc(t, "hello<user>hello", 0), want,
           "SPM: user-defined tokens are split out even without TOK_PARSE_SPECIAL");

    /* invalid UTF-8 is replaced by U+FFFD (EF BF BD) */
    snprintf(want, sizeof want, "%d", spm_id(U2581 "h"));
    {
        char w2[320];

        snprintf(w2, sizeof w2, "%s %d %d %d %d", want, BYTE0 + 0xEF, BYTE0 + 0xBF, BYTE0 + 0xBD,
                 spm_id("h"));
        is_str(enc(t, "h\xFFh", 0), w2, "SPM: an invalid byte becomes U+FFFD");
        is_str(enc(t, "h\xE2\x96h", 0), w2, "SPM: a truncated sequence becomes one U+FFFD");
    }
    ok(tok_encode(t, "\xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80", 9, 0, &a, err, sizeof err) == 0,
       "SPM: encoding ill-formed UTF-8 succeeds");
    ok(a.n == 1 + 9 * 3,
       "SPM: overlongs, surrogates and > U+10FFFF become U+FFFD per byte (%zu ids)", a.n);
    tok_ids_free(&a);

    /* streaming: a character split over byte tokens comes out whole */
    {
        static const int32_t seq[] = { BOS, 9999 /* set below */, BYTE0 + 0xE2, BYTE0 + 0x96,
                                       BYTE0 + 0x81, BYTE0 + 0xC3, BYTE0 + 0xA9 };
        int32_t ids[7];
        const char *out[7];
        size_t n[7], i;
        tok_stream *s = tok_stream_new(t, 0);
        char all[64] = "";
        int each_valid = 1;

        memcpy(ids, seq, sizeof ids);
        ids[1] = hello;
        for (i = 0; i < 7; i++) {
            char tmp[32];

            out[i] = tok_stream_push(s, ids[i], &n[i]);
            each_valid &= valid_utf8(out[i], n[i]);
            snprintf(tmp, sizeof tmp, "%.*s", (int)n[i], out[i]);
            strcat(all, tmp);
        }
        ok(each_valid, "stream: every write is valid UTF-8");
        ok(n[2] == 0 && n[3] == 0 && n[4] == 3,
           "stream: E2 96 81 held until the character is whole");
        ok(n[5] == 0 && n[6] == 2, "stream: C3 A9 held until the character is whole");
        is_str(all, "hello" U2581 "\xC3\xA9", "stream: BOS renders nothing, leading space removed");
        tok_stream_free(s);
    }
    /* streaming: bad sequences become U+FFFD, also at flush */
    {
        tok_stream *s = tok_stream_new(t, 0);
        const char *o;
        size_t n;

        tok_stream_push(s, BYTE0 + 0xC3, &n);
        o = tok_stream_push(s, BYTE0 + 'A', &n);
        ok(n == 4 && memcmp(o, "\xEF\xBF\xBD" "A", 4) == 0, "stream: C3 then 'A' gives U+FFFD A");
        o = tok_stream_push(s, BYTE0 + 0xFF, &n);
        ok(n == 3 && memcmp(o, "\xEF\xBF\xBD", 3) == 0, "stream: FF gives U+FFFD");
        o = tok_stream_push(s, BYTE0 + 0xF0, &n);
        ok(n == 0, "stream: F0 is held");
        o = tok_stream_push(s, BYTE0 + 0x9F, &n);
        ok(n == 0, "stream: F0 9F is held");
        o = tok_stream_flush(s, &n);
        ok(n == 3 && memcmp(o, "\xEF\xBF\xBD", 3) == 0,
           "stream: flush turns a held prefix into U+FFFD");
        o = tok_stream_push(s, -5, &n);
        ok(n == 0 && o != NULL, "stream: an id out of range gives nothing");
        o = tok_stream_push(s, 1000000, &n);
        ok(n == 0, "stream: a too large id gives nothing");
        tok_stream_free(s);
    }
    /* decode: specials shown on request; the SPM leading space */
    {
        int32_t ids[] = { BOS, 0, 0, EOS };
        char *d;
        size_t n;

        ids[1] = hello;
        ids[2] = world;
        d = tok_decode(t, ids, 4, 0, &n);
        is_str(d, "hello world", "decode: BOS/EOS hidden, first space removed");
        free(d);
        d = tok_decode(t, ids, 4, TOK_STREAM_SPECIAL, &n);
        is_str(d, "<s>hello world</s>", "decode: TOK_STREAM_SPECIAL shows control tokens");
        free(d);
        d = tok_decode(t, ids + 1, 2, TOK_STREAM_KEEP_SPACE, &n);
        is_str(d, " hello world", "decode: TOK_STREAM_KEEP_SPACE keeps the leading space");
        free(d);
    }
    /* round trip through encode and decode */
    {
        static const char *const texts[] = {
            "hello world", " hello  world ", "h\xC3\xA9llo\n\tw\xF0\x9F\x9A\x80", "", "a", "  ",
        };
        size_t i;

        for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            char *d;

            tok_ids_free(&b);
            tok_encode(t, texts[i], strlen(texts[i]), TOK_ADD_SPECIAL, &b, err, sizeof err);
            d = tok_decode(t, b.v, b.n, 0, NULL);
            is_str(d, texts[i], "SPM round trip");
            free(d);
        }
    }
    tok_ids_free(&b);

    /* end of generation */
    ok(tok_is_eog(t, EOS), "eog: EOS");
    ok(tok_is_eog(t, ime) && tok_eot(t) == ime, "eog: <|im_end|> detected by its text as EOT");
    ok(tok_is_eog(t, spm_id("<|endoftext|>")), "eog: <|endoftext|>");
    ok(!tok_is_eog(t, hello) && !tok_is_eog(t, BOS) && !tok_is_eog(t, ims) && !tok_is_eog(t, -1),
       "eog: other tokens are not");
    ok(tok_token_type(t, ime) == TOK_T_CONTROL && tok_token_type(t, -1) == -1, "token types");
    {
        size_t n;
        const char *p = tok_piece(t, BYTE0 + 0x41, 0, &n);

        ok(n == 1 && p[0] == 'A', "piece of <0x41> is A");
        p = tok_piece(t, hello, 0, &n);
        ok(n == 6 && memcmp(p, " hello", 6) == 0, "piece of " U2581 "hello is \" hello\"");
        p = tok_piece(t, BOS, 0, &n);
        ok(n == 0, "piece of BOS is empty without special");
        p = tok_text(t, hello, &n);
        ok(n == 8 && memcmp(p, U2581 "hello", 8) == 0 && tok_find(t, U2581 "hello", 8) == hello,
           "tok_text and tok_find");
    }
    tok_free(t);

    /* add_eos from the file; ties in score merge leftmost first */
    t2 = spm_vocab(add_eos_key);
    if (t2 != NULL) {
        snprintf(want, sizeof want, "%d %d %d %d", BOS, hello, world, EOS);
        is_str(enc(t2, "hello world", TOK_ADD_SPECIAL), want, "SPM: add_eos_token appends EOS");
        snprintf(want, sizeof want, "%d %d", hello, world);
        is_str(enc(t2, "hello world", 0), want, "SPM: no flags, no BOS/EOS");
        tok_free(t2);
    }
    t2 = spm_vocab(no_prefix_key);
    if (t2 != NULL) {
        snprintf(want, sizeof want, "%d %d", spm_id("aa"), spm_id("a"));
        is_str(enc(t2, "aaa", 0), want, "SPM: equal scores merge the leftmost pair first");
        ok(!tok_add_space_prefix(t2), "SPM: add_space_prefix false from the file");
        tok_free(t2);
    }
}

/* ---- a small BPE vocabulary ---- */

static const char *const bpe_extra[] = {
    "he", "ll", "hell", "hello", "\xC4\xA0w", "or", "\xC4\xA0wor", "\xC4\xA0world", "ld",
    "world", "<|endoftext|>",
};
static const char *const bpe_merges[] = {
    "h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "o r", "\xC4\xA0w or", "l d", "\xC4\xA0wor ld",
    "w or", "wor ld",
};

/* Id of an extra token (they follow the 256 byte tokens). */
static int
bpe_id(const char *w)
{
    size_t i;

    for (i = 0; i < sizeof bpe_extra / sizeof bpe_extra[0]; i++)
        if (strcmp(bpe_extra[i], w) == 0)
            return (int)(256 + i);
    return -1;
}

/* GPT-2's code point for byte b. */
static unsigned
gpt2_cp(unsigned b)
{
    unsigned i, k = 0;

    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE))
        return b;
    for (i = 0; i < b; i++)
        if (!((i >= 0x21 && i <= 0x7E) || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE)))
            k++;
    return 256 + k;
}

/* A BPE vocabulary: 256 byte tokens in byte order, then bpe_extra. pre may
 * be NULL. with_merges: 1 all merges, 0 an empty list, -1 no merges key. */
static tok *
bpe_vocab(const char *pre, char *err, size_t errsz, int with_merges)
{
    static char bytes[256][4];
    const char *toks[256 + sizeof bpe_extra / sizeof bpe_extra[0]];
    int32_t types[256 + sizeof bpe_extra / sizeof bpe_extra[0]];
    size_t n = 0, i;
    gguf_writer *w = gguf_writer_new();

    for (i = 0; i < 256; i++) {
        unsigned cp = gpt2_cp((unsigned)i);

        if (cp < 0x80) {
            bytes[i][0] = (char)cp;
            bytes[i][1] = '\0';
        } else {
            bytes[i][0] = (char)(0xC0 | (cp >> 6));
            bytes[i][1] = (char)(0x80 | (cp & 0x3F));
            bytes[i][2] = '\0';
        }
        toks[n] = bytes[i];
        types[n++] = TOK_T_NORMAL;
    }
    for (i = 0; i < sizeof bpe_extra / sizeof bpe_extra[0]; i++) {
        toks[n] = bpe_extra[i];
        types[n++] = bpe_extra[i][0] == '<' ? TOK_T_CONTROL : TOK_T_NORMAL;
    }
    gguf_writer_set_str(w, "tokenizer.ggml.model", "gpt2");
    if (pre != NULL)
        gguf_writer_set_str(w, "tokenizer.ggml.pre", pre);
    gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, n);
    gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GGUF_T_I32, types, n);
    if (with_merges >= 0)
        gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", bpe_merges,
                                with_merges ? sizeof bpe_merges / sizeof bpe_merges[0] : 0);
    gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)bpe_id("<|endoftext|>"));
    return load_from(w, err, errsz);
}

static void
test_bpe(void)
{
    char err[256], want[128];
    tok *t = bpe_vocab("gpt-2", err, sizeof err, 1), *t2;
    int eot = bpe_id("<|endoftext|>");

    if (!ok(t != NULL, "BPE vocabulary loads")) {
        diag("%s", err);
        return;
    }
    ok(tok_kind(t) == TOK_BPE && strcmp(tok_pre_name(t), "gpt-2") == 0, "BPE kind and pre name");
    ok(!tok_add_bos(t) && tok_bos(t) == 11, "BPE defaults: no add_bos, bos id 11");
    snprintf(want, sizeof want, "%d %d", bpe_id("hello"), bpe_id("\xC4\xA0world"));
    is_str(enc(t, "hello world", TOK_ADD_SPECIAL), want, "BPE: merges by rank give hello Ġworld");
    snprintf(want, sizeof want, "%d %d %d", bpe_id("hello"), '!', bpe_id("\xC4\xA0world"));
    is_str(enc(t, "hello! world", 0), want, "BPE: the pre-tokenizer splits punctuation");
    {
        /* 'é' = C3 A9: bytes map to the byte tokens (ids = byte values here) */
        snprintf(want, sizeof want, "%d %d", 0xC3, 0xA9);
        is_str(enc(t, "\xC3\xA9", 0), want, "BPE: unmerged bytes are byte tokens");
    }
    snprintf(want, sizeof want, "%d %d", bpe_id("hello"), eot);
    is_str(enc(t, "hello<|endoftext|>", TOK_PARSE_SPECIAL), want,
           "BPE: special token parsed on request");
    {
        const char *s = enc(t, "<|endoftext|>", 0);
        char id[16];

        snprintf(id, sizeof id, "%d", eot);
        ok(strstr(s, id) == NULL, "BPE: special token text stays text otherwise (%s)", s);
    }
    ok(tok_is_eog(t, eot) && tok_eos(t) == eot, "BPE: eos from the key is eog");
    {
        static const char *const texts[] = {
            "hello world", "  x\n\n\ty", "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\x80!", "don't", "",
        };
        size_t i;

        for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            tok_ids a = { 0 };
            char *d;

            tok_encode(t, texts[i], strlen(texts[i]), TOK_ADD_SPECIAL, &a, err, sizeof err);
            d = tok_decode(t, a.v, a.n, 0, NULL);
            is_str(d, texts[i], "BPE round trip");
            free(d);
            tok_ids_free(&a);
        }
    }
    {
        tok_ids a = { 0 };
        char *d;

        tok_encode(t, "a\xFF" "b", 3, 0, &a, err, sizeof err);
        d = tok_decode(t, a.v, a.n, 0, NULL);
        is_str(d, "a\xEF\xBF\xBD" "b", "BPE: invalid UTF-8 input comes back as U+FFFD");
        free(d);
        tok_ids_free(&a);
    }
    tok_free(t);

    /* llama3 family: ignore_merges emits a whole pre-token found in the vocabulary */
    t = bpe_vocab("llama-bpe", err, sizeof err, 1);
    t2 = bpe_vocab("llama-bpe", err, sizeof err, 0);
    if (ok(t != NULL && t2 != NULL, "llama-bpe vocabulary loads")) {
        ok(tok_add_bos(t) && tok_bos(t) == 11, "llama-bpe turns add_bos on (bos id 11 here)");
        snprintf(want, sizeof want, "%d", bpe_id("world"));
        is_str(enc(t2, "world", 0), want,
               "llama3 ignore_merges: a vocabulary word needs no merges");
        snprintf(want, sizeof want, "%d %d %d %d %d", 'w', 'o', 'r', 'l', 'd');
        tok_free(t2);
        t2 = bpe_vocab("gpt-2", err, sizeof err, 0);
        is_str(t2 ? enc(t2, "world", 0) : "", want, "gpt-2 without merges: bytes");
    }
    tok_free(t);
    tok_free(t2);

    /* pre-tokenizer names */
    t = bpe_vocab(NULL, err, sizeof err, 1);
    ok(t != NULL && strcmp(tok_pre_name(t), "default") == 0, "missing pre means default");
    tok_free(t);
    t = bpe_vocab("frobnicate", err, sizeof err, 1);
    ok(t == NULL && strstr(err, "frobnicate") != NULL, "unknown pre is an error naming it (%s)",
       err);
    tok_free(t);
    t = bpe_vocab("gpt-2", err, sizeof err, -1);
    ok(t == NULL && strstr(err, "tokenizer.ggml.merges") != NULL,
       "BPE without tokenizer.ggml.merges is an error (%s)", err);
    tok_free(t);
}

/* ---- the shared vocabularies ---- */

static tok *
load_shared(const char *td, const char *name)
{
    char path[1024], err[512];
    gguf *g;
    tok *t;

    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-%s.gguf", td, name);
    g = gguf_open(path, err, sizeof err);
    if (g == NULL) {
        diag("%s", err);
        return NULL;
    }
    t = tok_load(g, err, sizeof err);
    gguf_close(g);
    if (t == NULL)
        diag("%s", err);
    return t;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
test_shared(const char *td)
{
    static const char *const names[] = { "llama-spm", "phi-3", "gpt-2", "deepseek-coder", "falcon",
                                         "refact", "starcoder" };
    static const char *const texts[] = {
        "Hello world", " Hello  World! ", "tabs\tand\nnewlines\r\n",
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x9A\x80",
        "F\xC3\xBChrer 3333333 don't", "    indented code();\n", "\xE1\x9E\x80\xE1\x9E\xB6",
    };
    size_t i, j;
    char *big;
    size_t big_n = 100 * 1024;

    big = malloc(big_n + 1);
    if (big == NULL)
        abort();
    for (j = 0; j < big_n; j++) {
        static const char pat[] = "The quick brown fox \xE2\x80\x94 jumps over 12345 lazy dogs.\n"
                                  "\xC3\xA9\xF0\x9F\x98\x80 ";

        big[j] = pat[j % (sizeof pat - 1)];
    }
    big[big_n] = '\0';
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        tok *t = load_shared(td, names[i]);
        int all = 1, valid = 1;
        tok_ids a = { 0 };
        char err[256];
        double t0;

        if (!ok(t != NULL, "%s loads", names[i]))
            continue;
        for (j = 0; j < sizeof texts / sizeof texts[0]; j++) {
            char *d;

            a.n = 0;
            tok_encode(t, texts[j], strlen(texts[j]), TOK_ADD_SPECIAL, &a, err, sizeof err);
            d = tok_decode(t, a.v, a.n, 0, NULL);
            if (strcmp(d, texts[j]) != 0) {
                all = 0;
                diag("%s: \"%s\" came back as \"%s\"", names[i], texts[j], d);
            }
            free(d);
            /* stream: each write valid UTF-8 */
            {
                tok_stream *s = tok_stream_new(t, 0);
                size_t k, n;
                const char *o;

                for (k = 0; k < a.n; k++) {
                    o = tok_stream_push(s, a.v[k], &n);
                    valid &= valid_utf8(o, n);
                }
                o = tok_stream_flush(s, &n);
                valid &= valid_utf8(o, n);
                tok_stream_free(s);
            }
        }
        ok(all, "%s: encode/decode round trips", names[i]);
        ok(valid, "%s: every streamed write is valid UTF-8", names[i]);
        a.n = 0;
        t0 = now();
        tok_encode(t, big, big_n, 0, &a, err, sizeof err);
        t0 = now() - t0;
        ok(t0 < 1.0 && a.n > 10000, "%s: 100 KB in %.3f s (%zu tokens)", names[i], t0, a.n);
        tok_ids_free(&a);
        tok_free(t);
    }
    free(big);

    /* special tokens on the real vocabularies */
    {
        tok *t = load_shared(td, "llama-spm");

        if (t != NULL) {
            is_str(enc(t, "<s>", TOK_PARSE_SPECIAL), "1", "llama-spm: <s> parsed as BOS");
            ok(strcmp(enc(t, "<s>", 0), "1") != 0, "llama-spm: <s> is text without parse_special");
            is_str(enc(t, "Hello", TOK_ADD_SPECIAL), "1 15043", "llama-spm: BOS + Hello");
            ok(tok_is_eog(t, 2) && !tok_is_eog(t, 1), "llama-spm: eos is eog, bos is not");
            tok_free(t);
        }
        t = load_shared(td, "phi-3");
        if (t != NULL) {
            ok(tok_is_eog(t, 32007) && tok_is_eog(t, 32000) && tok_eos(t) == 32000,
               "phi-3: <|end|> and <|endoftext|> end generation");
            char *a = strdup(enc(t, "<|user|>\n Hi<|end|>", TOK_PARSE_SPECIAL));

            is_str(a, enc(t, "<|user|>Hi<|end|>", TOK_PARSE_SPECIAL),
                   "phi-3: whitespace after special tokens is stripped (rstrip)");
            free(a);
            tok_free(t);
        }
        t = load_shared(td, "gpt-2");
        if (t != NULL) {
            is_str(enc(t, "<|endoftext|>", TOK_PARSE_SPECIAL), "50256",
                   "gpt-2: <|endoftext|> parsed");
            ok(!tok_add_bos(t), "gpt-2: no BOS added");
            tok_free(t);
        }
        t = load_shared(td, "deepseek-coder");
        if (t != NULL) {
            ok(tok_add_bos(t) && tok_bos(t) == 32013, "deepseek-coder: add_bos from the file");
            is_str(enc(t, "\xC3\xBC", 0), "32009",
                   "deepseek-coder: user-defined 'ü' always split out");
            tok_free(t);
        }
    }
}

int
main(void)
{
    const char *td = getenv("TERNCHAT_TESTDATA");

    test_spm();
    test_bpe();
    if (td == NULL || *td == '\0')
        skip("shared vocabularies not used: TERNCHAT_TESTDATA is not set");
    else
        test_shared(td);
    return done_testing();
}
