/* uwidth.h: UTF-8 decoding and the display width of text as the chat
 * screen draws it. Every function works on byte ranges (no NUL needed).
 *
 * Widths: wide (East Asian Wide/Fullwidth, most emoji) 2 columns, combining
 * marks and other zero-width characters 0, C0 controls and DEL 2 (drawn as
 * ^X), C1 controls 4 (drawn as <9B>), invalid bytes 1 each (drawn as
 * U+FFFD), everything else 1. A "cluster" is a character with the
 * zero-width characters that follow it: the cursor and the wrapper never
 * split one. */
#ifndef TERNCHAT_UWIDTH_H
#define TERNCHAT_UWIDTH_H

#include <stddef.h>
#include <stdint.h>

#define UWIDTH_REPLACEMENT 0xFFFDu

/* Decode the character at s (n >= 1 bytes available): returns its length
 * in bytes (1..4) and the code point in *cp. Invalid, truncated, overlong
 * or surrogate sequences give U+FFFD and a length of 1. */
size_t uwidth_decode(const char *s, size_t n, uint32_t *cp);
/* Encode cp (<= 0x10FFFF) as UTF-8 into buf (4 bytes); returns the length. */
size_t uwidth_encode(uint32_t cp, char *buf);

/* Columns of one code point (see above). */
int uwidth_cp(uint32_t cp);
/* 1 for zero-width code points that attach to the character before them
 * (combining marks, joiners, variation selectors), else 0. Controls are
 * not zero-width. */
int uwidth_is_zero(uint32_t cp);
/* 1 for wide (2-column) code points. */
int uwidth_is_wide(uint32_t cp);
/* The visible form of a code point that is not drawn as itself (controls:
 * "^[" or "<9B>"; invalid input arrives here as U+FFFD and is drawn as
 * itself): writes a NUL-terminated ASCII string of uwidth_cp(cp) bytes to
 * buf (at least 8 bytes) and returns 1; returns 0 for everything else. */
int uwidth_visible(uint32_t cp, char *buf);

/* Columns of n bytes of text. */
size_t uwidth_str(const char *s, size_t n);
/* The end of the cluster that starts at pos (pos < n); its width in *w
 * (may be NULL). */
size_t uwidth_next(const char *s, size_t n, size_t pos, int *w);
/* The start of the cluster that ends at pos (0 < pos): steps back over
 * zero-width characters to their base. */
size_t uwidth_prev(const char *s, size_t pos);
/* How many bytes of s, from the start, fit in cols columns without
 * splitting a cluster; the columns they take in *used (may be NULL). */
size_t uwidth_fit(const char *s, size_t n, size_t cols, size_t *used);
/* The byte offset of the cluster at display column col (the one that
 * covers it, or the end when the text is narrower). */
size_t uwidth_at_col(const char *s, size_t n, size_t col);

#endif
