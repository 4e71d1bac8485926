/* test_vocab.c: the llama.cpp tokenizer vectors. For every *.gguf in
 * $TERNCHAT_TESTDATA/vocab/ with its .inp/.out files, tokenize each input
 * (no BOS/EOS, no special-token parsing) and compare with the expected
 * ids. One test point per vocabulary, e.g. "llama-spm: 46/46". */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "tap.h"
#include "tok.h"

#define SEP "\n__ggml_vocab_test__\n"

/* Read a whole file; NULL if it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0, r;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap + 1);
            if (buf == NULL)
                abort();
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Format ids as " 1 2 3" (the .out format) into a new string. */
static char *
fmt_ids(const int32_t *v, size_t n)
{
    char *s = malloc(n * 12 + 1);
    size_t k = 0, i;

    if (s == NULL)
        abort();
    s[0] = '\0';
    for (i = 0; i < n; i++)
        k += (size_t)sprintf(s + k, " %d", (int)v[i]);
    return s;
}

/* Run one vocabulary; returns 1 if every vector matched. */
static int
run_vocab(const char *dir, const char *file)
{
    char path[1400], name[256], err[512];
    char *inp, *out, *p;
    size_t inp_n, out_n, n_cases = 0, n_ok = 0, n_lines = 0, shown = 0;
    char **cases = NULL, **want = NULL;
    size_t *case_len = NULL;
    gguf *g;
    tok *t;
    int good;

    snprintf(name, sizeof name, "%.*s", (int)(strlen(file) - strlen(".gguf")), file);
    if (strncmp(name, "ggml-vocab-", 11) == 0)
        memmove(name, name + 11, strlen(name + 11) + 1);
    snprintf(path, sizeof path, "%s/%s.inp", dir, file);
    inp = slurp(path, &inp_n);
    snprintf(path, sizeof path, "%s/%s.out", dir, file);
    out = slurp(path, &out_n);
    if (inp == NULL || out == NULL) {
        free(inp);
        free(out);
        return -1; /* no vectors for this file */
    }
    /* inputs: every case ends with the separator */
    for (p = inp; p < inp + inp_n;) {
        char *e = strstr(p, SEP);

        if (e == NULL)
            break;
        cases = realloc(cases, (n_cases + 1) * sizeof *cases);
        case_len = realloc(case_len, (n_cases + 1) * sizeof *case_len);
        if (cases == NULL || case_len == NULL)
            abort();
        cases[n_cases] = p;
        case_len[n_cases] = (size_t)(e - p);
        n_cases++;
        p = e + strlen(SEP);
    }
    /* outputs: one line per case (possibly empty) */
    for (p = out; p < out + out_n;) {
        char *e = memchr(p, '\n', (size_t)(out + out_n - p));

        if (e == NULL)
            e = out + out_n;
        *e = '\0';
        want = realloc(want, (n_lines + 1) * sizeof *want);
        if (want == NULL)
            abort();
        want[n_lines++] = p;
        p = e + 1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, file);
    g = gguf_open(path, err, sizeof err);
    t = g ? tok_load(g, err, sizeof err) : NULL;
    if (g != NULL)
        gguf_close(g);
    if (t == NULL) {
        ok(0, "%s: tokenizer loads", name);
        diag("%s", err);
        good = 0;
    } else if (n_cases != n_lines || n_cases == 0) {
        ok(0, "%s: %zu inputs and %zu expected lines", name, n_cases, n_lines);
        good = 0;
    } else {
        size_t i;

        for (i = 0; i < n_cases; i++) {
            tok_ids ids = { 0 };
            char *got;
            const char *w = want[i];

            if (tok_encode(t, cases[i], case_len[i], 0, &ids, err, sizeof err) != 0) {
                diag("%s case %zu: %s", name, i + 1, err);
                tok_ids_free(&ids);
                continue;
            }
            got = fmt_ids(ids.v, ids.n);
            /* compare ignoring trailing whitespace on the expected line */
            {
                size_t wl = strlen(w);

                while (wl > 0 && (w[wl - 1] == ' ' || w[wl - 1] == '\r'))
                    wl--;
                if (strlen(got) == wl && memcmp(got, w, wl) == 0) {
                    n_ok++;
                } else if (shown++ < 5) {
                    diag("%s case %zu: input \"%.*s\"", name, i + 1, (int)case_len[i], cases[i]);
                    diag("  got: %s", got);
                    diag("  want:%.*s", (int)wl, w);
                }
            }
            free(got);
            tok_ids_free(&ids);
        }
        good = n_ok == n_cases;
        ok(good, "%s: %zu/%zu", name, n_ok, n_cases);
    }
    tok_free(t);
    free(cases);
    free(case_len);
    free(want);
    free(inp);
    free(out);
    return good;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
    const char *td = getenv("TERNCHAT_TESTDATA");
    char dir[1024], **files = NULL;
    size_t n = 0, i, ran = 0;
    struct dirent *de;
    DIR *d;

    if (td == NULL || *td == '\0') {
        skip("tokenizer vectors not run: TERNCHAT_TESTDATA is not set");
        return done_testing();
    }
    snprintf(dir, sizeof dir, "%s/vocab", td);
    d = opendir(dir);
    if (d == NULL) {
        ok(0, "TERNCHAT_TESTDATA is set but %s cannot be opened", dir);
        return done_testing();
    }
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);

        if (l > 5 && strcmp(de->d_name + l - 5, ".gguf") == 0) {
            files = realloc(files, (n + 1) * sizeof *files);
            if (files == NULL)
                abort();
            files[n] = strdup(de->d_name);
            if (files[n] == NULL)
                abort();
            n++;
        }
    }
    closedir(d);
    if (n > 1)
        qsort(files, n, sizeof *files, cmp_str);
    for (i = 0; i < n; i++) {
        if (run_vocab(dir, files[i]) >= 0)
            ran++;
        free(files[i]);
    }
    free(files);
    if (ran == 0)
        ok(0, "%s holds vocabulary files with .inp/.out vectors", dir);
    return done_testing();
}
