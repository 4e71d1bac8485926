/* chat.c: the built-in chat templates (formats as in llama.cpp's
 * llm_chat_apply_template), their names, and the detection heuristics of
 * llm_chat_detect_template in the same order. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "xmalloc.h"

/* Template ids (index into names[]). */
enum {
    T_CHATML, T_LLAMA2, T_LLAMA2_SYS, T_LLAMA2_SYS_BOS, T_LLAMA2_SYS_STRIP, T_MISTRAL_V1,
    T_MISTRAL_V3, T_MISTRAL_V3_TEKKEN, T_MISTRAL_V7, T_PHI3, T_PHI4, T_FALCON3, T_ZEPHYR,
    T_MONARCH, T_GEMMA, T_ORION, T_OPENCHAT, T_VICUNA, T_VICUNA_ORCA, T_DEEPSEEK, T_DEEPSEEK2,
    T_DEEPSEEK3, T_COMMAND_R, T_LLAMA3, T_CHATGLM3, T_CHATGLM4, T_GLMEDGE, T_MINICPM, T_EXAONE3,
    T_RWKV_WORLD, T_GRANITE, T_GIGACHAT, T_MEGREZ, T_COUNT
};

static const char *const names[T_COUNT] = {
    "chatml", "llama2", "llama2-sys", "llama2-sys-bos", "llama2-sys-strip", "mistral-v1",
    "mistral-v3", "mistral-v3-tekken", "mistral-v7", "phi3", "phi4", "falcon3", "zephyr",
    "monarch", "gemma", "orion", "openchat", "vicuna", "vicuna-orca", "deepseek", "deepseek2",
    "deepseek3", "command-r", "llama3", "chatglm3", "chatglm4", "glmedge", "minicpm", "exaone3",
    "rwkv-world", "granite", "gigachat", "megrez",
};

/* DeepSeek's full-width bar and U+2581 spelt out. */
#define FWBAR "\xEF\xBD\x9C"
#define LOWBAR "\xE2\x96\x81"
#define DS_EOS "<" FWBAR "end" LOWBAR "of" LOWBAR "sentence" FWBAR ">"
#define DS_USER "<" FWBAR "User" FWBAR ">"
#define DS_ASSISTANT "<" FWBAR "Assistant" FWBAR ">"
#define MINICPM_USER "<\xE7\x94\xA8\xE6\x88\xB7>" /* <用户> */

int
chat_count(void)
{
    return T_COUNT;
}

const char *
chat_name(int id)
{
    return id >= 0 && id < T_COUNT ? names[id] : NULL;
}

int
chat_lookup(const char *name)
{
    int i;

    if (name == NULL)
        return CHAT_UNKNOWN;
    for (i = 0; i < T_COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return CHAT_UNKNOWN;
}

/* "chatml, llama2, ..." into buf. */
static void
list_names(char *buf, size_t size)
{
    size_t k = 0;
    int i;

    if (size == 0)
        return;
    buf[0] = '\0';
    for (i = 0; i < T_COUNT && k < size; i++) {
        int w = snprintf(buf + k, size - k, "%s%s", i ? ", " : "", names[i]);

        if (w < 0)
            break;
        k += (size_t)w;
    }
}

int
chat_find(const char *name, char *err, size_t errsz)
{
    int id = chat_lookup(name);
    char list[512];

    if (id == CHAT_UNKNOWN) {
        list_names(list, sizeof list);
        snprintf(err, errsz, "unknown chat template '%s' (valid: %s)", name ? name : "", list);
    }
    return id;
}

int
chat_detect(const char *t)
{
    int id;

#define HAS(s) (strstr(t, (s)) != NULL)
    if (t == NULL || *t == '\0')
        return T_CHATML;
    id = chat_lookup(t);
    if (id != CHAT_UNKNOWN)
        return id;
    if (HAS("<|im_start|>"))
        return HAS("<|im_sep|>") ? T_PHI4 : T_CHATML;
    if (strncmp(t, "mistral", 7) == 0 || HAS("[INST]")) {
        if (HAS("[SYSTEM_PROMPT]"))
            return T_MISTRAL_V7;
        if (HAS("' [INST] ' + system_message") || HAS("[AVAILABLE_TOOLS]")) {
            if (HAS(" [INST]"))
                return T_MISTRAL_V1;
            if (HAS("\"[INST]\""))
                return T_MISTRAL_V3_TEKKEN;
            return T_MISTRAL_V3;
        }
        if (HAS("content.strip()"))
            return T_LLAMA2_SYS_STRIP;
        if (HAS("bos_token + '[INST]"))
            return T_LLAMA2_SYS_BOS;
        if (HAS("<<SYS>>"))
            return T_LLAMA2_SYS;
        return T_LLAMA2;
    }
    if (HAS("<|assistant|>") && HAS("<|end|>"))
        return T_PHI3;
    if (HAS("<|assistant|>") && HAS("<|user|>"))
        return HAS("</s>") ? T_FALCON3 : T_GLMEDGE;
    if (HAS("<|user|>") && HAS("<|endoftext|>"))
        return T_ZEPHYR;
    if (HAS("bos_token + message['role']"))
        return T_MONARCH;
    if (HAS("<start_of_turn>"))
        return T_GEMMA;
    if (HAS("'\\n\\nAssistant: ' + eos_token"))
        return T_ORION;
    if (HAS("GPT4 Correct "))
        return T_OPENCHAT;
    if (HAS("USER: ") && HAS("ASSISTANT: "))
        return HAS("SYSTEM: ") ? T_VICUNA_ORCA : T_VICUNA;
    if (HAS("### Instruction:") && HAS("<|EOT|>"))
        return T_DEEPSEEK;
    if (HAS("<|START_OF_TURN_TOKEN|>") && HAS("<|USER_TOKEN|>"))
        return T_COMMAND_R;
    if (HAS("<|start_header_id|>") && HAS("<|end_header_id|>"))
        return T_LLAMA3;
    if (HAS("[gMASK]sop"))
        return T_CHATGLM3;
    if (HAS("[gMASK]<sop>"))
        return T_CHATGLM4;
    if (HAS(MINICPM_USER))
        return T_MINICPM;
    if (HAS("'Assistant: ' + message['content'] + eos_token"))
        return T_DEEPSEEK2;
    if (HAS(DS_ASSISTANT) && HAS(DS_USER) && HAS(DS_EOS))
        return T_DEEPSEEK3;
    if (HAS("[|system|]") && HAS("[|assistant|]") && HAS("[|endofturn|]"))
        return T_EXAONE3;
    if (HAS("rwkv-world"))
        return T_RWKV_WORLD;
    if (HAS("<|start_of_role|>"))
        return T_GRANITE;
    if (HAS("message['role'] + additional_special_tokens[0] + message['content'] + "
            "additional_special_tokens[1]"))
        return T_GIGACHAT;
    if (HAS("<|role_start|>"))
        return T_MEGREZ;
    return CHAT_UNKNOWN;
#undef HAS
}

int
chat_for_model(const gguf *g, const char *name, char *err, size_t errsz)
{
    const char *s;
    size_t len;
    char *jinja, list[512];
    int id, rc;

    if (name != NULL)
        return chat_find(name, err, errsz);
    rc = gguf_get_str(g, "tokenizer.chat_template", &s, &len, err, errsz);
    if (rc == GGUF_MISSING)
        return T_CHATML;
    if (rc != GGUF_OK)
        return CHAT_UNKNOWN;
    jinja = xstrndup(s, len);
    id = chat_detect(jinja);
    free(jinja);
    if (id == CHAT_UNKNOWN) {
        list_names(list, sizeof list);
        snprintf(err, errsz, "%s: the model's chat template is not one of the built-in ones; "
                 "choose one by name (valid: %s)", gguf_name(g), list);
    }
    return id;
}

/* ---- rendering ---- */

/* A growable string. */
struct sbuf {
    char *s;    /* bytes, NUL-terminated */
    size_t n;   /* bytes in use */
    size_t cap; /* bytes allocated */
};

static void
addn(struct sbuf *b, const char *s, size_t n)
{
    if (b->cap - b->n < n + 1) {
        while (b->cap - b->n < n + 1)
            b->cap = b->cap ? b->cap * 2 : 256;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void
add(struct sbuf *b, const char *s)
{
    addn(b, s, strlen(s));
}

/* Append each string of a NULL-terminated list. */
__attribute__((sentinel)) static void
adds(struct sbuf *b, ...)
{
    va_list ap;
    const char *s;

    va_start(ap, b);
    while ((s = va_arg(ap, const char *)) != NULL)
        add(b, s);
    va_end(ap);
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Append s without leading and trailing ASCII whitespace (llama.cpp's trim). */
static void
add_trim(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);

    while (n > 0 && is_space(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_space(s[n - 1]))
        n--;
    addn(b, s, n);
}

static int
is(const char *role, const char *what)
{
    return strcmp(role, what) == 0;
}

static void
render_llama2(struct sbuf *b, int id, const chat_msg *m, size_t n)
{
    int sys = id != T_LLAMA2, bos = id == T_LLAMA2_SYS_BOS, strip = id == T_LLAMA2_SYS_STRIP;
    int inside = 1; /* the first [INST] is written without a BOS */
    size_t i;

    add(b, "[INST] ");
    for (i = 0; i < n; i++) {
        if (!inside) {
            inside = 1;
            add(b, bos ? "<s>[INST] " : "[INST] ");
        }
        if (is(m[i].role, "system")) {
            if (sys)
                add(b, "<<SYS>>\n");
            strip ? add_trim(b, m[i].content) : add(b, m[i].content);
            add(b, sys ? "\n<</SYS>>\n\n" : "\n");
        } else if (is(m[i].role, "user")) {
            strip ? add_trim(b, m[i].content) : add(b, m[i].content);
            add(b, " [/INST]");
        } else {
            strip ? add_trim(b, m[i].content) : add(b, m[i].content);
            add(b, "</s>");
            inside = 0;
        }
    }
}

static void
render_mistral(struct sbuf *b, int id, const chat_msg *m, size_t n)
{
    const char *lead = id == T_MISTRAL_V1 ? " " : "";
    const char *trail = id == T_MISTRAL_V3_TEKKEN ? "" : " ";
    int inside = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (!inside) {
            add(b, lead);
            add(b, "[INST]");
            add(b, trail);
            inside = 1;
        }
        if (is(m[i].role, "system")) {
            add(b, m[i].content);
            add(b, "\n\n");
        } else if (is(m[i].role, "user")) {
            add(b, m[i].content);
            add(b, lead);
            add(b, "[/INST]");
        } else {
            add(b, trail);
            id == T_MISTRAL_V3 ? add_trim(b, m[i].content) : add(b, m[i].content);
            add(b, "</s>");
            inside = 0;
        }
    }
}

static void
render_gemma(struct sbuf *b, const chat_msg *m, size_t n, int add_ass)
{
    const char *sys = NULL; /* system text waiting for the next user turn */
    size_t i;

    for (i = 0; i < n; i++) {
        int model = is(m[i].role, "assistant");

        if (is(m[i].role, "system")) {
            sys = m[i].content;
            continue;
        }
        add(b, "<start_of_turn>");
        add(b, model ? "model" : m[i].role);
        add(b, "\n");
        if (sys != NULL && !model) {
            size_t k = b->n;

            add_trim(b, sys);
            if (b->n > k) /* an empty system prompt adds nothing */
                add(b, "\n\n");
            sys = NULL;
        }
        add_trim(b, m[i].content);
        add(b, "<end_of_turn>\n");
    }
    if (add_ass)
        add(b, "<start_of_turn>model\n");
}

static void
render_simple(struct sbuf *b, int id, const chat_msg *m, size_t n, int add_ass)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *r = m[i].role, *c = m[i].content;

        switch (id) {
        case T_CHATML:
            adds(b, "<|im_start|>", r, "\n", c, "<|im_end|>\n", NULL);
            break;
        case T_MISTRAL_V7:
            if (is(r, "system")) {
                adds(b, "[SYSTEM_PROMPT] ", c, "[/SYSTEM_PROMPT]", NULL);
            } else if (is(r, "user")) {
                adds(b, "[INST] ", c, "[/INST]", NULL);
            } else {
                adds(b, " ", c, "</s>", NULL);
            }
            break;
        case T_PHI3:
            adds(b, "<|", r, "|>\n", c, "<|end|>\n", NULL);
            break;
        case T_PHI4:
            adds(b, "<|im_start|>", r, "<|im_sep|>", c, "<|im_end|>", NULL);
            break;
        case T_FALCON3:
            adds(b, "<|", r, "|>\n", c, "\n", NULL);
            break;
        case T_ZEPHYR:
            adds(b, "<|", r, "|>\n", c, "<|endoftext|>\n", NULL);
            break;
        case T_MONARCH:
            adds(b, i == 0 ? "" : "<s>", r, "\n", c, "</s>\n", NULL);
            break;
        case T_OPENCHAT:
            if (is(r, "system")) {
                add(b, c);
            } else {
                char first = r[0] >= 'a' && r[0] <= 'z' ? (char)(r[0] - 'a' + 'A') : r[0];

                add(b, "GPT4 Correct ");
                addn(b, &first, r[0] ? 1 : 0);
                add(b, r[0] ? r + 1 : r);
                add(b, ": ");
                add(b, c);
            }
            add(b, "<|end_of_turn|>");
            break;
        case T_VICUNA:
        case T_VICUNA_ORCA:
            if (is(r, "system")) {
                if (id == T_VICUNA_ORCA) {
                    adds(b, "SYSTEM: ", c, "\n", NULL);
                } else {
                    adds(b, c, "\n\n", NULL);
                }
            } else if (is(r, "user")) {
                adds(b, "USER: ", c, "\n", NULL);
            } else if (is(r, "assistant")) {
                adds(b, "ASSISTANT: ", c, "</s>\n", NULL);
            }
            break;
        case T_DEEPSEEK:
            if (is(r, "system")) {
                add(b, c);
            } else if (is(r, "user")) {
                adds(b, "### Instruction:\n", c, "\n", NULL);
            } else if (is(r, "assistant")) {
                adds(b, "### Response:\n", c, "\n<|EOT|>\n", NULL);
            }
            break;
        case T_COMMAND_R:
            if (is(r, "system") || is(r, "user") || is(r, "assistant")) {
                add(b, "<|START_OF_TURN_TOKEN|>");
                add(b, is(r, "system") ? "<|SYSTEM_TOKEN|>" : is(r, "user") ? "<|USER_TOKEN|>"
                                                                         : "<|CHATBOT_TOKEN|>");
                add_trim(b, c);
                add(b, "<|END_OF_TURN_TOKEN|>");
            }
            break;
        case T_LLAMA3:
            adds(b, "<|start_header_id|>", r, "<|end_header_id|>\n\n", NULL);
            add_trim(b, c);
            add(b, "<|eot_id|>");
            break;
        case T_CHATGLM3:
            adds(b, "<|", r, "|>\n ", c, NULL);
            break;
        case T_CHATGLM4:
        case T_GLMEDGE:
            adds(b, "<|", r, "|>\n", c, NULL);
            break;
        case T_MINICPM:
            if (is(r, "user")) {
                add(b, MINICPM_USER);
                add_trim(b, c);
                add(b, "<AI>");
            } else {
                add_trim(b, c);
            }
            break;
        case T_DEEPSEEK2:
            if (is(r, "system")) {
                adds(b, c, "\n\n", NULL);
            } else if (is(r, "user")) {
                adds(b, "User: ", c, "\n\n", NULL);
            } else if (is(r, "assistant")) {
                adds(b, "Assistant: ", c, DS_EOS, NULL);
            }
            break;
        case T_DEEPSEEK3:
            if (is(r, "system")) {
                adds(b, c, "\n\n", NULL);
            } else if (is(r, "user")) {
                adds(b, DS_USER, c, NULL);
            } else if (is(r, "assistant")) {
                adds(b, DS_ASSISTANT, c, DS_EOS, NULL);
            }
            break;
        case T_EXAONE3:
            if (is(r, "system")) {
                add(b, "[|system|]");
                add_trim(b, c);
                add(b, "[|endofturn|]\n");
            } else if (is(r, "user")) {
                add(b, "[|user|]");
                add_trim(b, c);
                add(b, "\n");
            } else if (is(r, "assistant")) {
                add(b, "[|assistant|]");
                add_trim(b, c);
                add(b, "[|endofturn|]\n");
            }
            break;
        case T_RWKV_WORLD:
            if (is(r, "user")) {
                adds(b, "User: ", c, "\n\nAssistant:", NULL);
            } else {
                adds(b, c, "\n\n", NULL);
            }
            break;
        case T_GRANITE:
            adds(b, "<|start_of_role|>", r, "<|end_of_role|>", NULL);
            if (is(r, "assistant_tool_call"))
                add(b, "<|tool_call|>");
            adds(b, c, "<|end_of_text|>\n", NULL);
            break;
        case T_MEGREZ:
            adds(b, "<|role_start|>", r, "<|role_end|>", c, "<|turn_end|>", NULL);
            break;
        default:
            break;
        }
    }
    if (!add_ass)
        return;
    switch (id) {
    case T_CHATML: add(b, "<|im_start|>assistant\n"); break;
    case T_PHI3: add(b, "<|assistant|>\n"); break;
    case T_PHI4: add(b, "<|im_start|>assistant<|im_sep|>"); break;
    case T_FALCON3: add(b, "<|assistant|>\n"); break;
    case T_ZEPHYR: add(b, "<|assistant|>\n"); break;
    case T_MONARCH: add(b, "<s>assistant\n"); break;
    case T_OPENCHAT: add(b, "GPT4 Correct Assistant:"); break;
    case T_VICUNA: case T_VICUNA_ORCA: add(b, "ASSISTANT:"); break;
    case T_DEEPSEEK: add(b, "### Response:\n"); break;
    case T_COMMAND_R: add(b, "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>"); break;
    case T_LLAMA3: add(b, "<|start_header_id|>assistant<|end_header_id|>\n\n"); break;
    case T_CHATGLM3: case T_CHATGLM4: case T_GLMEDGE: add(b, "<|assistant|>"); break;
    case T_DEEPSEEK2: add(b, "Assistant:"); break;
    case T_DEEPSEEK3: add(b, DS_ASSISTANT); break;
    case T_EXAONE3: add(b, "[|assistant|]"); break;
    case T_GRANITE: add(b, "<|start_of_role|>assistant<|end_of_role|>\n"); break;
    case T_MEGREZ: add(b, "<|role_start|>assistant<|role_end|>"); break;
    default: break; /* mistral-v7, minicpm, rwkv-world have no assistant opening */
    }
}

static void
render_orion(struct sbuf *b, const chat_msg *m, size_t n)
{
    const char *sys = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        if (is(m[i].role, "system")) {
            sys = m[i].content;
        } else if (is(m[i].role, "user")) {
            add(b, "Human: ");
            if (sys != NULL && *sys) {
                add(b, sys);
                add(b, "\n\n");
            }
            sys = NULL;
            add(b, m[i].content);
            add(b, "\n\nAssistant: </s>");
        } else {
            add(b, m[i].content);
            add(b, "</s>");
        }
    }
}

static void
render_gigachat(struct sbuf *b, const chat_msg *m, size_t n, int add_ass)
{
    int has_sys = n > 0 && is(m[0].role, "system");
    size_t i;

    add(b, "<s>");
    if (has_sys) {
        add(b, m[0].content);
        add(b, "<|message_sep|>");
    }
    for (i = has_sys ? 1 : 0; i < n; i++) {
        if (is(m[i].role, "user")) {
            add(b, "user<|role_sep|>");
            add(b, m[i].content);
            add(b, "<|message_sep|>available functions<|role_sep|>[]<|message_sep|>");
        } else if (is(m[i].role, "assistant")) {
            add(b, "assistant<|role_sep|>");
            add(b, m[i].content);
            add(b, "<|message_sep|>");
        }
    }
    if (add_ass)
        add(b, "assistant<|role_sep|>");
}

char *
chat_render(int id, const chat_msg *msgs, size_t n, int add_assistant, size_t *len)
{
    struct sbuf b = { NULL, 0, 0 };

    if (id < 0 || id >= T_COUNT)
        return NULL;
    addn(&b, "", 0);
    switch (id) {
    case T_LLAMA2:
    case T_LLAMA2_SYS:
    case T_LLAMA2_SYS_BOS:
    case T_LLAMA2_SYS_STRIP:
        render_llama2(&b, id, msgs, n);
        break;
    case T_MISTRAL_V1:
    case T_MISTRAL_V3:
    case T_MISTRAL_V3_TEKKEN:
        render_mistral(&b, id, msgs, n);
        break;
    case T_GEMMA:
        render_gemma(&b, msgs, n, add_assistant);
        break;
    case T_ORION:
        render_orion(&b, msgs, n);
        break;
    case T_GIGACHAT:
        render_gigachat(&b, msgs, n, add_assistant);
        break;
    case T_CHATGLM3:
        add(&b, "[gMASK]sop");
        render_simple(&b, id, msgs, n, add_assistant);
        break;
    case T_CHATGLM4:
        add(&b, "[gMASK]<sop>");
        render_simple(&b, id, msgs, n, add_assistant);
        break;
    default:
        render_simple(&b, id, msgs, n, add_assistant);
        break;
    }
    if (len != NULL)
        *len = b.n;
    return b.s;
}
