/* test_requant.c: re-quantization of a loaded model. In memory against
 * offline (`ternchat quantize`): the same logits to the bit, the same
 * tensor types and sizes, general.* keys; q8_0 close to the float model;
 * no compounding (a set built while another is installed equals a fresh
 * one); going back to the loaded weights; fallbacks; stopping a build;
 * the counter of live bytes. Then the engine's live switch: a switch asked
 * for during a reply (the reply streams on and ends, QUANT comes after
 * DONE, the next reply runs on the new type and equals a fresh engine on
 * the offline file), unknown types, freeing the old weights, shutdown
 * during a conversion. Last, `ternchat bench --json` parsed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "gguf.h"
#include "json.h"
#include "model.h"
#include "qtype.h"
#include "tap.h"
#include "xmalloc.h"

static const char *builddir;
static char *tmpdir;

static const int32_t toks[] = { 1, 5, 9, 40, 77, 100, 200, 3, 17, 250 };
#define NTOKS ((int)(sizeof toks / sizeof toks[0]))

/* Run a shell command; returns its exit status. */
__attribute__((format(printf, 1, 2))) static int
run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Write a random model; returns its path. */
static char *
make_model(const char *name, const char *args)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    char *cmd = xasprintf("%s/tools/ternchat-mkmodel %s -o %s", builddir, args, path);
    int rc = system(cmd);

    free(cmd);
    if (rc != 0) {
        free(path);
        return NULL;
    }
    return path;
}

/* All logits of toks through m (n_vocab * NTOKS floats), or NULL. */
static float *
logits_of(model *m)
{
    char err[512];
    model_ctx *c = model_ctx_new(m, 64, err, sizeof err);
    float *l;

    if (c == NULL)
        return NULL;
    l = xmalloc((size_t)model_get_info(m)->n_vocab * NTOKS * sizeof *l);
    if (model_forward(c, toks, NTOKS, l, 1, err, sizeof err) != 0) {
        free(l);
        l = NULL;
    }
    model_ctx_free(c);
    return l;
}

static float *
logits_of_file(const char *path)
{
    char err[512];
    model *m = model_load(path, err, sizeof err);
    float *l;

    if (m == NULL) {
        diag("%s", err);
        return NULL;
    }
    l = logits_of(m);
    model_free(m);
    return l;
}

static int
same(const float *a, const float *b, size_t n)
{
    return a != NULL && b != NULL && memcmp(a, b, n * sizeof *a) == 0;
}

/* The type of a tensor of a file, or -1. */
static int
tensor_type(const gguf *g, const char *name)
{
    int64_t t = gguf_find_tensor(g, name);

    return t < 0 ? -1 : gguf_tensor_type(g, t);
}

/* In memory versus `ternchat quantize` for one type. */
static void
check_offline(const char *f32, int type, int opt, int n_vocab)
{
    char err[512];
    const char *tn = qtype_name(type);
    char *out = xasprintf("%s/q-%s-%d.gguf", tmpdir, tn, opt);
    model *m = model_load(f32, err, sizeof err);
    model_weights *w;
    float *a = NULL, *b = NULL;
    gguf *g;
    size_t n = (size_t)n_vocab * NTOKS;

    ok(run("%s/ternchat quantize -q %s 2>/dev/null", builddir, opt ? "" : "--ref") == 2,
       "%s: quantize without arguments is a usage error", tn);
    {
        char *cmd = xasprintf("%s/ternchat quantize -q %s %s %s %s", builddir, opt ? "" : "--ref",
                              f32, out, tn);
        int rc = system(cmd);

        ok(rc == 0, "%s%s: ternchat quantize succeeds", tn, opt ? "" : " --ref");
        free(cmd);
    }
    w = model_weights_build(m, type, opt, 2, NULL, NULL, err, sizeof err);
    ok(w != NULL, "%s: built in memory", tn);
    if (w == NULL) {
        diag("%s", err);
        model_free(m);
        free(out);
        return;
    }
    ok(model_weights_bytes(w) == model_weights_live_bytes(), "%s: the live counter holds its bytes",
       tn);
    ok(model_weights_swap(m, w) == NULL, "%s: installed over the loaded weights", tn);
    a = logits_of(m);
    b = logits_of_file(out);
    ok(same(a, b, n), "%s%s: logits in memory equal the offline file's, bit for bit", tn,
       opt ? "" : " --ref");
    g = gguf_open(out, err, sizeof err);
    if (ok(g != NULL, "%s: the output opens", tn)) {
        int64_t t, v = -1;
        uint64_t sum = 0;
        int sizes_ok = 1;

        gguf_get_int(g, "general.file_type", &v, err, sizeof err);
        ok(v == (type == QT_Q8_0 ? 7 : type == QT_TQ2_0 ? 37 : type == QT_TQ1_0 ? 36 :
                 type == QT_Q4_0 ? 2 : type == QT_F16 ? 1 : type == QT_BF16 ? 32 : 0),
           "%s: general.file_type is %lld", tn, (long long)v);
        v = -1;
        gguf_get_int(g, "general.quantization_version", &v, err, sizeof err);
        ok(v == 2, "%s: general.quantization_version is 2", tn);
        ok(gguf_find_kv(g, "tokenizer.ggml.tokens") >= 0, "%s: metadata copied", tn);
        ok(tensor_type(g, "blk.0.attn_q.weight") == type, "%s: block maps are %s", tn, tn);
        ok(tensor_type(g, "blk.1.attn_norm.weight") == QT_F32, "%s: norms stay f32", tn);
        ok(tensor_type(g, "output.weight") ==
           (type == QT_TQ1_0 || type == QT_TQ2_0 || type == QT_Q4_0 ? QT_Q8_0 : type),
           "%s: the LM head follows the rule (%s)", tn,
           qtype_name(tensor_type(g, "output.weight")));
        ok(tensor_type(g, "token_embd.weight") ==
           (type == QT_TQ1_0 || type == QT_TQ2_0 ? QT_Q8_0 : type),
           "%s: token_embd follows the rule", tn);
        for (t = 0; t < gguf_n_tensors(g); t++) {
            const int64_t *ne = gguf_tensor_ne(g, t);

            if (gguf_tensor_nbytes(g, t) !=
                qtype_row_bytes(gguf_tensor_type(g, t), ne[0]) * (uint64_t)(ne[1] * ne[2] * ne[3]))
                sizes_ok = 0;
            sum += gguf_tensor_nbytes(g, t);
        }
        ok(sizes_ok, "%s: every tensor's size matches its type and shape", tn);
        ok(sum == model_get_info(m)->weight_bytes,
           "%s: weight_bytes in memory (%zu) equals the file's tensor bytes (%llu)", tn,
           model_get_info(m)->weight_bytes, (unsigned long long)sum);
        ok(model_get_info(m)->weight_type == type, "%s: model_info shows the new type", tn);
        gguf_close(g);
    }
    model_weights_free(model_weights_swap(m, NULL));
    ok(model_weights_live_bytes() == 0, "%s: freed after going back (live %zu)", tn,
       model_weights_live_bytes());
    free(a);
    free(b);
    model_free(m);
    unlink(out);
    free(out);
}

/* Wait for the next event (60 s). */
static int
next(engine *e, engine_event *ev)
{
    return engine_wait(e, ev, 60000);
}

static int
wait_type(engine *e, int type, engine_event *out)
{
    engine_event ev;

    while (next(e, &ev)) {
        if (ev.type == type || ev.type == ENGINE_EV_ERROR) {
            int t = ev.type;

            *out = ev;
            return t;
        }
        engine_event_clear(&ev);
    }
    return 0;
}

/* A reply's text; fills *done. */
static char *
reply(engine *e, const chat_msg *msgs, size_t n, int n_predict, engine_event *done)
{
    sampler_params sp;
    spec_params pp;
    engine_event ev;
    char *text = xstrdup("");
    size_t len = 0;
    uint64_t id;

    sampler_params_default(&sp);
    sp.temp = 0;
    spec_params_default(&pp);
    pp.mode = SPEC_OFF;
    id = engine_generate(e, msgs, n, &sp, &pp, n_predict);
    memset(done, 0, sizeof *done);
    while (next(e, &ev)) {
        if (ev.type == ENGINE_EV_PIECE && ev.req == id) {
            text = xrealloc(text, len + ev.len + 1);
            memcpy(text + len, ev.text, ev.len);
            len += ev.len;
            text[len] = '\0';
        }
        if (ev.type == ENGINE_EV_DONE && ev.req == id) {
            *done = ev;
            break;
        }
        engine_event_clear(&ev);
    }
    return text;
}

static void
check_engine(const char *f32, const char *big)
{
    char err[512];
    engine_config cfg;
    engine *e;
    engine_event ev, done;
    sampler_params sp;
    spec_params pp;
    chat_msg conv[3] = { { "user", "hello there" }, { "assistant", "" }, { "user", "more" } };
    char *r1, *r2, *r3, *q8path = xasprintf("%s/e-tq2.gguf", tmpdir);
    size_t q8_bytes = 0;

    /* the bytes a q8_0 set of this model takes, for the memory check */
    {
        model *m = model_load(f32, err, sizeof err);
        model_weights *w = m ? model_weights_build(m, QT_Q8_0, 1, 1, NULL, NULL, err, sizeof err) : NULL;

        q8_bytes = w ? model_weights_bytes(w) : 0;
        model_weights_free(w);
        model_free(m);
    }
    ok(run("%s/ternchat quantize -q %s %s tq2_0", builddir, f32, q8path) == 0,
       "offline tq2_0 file for the engine comparison");

    memset(&cfg, 0, sizeof cfg);
    cfg.target_path = f32;
    cfg.n_threads = 1;
    cfg.chat_template = "chatml";
    e = engine_start(&cfg, err, sizeof err);
    ok(wait_type(e, ENGINE_EV_LOADED, &ev) == ENGINE_EV_LOADED && ev.quant_type == QT_F32,
       "engine loaded, LOADED reports f32");
    engine_event_clear(&ev);

    /* A switch during a reply. */
    {
        uint64_t id, qid = 0;
        int got_piece = 0, progress_before_done = 0, pieces_after = 0, quant_after_done = 0;
        int seen_done = 0, n_gen = 0, done_type = -1;
        char *text = xstrdup("");
        size_t len = 0;

        sampler_params_default(&sp);
        sp.temp = 0;
        spec_params_default(&pp);
        pp.mode = SPEC_OFF;
        id = engine_generate(e, conv, 1, &sp, &pp, 48);
        while (next(e, &ev)) {
            if (ev.type == ENGINE_EV_PIECE) {
                if (!got_piece) {
                    got_piece = 1;
                    qid = engine_set_quant(e, QT_TQ2_0);
                } else if (progress_before_done) {
                    pieces_after++;
                }
                text = xrealloc(text, len + ev.len + 1);
                memcpy(text + len, ev.text, ev.len);
                len += ev.len;
                text[len] = '\0';
            } else if (ev.type == ENGINE_EV_PROGRESS && ev.req == qid && !seen_done) {
                progress_before_done = 1;
            } else if (ev.type == ENGINE_EV_DONE && ev.req == id) {
                seen_done = 1;
                n_gen = ev.n_gen;
                done_type = ev.quant_type;
            } else if (ev.type == ENGINE_EV_QUANT && ev.req == qid) {
                quant_after_done = seen_done && ev.quant_type == QT_TQ2_0;
                diag("%s", ev.text);
                engine_event_clear(&ev);
                break;
            } else if (ev.type == ENGINE_EV_ERROR) {
                diag("error: %s", ev.text);
            }
            engine_event_clear(&ev);
        }
        ok(progress_before_done, "the conversion started during the reply (progress before DONE)");
        ok(pieces_after > 0, "the reply kept streaming after it started (%d pieces)", pieces_after);
        ok(n_gen == 48 && done_type == QT_F32, "the reply ran to its end on the old weights "
           "(%d tokens, %s)", n_gen, qtype_name(done_type));
        ok(quant_after_done, "QUANT (tq2_0) arrives after DONE");
        conv[1].content = text;
        r1 = text;
    }
    /* The next reply runs on tq2_0 with the cache recomputed: the same text
     * as a fresh engine on the offline file. */
    r2 = reply(e, conv, 3, 16, &done);
    ok(done.quant_type == QT_TQ2_0, "the next reply's DONE reports tq2_0");
    ok(done.n_prompt < done.ctx_used - done.n_gen, "its cache was recomputed, only the new turn "
       "is fed (%d tokens)", done.n_prompt);
    engine_event_clear(&done);
    {
        engine_config c2 = cfg;
        engine *e2;

        c2.target_path = q8path;
        e2 = engine_start(&c2, err, sizeof err);
        wait_type(e2, ENGINE_EV_LOADED, &ev);
        engine_event_clear(&ev);
        r3 = reply(e2, conv, 3, 16, &done);
        engine_event_clear(&done);
        engine_stop(e2);
        is_str(r2, r3, "after the switch the reply equals a fresh engine on the offline tq2_0 file");
    }

    /* Types that cannot be applied. */
    engine_set_quant(e, QT_Q4_K);
    ok(wait_type(e, ENGINE_EV_QUANT, &ev) == ENGINE_EV_ERROR, "q4_k: an ERROR event");
    contains(ev.text, "q4_k", "it names the type");
    engine_event_clear(&ev);
    engine_set_quant(e, 99);
    ok(wait_type(e, ENGINE_EV_QUANT, &ev) == ENGINE_EV_ERROR, "an unknown type id: an ERROR event");
    engine_event_clear(&ev);

    /* tq2_0 -> q8_0: the tq2_0 weights are freed. */
    engine_set_quant(e, QT_Q8_0);
    ok(wait_type(e, ENGINE_EV_QUANT, &ev) == ENGINE_EV_QUANT && ev.quant_type == QT_Q8_0,
       "switch to q8_0 while idle");
    engine_event_clear(&ev);
    ok(q8_bytes > 0 && model_weights_live_bytes() == q8_bytes,
       "only the q8_0 weights are alive (%zu bytes, want %zu)", model_weights_live_bytes(), q8_bytes);
    free(reply(e, conv, 3, 4, &done));
    ok(done.quant_type == QT_Q8_0, "DONE reports q8_0");
    engine_event_clear(&done);
    engine_set_quant(e, QT_Q8_0);
    ok(wait_type(e, ENGINE_EV_QUANT, &ev) == ENGINE_EV_QUANT, "the same type again: QUANT at once");
    engine_event_clear(&ev);
    /* back to the loaded type: free */
    engine_set_quant(e, QT_F32);
    ok(wait_type(e, ENGINE_EV_QUANT, &ev) == ENGINE_EV_QUANT && ev.quant_type == QT_F32,
       "back to the loaded f32");
    engine_event_clear(&ev);
    ok(model_weights_live_bytes() == 0, "no converted weights alive");
    engine_stop(e);
    free(r1);
    free(r2);
    free(r3);

    /* Shutdown during a conversion of a larger model. */
    cfg.target_path = big;
    e = engine_start(&cfg, err, sizeof err);
    wait_type(e, ENGINE_EV_LOADED, &ev);
    engine_event_clear(&ev);
    engine_set_quant(e, QT_TQ1_0);
    ok(wait_type(e, ENGINE_EV_PROGRESS, &ev) == ENGINE_EV_PROGRESS, "the conversion started");
    engine_event_clear(&ev);
    engine_stop(e);
    ok(model_weights_live_bytes() == 0, "engine_stop during a conversion returns and frees it");
    unlink(q8path);
    free(q8path);
}

/* `ternchat bench --json` parses and has its fields. */
static void
check_bench_json(const char *f32)
{
    const char *types[2] = { "", "--type tq2_0" };
    int64_t bytes[2] = { 0, 0 };
    int i;

    for (i = 0; i < 2; i++) {
        char *cmd = xasprintf("%s/ternchat bench -m %s -p 8 -n 4 -r 2 -t 1 --bw-mib 8 --json %s "
                              "--spec %s", builddir, f32, types[i], i ? "lookup" : "off");
        FILE *p = popen(cmd, "r");
        static char buf[65536];
        size_t n = p ? fread(buf, 1, sizeof buf - 1, p) : 0;
        char err[256];
        json_value *v;
        const json_value *w, *g, *s;

        if (p)
            pclose(p);
        buf[n] = '\0';
        v = json_parse(buf, n, err, sizeof err);
        ok(v != NULL && json_typeof(v) == JSON_OBJECT, "bench --json %s: one JSON object", types[i]);
        if (v == NULL) {
            diag("%s: %s", err, buf);
            free(cmd);
            continue;
        }
        w = json_get(v, "weights");
        g = json_get(v, "generation");
        s = json_get(v, "speculative");
        is_str(json_str(json_get(w, "type"), NULL), i ? "tq2_0" : "f32", "weights.type");
        is_str(json_str(json_get(w, "loaded_type"), NULL), "f32", "weights.loaded_type");
        json_int64(json_get(w, "bytes"), &bytes[i]);
        ok(json_number(json_get(json_get(json_get(v, "prompt"), "tokens_per_s"), "median")) > 0,
           "prompt.tokens_per_s.median > 0");
        ok(json_number(json_get(json_get(g, "tokens_per_s"), "median")) > 0 &&
           json_get(json_get(g, "tokens_per_s"), "min") != NULL &&
           json_get(json_get(g, "tokens_per_s"), "max") != NULL,
           "generation median, min, max");
        ok(json_number(json_get(g, "bound_ratio")) > 0, "generation.bound_ratio");
        ok(json_number(json_get(v, "bandwidth_bytes_per_s")) > 0, "bandwidth measured");
        ok(json_number(json_get(json_get(v, "prompt"), "gops")) > 0, "prompt.gops");
        ok(json_get(json_get(v, "cpu"), "kernels") != NULL && json_get(json_get(v, "cpu"), "flags") != NULL,
           "cpu.kernels and cpu.flags");
        ok(json_number(json_get(v, "peak_rss_bytes")) > 0, "peak_rss_bytes");
        if (i == 0) {
            ok(s != NULL && json_typeof(s) == JSON_NULL, "--spec off: speculative is null");
        } else {
            ok(s != NULL && json_typeof(s) == JSON_OBJECT, "--spec lookup: speculative object");
            is_str(json_str(json_get(s, "mode"), NULL), "lookup", "speculative.mode");
            ok(json_get(s, "acceptance") && json_get(s, "gamma_mean") && json_get(s, "cost_ratio") &&
               json_get(s, "speedup") && json_get(s, "speedup_predicted"),
               "acceptance, gamma, cost ratio, speedups");
            ok(json_bool_value(json_get(s, "identical")), "greedy: same tokens with lookup");
        }
        json_free(v);
        free(cmd);
    }
    ok(bytes[1] > 0 && bytes[1] < bytes[0], "--type tq2_0 reports fewer weight bytes (%lld < %lld)",
       (long long)bytes[1], (long long)bytes[0]);
}

static int
stop_now(void *ud, double done)
{
    (void)done;
    return ++*(int *)ud >= 2;
}

int
main(void)
{
    static const int types[] = { QT_Q8_0, QT_Q4_0, QT_TQ2_0, QT_TQ1_0, QT_F16, QT_BF16 };
    char err[512];
    char *f32, *narrow, *bitnet, *big;
    size_t i;

    builddir = getenv("TERNCHAT_BUILDDIR");
    if (builddir == NULL) {
        ok(0, "TERNCHAT_BUILDDIR is set");
        return done_testing();
    }
    {
        char tmpl[] = "/tmp/ternchat-requant-XXXXXX";

        tmpdir = xstrdup(mkdtemp(tmpl) ? tmpl : "/tmp");
    }
    f32 = make_model("f32.gguf", "--n-embd 256 --n-head 4 --n-head-kv 2 --n-ff 512 --n-vocab 320 "
                     "--ctx 512 --seed 11");
    narrow = make_model("narrow.gguf", "--n-embd 256 --n-head 4 --n-ff 160 --n-vocab 320 --seed 12");
    bitnet = make_model("bitnet.gguf", "--arch bitnet --n-embd 256 --n-head 4 --n-ff 512 "
                        "--n-vocab 320 --scales --seed 13");
    big = make_model("big.gguf", "--n-embd 1024 --n-head 8 --n-layer 4 --n-ff 2816 --n-vocab 4096 "
                     "--seed 14");
    if (!ok(f32 && narrow && bitnet && big, "mkmodel wrote the models"))
        return done_testing();

    /* 1. In memory = offline, for every type. */
    for (i = 0; i < sizeof types / sizeof types[0]; i++)
        check_offline(f32, types[i], 1, 320);
    check_offline(f32, QT_TQ2_0, 0, 320);
    check_offline(f32, QT_TQ1_0, 0, 320);

    /* 2. Numbers: q8_0 close to f32; no compounding; back to f32. */
    {
        model *m = model_load(f32, err, sizeof err);
        float *ref = logits_of(m), *q8, *q8b, *back;
        model_weights *w8 = model_weights_build(m, QT_Q8_0, 1, 1, NULL, NULL, err, sizeof err);
        model_weights *wt = model_weights_build(m, QT_TQ2_0, 1, 1, NULL, NULL, err, sizeof err);
        model_weights *w8b;
        double dot = 0, na = 0, nb = 0;
        size_t k, n = 320 * NTOKS;
        int agree = 0, t;

        model_weights_swap(m, w8);
        q8 = logits_of(m);
        for (k = 0; k < n; k++) {
            dot += (double)ref[k] * (double)q8[k];
            na += (double)ref[k] * (double)ref[k];
            nb += (double)q8[k] * (double)q8[k];
        }
        for (t = 0; t < NTOKS; t++) {
            int a = 0, b = 0, j;

            for (j = 1; j < 320; j++) {
                if (ref[t * 320 + j] > ref[t * 320 + a])
                    a = j;
                if (q8[t * 320 + j] > q8[t * 320 + b])
                    b = j;
            }
            agree += a == b;
        }
        ok(dot / sqrt(na * nb) > 0.999, "q8_0 logits are close to f32 (cosine %.6f)",
           dot / sqrt(na * nb));
        ok(agree >= NTOKS - 1, "q8_0 picks the same top token (%d of %d)", agree, NTOKS);
        ok(model_weights_swap(m, wt) == w8, "installing tq2_0 hands back the q8_0 set");
        model_weights_free(w8);
        w8b = model_weights_build(m, QT_Q8_0, 1, 2, NULL, NULL, err, sizeof err);
        ok(model_weights_swap(m, w8b) == wt, "and q8_0 built while tq2_0 is in use replaces it");
        model_weights_free(wt);
        q8b = logits_of(m);
        ok(same(q8, q8b, n), "f32 -> tq2_0 -> q8_0 equals f32 -> q8_0 (no compounding)");
        model_weights_free(model_weights_swap(m, NULL));
        back = logits_of(m);
        ok(same(ref, back, n), "back to the loaded weights: the original logits");
        ok(model_get_info(m)->weight_type == QT_F32, "and the original type");
        ok(model_weights_live_bytes() == 0, "nothing converted is alive");

        /* a set for the loaded type is empty and means the loaded weights */
        w8 = model_weights_build(m, QT_F32, 1, 1, NULL, NULL, err, sizeof err);
        ok(w8 != NULL && model_weights_bytes(w8) == 0, "a set for the loaded type costs nothing");
        model_weights_swap(m, w8);
        free(back);
        back = logits_of(m);
        ok(same(ref, back, n), "and gives the original logits");
        model_weights_free(model_weights_swap(m, NULL));

        ok(model_weights_build(m, QT_Q4_K, 1, 1, NULL, NULL, err, sizeof err) == NULL,
           "q4_k cannot be built");
        contains(err, "q4_k", "the message names the type");
        {
            int calls = 0;

            ok(model_weights_build(m, QT_TQ2_0, 1, 1, stop_now, &calls, err, sizeof err) == NULL &&
               model_weights_live_bytes() == 0, "a build stopped by its progress callback frees what it had");
            contains(err, "stopped", "and says it stopped");
        }
        free(ref);
        free(q8);
        free(q8b);
        free(back);
        model_free(m);
    }

    /* 3. Fallback: rows of 160 are not a multiple of 256 (nor of 32 for
     * q8_0: 160 = 5 * 32 is, so they become q8_0). */
    {
        model *m = model_load(narrow, err, sizeof err);
        model_weights *w = model_weights_build(m, QT_TQ2_0, 1, 1, NULL, NULL, err, sizeof err);

        ok(w != NULL, "narrow model: tq2_0 built");
        contains(model_weights_note(w), "rows of 160 elements padded with zeros to 256",
                 "the note names the padded rows");
        ok(strstr(model_weights_note(w), "kept as") == NULL, "no map falls back (%s)",
           model_weights_note(w));
        model_weights_swap(m, w);
        ok(model_get_info(m)->weight_type == QT_TQ2_0, "the maps are tq2_0");
        {
            /* in a file, rows of 160 cannot be tq2_0: quantize falls back */
            char *out = xasprintf("%s/narrow-tq2.gguf", tmpdir);
            gguf *g;

            ok(run("%s/ternchat quantize -q %s %s tq2_0", builddir, narrow, out) == 0,
               "narrow: quantize to tq2_0");
            g = gguf_open(out, err, sizeof err);
            ok(g != NULL && tensor_type(g, "blk.0.ffn_down.weight") == QT_Q8_0 &&
               tensor_type(g, "blk.0.ffn_up.weight") == QT_TQ2_0,
               "narrow: the file keeps ffn_down (rows of 160) as q8_0");
            gguf_close(g);
            unlink(out);
            free(out);
        }
        model_weights_free(model_weights_swap(m, NULL));
        model_free(m);
        ok(model_quant_pick(MODEL_QROLE_LINEAR, QT_TQ2_0, 100, QT_F32) == QT_F16,
           "rows of 100: f16 (not a multiple of 32)");
        ok(model_quant_pick(MODEL_QROLE_KEEP, QT_TQ2_0, 256, QT_F32) == QT_F32, "norms keep their type");
        ok(model_quant_role("blk.0.ffn_norm.weight", 1, 0) == MODEL_QROLE_KEEP &&
           model_quant_role("blk.0.attn_q.scale", 1, 0) == MODEL_QROLE_KEEP &&
           model_quant_role("token_embd.weight", 2, 1) == MODEL_QROLE_OUTPUT &&
           model_quant_role("token_embd.weight", 2, 0) == MODEL_QROLE_EMBD &&
           model_quant_role("blk.3.ffn_down.weight", 2, 0) == MODEL_QROLE_LINEAR,
           "tensor roles from names");
    }

    /* 4. Bitnet with .scale tensors, offline = in memory. */
    {
        char *out = xasprintf("%s/bitnet-tq2.gguf", tmpdir);
        model *m = model_load(bitnet, err, sizeof err);
        model_weights *w = model_weights_build(m, QT_TQ2_0, 1, 1, NULL, NULL, err, sizeof err);
        float *a, *b;

        model_weights_swap(m, w);
        a = logits_of(m);
        ok(run("%s/ternchat quantize -q %s %s tq2_0", builddir, bitnet, out) == 0,
           "bitnet: quantize to tq2_0");
        b = logits_of_file(out);
        ok(same(a, b, 320 * NTOKS), "bitnet: in memory equals offline, bit for bit");
        free(a);
        free(b);
        model_weights_free(model_weights_swap(m, NULL));
        model_free(m);
        unlink(out);
        free(out);
    }

    /* 5. Big weights are copied out of the mapping (model_weights_copy_in);
     * small ones stay in it; the logits do not change. */
    {
        model *m = model_load(big, err, sizeof err), *s = model_load(f32, err, sizeof err);
        size_t live0 = model_weights_live_bytes(), wb, cb;
        float *a, *b;

        wb = model_get_info(m)->weight_bytes;
        a = logits_of(m);
        ok(wb >= MODEL_COPY_MIN && model_weights_copy_in(m) == 0,
           "a model of %.0f MiB: copy_in succeeds", (double)wb / 1048576.0);
        cb = model_weights_live_bytes() - live0;
        ok(cb > wb / 10 * 9 && cb <= wb, "it holds a copy of the matrices (%zu of %zu weight bytes)",
           cb, wb);
        ok(model_get_info(m)->weight_type == QT_F32 && model_get_info(m)->weight_bytes == wb,
           "same type and size");
        b = logits_of(m);
        ok(same(a, b, 4096 * NTOKS), "the same logits, bit for bit");
        ok(model_weights_copy_in(m) == 0 && model_weights_live_bytes() - live0 == cb,
           "a second copy_in does nothing");
        ok(model_weights_copy_in(s) == 0 && model_weights_live_bytes() == live0 + cb,
           "a small model stays in the mapping");
        model_free(m);
        model_free(s);
        ok(model_weights_live_bytes() == live0, "model_free frees the copy");
        free(a);
        free(b);
    }

    /* 6. The engine's live switch. */
    check_engine(f32, big);

    /* 7. bench --json. */
    check_bench_json(f32);

    unlink(f32);
    unlink(narrow);
    unlink(bitnet);
    unlink(big);
    free(f32);
    free(narrow);
    free(bitnet);
    free(big);
    rmdir(tmpdir);
    free(tmpdir);
    return done_testing();
}
