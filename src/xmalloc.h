/* xmalloc.h: allocation that cannot fail silently. On failure the fatal
 * hook runs (the UI uses it to restore the terminal), a message is printed
 * and the program aborts. */
#ifndef TERNCHAT_XMALLOC_H
#define TERNCHAT_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xreallocarray: realloc of nmemb*size with an overflow check. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Hook run once before aborting on allocation failure (may be NULL). */
void xmalloc_set_fatal_hook(void (*hook)(void));
/* Run that hook now (once), e.g. before exiting on a fatal signal. */
void xmalloc_run_fatal_hook(void);

#endif
