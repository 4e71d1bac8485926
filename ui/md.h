/* md.h: Markdown rendered to styled lines, incrementally, for a reply that
 * streams in. Each source line becomes exactly one display line: its text
 * with the markup removed (the "**" of bold, the "# " of a heading, the
 * backticks of inline code), list markers as bullets, tabs expanded, and
 * spans giving the style of each byte range. Fenced code blocks keep their
 * text unchanged (and are not word-wrapped); the opening fence line shows
 * the language tag. Appending text only re-renders the last, unfinished
 * line, so streaming costs O(piece) plus that line.
 *
 * Supported: ATX headings, **strong**, *emphasis* (and the _ forms, not
 * inside words), `code`, backslash escapes, - * + and 1. / 1) lists with
 * nesting, > quotes, --- rules, ``` and ~~~ fences. A plain document
 * (markdown off) only expands tabs. */
#ifndef TERNCHAT_MD_H
#define TERNCHAT_MD_H

#include <stddef.h>

/* Style bits of a span. */
enum md_attr {
    MD_BOLD = 1u << 0,   /* **strong** */
    MD_ITALIC = 1u << 1, /* *emphasis* */
    MD_CODE = 1u << 2,   /* `inline code` */
    MD_HEAD = 1u << 3,   /* heading text */
    MD_BLOCK = 1u << 4,  /* inside a fenced code block (incl. the fence lines) */
    MD_LANG = 1u << 5,   /* the language tag of an opening fence */
    MD_MARK = 1u << 6,   /* a list bullet / number, a quote bar */
    MD_QUOTE = 1u << 7   /* quoted text */
};

/* What a line is. */
enum md_kind {
    MD_TEXT = 0,    /* a paragraph line (or a blank line) */
    MD_HEADING,     /* # heading; level in md_line.level */
    MD_ITEM,        /* a list item's first line */
    MD_QUOTED,      /* > quote */
    MD_RULE,        /* --- (text empty: the painter draws the rule) */
    MD_FENCE_OPEN,  /* ```lang (text: the language, may be empty) */
    MD_CODELINE,    /* a line inside a fenced block */
    MD_FENCE_CLOSE  /* ``` (text empty) */
};

/* A styled byte range of a line's text. */
typedef struct md_span {
    size_t start;  /* first byte */
    size_t end;    /* one past the last byte */
    unsigned attr; /* enum md_attr bits (0: plain) */
} md_span;

/* One rendered line. Spans cover the text in order without gaps. */
typedef struct md_line {
    char *text;       /* display text (NUL-terminated) */
    size_t len;       /* its bytes */
    md_span *spans;   /* styles */
    size_t n_spans;   /* number of spans */
    int kind;         /* enum md_kind */
    int level;        /* heading level 1..6, list nesting depth 0.., else 0 */
    int hang;         /* hanging indent for continuation rows (columns) */
    int nowrap;       /* 1: break at the edge only (code) */
    size_t src_start; /* offset of its source line in the document */
} md_line;

typedef struct md md;

/* A new empty document; markdown 0 renders plain text. */
md *md_new(int markdown);
void md_free(md *d);

/* Append source text (it may end mid-line, even mid-character: the
 * unfinished last line is rendered again with the next piece). Returns the
 * index of the first line that changed; lines before it are as they
 * were. */
size_t md_append(md *d, const char *s, size_t n);
/* Replace the whole source. */
void md_set(md *d, const char *s, size_t n);

/* Number of lines (a source ending in "\n" has no empty last line). */
size_t md_count(const md *d);
const md_line *md_get(const md *d, size_t i);
/* The source so far. */
const char *md_source(const md *d, size_t *len);

/* Render one source line (no newline) on its own, as if it started a
 * document: for tests and one-line previews. Free with md_line_clear. */
void md_render_line(const char *s, size_t n, md_line *out);
void md_line_clear(md_line *l);

#endif
