/* tok_stream.c: streaming detokenization. Each id's piece is appended to
 * a small UTF-8 assembler that releases only whole characters: bytes of a
 * character split over several tokens (<0xE2> <0x96> <0x81>) are held
 * until it is complete, and ill-formed sequences become U+FFFD, so every
 * write is valid UTF-8. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tok_int.h"
#include "xmalloc.h"

/* A streaming decoder. */
struct tok_stream {
    const tok *t;          /* the tokenizer */
    unsigned flags;        /* TOK_STREAM_* */
    int strip;             /* drop one leading space from the next piece with text */
    unsigned char held[4]; /* bytes of an incomplete character */
    size_t nheld;          /* bytes in held */
    char *out;             /* output of the current call */
    size_t nout;           /* bytes in out */
    size_t cap;            /* bytes allocated for out */
};

static int
strip_armed(const tok_stream *s)
{
    return s->t->kind == TOK_SPM && s->t->add_space_prefix && !(s->flags & TOK_STREAM_KEEP_SPACE);
}

tok_stream *
tok_stream_new(const tok *t, unsigned flags)
{
    tok_stream *s = xcalloc(1, sizeof *s);

    s->t = t;
    s->flags = flags;
    s->strip = strip_armed(s);
    s->cap = 64;
    s->out = xmalloc(s->cap);
    return s;
}

void
tok_stream_free(tok_stream *s)
{
    if (s == NULL)
        return;
    free(s->out);
    free(s);
}

void
tok_stream_reset(tok_stream *s)
{
    s->nheld = 0;
    s->nout = 0;
    s->strip = strip_armed(s);
}

static void
put(tok_stream *s, const void *p, size_t n)
{
    if (s->cap - s->nout < n + 1) {
        while (s->cap - s->nout < n + 1)
            s->cap *= 2;
        s->out = xrealloc(s->out, s->cap);
    }
    memcpy(s->out + s->nout, p, n);
    s->nout += n;
}

static void
put_fffd(tok_stream *s)
{
    put(s, "\xEF\xBF\xBD", 3);
}

/* Bytes a character with this lead byte needs (0: not a lead byte). */
static size_t
lead_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* Feed bytes through the assembler. */
static void
feed(tok_stream *s, const unsigned char *p, size_t n)
{
    size_t i, len, bad;

    for (i = 0; i < n; i++) {
        unsigned char c = p[i];

        if (s->nheld == 0) {
            len = lead_len(c);
            if (len == 1) {
                put(s, &c, 1);
            } else if (len == 0) {
                put_fffd(s);
            } else {
                s->held[s->nheld++] = c;
            }
            continue;
        }
        /* Does c continue the held prefix? */
        s->held[s->nheld] = c;
        len = tok_utf8_next(s->held, s->nheld + 1, &bad);
        if (len == 0 && bad <= s->nheld) { /* no: the prefix is ill-formed */
            put_fffd(s);
            s->nheld = 0;
            i--; /* look at c again as a new start */
            continue;
        }
        s->nheld++;
        if (s->nheld == lead_len(s->held[0])) {
            put(s, s->held, s->nheld);
            s->nheld = 0;
        }
    }
}

const char *
tok_stream_push(tok_stream *s, int32_t id, size_t *len)
{
    const char *p;
    size_t n;

    s->nout = 0;
    p = tok_piece(s->t, id, (s->flags & TOK_STREAM_SPECIAL) != 0, &n);
    if (n > 0 && s->strip) {
        if (p[0] == ' ') {
            p++;
            n--;
        }
        s->strip = 0;
    }
    if (id >= 0 && id == s->t->bos)
        s->strip = strip_armed(s);
    feed(s, (const unsigned char *)p, n);
    s->out[s->nout] = '\0';
    *len = s->nout;
    return s->out;
}

const char *
tok_stream_flush(tok_stream *s, size_t *len)
{
    size_t n;

    s->nout = 0;
    if (s->nheld > 0)
        put_fffd(s);
    n = s->nout;
    s->nheld = 0;
    s->strip = strip_armed(s);
    s->out[n] = '\0';
    *len = n;
    return s->out;
}

char *
tok_decode(const tok *t, const int32_t *ids, size_t n, unsigned flags, size_t *len)
{
    tok_stream *s = tok_stream_new(t, flags);
    char *buf = NULL;
    size_t total = 0, cap = 0, k, i;
    const char *p;

    for (i = 0; i <= n; i++) {
        p = i < n ? tok_stream_push(s, ids[i], &k) : tok_stream_flush(s, &k);
        if (cap - total < k + 1) {
            cap = (cap + k + 1) * 2;
            buf = xrealloc(buf, cap);
        }
        memcpy(buf + total, p, k);
        total += k;
    }
    if (buf == NULL)
        buf = xmalloc(1);
    buf[total] = '\0';
    tok_stream_free(s);
    if (len != NULL)
        *len = total;
    return buf;
}
