/* test_tok_pre.c: the BPE pre-tokenizers on their own (white-box, through
 * tok_int.h): every pre-tokenizer name loads and compiles, and the
 * regexes without a vocabulary among the shared test files (llama3,
 * qwen2, deepseek-llm, poro) split sample text as the Hugging Face
 * regexes do, with llama.cpp's whitespace set. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tok_int.h"

/* Collects pieces as "piece|piece|..." */
struct collect {
    char buf[1024]; /* joined pieces */
    size_t n;       /* bytes used */
};

static void
on_piece(void *ctx, const char *w, size_t wn)
{
    struct collect *c = ctx;

    if (c->n > 0 && c->n < sizeof c->buf - 1)
        c->buf[c->n++] = '|';
    if (c->n + wn < sizeof c->buf) {
        memcpy(c->buf + c->n, w, wn);
        c->n += wn;
    }
    c->buf[c->n] = '\0';
}

/* Split text with the pre-tokenizer of name; compare with want. */
static void
split(const char *name, const char *text, const char *want)
{
    int type = -1, im = 0, ab = 0, nb = 0;
    struct tok_pre *p;
    struct collect c;
    char err[256];

    c.n = 0;
    c.buf[0] = '\0';
    if (tok_pre_lookup(name, &type, &im, &ab, &nb) != 0 ||
        (p = tok_pre_new(type, err, sizeof err)) == NULL) {
        ok(0, "%s: pre-tokenizer available", name);
        return;
    }
    if (tok_pre_split(p, text, strlen(text), on_piece, &c, err, sizeof err) != 0)
        diag("%s", err);
    {
        char label[160];
        size_t k, i;

        k = (size_t)snprintf(label, sizeof label, "%s splits \"", name);
        for (i = 0; text[i] != '\0' && k + 8 < sizeof label; i++) {
            unsigned char ch = (unsigned char)text[i];

            if (ch < 0x20)
                k += (size_t)snprintf(label + k, sizeof label - k, "\\x%02X", ch);
            else
                label[k++] = (char)ch;
        }
        snprintf(label + k, sizeof label - k, "\"");
        is_str(c.buf, want, label);
    }
    tok_pre_free(p);
}

int
main(void)
{
    static const char *const names[] = {
        "default", "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe",
        "deepseek-llm", "deepseek-coder", "falcon", "mpt", "olmo", "jais", "gpt-2", "phi-2",
        "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
        "jina-v2-code", "roberta-bpe", "starcoder", "refact", "command-r", "smollm", "codeshell",
        "exaone", "minerva-7b", "qwen2", "deepseek-r1-qwen", "megrez", "stablelm2",
        "chatglm-bpe", "poro-chat", "bloom", "gpt3-finnish", "viking",
    };
    size_t i;
    int all = 1;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        int type = -1, im = 0, ab = 0, nb = 0;
        char err[256];
        struct tok_pre *p = NULL;

        if (tok_pre_lookup(names[i], &type, &im, &ab, &nb) != 0 ||
            (p = tok_pre_new(type, err, sizeof err)) == NULL) {
            all = 0;
            diag("%s does not load", names[i]);
        }
        tok_pre_free(p);
    }
    ok(all, "all %zu pre-tokenizer names load and their regexes compile",
       sizeof names / sizeof names[0]);
    {
        int type = -1, im = 0, ab = 0, nb = 0;

        ok(tok_pre_lookup("llama-bpe", &type, &im, &ab, &nb) == 0 && im && ab && !nb,
           "llama-bpe: ignore_merges and add_bos");
        im = ab = nb = 0;
        ok(tok_pre_lookup("chatglm-bpe", &type, &im, &ab, &nb) == 0 && !im && !ab && nb,
           "chatglm-bpe: no BOS token");
        ok(tok_pre_lookup("tekken", &type, &im, &ab, &nb) != 0, "unsupported names are refused");
    }

    split("llama3", "Hello world", "Hello| world");
    split("llama3", "Hello world\n\n  foo 123456 don't", "Hello| world|\n\n| | foo| |123|456| don|'t");
    split("llama3", "I'M here!!!\n", "I|'M| here|!!!\n");
    split("llama3", "  \t x", "  \t| x");
    split("llama3", "a\xC2\xA0" "b", "a|\xC2\xA0" "b");
    split("llama3", "x\r\ny", "x|\r\n|y");
    split("llama3", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E" "1234", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E|123|4");
    split("llama3", "end  ", "end|  ");
    split("qwen2", "x 123456", "x| |1|2|3|4|5|6");
    split("qwen2", "we'RE", "we|'RE");
    split("gpt-2", "we'RE", "we|'|RE");
    /* U+0085 is whitespace for llama.cpp (PCRE2's \s lacks it) */
    split("gpt-2", "a\xC2\x85\xC2\x85" "b", "a|\xC2\x85|\xC2\x85|b");
    split("deepseek-llm", "Hello \xE4\xB8\x96\xE7\x95\x8C", "Hello| |\xE4\xB8\x96\xE7\x95\x8C");
    split("deepseek-llm", "a\n\nb  ", "a|\n|\n|b|  ");
    /* U+3000 is whitespace there: the CJK range U+0800-U+4E00 takes the
     * full stop U+3002 but not the ideographic space before it */
    split("deepseek-llm", "x\xE3\x80\x80\xE3\x80\x82", "x|\xE3\x80\x80|\xE3\x80\x82");
    split("poro-chat", "Hello, world.", "Hello|,| world|.");
    split("default", "a+b 1234", "a|+|b| |123|4");
    return done_testing();
}
