/* fuzz_gguf.c: fuzz target of the GGUF reader (header, metadata, tensor
 * infos) and of what is built from metadata alone: the tokenizer
 * (tok_load, then a sample text through it) and the chat template. Every
 * accessor is called on every key and tensor of a file that opens, and
 * every byte the reader hands out is touched, so that a range it failed
 * to check shows up as an out-of-bounds read. */
#include "config.h"

#include <string.h>

#include "chat.h"
#include "fuzz.h"
#include "gguf.h"
#include "tok.h"

void
fuzz_init(void)
{
}

/* Touch n bytes (so that ASan checks them); the sum keeps the loop. */
static unsigned
touch(const void *p, size_t n)
{
    const volatile unsigned char *s = p;
    unsigned sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += s[i];
    return sum;
}

static void
walk_kv(const gguf *g, const uint8_t *data, size_t size)
{
    int64_t n = gguf_n_kv(g);

    for (int64_t i = 0; i < n; i++) {
        const char *key = gguf_kv_key(g, i), *s;
        int type = gguf_kv_type(g, i);
        size_t len;

        fuzz_check(gguf_find_kv(g, key) == i, "key %lld is not found by its name", (long long)i);
        fuzz_check(gguf_kv_offset(g, i) < size, "key offset outside the file");
        fuzz_check(type >= 0 && type < GGUF_T_COUNT, "bad value type %d", type);
        switch (type) {
        case GGUF_T_STR:
            s = gguf_kv_str(g, i, &len);
            fuzz_check((const uint8_t *)s >= data && len <= size &&
                       (size_t)((const uint8_t *)s - data) <= size - len,
                       "string value outside the file");
            touch(s, len);
            break;
        case GGUF_T_ARR: {
            int et = gguf_kv_arr_type(g, i);
            uint64_t an = gguf_kv_arr_n(g, i);

            fuzz_check(et >= 0 && et < GGUF_T_COUNT && et != GGUF_T_ARR, "bad array type %d", et);
            fuzz_check(an <= size, "array of %llu elements in %zu bytes",
                       (unsigned long long)an, size);
            for (uint64_t j = 0; j < an; j++) {
                if (et == GGUF_T_STR) {
                    s = gguf_kv_arr_str(g, i, j, &len);
                    fuzz_check((const uint8_t *)s >= data && len <= size &&
                               (size_t)((const uint8_t *)s - data) <= size - len,
                               "array string outside the file");
                    touch(s, len);
                } else if (et == GGUF_T_F32 || et == GGUF_T_F64) {
                    (void)gguf_kv_arr_float(g, i, j);
                } else {
                    (void)gguf_kv_arr_int(g, i, j);
                }
            }
            break;
        }
        case GGUF_T_F32:
        case GGUF_T_F64:
            (void)gguf_kv_float(g, i);
            break;
        default:
            (void)gguf_kv_int(g, i);
            (void)gguf_kv_float(g, i);
            touch(gguf_kv_data(g, i), 1);
            break;
        }
    }
}

static void
walk_tensors(const gguf *g, const uint8_t *data, size_t size)
{
    int64_t n = gguf_n_tensors(g);

    if (n > 0)
        fuzz_check(gguf_data_offset(g) <= size, "data blob starts past the end");
    for (int64_t t = 0; t < n; t++) {
        const char *name = gguf_tensor_name(g, t);
        const uint8_t *p = gguf_tensor_data(g, t);
        uint64_t nb = gguf_tensor_nbytes(g, t);
        const int64_t *ne = gguf_tensor_ne(g, t);

        fuzz_check(strlen(name) > 0 && strlen(name) < GGUF_MAX_NAME, "bad tensor name");
        fuzz_check(gguf_find_tensor(g, name) == t, "tensor %lld not found by name", (long long)t);
        fuzz_check(gguf_tensor_ndims(g, t) >= 0 && gguf_tensor_ndims(g, t) <= GGUF_MAX_DIMS,
                   "bad n_dims");
        for (int j = 0; j < GGUF_MAX_DIMS; j++)
            fuzz_check(ne[j] >= 0, "negative dimension");
        fuzz_check(p >= data && nb <= size && (size_t)(p - data) <= size - nb,
                   "tensor data outside the file");
        fuzz_check(gguf_tensor_offset(g, t) % gguf_alignment(g) == 0, "misaligned tensor");
        if (nb > 0)
            touch(p, 1), touch(p + nb - 1, 1);
    }
}

/* The tokenizer and the chat template of the file, with a sample text. */
static void
walk_tok(const gguf *g)
{
    static const char text[] = "Hello, world! <|im_start|>user\n 123 caf\xc3\xa9 \xe2\x96\x81"
                               "<s> </s> \xf0\x9f\x98\x80 \xff";
    static const chat_msg msgs[] = {
        { "system", "be brief" }, { "user", "hi" }, { "assistant", "hello" }, { "user", "bye" }
    };
    char err[512];
    tok *t = tok_load(g, err, sizeof err);
    int id;

    if (t == NULL)
        fuzz_check_message(err);
    if (t != NULL) {
        tok_ids ids = { 0 };

        for (unsigned flags = 0; flags < 8; flags += 7) {
            ids.n = 0;
            if (tok_encode(t, text, sizeof text - 1, flags, &ids, err, sizeof err) == 0) {
                size_t len;
                char *out;

                for (size_t i = 0; i < ids.n; i++)
                    fuzz_check(ids.v[i] >= 0 && ids.v[i] < tok_n_vocab(t), "id out of range");
                out = tok_decode(t, ids.v, ids.n, 0, &len);
                fuzz_check(out != NULL && strlen(out) <= len, "decode");
                free(out);
                out = tok_decode(t, ids.v, ids.n, TOK_STREAM_SPECIAL, NULL);
                free(out);
            }
        }
        tok_ids_free(&ids);
        for (int32_t i = -1; i <= tok_n_vocab(t) && i < 4096; i++) {
            size_t len;
            const char *piece = tok_piece(t, i, 1, &len);

            touch(piece, len);
            (void)tok_is_eog(t, i);
            (void)tok_token_type(t, i);
        }
        tok_free(t);
    }
    id = chat_for_model(g, NULL, err, sizeof err);
    if (id != CHAT_UNKNOWN) {
        char *s = chat_render(id, msgs, 4, 1, NULL);

        fuzz_check(s != NULL, "a known template renders");
        free(s);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    gguf *g;

    err[0] = '\0';
    g = gguf_open_mem(data, size, "fuzz.gguf", err, sizeof err);
    if (g == NULL) {
        fuzz_check_message(err);
        return 0;
    }
    walk_kv(g, data, size);
    walk_tensors(g, data, size);
    walk_tok(g);
    gguf_close(g);
    return 0;
}
