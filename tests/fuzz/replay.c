/* replay.c: runs a fuzz target over its committed corpus once, as a TAP
 * test of `make check` (so the normal and the ASan builds check every seed
 * and every input that once found a bug, without clang). The program
 * tests/fuzz/replay_NAME reads tests/fuzz/corpus/NAME/ under
 * $TERNCHAT_SRCDIR; a file given as an argument is run instead (to
 * reproduce a crash without libFuzzer). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tap.h"
#include "fuzz.h"

/* Read a whole file into a new buffer; NULL on failure. */
static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            if (buf == NULL)
                break;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Run the target on one file; 0, or -1 if it cannot be read. */
static int
run_file(const char *path)
{
    size_t len;
    uint8_t *buf = read_file(path, &len), *copy;

    if (buf == NULL)
        return -1;
    /* An exact-size copy, so that ASan sees reads past the end. */
    copy = malloc(len ? len : 1);
    if (copy == NULL) {
        free(buf);
        return -1;
    }
    memcpy(copy, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
    const char *srcdir = getenv("TERNCHAT_SRCDIR"), *base = strrchr(argv[0], '/');
    char dir[4096], path[8192];
    char **names = NULL;
    size_t n = 0, i, bad = 0;
    struct dirent *de;
    DIR *d;

    base = base ? base + 1 : argv[0];
    if (strncmp(base, "lt-", 3) == 0)
        base += 3;
    if (strncmp(base, "replay_", 7) != 0) {
        fprintf(stderr, "replay: run as replay_NAME\n");
        return 2;
    }
    base += 7;
    fuzz_init();
    if (argc > 1) {
        for (i = 1; i < (size_t)argc; i++)
            ok(run_file(argv[i]) == 0, "%s ran", argv[i]);
        return done_testing();
    }
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".", base);
    d = opendir(dir);
    if (d == NULL) {
        ok(0, "open the corpus %s: %s", dir, strerror(errno));
        return done_testing();
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        if (names == NULL)
            abort();
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        fprintf(stderr, "replay: %s\n", path); /* names the input if it crashes */
        if (run_file(path) != 0) {
            diag("cannot read %s", path);
            bad++;
        }
        free(names[i]);
    }
    free(names);
    /* A crash or a broken invariant aborts before this line. */
    ok(n > 0 && bad == 0, "fuzz target %s: %zu corpus inputs run without a crash, leak or "
       "broken invariant", base, n);
    return done_testing();
}
