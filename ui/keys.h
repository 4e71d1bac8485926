/* keys.h: keys as ternchat sees them, and the one table of actions. A key
 * is an int: a Unicode code point for a character (control characters
 * included: C-a is 1, Enter 13, Tab 9), a KEYS_* value above Unicode for
 * the other keys, and KEYS_META added for Alt (or Esc then the key).
 *
 * Every action the user can take is a row of keys_table: its name (also
 * the config key "key.<name>"), the keys bound to it by default, the
 * slash command that does the same from the input box, a help line and
 * the handler (ui_act.c). The help screen, the completion of slash
 * commands and the config's key rebinding are all generated from it. */
#ifndef TERNCHAT_KEYS_H
#define TERNCHAT_KEYS_H

#include <stddef.h>

#define KEYS_CTRL(c) ((c) & 0x1f)
#define KEYS_META 0x40000000
#define KEYS_SPECIAL 0x110000

/* Keys that are not characters. */
enum keys_special {
    KEYS_UP = KEYS_SPECIAL + 1,
    KEYS_DOWN,
    KEYS_LEFT,
    KEYS_RIGHT,
    KEYS_HOME,
    KEYS_END,
    KEYS_PGUP,
    KEYS_PGDN,
    KEYS_INSERT,
    KEYS_DELETE,
    KEYS_BACKSPACE,
    KEYS_BTAB,        /* Shift+Tab */
    KEYS_ESC,         /* Esc on its own */
    KEYS_RESIZE,      /* the terminal changed size */
    KEYS_WHEEL_UP,    /* mouse wheel */
    KEYS_WHEEL_DOWN,
    KEYS_PASTE_BEGIN, /* bracketed paste: ESC[200~ */
    KEYS_PASTE_END,   /* ESC[201~ */
    KEYS_F0           /* F1 is KEYS_F0 + 1 ... F12 */
};
#define KEYS_F(n) (KEYS_F0 + (n))
#define KEYS_ENTER 13

/* The name of a key as the help and the config write it: "C-a", "M-b",
 * "F1", "PgUp", "Enter", "M-Enter", "?", "Space". Writes to buf (at
 * least 32 bytes) and returns it. */
const char *keys_name(int key, char *buf, size_t bufsz);
/* The key a name stands for (case-insensitive for named keys; "C-x",
 * "^X", "M-x", "Alt-x", "Ctrl-x" forms), or -1. */
int keys_parse(const char *name);

/* Does an action take an argument? */
enum keys_arg {
    KEYS_ARG_NONE = 0, /* no argument */
    KEYS_ARG_OPT,      /* optional */
    KEYS_ARG_REQ       /* required */
};

struct ui;

/* One action. */
typedef struct keys_action {
    const char *name;       /* action name, "key.<name>" in the config */
    const char *keys;       /* default keys, space-separated key names ("" none) */
    const char *slash;      /* the slash command (without the '/') */
    int arg;                /* enum keys_arg */
    const char *arg_name;   /* the argument in the help ("<type>") */
    const char *help;       /* one line */
    const char *const *completions; /* argument values for Tab (NULL-terminated) or NULL */
    int (*run)(struct ui *u, const char *arg); /* handler: 0, or -1 (message shown) */
} keys_action;

/* A character key without modifiers ("?") acts only while the input box
 * is empty; otherwise it is typed. */

/* The table and its size. */
const keys_action *keys_table(size_t *n);
/* An action by name / by slash command (exact), or NULL. */
const keys_action *keys_find(const char *name);
const keys_action *keys_find_slash(const char *cmd, size_t len);

/* Key bindings: key -> action, from the defaults and the config. */
typedef struct keys_map keys_map;

keys_map *keys_map_new(void);
void keys_map_free(keys_map *m);
/* Bind action to the keys in spec (space- or comma-separated names;
 * "none" clears the action's keys); replaces the action's keys, and
 * takes each key away from any other action. Returns 0, or -1 with a
 * message (unknown action or key name). */
int keys_map_bind(keys_map *m, const char *action, const char *spec, char *err, size_t errsz);
/* The action bound to key, or NULL. */
const keys_action *keys_map_lookup(const keys_map *m, int key);
/* The keys of an action as text ("F1, ?"), into buf. */
const char *keys_map_describe(const keys_map *m, const keys_action *a, char *buf, size_t bufsz);

/* Slash commands. */
enum keys_slash {
    KEYS_SLASH_TEXT = 0, /* not a command: a prompt to send */
    KEYS_SLASH_CMD,      /* a command: *act and *arg */
    KEYS_SLASH_ERROR     /* a bad command: message in err */
};

/* Parse a line from the input box. A prompt is *arg (a leading "//"
 * stands for a literal "/"); a command gives the action and its argument
 * (trimmed; NULL when none). *arg is a new string or NULL: caller frees. */
int keys_slash(const char *line, const keys_action **act, char **arg, char *err, size_t errsz);

/* Tab completion of a slash command being typed. */
typedef struct keys_compl {
    char *insert;   /* text to insert at the cursor (may be "") */
    char **cands;   /* the candidates (whole words) when more than one */
    size_t n_cands; /* their count */
} keys_compl;

/* Complete line (the input up to the cursor). Returns the number of
 * matches (0: nothing to complete). Free with keys_compl_free. */
size_t keys_complete(const char *line, keys_compl *c);
void keys_compl_free(keys_compl *c);

/* The help screen: a title line, then per action its keys, its command
 * and its help text, the text wrapped beside the columns to width (or cut
 * when the width leaves no room). Returns an array of n new strings;
 * free with keys_help_free. */
char **keys_help(const keys_map *m, int width, size_t *n);
void keys_help_free(char **help, size_t n);

#endif
