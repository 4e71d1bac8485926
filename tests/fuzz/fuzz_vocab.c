/* fuzz_vocab.c: the test vocabularies of fuzz_vocab.h. The BPE one maps
 * bytes to characters as GPT-2 does (printable Latin-1 bytes stand for
 * themselves, the others for U+0100 onwards, in order), so that any byte
 * string has a tokenization and must decode back to itself. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_vocab.h"

/* UTF-8 of the character byte b stands for in byte-level BPE. */
static void
byte_char(unsigned b, char out[3])
{
    unsigned cp, n = 0;

    if ((b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)) {
        cp = b;
    } else {
        for (unsigned i = 0; i < b; i++)
            if (!((i >= 0x21 && i <= 0x7e) || (i >= 0xa1 && i <= 0xac) || (i >= 0xae && i <= 0xff)))
                n++;
        cp = 256 + n;
    }
    memset(out, 0, 3);
    if (cp < 0x80) {
        out[0] = (char)cp;
    } else {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
    }
}

/* Merges in rank order, in the byte-level form ("Ġ" is a space). */
static const char *const bpe_merges[] = {
    "\xc4\xa0 t", "h e", "\xc4\xa0t he", "i n", "e r", "a n", "\xc4\xa0 a", "in g", "o n",
    "o r", "\xc4\xa0 w", "l l", "\xc4\x8a \xc4\x8a", "0 0", "\xc3\x83 \xc2\xa9", "e s",
    "\xc4\xa0 \xc4\xa0", "\xc4\xa0\xc4\xa0 \xc4\xa0\xc4\xa0", "' s", "\xc4\xa0 1", "r e",
};

static const char *const bpe_special[] = {
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|eot_id|>", "<tool>",
};

void
fv_add_bpe(gguf_writer *w, const char *pre)
{
    size_t n_merges = sizeof bpe_merges / sizeof bpe_merges[0];
    size_t n_special = sizeof bpe_special / sizeof bpe_special[0];
    size_t n = 256 + n_merges + n_special, k = 0;
    char **tok = calloc(n, sizeof *tok);
    int32_t *type = calloc(n, sizeof *type);

    if (tok == NULL || type == NULL)
        abort();
    for (unsigned b = 0; b < 256; b++) {
        char c[3];

        byte_char(b, c);
        tok[k] = strdup(c);
        type[k++] = 1;
    }
    for (size_t i = 0; i < n_merges; i++) {
        const char *sp = strchr(bpe_merges[i], ' ');
        size_t l = strlen(bpe_merges[i]);

        tok[k] = malloc(l);
        if (tok[k] == NULL)
            abort();
        memcpy(tok[k], bpe_merges[i], (size_t)(sp - bpe_merges[i]));
        strcpy(tok[k] + (sp - bpe_merges[i]), sp + 1);
        type[k++] = 1;
    }
    for (size_t i = 0; i < n_special; i++) {
        tok[k] = strdup(bpe_special[i]);
        type[k++] = strcmp(bpe_special[i], "<tool>") == 0 ? 4 : 3;
    }
    gguf_writer_set_str(w, "tokenizer.ggml.model", "gpt2");
    gguf_writer_set_str(w, "tokenizer.ggml.pre", pre);
    gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)tok, n);
    gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GGUF_T_I32, type, n);
    gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", bpe_merges, n_merges);
    gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)(256 + n_merges));
    gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)(256 + n_merges));
    for (size_t i = 0; i < n; i++)
        free(tok[i]);
    free(tok);
    free(type);
}

/* SPM pieces after the byte tokens, best (highest score) first. */
static const char *const spm_pieces[] = {
    "\xe2\x96\x81", "\xe2\x96\x81t", "he", "\xe2\x96\x81the", "e", "t", "h", "a", "\xe2\x96\x81\x61",
    "in", "ing", "n", "g", "i", "o", "s", "\xe2\x96\x81\xe2\x96\x81", "r", "er", "\xc3\xa9",
    "<|im_start|>", "<|im_end|>",
};

void
fv_add_spm(gguf_writer *w)
{
    size_t n_pieces = sizeof spm_pieces / sizeof spm_pieces[0];
    size_t n = 3 + 256 + n_pieces, k = 0;
    char **tok = calloc(n, sizeof *tok);
    int32_t *type = calloc(n, sizeof *type);
    float *score = calloc(n, sizeof *score);

    if (tok == NULL || type == NULL || score == NULL)
        abort();
    tok[k] = strdup("<unk>");
    type[k++] = 2;
    tok[k] = strdup("<s>");
    type[k++] = 3;
    tok[k] = strdup("</s>");
    type[k++] = 3;
    for (unsigned b = 0; b < 256; b++) {
        char s[8];

        snprintf(s, sizeof s, "<0x%02X>", b);
        tok[k] = strdup(s);
        type[k++] = 6;
    }
    for (size_t i = 0; i < n_pieces; i++) {
        tok[k] = strdup(spm_pieces[i]);
        score[k] = -(float)i;
        type[k++] = spm_pieces[i][0] == '<' ? 3 : 1;
    }
    gguf_writer_set_str(w, "tokenizer.ggml.model", "llama");
    gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)tok, n);
    gguf_writer_set_arr(w, "tokenizer.ggml.scores", GGUF_T_F32, score, n);
    gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GGUF_T_I32, type, n);
    gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2);
    gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    for (size_t i = 0; i < n; i++)
        free(tok[i]);
    free(tok);
    free(type);
    free(score);
}

uint8_t *
fv_vocab_gguf(const char *pre, size_t *len)
{
    gguf_writer *w = gguf_writer_new();
    uint8_t *buf = NULL;
    char err[256];

    gguf_writer_set_str(w, "general.architecture", "llama");
    if (pre != NULL)
        fv_add_bpe(w, pre);
    else
        fv_add_spm(w);
    if (gguf_writer_write_mem(w, &buf, len, err, sizeof err) != 0) {
        fprintf(stderr, "fv_vocab_gguf: %s\n", err);
        abort();
    }
    gguf_writer_free(w);
    return buf;
}
