/* clip.c: run the copy command with the text on its stdin (see clip.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clip.h"

static double
clip_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The child: the pipe as stdin, /dev/null as stdout and stderr. */
static void
clip_child(int in, const char *cmd)
{
    int null = open("/dev/null", O_RDWR);

    if (in != 0) {
        dup2(in, 0);
        close(in);
    }
    if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    setsid(); /* no signals from the terminal, no way to take it */
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
}

/* Write all of text to fd before the deadline; 0, or -1. */
static int
clip_feed(int fd, const char *text, size_t len, double deadline)
{
    size_t done = 0;

    while (done < len) {
        struct pollfd pf = { fd, POLLOUT, 0 };
        int left = (int)((deadline - clip_now()) * 1000.0);
        ssize_t w;

        if (left <= 0)
            return -1;
        if (poll(&pf, 1, left) <= 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (pf.revents & (POLLERR | POLLHUP) && !(pf.revents & POLLOUT))
            return -1;
        w = write(fd, text + done, len - done);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

int
clip_run(const char *cmd, const char *text, size_t len, char *err, size_t errsz)
{
    struct sigaction ign, old;
    double deadline = clip_now() + CLIP_TIMEOUT_S;
    int p[2], status = 0, fed;
    pid_t pid, r;

    if (cmd == NULL || *cmd == '\0') {
        snprintf(err, errsz, "no copy_command is set");
        return -1;
    }
    if (pipe(p) < 0) {
        snprintf(err, errsz, "copy_command: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errsz, "copy_command: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[1]);
        clip_child(p[0], cmd);
    }
    close(p[0]);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old); /* a command that does not read */
    fed = clip_feed(p[1], text, len, deadline);
    close(p[1]);
    sigaction(SIGPIPE, &old, NULL);
    for (;;) {
        r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            snprintf(err, errsz, "copy_command: %s", strerror(errno));
            return -1;
        }
        if (clip_now() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(err, errsz, "copy_command did not finish within %d seconds: %s", CLIP_TIMEOUT_S, cmd);
            return -1;
        }
        poll(NULL, 0, 10);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(err, errsz, "copy_command could not be run: %s", cmd);
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errsz, "copy_command failed (%s %d): %s", WIFEXITED(status) ? "status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), cmd);
        return -1;
    }
    if (fed < 0) {
        snprintf(err, errsz, "copy_command did not take all the text: %s", cmd);
        return -1;
    }
    return 0;
}
