/* test_ui_conf.c: settings, the config file with its errors by line, and
 * merging with the command line (ui/conf.c, ui/conf_file.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "spec.h"
#include "tap.h"

static char dir[64];

static char *
write_file(const char *name, const char *text)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    FILE *f;

    sprintf(path, "%s/%s", dir, name);
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void
set_err(conf *c, const char *k, const char *v, const char *want, const char *name)
{
    char err[256] = "";
    int r = conf_set(c, k, v, err, sizeof err);

    ok(r < 0 && strstr(err, want) != NULL, "%s", name);
    if (r >= 0 || strstr(err, want) == NULL)
        diag("  got %d \"%s\"", r, err);
}

int
main(void)
{
    conf *c = conf_new(), *cli;
    char err[256], buf[128], *report, *path, *p;
    int n;

    snprintf(dir, sizeof dir, "/tmp/ternchat-conf-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;

    /* defaults */
    ok(c->temp == 0.8 && c->top_k == 40 && c->top_p == 0.95 && c->min_p == 0.05 && c->repeat_penalty == 1.0,
       "sampling defaults match the sampler's");
    ok(c->spec == SPEC_AUTO && c->draft_max == 16 && c->seed == 0 && c->n_predict == -1, "other defaults");
    ok(c->given == 0 && !conf_given(c, "temp"), "nothing is given yet");

    /* values */
    ok(conf_set(c, "temp", "0.25", err, sizeof err) == 0 && c->temp == 0.25 && conf_given(c, "temp"), "temp");
    ok(conf_set(c, "top_k", "7", err, sizeof err) == 0 && c->top_k == 7, "top_k");
    ok(conf_set(c, "seed", "12345678901", err, sizeof err) == 0 && c->seed == 12345678901ull, "a 64-bit seed");
    ok(conf_set(c, "seed", "random", err, sizeof err) == 0 && c->seed == 0, "seed random");
    ok(conf_set(c, "spec", "lookup", err, sizeof err) == 0 && c->spec == SPEC_LOOKUP, "spec lookup");
    ok(conf_set(c, "spec", "on", err, sizeof err) == 0 && c->spec == SPEC_AUTO, "spec on is auto");
    ok(conf_set(c, "no_color", "yes", err, sizeof err) == 0 && c->no_color == 1, "booleans");
    ok(conf_set(c, "theme", "light", err, sizeof err) == 0 && c->theme == CONF_THEME_LIGHT, "theme");
    ok(conf_set(c, "model", "/m/t.gguf", err, sizeof err) == 0 && strcmp(c->model, "/m/t.gguf") == 0, "a path");
    setenv("HOME", "/home/someone", 1);
    ok(conf_set(c, "draft", "~/d.gguf", err, sizeof err) == 0 && strcmp(c->draft, "/home/someone/d.gguf") == 0,
       "~/ in a path is the home directory");
    ok(conf_set(c, "system", "", err, sizeof err) == 0 && c->system_prompt == NULL, "an empty string unsets");
    set_err(c, "temp", "hot", "temp: 'hot' is not a number from 0 to 100", "a word for a number");
    set_err(c, "top_p", "1.5", "from 0 to 1", "a number out of range");
    set_err(c, "top_k", "4.5", "not a whole number", "a fraction for a whole number");
    set_err(c, "top_k", "", "not a whole number", "an empty number");
    set_err(c, "draft_max", "65", "from 0 to 64", "draft_max is capped");
    set_err(c, "seed", "-1", "not a whole number", "a negative seed");
    set_err(c, "spec", "fast", "on, off, auto, draft, lookup", "a bad speculation mode lists the good ones");
    set_err(c, "mouse", "maybe", "not true or false", "a bad boolean");
    set_err(c, "tmep", "1", "unknown setting 'tmep' (did you mean temp?)", "a misspelt key suggests");
    set_err(c, "xyzzy", "1", "unknown setting 'xyzzy'", "an unknown key");
    set_err(c, "key.qiut", "F10", "unknown action 'qiut'", "a binding for an unknown action");
    set_err(c, "key.quit", "Hyper-q", "unknown key 'Hyper-q'", "a binding to an unknown key");
    ok(c->temp == 0.25 && c->top_k == 7, "bad values change nothing");
    ok(conf_set(c, "key.quit", "C-q F10", err, sizeof err) == 0 && c->n_binds == 1
           && strcmp(c->binds[0].action, "quit") == 0 && strcmp(c->binds[0].keys, "C-q F10") == 0,
       "a key binding is kept");
    is_str(conf_get(c, "temp", buf, sizeof buf), "0.25", "get a number");
    is_str(conf_get(c, "spec", buf, sizeof buf), "auto", "get the speculation mode");
    is_str(conf_get(c, "seed", buf, sizeof buf), "random", "get a random seed");
    is_str(conf_get(c, "no_color", buf, sizeof buf), "true", "get a boolean");
    ok(conf_get(c, "nope", buf, sizeof buf) == NULL, "get an unknown key");
    {
        const char *const *k = conf_keys();
        size_t cnt = 0;

        while (k[cnt] != NULL)
            cnt++;
        ok(cnt >= 20 && strcmp(k[0], "model") == 0, "the list of keys");
    }
    conf_free(c);

    /* the file */
    c = conf_new();
    path = write_file("config",
                      "# ternchat settings\n"
                      "\n"
                      "temp = 0.5\n"
                      "top_k=20\n"
                      "  model = \"/models/my model.gguf\"  \n"
                      "tmep = 0.3\n"
                      "top_p = 2\n"
                      "just some words\n"
                      "system = 'You are = helpful.'\n"
                      "key.quit = C-q\n"
                      "key.nope = F3\n"
                      "draft = \"unterminated\n"
                      "= 3\n"
                      "spec = draft\r\n");
    n = conf_load(c, path, 0, &report);
    ok(n == 6, "six bad lines are counted (%d)", n);
    p = malloc(strlen(path) + 64);
    sprintf(p, "%s:6: unknown setting 'tmep' (did you mean temp?)", path);
    contains(report, p, "an unknown key is reported with file and line");
    sprintf(p, "%s:7: top_p: '2' is not a number", path);
    contains(report, p, "a bad value with file and line");
    sprintf(p, "%s:8: expected 'key = value'", path);
    contains(report, p, "a line without '='");
    sprintf(p, "%s:11: key.nope: unknown action 'nope'", path);
    contains(report, p, "a bad binding");
    sprintf(p, "%s:12: draft: unterminated quote", path);
    contains(report, p, "an unterminated quote");
    sprintf(p, "%s:13: no key before '='", path);
    contains(report, p, "a missing key");
    free(p);
    ok(c->temp == 0.5 && c->top_k == 20 && c->top_p == 0.95, "good lines are applied, bad ones skipped");
    is_str(c->model, "/models/my model.gguf", "quotes are removed, inner spaces kept");
    is_str(c->system_prompt, "You are = helpful.", "'=' inside a value");
    ok(c->spec == SPEC_DRAFT, "a CRLF line end");
    ok(c->n_binds == 1, "the good binding is kept");
    free(report);

    ok(conf_load(c, "/nonexistent/ternchat/config", 1, &report) == 0 && report == NULL,
       "a missing file is fine when allowed");
    ok(conf_load(c, "/nonexistent/ternchat/config", 0, &report) == -1 && report != NULL
           && strstr(report, "/nonexistent/ternchat/config: No such file") != NULL,
       "else it is reported");
    free(report);
    unlink(path);
    free(path);
    path = write_file("empty", "");
    ok(conf_load(c, path, 0, &report) == 0 && report == NULL, "an empty file");
    unlink(path);
    free(path);

    /* merging: the command line wins */
    cli = conf_new();
    conf_set(cli, "temp", "0.9", err, sizeof err);
    conf_set(cli, "draft", "/cli/draft.gguf", err, sizeof err);
    conf_set(cli, "key.help", "F12", err, sizeof err);
    conf_merge(c, cli);
    ok(c->temp == 0.9, "an option overrides the file");
    ok(c->top_k == 20, "what the options do not give stays from the file");
    is_str(c->model, "/models/my model.gguf", "the file's model stays");
    is_str(c->draft, "/cli/draft.gguf", "the option's draft is used");
    ok(c->n_binds == 2 && strcmp(c->binds[1].action, "help") == 0, "bindings from both, the options' last");
    ok(conf_given(c, "temp") && conf_given(c, "draft") && conf_given(c, "key.help"), "merged settings count as given");
    ok(c->min_p == 0.05 && !conf_given(c, "min_p"), "defaults stay defaults");
    conf_free(cli);
    conf_free(c);

    /* default path */
    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    p = conf_default_path();
    is_str(p, "/xdg/ternchat/config", "XDG_CONFIG_HOME is used");
    free(p);
    setenv("XDG_CONFIG_HOME", "relative", 1);
    p = conf_default_path();
    is_str(p, "/home/someone/.config/ternchat/config", "a relative XDG_CONFIG_HOME is ignored");
    free(p);
    unsetenv("XDG_CONFIG_HOME");
    p = conf_default_path();
    is_str(p, "/home/someone/.config/ternchat/config", "else ~/.config");
    free(p);
    rmdir(dir);
    return done_testing();
}
