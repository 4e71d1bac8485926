/* test_chat.c: the built-in chat templates: every template renders a
 * system prompt and three turns (user, assistant, user) to the exact text
 * llama.cpp produces, with and without the assistant opening; template
 * detection from Jinja sources (one case per heuristic, and their order);
 * lookup by name and the error for an unknown name. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "gguf.h"
#include "tap.h"

/* The conversation: the assistant turn has spaces around it on purpose
 * (some templates trim messages, others do not). */
static const chat_msg conv[] = {
    { "system", "You are terse." },
    { "user", "Hi" },
    { "assistant", "  Hello!  " },
    { "user", "What is 2+2?" },
};

/* Expected renderings: the text without the assistant opening, then what
 * add_assistant appends ("" where the template has none). */
static const struct {
    const char *name;    /* template */
    const char *body;    /* rendering of conv */
    const char *opening; /* appended by add_assistant */
} want[] = {
    { "chatml",
      "<|im_start|>" "system\n" "You are terse.<|im_end|>" "\n" "<|im_start|>" "user\n"
      "Hi<|im_end|>" "\n" "<|im_start|>" "assistant\n" "  Hello!  <|im_end|>" "\n"
      "<|im_start|>" "user\n" "What is 2+2?<|im_end|>" "\n",
      "<|im_start|>" "assistant\n" },
    { "llama2",
      "[INST] You are terse.\n" "Hi [/INST]  Hello!  </s>" "[INST] What is 2+2? [/INST]",
      "" },
    { "llama2-sys",
      "[INST] <<SYS>" ">" "\n" "You are terse.\n" "<</SYS>" ">" "\n" "\n"
      "Hi [/INST]  Hello!  </s>" "[INST] What is 2+2? [/INST]",
      "" },
    { "llama2-sys-bos",
      "[INST] <<SYS>" ">" "\n" "You are terse.\n" "<</SYS>" ">" "\n" "\n"
      "Hi [/INST]  Hello!  </s>" "<s>" "[INST] What is 2+2? [/INST]",
      "" },
    { "llama2-sys-strip",
      "[INST] <<SYS>" ">" "\n" "You are terse.\n" "<</SYS>" ">" "\n" "\n"
      "Hi [/INST]Hello!</s>" "[INST] What is 2+2? [/INST]",
      "" },
    { "mistral-v1",
      " [INST] You are terse.\n" "\n" "Hi [/INST]   Hello!  </s>"
      " [INST] What is 2+2? [/INST]",
      "" },
    { "mistral-v3",
      "[INST] You are terse.\n" "\n" "Hi[/INST] Hello!</s>" "[INST] What is 2+2?[/INST]",
      "" },
    { "mistral-v3-tekken",
      "[INST]You are terse.\n" "\n" "Hi[/INST]  Hello!  </s>" "[INST]What is 2+2?[/INST]",
      "" },
    { "mistral-v7",
      "[SYSTEM_PROMPT] You are terse.[/SYSTEM_PROMPT][INST] Hi[/INST]   Hello!  </s>"
      "[INST] What is 2+2?[/INST]",
      "" },
    { "phi3",
      "<|system|>" "\n" "You are terse.<|end|>" "\n" "<|user|>" "\n" "Hi<|end|>" "\n"
      "<|assistant|>" "\n" "  Hello!  <|end|>" "\n" "<|user|>" "\n" "What is 2+2?<|end|>" "\n",
      "<|assistant|>" "\n" },
    { "phi4",
      "<|im_start|>" "system<|im_sep|>" "You are terse.<|im_end|>" "<|im_start|>"
      "user<|im_sep|>" "Hi<|im_end|>" "<|im_start|>" "assistant<|im_sep|>"
      "  Hello!  <|im_end|>" "<|im_start|>" "user<|im_sep|>" "What is 2+2?<|im_end|>",
      "<|im_start|>" "assistant<|im_sep|>" },
    { "falcon3",
      "<|system|>" "\n" "You are terse.\n" "<|user|>" "\n" "Hi\n" "<|assistant|>" "\n"
      "  Hello!  \n" "<|user|>" "\n" "What is 2+2?\n",
      "<|assistant|>" "\n" },
    { "zephyr",
      "<|system|>" "\n" "You are terse.<|endoftext|>" "\n" "<|user|>" "\n" "Hi<|endoftext|>"
      "\n" "<|assistant|>" "\n" "  Hello!  <|endoftext|>" "\n" "<|user|>" "\n"
      "What is 2+2?<|endoftext|>" "\n",
      "<|assistant|>" "\n" },
    { "monarch",
      "system\n" "You are terse.</s>" "\n" "<s>" "user\n" "Hi</s>" "\n" "<s>" "assistant\n"
      "  Hello!  </s>" "\n" "<s>" "user\n" "What is 2+2?</s>" "\n",
      "<s>" "assistant\n" },
    { "gemma",
      "<start_of_turn>" "user\n" "You are terse.\n" "\n" "Hi<end_of_turn>" "\n"
      "<start_of_turn>" "model\n" "Hello!<end_of_turn>" "\n" "<start_of_turn>" "user\n"
      "What is 2+2?<end_of_turn>" "\n",
      "<start_of_turn>" "model\n" },
    { "orion",
      "Human: You are terse.\n" "\n" "Hi\n" "\n" "Assistant: </s>" "  Hello!  </s>"
      "Human: What is 2+2?\n" "\n" "Assistant: </s>",
      "" },
    { "openchat",
      "You are terse.<|end_of_turn|>" "GPT4 Correct User: Hi<|end_of_turn|>"
      "GPT4 Correct Assistant:   Hello!  <|end_of_turn|>"
      "GPT4 Correct User: What is 2+2?<|end_of_turn|>",
      "GPT4 Correct Assistant:" },
    { "vicuna",
      "You are terse.\n" "\n" "USER: Hi\n" "ASSISTANT:   Hello!  </s>" "\n"
      "USER: What is 2+2?\n",
      "ASSISTANT:" },
    { "vicuna-orca",
      "SYSTEM: You are terse.\n" "USER: Hi\n" "ASSISTANT:   Hello!  </s>" "\n"
      "USER: What is 2+2?\n",
      "ASSISTANT:" },
    { "deepseek",
      "You are terse.### Instruction:\n" "Hi\n" "### Response:\n" "  Hello!  \n" "<|EOT|>"
      "\n" "### Instruction:\n" "What is 2+2?\n",
      "### Response:\n" },
    { "deepseek2",
      "You are terse.\n" "\n" "User: Hi\n" "\n"
      "Assistant:   Hello!  <\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"
      "User: What is 2+2?\n" "\n",
      "Assistant:" },
    { "deepseek3",
      "You are terse.\n" "\n" "<\xEF\xBD\x9CUser\xEF\xBD\x9C>"
      "Hi<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>"
      "  Hello!  <\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"
      "<\xEF\xBD\x9CUser\xEF\xBD\x9C>" "What is 2+2?",
      "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>" },
    { "command-r",
      "<|START_OF_TURN_TOKEN|>" "<|SYSTEM_TOKEN|>" "You are terse.<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|>" "<|USER_TOKEN|>" "Hi<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|>" "<|CHATBOT_TOKEN|>" "Hello!<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|>" "<|USER_TOKEN|>" "What is 2+2?<|END_OF_TURN_TOKEN|>",
      "<|START_OF_TURN_TOKEN|>" "<|CHATBOT_TOKEN|>" },
    { "llama3",
      "<|start_header_id|>" "system<|end_header_id|>" "\n" "\n" "You are terse.<|eot_id|>"
      "<|start_header_id|>" "user<|end_header_id|>" "\n" "\n" "Hi<|eot_id|>"
      "<|start_header_id|>" "assistant<|end_header_id|>" "\n" "\n" "Hello!<|eot_id|>"
      "<|start_header_id|>" "user<|end_header_id|>" "\n" "\n" "What is 2+2?<|eot_id|>",
      "<|start_header_id|>" "assistant<|end_header_id|>" "\n" "\n" },
    { "chatglm3",
      "[gMASK]sop<|system|>" "\n" " You are terse.<|user|>" "\n" " Hi<|assistant|>" "\n"
      "   Hello!  <|user|>" "\n" " What is 2+2?",
      "<|assistant|>" },
    { "chatglm4",
      "[gMASK]<sop>" "<|system|>" "\n" "You are terse.<|user|>" "\n" "Hi<|assistant|>" "\n"
      "  Hello!  <|user|>" "\n" "What is 2+2?",
      "<|assistant|>" },
    { "glmedge",
      "<|system|>" "\n" "You are terse.<|user|>" "\n" "Hi<|assistant|>" "\n"
      "  Hello!  <|user|>" "\n" "What is 2+2?",
      "<|assistant|>" },
    { "minicpm",
      "You are terse.<\xE7\x94\xA8\xE6\x88\xB7>" "Hi<AI>" "Hello!<\xE7\x94\xA8\xE6\x88\xB7>"
      "What is 2+2?<AI>",
      "" },
    { "exaone3",
      "[|system|]You are terse.[|endofturn|]\n" "[|user|]Hi\n"
      "[|assistant|]Hello![|endofturn|]\n" "[|user|]What is 2+2?\n",
      "[|assistant|]" },
    { "rwkv-world",
      "You are terse.\n" "\n" "User: Hi\n" "\n" "Assistant:  Hello!  \n" "\n"
      "User: What is 2+2?\n" "\n" "Assistant:",
      "" },
    { "granite",
      "<|start_of_role|>" "system<|end_of_role|>" "You are terse.<|end_of_text|>" "\n"
      "<|start_of_role|>" "user<|end_of_role|>" "Hi<|end_of_text|>" "\n" "<|start_of_role|>"
      "assistant<|end_of_role|>" "  Hello!  <|end_of_text|>" "\n" "<|start_of_role|>"
      "user<|end_of_role|>" "What is 2+2?<|end_of_text|>" "\n",
      "<|start_of_role|>" "assistant<|end_of_role|>" "\n" },
    { "gigachat",
      "<s>" "You are terse.<|message_sep|>" "user<|role_sep|>" "Hi<|message_sep|>"
      "available functions<|role_sep|>" "[]<|message_sep|>" "assistant<|role_sep|>"
      "  Hello!  <|message_sep|>" "user<|role_sep|>" "What is 2+2?<|message_sep|>"
      "available functions<|role_sep|>" "[]<|message_sep|>",
      "assistant<|role_sep|>" },
    { "megrez",
      "<|role_start|>" "system<|role_end|>" "You are terse.<|turn_end|>" "<|role_start|>"
      "user<|role_end|>" "Hi<|turn_end|>" "<|role_start|>" "assistant<|role_end|>"
      "  Hello!  <|turn_end|>" "<|role_start|>" "user<|role_end|>" "What is 2+2?<|turn_end|>",
      "<|role_start|>" "assistant<|role_end|>" },
};

static void
test_render(void)
{
    size_t i, n = sizeof want / sizeof want[0];

    ok((int)n == chat_count(), "every built-in template has an expected rendering (%zu of %d)", n,
       chat_count());
    for (i = 0; i < n; i++) {
        int id = chat_lookup(want[i].name);
        char *got, *full, name[96];
        size_t len;

        if (!ok(id >= 0 && strcmp(chat_name(id), want[i].name) == 0, "%s: known by name",
                want[i].name))
            continue;
        got = chat_render(id, conv, 4, 0, &len);
        snprintf(name, sizeof name, "%s: rendering", want[i].name);
        is_str(got, want[i].body, name);
        ok(got != NULL && len == strlen(got), "%s: length returned", want[i].name);
        free(got);
        full = malloc(strlen(want[i].body) + strlen(want[i].opening) + 1);
        if (full == NULL)
            abort();
        strcpy(full, want[i].body);
        strcat(full, want[i].opening);
        got = chat_render(id, conv, 4, 1, NULL);
        snprintf(name, sizeof name, "%s: with the assistant opening", want[i].name);
        is_str(got, full, name);
        free(got);
        free(full);
    }
}

static void
test_misc(void)
{
    char err[1024], *s;
    chat_msg one[] = { { "user", "x" } };

    ok(chat_render(-1, conv, 4, 1, NULL) == NULL && chat_render(chat_count(), conv, 4, 1,
                                                                NULL) == NULL,
       "render: an invalid id gives NULL");
    s = chat_render(chat_lookup("chatml"), NULL, 0, 1, NULL);
    is_str(s, "<|im_start|>assistant\n", "render: no messages, only the opening");
    free(s);
    s = chat_render(chat_lookup("gemma"), one, 1, 0, NULL);
    is_str(s, "<start_of_turn>user\nx<end_of_turn>\n", "render: gemma without a system prompt");
    free(s);
    ok(chat_lookup("nonesuch") == CHAT_UNKNOWN && chat_lookup(NULL) == CHAT_UNKNOWN,
       "lookup: unknown names");
    ok(chat_find("nonesuch", err, sizeof err) == CHAT_UNKNOWN, "find: unknown name fails");
    contains(err, "nonesuch", "find: the message names it");
    contains(err, "chatml", "find: the message lists the valid names (chatml)");
    contains(err, "megrez", "find: the message lists the valid names (megrez)");
    ok(chat_find("llama3", err, sizeof err) == chat_lookup("llama3"), "find: a known name");
    ok(chat_name(-1) == NULL && chat_name(chat_count()) == NULL, "name: out of range");
}

/* One detection case: a Jinja snippet and the template it should give. */
static void
det(const char *jinja, const char *expect, const char *why)
{
    int id = chat_detect(jinja);
    const char *got = id == CHAT_UNKNOWN ? "(unknown)" : chat_name(id);

    is_str(got, expect, why);
}

static void
test_detect(void)
{
    det(NULL, "chatml", "no template: chatml");
    det("", "chatml", "empty template: chatml");
    det("llama3", "llama3", "a template name is taken as is");
    det("{{'<|im_start|>' + message['role']}}", "chatml", "<|im_start|>: chatml");
    det("<|im_start|>{{role}}<|im_sep|>", "phi4", "<|im_start|> and <|im_sep|>: phi4");
    det("<|im_start|> [INST]", "chatml", "<|im_start|> is tested before [INST]");
    det("mistral: anything", "llama2", "text starting with mistral: the llama2 family");
    det("[INST] [SYSTEM_PROMPT]", "mistral-v7", "[SYSTEM_PROMPT]: mistral-v7");
    det("{{ ' [INST] ' + system_message }}", "mistral-v1",
        "' [INST] ' + system_message: mistral-v1");
    det("[AVAILABLE_TOOLS]{{ \"[INST]\" }}", "mistral-v3-tekken", "\"[INST]\": mistral-v3-tekken");
    det("[AVAILABLE_TOOLS][INST]", "mistral-v3", "[AVAILABLE_TOOLS] without a space: mistral-v3");
    det("[INST] {{ content.strip() }} <<SYS>>", "llama2-sys-strip",
        "content.strip(): llama2-sys-strip");
    det("{{ bos_token + '[INST] ' }} <<SYS>>", "llama2-sys-bos",
        "bos_token + '[INST]: llama2-sys-bos");
    det("[INST] <<SYS>>", "llama2-sys", "<<SYS>>: llama2-sys");
    det("{{ '[INST] ' + content }}", "llama2", "[INST] alone: llama2");
    det("<|assistant|> <|end|>", "phi3", "<|assistant|> and <|end|>: phi3");
    det("<|assistant|> <|user|> </s>", "falcon3", "<|assistant|>, <|user|>, </s>: falcon3");
    det("<|assistant|> <|user|>", "glmedge", "<|assistant|> and <|user|>: glmedge");
    det("<|user|> <|endoftext|>", "zephyr", "<|user|> and <|endoftext|>: zephyr");
    det("{{bos_token + message['role']}}", "monarch", "bos_token + message['role']: monarch");
    det("<start_of_turn>", "gemma", "<start_of_turn>: gemma");
    det("{{ '\\n\\nAssistant: ' + eos_token }}", "orion", "'\\n\\nAssistant: ' + eos_token: orion");
    det("GPT4 Correct User", "openchat", "GPT4 Correct: openchat");
    det("USER: x ASSISTANT: y", "vicuna", "USER: and ASSISTANT: : vicuna");
    det("SYSTEM: USER: ASSISTANT: ", "vicuna-orca", "with SYSTEM: : vicuna-orca");
    det("### Instruction: <|EOT|>", "deepseek", "### Instruction: and <|EOT|>: deepseek");
    det("<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", "command-r", "command-r tokens");
    det("<|start_header_id|>x<|end_header_id|>", "llama3", "header ids: llama3");
    det("[gMASK]sop", "chatglm3", "[gMASK]sop: chatglm3");
    det("[gMASK]<sop>", "chatglm4", "[gMASK]<sop>: chatglm4");
    det("<\xE7\x94\xA8\xE6\x88\xB7>", "minicpm", "<\xE7\x94\xA8\xE6\x88\xB7>: minicpm");
    det("{{ 'Assistant: ' + message['content'] + eos_token }}", "deepseek2", "deepseek2");
    det("<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C><\xEF\xBD\x9C" "User\xEF\xBD\x9C>"
        "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
        "deepseek3", "deepseek3 tokens");
    det("[|system|][|assistant|][|endofturn|]", "exaone3", "exaone3 markers");
    det("rwkv-world template", "rwkv-world", "rwkv-world");
    det("<|start_of_role|>", "granite", "<|start_of_role|>: granite");
    det("message['role'] + additional_special_tokens[0] + message['content'] + "
        "additional_special_tokens[1]", "gigachat", "gigachat");
    det("<|role_start|>", "megrez", "<|role_start|>: megrez");
    det("{{ messages }}", "(unknown)", "nothing recognisable: unknown");
    det("<|start_header_id|><|end_header_id|> <start_of_turn>", "gemma",
        "order: gemma is tested before llama3");
}

static void
test_model(void)
{
    const char *td = getenv("TERNCHAT_TESTDATA");
    char path[1024], err[1024];
    gguf *g;
    int id;

    if (td == NULL || *td == '\0') {
        skip("model templates not checked: TERNCHAT_TESTDATA is not set");
        return;
    }
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-phi-3.gguf", td);
    g = gguf_open(path, err, sizeof err);
    if (!ok(g != NULL, "phi-3 vocabulary opens")) {
        diag("%s", err);
        return;
    }
    id = chat_for_model(g, NULL, err, sizeof err);
    is_str(id >= 0 ? chat_name(id) : "(unknown)", "phi3", "phi-3's template is detected as phi3");
    id = chat_for_model(g, "zephyr", err, sizeof err);
    is_str(id >= 0 ? chat_name(id) : "(unknown)", "zephyr",
           "a name overrides the model's template");
    id = chat_for_model(g, "bogus", err, sizeof err);
    ok(id == CHAT_UNKNOWN && strstr(err, "bogus") != NULL, "a bad name is an error naming it");
    gguf_close(g);
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-gpt-2.gguf", td);
    g = gguf_open(path, err, sizeof err);
    if (g != NULL) {
        id = chat_for_model(g, NULL, err, sizeof err);
        is_str(id >= 0 ? chat_name(id) : "(unknown)", "chatml", "no template in the model: chatml");
        gguf_close(g);
    }
}

int
main(void)
{
    test_render();
    test_misc();
    test_detect();
    test_model();
    return done_testing();
}
