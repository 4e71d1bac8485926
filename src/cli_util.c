/* cli_util.c: helpers shared by the subcommands: one-line errors, strict
 * number parsing, reading a file or stdin. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "xmalloc.h"

int
cli_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("ternchat: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("ternchat: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'ternchat %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
    return 2;
}

int
cli_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int
cli_parse_float(const char *s, double *out)
{
    char *end;
    double v;

    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

char *
cli_read_file(const char *path, size_t *len, char *err, size_t errsz)
{
    FILE *f;
    char *buf = NULL;
    size_t n = 0, cap = 0, r;
    int is_stdin = strcmp(path, "-") == 0;

    f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = xrealloc(buf, cap + 1);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errsz, "%s: read error: %s", is_stdin ? "standard input" : path,
                 strerror(errno));
        free(buf);
        if (!is_stdin)
            fclose(f);
        return NULL;
    }
    if (!is_stdin)
        fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}
