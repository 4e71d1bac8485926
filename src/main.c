/* main.c: ternchat's entry point; dispatches subcommands. */
#include "config.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ternchat: under construction\n");
    return 1;
}
