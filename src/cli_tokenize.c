/* cli_tokenize.c: `ternchat tokenize`: show how a model's tokenizer
 * splits a text, one token per line ("ID<TAB>'piece'") or the ids alone.
 * Needs only the tokenizer keys of the GGUF file (vocab-only files work). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gguf.h"
#include "tok.h"
#include "xmalloc.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "Usage: ternchat tokenize -m MODEL.gguf (-p TEXT | -f FILE) [OPTIONS]\n"
            "\n"
            "Show how the model's tokenizer splits a text: one line per token, the id,\n"
            "a tab and the token's text in quotes (control characters and bytes that\n"
            "are not UTF-8 escaped, like \\n or \\xE2).\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE   GGUF file to take the tokenizer from (a vocab-only\n"
            "                     file is enough; no weights are loaded)\n"
            "  -p, --prompt TEXT  the text to tokenize; '-' reads standard input\n"
            "  -f, --file FILE    read the text from FILE; '-' reads standard input\n"
            "      --ids          print only the ids, space-separated on one line\n"
            "      --special      turn the text of special tokens (e.g. <|im_start|>)\n"
            "                     into those tokens instead of tokenizing it as text\n"
            "      --no-bos       do not add the BOS token the model asks for\n"
            "  -h, --help         show this help and exit\n"
            "\n"
            "Invalid UTF-8 in the text is replaced by U+FFFD before tokenizing.\n");
}

/* Print a piece between quotes with control characters, quote, backslash
 * and bytes outside valid UTF-8 escaped. */
static void
print_piece(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0, k, need;

    putchar('\'');
    while (i < n) {
        unsigned char c = u[i];

        if (c == '\\' || c == '\'') {
            printf("\\%c", c);
        } else if (c == '\n') {
            fputs("\\n", stdout);
        } else if (c == '\t') {
            fputs("\\t", stdout);
        } else if (c == '\r') {
            fputs("\\r", stdout);
        } else if (c < 0x20 || c == 0x7F) {
            printf("\\x%02X", c);
        } else if (c < 0x80) {
            putchar(c);
        } else {
            if (c >= 0xF0 && c <= 0xF4)
                need = 4;
            else if (c >= 0xE0 && c <= 0xEF)
                need = 3;
            else if (c >= 0xC2 && c <= 0xDF)
                need = 2;
            else
                need = 0;
            for (k = 1; need && k < need; k++)
                if (i + k >= n || (u[i + k] & 0xC0) != 0x80)
                    need = 0;
            if (need == 3 && ((c == 0xE0 && u[i + 1] < 0xA0) || (c == 0xED && u[i + 1] > 0x9F)))
                need = 0;
            if (need == 4 && ((c == 0xF0 && u[i + 1] < 0x90) || (c == 0xF4 && u[i + 1] > 0x8F)))
                need = 0;
            if (need == 0) {
                printf("\\x%02X", c);
            } else {
                fwrite(p + i, 1, need, stdout);
                i += need;
                continue;
            }
        }
        i++;
    }
    putchar('\'');
}

/* The value of option argv[*i] (either "--opt=VALUE" or the next word). */
static const char *
opt_value(int argc, char **argv, int *i, const char *eq)
{
    if (eq != NULL)
        return eq + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

int
cli_tokenize(int argc, char **argv)
{
    const char *model = NULL, *prompt = NULL, *file = NULL;
    int ids_only = 0, special = 0, no_bos = 0, i, rc = 0;
    char err[512], *text = NULL;
    size_t len = 0, k;
    tok_ids ids = { 0 };
    gguf *g;
    tok *t;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = NULL, **dst = NULL;
        size_t nlen = strlen(a);

        if (strncmp(a, "--", 2) == 0 && (eq = strchr(a, '=')) != NULL)
            nlen = (size_t)(eq - a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-m") == 0 || (nlen == 7 && strncmp(a, "--model", 7) == 0)) {
            dst = &model;
        } else if (strcmp(a, "-p") == 0 || (nlen == 8 && strncmp(a, "--prompt", 8) == 0)) {
            dst = &prompt;
        } else if (strcmp(a, "-f") == 0 || (nlen == 6 && strncmp(a, "--file", 6) == 0)) {
            dst = &file;
        } else if (strcmp(a, "--ids") == 0) {
            ids_only = 1;
        } else if (strcmp(a, "--special") == 0) {
            special = 1;
        } else if (strcmp(a, "--no-bos") == 0) {
            no_bos = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("tokenize", "tokenize: unknown option '%s'", a);
        } else {
            return cli_usage_error("tokenize", "tokenize: unexpected argument '%s'", a);
        }
        if (dst != NULL) {
            const char *v = opt_value(argc, argv, &i, eq);

            if (v == NULL)
                return cli_usage_error("tokenize", "tokenize: option '%s' needs a value", a);
            *dst = v;
        }
    }
    if (model == NULL)
        return cli_usage_error("tokenize", "tokenize: no model (use -m MODEL.gguf)");
    if (prompt != NULL && file != NULL)
        return cli_usage_error("tokenize", "tokenize: give either -p or -f, not both");
    if (prompt == NULL && file == NULL)
        return cli_usage_error("tokenize", "tokenize: no text (use -p TEXT or -f FILE)");

    g = gguf_open(model, err, sizeof err);
    if (g == NULL)
        return cli_fail("%s", err);
    t = tok_load(g, err, sizeof err);
    gguf_close(g);
    if (t == NULL)
        return cli_fail("%s", err);

    if (file != NULL || strcmp(prompt, "-") == 0) {
        text = cli_read_file(file != NULL ? file : "-", &len, err, sizeof err);
        if (text == NULL) {
            tok_free(t);
            return cli_fail("%s", err);
        }
    } else {
        text = xstrdup(prompt);
        len = strlen(text);
    }
    if (tok_encode(t, text, len, (no_bos ? 0 : TOK_ADD_BOS) | TOK_ADD_EOS |
                   (special ? TOK_PARSE_SPECIAL : 0), &ids, err, sizeof err) != 0) {
        rc = cli_fail("%s", err);
        goto out;
    }
    for (k = 0; k < ids.n; k++) {
        if (ids_only) {
            printf(k ? " %d" : "%d", (int)ids.v[k]);
        } else {
            size_t n;
            const char *p = tok_piece(t, ids.v[k], 1, &n);

            printf("%d\t", (int)ids.v[k]);
            print_piece(p, n);
            putchar('\n');
        }
    }
    if (ids_only)
        putchar('\n');
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = cli_fail("tokenize: error writing the output");
out:
    tok_ids_free(&ids);
    free(text);
    tok_free(t);
    return rc;
}
