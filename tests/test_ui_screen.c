/* test_ui_screen.c: the curses screen in a pseudo-terminal. A child runs
 * ui_run with a fake controller (a pipe stands in for the engine's fd);
 * the parent types keys, pastes, opens the pages (browser, search
 * results, statistics), resizes the terminal and quits; the child writes
 * what the screen showed and the requests it got, and the parent checks
 * them. */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "tap.h"
#include "ui.h"

static char dir[64];
static char logpath[128];
static int wake[2];  /* the fake engine's pipe */
static ui *screen_ui;
static int dumps;    /* screens written */
static int dump_due; /* write the screen when the pipe wakes us */

__attribute__((format(printf, 1, 2))) static void
logf_(const char *fmt, ...)
{
    FILE *f = fopen(logpath, "a");
    va_list ap;

    if (f == NULL)
        return;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

/* Write what stdscr holds, one line per row. */
static void
dump(void)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof path, "%s/screen%d", dir, ++dumps);
    f = fopen(path, "w");
    if (f == NULL)
        return;
    for (int y = 0; y < LINES; y++) {
        wchar_t w[1024];
        char mb[4096];
        int n = mvwinnwstr(stdscr, y, 0, w, COLS < 1000 ? COLS : 1000);
        size_t l;

        if (n == ERR)
            n = 0;
        w[n] = 0;
        l = wcstombs(mb, w, sizeof mb - 1);
        if (l == (size_t)-1)
            l = 0;
        mb[l] = '\0';
        while (l > 0 && mb[l - 1] == ' ')
            mb[--l] = '\0';
        fprintf(f, "%s\n", mb);
    }
    fprintf(f, "SIZE %dx%d\n", COLS, LINES);
    fclose(f);
}

/* Write the screen as drawn after this callback: through the pipe. */
static int
dump_soon(void)
{
    dump_due = 1;
    return write(wake[1], "d", 1) == 1 ? 0 : -1;
}

static int
on_request(void *ud, const ui_request *r, char *err, size_t errsz)
{
    (void)ud;
    switch (r->type) {
    case UI_REQ_SEND:
        logf_("SEND %s\n", r->text);
        ui_add_message(screen_ui, UI_ASSISTANT, "");
        ui_set_busy(screen_ui, 1);
        if (write(wake[1], "x", 1) != 1)
            return -1;
        return 0;
    case UI_REQ_SET:
        logf_("SET %s %s\n", r->key, r->text);
        return 0;
    case UI_REQ_EXPORT:
        logf_("EXPORT\n");
        dump();
        return 0;
    case UI_REQ_QUIT:
        logf_("QUIT\n");
        dump();
        return 0;
    case UI_REQ_NEW:
        snprintf(err, errsz, "not in this test");
        return -1;
    case UI_REQ_BROWSE: {
        ui_conv v[3] = { { 7, "Seventh chat", "today 12:00", "/m/target.gguf", 4 },
                         { 5, "Fifth \033[31m chat", "2 Mar 09:15", NULL, 12 },
                         { 3, "Third chat", "1 Jan 2025", "x.gguf", -1 } };

        logf_("BROWSE %d\n", r->value);
        ui_show_browser(screen_ui, v, 3, r->value, 0);
        return dump_soon();
    }
    case UI_REQ_OPEN:
        logf_("OPEN %lld %lld %d\n", (long long)r->id, (long long)r->msg_id, r->value);
        ui_clear(screen_ui);
        ui_add_message(screen_ui, UI_USER, "an old prompt");
        return 0;
    case UI_REQ_SEARCH: {
        static const size_t spans[] = { 10, 15, 30, 35 };
        ui_hit h = { 5, 51, "Fifth chat", "a line of\nwords with words in it and words", spans, 2,
                     "assistant", "2 Mar 09:15" };

        logf_("SEARCH %s %d\n", r->text, r->value);
        ui_show_hits(screen_ui, r->text, &h, 1);
        return dump_soon();
    }
    case UI_REQ_STATS: {
        ui_stat_row q[2] = { { "tq2_0", 3, 300, 40.0, 200.0, 0.75, 3.5, 1 },
                             { "f32", 2, 100, 20.0, 100.0, -1, 0, 0 } };
        ui_stat_row ss[2] = { { "#1 1 Mar 10:00", 2, 100, 20.0, 0, -1, 0, 0 },
                              { "#2 today 12:00", 3, 300, 40.0, 0, 0.5, 2, 1 } };
        ui_stat_group g[2] = { { "By quant mode", q, 2, 0 }, { "Sessions", ss, 2, 1 } };

        logf_("STATS\n");
        ui_show_stats_page(screen_ui, g, 2);
        return dump_soon();
    }
    case UI_REQ_EDIT:
        logf_("EDIT %d %s\n", r->value, r->text);
        ui_add_message(screen_ui, UI_ASSISTANT, "edited");
        return 0;
    default:
        logf_("OTHER %d\n", r->type);
        return 0;
    }
}

/* The fake engine: a reply in three pieces. */
static void
on_readable(void *ud)
{
    static const char *const pieces[] = { "Here is **bold** and ", "code:\n```c\nint x", " = 1;\n```\nDone." };
    ui_stats st;
    char c;

    (void)ud;
    if (read(wake[0], &c, 1) != 1)
        return;
    if (c == 'd') {
        if (dump_due)
            dump();
        dump_due = 0;
        return;
    }
    for (size_t i = 0; i < 3; i++)
        ui_append(screen_ui, pieces[i], strlen(pieces[i]));
    memset(&st, 0, sizeof st);
    st.tps_now = st.tps_reply = 30.0;
    st.n_gen = 12;
    st.accept = 0.75;
    st.gamma = 3.5;
    st.quant = "tq2_0";
    st.spec = "draft";
    st.ctx_used = 3500;
    st.n_ctx = 4096;
    ui_set_stats(screen_ui, &st);
    ui_set_note(screen_ui, ui_message_count(screen_ui) - 1, "12 tok, 30.0 tok/s");
    ui_set_busy(screen_ui, 0);
}

static int
child(const char *slave)
{
    ui_callbacks cb = { on_request, on_readable, NULL, NULL };
    ui_conv convs[2] = { { 1, "First chat", "12:00", NULL, 2 }, { 2, "Second chat", "13:30", NULL, 4 } };
    char err[256];
    int fd;
    conf *c;

    setsid();
    fd = open(slave, O_RDWR);
    if (fd < 0)
        return 3;
    dup2(fd, 0);
    dup2(fd, 1);
    close(fd);
    setenv("TERM", "xterm-256color", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    unsetenv("NO_COLOR");
    if (pipe(wake) < 0)
        return 3;
    c = conf_new();
    screen_ui = ui_new(c, &cb, err, sizeof err);
    conf_free(c);
    if (screen_ui == NULL)
        return 4;
    ui_watch_fd(screen_ui, wake[0]);
    ui_set_status(screen_ui, "test model");
    ui_set_conversations(screen_ui, convs, 2, 2);
    if (ui_run(screen_ui, err, sizeof err) < 0) {
        logf_("NOTERM %s\n", err);
        ui_free(screen_ui);
        return 0;
    }
    logf_("END\n");
    ui_free(screen_ui);
    return 0;
}

/* Read what the child draws until it is quiet for quiet_ms. */
static void
drain(int master, int quiet_ms)
{
    char buf[8192];
    struct pollfd pf = { master, POLLIN, 0 };
    int waited = 0;

    while (waited < 10000) {
        int r = poll(&pf, 1, quiet_ms);

        if (r <= 0)
            return;
        if (read(master, buf, sizeof buf) <= 0)
            return;
        waited += 1;
    }
}

static void
send_keys(int master, const char *s)
{
    if (write(master, s, strlen(s)) < 0)
        diag("write to the terminal failed");
    drain(master, 300);
}

static char *
slurp(const char *name)
{
    char path[128];
    FILE *f;
    static char bufs[3][65536];
    static int which;
    char *b = bufs[which++ % 3];
    size_t n;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    n = fread(b, 1, 65535, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* Line y (0-based) of a dump. */
static const char *
line_of(const char *s, int y, char *out, size_t outsz)
{
    for (int i = 0; i < y && s != NULL; i++) {
        s = strchr(s, '\n');
        if (s != NULL)
            s++;
    }
    if (s == NULL)
        return "";
    snprintf(out, outsz, "%.*s", (int)strcspn(s, "\n"), s);
    return out;
}

int
main(void)
{
    int master, status;
    pid_t pid;
    struct winsize ws = { 24, 80, 0, 0 };
    char *log, *s1, *s2, l1[512], l2[512];
    const char *slave;

    snprintf(dir, sizeof dir, "/tmp/ternchat-screen-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(logpath, sizeof logpath, "%s/log", dir);
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || (slave = ptsname(master)) == NULL) {
        skip("no pseudo-terminals here");
        rmdir(dir);
        return done_testing();
    }
    ioctl(master, TIOCSWINSZ, &ws);
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(child(slave));

    drain(master, 500);
    send_keys(master, "hello \xe4\xb8\xad\r");
    send_keys(master, "/temp 0.5\r");
    send_keys(master, "/bogus\r");
    send_keys(master, "\x03");                                 /* C-c clears the box */
    send_keys(master, "\033[200~line1\rline2\033[201~");       /* a paste */
    send_keys(master, "\033[20~");                             /* F9: export (a dump) */
    send_keys(master, "\x03");
    send_keys(master, "second\r");
    send_keys(master, "\033e");                                /* M-e: edit "second" */
    send_keys(master, "\033e");                                /* M-e again: the prompt before */
    send_keys(master, "\x05!\r");                              /* C-e, "!", Enter */
    send_keys(master, "\033[23~");                             /* F11: the browser (dump 2) */
    send_keys(master, "\033OB");                               /* Down */
    send_keys(master, "v");                                    /* open it read-only */
    send_keys(master, "nope\r");                               /* refused */
    send_keys(master, "\x15/continue\r");                      /* C-u, /continue */
    send_keys(master, "/search re:wor.s\r");                   /* the results (dump 3) */
    send_keys(master, "\r");                                   /* open the hit */
    send_keys(master, "\033[24~");                             /* F12: statistics (dump 4) */
    send_keys(master, "q");                                    /* back */
    ws.ws_row = 30;
    ws.ws_col = 100;
    ioctl(master, TIOCSWINSZ, &ws);                            /* SIGWINCH */
    drain(master, 500);
    send_keys(master, "\033[21~");                             /* F10: quit */
    drain(master, 300);
    waitpid(pid, &status, 0);
    close(master);

    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the screen ran and ended cleanly");
    log = slurp("log");
    if (log != NULL && strncmp(log, "NOTERM", 6) == 0) {
        skip("the terminal could not be used: %s", log);
        goto out;
    }
    contains(log, "SEND hello \xe4\xb8\xad\n", "Enter sent the prompt");
    contains(log, "SET temp 0.5\n", "/temp became a setting request");
    ok(log != NULL && strstr(log, "bogus") == NULL, "a bad command was not sent");
    contains(log, "SET temp 0.5\nEXPORT\n", "F9 exported");
    contains(log, "STATS\nQUIT\nEND\n", "F10 quit, ui_run returned");

    s1 = slurp("screen1");
    contains(s1, "SIZE 80x24", "the first screen is 80x24");
    contains(s1, "You", "the user's message has a header");
    contains(s1, "hello \xe4\xb8\xad", "with its text (a wide character included)");
    contains(s1, "Assistant  12 tok, 30.0 tok/s", "the reply's header has its note");
    contains(s1, "Here is bold and code:", "Markdown markup is not shown");
    contains(s1, "int x = 1;", "the code block streamed in pieces");
    ok(s1 != NULL && strstr(s1, "```") == NULL && strstr(s1, "**") == NULL, "no fences or stars on screen");
    contains(s1, "Chats (2)", "the conversation list");
    contains(s1, "Second chat", "with its titles");
    contains(s1, "30.0 tok/s", "the speed panel");
    contains(s1, "\n \xe2\x96\x88", "the sparkline of recent speed");
    contains(s1, "tq2_0", "the weight type");
    contains(s1, "3500 / 4096 near", "the context gauge warns near the limit");
    contains(s1, "unknown command /bogus", "the error is in the status line");
    contains(s1, "F1Help", "the F-key bar");
    contains(s1, "F10Quit", "up to F10");
    line_of(s1, 20, l1, sizeof l1);
    line_of(s1, 21, l2, sizeof l2);
    ok(strstr(l1, "line1") != NULL && strstr(l2, "line2") != NULL, "the paste is two lines in the input box");
    if (strstr(l1, "line1") == NULL)
        diag("  rows 20/21: \"%s\" / \"%s\"", l1, l2);

    contains(log, "SEND second\nEDIT 0 hello \xe4\xb8\xad!\n", "M-e twice edits the first prompt");
    contains(log, "BROWSE 0\n", "F11 asked for the saved conversations");
    contains(log, "OPEN 5 0 1\n", "Down, v: the second one opened read-only");
    ok(log != NULL && strstr(log, "SEND nope") == NULL, "a prompt in a read-only conversation is refused");
    contains(log, "SEARCH wor.s 1\n", "/search re: asks for a regular expression");
    contains(log, "OPEN 5 51 0\n", "Enter opens the hit's conversation at its message");
    contains(log, "STATS\n", "F12 asked for the statistics");

    s2 = slurp("screen2");
    contains(s2, "Saved conversations (3)", "the browser's title");
    contains(s2, "Seventh chat", "its entries");
    contains(s2, "today 12:00  target.gguf", "with date and model (the file name)");
    contains(s2, "Fifth ^[[31m chat", "a control character in a title is shown, not sent");
    contains(s2, "    12\n", "and the length");
    s2 = slurp("screen3");
    contains(s2, "Search: wor.s (1 hit)", "the results page");
    contains(s2, "Fifth chat", "the hit's conversation");
    contains(s2, "assistant · 2 Mar 09:15", "who wrote it and when");
    contains(s2, "a line of words with words in it", "its text in one line");
    s2 = slurp("screen4");
    contains(s2, "Speed statistics", "the statistics page");
    contains(s2, "By quant mode", "a group");
    contains(s2, "40.0 tok/s  acc", "a row's speed");
    contains(s2, "75% γ 3.5", "acceptance and draft length");
    contains(s2, "no drafting", "a row without drafting");
    contains(s2, " speed ", "a trend sparkline");

    s2 = slurp("screen5");
    contains(s2, "SIZE 100x30", "after the resize the screen is 100x30");
    line_of(s2, 29, l1, sizeof l1);
    ok(strstr(l1, "F1Help") != NULL && strstr(l1, "F10Quit") != NULL, "the F-key bar moved to the new last row");
    contains(s2, "an old prompt", "the conversation opened last is drawn again");
    contains(s2, "Search: wor.s (1)", "the list on the left shows the hits");
out:
    {
        static const char *const names[] = { "log", "screen1", "screen2", "screen3", "screen4", "screen5" };

        for (size_t i = 0; i < 6; i++) {
            char p[128];

            snprintf(p, sizeof p, "%s/%s", dir, names[i]);
            unlink(p);
        }
    }
    rmdir(dir);
    return done_testing();
}
