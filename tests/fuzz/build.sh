#!/bin/sh
# build.sh: builds the libFuzzer targets of tests/fuzz/ with clang, apart
# from the normal build: every library source is compiled again with
# -fsanitize=fuzzer-no-link,address,undefined into fuzz/obj/ under the
# build directory, then each fuzz_NAME.c is linked with libFuzzer into
# fuzz/fuzz_NAME; fuzz/mkseeds (which writes the model and vocabulary seed
# files) is built too. Objects are rebuilt only when a source or a header
# they include changed (clang -MMD). `make fuzz-build` runs this with:
#   FUZZ_CC        the compiler (clang)
#   FUZZ_SRCDIR    the source tree; FUZZ_BUILDDIR the build tree (config.h)
#   FUZZ_CPPFLAGS  include flags of the libraries (ncursesw, sqlite3, pcre2)
#   FUZZ_LIBS      libraries to link
#   FUZZ_JOBS      parallel compiles (2)
# and the library's sources as arguments. The command-line front end
# (src/cli_*, src/bench*, src/main.c) is left out:
# no target needs them.
set -eu
: "${FUZZ_CC:=clang}" "${FUZZ_JOBS:=2}" "${FUZZ_CPPFLAGS:=}" "${FUZZ_LIBS:=}"
src=$FUZZ_SRCDIR
out=$FUZZ_BUILDDIR/fuzz
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-g -O1 -std=gnu11 -Wall -Wextra -Wno-unused-parameter $san"
inc="-I$FUZZ_BUILDDIR -I$src/src -I$src/engine -I$src/ui $FUZZ_CPPFLAGS"
targets="gguf model tok chat md conf import tsafe"

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
    echo "build.sh: $FUZZ_CC not found: install the Debian package clang (and libclang-rt-dev)" >&2
    exit 1
fi
mkdir -p "$out/obj"

# stale OBJ: true if OBJ is missing or older than a file its .d names.
stale() {
    [ -f "$1" ] && [ -f "${1%.o}.d" ] || return 0
    for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "${1%.o}.d"); do
        [ "$f" -nt "$1" ] && return 0
    done
    return 1
}

# Compile the library with the fuzzer's coverage hooks.
jobs=$out/jobs.txt
: >"$jobs"
objs=""
for s in "$@"; do
    case $s in
        src/cli_*|src/bench*|src/main.c) continue ;;
        *.c) ;;
        *) continue ;;
    esac
    o=$out/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
    objs="$objs $o"
    if stale "$o"; then echo "$src/$s $o" >>"$jobs"; fi
done
if [ -s "$jobs" ]; then
    echo "  FUZZ-CC  $(wc -l <"$jobs") library sources"
    # shellcheck disable=SC2086
    xargs -P "$FUZZ_JOBS" -L 1 sh -c '
        '"$FUZZ_CC $cflags -fsanitize=fuzzer-no-link $inc"' -MMD -c "$0" -o "$1" || exit 255' <"$jobs"
    rm -f "$out/libfuzz.a"
fi
if [ ! -f "$out/libfuzz.a" ]; then
    # shellcheck disable=SC2086
    ar cr "$out/libfuzz.a" $objs
fi

# The targets' own files and the programs.
for s in fuzz_vocab fuzz_main mkseeds $(for t in $targets; do echo "fuzz_$t"; done); do
    o=$out/obj/t_$s.o
    if stale "$o"; then
        # shellcheck disable=SC2086
        $FUZZ_CC $cflags -fsanitize=fuzzer-no-link $inc -MMD -c "$src/tests/fuzz/$s.c" -o "$o"
    fi
done
for t in $targets; do
    bin=$out/fuzz_$t
    if [ ! -x "$bin" ] || [ "$out/obj/t_fuzz_$t.o" -nt "$bin" ] || [ "$out/libfuzz.a" -nt "$bin" ]; then
        echo "  FUZZ-LD  fuzz/fuzz_$t"
        # shellcheck disable=SC2086
        $FUZZ_CC $cflags -fsanitize=fuzzer -o "$bin" "$out/obj/t_fuzz_$t.o" "$out/obj/t_fuzz_main.o" \
            "$out/obj/t_fuzz_vocab.o" "$out/libfuzz.a" $FUZZ_LIBS -lm -pthread
    fi
done
if [ ! -x "$out/mkseeds" ] || [ "$out/obj/t_mkseeds.o" -nt "$out/mkseeds" ] || [ "$out/libfuzz.a" -nt "$out/mkseeds" ]; then
    # shellcheck disable=SC2086
    $FUZZ_CC $cflags -o "$out/mkseeds" "$out/obj/t_mkseeds.o" "$out/obj/t_fuzz_vocab.o" \
        "$out/libfuzz.a" $FUZZ_LIBS -lm -pthread
fi
