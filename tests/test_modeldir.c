/* test_modeldir.c: where the default models are looked for. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modeldir.h"
#include "tap.h"

static void
touch(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f != NULL)
        fclose(f);
}

int
main(void)
{
    char tmpl[] = "/tmp/ternchat-modeldir-XXXXXX";
    char err[512], empty[1100], exe[1200];
    char *dir = mkdtemp(tmpl), *got;

    if (dir == NULL) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    snprintf(empty, sizeof empty, "%s/empty", dir);
    mkdir(empty, 0700);
    touch(dir, MODELDIR_TARGET);
    touch(dir, MODELDIR_DRAFT);

    unsetenv("TERNCHAT_MODELS");
    got = modeldir_find(dir, NULL, err, sizeof err);
    is_str(got, dir, "--models-dir is used as given");
    free(got);

    got = modeldir_find(empty, NULL, err, sizeof err);
    ok(got == NULL, "--models-dir without the target model is an error");
    contains(err, MODELDIR_TARGET, "the message names the missing file");
    contains(err, empty, "the message names the folder");

    setenv("TERNCHAT_MODELS", dir, 1);
    got = modeldir_find(NULL, NULL, err, sizeof err);
    is_str(got, dir, "TERNCHAT_MODELS is used when there is no --models-dir");
    free(got);
    got = modeldir_find(empty, NULL, err, sizeof err);
    ok(got == NULL, "--models-dir wins over TERNCHAT_MODELS");
    free(got);

    got = modeldir_model(NULL, MODELDIR_DRAFT, err, sizeof err);
    ok(got != NULL && strstr(got, MODELDIR_DRAFT) != NULL && strncmp(got, dir, strlen(dir)) == 0,
       "modeldir_model gives the draft's path in that folder");
    free(got);

    setenv("TERNCHAT_MODELS", empty, 1);
    got = modeldir_model(NULL, MODELDIR_TARGET, err, sizeof err);
    ok(got == NULL, "TERNCHAT_MODELS without the models is an error");
    contains(err, "TERNCHAT_MODELS", "the message names the variable");

    /* A program outside the build tree does not look in the source tree. */
    unsetenv("TERNCHAT_MODELS");
    snprintf(exe, sizeof exe, "%.1100s/ternchat", empty);
    touch(empty, "ternchat");
    got = modeldir_find(NULL, exe, err, sizeof err);
    if (got == NULL) {
        contains(err, TERNCHAT_PKGDATADIR, "outside the build tree the installed folder is searched");
    } else {
        ok(strstr(got, TERNCHAT_PKGDATADIR) == got, "outside the build tree only the installed folder is used (%s)", got);
        free(got);
    }
    /* The build tree's own program finds the source tree's models, if they are there. */
    snprintf(exe, sizeof exe, "%.1000s/ternchat", TERNCHAT_ABS_BUILDDIR);
    got = modeldir_find(NULL, exe, err, sizeof err);
    {
        char src_models[2048];

        snprintf(src_models, sizeof src_models, "%s/share/models/%s", TERNCHAT_ABS_SRCDIR, MODELDIR_TARGET);
        if (access(src_models, R_OK) == 0)
            ok(got != NULL && strstr(got, "/share/models") != NULL, "run from the build tree: the source tree's share/models");
        else
            ok(got == NULL || strstr(got, TERNCHAT_PKGDATADIR) == got, "run from the build tree without shipped models: not found there");
    }
    free(got);

    snprintf(exe, sizeof exe, "%.1100s/ternchat", empty); /* the touched file, not the build's binary */
    unlink(exe);
    rmdir(empty);
    {
        char p[1100];

        snprintf(p, sizeof p, "%s/%s", dir, MODELDIR_TARGET);
        unlink(p);
        snprintf(p, sizeof p, "%s/%s", dir, MODELDIR_DRAFT);
        unlink(p);
    }
    rmdir(dir);
    return done_testing();
}
