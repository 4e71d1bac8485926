/* fuzz_vocab.h: small but complete vocabularies written as GGUF in memory,
 * for the tokenizer fuzz target and the seed corpora: a byte-level BPE one
 * (all 256 byte tokens, some merges, control and user-defined tokens) with
 * any pre-tokenizer, and an SPM one with byte fallback. Test code only. */
#ifndef TERNCHAT_FUZZ_VOCAB_H
#define TERNCHAT_FUZZ_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

/* Add the tokenizer keys of a BPE vocabulary with pre-tokenizer pre
 * ("default", "llama3", "qwen2"...) to w. */
void fv_add_bpe(gguf_writer *w, const char *pre);
/* Add the tokenizer keys of an SPM vocabulary (byte fallback) to w. */
void fv_add_spm(gguf_writer *w);
/* A vocabulary-only GGUF file in a new buffer: BPE with pre, or SPM when
 * pre is NULL. Aborts on failure (test code). */
uint8_t *fv_vocab_gguf(const char *pre, size_t *len);

#endif
