/* test_model_mkmodel.c: tools/ternchat-mkmodel writes models that load and
 * run, deterministically for a seed, with the promised tokenizer metadata;
 * bad arguments are refused. Also checks the tiny-llama.gguf that `make`
 * leaves in the build directory. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gguf.h"
#include "model.h"
#include "qtype.h"
#include "tap.h"
#include "test_model_gen.h"

static char tool[4096];
static char *tmpdir;

/* Run the tool with args; returns its exit status (-1 if it did not exit). */
static int
run(const char *args)
{
    char cmd[16384];
    int st;

    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", tool, args);
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int ca, cb, same = fa != NULL && fb != NULL;

    while (same) {
        ca = getc(fa);
        cb = getc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static const char *
tok_str(const gguf *g, int64_t kv, uint64_t i, char *buf, size_t sz)
{
    size_t len;
    const char *s = gguf_kv_arr_str(g, kv, i, &len);

    snprintf(buf, sz, "%.*s", (int)len, s);
    return buf;
}

/* Load, check info and tokenizer, run a few tokens. */
static void
check_model(const char *path, const char *arch, int n_vocab, int type, int n_head_kv)
{
    char err[512], buf[64];
    model *m = model_load(path, err, sizeof err);
    const model_info *in;
    const gguf *g;
    model_ctx *c;
    int64_t kv, ty;
    uint64_t n;
    int32_t tok[5] = { 1, 300, 5, 259, 2 };
    float *lg;
    int i, finite = 1;

    if (!ok(m != NULL, "%s: loads", path)) {
        diag("%s", err);
        return;
    }
    in = model_get_info(m);
    ok(strcmp(in->arch_name, arch) == 0 && in->n_vocab == n_vocab && in->weight_type == type &&
       in->n_head_kv == n_head_kv, "  %s, vocab %d, %s, %d kv heads", arch, n_vocab,
       qtype_name(type), n_head_kv);
    g = model_gguf(m);
    ok(gguf_get_arr(g, "tokenizer.ggml.tokens", GGUF_T_STR, &kv, &n, err, sizeof err) == GGUF_OK &&
       n == (uint64_t)n_vocab, "  %d tokens", n_vocab);
    is_str(tok_str(g, kv, 0, buf, sizeof buf), "<unk>", "  token 0 <unk>");
    is_str(tok_str(g, kv, 2, buf, sizeof buf), "</s>", "  token 2 </s>");
    is_str(tok_str(g, kv, 3, buf, sizeof buf), "<0x00>", "  token 3 <0x00>");
    is_str(tok_str(g, kv, 258, buf, sizeof buf), "<0xFF>", "  token 258 <0xFF>");
    is_str(tok_str(g, kv, 259, buf, sizeof buf), "\xe2\x96\x81", "  token 259 is the space piece");
    is_str(tok_str(g, kv, 260, buf, sizeof buf), "\xe2\x96\x81" "a", "  token 260 is '\xe2\x96\x81" "a'");
    is_str(tok_str(g, kv, 261, buf, sizeof buf), "a", "  token 261 is 'a'");
    if (n_vocab > 384) {
        char want[32];

        snprintf(want, sizeof want, "<unused_%d>", n_vocab - 385);
        is_str(tok_str(g, kv, (uint64_t)n_vocab - 1, buf, sizeof buf), want,
               "  padded with <unused_N>");
        is_str(tok_str(g, kv, 383, buf, sizeof buf), "9", "  token 383 is '9'");
    }
    if (strcmp(arch, "bitnet") == 0)
        ok(in->act == MODEL_ACT_RELU2, "  hidden_activation relu2");
    ok(gguf_get_arr(g, "tokenizer.ggml.token_type", -1, &ty, &n, err, sizeof err) == GGUF_OK &&
       gguf_kv_arr_int(g, ty, 0) == 2 && gguf_kv_arr_int(g, ty, 1) == 3 &&
       gguf_kv_arr_int(g, ty, 3) == 6 && gguf_kv_arr_int(g, ty, 261) == 1,
       "  token types: unknown, control, byte, normal");
    {
        int64_t bos = -1, eos = -1;
        const char *s = NULL;
        size_t len = 0;

        gguf_get_int(g, "tokenizer.ggml.bos_token_id", &bos, err, sizeof err);
        gguf_get_int(g, "tokenizer.ggml.eos_token_id", &eos, err, sizeof err);
        gguf_get_str(g, "tokenizer.ggml.model", &s, &len, err, sizeof err);
        ok(bos == 1 && eos == 2 && s != NULL && len == 5 && memcmp(s, "llama", 5) == 0,
           "  bos 1, eos 2, model llama");
    }
    c = model_ctx_new(m, 0, err, sizeof err);
    lg = calloc((size_t)n_vocab * 5, sizeof *lg);
    ok(c != NULL && model_forward(c, tok, 5, lg, 1, err, sizeof err) == 0, "  runs forward");
    for (i = 0; i < n_vocab * 5; i++)
        finite &= lg[i] == lg[i] && lg[i] < 1e30f && lg[i] > -1e30f;
    ok(finite, "  logits are finite");
    free(lg);
    model_ctx_free(c);
    model_free(m);
}

int
main(void)
{
    const char *bd = getenv("TERNCHAT_BUILDDIR");
    char a[4200], b[4200], args[9000], tiny[4200];

    snprintf(tool, sizeof tool, "%s/tools/ternchat-mkmodel", bd ? bd : ".");
    tmpdir = tm_tmpdir();
    if (tmpdir == NULL) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    snprintf(a, sizeof a, "%s/a.gguf", tmpdir);
    snprintf(b, sizeof b, "%s/b.gguf", tmpdir);

    snprintf(args, sizeof args, "--seed 7 -o '%s'", a);
    ok(run(args) == 0, "defaults, seed 7");
    check_model(a, "llama", 320, QT_F32, 4);
    snprintf(args, sizeof args, "--seed 7 -o '%s'", b);
    run(args);
    ok(same_file(a, b), "same seed, same bytes");
    snprintf(args, sizeof args, "--seed 8 -o '%s'", b);
    run(args);
    ok(!same_file(a, b), "another seed, other bytes");

    snprintf(args, sizeof args,
             "--arch bitnet --n-embd 48 --n-layer 1 --n-head 6 --n-head-kv 2 --n-ff 40 "
             "--n-vocab 400 --ctx 32 --type f16 --scales --act relu2 -o '%s'", a);
    ok(run(args) == 0, "bitnet f16 with scales, relu2, vocab 400 (padded)");
    check_model(a, "bitnet", 400, QT_F16, 2);

    snprintf(args, sizeof args, "--type bf16 --tied --n-head-kv 2 -o '%s'", a);
    ok(run(args) == 0, "llama bf16 tied");
    check_model(a, "llama", 320, QT_BF16, 2);

    /* Refusals write nothing: the output path must still not exist. */
    {
        static const char *const bad[][2] = {
            { "--n-vocab 200", "vocab < 259 refused" },
            { "--n-head 3", "n_head not dividing n_embd refused" },
            { "--n-head-kv 3", "n_head_kv not dividing n_head refused" },
            { "--type q5_k", "unknown type refused" },
            { "--n-embd x", "non-numeric size refused" },
        };
        char out[4200];
        size_t i;

        snprintf(out, sizeof out, "%s/refused.gguf", tmpdir);
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(args, sizeof args, "%s -o '%s'", bad[i][0], out);
            ok(run(args) != 0 && access(out, F_OK) != 0, "%s", bad[i][1]);
        }
    }
    ok(run("--n-embd 64") != 0, "missing -o refused");

    snprintf(tiny, sizeof tiny, "%s/tiny-llama.gguf", bd ? bd : ".");
    check_model(tiny, "llama", 320, QT_F32, 2);

    tm_rmdir(tmpdir);
    return done_testing();
}
