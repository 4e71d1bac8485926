/* cli_tokenize.c: placeholder for `ternchat tokenize` until the tokenizer
 * module lands (being written now; replaced by its owner). */
#include "config.h"

#include "cli.h"

int
cli_tokenize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail("tokenize: not implemented yet");
}
