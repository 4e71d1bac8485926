/* md_int.h: what md.c and md_inline.c share: a line builder that collects
 * display text with a style per byte and turns it into an md_line. */
#ifndef TERNCHAT_MD_INT_H
#define TERNCHAT_MD_INT_H

#include <stddef.h>

#include "md.h"

/* A line being built. */
struct md_build {
    char *text;      /* display text so far */
    unsigned *attr;  /* style of each byte of text */
    size_t len;      /* bytes in text */
    size_t cap;      /* allocated entries of text and attr */
    size_t col;      /* display columns so far (for tab stops) */
};

/* Tab stops every MD_TAB columns. */
#define MD_TAB 4

void mdb_init(struct md_build *b);
/* Append n bytes in style attr; tabs become spaces to the next stop. */
void mdb_put(struct md_build *b, const char *s, size_t n, unsigned attr);
/* Move the text and spans into out (other fields untouched) and reset b. */
void mdb_finish(struct md_build *b, md_line *out);
void mdb_free(struct md_build *b);

/* Inline markup of s[0..n) into b, every byte styled base plus what the
 * markup says. partial: the text may continue (a streaming line): an
 * unclosed opener styles up to the end instead of being shown. */
void md_inline(struct md_build *b, const char *s, size_t n, unsigned base, int partial);

#endif
