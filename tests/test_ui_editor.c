/* test_ui_editor.c: composing in $EDITOR (ui/editor.c), with scripts as
 * editors. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "editor.h"
#include "tap.h"

static char dir[64];

static char *
script(const char *name, const char *body)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    FILE *f;

    sprintf(path, "%s/%s", dir, name);
    f = fopen(path, "w");
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(path, 0700);
    return path;
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    static char buf[4096];
    size_t n;

    if (f == NULL)
        return NULL;
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int
main(void)
{
    char err[256], *out, *ed, *cmd, side[128], *s;
    struct stat st;

    snprintf(dir, sizeof dir, "/tmp/ternchat-editor-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("TMPDIR", dir, 1);
    snprintf(side, sizeof side, "%s/seen", dir);

    ed = script("ed1", "echo \"$1\" > \"$(dirname \"$1\")/path\"; cp \"$1\" \"$(dirname \"$1\")/seen\";"
                       " printf 'line one\\nline two\\n' > \"$1\"");
    ok(editor_edit(ed, "draft \xe4\xb8\xad", 10, &out, err, sizeof err) == 0, "the editor ran");
    is_str(out, "line one\nline two", "the text comes back, without the editor's last newline");
    free(out);
    is_str(slurp(side), "draft \xe4\xb8\xad", "the editor saw the text of the box");
    snprintf(side, sizeof side, "%s/path", dir);
    s = slurp(side);
    ok(s != NULL && strncmp(s, dir, strlen(dir)) == 0, "the file is made in $TMPDIR");
    if (s != NULL) {
        s[strcspn(s, "\n")] = '\0';
        ok(stat(s, &st) != 0, "and removed afterwards");
        ok(strstr(s, ".md") != NULL, "it is a .md file (editors highlight Markdown)");
    } else {
        ok(0, "and removed afterwards");
        ok(0, "it is a .md file");
    }

    free(ed);
    ed = script("ed2", "[ \"$1\" = --some-flag ] && printf 'with flag' > \"$2\"");
    cmd = malloc(strlen(ed) + 32);
    sprintf(cmd, "%s --some-flag", ed);
    ok(editor_edit(cmd, "x", 1, &out, err, sizeof err) == 0 && strcmp(out, "with flag") == 0,
       "the command may carry arguments");
    free(out);
    free(cmd);
    free(ed);

    ed = script("ed3", "printf 'keep\\n\\n' > \"$1\"");
    ok(editor_edit(ed, "", 0, &out, err, sizeof err) == 0 && strcmp(out, "keep\n") == 0,
       "only one trailing newline is removed");
    free(out);
    free(ed);

    ok(editor_edit("false", "text", 4, &out, err, sizeof err) == -1 && out == NULL && strstr(err, "failed") != NULL,
       "a failing editor leaves the text alone and says so");
    ok(editor_edit("/nonexistent/editor", "text", 4, &out, err, sizeof err) == -1
           && strstr(err, "cannot run the editor") != NULL,
       "a missing editor is reported");
    setenv("TMPDIR", "/nonexistent/tmp", 1);
    ok(editor_edit("true", "text", 4, &out, err, sizeof err) == -1 && strstr(err, "cannot create a file") != NULL,
       "an unusable $TMPDIR is reported");
    setenv("TMPDIR", dir, 1);

    setenv("VISUAL", "vis", 1);
    setenv("EDITOR", "ed", 1);
    is_str(editor_command("mine"), "mine", "the configured editor first");
    is_str(editor_command(NULL), "vis", "then $VISUAL");
    unsetenv("VISUAL");
    is_str(editor_command(""), "ed", "then $EDITOR");
    unsetenv("EDITOR");
    is_str(editor_command(NULL), "vi", "then vi");

    /* clean up */
    {
        static const char *const names[] = { "ed1", "ed2", "ed3", "seen", "path" };

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char p[128];

            snprintf(p, sizeof p, "%s/%s", dir, names[i]);
            unlink(p);
        }
        ok(rmdir(dir) == 0, "no temporary files are left behind");
    }
    return done_testing();
}
