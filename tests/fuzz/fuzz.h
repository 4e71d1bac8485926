/* fuzz.h: what every fuzz target in tests/fuzz/ shares. A target defines
 * LLVMFuzzerTestOneInput (and may define fuzz_init, run once before the
 * first input). Built with clang -fsanitize=fuzzer it is a libFuzzer
 * program (`make fuzz`); built with replay.c (any compiler) it is a test
 * of `make check` that runs the committed corpus once. A broken invariant
 * calls fuzz_fail, which aborts so that both drivers report it. */
#ifndef TERNCHAT_FUZZ_H
#define TERNCHAT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Run once before the first input (a target that needs no setup defines
 * it empty). */
void fuzz_init(void);

/* Abort with a message naming the broken invariant. */
#define fuzz_fail(...) do { \
    fprintf(stderr, "fuzz invariant broken at %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); \
    fputc('\n', stderr); \
    abort(); \
} while (0)

#define fuzz_check(cond, ...) do { if (!(cond)) fuzz_fail(__VA_ARGS__); } while (0)

/* An error message must be one non-empty line without terminal controls
 * (C0, DEL, C1 in UTF-8 form): parts of it come from the hostile file. */
static inline void
fuzz_check_message(const char *msg)
{
    const unsigned char *p = (const unsigned char *)msg;

    fuzz_check(p[0] != '\0', "an empty error message");
    for (; *p != '\0'; p++)
        fuzz_check(*p >= 0x20 && *p != 0x7f && !(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f),
                   "byte 0x%02x in the error message '%s'", *p, msg);
}

#endif
