/* keys.c: the action table and the key bindings built from it. */
#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "ui_act.h"
#include "xmalloc.h"

static const char *const quant_args[] = { "f32", "f16", "q8_0", "q4_0", "tq2_0", "tq1_0", NULL };
static const char *const spec_args[] = { "on", "off", "auto", "draft", "lookup", NULL };
static const char *const set_args[] = { "temp", "top_k", "top_p", "min_p", "repeat_penalty",
                                        "repeat_last_n", "seed", "n_predict", "spec", "draft_max",
                                        "draft_min", NULL };
static const char *const copy_args[] = { "code", NULL };

static const keys_action table[] = {
    { "help", "F1 ?", "help", KEYS_ARG_OPT, "[command]", "show the keys and commands, or one command's help",
      NULL, ui_act_help },
    { "sidebar", "F2", "chats", KEYS_ARG_NONE, "", "show or hide the list of conversations", NULL,
      ui_act_sidebar },
    { "search", "F3 C-r", "search", KEYS_ARG_REQ, "<words>", "search saved conversations (re:<regex> for a regex)",
      NULL, ui_act_search },
    { "quant", "F4", "quant", KEYS_ARG_OPT, "[type]",
      "switch the weight type (none: the next of the original, q8_0, tq2_0, tq1_0)", quant_args,
      ui_act_quant },
    { "regen", "F5", "regen", KEYS_ARG_NONE, "", "generate the last reply again", NULL, ui_act_regen },
    { "stats", "F6", "stats", KEYS_ARG_NONE, "", "show or hide the speed panel", NULL, ui_act_stats },
    { "spec", "F7", "spec", KEYS_ARG_OPT, "[on|off|draft|lookup]", "speculative decoding (none: switch on/off)",
      spec_args, ui_act_spec },
    { "new", "F8", "new", KEYS_ARG_NONE, "", "start a new conversation", NULL, ui_act_new },
    { "export", "F9", "export", KEYS_ARG_OPT, "[file]", "save this conversation as Markdown", NULL,
      ui_act_export },
    { "quit", "F10 C-q", "quit", KEYS_ARG_NONE, "", "leave ternchat", NULL, ui_act_quit },
    { "cancel", "C-c Esc", "stop", KEYS_ARG_NONE, "", "stop the reply (or clear the input box)", NULL,
      ui_act_cancel },
    { "edit", "M-e", "edit", KEYS_ARG_NONE, "", "edit your last prompt (again: the one before) and resend it", NULL,
      ui_act_edit },
    { "editor", "C-x", "editor", KEYS_ARG_NONE, "", "compose the prompt in $EDITOR", NULL, ui_act_editor },
    { "copy", "M-c", "copy", KEYS_ARG_OPT, "[code]", "copy the last reply (or its last code block)", copy_args,
      ui_act_copy },
    { "prev", "M-p", "prev", KEYS_ARG_NONE, "", "open the previous conversation in the list", NULL,
      ui_act_prev },
    { "next", "M-n", "next", KEYS_ARG_NONE, "", "open the next conversation in the list", NULL, ui_act_next },
    { "open", "", "open", KEYS_ARG_REQ, "<number>", "open a conversation by its number in the list", NULL,
      ui_act_open },
    { "rename", "", "rename", KEYS_ARG_REQ, "<title>", "rename this conversation", NULL, ui_act_rename },
    { "delete", "", "delete", KEYS_ARG_NONE, "", "delete this conversation (asks first)", NULL,
      ui_act_delete },
    { "system", "", "system", KEYS_ARG_OPT, "[text|-]", "show, set or (-) remove the system prompt", NULL, ui_act_system },
    { "temp", "", "temp", KEYS_ARG_REQ, "<t>", "sampling temperature (0: greedy)", NULL, ui_act_temp },
    { "draft", "", "draft", KEYS_ARG_REQ, "<n>", "longest draft per round (draft_max)", NULL,
      ui_act_draft },
    { "set", "", "set", KEYS_ARG_REQ, "<key> [value]", "show or change a setting (top_k, top_p, seed...)",
      set_args, ui_act_set },
    { "page_up", "PgUp M-v", "pageup", KEYS_ARG_NONE, "", "scroll the conversation up a page", NULL,
      ui_act_page_up },
    { "page_down", "PgDn C-v", "pagedown", KEYS_ARG_NONE, "", "scroll down a page", NULL, ui_act_page_down },
    { "line_up", "M-Up WheelUp", "lineup", KEYS_ARG_NONE, "", "scroll up three lines", NULL, ui_act_line_up },
    { "line_down", "M-Down WheelDown", "linedown", KEYS_ARG_NONE, "", "scroll down three lines", NULL,
      ui_act_line_down },
    { "top", "M-<", "top", KEYS_ARG_NONE, "", "go to the start of the conversation", NULL, ui_act_top },
    { "bottom", "M->", "bottom", KEYS_ARG_NONE, "", "go to the end and follow the reply", NULL,
      ui_act_bottom },
    { "redraw", "C-l", "redraw", KEYS_ARG_NONE, "", "redraw the screen", NULL, ui_act_redraw },
    { "browse", "F11 M-o", "history", KEYS_ARG_NONE, "",
      "browse saved conversations (Enter continues one, v views it read-only)", NULL, ui_act_browse },
    { "statscreen", "F12 M-s", "speed", KEYS_ARG_NONE, "",
      "speed statistics of this and past sessions, by quant mode", NULL, ui_act_statscreen },
    { "continue", "", "continue", KEYS_ARG_NONE, "", "chat on in the conversation viewed read-only",
      NULL, ui_act_continue },
    { "marks", "M-m", "marks", KEYS_ARG_NONE, "", "show or hide which text the draft model got right",
      NULL, ui_act_marks },
};

#define N_ACTIONS (sizeof table / sizeof table[0])

const keys_action *
keys_table(size_t *n)
{
    *n = N_ACTIONS;
    return table;
}

const keys_action *
keys_find(const char *name)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const keys_action *
keys_find_slash(const char *cmd, size_t len)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strlen(table[i].slash) == len && memcmp(table[i].slash, cmd, len) == 0)
            return &table[i];
    return NULL;
}

/* One binding. */
struct keys_bind {
    int key;     /* the key */
    size_t act;  /* index into table */
};

struct keys_map {
    struct keys_bind *b; /* bindings, in the order made */
    size_t n;            /* count */
    size_t cap;          /* allocated */
};

static void
unbind_key(keys_map *m, int key)
{
    size_t j = 0;

    for (size_t i = 0; i < m->n; i++)
        if (m->b[i].key != key)
            m->b[j++] = m->b[i];
    m->n = j;
}

static void
unbind_action(keys_map *m, size_t act)
{
    size_t j = 0;

    for (size_t i = 0; i < m->n; i++)
        if (m->b[i].act != act)
            m->b[j++] = m->b[i];
    m->n = j;
}

static void
add_bind(keys_map *m, int key, size_t act)
{
    unbind_key(m, key);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->b = xreallocarray(m->b, m->cap, sizeof *m->b);
    }
    m->b[m->n].key = key;
    m->b[m->n].act = act;
    m->n++;
}

/* Parse spec into keys[] (at most max); returns the count or -1. */
static int
parse_spec(const char *spec, int *keys, int max, char *bad, size_t badsz)
{
    int n = 0;
    const char *p = spec;

    for (;;) {
        char name[64];
        size_t l;

        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (*p == '\0')
            return n;
        l = strcspn(p, " ,\t");
        if (l >= sizeof name || n == max) {
            snprintf(bad, badsz, "%.*s", (int)(l < 40 ? l : 40), p);
            return -1;
        }
        memcpy(name, p, l);
        name[l] = '\0';
        if ((keys[n] = keys_parse(name)) < 0) {
            snprintf(bad, badsz, "%s", name);
            return -1;
        }
        n++;
        p += l;
    }
}

keys_map *
keys_map_new(void)
{
    keys_map *m = xcalloc(1, sizeof *m);

    for (size_t i = 0; i < N_ACTIONS; i++) {
        int keys[8], n;
        char bad[64];

        n = parse_spec(table[i].keys, keys, 8, bad, sizeof bad);
        assert(n >= 0);
        for (int k = 0; k < n; k++)
            add_bind(m, keys[k], i);
    }
    return m;
}

void
keys_map_free(keys_map *m)
{
    if (m == NULL)
        return;
    free(m->b);
    free(m);
}

int
keys_map_bind(keys_map *m, const char *action, const char *spec, char *err, size_t errsz)
{
    const keys_action *a = keys_find(action);
    int keys[8], n;
    char bad[64];

    if (a == NULL) {
        snprintf(err, errsz, "unknown action '%s'", action);
        return -1;
    }
    if (strcmp(spec, "none") == 0) {
        unbind_action(m, (size_t)(a - table));
        return 0;
    }
    n = parse_spec(spec, keys, 8, bad, sizeof bad);
    if (n < 0) {
        snprintf(err, errsz, "unknown key '%s' (keys are written like C-a, M-x, F5, PgUp, Enter, ?)", bad);
        return -1;
    }
    if (n == 0) {
        snprintf(err, errsz, "no key given for '%s' (use none to unbind)", action);
        return -1;
    }
    unbind_action(m, (size_t)(a - table));
    for (int k = 0; k < n; k++)
        add_bind(m, keys[k], (size_t)(a - table));
    return 0;
}

const keys_action *
keys_map_lookup(const keys_map *m, int key)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->b[i].key == key)
            return &table[m->b[i].act];
    return NULL;
}

const char *
keys_map_describe(const keys_map *m, const keys_action *a, char *buf, size_t bufsz)
{
    size_t act = (size_t)(a - table), used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < m->n; i++) {
        char name[32];
        int w;

        if (m->b[i].act != act)
            continue;
        w = snprintf(buf + used, bufsz - used, "%s%s", used ? " " : "",
                     keys_name(m->b[i].key, name, sizeof name));
        if (w < 0 || (size_t)w >= bufsz - used)
            break;
        used += (size_t)w;
    }
    return buf;
}
