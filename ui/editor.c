/* editor.c: compose a prompt in $EDITOR (see editor.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "editor.h"
#include "xmalloc.h"

/* Largest text read back (bytes). */
#define EDITOR_MAX (16u << 20)

const char *
editor_command(const char *cmd)
{
    const char *e;

    if (cmd != NULL && *cmd)
        return cmd;
    if ((e = getenv("VISUAL")) != NULL && *e)
        return e;
    if ((e = getenv("EDITOR")) != NULL && *e)
        return e;
    return "vi";
}

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Run cmd "$path"; returns the wait status or -1. */
static int
run(const char *cmd, const char *path)
{
    pid_t pid;
    int st;
    struct sigaction ign, old_int, old_quit;

    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    pid = fork();
    if (pid == 0) {
        char *sh = xasprintf("%s \"$1\"", cmd);

        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        execl("/bin/sh", "sh", "-c", sh, "sh", path, (char *)NULL);
        _exit(127);
    }
    st = -1;
    if (pid > 0) {
        while (waitpid(pid, &st, 0) < 0) {
            if (errno != EINTR) {
                st = -1;
                break;
            }
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    return st;
}

static char *
read_back(const char *path, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL) {
        snprintf(err, errsz, "cannot read back %s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        size_t r;

        if (cap - n < 4096) {
            if (cap >= EDITOR_MAX) {
                snprintf(err, errsz, "the edited text is larger than %u MiB", EDITOR_MAX >> 20);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap = cap ? cap * 2 : 8192;
            buf = xrealloc(buf, cap + 1);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errsz, "cannot read back %s", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    return buf;
}

int
editor_edit(const char *cmd, const char *text, size_t len, char **out, char *err, size_t errsz)
{
    const char *tmp = getenv("TMPDIR");
    char *path;
    int fd, st;

    *out = NULL;
    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    path = xasprintf("%s/ternchat-XXXXXX.md", tmp);
    fd = mkstemps(path, 3);
    if (fd < 0) {
        snprintf(err, errsz, "cannot create a file in %s: %s", tmp, strerror(errno));
        free(path);
        return -1;
    }
    if (write_all(fd, text, len) < 0 || close(fd) < 0) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        free(path);
        return -1;
    }
    st = run(editor_command(cmd), path);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
            snprintf(err, errsz, "cannot run the editor '%s'", editor_command(cmd));
        else
            snprintf(err, errsz, "the editor '%s' failed; the text is unchanged", editor_command(cmd));
        unlink(path);
        free(path);
        return -1;
    }
    *out = read_back(path, err, errsz);
    unlink(path);
    free(path);
    return *out != NULL ? 0 : -1;
}
