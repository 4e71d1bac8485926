/* fuzz_main.c: the libFuzzer side of the fuzz targets: libFuzzer calls
 * LLVMFuzzerInitialize once, which runs the target's fuzz_init. Linked only
 * into the clang builds of `make fuzz` (replay.c plays this part in
 * `make check`). */
#include "config.h"

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}
