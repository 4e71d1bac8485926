/* json_write.c: the JSON writer declared in json.h: builds compact or
 * indented text in memory, escaping what JSON requires and the control
 * characters a terminal would act on. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_int.h"
#include "xmalloc.h"

struct json_writer {
    char *buf;            /* the text (NUL-terminated) */
    size_t len;           /* bytes used */
    size_t cap;           /* bytes allocated */
    int pretty;           /* newlines and indentation */
    size_t depth;         /* open containers */
    unsigned char *empty; /* per depth (1-based): nothing written in it yet */
    size_t empty_cap;     /* entries allocated in empty */
    int after_key;        /* a key was written; its value comes next */
};

static void
w_put(json_writer *w, const char *s, size_t n)
{
    if (w->cap - w->len < n + 1) {
        while (w->cap - w->len < n + 1)
            w->cap = w->cap ? w->cap * 2 : 256;
        w->buf = xrealloc(w->buf, w->cap);
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void
w_puts(json_writer *w, const char *s)
{
    w_put(w, s, strlen(s));
}

static void
w_newline(json_writer *w)
{
    size_t i;

    if (!w->pretty)
        return;
    w_put(w, "\n", 1);
    for (i = 0; i < w->depth; i++)
        w_put(w, "  ", 2);
}

/* What comes before a value or a key: a comma and/or a new line. */
static void
w_before(json_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    if (!w->empty[w->depth])
        w_put(w, ",", 1);
    w->empty[w->depth] = 0;
    w_newline(w);
}

json_writer *
json_writer_new(int pretty)
{
    json_writer *w = xcalloc(1, sizeof *w);

    w->pretty = pretty;
    w_put(w, "", 0);
    return w;
}

void
json_writer_free(json_writer *w)
{
    if (w == NULL)
        return;
    free(w->buf);
    free(w->empty);
    free(w);
}

static void
w_open(json_writer *w, const char *bracket)
{
    w_before(w);
    w_puts(w, bracket);
    w->depth++;
    if (w->depth >= w->empty_cap) {
        w->empty_cap = w->empty_cap ? w->empty_cap * 2 : 16;
        w->empty = xrealloc(w->empty, w->empty_cap);
    }
    w->empty[w->depth] = 1;
}

static void
w_close(json_writer *w, const char *bracket)
{
    int was_empty;

    if (w->depth == 0)
        return;
    was_empty = w->empty[w->depth];
    w->depth--;
    if (!was_empty)
        w_newline(w);
    w_puts(w, bracket);
}

void
json_begin_object(json_writer *w)
{
    w_open(w, "{");
}

void
json_end_object(json_writer *w)
{
    w_close(w, "}");
}

void
json_begin_array(json_writer *w)
{
    w_open(w, "[");
}

void
json_end_array(json_writer *w)
{
    w_close(w, "]");
}

/* A quoted, escaped string (no separator handling). */
static void
w_quoted(json_writer *w, const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, start = 0, k;
    char tmp[8];

    w_put(w, "\"", 1);
    while (i < n) {
        unsigned char c = s[i];
        const char *esc = NULL;

        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            k = json_utf8_len(s + i, n - i);
            if (k == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
                /* C1 controls (U+0080..U+009F) escaped: harmless on a terminal */
                w_put(w, p + start, i - start);
                snprintf(tmp, sizeof tmp, "\\u%04x", s[i + 1]);
                w_puts(w, tmp);
                i += 2;
                start = i;
                continue;
            }
            if (k > 0) {
                i += k;
                continue;
            }
            esc = "\xef\xbf\xbd"; /* U+FFFD for a byte that is not UTF-8 */
        } else if (c == '"') {
            esc = "\\\"";
        } else if (c == '\\') {
            esc = "\\\\";
        } else if (c == '\n') {
            esc = "\\n";
        } else if (c == '\t') {
            esc = "\\t";
        } else if (c == '\r') {
            esc = "\\r";
        } else if (c == '\b') {
            esc = "\\b";
        } else if (c == '\f') {
            esc = "\\f";
        } else {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            esc = tmp;
        }
        w_put(w, p + start, i - start);
        w_puts(w, esc);
        i++;
        start = i;
    }
    w_put(w, p + start, n - start);
    w_put(w, "\"", 1);
}

void
json_key(json_writer *w, const char *key)
{
    w_before(w);
    w_quoted(w, key, strlen(key));
    w_puts(w, w->pretty ? ": " : ":");
    w->after_key = 1;
}

void
json_string_n(json_writer *w, const char *s, size_t n)
{
    w_before(w);
    w_quoted(w, s, n);
}

void
json_string(json_writer *w, const char *s)
{
    json_string_n(w, s, strlen(s));
}

void
json_int(json_writer *w, int64_t v)
{
    char tmp[32];

    w_before(w);
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    w_puts(w, tmp);
}

void
json_double(json_writer *w, double v)
{
    char tmp[64], *p;
    int prec;

    w_before(w);
    if (!isfinite(v)) {
        w_puts(w, "null");
        return;
    }
    if (v == 0) { /* "-0" would read back as the integer 0 */
        w_puts(w, signbit(v) ? "-0.0" : "0");
        return;
    }
    /* the shortest form that reads back as the same double */
    for (prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    for (p = tmp; *p; p++) {
        if (*p == ',')
            *p = '.'; /* a locale's decimal comma */
    }
    w_puts(w, tmp);
}

void
json_bool(json_writer *w, int v)
{
    w_before(w);
    w_puts(w, v ? "true" : "false");
}

void
json_null(json_writer *w)
{
    w_before(w);
    w_puts(w, "null");
}

const char *
json_writer_text(const json_writer *w, size_t *len)
{
    if (len != NULL)
        *len = w->len;
    return w->buf;
}

char *
json_writer_finish(json_writer *w, size_t *len)
{
    char *s = w->buf;

    if (len != NULL)
        *len = w->len;
    w->buf = NULL;
    json_writer_free(w);
    return s;
}
