/* json.c: the JSON parser declared in json.h and the accessors of its
 * values. It is strict (RFC 8259: UTF-8 only, no trailing commas, no
 * comments) because it reads files that may come from anywhere. */
#include "config.h"

#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_int.h"

#define JSON_MAX_DEPTH 200 /* deepest nesting the parser accepts */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, > U+10FFFF). */
size_t
json_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

struct json_value {
    json_type type;        /* which of the fields below is used */
    int boolean;           /* JSON_BOOL */
    double num;            /* JSON_NUMBER */
    int is_int;            /* JSON_NUMBER written as an integer within int64_t */
    int64_t inum;          /* JSON_NUMBER when is_int */
    char *str;             /* JSON_STRING: bytes, NUL-terminated */
    size_t slen;           /* JSON_STRING: length */
    json_value **items;    /* JSON_ARRAY / JSON_OBJECT: element or member values */
    char **keys;           /* JSON_OBJECT: member names */
    size_t n;              /* elements / members */
    size_t cap;            /* allocated slots */
};

/* Parser state. */
struct json_parser {
    const char *s;   /* the text */
    size_t len;      /* its length */
    size_t pos;      /* next byte */
    int depth;       /* containers open */
    char *err;       /* caller's message buffer */
    size_t errsz;    /* its size */
    int failed;      /* a message is in err */
};

static void jp_fail(struct json_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
jp_fail(struct json_parser *p, const char *fmt, ...)
{
    va_list ap;
    size_t i, line = 1, col = 1;
    int off;

    if (p->failed)
        return;
    p->failed = 1;
    if (p->err == NULL || p->errsz == 0)
        return;
    for (i = 0; i < p->pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)p->s[i] & 0xc0) != 0x80) {
            col++;
        }
    }
    off = snprintf(p->err, p->errsz, "line %zu, column %zu: ", line, col);
    if (off < 0 || (size_t)off >= p->errsz)
        return;
    va_start(ap, fmt);
    vsnprintf(p->err + off, p->errsz - (size_t)off, fmt, ap);
    va_end(ap);
}

void
json_free(json_value *v)
{
    size_t i;

    if (v == NULL)
        return;
    for (i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

static void
jp_ws(struct json_parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static json_value *
jp_new(struct json_parser *p, json_type t)
{
    json_value *v = calloc(1, sizeof *v);

    if (v == NULL)
        jp_fail(p, "out of memory");
    else
        v->type = t;
    return v;
}

/* Append a byte run to a growable string; -1 when out of memory. */
static int
sb_put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*cap - *len < n + 1) {
        size_t ncap = *cap ? *cap : 32;
        char *nb;

        while (ncap - *len < n + 1)
            ncap *= 2;
        nb = realloc(*buf, ncap);
        if (nb == NULL)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int
hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t
utf8_encode(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Parse a string at p->pos (on the opening quote) into a new buffer. */
static char *
jp_string(struct json_parser *p, size_t *outlen)
{
    char *buf = NULL;
    size_t len = 0, cap = 0, start;
    char enc[4];

    p->pos++; /* the opening quote */
    if (sb_put(&buf, &len, &cap, "", 0) < 0)
        goto oom;
    for (;;) {
        unsigned char c;

        start = p->pos;
        while (p->pos < p->len) {
            c = (unsigned char)p->s[p->pos];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
                break;
            p->pos++;
        }
        if (sb_put(&buf, &len, &cap, p->s + start, p->pos - start) < 0)
            goto oom;
        if (p->pos >= p->len) {
            jp_fail(p, "unterminated string");
            goto fail;
        }
        c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            *outlen = len;
            return buf;
        }
        if (c < 0x20) {
            jp_fail(p, "control character 0x%02x in a string (must be escaped)", c);
            goto fail;
        }
        if (c >= 0x80) {
            size_t k = json_utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);

            if (k == 0) {
                jp_fail(p, "invalid UTF-8 in a string");
                goto fail;
            }
            if (sb_put(&buf, &len, &cap, p->s + p->pos, k) < 0)
                goto oom;
            p->pos += k;
            continue;
        }
        /* a backslash escape */
        if (p->pos + 1 >= p->len) {
            jp_fail(p, "unterminated string");
            goto fail;
        }
        c = (unsigned char)p->s[p->pos + 1];
        {
            const char *simple = NULL;
            unsigned cp, lo;

            switch (c) {
            case '"': simple = "\""; break;
            case '\\': simple = "\\"; break;
            case '/': simple = "/"; break;
            case 'b': simple = "\b"; break;
            case 'f': simple = "\f"; break;
            case 'n': simple = "\n"; break;
            case 'r': simple = "\r"; break;
            case 't': simple = "\t"; break;
            case 'u': break;
            default:
                p->pos++;
                jp_fail(p, "invalid escape '\\%c' in a string", c >= 0x20 && c < 0x7f ? c : '?');
                goto fail;
            }
            if (simple != NULL) {
                if (sb_put(&buf, &len, &cap, simple, 1) < 0)
                    goto oom;
                p->pos += 2;
                continue;
            }
            if (p->pos + 6 > p->len || hex4(p->s + p->pos + 2, &cp) < 0) {
                jp_fail(p, "invalid \\u escape in a string");
                goto fail;
            }
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                jp_fail(p, "invalid \\u escape in a string (lone low surrogate)");
                goto fail;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (p->pos + 12 > p->len || p->s[p->pos + 6] != '\\' || p->s[p->pos + 7] != 'u'
                    || hex4(p->s + p->pos + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
                    jp_fail(p, "invalid \\u escape in a string (lone high surrogate)");
                    goto fail;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p->pos += 6;
            }
            p->pos += 6;
            if (sb_put(&buf, &len, &cap, enc, utf8_encode(cp, enc)) < 0)
                goto oom;
        }
    }
oom:
    jp_fail(p, "out of memory");
fail:
    free(buf);
    return NULL;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static json_value *
jp_number(struct json_parser *p)
{
    size_t start = p->pos, i;
    int is_int = 1;
    json_value *v;
    char tmp[64], *copy = tmp;
    size_t n;

    if (p->pos < p->len && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') {
        jp_fail(p, "invalid number");
        return NULL;
    }
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else {
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        is_int = 0;
        p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') {
            jp_fail(p, "invalid number (no digit after '.')");
            return NULL;
        }
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        is_int = 0;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') {
            jp_fail(p, "invalid number (no digit in the exponent)");
            return NULL;
        }
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    v = jp_new(p, JSON_NUMBER);
    if (v == NULL)
        return NULL;
    n = p->pos - start;
    if (n >= sizeof tmp) {
        copy = malloc(n + 1);
        if (copy == NULL) {
            json_free(v);
            jp_fail(p, "out of memory");
            return NULL;
        }
    }
    memcpy(copy, p->s + start, n);
    copy[n] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    v->num = c_locale != (locale_t)0 ? strtod_l(copy, NULL, c_locale) : strtod(copy, NULL);
    if (is_int) {
        /* exact integer value when it fits int64_t */
        const char *d = copy + (copy[0] == '-');
        uint64_t acc = 0, limit = copy[0] == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

        for (i = 0; d[i] != '\0'; i++) {
            unsigned digit = (unsigned)(d[i] - '0');

            if (acc > (limit - digit) / 10) {
                is_int = 0;
                break;
            }
            acc = acc * 10 + digit;
        }
        if (is_int) {
            v->is_int = 1;
            v->inum = copy[0] == '-' ? (int64_t)(0 - acc) : (int64_t)acc;
        }
    }
    if (copy != tmp)
        free(copy);
    return v;
}

static int
jp_literal(struct json_parser *p, const char *word)
{
    size_t n = strlen(word);

    if (p->len - p->pos >= n && memcmp(p->s + p->pos, word, n) == 0) {
        p->pos += n;
        return 1;
    }
    return 0;
}

/* Append an item (and key, for objects) to a container. */
static int
jp_push(struct json_parser *p, json_value *c, char *key, json_value *item)
{
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 4;
        json_value **ni = realloc(c->items, ncap * sizeof *ni);

        if (ni == NULL)
            goto oom;
        c->items = ni;
        if (c->type == JSON_OBJECT) {
            char **nk = realloc(c->keys, ncap * sizeof *nk);

            if (nk == NULL)
                goto oom;
            c->keys = nk;
        }
        c->cap = ncap;
    }
    c->items[c->n] = item;
    if (c->type == JSON_OBJECT)
        c->keys[c->n] = key;
    c->n++;
    return 0;
oom:
    jp_fail(p, "out of memory");
    return -1;
}

static json_value *jp_value(struct json_parser *p);

static json_value *
jp_container(struct json_parser *p, json_type t)
{
    char close = t == JSON_ARRAY ? ']' : '}';
    json_value *c, *item;
    char *key = NULL;
    size_t klen;

    if (++p->depth > JSON_MAX_DEPTH) {
        jp_fail(p, "nesting deeper than %d", JSON_MAX_DEPTH);
        return NULL;
    }
    c = jp_new(p, t);
    if (c == NULL)
        return NULL;
    p->pos++; /* [ or { */
    jp_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        p->depth--;
        return c;
    }
    for (;;) {
        jp_ws(p);
        if (t == JSON_OBJECT) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                jp_fail(p, "expected a member name in double quotes");
                goto fail;
            }
            key = jp_string(p, &klen);
            if (key == NULL)
                goto fail;
            if (strlen(key) != klen) {
                jp_fail(p, "member name contains \\u0000");
                goto fail;
            }
            jp_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                jp_fail(p, "expected ':' after a member name");
                goto fail;
            }
            p->pos++;
        }
        item = jp_value(p);
        if (item == NULL)
            goto fail;
        if (jp_push(p, c, key, item) < 0) {
            json_free(item);
            goto fail;
        }
        key = NULL;
        jp_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            p->depth--;
            return c;
        }
        jp_fail(p, "expected ',' or '%c'", close);
        goto fail;
    }
fail:
    free(key);
    json_free(c);
    return NULL;
}

static json_value *
jp_value(struct json_parser *p)
{
    json_value *v;
    char c;

    jp_ws(p);
    if (p->pos >= p->len) {
        jp_fail(p, "unexpected end of input");
        return NULL;
    }
    c = p->s[p->pos];
    if (c == '{')
        return jp_container(p, JSON_OBJECT);
    if (c == '[')
        return jp_container(p, JSON_ARRAY);
    if (c == '"') {
        size_t n;
        char *s = jp_string(p, &n);

        if (s == NULL)
            return NULL;
        v = jp_new(p, JSON_STRING);
        if (v == NULL) {
            free(s);
            return NULL;
        }
        v->str = s;
        v->slen = n;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return jp_number(p);
    if (jp_literal(p, "true") || jp_literal(p, "false")) {
        v = jp_new(p, JSON_BOOL);
        if (v != NULL)
            v->boolean = c == 't';
        return v;
    }
    if (jp_literal(p, "null"))
        return jp_new(p, JSON_NULL);
    jp_fail(p, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
    return NULL;
}

json_value *
json_parse(const char *text, size_t len, char *err, size_t errsz)
{
    struct json_parser p = { text, len, 0, 0, err, errsz, 0 };
    json_value *v;

    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        p.pos = 3; /* a byte order mark */
    v = jp_value(&p);
    if (v == NULL)
        return NULL;
    jp_ws(&p);
    if (p.pos != p.len) {
        jp_fail(&p, "unexpected text after the value");
        json_free(v);
        return NULL;
    }
    return v;
}

json_type
json_typeof(const json_value *v)
{
    return v != NULL ? v->type : JSON_NULL;
}

const char *
json_type_name(json_type t)
{
    switch (t) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "boolean";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "?";
}

size_t
json_len(const json_value *v)
{
    return v != NULL && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) ? v->n : 0;
}

const json_value *
json_at(const json_value *v, size_t i)
{
    return i < json_len(v) ? v->items[i] : NULL;
}

const char *
json_key_at(const json_value *v, size_t i)
{
    return v != NULL && v->type == JSON_OBJECT && i < v->n ? v->keys[i] : NULL;
}

const json_value *
json_get(const json_value *v, const char *key)
{
    size_t i;

    if (v == NULL || v->type != JSON_OBJECT)
        return NULL;
    for (i = 0; i < v->n; i++) {
        if (strcmp(v->keys[i], key) == 0)
            return v->items[i];
    }
    return NULL;
}

const char *
json_str(const json_value *v, size_t *len)
{
    if (v == NULL || v->type != JSON_STRING)
        return NULL;
    if (len != NULL)
        *len = v->slen;
    return v->str;
}

int
json_bool_value(const json_value *v)
{
    return v != NULL && v->type == JSON_BOOL ? v->boolean : 0;
}

double
json_number(const json_value *v)
{
    return v != NULL && v->type == JSON_NUMBER ? v->num : 0.0;
}

int
json_int64(const json_value *v, int64_t *out)
{
    if (v == NULL || v->type != JSON_NUMBER || !v->is_int)
        return -1;
    *out = v->inum;
    return 0;
}

void
json_write_value(json_writer *w, const json_value *v)
{
    size_t i;

    switch (json_typeof(v)) {
    case JSON_NULL:
        json_null(w);
        break;
    case JSON_BOOL:
        json_bool(w, v->boolean);
        break;
    case JSON_NUMBER:
        if (v->is_int)
            json_int(w, v->inum);
        else
            json_double(w, v->num);
        break;
    case JSON_STRING:
        json_string_n(w, v->str, v->slen);
        break;
    case JSON_ARRAY:
        json_begin_array(w);
        for (i = 0; i < v->n; i++)
            json_write_value(w, v->items[i]);
        json_end_array(w);
        break;
    case JSON_OBJECT:
        json_begin_object(w);
        for (i = 0; i < v->n; i++) {
            json_key(w, v->keys[i]);
            json_write_value(w, v->items[i]);
        }
        json_end_object(w);
        break;
    }
}
