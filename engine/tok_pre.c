/* tok_pre.c: BPE pre-tokenizers. tokenizer.ggml.pre names a list of
 * regexes (llama.cpp, llm_tokenizer_bpe) applied in sequence: each regex
 * splits every piece left by the previous one into its matches and the
 * text between them, a regex seeing only its piece (so lookaheads and $
 * stop at the piece's end). Matching is done by PCRE2 in UTF mode with
 * Unicode properties (JIT-compiled when available).
 *
 * Where llama.cpp's regex engine behaves differently from a plain
 * Unicode regex, the patterns are adjusted so the results agree:
 *  - \s / \S mean llama.cpp's whitespace set (Unicode White_Space:
 *    \t-\r, space, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
 *    U+2029, U+202F, U+205F, U+3000); PCRE2's \s lacks U+0085.
 *  - llama.cpp runs regexes without \p{..} on text whose non-ASCII
 *    whitespace was replaced by U+000B, so literal classes never match
 *    such characters there: the deepseek classes exclude them here.
 *  - $ matches only at the very end (PCRE2_DOLLAR_ENDONLY). */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_int.h"
#include "xmalloc.h"

/* A compiled pre-tokenizer. */
struct tok_pre {
    int n;                           /* regexes in re */
    pcre2_code *re[TOK_PRE_MAX_RE];  /* applied in order */
};

/* llama.cpp's whitespace, as members of a character class. */
#define WS "\\t-\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}" \
    "\\x{202F}\\x{205F}\\x{3000}"

/* The GPT-2 regex (also part of several others). */
#define RE_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
/* LLAMA3: the HF regex with (?i:'s|...) spelt out as classes. */
#define RE_LLAMA3 "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|" \
    "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|" \
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
/* QWEN2: LLAMA3 with single digits. */
#define RE_QWEN2 "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|" \
    "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|" \
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
/* CJK ideographs, U+0800-U+4E00 and Hangul (deepseek), minus whitespace. */
#define RE_CJK "(?:(?!\\s)[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}])+"
/* Cased letters (deepseek-llm), from its tokenizer.json. */
#define RE_DS_LETTERS "\\s?[" \
    "A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}" \
    "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}" \
    "\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}" \
    "\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}" \
    "\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}" \
    "\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}" \
    "\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}" \
    "\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}" \
    "\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}" \
    "\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}" \
    "\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}" \
    "\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}" \
    "\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}" \
    "\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}" \
    "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}" \
    "\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}" \
    "\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}" \
    "\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+"
/* ASCII and fullwidth punctuation, quotes, CJK comma and full stop
 * (deepseek-llm; its U+3000 is whitespace and never matched there). */
#define RE_DS_PUNCT "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}" \
    "\\x{3001}-\\x{3002}]+"
/* PORO/BLOOM/VIKING: runs up to whitespace or sentence punctuation. */
#define RE_PORO " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{0964}\\x{06D4}\\x{060C})]+"

/* Regex lists by enum tok_pre_type (NULL-terminated). */
static const char *const pre_res[][TOK_PRE_MAX_RE] = {
    [TOK_PRE_DEFAULT] = { "[\\p{P}\\$\\+<=>\\^~\\|]+", RE_GPT2, "\\p{N}+", "[0-9][0-9][0-9]",
                          NULL },
    [TOK_PRE_LLAMA3] = { RE_LLAMA3, NULL },
    [TOK_PRE_QWEN2] = { RE_QWEN2, NULL },
    [TOK_PRE_GPT2] = { RE_GPT2, NULL },
    [TOK_PRE_DEEPSEEK_LLM] = { "[\\r\\n]", RE_DS_LETTERS, RE_DS_PUNCT, "\\s+$", RE_CJK, "\\p{N}+",
                               NULL },
    [TOK_PRE_DEEPSEEK_CODER] = { "[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", RE_CJK, "\\p{N}", NULL },
    [TOK_PRE_FALCON] = { "[\\p{P}\\$\\+<=>\\^~\\|`]+", RE_GPT2, "[0-9][0-9][0-9]", NULL },
    [TOK_PRE_STARCODER] = { "\\p{N}", RE_GPT2, NULL },
    [TOK_PRE_CHATGLM4] = { RE_LLAMA3, NULL },
    [TOK_PRE_PORO] = { RE_PORO, NULL },
    [TOK_PRE_VIKING] = { RE_PORO, "\\p{N}", NULL },
};

/* tokenizer.ggml.pre names (llama.cpp, llama_vocab::impl::load). */
static const struct {
    const char *name;  /* as stored in GGUF */
    int type;          /* enum tok_pre_type */
    int ignore_merges; /* a whole pre-token in the vocabulary is one token */
    int add_bos;       /* the type turns add_bos on */
    int no_bos;        /* the type has no BOS token */
} pre_names[] = {
    { "default", TOK_PRE_DEFAULT, 0, 0, 0 },
    { "llama3", TOK_PRE_LLAMA3, 1, 1, 0 },
    { "llama-v3", TOK_PRE_LLAMA3, 1, 1, 0 },
    { "llama-bpe", TOK_PRE_LLAMA3, 1, 1, 0 },
    { "falcon3", TOK_PRE_LLAMA3, 1, 1, 0 },
    { "dbrx", TOK_PRE_LLAMA3, 0, 0, 0 },
    { "smaug-bpe", TOK_PRE_LLAMA3, 0, 0, 0 },
    { "deepseek-llm", TOK_PRE_DEEPSEEK_LLM, 0, 0, 0 },
    { "deepseek-coder", TOK_PRE_DEEPSEEK_CODER, 0, 0, 0 },
    { "falcon", TOK_PRE_FALCON, 0, 0, 0 },
    { "mpt", TOK_PRE_GPT2, 0, 0, 0 },
    { "olmo", TOK_PRE_GPT2, 0, 0, 0 },
    { "jais", TOK_PRE_GPT2, 0, 0, 0 },
    { "gpt-2", TOK_PRE_GPT2, 0, 0, 0 },
    { "phi-2", TOK_PRE_GPT2, 0, 0, 0 },
    { "jina-es", TOK_PRE_GPT2, 0, 0, 0 },
    { "jina-de", TOK_PRE_GPT2, 0, 0, 0 },
    { "gigachat", TOK_PRE_GPT2, 0, 0, 0 },
    { "jina-v1-en", TOK_PRE_GPT2, 0, 0, 0 },
    { "jina-v2-es", TOK_PRE_GPT2, 0, 0, 0 },
    { "jina-v2-de", TOK_PRE_GPT2, 0, 0, 0 },
    { "jina-v2-code", TOK_PRE_GPT2, 0, 0, 0 },
    { "roberta-bpe", TOK_PRE_GPT2, 0, 0, 0 },
    { "starcoder", TOK_PRE_STARCODER, 0, 0, 0 },
    { "refact", TOK_PRE_STARCODER, 0, 0, 0 },
    { "command-r", TOK_PRE_STARCODER, 0, 0, 0 },
    { "smollm", TOK_PRE_STARCODER, 0, 0, 0 },
    { "codeshell", TOK_PRE_STARCODER, 0, 0, 0 },
    { "exaone", TOK_PRE_STARCODER, 0, 0, 0 },
    { "minerva-7b", TOK_PRE_STARCODER, 0, 0, 0 },
    { "qwen2", TOK_PRE_QWEN2, 0, 0, 0 },
    { "deepseek-r1-qwen", TOK_PRE_QWEN2, 0, 0, 0 },
    { "megrez", TOK_PRE_QWEN2, 0, 0, 0 },
    { "stablelm2", TOK_PRE_QWEN2, 0, 0, 0 },
    { "chatglm-bpe", TOK_PRE_CHATGLM4, 0, 0, 1 },
    { "poro-chat", TOK_PRE_PORO, 0, 0, 0 },
    { "bloom", TOK_PRE_PORO, 0, 0, 0 },
    { "gpt3-finnish", TOK_PRE_PORO, 0, 0, 0 },
    { "viking", TOK_PRE_VIKING, 0, 0, 0 },
};

int
tok_pre_lookup(const char *name, int *type, int *ignore_merges, int *add_bos, int *no_bos)
{
    size_t i;

    for (i = 0; i < sizeof pre_names / sizeof pre_names[0]; i++) {
        if (strcmp(name, pre_names[i].name) != 0)
            continue;
        *type = pre_names[i].type;
        if (pre_names[i].ignore_merges)
            *ignore_merges = 1;
        if (pre_names[i].add_bos)
            *add_bos = 1;
        if (pre_names[i].no_bos)
            *no_bos = 1;
        return 0;
    }
    return -1;
}

/* Rewrite \s and \S to llama.cpp's whitespace set. Returns a new string. */
static char *
expand_ws(const char *re)
{
    size_t cap = strlen(re) * 4 + sizeof WS * 8 + 16, k = 0;
    char *out = xmalloc(cap);
    int in_class = 0;
    const char *p;

    for (p = re; *p; p++) {
        if (k + sizeof WS + 8 > cap) {
            cap *= 2;
            out = xrealloc(out, cap);
        }
        if (*p == '\\' && p[1] != '\0') {
            if (p[1] == 's' || (p[1] == 'S' && !in_class)) {
                if (!in_class)
                    out[k++] = '[';
                if (p[1] == 'S')
                    out[k++] = '^';
                memcpy(out + k, WS, sizeof WS - 1);
                k += sizeof WS - 1;
                if (!in_class)
                    out[k++] = ']';
                p++;
                continue;
            }
            out[k++] = *p++;
            out[k++] = *p;
            continue;
        }
        if (*p == '[' && !in_class) {
            in_class = 1;
            out[k++] = *p;
            if (p[1] == '^')
                out[k++] = *++p;
            if (p[1] == ']') /* a leading ] is a member */
                out[k++] = *++p;
            continue;
        }
        if (*p == ']' && in_class)
            in_class = 0;
        out[k++] = *p;
    }
    out[k] = '\0';
    return out;
}

struct tok_pre *
tok_pre_new(int type, char *err, size_t errsz)
{
    struct tok_pre *p = xcalloc(1, sizeof *p);
    int i;

    for (i = 0; i < TOK_PRE_MAX_RE && pre_res[type][i] != NULL; i++) {
        char *pat = expand_ws(pre_res[type][i]);
        int ec;
        PCRE2_SIZE eo;

        p->re[i] = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);
        free(pat);
        if (p->re[i] == NULL) {
            PCRE2_UCHAR msg[160];

            pcre2_get_error_message(ec, msg, sizeof msg);
            snprintf(err, errsz, "pre-tokenizer regex %d does not compile at offset %zu: %s",
                     i + 1, (size_t)eo, (const char *)msg);
            p->n = i;
            tok_pre_free(p);
            return NULL;
        }
        (void)pcre2_jit_compile(p->re[i], PCRE2_JIT_COMPLETE); /* plain matching if it fails */
        p->n = i + 1;
    }
    return p;
}

void
tok_pre_free(struct tok_pre *p)
{
    int i;

    if (p == NULL)
        return;
    for (i = 0; i < p->n; i++)
        pcre2_code_free(p->re[i]);
    free(p);
}

/* A list of pieces (offset, length) of the input. */
struct pieces {
    size_t *v;  /* pairs: offset, length */
    size_t n;   /* pairs in use */
    size_t cap; /* pairs allocated */
};

static void
piece_add(struct pieces *p, size_t off, size_t len)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->v = xreallocarray(p->v, p->cap, 2 * sizeof *p->v);
    }
    p->v[2 * p->n] = off;
    p->v[2 * p->n + 1] = len;
    p->n++;
}

/* Match re in s[0..n) from start; on JIT stack exhaustion retry without JIT. */
static int
match(const pcre2_code *re, const char *s, size_t n, size_t start, pcre2_match_data *md)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK, md, NULL);

    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(re, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, NULL);
    return rc;
}

/* Split every piece of in by re into out. */
static int
split_one(const pcre2_code *re, const char *s, const struct pieces *in, struct pieces *out,
          pcre2_match_data *md, char *err, size_t errsz)
{
    size_t i;

    for (i = 0; i < in->n; i++) {
        size_t off = in->v[2 * i], len = in->v[2 * i + 1], pos = 0, prev = 0;
        const char *f = s + off;

        while (pos < len) {
            PCRE2_SIZE *ov;
            int rc = match(re, f, len, pos, md);

            if (rc == PCRE2_ERROR_NOMATCH)
                break;
            if (rc < 0) {
                PCRE2_UCHAR msg[160];

                pcre2_get_error_message(rc, msg, sizeof msg);
                snprintf(err, errsz, "pre-tokenizer: regex match failed: %s", (const char *)msg);
                return -1;
            }
            ov = pcre2_get_ovector_pointer(md);
            if (ov[0] > prev)
                piece_add(out, off + prev, ov[0] - prev);
            if (ov[1] > ov[0]) {
                piece_add(out, off + ov[0], ov[1] - ov[0]);
                prev = pos = ov[1];
            } else { /* an empty match: step over one character */
                size_t bad, cl;

                if (ov[1] >= len)
                    break;
                cl = tok_utf8_next((const unsigned char *)f + ov[1], len - ov[1], &bad);
                pos = ov[1] + (cl ? cl : bad);
            }
        }
        if (prev < len)
            piece_add(out, off + prev, len - prev);
    }
    return 0;
}

int
tok_pre_split(const struct tok_pre *p, const char *s, size_t n,
              void (*fn)(void *ctx, const char *w, size_t wn), void *ctx, char *err, size_t errsz)
{
    struct pieces a = { NULL, 0, 0 }, b = { NULL, 0, 0 }, tmp;
    pcre2_match_data *md;
    int i, rc = 0;
    size_t k;

    if (n == 0)
        return 0;
    md = pcre2_match_data_create(16, NULL);
    if (md == NULL) {
        snprintf(err, errsz, "pre-tokenizer: out of memory");
        return -1;
    }
    piece_add(&a, 0, n);
    for (i = 0; i < p->n && rc == 0; i++) {
        b.n = 0;
        rc = split_one(p->re[i], s, &a, &b, md, err, errsz);
        tmp = a;
        a = b;
        b = tmp;
    }
    if (rc == 0)
        for (k = 0; k < a.n; k++)
            fn(ctx, s + a.v[2 * k], a.v[2 * k + 1]);
    pcre2_match_data_free(md);
    free(a.v);
    free(b.v);
    return rc;
}
