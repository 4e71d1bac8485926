/* test_ui_keys.c: key names, the action table, bindings, slash commands,
 * Tab completion and the generated help (ui/keys*.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "tap.h"
#include "uwidth.h"

static void
name_is(int key, const char *want)
{
    char buf[32];

    is_str(keys_name(key, buf, sizeof buf), want, want);
}

static void
slash_ok(const char *line, const char *act, const char *arg, const char *name)
{
    const keys_action *a;
    char *got, err[256] = "";
    int r = keys_slash(line, &a, &got, err, sizeof err);

    ok(r == KEYS_SLASH_CMD && a != NULL && strcmp(a->name, act) == 0
           && ((arg == NULL && got == NULL) || (arg != NULL && got != NULL && strcmp(got, arg) == 0)),
       "%s", name);
    if (r != KEYS_SLASH_CMD)
        diag("  error: %s", err);
    free(got);
}

static void
slash_err(const char *line, const char *want, const char *name)
{
    const keys_action *a;
    char *got, err[256] = "";
    int r = keys_slash(line, &a, &got, err, sizeof err);

    ok(r == KEYS_SLASH_ERROR && got == NULL && strstr(err, want) != NULL, "%s", name);
    if (r != KEYS_SLASH_ERROR || strstr(err, want) == NULL)
        diag("  got %d, \"%s\"", r, err);
    free(got);
}

static void
compl_is(const char *line, size_t want_n, const char *want_insert, const char *name)
{
    keys_compl c;
    size_t n = keys_complete(line, &c);

    ok(n == want_n && (want_insert == NULL ? c.insert == NULL : c.insert != NULL && strcmp(c.insert, want_insert) == 0),
       "%s", name);
    if (n != want_n)
        diag("  got %zu matches, insert \"%s\"", n, c.insert ? c.insert : "(null)");
    keys_compl_free(&c);
}

int
main(void)
{
    size_t n, nh;
    const keys_action *t = keys_table(&n);
    keys_map *m = keys_map_new();
    char err[256], buf[128], **help;
    const keys_action *a;
    char *arg;
    keys_compl c;
    int good;

    /* names */
    ok(keys_parse("C-a") == 1 && keys_parse("^A") == 1 && keys_parse("Ctrl-a") == 1 && keys_parse("c-A") == 1,
       "C-a in its spellings");
    ok(keys_parse("M-b") == (KEYS_META | 'b') && keys_parse("Alt-b") == (KEYS_META | 'b'), "M-b and Alt-b");
    ok(keys_parse("F1") == KEYS_F(1) && keys_parse("f12") == KEYS_F(12), "F-keys");
    ok(keys_parse("PgUp") == KEYS_PGUP && keys_parse("pagedown") == KEYS_PGDN, "page keys");
    ok(keys_parse("Enter") == KEYS_ENTER && keys_parse("M-Enter") == (KEYS_META | KEYS_ENTER), "Enter, M-Enter");
    ok(keys_parse("?") == '?' && keys_parse("Space") == ' ' && keys_parse("Tab") == '\t', "characters");
    ok(keys_parse("M-<") == (KEYS_META | '<') && keys_parse("C-M-x") == (KEYS_META | 24), "modifier combinations");
    ok(keys_parse("\xc3\xa9") == 0xE9, "a non-ASCII character");
    ok(keys_parse("C-") == -1 && keys_parse("F25") == -1 && keys_parse("Foo") == -1 && keys_parse("C-ab") == -1
           && keys_parse("") == -1 && keys_parse("C-1") == -1,
       "bad names are rejected");
    name_is(1, "C-a");
    name_is(KEYS_META | 'b', "M-b");
    name_is(KEYS_F(10), "F10");
    name_is(KEYS_PGDN, "PgDn");
    name_is(KEYS_META | KEYS_ENTER, "M-Enter");
    name_is(0x1f, "C-_");
    name_is(0x4E2D, "\xe4\xb8\xad");
    good = 1;
    for (int k = 1; k < 0x7f; k++) {
        int back = keys_parse(keys_name(k, buf, sizeof buf));

        if (back != k)
            good = 0, diag("  %d -> %s -> %d", k, buf, back);
    }
    ok(good, "every ASCII key's name parses back to it");

    /* the table */
    good = 1;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].name[0] || !t[i].slash[0] || !t[i].help[0] || t[i].run == NULL)
            good = 0, diag("  incomplete: %s", t[i].name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(t[i].name, t[j].name) == 0 || strcmp(t[i].slash, t[j].slash) == 0)
                good = 0, diag("  duplicate: %s", t[i].name);
        if ((t[i].arg == KEYS_ARG_NONE) != (t[i].arg_name[0] == '\0'))
            good = 0, diag("  argument name: %s", t[i].name);
    }
    ok(good, "every action has a name, a slash command, help and a handler; none repeats");
    ok(n >= 25, "the table has the actions the issue lists (%zu)", n);
    {
        static const char *const want[] = { "quant", "temp", "system", "draft", "spec", "search", "export", "help",
                                            "new", "rename", "delete", "regen", "edit", "copy", "stats", "quit" };

        good = 1;
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            if (keys_find_slash(want[i], strlen(want[i])) == NULL)
                good = 0, diag("  missing /%s", want[i]);
        ok(good, "the slash commands of the issue exist");
    }
    good = 1;
    for (size_t i = 0; i < n; i++) {
        char spec[64], *p;

        snprintf(spec, sizeof spec, "%s", t[i].keys);
        for (p = strtok(spec, " "); p != NULL; p = strtok(NULL, " "))
            if (keys_map_lookup(m, keys_parse(p)) != &t[i])
                good = 0, diag("  %s of %s is bound elsewhere", p, t[i].name);
    }
    ok(good, "every default key is bound to its action and to no other");
    ok(keys_map_lookup(m, KEYS_F(1)) == keys_find("help") && keys_map_lookup(m, '?') == keys_find("help"),
       "F1 and ? open the help");
    ok(keys_map_lookup(m, KEYS_F(10)) == keys_find("quit"), "F10 quits");
    ok(keys_map_lookup(m, KEYS_CTRL('a')) == NULL && keys_map_lookup(m, KEYS_CTRL('k')) == NULL
           && keys_map_lookup(m, KEYS_META | 'b') == NULL && keys_map_lookup(m, KEYS_CTRL('w')) == NULL,
       "no action takes an editing key");
    ok(keys_find("nope") == NULL && keys_find_slash("nope", 4) == NULL, "unknown names");

    /* rebinding */
    ok(keys_map_bind(m, "quit", "C-x M-q", err, sizeof err) == 0, "rebind quit");
    ok(keys_map_lookup(m, KEYS_CTRL('x')) == keys_find("quit") && keys_map_lookup(m, KEYS_META | 'q') == keys_find("quit"),
       "the new keys quit");
    ok(keys_map_lookup(m, KEYS_F(10)) == NULL, "the old keys no longer do");
    is_str(keys_map_describe(m, keys_find("editor"), buf, sizeof buf), "", "the key was taken from its old action");
    is_str(keys_map_describe(m, keys_find("quit"), buf, sizeof buf), "C-x M-q", "describe lists the keys");
    ok(keys_map_bind(m, "copy", "none", err, sizeof err) == 0 && keys_map_lookup(m, KEYS_META | 'c') == NULL,
       "none removes an action's keys");
    ok(keys_map_bind(m, "quit", "C-x Hyper-q", err, sizeof err) < 0 && strstr(err, "Hyper-q") != NULL,
       "a bad key name is reported");
    ok(keys_map_lookup(m, KEYS_CTRL('x')) == keys_find("quit"), "a failed bind changes nothing");
    ok(keys_map_bind(m, "qiut", "F2", err, sizeof err) < 0 && strstr(err, "qiut") != NULL,
       "an unknown action is reported");
    ok(keys_map_bind(m, "quit", "", err, sizeof err) < 0, "an empty key list is refused");

    /* slash commands */
    ok(keys_slash("hello /there", &a, &arg, err, sizeof err) == KEYS_SLASH_TEXT && a == NULL
           && strcmp(arg, "hello /there") == 0,
       "text is a prompt");
    free(arg);
    ok(keys_slash("//etc/passwd", &a, &arg, err, sizeof err) == KEYS_SLASH_TEXT && strcmp(arg, "/etc/passwd") == 0,
       "// sends a slash");
    free(arg);
    slash_ok("/temp 0.7", "temp", "0.7", "/temp 0.7");
    slash_ok("/quant tq2_0", "quant", "tq2_0", "/quant tq2_0");
    slash_ok("/quant", "quant", NULL, "/quant without its optional argument");
    slash_ok("/draft 4", "draft", "4", "/draft 4");
    slash_ok("/spec off", "spec", "off", "/spec off");
    slash_ok("/system   be brief\n and kind  \n", "system", "be brief\n and kind", "arguments are trimmed, inner newlines kept");
    slash_ok("/regen", "regen", NULL, "/regen");
    slash_ok("/search re:fo+", "search", "re:fo+", "/search");
    slash_ok("/help quant", "help", "quant", "/help quant");
    slash_ok("/stop", "cancel", NULL, "/stop is the cancel action");
    slash_err("/temp", "needs an argument: /temp <t>", "a missing argument");
    slash_err("/regen now", "takes no argument", "an extra argument");
    slash_err("/qu", "did you mean /quant /quit", "an ambiguous prefix suggests");
    slash_err("/xyzzy", "unknown command /xyzzy", "an unknown command");
    slash_err("/", "type a command", "a lone slash");

    /* completion */
    compl_is("/qu", 2, "", "two commands share the prefix");
    ok(keys_complete("/qu", &c) == 2 && c.n_cands == 2 && strcmp(c.cands[0], "quant") == 0
           && strcmp(c.cands[1], "quit") == 0,
       "the candidates are listed");
    keys_compl_free(&c);
    compl_is("/quan", 1, "t ", "a unique command completes, with a space when it takes an argument");
    compl_is("/reg", 1, "en", "no space after a command without arguments");
    compl_is("/quant t", 2, "q", "argument completion: weight types");
    compl_is("/quant q8", 1, "_0", "a unique weight type");
    compl_is("/spec d", 1, "raft", "speculation modes");
    compl_is("/set rep", 2, "eat_", "settings complete to their common prefix");
    compl_is("/set top_k", 1, " ", "a complete setting gets a space before its value");
    compl_is("/help rena", 1, "me", "/help completes command names");
    compl_is("/temp 0", 0, NULL, "no completion for a number");
    compl_is("/set temp 0", 0, NULL, "only the first word of an argument");
    compl_is("/nope x", 0, NULL, "an unknown command has no argument completion");
    compl_is("hello", 0, NULL, "text is not completed");
    compl_is("/zz", 0, NULL, "nothing matches");

    /* help */
    help = keys_help(m, 200, &nh);
    ok(nh == n + 1, "at full width, one help line per action, and a title");
    contains(help[0], "Command", "a title line");
    good = 1;
    for (size_t i = 0; i < n; i++) {
        char slash[40];

        snprintf(slash, sizeof slash, "/%s", t[i].slash);
        if (strstr(help[i + 1], slash) == NULL || strstr(help[i + 1], t[i].help) == NULL)
            good = 0;
    }
    ok(good, "every action's slash command and help text are in the help");
    contains(help[1], "F1 ?", "the help line shows the keys");
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, "quit") == 0)
            contains(help[i + 1], "C-x M-q", "the help shows rebound keys");
    keys_help_free(help, nh);
    help = keys_help(m, 70, &nh);
    ok(nh > n + 1, "at 70 columns long help texts wrap");
    good = 1;
    for (size_t i = 0; i < nh; i++)
        if (uwidth_str(help[i], strlen(help[i])) > 70)
            good = 0, diag("  too wide: %s", help[i]);
    ok(good, "help lines fit the width");
    {
        size_t k = 1;

        while (k < nh && strstr(help[k], "/help") == NULL)
            k++;
        ok(k + 1 < nh && strspn(help[k + 1], " ") == 46 && strstr(help[k + 1], "commands") != NULL,
           "a wrapped help text continues under its column");
    }
    keys_help_free(help, nh);
    help = keys_help(m, 40, &nh);
    ok(nh == n + 1 && uwidth_str(help[1], strlen(help[1])) <= 40, "too narrow to wrap: lines are cut");
    keys_help_free(help, nh);
    keys_map_free(m);
    return done_testing();
}
