/* test_model_load.c: the model loader's rejections (each message checked),
 * model_forward's argument errors (cache left unchanged), context sizes,
 * and mutated files that must be refused or loaded without crashing. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "model.h"
#include "qtype.h"
#include "tap.h"
#include "test_model_gen.h"

#ifdef TERNCHAT_ASAN
/* The huge-context test expects malloc to fail, not ASan to abort. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

static char *tmpdir;

/* Write a generated model (after an optional tweak of its keys) and load it. */
static model *
load_tm(tm_model *tm, char *err, size_t errsz)
{
    static int serial;
    char path[512];

    snprintf(path, sizeof path, "%s/l%d.gguf", tmpdir, serial++);
    if (tm_write(tm, path, err, errsz) < 0)
        return NULL;
    return model_load(path, err, errsz);
}

static model *
load_spec(const tm_spec *s, char *err, size_t errsz)
{
    tm_model *tm = tm_build(s, 5);
    model *m = load_tm(tm, err, errsz);

    tm_free(tm);
    return m;
}

/* The spec must be refused with a message containing want (and the file). */
static void
reject(const char *what, const tm_spec *s, const char *want)
{
    char err[512] = "";
    model *m = load_spec(s, err, sizeof err);

    ok(m == NULL, "%s: refused", what);
    contains(err, want, what);
    contains(err, tmpdir, "  ... and the message names the file");
    model_free(m);
}

static void
test_rejections(void)
{
    tm_spec s;

    tm_spec_init(&s, "gpt2");
    reject("unknown arch", &s, "unknown architecture 'gpt2' (supported: llama, bitnet)");

    tm_spec_init(&s, "llama");
    s.omit_key = "general.architecture";
    reject("no arch", &s, "missing required key 'general.architecture'");

    tm_spec_init(&s, "llama");
    s.omit_key = "llama.embedding_length";
    reject("missing key", &s, "missing required key 'llama.embedding_length'");

    tm_spec_init(&s, "bitnet");
    s.omit_key = "bitnet.attention.layer_norm_rms_epsilon";
    reject("missing eps", &s, "missing required key 'bitnet.attention.layer_norm_rms_epsilon'");

    tm_spec_init(&s, "llama");
    s.omit_key = "llama.context_length";
    reject("missing context length", &s, "missing required key 'llama.context_length'");

    tm_spec_init(&s, "llama");
    s.omit_tensor = "blk.1.ffn_up.weight";
    reject("missing tensor", &s, "missing tensor 'blk.1.ffn_up.weight'");

    tm_spec_init(&s, "llama");
    s.omit_tensor = "token_embd.weight";
    reject("missing token_embd", &s, "missing tensor 'token_embd.weight'");

    tm_spec_init(&s, "bitnet");
    s.omit_tensor = "blk.0.ffn_sub_norm.weight";
    reject("missing bitnet sub-norm", &s, "missing tensor 'blk.0.ffn_sub_norm.weight'");

    tm_spec_init(&s, "llama");
    s.bad_shape = "blk.0.attn_k.weight";
    reject("wrong shape", &s, "tensor 'blk.0.attn_k.weight' has shape {32, 24}, expected {32, 16}");

    tm_spec_init(&s, "llama");
    s.bad_shape = "output.weight";
    reject("wrong output shape", &s, "tensor 'output.weight' has shape {32, 69}, expected {32, 61}");

    tm_spec_init(&s, "bitnet");
    s.bad_shape = "blk.1.ffn_sub_norm.weight";
    reject("wrong vector shape", &s, "tensor 'blk.1.ffn_sub_norm.weight' has shape {56}, expected {48}");

    tm_spec_init(&s, "llama");
    s.biases = 1;
    s.bad_shape = "blk.0.attn_v.bias";
    reject("wrong bias shape", &s, "tensor 'blk.0.attn_v.bias' has shape {24}, expected {16}");

    tm_spec_init(&s, "llama");
    s.bad_type = "blk.0.attn_q.weight";
    reject("unsupported type", &s,
           "tensor 'blk.0.attn_q.weight' has type q5_0, which is not supported yet");

    tm_spec_init(&s, "llama");
    s.ff_array = 2;
    reject("unequal per-layer array", &s,
           "per-layer values of 'llama.feed_forward_length' differ (layer 0: 48, layer 1: 64)");

    tm_spec_init(&s, "llama");
    s.head_dim = 8;
    s.value_length = 16;
    reject("key_length != value_length", &s, "key_length 8 != value_length 16 is not supported");

    tm_spec_init(&s, "llama");
    s.rope_type = "yarn";
    reject("yarn", &s, "rope scaling type 'yarn' is not supported (supported: none, linear)");

    tm_spec_init(&s, "bitnet");
    s.act = "gelu";
    reject("bad activation", &s, "hidden_activation 'gelu' is not supported");

    tm_spec_init(&s, "llama");
    s.n_head = 5;
    s.n_head_kv = 5;
    reject("n_head not dividing n_embd", &s, "head_count 5 does not divide embedding_length 32");

    tm_spec_init(&s, "llama");
    s.n_head_kv = 3;
    reject("n_head_kv not dividing n_head", &s, "head_count_kv 3 does not divide head_count 4");

    tm_spec_init(&s, "bitnet");
    s.head_dim = 12;
    reject("bitnet q size != n_embd", &s, "must equal embedding_length 32 for bitnet");

    tm_spec_init(&s, "llama");
    s.eps = -1;
    reject("negative eps", &s, "layer_norm_rms_epsilon = -1 is out of range");
}

/* Keys with absurd values (written after generating sane tensors). */
static void
test_absurd(void)
{
    struct {
        const char *what, *want;
        int field, value;
    } cases[] = {
        { "huge n_embd", "llama.embedding_length = 1073741824 is out of range", 0, 1 << 30 },
        { "zero layers", "llama.block_count = 0 is out of range", 1, 0 },
        { "zero context", "llama.context_length = 0 is out of range", 2, 0 },
        { "zero heads", "llama.attention.head_count = 0 is out of range", 3, 0 },
        { "huge ff", "llama.feed_forward_length = 2147483647 is out of range", 4, INT_MAX },
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tm_spec s;
        tm_model *tm;
        char err[512] = "";
        model *m;

        tm_spec_init(&s, "llama");
        tm = tm_build(&s, 1);
        switch (cases[i].field) {
        case 0: tm->s.n_embd = cases[i].value; break;
        case 1: tm->s.n_layer = cases[i].value; break;
        case 2: tm->s.n_ctx = cases[i].value; break;
        case 3: tm->s.n_head = cases[i].value; break;
        default: tm->s.n_ff = cases[i].value; break;
        }
        m = load_tm(tm, err, sizeof err);
        ok(m == NULL, "%s: refused", cases[i].what);
        contains(err, cases[i].want, cases[i].what);
        model_free(m);
        tm_free(tm);
    }
}

static void
test_accepts(void)
{
    char err[512] = "";
    tm_spec s;
    model *m;

    tm_spec_init(&s, "llama");
    s.n_head_kv = 4;
    s.omit_key = "llama.attention.head_count_kv";
    m = load_spec(&s, err, sizeof err);
    ok(m != NULL && model_get_info(m)->n_head_kv == 4,
       "head_count_kv defaults to head_count");
    if (m == NULL)
        diag("%s", err);
    model_free(m);

    tm_spec_init(&s, "llama");
    s.ff_array = 1;
    m = load_spec(&s, err, sizeof err);
    ok(m != NULL && model_get_info(m)->n_ff == 48, "equal per-layer array accepted");
    model_free(m);

    err[0] = '\0';
    ok(model_load("/nonexistent/dir/x.gguf", err, sizeof err) == NULL && err[0] != '\0',
       "a missing file is refused with a message");
    err[0] = '\0';
    ok(model_load_gguf(NULL, err, sizeof err) == NULL && err[0] != '\0',
       "model_load_gguf(NULL) is refused with a message");
}

static void
test_forward_errors(void)
{
    char err[512];
    tm_spec s;
    model *m;
    model_ctx *c, *c2;
    int32_t tok[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, bad[2] = { 1, 61 }, neg[1] = { -1 };
    float lg[8 * 61], lg2[8 * 61];

    tm_spec_init(&s, "llama");
    m = load_spec(&s, err, sizeof err);
    if (!ok(m != NULL, "forward errors: model loads")) {
        diag("%s", err);
        return;
    }
    c = model_ctx_new(m, 8, err, sizeof err);
    ok(c != NULL && model_ctx_n_ctx(c) == 8 && model_ctx_pos(c) == 0, "ctx of 8 positions");
    ok(model_forward(c, tok, 6, NULL, 0, err, sizeof err) == 0 && model_ctx_pos(c) == 6,
       "6 tokens in");
    ok(model_forward(c, bad, 2, lg, 1, err, sizeof err) == -1 && model_ctx_pos(c) == 6,
       "token id out of range: -1, position unchanged");
    contains(err, "token id 61 at index 1 is out of range (n_vocab 61)", "  message");
    ok(model_forward(c, neg, 1, lg, 1, err, sizeof err) == -1, "negative token id: -1");
    contains(err, "token id -1 at index 0 is out of range", "  message");
    ok(model_forward(c, tok, 0, lg, 1, err, sizeof err) == -1, "n = 0: -1");
    contains(err, "no tokens", "  message");
    ok(model_forward(c, tok + 6, 3, lg, 1, err, sizeof err) == -1 && model_ctx_pos(c) == 6,
       "context overflow: -1, position unchanged");
    contains(err, "context full: 6 positions used + 3 tokens exceed n_ctx 8", "  message");
    ok(model_forward(c, tok + 6, 2, lg + 6 * 61, 1, err, sizeof err) == 0 && model_ctx_pos(c) == 8,
       "the last 2 positions still fit");

    /* the failed calls left the cache as it was */
    c2 = model_ctx_new(m, 8, err, sizeof err);
    model_forward(c2, tok, 8, lg2, 1, err, sizeof err);
    ok(memcmp(lg + 6 * 61, lg2 + 6 * 61, 2 * 61 * sizeof(float)) == 0,
       "after the errors, logits equal those of a clean run");
    model_ctx_free(c2);
    model_ctx_free(c);

    c = model_ctx_new(m, 0, err, sizeof err);
    ok(c != NULL && model_ctx_n_ctx(c) == 64, "n_ctx 0 = context_length (64)");
    model_ctx_free(c);
    ok(model_ctx_new(m, -1, err, sizeof err) == NULL, "negative n_ctx refused");
    contains(err, "negative", "  message");
    model_free(m);

    /* a context beyond 4096 is capped by default; a huge one fails cleanly */
    tm_spec_init(&s, "llama");
    s.n_ctx = 100000;
    s.n_head = 1;
    s.n_head_kv = 1;
    s.head_dim = 8192;
    s.n_embd = 8;
    s.n_ff = 8;
    s.n_layer = 2;
    m = load_spec(&s, err, sizeof err);
    if (!ok(m != NULL, "head_dim 8192 model loads")) {
        diag("%s", err);
        return;
    }
    c = model_ctx_new(m, 0, err, sizeof err);
    ok(c != NULL && model_ctx_n_ctx(c) == 4096, "n_ctx 0 caps a 100000 context at 4096");
    ok(c != NULL && model_forward(c, tok, 3, lg, 0, err, sizeof err) == 0,
       "and it runs forward");
    model_ctx_free(c);
    c = model_ctx_new(m, INT_MAX, err, sizeof err);
    ok(c == NULL, "a KV cache of INT_MAX positions of 64 KiB is refused, no abort");
    contains(err, "KV cache", "  message");
    model_ctx_free(c);
    model_free(m);
}

/* Mutated bytes of a valid file must never crash the loader or a forward. */
static void
test_mutations(void)
{
    tm_spec s;
    tm_model *tm;
    uint8_t *buf = NULL, *mut;
    size_t len = 0, i;
    char err[512], path[512];
    int it, loaded = 0, refused = 0;
    uint64_t r = 12345;
    FILE *f;

    tm_spec_init(&s, "bitnet");
    s.n_layer = 1;
    s.scales = 1;
    tm = tm_build(&s, 9);
    snprintf(path, sizeof path, "%s/mut.gguf", tmpdir);
    if (tm_write(tm, path, err, sizeof err) < 0 || (f = fopen(path, "rb")) == NULL) {
        ok(0, "mutations: write the base file");
        tm_free(tm);
        return;
    }
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(len);
    if (fread(buf, 1, len, f) != len)
        len = 0;
    fclose(f);
    mut = malloc(len);
    for (it = 0; it < 300 && len > 0; it++) {
        gguf *g;
        model *m;
        int k;

        memcpy(mut, buf, len);
        for (k = 0; k < 1 + it % 4; k++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            i = (size_t)(r >> 33) % (it % 2 ? len : (len < 1600 ? len : 1600));
            mut[i] = (uint8_t)(r >> 13);
        }
        g = gguf_open_mem(mut, len, "mutated", err, sizeof err);
        if (g == NULL) {
            refused++;
            continue;
        }
        m = model_load_gguf(g, err, sizeof err);
        if (m == NULL) {
            refused++;
            continue;
        }
        loaded++;
        {
            model_ctx *c = model_ctx_new(m, 16, err, sizeof err);
            int32_t tok[4] = { 0, 1, 2, 3 };
            float *lg = malloc((size_t)model_get_info(m)->n_vocab * 4 * sizeof *lg);

            if (c != NULL && lg != NULL)
                model_forward(c, tok, 4, lg, 1, err, sizeof err);
            free(lg);
            model_ctx_free(c);
        }
        model_free(m);
    }
    ok(loaded + refused == 300, "300 mutated files: %d refused, %d loaded, no crash", refused,
       loaded);
    free(mut);
    free(buf);
    tm_free(tm);
}

int
main(void)
{
    tmpdir = tm_tmpdir();
    if (tmpdir == NULL) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    test_rejections();
    test_absurd();
    test_accepts();
    test_forward_errors();
    test_mutations();
    tm_rmdir(tmpdir);
    return done_testing();
}
