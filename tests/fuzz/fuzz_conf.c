/* fuzz_conf.c: fuzz target of the config file parser (conf_load) and of
 * conf_set/conf_get. The input is the file. Invariants: a readable file
 * never fails as a whole; the report has one line per problem counted;
 * every setting the file gave, written back as `key = "value"` (and every
 * key binding), reads back to the same values (save, load, compare). */
#include "config.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static int fd = -1;       /* an in-memory file the input is written to */
static char path[64];     /* its name under /proc/self/fd */

void
fuzz_init(void)
{
    fd = memfd_create("fuzz-conf", 0);
    if (fd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
}

/* Replace the file's contents. */
static void
put_file(const void *p, size_t n)
{
    const char *s = p;

    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        abort();
    while (n > 0) {
        ssize_t w = write(fd, s, n);

        if (w <= 0)
            abort();
        s += w;
        n -= (size_t)w;
    }
}

/* Load the current file into a new conf; returns it and the count. */
static conf *
load(int *count)
{
    conf *c = conf_new();
    char *report = NULL;
    size_t lines = 0;

    *count = conf_load(c, path, 0, &report);
    fuzz_check(*count >= 0, "a readable file failed: %s", report ? report : "(no report)");
    if (*count > 0) {
        fuzz_check(report != NULL, "%d problems and no report", *count);
        lines = 1;
        for (const char *p = report; *p; p++)
            lines += *p == '\n';
        fuzz_check(lines == (size_t)*count, "%d problems, %zu report lines", *count, lines);
    } else {
        fuzz_check(report == NULL, "no problems but a report");
    }
    free(report);
    return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *const *keys = conf_keys();
    size_t saved_n = 0, bufsz = size + 8192; /* room for $HOME in a path */
    char *saved = NULL, *buf = malloc(bufsz), *buf2 = malloc(bufsz);
    conf *a, *b;
    int count;
    FILE *f;

    put_file(data, size);
    a = load(&count);
    /* Write what was given back as a config file. */
    f = open_memstream(&saved, &saved_n);
    for (size_t i = 0; keys[i] != NULL; i++)
        if (conf_given(a, keys[i]))
            fprintf(f, "%s = \"%s\"\n", keys[i], conf_get(a, keys[i], buf, bufsz));
    for (size_t i = 0; i < a->n_binds; i++)
        fprintf(f, "key.%s = \"%s\"\n", a->binds[i].action, a->binds[i].keys);
    fclose(f);
    put_file(saved, saved_n);
    b = load(&count);
    if (count != 0) {
        fprintf(stderr, "written back:\n%s", saved);
        fuzz_fail("the written-back settings have %d problems", count);
    }
    for (size_t i = 0; keys[i] != NULL; i++) {
        fuzz_check(conf_given(a, keys[i]) == conf_given(b, keys[i]), "%s: given differs", keys[i]);
        conf_get(a, keys[i], buf, bufsz);
        conf_get(b, keys[i], buf2, bufsz);
        fuzz_check(strcmp(buf, buf2) == 0, "%s: '%s' read back as '%s'", keys[i], buf, buf2);
    }
    fuzz_check(a->n_binds == b->n_binds, "key bindings: %zu read back as %zu", a->n_binds,
               b->n_binds);
    for (size_t i = 0; i < a->n_binds; i++)
        fuzz_check(strcmp(a->binds[i].action, b->binds[i].action) == 0 &&
                   strcmp(a->binds[i].keys, b->binds[i].keys) == 0, "key binding %zu differs", i);
    conf_merge(a, b);
    conf_free(a);
    conf_free(b);
    free(saved);
    free(buf);
    free(buf2);
    return 0;
}
