/* tok.h: tokenizers of GGUF vocabularies: SentencePiece-style ("llama")
 * and byte-level BPE ("gpt2") with the llama.cpp pre-tokenizers, special
 * tokens, BOS/EOS rules, end-of-generation detection, and streaming
 * detokenization that never splits a UTF-8 character.
 *
 * Text handed to tok_encode may hold any bytes: invalid UTF-8 is replaced
 * by U+FFFD (one per maximal ill-formed subsequence, as Unicode recommends)
 * before tokenizing, so encoding never fails on content. Decoded output is
 * always valid UTF-8 for the same reason. */
#ifndef TERNCHAT_TOK_H
#define TERNCHAT_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

typedef struct tok tok;
typedef struct tok_stream tok_stream;

/* A growable array of token ids. Start from a zeroed struct ({0}); release
 * with tok_ids_free. */
typedef struct tok_ids {
    int32_t *v; /* the ids */
    size_t n;   /* number of ids in v */
    size_t cap; /* ids allocated */
} tok_ids;

/* Append one id (grows the array). */
void tok_ids_push(tok_ids *a, int32_t id);
/* Free the memory and zero the struct. */
void tok_ids_free(tok_ids *a);

/* Tokenizer families (tokenizer.ggml.model). */
enum tok_kind {
    TOK_SPM = 1, /* "llama": SentencePiece, score-driven merges, byte fallback */
    TOK_BPE = 2  /* "gpt2": byte-level BPE with merge ranks and a pre-tokenizer */
};

/* Token types (tokenizer.ggml.token_type), after the load-time fixes. */
enum tok_ttype {
    TOK_T_UNDEFINED = 0,
    TOK_T_NORMAL = 1,
    TOK_T_UNKNOWN = 2,
    TOK_T_CONTROL = 3,
    TOK_T_USER_DEFINED = 4,
    TOK_T_UNUSED = 5,
    TOK_T_BYTE = 6
};

/* tok_encode flags. */
#define TOK_ADD_BOS 0x1u       /* prepend BOS if the vocabulary asks for it (add_bos) */
#define TOK_ADD_EOS 0x2u       /* append EOS if the vocabulary asks for it (add_eos) */
#define TOK_ADD_SPECIAL 0x3u   /* both of the above */
#define TOK_PARSE_SPECIAL 0x4u /* text of control/unknown tokens becomes their id */

/* Build the tokenizer of a GGUF file from its tokenizer.* keys (works on
 * vocab-only files). Everything needed is copied: g may be closed after.
 * Returns NULL with a one-line message in err on failure (missing or
 * malformed keys, an unknown model or pre-tokenizer type). */
tok *tok_load(const gguf *g, char *err, size_t errsz);
void tok_free(tok *t);

/* Tokenize len bytes of text and append the ids to out. flags: TOK_*.
 * Control and unknown tokens are recognised in the text only with
 * TOK_PARSE_SPECIAL; user-defined tokens always are (as llama.cpp and HF
 * tokenizers do). Safe to call from several threads on one tok. Returns 0,
 * or -1 with a message in err (only if the regex engine fails). */
int tok_encode(const tok *t, const char *text, size_t len, unsigned flags, tok_ids *out,
               char *err, size_t errsz);

/* Properties. Ids are -1 where the vocabulary has none. */
int tok_kind(const tok *t);              /* enum tok_kind */
const char *tok_pre_name(const tok *t);  /* pre-tokenizer in use ("default" for SPM) */
int32_t tok_n_vocab(const tok *t);
int32_t tok_bos(const tok *t);
int32_t tok_eos(const tok *t);
int32_t tok_eot(const tok *t);           /* end of turn (key or detected by text) */
int32_t tok_eom(const tok *t);           /* end of message (<|eom_id|>) */
int32_t tok_unk(const tok *t);
int32_t tok_pad(const tok *t);
int tok_add_bos(const tok *t);           /* 1 if TOK_ADD_BOS adds a BOS */
int tok_add_eos(const tok *t);           /* 1 if TOK_ADD_EOS adds an EOS */
int tok_add_space_prefix(const tok *t);  /* SPM: a space is put before text */

/* 1 if id ends generation: eos, eot, eom, <|eot_id|>, <|im_end|>, <|end|>,
 * <end_of_turn>, <|endoftext|>, <|eom_id|>, <EOT> and the FIM pad/repo/sep
 * tokens; 0 otherwise (also for ids out of range). */
int tok_is_eog(const tok *t, int32_t id);
/* enum tok_ttype of id, or -1 if id is out of range. */
int tok_token_type(const tok *t, int32_t id);
/* Vocabulary text of id (SPM keeps its U+2581, BPE its byte-to-unicode
 * form); not NUL-terminated in general. NULL if id is out of range. */
const char *tok_text(const tok *t, int32_t id, size_t *len);
/* Id of an exact vocabulary text, or -1. */
int32_t tok_find(const tok *t, const char *text, size_t len);
/* The bytes id decodes to (U+2581 -> space, <0xXX> -> the byte, BPE
 * bytes decoded). Control and unknown tokens give "" unless special is
 * set, then their text. The bytes may be part of a UTF-8 character. Never
 * NULL (an out-of-range id gives ""). */
const char *tok_piece(const tok *t, int32_t id, int special, size_t *len);

/* ---- streaming detokenization ---- */

/* tok_stream_new flags. */
#define TOK_STREAM_SPECIAL 0x1u    /* render control/unknown tokens as their text */
#define TOK_STREAM_KEEP_SPACE 0x2u /* SPM: keep the leading space of the first piece */

/* A decoder that takes ids one at a time. Unless TOK_STREAM_KEEP_SPACE is
 * given, an SPM vocabulary with add_space_prefix loses one leading space
 * from the first piece with text, at the start and again after each BOS
 * (the space the encoder added). t must outlive the stream. */
tok_stream *tok_stream_new(const tok *t, unsigned flags);
void tok_stream_free(tok_stream *s);
/* Feed one id. Returns the bytes now complete (valid UTF-8, never a part
 * of a character; possibly empty) and their count in *len. The pointer is
 * valid until the next call on s. Ids out of range give nothing. */
const char *tok_stream_push(tok_stream *s, int32_t id, size_t *len);
/* End of input: any incomplete character still held becomes U+FFFD.
 * Returns the bytes like tok_stream_push and resets the stream. */
const char *tok_stream_flush(tok_stream *s, size_t *len);
/* Drop any held bytes and start over as if new. */
void tok_stream_reset(tok_stream *s);

/* Decode n ids in one go (a stream with the given TOK_STREAM_* flags, then
 * a flush). Returns a new NUL-terminated string; *len (may be NULL) gets
 * its length. */
char *tok_decode(const tok *t, const int32_t *ids, size_t n, unsigned flags, size_t *len);

#endif
