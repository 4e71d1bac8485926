#!/bin/sh
# run.sh: runs each libFuzzer target built by build.sh for a bounded time
# (`make fuzz FUZZ_SECONDS=60`). Each target starts from its committed
# seeds (tests/fuzz/corpus/NAME, read only) and keeps what it finds in
# fuzz/corpus/NAME under the build directory; a crash, leak, timeout or
# sanitizer report stops that target, leaves the input in
# fuzz/crash-NAME-* and makes the run fail. Prints one line per target:
#   PASS: fuzz_NAME (N execs, N exec/s, N s)  or  FAIL: fuzz_NAME ...
# Variables: FUZZ_SRCDIR, FUZZ_BUILDDIR, FUZZ_SECONDS (per target),
# FUZZ_TARGETS (default: all), FUZZ_ARGS (more libFuzzer options).
set -u
src=$FUZZ_SRCDIR
out=$FUZZ_BUILDDIR/fuzz
secs=${FUZZ_SECONDS:-10}
targets=${FUZZ_TARGETS:-gguf model tok chat md conf import tsafe}
fail=0

for t in $targets; do
    bin=$out/fuzz_$t
    mkdir -p "$out/corpus/$t"
    log=$out/fuzz_$t.log
    # inputs up to 64 KiB for files (the model seeds are up to 13 KiB),
    # 4 KiB for texts (longer ones find nothing new, only run slower)
    case $t in
        gguf|model) max_len=65536 ;;
        import) max_len=16384 ;;
        *) max_len=4096 ;;
    esac
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -malloc_limit_mb=1024 \
        -max_len=$max_len -print_final_stats=1 -artifact_prefix="$out/crash-$t-" \
        ${FUZZ_ARGS:-} "$out/corpus/$t" "$src/tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "PASS: fuzz_$t (${execs:-?} execs, ${speed:-?} exec/s, $secs s, $cov)"
    else
        echo "FAIL: fuzz_$t (exit $rc; log $log)"
        grep -E 'ERROR|SUMMARY|fuzz invariant|Test unit written|runtime error' "$log" | head -n 20
        fail=1
    fi
done
exit $fail
