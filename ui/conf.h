/* conf.h: ternchat's settings: defaults, the config file
 * ($XDG_CONFIG_HOME/ternchat/config, default ~/.config/ternchat/config)
 * and command-line options, merged in that order. The file holds
 * "key = value" lines; "#" starts a comment line; values may be quoted
 * ("..." or '...'). Keys: models (model, draft, models_dir, template,
 * ctx, threads), sampling (temp, top_k, top_p, min_p, repeat_penalty,
 * repeat_last_n, seed, n_predict), speculation (spec, draft_max,
 * draft_min), the screen (theme, no_color, sidebar, stats, mouse, system,
 * db, editor, copy_command) and key bindings ("key.<action> = <keys>", e.g.
 * "key.quit = C-q F10", "key.copy = none"). Each setting remembers
 * whether it was given, so that options given on the command line can
 * override those of the file (conf_merge). */
#ifndef TERNCHAT_CONF_H
#define TERNCHAT_CONF_H

#include <stddef.h>
#include <stdint.h>

/* Colour themes. */
enum conf_theme {
    CONF_THEME_DARK = 0, /* for dark terminals (default) */
    CONF_THEME_LIGHT,    /* for light terminals */
    CONF_THEME_MONO      /* no colours, attributes only */
};

/* A key binding from the config: "key.<action> = <keys>". */
typedef struct conf_bind {
    char *action; /* action name (keys_table) */
    char *keys;   /* key names, or "none" */
} conf_bind;

typedef struct conf {
    char *model;           /* target model path, or NULL: the default pair */
    char *draft;           /* draft model path, or NULL */
    char *models_dir;      /* where to look for the default models, or NULL */
    char *chat_template;   /* built-in template name, or NULL: the model's */
    int n_ctx;             /* context size (0: the model's, capped) */
    int threads;           /* worker threads (0: online CPUs) */
    double temp;           /* temperature (0: greedy) */
    int top_k;             /* top-k (0: off) */
    double top_p;          /* top-p (1: off) */
    double min_p;          /* min-p (0: off) */
    double repeat_penalty; /* repetition penalty (1: off) */
    int repeat_last_n;     /* tokens the penalty looks back */
    uint64_t seed;         /* RNG seed (0: random each run) */
    int n_predict;         /* most tokens per reply (-1: no limit) */
    int spec;              /* enum spec_mode (spec.h) */
    int draft_max;         /* longest draft per round */
    int draft_min;         /* shortest draft per round */
    int theme;             /* enum conf_theme */
    int no_color;          /* 1: monochrome (also when $NO_COLOR is set) */
    int sidebar;           /* show the conversation list at start */
    int stats;             /* show the speed panel at start */
    int mouse;             /* use the mouse (wheel scrolling) */
    char *system_prompt;   /* system prompt of new conversations, or NULL */
    char *db;              /* history database path, or NULL: the default */
    char *editor;          /* editor for compose, or NULL: $VISUAL / $EDITOR / vi */
    char *copy_command;    /* shell command that takes copied text on its stdin
                            * (e.g. "xclip -selection clipboard"), or NULL: OSC 52 */
    conf_bind *binds;      /* key bindings, in the order given */
    size_t n_binds;        /* their count */
    uint64_t given;        /* bit i: setting i of the key table was given */
} conf;

/* A config with the defaults, nothing marked given. */
conf *conf_new(void);
void conf_free(conf *c);

/* Set one setting from text, as the file or an option would ("temp",
 * "0.7"; "key.quit", "C-q"); it is then marked given. Returns 0, or -1
 * with a message (unknown key, bad value and what is allowed). */
int conf_set(conf *c, const char *key, const char *value, char *err, size_t errsz);
/* The value of a setting as text (into buf); NULL for an unknown key. */
const char *conf_get(const conf *c, const char *key, char *buf, size_t bufsz);
/* 1 if the setting was given (file, option or conf_set). */
int conf_given(const conf *c, const char *key);
/* Names of the settings (NULL-terminated), for help and completion. */
const char *const *conf_keys(void);

/* Read a config file into c. Every bad line is reported as
 * "PATH:LINE: message" in *report (lines separated by '\n'; NULL when
 * there is nothing to report; caller frees) and skipped. Returns the
 * number of problems, or -1 if the file cannot be read (the reason in
 * *report). A missing file is not a problem when missing_ok is set. */
int conf_load(conf *c, const char *path, int missing_ok, char **report);
/* The default path ($XDG_CONFIG_HOME/ternchat/config or
 * $HOME/.config/ternchat/config), a new string; NULL if neither variable
 * is set. */
char *conf_default_path(void);

/* Copy every setting given in over into base (strings copied, key
 * bindings appended): base = file, over = command line. */
void conf_merge(conf *base, const conf *over);

#endif
