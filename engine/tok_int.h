/* tok_int.h: what the tokenizer's source files share (tok.c, tok_spm.c,
 * tok_bpe.c, tok_pre.c, tok_special.c, tok_utf8.c): the tok struct and the
 * internal functions between them. Not part of the public API (tok.h). */
#ifndef TERNCHAT_TOK_INT_H
#define TERNCHAT_TOK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tok.h"

/* Token attributes (a bit set, as llama.cpp keeps them). */
enum {
    TOK_A_UNKNOWN = 1 << 0,
    TOK_A_UNUSED = 1 << 1,
    TOK_A_NORMAL = 1 << 2,
    TOK_A_CONTROL = 1 << 3,
    TOK_A_USER_DEFINED = 1 << 4,
    TOK_A_BYTE = 1 << 5,
    TOK_A_LSTRIP = 1 << 6, /* drop whitespace before it when split out of text */
    TOK_A_RSTRIP = 1 << 7  /* drop whitespace after it when split out of text */
};

/* Pre-tokenizer types (what tokenizer.ggml.pre selects). */
enum tok_pre_type {
    TOK_PRE_DEFAULT,
    TOK_PRE_LLAMA3,
    TOK_PRE_QWEN2,
    TOK_PRE_GPT2,
    TOK_PRE_DEEPSEEK_LLM,
    TOK_PRE_DEEPSEEK_CODER,
    TOK_PRE_FALCON,
    TOK_PRE_STARCODER,
    TOK_PRE_CHATGLM4,
    TOK_PRE_PORO,
    TOK_PRE_VIKING
};

#define TOK_PRE_MAX_RE 8 /* regexes a pre-tokenizer may apply in sequence */

/* One vocabulary entry. */
struct tok_entry {
    uint32_t text;    /* offset of its text in tok.arena */
    uint32_t len;     /* bytes of text */
    uint32_t piece;   /* offset of its decoded bytes in tok.pieces */
    uint32_t plen;    /* bytes of the decoded piece */
    float score;      /* SPM merge score */
    uint16_t attr;    /* TOK_A_* */
    uint8_t type;     /* enum tok_ttype as used */
};

/* An open-addressing hash set of int32 items (-1 = empty slot). */
struct tok_hash {
    int32_t *slot; /* item or -1 */
    size_t mask;   /* slots - 1 */
};

/* One BPE merge rule "left right"; its rank is its index. */
struct tok_merge {
    uint32_t left;   /* offset of the left part in tok.merge_arena */
    uint32_t llen;   /* bytes of the left part */
    uint32_t right;  /* offset of the right part in tok.merge_arena */
    uint32_t rlen;   /* bytes of the right part */
};

/* A trie over the texts of special tokens; transitions in a hash. */
struct tok_trie {
    int32_t *term;    /* per node: rank (index in tok.special) of the token ending here, or -1 */
    size_t n_nodes;   /* nodes in use (node 0 is the root) */
    size_t cap_nodes; /* nodes allocated */
    uint64_t *keys;   /* transition keys: node << 8 | byte, plus 1 (0 = empty) */
    uint32_t *child;  /* transition targets */
    size_t mask;      /* transition slots - 1 */
    size_t n_trans;   /* transitions in use */
    uint8_t first[256]; /* 1 if some special token starts with this byte */
};

struct tok_pre; /* compiled pre-tokenizer (tok_pre.c) */

/* A loaded tokenizer. */
struct tok {
    int kind;                 /* enum tok_kind */
    int pre_type;             /* enum tok_pre_type */
    char pre_name[48];        /* tokenizer.ggml.pre as used */
    int32_t n;                /* vocabulary size */
    struct tok_entry *tok;    /* n entries */
    char *arena;              /* token texts, each NUL-terminated */
    char *pieces;             /* decoded pieces */
    struct tok_hash vocab;    /* text -> id (the last id wins on duplicates) */

    struct tok_merge *merges; /* BPE merge rules by rank */
    size_t n_merges;          /* entries in merges */
    char *merge_arena;        /* texts of the merge parts */
    struct tok_hash mhash;    /* (left, right) -> rank (the first rank wins) */

    int32_t bos, eos, eot, eom, unk, pad; /* special ids, -1 when none */
    int32_t fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep; /* FIM ids, -1 when none */
    int add_bos;              /* add BOS with TOK_ADD_BOS */
    int add_eos;              /* add EOS with TOK_ADD_EOS */
    int add_space_prefix;     /* SPM: prefix text fragments with a space */
    int ignore_merges;        /* BPE: a pre-token found in the vocabulary is one token */
    int32_t *eog;             /* end-of-generation ids, sorted */
    size_t n_eog;             /* entries in eog */

    int32_t *special;         /* control/user-defined/unknown ids, longest text first */
    size_t n_special;         /* entries in special */
    struct tok_trie trie;     /* their texts */

    struct tok_pre *pre;      /* BPE pre-tokenizer (NULL for SPM) */
    char byte_enc[256][3];    /* BPE: UTF-8 of the code point each byte maps to */
    uint8_t byte_enc_len[256];/* its length (1 or 2) */
};

/* ---- tok.c ---- */
/* Id of text in the vocabulary, or -1. */
int32_t tok_lookup(const tok *t, const char *s, size_t n);
/* Grow an id array to hold at least extra more. */
void tok_ids_reserve(tok_ids *a, size_t extra);

/* ---- tok_utf8.c ---- */
/* Length of a well-formed UTF-8 sequence starting at s[0..n) (1..4), or 0
 * if the bytes there are ill-formed; *bad gets the length of the maximal
 * ill-formed subpart to replace (>= 1) when 0 is returned. */
size_t tok_utf8_next(const unsigned char *s, size_t n, size_t *bad);
/* If s[0..n) is valid UTF-8, return NULL. Otherwise return a new buffer
 * with every ill-formed subsequence replaced by U+FFFD, its length in *out_n. */
char *tok_utf8_sanitize(const char *s, size_t n, size_t *out_n);
/* Encode a code point; returns bytes written to out (1..4). */
size_t tok_utf8_put(uint32_t cp, char *out);
/* Decode the well-formed character at s (length from tok_utf8_next). */
uint32_t tok_utf8_cp(const unsigned char *s, size_t len);

/* ---- tok_spm.c ---- */
/* Tokenize one text fragment (no special tokens inside) with SPM merges.
 * prefix_space puts a space first. */
void tok_spm_encode(const tok *t, const char *s, size_t n, int prefix_space, tok_ids *out);

/* ---- tok_bpe.c ---- */
/* Load tokenizer.ggml.merges. Returns 0, or -1 with a message. */
int tok_bpe_load_merges(tok *t, const gguf *g, char *err, size_t errsz);
/* Fill tok.byte_enc (GPT-2's bytes_to_unicode). */
void tok_bpe_init_bytes(tok *t);
/* Decode a BPE token text to bytes (out must hold n bytes); returns length. */
size_t tok_bpe_decode_text(const char *s, size_t n, char *out);
/* Tokenize one text fragment: pre-tokenize, byte-encode, merge. */
int tok_bpe_encode(const tok *t, const char *s, size_t n, tok_ids *out, char *err, size_t errsz);

/* ---- tok_pre.c ---- */
/* Look up a tokenizer.ggml.pre name: *type gets its enum tok_pre_type;
 * *ignore_merges and *add_bos are set to 1 and *no_bos to 1 (no BOS id)
 * where the type implies it, else left alone. Returns 0, or -1 if unknown. */
int tok_pre_lookup(const char *name, int *type, int *ignore_merges, int *add_bos, int *no_bos);
/* Compile the regexes of a pre-tokenizer type. NULL with a message on failure. */
struct tok_pre *tok_pre_new(int type, char *err, size_t errsz);
void tok_pre_free(struct tok_pre *p);
/* Split s[0..n) (valid UTF-8) into pre-tokens, calling fn for each piece
 * in order. Returns 0, or -1 with a message if the regex engine fails. */
int tok_pre_split(const struct tok_pre *p, const char *s, size_t n,
                  void (*fn)(void *ctx, const char *w, size_t wn), void *ctx,
                  char *err, size_t errsz);

/* ---- tok_special.c ---- */
/* Build tok.special and tok.trie from the token attributes. */
void tok_special_build(tok *t);
void tok_special_free(tok *t);
/* A piece of input after special tokens were split out. */
struct tok_frag {
    size_t off;  /* byte offset of text in the input (text fragments) */
    size_t len;  /* bytes of text; 0 for a token fragment */
    int32_t id;  /* the special token, or -1 for text */
};
/* Split text into fragments; *out (malloc'd) gets them, the count is
 * returned. parse_special enables control/unknown tokens. */
size_t tok_special_split(const tok *t, const char *s, size_t n, int parse_special,
                         struct tok_frag **out);

#endif
