/* editor.h: composing text in the user's editor. The text is written to
 * a private temporary file, the editor runs on it (the caller has given
 * the terminal back first: endwin), and the file is read back. */
#ifndef TERNCHAT_EDITOR_H
#define TERNCHAT_EDITOR_H

#include <stddef.h>

/* The editor command: cmd when not NULL or empty, else $VISUAL, else
 * $EDITOR, else "vi". */
const char *editor_command(const char *cmd);

/* Edit len bytes of text with the shell command cmd (run as
 * `cmd "$file"` through /bin/sh, so it may hold arguments). On success
 * returns 0 with the new text in *out (NUL-terminated, one trailing
 * newline removed; caller frees). Returns -1 with a message if the file
 * cannot be made or read, or the editor fails (non-zero exit): the text
 * is then unchanged. */
int editor_edit(const char *cmd, const char *text, size_t len, char **out, char *err, size_t errsz);

#endif
