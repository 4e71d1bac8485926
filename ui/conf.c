/* conf.c: settings: their table, defaults, parsing of values and the
 * merging of file and command line (see conf.h; the file is read in
 * conf_file.c). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "keys.h"
#include "spec.h"
#include "xmalloc.h"

/* Kinds of values. */
enum ctype { C_STR, C_PATH, C_INT, C_DBL, C_SEED, C_BOOL, C_SPEC, C_THEME };

/* One setting. Its index is its bit in conf.given. */
struct ckey {
    const char *name; /* the key */
    int type;         /* enum ctype */
    size_t off;       /* offset of the field in struct conf */
    double min, max;  /* range of numbers */
};

#define F(x) offsetof(conf, x)
static const struct ckey ckeys[] = {
    { "model", C_PATH, F(model), 0, 0 },
    { "draft", C_PATH, F(draft), 0, 0 },
    { "models_dir", C_PATH, F(models_dir), 0, 0 },
    { "template", C_STR, F(chat_template), 0, 0 },
    { "ctx", C_INT, F(n_ctx), 0, 1 << 20 },
    { "threads", C_INT, F(threads), 0, 1024 },
    { "temp", C_DBL, F(temp), 0, 100 },
    { "top_k", C_INT, F(top_k), 0, 1000000 },
    { "top_p", C_DBL, F(top_p), 0, 1 },
    { "min_p", C_DBL, F(min_p), 0, 1 },
    { "repeat_penalty", C_DBL, F(repeat_penalty), 0.01, 100 },
    { "repeat_last_n", C_INT, F(repeat_last_n), 0, 1 << 20 },
    { "seed", C_SEED, F(seed), 0, 0 },
    { "n_predict", C_INT, F(n_predict), -1, 1 << 20 },
    { "spec", C_SPEC, F(spec), 0, 0 },
    { "draft_max", C_INT, F(draft_max), 0, SPEC_DRAFT_LIMIT },
    { "draft_min", C_INT, F(draft_min), 0, SPEC_DRAFT_LIMIT },
    { "theme", C_THEME, F(theme), 0, 0 },
    { "no_color", C_BOOL, F(no_color), 0, 0 },
    { "sidebar", C_BOOL, F(sidebar), 0, 0 },
    { "stats", C_BOOL, F(stats), 0, 0 },
    { "mouse", C_BOOL, F(mouse), 0, 0 },
    { "system", C_STR, F(system_prompt), 0, 0 },
    { "db", C_PATH, F(db), 0, 0 },
    { "editor", C_STR, F(editor), 0, 0 },
    { "copy_command", C_STR, F(copy_command), 0, 0 },
};
#undef F
#define N_CKEYS (sizeof ckeys / sizeof ckeys[0])
/* conf.given bit for key bindings */
#define BIND_BIT 63

static const char *const theme_names[] = { "dark", "light", "mono" };

const char *const *
conf_keys(void)
{
    static const char *names[N_CKEYS + 1];

    for (size_t i = 0; i < N_CKEYS; i++)
        names[i] = ckeys[i].name;
    names[N_CKEYS] = NULL;
    return names;
}

conf *
conf_new(void)
{
    conf *c = xcalloc(1, sizeof *c);

    c->temp = 0.8;
    c->top_k = 40;
    c->top_p = 0.95;
    c->min_p = 0.05;
    c->repeat_penalty = 1.0;
    c->repeat_last_n = 64;
    c->n_predict = -1;
    c->spec = SPEC_AUTO;
    c->draft_max = 16;
    c->draft_min = 0;
    c->theme = CONF_THEME_DARK;
    c->sidebar = 1;
    c->stats = 1;
    c->mouse = 1;
    return c;
}

void
conf_free(conf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < N_CKEYS; i++)
        if (ckeys[i].type == C_STR || ckeys[i].type == C_PATH)
            free(*(char **)(void *)((char *)c + ckeys[i].off));
    for (size_t i = 0; i < c->n_binds; i++) {
        free(c->binds[i].action);
        free(c->binds[i].keys);
    }
    free(c->binds);
    free(c);
}

static const struct ckey *
find_key(const char *name)
{
    for (size_t i = 0; i < N_CKEYS; i++)
        if (strcmp(ckeys[i].name, name) == 0)
            return &ckeys[i];
    return NULL;
}

/* Edit distance of two short strings, for "did you mean". */
static size_t
distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[33], prev;

    if (la > 32 || lb > 32)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        d[j] = j;
    for (size_t i = 1; i <= la; i++) {
        prev = d[0];
        d[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = d[j], best = prev + (a[i - 1] != b[j - 1]);

            if (d[j] + 1 < best)
                best = d[j] + 1;
            if (d[j - 1] + 1 < best)
                best = d[j - 1] + 1;
            d[j] = best;
            prev = cur;
        }
    }
    return d[lb];
}

static void
unknown_key(const char *key, char *err, size_t errsz)
{
    const char *best = NULL;
    size_t bd = 3;

    for (size_t i = 0; i < N_CKEYS; i++) {
        size_t dd = distance(key, ckeys[i].name);

        if (dd < bd) {
            bd = dd;
            best = ckeys[i].name;
        }
    }
    if (best != NULL)
        snprintf(err, errsz, "unknown setting '%s' (did you mean %s?)", key, best);
    else
        snprintf(err, errsz, "unknown setting '%s'", key);
}

static int
parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" }, *const no[] = { "0", "false", "no", "off" };

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* Set a binding "key.<action>". */
static int
set_bind(conf *c, const char *action, const char *value, char *err, size_t errsz)
{
    keys_map *m = keys_map_new();
    char e[160];
    int r = keys_map_bind(m, action, value, e, sizeof e);

    keys_map_free(m);
    if (r < 0) {
        snprintf(err, errsz, "key.%s: %s", action, e);
        return -1;
    }
    c->binds = xreallocarray(c->binds, c->n_binds + 1, sizeof *c->binds);
    c->binds[c->n_binds].action = xstrdup(action);
    c->binds[c->n_binds].keys = xstrdup(value);
    c->n_binds++;
    c->given |= (uint64_t)1 << BIND_BIT;
    return 0;
}

int
conf_set(conf *c, const char *key, const char *value, char *err, size_t errsz)
{
    const struct ckey *k;
    void *field;
    char *end;

    if (strncmp(key, "key.", 4) == 0)
        return set_bind(c, key + 4, value, err, errsz);
    if ((k = find_key(key)) == NULL) {
        unknown_key(key, err, errsz);
        return -1;
    }
    field = (char *)c + k->off;
    errno = 0;
    switch (k->type) {
    case C_STR:
    case C_PATH: {
        char **s = field;
        const char *home = getenv("HOME");

        free(*s);
        if (*value == '\0')
            *s = NULL;
        else if (k->type == C_PATH && value[0] == '~' && value[1] == '/' && home != NULL)
            *s = xasprintf("%s%s", home, value + 1);
        else
            *s = xstrdup(value);
        break;
    }
    case C_INT: {
        long v = strtol(value, &end, 10);

        if (*value == '\0' || *end != '\0' || errno != 0 || v < k->min || v > k->max) {
            snprintf(err, errsz, "%s: '%s' is not a whole number from %.0f to %.0f", key, value, k->min, k->max);
            return -1;
        }
        *(int *)field = (int)v;
        break;
    }
    case C_DBL: {
        double v = strtod(value, &end);

        if (*value == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < k->min || v > k->max) {
            snprintf(err, errsz, "%s: '%s' is not a number from %g to %g", key, value, k->min, k->max);
            return -1;
        }
        *(double *)field = v;
        break;
    }
    case C_SEED: {
        unsigned long long v;

        if (strcmp(value, "random") == 0) {
            *(uint64_t *)field = 0;
            break;
        }
        v = strtoull(value, &end, 10);
        if (*value == '\0' || *value == '-' || *end != '\0' || errno != 0) {
            snprintf(err, errsz, "%s: '%s' is not a whole number (or random)", key, value);
            return -1;
        }
        *(uint64_t *)field = (uint64_t)v;
        break;
    }
    case C_BOOL:
        if (parse_bool(value, field) < 0) {
            snprintf(err, errsz, "%s: '%s' is not true or false", key, value);
            return -1;
        }
        break;
    case C_SPEC: {
        int m = strcmp(value, "on") == 0 ? SPEC_AUTO : spec_mode_parse(value);

        if (m < 0) {
            snprintf(err, errsz, "%s: '%s' is not one of on, off, auto, draft, lookup", key, value);
            return -1;
        }
        *(int *)field = m;
        break;
    }
    case C_THEME: {
        size_t i;

        for (i = 0; i < 3; i++)
            if (strcmp(value, theme_names[i]) == 0)
                break;
        if (i == 3) {
            snprintf(err, errsz, "%s: '%s' is not one of dark, light, mono", key, value);
            return -1;
        }
        *(int *)field = (int)i;
        break;
    }
    }
    c->given |= (uint64_t)1 << (k - ckeys);
    return 0;
}

const char *
conf_get(const conf *c, const char *key, char *buf, size_t bufsz)
{
    const struct ckey *k = find_key(key);
    const void *field;

    if (k == NULL)
        return NULL;
    field = (const char *)c + k->off;
    switch (k->type) {
    case C_STR:
    case C_PATH: {
        const char *s = *(char *const *)field;

        snprintf(buf, bufsz, "%s", s != NULL ? s : "");
        break;
    }
    case C_INT:
        snprintf(buf, bufsz, "%d", *(const int *)field);
        break;
    case C_DBL:
        snprintf(buf, bufsz, "%g", *(const double *)field);
        break;
    case C_SEED:
        if (*(const uint64_t *)field == 0)
            snprintf(buf, bufsz, "random");
        else
            snprintf(buf, bufsz, "%llu", (unsigned long long)*(const uint64_t *)field);
        break;
    case C_BOOL:
        snprintf(buf, bufsz, "%s", *(const int *)field ? "true" : "false");
        break;
    case C_SPEC:
        snprintf(buf, bufsz, "%s", spec_mode_name(*(const int *)field));
        break;
    case C_THEME:
        snprintf(buf, bufsz, "%s", theme_names[*(const int *)field]);
        break;
    }
    return buf;
}

int
conf_given(const conf *c, const char *key)
{
    const struct ckey *k;

    if (strncmp(key, "key.", 4) == 0)
        return (c->given >> BIND_BIT) & 1;
    k = find_key(key);
    return k != NULL && ((c->given >> (k - ckeys)) & 1);
}

void
conf_merge(conf *base, const conf *over)
{
    for (size_t i = 0; i < N_CKEYS; i++) {
        const void *src = (const char *)over + ckeys[i].off;
        void *dst = (char *)base + ckeys[i].off;

        if (!((over->given >> i) & 1))
            continue;
        switch (ckeys[i].type) {
        case C_STR:
        case C_PATH: {
            const char *s = *(char *const *)src;

            free(*(char **)dst);
            *(char **)dst = s != NULL ? xstrdup(s) : NULL;
            break;
        }
        case C_DBL:
            *(double *)dst = *(const double *)src;
            break;
        case C_SEED:
            *(uint64_t *)dst = *(const uint64_t *)src;
            break;
        default:
            *(int *)dst = *(const int *)src;
            break;
        }
        base->given |= (uint64_t)1 << i;
    }
    for (size_t i = 0; i < over->n_binds; i++) {
        base->binds = xreallocarray(base->binds, base->n_binds + 1, sizeof *base->binds);
        base->binds[base->n_binds].action = xstrdup(over->binds[i].action);
        base->binds[base->n_binds].keys = xstrdup(over->binds[i].keys);
        base->n_binds++;
        base->given |= (uint64_t)1 << BIND_BIT;
    }
}
