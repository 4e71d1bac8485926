/* main.c: ternchat's entry point; dispatches subcommands. */
#include "config.h"

#include <malloc.h>
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
    { "chat", cli_ui, "the chat screen (the default); plain lines without a terminal or --plain" },
    { "generate", cli_generate, "complete a prompt once and print it (no chat, nothing saved)" },
    { "tokenize", cli_tokenize, "show how a model's tokenizer splits a text" },
    { "history", cli_history, "list, show, search, export, import saved conversations" },
    { "stats", cli_stats, "speed statistics of saved replies (tokens/s, acceptance)" },
    { "quantize", cli_quantize, "write a copy of a model with q8_0, tq2_0, tq1_0... weights" },
    { "bench", cli_bench, "measure prompt and generation speed against the memory bandwidth" },
};

static void
usage(FILE *f)
{
    size_t i;

    fprintf(f,
            "Usage: ternchat [COMMAND] [OPTIONS]\n"
            "\n"
            "A terminal chat for local language models (GGUF, llama and bitnet).\n"
            "Without a command: the chat screen on a terminal, else the chat in plain\n"
            "lines (see 'ternchat chat --help').\n"
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

#ifdef M_TRIM_THRESHOLD
    /* In a long transaction SQLite takes and frees ~150 KiB per statement
     * (statement journals); glibc's default would return that memory to
     * the kernel and fault it in again every time (imports 10x slower).
     * The same holds for the kernels' per-product buffers (a 512-token
     * prompt's activations take ~5 MiB): setting the trim threshold turns
     * off glibc's sliding mmap threshold, so buffers up to 32 MiB are
     * asked to come from the heap, not from a fresh mmap (a 1B model's
     * 512-token prompt spent ~15% of its time zeroing new pages). */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
    if (argc < 2)
        return cli_ui(argc, argv); /* no command: the chat */
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
    if (argv[1][0] == '-')
        return cli_ui(argc, argv); /* options without a command: the chat */
    return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
}
