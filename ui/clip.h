/* clip.h: copying text with a command from the config (copy_command,
 * e.g. "xclip -selection clipboard" or "wl-copy"): the command runs
 * through /bin/sh with the text on its standard input and its output
 * thrown away, so that it never writes over the screen. */
#ifndef TERNCHAT_CLIP_H
#define TERNCHAT_CLIP_H

#include <stddef.h>

/* Seconds a copy command may take before it is killed. */
#define CLIP_TIMEOUT_S 5

/* Run cmd with the len bytes of text on its stdin and wait for it.
 * Returns 0 when it exited with status 0, else -1 with a message. */
int clip_run(const char *cmd, const char *text, size_t len, char *err, size_t errsz);

#endif
