/* ui_term.c: the terminal side of the chat screen: taking and giving
 * back the terminal (curses, bracketed paste, mouse wheel), restoring it
 * on signals, crashes and fatal allocation failures, turning curses key
 * codes into keys.h keys (Alt as Esc-prefix, paste markers, the extended
 * Ctrl/Alt arrow keys), the clipboard (OSC 52) and running the editor. */
#include "config.h"

#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

#include "ui_int.h"
#include "xmalloc.h"

/* Our own curses key codes for the paste markers. */
#define CODE_PASTE_BEGIN (KEY_MAX + 1)
#define CODE_PASTE_END (KEY_MAX + 2)

/* Extended keys whose curses codes are found at run time. */
static const struct {
    const char *cap; /* terminfo name */
    int key;         /* our key */
} ext_keys[] = {
    { "kLFT5", KEYS_META | KEYS_LEFT }, { "kRIT5", KEYS_META | KEYS_RIGHT },
    { "kLFT3", KEYS_META | KEYS_LEFT }, { "kRIT3", KEYS_META | KEYS_RIGHT },
    { "kUP3", KEYS_META | KEYS_UP },    { "kDN3", KEYS_META | KEYS_DOWN },
    { "kUP5", KEYS_META | KEYS_UP },    { "kDN5", KEYS_META | KEYS_DOWN },
    { "kHOM5", KEYS_META | '<' },       { "kEND5", KEYS_META | '>' },
};
#define N_EXT (sizeof ext_keys / sizeof ext_keys[0])
static int ext_codes[N_EXT];

static volatile sig_atomic_t got_signal; /* SIGTERM, SIGHUP or SIGINT arrived */
static volatile sig_atomic_t term_up;    /* curses owns the terminal */
static SCREEN *screen;                   /* our curses screen */
static void (*crash_fn)(void *arg);      /* the controller's last words (ui_set_crash_hook) */
static void *crash_arg;                  /* its argument */

static void
restore_terminal(void)
{
    if (!term_up)
        return;
    term_up = 0;
    fputs("\033[?2004l", stdout);
    fflush(stdout);
    endwin();
}

static void
on_signal(int sig)
{
    got_signal = sig;
}

static void
on_fatal(int sig)
{
    void (*fn)(void *arg) = crash_fn;

    /* best effort: the terminal must not stay raw */
    restore_terminal();
    crash_fn = NULL;
    if (fn != NULL) {
        /* a hook that hangs (a lock held by the crashed code) is ended */
        signal(SIGALRM, SIG_DFL);
        alarm(2);
        fn(crash_arg);
        alarm(0);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

int
ui_term_signalled(void)
{
    return (int)got_signal;
}

static void
catch_signals(void)
{
    struct sigaction sa;
    static const int quit_sigs[] = { SIGTERM, SIGHUP, SIGINT };
#ifndef TERNCHAT_ASAN
    static const int fatal_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#else
    static const int fatal_sigs[] = { SIGABRT };
#endif

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof quit_sigs / sizeof quit_sigs[0]; i++)
        sigaction(quit_sigs[i], &sa, NULL);
    sa.sa_handler = on_fatal;
    sa.sa_flags = (int)SA_RESETHAND;
    for (size_t i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++)
        sigaction(fatal_sigs[i], &sa, NULL);
}

int
ui_term_start(ui *u, char *err, size_t errsz)
{
    if (!isatty(0) || !isatty(1)) {
        snprintf(err, errsz, "the chat screen needs a terminal on stdin and stdout");
        return -1;
    }
    setlocale(LC_ALL, "");
    if (getenv("ESCDELAY") == NULL)
        setenv("ESCDELAY", "25", 0);
    screen = newterm(NULL, stdout, stdin);
    if (screen == NULL) {
        snprintf(err, errsz, "cannot use the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
        return -1;
    }
    set_term(screen);
    term_up = 1;
    u->active = 1;
    crash_fn = u->crash_fn;
    crash_arg = u->crash_arg;
    xmalloc_set_fatal_hook(restore_terminal);
    catch_signals();
    got_signal = 0;
    raw();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    wtimeout(stdscr, 0);
    define_key("\033[200~", CODE_PASTE_BEGIN);
    define_key("\033[201~", CODE_PASTE_END);
    for (size_t i = 0; i < N_EXT; i++) {
        char *s = tigetstr(ext_keys[i].cap);

        ext_codes[i] = (s != NULL && s != (char *)-1) ? key_defined(s) : 0;
    }
    if (u->settings->mouse) {
        mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        mouseinterval(0);
    }
    ui_draw_init(u);
    fputs("\033[?2004h", stdout);
    fflush(stdout);
    u->cursor_on = 1;
    u->full_redraw = 1;
    u->dirty = 1;
    return 0;
}

void
ui_term_stop(ui *u)
{
    if (!u->active)
        return;
    restore_terminal();
    crash_fn = NULL;
    if (screen != NULL) {
        delscreen(screen);
        screen = NULL;
    }
    xmalloc_set_fatal_hook(NULL);
    u->active = 0;
}

/* A curses result as our key, or -1 to ignore it. */
static int
translate(int r, wint_t wc)
{
    static const struct {
        int code; /* curses */
        int key;  /* ours */
    } map[] = {
        { KEY_UP, KEYS_UP },          { KEY_DOWN, KEYS_DOWN },   { KEY_LEFT, KEYS_LEFT },
        { KEY_RIGHT, KEYS_RIGHT },    { KEY_HOME, KEYS_HOME },   { KEY_END, KEYS_END },
        { KEY_PPAGE, KEYS_PGUP },     { KEY_NPAGE, KEYS_PGDN },  { KEY_IC, KEYS_INSERT },
        { KEY_DC, KEYS_DELETE },      { KEY_BACKSPACE, KEYS_BACKSPACE },
        { KEY_BTAB, KEYS_BTAB },      { KEY_RESIZE, KEYS_RESIZE }, { KEY_ENTER, KEYS_ENTER },
        { KEY_A1, KEYS_HOME },        { KEY_C1, KEYS_END },      { KEY_A3, KEYS_PGUP },
        { KEY_C3, KEYS_PGDN },        { CODE_PASTE_BEGIN, KEYS_PASTE_BEGIN },
        { CODE_PASTE_END, KEYS_PASTE_END },
    };

    if (r == OK) {
        if (wc == 0x7f)
            return KEYS_BACKSPACE;
        if (wc == '\r')
            return KEYS_ENTER;
        return (int)wc;
    }
    if (r != KEY_CODE_YES)
        return -1;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if ((int)wc == map[i].code)
            return map[i].key;
    if ((int)wc >= KEY_F(1) && (int)wc <= KEY_F(24))
        return KEYS_F((int)wc - KEY_F0);
    if ((int)wc == KEY_MOUSE) {
        MEVENT me;

        if (getmouse(&me) != OK)
            return -1;
        if (me.bstate & BUTTON4_PRESSED)
            return KEYS_WHEEL_UP;
        if (me.bstate & BUTTON5_PRESSED)
            return KEYS_WHEEL_DOWN;
        return -1;
    }
    for (size_t i = 0; i < N_EXT; i++)
        if (ext_codes[i] > 0 && (int)wc == ext_codes[i])
            return ext_keys[i].key;
    return -1;
}

void
ui_term_read(ui *u)
{
    wint_t wc;
    int r;

    while (!u->quit && (r = wget_wch(stdscr, &wc)) != ERR) {
        int key = translate(r, wc);

        if (key == 27) {
            /* Esc alone, or Alt: Esc and a key right after it */
            wint_t w2;
            int r2;

            wtimeout(stdscr, 30);
            r2 = wget_wch(stdscr, &w2);
            wtimeout(stdscr, 0);
            if (r2 == ERR) {
                key = KEYS_ESC;
            } else {
                key = translate(r2, w2);
                key = key < 0 || key == 27 ? KEYS_ESC : (key | KEYS_META);
            }
        }
        if (key >= 0)
            ui_key(u, key);
    }
}

int
ui_term_suspend(ui *u, int (*fn)(void *arg), void *arg)
{
    int rc;

    if (!u->active)
        return -1;
    fputs("\033[?2004l", stdout);
    fflush(stdout);
    def_prog_mode();
    endwin();
    rc = fn(arg);
    reset_prog_mode();
    fputs("\033[?2004h", stdout);
    fflush(stdout);
    u->full_redraw = 1;
    u->dirty = 1;
    return rc;
}

void
ui_term_clipboard(const char *text, size_t len)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)text;
    char *out = xmalloc(len / 3 * 4 + 8);
    size_t o = 0, i;

    for (i = 0; i + 2 < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0);

        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    printf("\033]52;c;%s\a", out);
    fflush(stdout);
    free(out);
}
