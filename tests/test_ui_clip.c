/* test_ui_clip.c: the copy command (copy_command): the text reaches the
 * command's stdin whole, its output never reaches ours, and failures (an
 * exit status, a missing program, a command that hangs or does not read)
 * come back as messages. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clip.h"
#include "tap.h"

static char dir[64];

static char *
slurp(const char *path, size_t *n)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "rb");

    *n = 0;
    if (f == NULL)
        return NULL;
    *n = fread(buf, 1, sizeof buf - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

int
main(void)
{
    char out[128], cmd[256], err[256];
    const char *text = "copied text\nwith a second line \xe4\xb8\xad\n";
    char *big, *got;
    size_t n, bigsz = 300000;
    time_t t0;

    snprintf(dir, sizeof dir, "/tmp/ternchat-clip-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(out, sizeof out, "%s/out", dir);

    snprintf(cmd, sizeof cmd, "cat > '%s'; echo on stdout; echo on stderr >&2", out);
    ok(clip_run(cmd, text, strlen(text), err, sizeof err) == 0, "the command runs");
    got = slurp(out, &n);
    ok(got != NULL && n == strlen(text) && memcmp(got, text, n) == 0, "it got the text on stdin, unchanged");

    big = malloc(bigsz);
    for (size_t i = 0; i < bigsz; i++)
        big[i] = (char)('a' + i % 26);
    ok(clip_run(cmd, big, bigsz, err, sizeof err) == 0, "300 kB (more than a pipe holds)");
    got = slurp(out, &n);
    ok(got != NULL && n == bigsz && memcmp(got, big, n) == 0, "arrive whole");
    free(big);

    ok(clip_run("exit 3", "x", 1, err, sizeof err) < 0, "a failing command is an error");
    contains(err, "status 3", "naming its exit status");
    ok(clip_run("/nonexistent/xclip", "x", 1, err, sizeof err) < 0, "a missing program is an error");
    contains(err, "could not be run", "saying so");
    ok(clip_run("", "x", 1, err, sizeof err) < 0, "an empty command is an error");
    t0 = time(NULL);
    ok(clip_run("exec sleep 30", "x", 1, err, sizeof err) < 0, "a command that hangs is killed");
    ok(time(NULL) - t0 <= CLIP_TIMEOUT_S + 2, "within the time limit");
    contains(err, "did not finish", "saying so");
    ok(clip_run("exec true", text, strlen(text), err, sizeof err) == 0 || strstr(err, "did not take") != NULL,
       "a command that does not read does not crash us (SIGPIPE)");

    unlink(out);
    rmdir(dir);
    return done_testing();
}
