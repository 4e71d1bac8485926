/* conf_file.c: reading the config file: "key = value" lines, "#" comment
 * lines, optional quotes; every bad line reported with its number. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "xmalloc.h"

/* A growing report. */
struct report {
    char *p;    /* text */
    size_t n;   /* bytes */
    int count;  /* problems */
};

__attribute__((format(printf, 2, 3))) static void
add(struct report *r, const char *fmt, ...)
{
    va_list ap;
    char *line;
    size_t l;

    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0)
        line = NULL;
    va_end(ap);
    if (line == NULL)
        return;
    l = strlen(line);
    r->p = xrealloc(r->p, r->n + l + 2);
    if (r->n)
        r->p[r->n++] = '\n';
    memcpy(r->p + r->n, line, l + 1);
    r->n += l;
    free(line);
    r->count++;
}

static char *
trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    *e = '\0';
    return s;
}

/* One line; returns 0 or -1 with a message. */
static int
parse_line(conf *c, char *line, char *err, size_t errsz)
{
    char *eq, *key, *val;
    size_t vl;

    line = trim(line);
    if (*line == '\0' || *line == '#')
        return 0;
    eq = strchr(line, '=');
    if (eq == NULL) {
        snprintf(err, errsz, "expected 'key = value', got '%.60s'", line);
        return -1;
    }
    *eq = '\0';
    key = trim(line);
    val = trim(eq + 1);
    if (*key == '\0') {
        snprintf(err, errsz, "no key before '='");
        return -1;
    }
    vl = strlen(val);
    if (vl > 0 && (val[0] == '"' || val[0] == '\'')) {
        if (vl < 2 || val[vl - 1] != val[0]) {
            snprintf(err, errsz, "%s: unterminated quote", key);
            return -1;
        }
        val[vl - 1] = '\0';
        val++;
    }
    return conf_set(c, key, val, err, errsz);
}

int
conf_load(conf *c, const char *path, int missing_ok, char **report)
{
    struct report r = { NULL, 0, 0 };
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;

    *report = NULL;
    if (f == NULL) {
        if (errno == ENOENT && missing_ok)
            return 0;
        add(&r, "%s: %s", path, strerror(errno));
        *report = r.p;
        return -1;
    }
    while (getline(&line, &cap, f) >= 0) {
        char err[256];

        lineno++;
        if (parse_line(c, line, err, sizeof err) < 0)
            add(&r, "%s:%ld: %s", path, lineno, err);
    }
    if (ferror(f))
        add(&r, "%s: read error", path);
    free(line);
    fclose(f);
    *report = r.p;
    return r.count;
}

char *
conf_default_path(void)
{
    const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

    if (x != NULL && x[0] == '/')
        return xasprintf("%s/ternchat/config", x);
    if (h != NULL && *h)
        return xasprintf("%s/.config/ternchat/config", h);
    return NULL;
}
