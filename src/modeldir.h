/* modeldir.h: finding the default model pair (share/models) shipped with
 * ternchat: --models-dir, then $TERNCHAT_MODELS, then the source tree when
 * the program runs from its build tree, then the installed
 * $(pkgdatadir)/models. */
#ifndef TERNCHAT_MODELDIR_H
#define TERNCHAT_MODELDIR_H

#include <stddef.h>

#define MODELDIR_TARGET "ternchat-target.gguf" /* file name of the default target */
#define MODELDIR_DRAFT "ternchat-draft.gguf"   /* file name of the default draft */

/* The folder holding the default models. override (--models-dir) and the
 * TERNCHAT_MODELS variable are used as given (an error if they lack the
 * target model); otherwise the source tree's share/models when exe (the
 * running program's path, NULL for /proc/self/exe) lies in the build tree,
 * else the installed folder. Returns a new string, or NULL with a message
 * in err naming the places searched. */
char *modeldir_find(const char *override, const char *exe, char *err, size_t errsz);
/* Path of one default model (MODELDIR_TARGET or MODELDIR_DRAFT) in the
 * folder found as above; NULL with a message in err if it is missing. */
char *modeldir_model(const char *override, const char *name, char *err, size_t errsz);

#endif
