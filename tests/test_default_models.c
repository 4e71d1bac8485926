/* test_default_models.c: the shipped models (share/models) against the
 * logits the training pipeline's own PyTorch forward pass wrote for them
 * (tests/data/<model>.logits.txt, format in tests/data/README.md): the
 * file is the one the logits were made from (SHA-256), the tokenizer
 * gives the same ids for the chat prompt, and ternchat's logits match at
 * every position, with the scalar kernels and the fastest ones.
 *
 * Tolerance: at each position the largest absolute difference must stay
 * below 1e-4 times the largest absolute logit there (float32 in another
 * order of operations gives about 1e-5); the argmax must agree wherever
 * the top two reference logits are further apart than that. A wrong RoPE
 * layout, a missing sub-norm or a transposed weight moves logits by tens
 * of percent (checked by breaking model.c on purpose, see the closing
 * note of issue 4). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kern.h"
#include "model.h"
#include "qtype.h"
#include "tap.h"
#include "tok.h"
#include "xmalloc.h"

#define REL_TOL 1e-4
/* The integer kernels quantize activations to 8 bits (the target was
 * trained with 8-bit activations): a looser bound, and argmax may differ
 * at a few near-ties. */
#define QUANT_TOL 3e-2
#define QUANT_ARGMAX 0.05

/* What a reference file holds. */
struct ref {
    char model[256];   /* file name under share/models */
    char sha[65];      /* SHA-256 of the model file */
    char *prompt;      /* the prompt text (JSON-unescaped) */
    int n_tokens;      /* token count */
    int n_vocab;       /* logits per position */
    int32_t *tokens;   /* the token ids */
    float *logits;     /* n_tokens x n_vocab */
};

/* Undo JSON string escapes (\n \" \\ \uXXXX for BMP characters). */
static char *
json_unescape(const char *s, size_t n)
{
    char *out = xmalloc(n * 3 + 1), *o = out;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) {
            *o++ = s[i];
            continue;
        }
        i++;
        switch (s[i]) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'u': {
            unsigned cp = 0;

            if (i + 4 < n && sscanf(s + i + 1, "%4x", &cp) == 1) {
                i += 4;
                if (cp < 0x80) {
                    *o++ = (char)cp;
                } else if (cp < 0x800) {
                    *o++ = (char)(0xc0 | (cp >> 6));
                    *o++ = (char)(0x80 | (cp & 0x3f));
                } else {
                    *o++ = (char)(0xe0 | (cp >> 12));
                    *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                    *o++ = (char)(0x80 | (cp & 0x3f));
                }
            }
            break;
        }
        default: *o++ = s[i]; break;
        }
    }
    *o = '\0';
    return out;
}

static int
ref_read(const char *path, struct ref *r)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int got_logits = 0;

    memset(r, 0, sizeof *r);
    if (f == NULL)
        return -1;
    while ((len = getline(&line, &cap, f)) > 0) {
        char *p;

        if (line[0] == '#')
            continue;
        if (sscanf(line, "model %255s", r->model) == 1)
            continue;
        if (sscanf(line, "sha256 %64s", r->sha) == 1)
            continue;
        if (sscanf(line, "n_tokens %d", &r->n_tokens) == 1) {
            r->tokens = xcalloc((size_t)r->n_tokens, sizeof *r->tokens);
            continue;
        }
        if (sscanf(line, "n_vocab %d", &r->n_vocab) == 1)
            continue;
        if (strncmp(line, "prompt \"", 8) == 0) {
            char *end = strrchr(line, '"');

            r->prompt = json_unescape(line + 8, (size_t)(end - line - 8));
            continue;
        }
        if (strncmp(line, "tokens ", 7) == 0 && r->tokens != NULL) {
            int i;

            p = line + 7;
            for (i = 0; i < r->n_tokens; i++)
                r->tokens[i] = (int32_t)strtol(p, &p, 10);
            continue;
        }
        if (strncmp(line, "logits ", 7) == 0 && r->n_tokens > 0 && r->n_vocab > 0) {
            long pos = strtol(line + 7, &p, 10);
            int v;

            if (r->logits == NULL)
                r->logits = xcalloc((size_t)r->n_tokens * (size_t)r->n_vocab, sizeof *r->logits);
            if (pos < 0 || pos >= r->n_tokens)
                continue;
            for (v = 0; v < r->n_vocab; v++)
                r->logits[(size_t)pos * (size_t)r->n_vocab + (size_t)v] = strtof(p, &p);
            got_logits++;
        }
    }
    free(line);
    fclose(f);
    return got_logits == r->n_tokens && r->n_tokens > 0 ? 0 : -1;
}

static void
ref_free(struct ref *r)
{
    free(r->prompt);
    free(r->tokens);
    free(r->logits);
}

/* SHA-256 of a file through sha256sum (coreutils). */
static int
file_sha256(const char *path, char out[65])
{
    char *cmd = xasprintf("sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    int ok_ = p != NULL && fscanf(p, "%64s", out) == 1;

    if (p != NULL)
        pclose(p);
    free(cmd);
    return ok_ ? 0 : -1;
}

/* Compare ternchat's logits for all positions with the reference. */
static void
compare(const char *name, const char *isa, model *m, const struct ref *r, double tol,
        double argmax_frac)
{
    char err[512];
    model_ctx *c = model_ctx_new(m, r->n_tokens + 8, err, sizeof err);
    float *lg = xmalloc(sizeof *lg * (size_t)r->n_tokens * (size_t)r->n_vocab);
    double worst = 0;
    int p, argmax_bad = 0, worst_pos = 0;

    if (c == NULL || model_forward(c, r->tokens, r->n_tokens, lg, 1, err, sizeof err) != 0) {
        ok(0, "%s (%s): forward pass: %s", name, isa, err);
        model_ctx_free(c);
        free(lg);
        return;
    }
    for (p = 0; p < r->n_tokens; p++) {
        const float *a = lg + (size_t)p * (size_t)r->n_vocab;
        const float *b = r->logits + (size_t)p * (size_t)r->n_vocab;
        double maxabs = 0, maxdiff = 0, top1 = -1e30, top2 = -1e30;
        int v, am = 0, bm = 0;

        for (v = 0; v < r->n_vocab; v++) {
            double d = fabs((double)a[v] - (double)b[v]);

            if (fabs((double)b[v]) > maxabs)
                maxabs = fabs((double)b[v]);
            if (d > maxdiff)
                maxdiff = d;
            if (a[v] > a[am])
                am = v;
            if (b[v] > b[bm])
                bm = v;
            if ((double)b[v] > top1) {
                top2 = top1;
                top1 = b[v];
            } else if ((double)b[v] > top2) {
                top2 = b[v];
            }
        }
        if (maxdiff / (maxabs > 0 ? maxabs : 1) > worst) {
            worst = maxdiff / (maxabs > 0 ? maxabs : 1);
            worst_pos = p;
        }
        if (am != bm && top1 - top2 > tol * maxabs)
            argmax_bad++;
    }
    ok(worst <= tol, "%s (%s): logits at all %d positions within %.0e of the largest "
       "(worst %.2e at position %d)", name, isa, r->n_tokens, tol, worst, worst_pos);
    ok(argmax_bad <= argmax_frac * r->n_tokens, "%s (%s): argmax agrees at %s position "
       "(%d of %d differ)", name, isa, argmax_frac > 0 ? "almost every" : "every", argmax_bad,
       r->n_tokens);
    model_ctx_free(c);
    free(lg);
}

/* The target's live quant modes: its ternary weights are stored so that
 * q8_0, tq2_0 and tq1_0 hold them exactly, all 28 maps (rows of 192 are
 * padded to the 256-blocks in memory), so only the 8-bit activations of
 * the integer kernels separate the logits from the float reference. */
static void
check_quant_modes(const char *name, model *m, const struct ref *r)
{
    static const int types[] = { QT_Q8_0, QT_TQ2_0, QT_TQ1_0 };
    char err[512], what[64];
    size_t i;
    int isa;

    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        model_weights *w = model_weights_build(m, types[i], 1, 1, NULL, NULL, err, sizeof err);

        if (!ok(w != NULL, "%s: converts to %s in memory", name, qtype_name(types[i]))) {
            diag("%s", err);
            continue;
        }
        ok(strstr(model_weights_note(w), "kept as") == NULL,
           "%s: every map is %s (%s)", name, qtype_name(types[i]), model_weights_note(w));
        model_weights_swap(m, w);
        ok(model_get_info(m)->weight_type == types[i], "%s: the model's type is now %s", name,
           qtype_name(types[i]));
        for (isa = KERN_ISA_SCALAR; isa < KERN_ISA_COUNT; isa++) {
            if (kern_set_isa(isa) != isa)
                continue;
            snprintf(what, sizeof what, "%s, %s kernels", qtype_name(types[i]), kern_isa_name(isa));
            compare(name, what, m, r, QUANT_TOL, QUANT_ARGMAX);
        }
        model_weights_free(model_weights_swap(m, NULL));
    }
    kern_set_isa(KERN_ISA_COUNT - 1);
}

static void
check_model(const char *srcdir, const char *name)
{
    char err[512], sha[65];
    char *mpath = xasprintf("%s/share/models/%s.gguf", srcdir, name);
    char *rpath = xasprintf("%s/tests/data/%s.logits.txt", srcdir, name);
    struct ref r;
    model *m;
    tok *tk;
    int have_m = access(mpath, R_OK) == 0, have_r = access(rpath, R_OK) == 0, rc;

    if (!have_m && !have_r) {
        skip("%s: not shipped yet (no %s)", name, mpath);
        goto out;
    }
    if (!ok(have_m && have_r, "%s: model and reference logits are both present", name))
        goto out;
    rc = ref_read(rpath, &r);
    if (!ok(rc == 0, "%s: reference file parses (%d tokens, %d logits each)", name, r.n_tokens,
            r.n_vocab)) {
        ref_free(&r);
        goto out;
    }
    ok(file_sha256(mpath, sha) == 0 && strcmp(sha, r.sha) == 0,
       "%s: the model file is the one the logits were made from (sha256)", name);
    m = model_load(mpath, err, sizeof err);
    if (!ok(m != NULL, "%s: loads (%s)", name, m ? "ok" : err)) {
        ref_free(&r);
        goto out;
    }
    ok(model_get_info(m)->n_vocab == r.n_vocab, "%s: vocabulary size %d", name, r.n_vocab);

    tk = tok_load(model_gguf(m), err, sizeof err);
    if (ok(tk != NULL && r.prompt != NULL, "%s: tokenizer loads", name)) {
        tok_ids ids = { 0 };
        int same;

        tok_encode(tk, r.prompt, strlen(r.prompt), TOK_ADD_BOS | TOK_PARSE_SPECIAL, &ids, err, sizeof err);
        same = ids.n == (size_t)r.n_tokens && memcmp(ids.v, r.tokens, ids.n * sizeof *ids.v) == 0;
        ok(same, "%s: the chat prompt tokenizes to the pipeline's %d ids", name, r.n_tokens);
        tok_ids_free(&ids);
    }
    tok_free(tk);

    kern_set_isa(KERN_ISA_SCALAR);
    compare(name, "scalar kernels", m, &r, REL_TOL, 0);
    kern_set_isa(KERN_ISA_COUNT - 1);
    compare(name, kern_isa_name(kern_isa()), m, &r, REL_TOL, 0);
    if (model_get_info(m)->arch == MODEL_ARCH_BITNET)
        check_quant_modes(name, m, &r);
    model_free(m);
    ref_free(&r);
out:
    free(mpath);
    free(rpath);
}

int
main(void)
{
    const char *srcdir = getenv("TERNCHAT_SRCDIR");

    if (srcdir == NULL)
        srcdir = TERNCHAT_ABS_SRCDIR;
    check_model(srcdir, "ternchat-draft");
    check_model(srcdir, "ternchat-target");
    return done_testing();
}
