/* cli_generate.c: `ternchat generate` (being written by the lead). */
#include "config.h"

#include "cli.h"

int
cli_generate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail("generate: not implemented yet");
}
