/* modeldir.c: locate the shipped default models without the user giving
 * -m: --models-dir, $TERNCHAT_MODELS, the source tree when run from the
 * build tree (so `./ternchat` works right after `make`), then the
 * installed $(pkgdatadir)/models. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modeldir.h"
#include "xmalloc.h"

#ifndef TERNCHAT_PKGDATADIR
#define TERNCHAT_PKGDATADIR "/usr/local/share/ternchat"
#endif

/* 1 if dir/name is a readable file. */
static int
has_file(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    int r = access(p, R_OK) == 0;

    free(p);
    return r;
}

/* 1 if the program at exe lives in the build tree it was compiled in. */
static int
in_build_tree(const char *exe)
{
#ifdef TERNCHAT_ABS_BUILDDIR
    char buf[PATH_MAX], real_exe[PATH_MAX], real_build[PATH_MAX];
    char *slash;

    if (exe == NULL) {
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

        if (n <= 0)
            return 0;
        buf[n] = '\0';
        exe = buf;
    }
    if (realpath(exe, real_exe) == NULL || realpath(TERNCHAT_ABS_BUILDDIR, real_build) == NULL)
        return 0;
    slash = strrchr(real_exe, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    return strcmp(real_exe, real_build) == 0;
#else
    (void)exe;
    return 0;
#endif
}

char *
modeldir_find(const char *override, const char *exe, char *err, size_t errsz)
{
    const char *env = getenv("TERNCHAT_MODELS");
    const char *installed = TERNCHAT_PKGDATADIR "/models";

    if (override != NULL) {
        if (!has_file(override, MODELDIR_TARGET)) {
            snprintf(err, errsz, "--models-dir %s: no %s there", override, MODELDIR_TARGET);
            return NULL;
        }
        return xstrdup(override);
    }
    if (env != NULL && *env != '\0') {
        if (!has_file(env, MODELDIR_TARGET)) {
            snprintf(err, errsz, "TERNCHAT_MODELS=%s: no %s there", env, MODELDIR_TARGET);
            return NULL;
        }
        return xstrdup(env);
    }
#ifdef TERNCHAT_ABS_SRCDIR
    if (in_build_tree(exe) && has_file(TERNCHAT_ABS_SRCDIR "/share/models", MODELDIR_TARGET))
        return xstrdup(TERNCHAT_ABS_SRCDIR "/share/models");
#else
    (void)in_build_tree;
#endif
    if (has_file(installed, MODELDIR_TARGET))
        return xstrdup(installed);
    snprintf(err, errsz, "no default models found (looked for %s in %s%s); give -m MODEL.gguf, "
             "--models-dir DIR or TERNCHAT_MODELS=DIR", MODELDIR_TARGET, installed,
             in_build_tree(exe) ? " and the source tree's share/models" : "");
    return NULL;
}

char *
modeldir_model(const char *override, const char *name, char *err, size_t errsz)
{
    char *dir = modeldir_find(override, NULL, err, errsz);
    char *path;

    if (dir == NULL)
        return NULL;
    if (!has_file(dir, name)) {
        snprintf(err, errsz, "%s/%s: %s", dir, name, strerror(ENOENT));
        free(dir);
        return NULL;
    }
    path = xasprintf("%s/%s", dir, name);
    free(dir);
    return path;
}
