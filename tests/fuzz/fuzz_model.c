/* fuzz_model.c: fuzz target of model loading: a GGUF buffer through the
 * reader and model_load_gguf (hyperparameters, every tensor's presence,
 * shape, type and alignment, the norm vectors' values). A model that
 * loads and is small runs two tokens through a forward pass (with a KV
 * cache of 8 positions), so that whatever the loader accepted is safe to
 * compute with. Invariants: a rejection has a one-line message; what
 * loads has hyperparameters in range and a vocabulary that matches
 * token_embd. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "gguf.h"
#include "model.h"

void
fuzz_init(void)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    const model_info *in;
    model_ctx *c;
    gguf *g;
    model *m;

    err[0] = '\0';
    g = gguf_open_mem(data, size, "fuzz.gguf", err, sizeof err);
    if (g == NULL)
        return 0;
    m = model_load_gguf(g, err, sizeof err);
    if (m == NULL) {
        fuzz_check_message(err);
        return 0;
    }
    in = model_get_info(m);
    fuzz_check(in->n_embd > 0 && in->n_layer > 0 && in->n_head > 0 && in->n_head_kv > 0 &&
               in->n_head % in->n_head_kv == 0 && in->head_dim > 0 && in->n_ff > 0 &&
               in->n_vocab > 0 && in->n_rot >= 0 && in->n_rot <= in->head_dim &&
               in->n_rot % 2 == 0, "hyperparameters out of range");
    fuzz_check(in->weight_bytes <= size, "%zu bytes of weights in a %zu-byte file",
               in->weight_bytes, size);
    /* Run small models only (a KV cache of 8 positions, scratch rows). */
    if ((uint64_t)in->n_layer * (uint64_t)in->n_head_kv * (uint64_t)in->head_dim <= (1u << 16) &&
        (uint64_t)in->n_head * (uint64_t)in->head_dim <= (1u << 16) && in->n_ff <= (1 << 16) &&
        in->n_embd <= (1 << 16) && (uint64_t)in->n_layer * (uint64_t)in->n_embd * 4 <= (1u << 20)) {
        c = model_ctx_new(m, 8, err, sizeof err);
        if (c != NULL) {
            int32_t toks[2] = { 0, in->n_vocab - 1 }, bad = in->n_vocab;
            float *logits = malloc(2 * (size_t)in->n_vocab * sizeof *logits);

            fuzz_check(model_forward(c, toks, 2, logits, 1, err, sizeof err) == 0,
                       "forward failed: %s", err);
            fuzz_check(model_ctx_pos(c) == 2, "two positions filled");
            fuzz_check(model_forward(c, &bad, 1, logits, 0, err, sizeof err) != 0 &&
                       model_ctx_pos(c) == 2, "an out-of-range token is refused");
            model_ctx_truncate(c, 1);
            fuzz_check(model_forward(c, toks + 1, 1, logits, 0, err, sizeof err) == 0,
                       "forward after truncation: %s", err);
            free(logits);
            model_ctx_free(c);
        }
    }
    model_free(m);
    return 0;
}
