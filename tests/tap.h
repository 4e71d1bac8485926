/* tap.h: a tiny Test Anything Protocol emitter for the C tests. Each test
 * program prints "ok N - name" / "not ok N - name" lines and a plan at the
 * end; automake's tap-driver.sh counts them. Header-only on purpose: it is
 * included by test programs only. */
#ifndef TERNCHAT_TAP_H
#define TERNCHAT_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n;       /* test points emitted so far */
static int tap_failed;  /* failed test points */

/* ok(cond, fmt, ...): one test point. Returns cond. */
__attribute__((format(printf, 2, 3), unused)) static int
ok(int cond, const char *fmt, ...)
{
    va_list ap;

    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

/* diag(fmt, ...): a comment line, shown in the test log. */
__attribute__((format(printf, 1, 2), unused)) static void
diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* skip(reason): a skipped test point; the reason is shown in the output. */
__attribute__((format(printf, 1, 2), unused)) static void
skip(const char *fmt, ...)
{
    va_list ap;

    tap_n++;
    printf("ok %d # SKIP ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* is_str(got, want, name): string equality with a diagnostic on failure. */
__attribute__((unused)) static int
is_str(const char *got, const char *want, const char *name)
{
    int c = got != NULL && want != NULL && strcmp(got, want) == 0;

    ok(c, "%s", name);
    if (!c)
        diag("  got:  \"%s\"\n#   want: \"%s\"", got ? got : "(null)", want ? want : "(null)");
    return c;
}

/* contains(hay, needle, name): substring test with a diagnostic on failure. */
__attribute__((unused)) static int
contains(const char *hay, const char *needle, const char *name)
{
    int c = hay != NULL && strstr(hay, needle) != NULL;

    ok(c, "%s", name);
    if (!c)
        diag("  \"%s\"\n#   does not contain \"%s\"", hay ? hay : "(null)", needle);
    return c;
}

/* done_testing(): print the plan and return the exit status. */
__attribute__((unused)) static int
done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
