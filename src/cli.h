/* cli.h: ternchat's subcommands and the small helpers they share for
 * option parsing and error reporting. Each subcommand returns the process
 * exit status (0 success, 1 failure, 2 usage error). */
#ifndef TERNCHAT_CLI_H
#define TERNCHAT_CLI_H

#include <stddef.h>

int cli_generate(int argc, char **argv);
int cli_chat(int argc, char **argv);
/* The chat screen (cli_ui.c); the line-mode chat without a terminal or with --plain. */
int cli_ui(int argc, char **argv);
int cli_tokenize(int argc, char **argv);
int cli_history(int argc, char **argv);
int cli_stats(int argc, char **argv);
int cli_quantize(int argc, char **argv);
int cli_bench(int argc, char **argv);

/* Print "ternchat: <message>" as one line on stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "ternchat: <message>" and a hint to use --help; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse a whole string as an integer in [min, max] / a finite float.
 * Return 0 on success, -1 (nothing written) otherwise. */
int cli_parse_long(const char *s, long min, long max, long *out);
int cli_parse_float(const char *s, double *out);
/* Read a whole file ("-" = stdin) into a NUL-terminated buffer. Returns
 * NULL with a message in err on failure. */
char *cli_read_file(const char *path, size_t *len, char *err, size_t errsz);

#endif
