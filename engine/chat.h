/* chat.h: built-in chat templates. Each renders a conversation (roles
 * "system", "user", "assistant") to the prompt text a model was trained
 * on, exactly as llama.cpp's llama_chat_apply_template does; which one a
 * model uses is guessed from its Jinja template (tokenizer.chat_template)
 * with llama.cpp's heuristics, or chosen by name. Special-token text in
 * the output (<|im_start|>...) is meant to be tokenized with
 * TOK_PARSE_SPECIAL. */
#ifndef TERNCHAT_CHAT_H
#define TERNCHAT_CHAT_H

#include <stddef.h>

#include "gguf.h"

/* One message of a conversation. */
typedef struct chat_msg {
    const char *role;    /* "system", "user" or "assistant" */
    const char *content; /* its text (NUL-terminated UTF-8) */
} chat_msg;

/* Template ids are 0 .. chat_count()-1; -1 means none/unknown. */
#define CHAT_UNKNOWN (-1)

/* Number of built-in templates, and the name of template id (NULL if out
 * of range). Names are those of llama.cpp ("chatml", "llama3"...). */
int chat_count(void);
const char *chat_name(int id);
/* Id of a template name, or CHAT_UNKNOWN. */
int chat_lookup(const char *name);
/* Like chat_lookup, but an unknown name is an error whose message (in err)
 * names it and lists the valid names. */
int chat_find(const char *name, char *err, size_t errsz);
/* Guess the template from a model's Jinja source: a template name is
 * taken as is, then llama.cpp's substring tests apply in its order. NULL
 * or "" (no template) gives chatml; text that matches nothing gives
 * CHAT_UNKNOWN. */
int chat_detect(const char *jinja);
/* The template for a model: name (e.g. from --chat-template) when not
 * NULL, else detected from the file's tokenizer.chat_template (chatml if
 * it has none). Returns CHAT_UNKNOWN with a message in err when the name
 * or the model's template is not known. */
int chat_for_model(const gguf *g, const char *name, char *err, size_t errsz);
/* Render n messages with template id; add_assistant appends the opening
 * of an assistant turn for templates that have one. Returns a new
 * NUL-terminated string (length in *len, which may be NULL), or NULL if id
 * is not a template. */
char *chat_render(int id, const chat_msg *msgs, size_t n, int add_assistant, size_t *len);

#endif
