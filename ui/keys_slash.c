/* keys_slash.c: slash commands typed in the input box (parsing and Tab
 * completion) and the help screen, all generated from keys_table. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "uwidth.h"
#include "wrap.h"
#include "xmalloc.h"

static int
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* "did you mean" list of commands starting with s[0..n). */
static void
suggest(const char *s, size_t n, char *buf, size_t bufsz)
{
    size_t na, used = 0;
    const keys_action *t = keys_table(&na);

    buf[0] = '\0';
    for (size_t i = 0; i < na; i++) {
        int w;

        if (strncmp(t[i].slash, s, n) != 0)
            continue;
        w = snprintf(buf + used, bufsz - used, "%s/%s", used ? " " : "", t[i].slash);
        if (w < 0 || (size_t)w >= bufsz - used)
            break;
        used += (size_t)w;
    }
}

int
keys_slash(const char *line, const keys_action **act, char **arg, char *err, size_t errsz)
{
    const char *p, *e;
    const keys_action *a;
    size_t n;

    *act = NULL;
    *arg = NULL;
    if (line[0] != '/') {
        *arg = xstrdup(line);
        return KEYS_SLASH_TEXT;
    }
    if (line[1] == '/') {
        *arg = xstrdup(line + 1);
        return KEYS_SLASH_TEXT;
    }
    p = line + 1;
    n = 0;
    while (p[n] != '\0' && !is_blank(p[n]))
        n++;
    if (n == 0) {
        snprintf(err, errsz, "type a command after / (Tab completes, /help lists them; // sends a /)");
        return KEYS_SLASH_ERROR;
    }
    a = keys_find_slash(p, n);
    if (a == NULL) {
        char sug[256];

        suggest(p, n, sug, sizeof sug);
        if (sug[0])
            snprintf(err, errsz, "unknown command /%.*s: did you mean %s?", (int)(n > 40 ? 40 : n), p, sug);
        else
            snprintf(err, errsz, "unknown command /%.*s (/help lists the commands)", (int)(n > 40 ? 40 : n), p);
        return KEYS_SLASH_ERROR;
    }
    p += n;
    while (is_blank(*p))
        p++;
    e = p + strlen(p);
    while (e > p && is_blank(e[-1]))
        e--;
    if (e > p && a->arg == KEYS_ARG_NONE) {
        snprintf(err, errsz, "/%s takes no argument", a->slash);
        return KEYS_SLASH_ERROR;
    }
    if (e == p && a->arg == KEYS_ARG_REQ) {
        snprintf(err, errsz, "/%s needs an argument: /%s %s", a->slash, a->slash, a->arg_name);
        return KEYS_SLASH_ERROR;
    }
    *act = a;
    if (e > p)
        *arg = xstrndup(p, (size_t)(e - p));
    return KEYS_SLASH_CMD;
}

/* Candidates: words of list (NULL-terminated, or the slash names when
 * list is NULL) starting with pre[0..n). */
static void
gather(keys_compl *c, const char *const *list, const char *pre, size_t n)
{
    size_t na, cap = 0;
    const keys_action *t = keys_table(&na);

    for (size_t i = 0; list != NULL ? list[i] != NULL : i < na; i++) {
        const char *w = list != NULL ? list[i] : t[i].slash;

        if (strncmp(w, pre, n) != 0)
            continue;
        if (c->n_cands == cap) {
            cap = cap ? cap * 2 : 8;
            c->cands = xreallocarray(c->cands, cap, sizeof *c->cands);
        }
        c->cands[c->n_cands++] = xstrdup(w);
    }
}

size_t
keys_complete(const char *line, keys_compl *c)
{
    const char *sp, *pre;
    const char *const *list = NULL;
    const keys_action *a = NULL;
    size_t n, common;

    memset(c, 0, sizeof *c);
    if (line[0] != '/' || line[1] == '/')
        return 0;
    sp = line + 1 + strcspn(line + 1, " \t\n");
    if (*sp == '\0') {
        pre = line + 1;
    } else {
        a = keys_find_slash(line + 1, (size_t)(sp - line - 1));
        if (a == NULL)
            return 0;
        while (*sp == ' ' || *sp == '\t')
            sp++;
        pre = sp;
        if (strpbrk(pre, " \t\n") != NULL)
            return 0; /* only the first word of an argument */
        if (a->completions != NULL)
            list = a->completions;
        else if (strcmp(a->name, "help") != 0)
            return 0;
    }
    n = strlen(pre);
    gather(c, list, pre, n);
    if (c->n_cands == 0)
        return 0;
    common = strlen(c->cands[0]);
    for (size_t i = 1; i < c->n_cands; i++) {
        size_t k = 0;

        while (k < common && c->cands[i][k] == c->cands[0][k])
            k++;
        common = k;
    }
    if (c->n_cands == 1) {
        int space;

        if (a == NULL) /* a command name: a space when it takes an argument */
            space = keys_find_slash(c->cands[0], strlen(c->cands[0]))->arg != KEYS_ARG_NONE;
        else
            space = strcmp(a->name, "set") == 0;
        c->insert = xasprintf("%s%s", c->cands[0] + n, space ? " " : "");
        free(c->cands[0]);
        free(c->cands);
        c->cands = NULL;
        c->n_cands = 0;
        return 1;
    }
    c->insert = xstrndup(c->cands[0] + n, common - n);
    return c->n_cands;
}

void
keys_compl_free(keys_compl *c)
{
    for (size_t i = 0; i < c->n_cands; i++)
        free(c->cands[i]);
    free(c->cands);
    free(c->insert);
    memset(c, 0, sizeof *c);
}

/* A copy of s cut to width columns. */
static char *
fit(const char *s, int width)
{
    size_t len = strlen(s);
    size_t n = uwidth_fit(s, len, width > 0 ? (size_t)width : 0, NULL);

    return xstrndup(s, n);
}

/* Append a line to a growing array. */
static void
push_line(char ***lines, size_t *n, size_t *cap, char *line)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *lines = xreallocarray(*lines, *cap, sizeof **lines);
    }
    (*lines)[(*n)++] = line;
}

char **
keys_help(const keys_map *m, int width, size_t *n)
{
    size_t na, cap = 0;
    const keys_action *t = keys_table(&na);
    char **lines = NULL, *full;
    wrap_row *rows = NULL;
    size_t rows_cap = 0;

    *n = 0;
    full = xasprintf("%-16s %-28s %s", "Keys", "Command", "What it does");
    push_line(&lines, n, &cap, fit(full, width));
    free(full);
    for (size_t i = 0; i < na; i++) {
        char keys[128], cmd[64], *prefix;
        size_t pw, nr = 0, hl = strlen(t[i].help);

        keys_map_describe(m, &t[i], keys, sizeof keys);
        snprintf(cmd, sizeof cmd, "/%s%s%s", t[i].slash, t[i].arg_name[0] ? " " : "", t[i].arg_name);
        prefix = xasprintf("%-16s %-28s ", keys, cmd);
        pw = uwidth_str(prefix, strlen(prefix));
        if ((int)pw + 12 > width) {
            /* too narrow to wrap the text beside the columns: cut it */
            full = xasprintf("%s%s", prefix, t[i].help);
            push_line(&lines, n, &cap, fit(full, width));
            free(full);
            free(prefix);
            continue;
        }
        wrap_line(t[i].help, hl, width - (int)pw, 0, WRAP_WORD, &rows, &nr, &rows_cap);
        for (size_t r = 0; r < nr; r++) {
            full = xasprintf("%*s%.*s", r == 0 ? 0 : (int)pw, r == 0 ? prefix : "",
                             (int)(rows[r].end - rows[r].start), t[i].help + rows[r].start);
            push_line(&lines, n, &cap, full);
        }
        free(prefix);
    }
    free(rows);
    return lines;
}

void
keys_help_free(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}
