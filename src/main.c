/* main.c: ternchat's entry point; dispatches subcommands. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

/* A subcommand: name, handler, one-line summary for --help. */
struct command {
    const char *name;                 /* as typed after "ternchat" */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    const char *summary;              /* shown by ternchat --help */
};

static const struct command commands[] = {
    { "chat", cli_chat, "chat in plain lines: messages from stdin, replies to stdout (saved)" },
    { "generate", cli_generate, "complete a prompt once and print it (no chat, nothing saved)" },
    { "tokenize", cli_tokenize, "show how a model's tokenizer splits a text" },
    { "history", cli_history, "list, show, search, export, import saved conversations" },
    { "stats", cli_stats, "speed statistics of saved replies (tokens/s, acceptance)" },
};

static void
usage(FILE *f)
{
    size_t i;

    fprintf(f,
            "Usage: ternchat COMMAND [OPTIONS]\n"
            "\n"
            "A terminal chat for local language models (GGUF, llama and bitnet).\n"
            "\n"
            "Commands:\n");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Options:\n"
            "  -h, --help     show this help and exit\n"
            "  -V, --version  show the version and exit\n"
            "\n"
            "Run 'ternchat COMMAND --help' for the options of a command.\n");
}

int
main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("ternchat %s\n", PACKAGE_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
}
