#!/bin/sh
# test_fault_mmap.sh: the model file changes on disk while `ternchat
# generate` has it mapped. Truncated in place, the next read of a page past
# its new end raises SIGBUS: ternchat must say "model file X changed on disk
# while in use" and exit with status 1 (not die of the signal). Replaced by
# a new file (written elsewhere and renamed over it, as downloads and
# `ternchat quantize` do), the old mapping stays valid and the reply
# completes. Prints TAP.
T=${TERNCHAT:?TERNCHAT is not set}
B=${TERNCHAT_BUILDDIR:?TERNCHAT_BUILDDIR is not set}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }

# A model slow enough that a long reply takes seconds (a large vocabulary
# also makes the end-of-sequence token rare: 1 in 32000).
"$B/tools/ternchat-mkmodel" --ctx 4096 --n-embd 128 --n-layer 4 --n-vocab 32000 --seed 12 \
    -o "$tmp/orig.gguf" >/dev/null
ok $? "a test model"

# gen MODEL: a long reply in the background; waits until it has started.
gen() {
    rm -f "$tmp/out"
    "$T" generate -m "$1" -p 'tell me a long story' -n 4000 --temp 1 --min-p 0 --top-p 1 \
        --top-k 0 -t 1 --seed 3 >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    i=0
    while [ $i -lt 300 ] && [ ! -s "$tmp/out" ] && kill -0 $pid 2>/dev/null; do
        sleep 0.05
        i=$((i + 1))
    done
}

# Truncated while generating.
cp "$tmp/orig.gguf" "$tmp/m.gguf"
gen "$tmp/m.gguf"
kill -0 $pid 2>/dev/null; ok $? "generating (reply started, still running)"
: >"$tmp/m.gguf"
wait $pid
rc=$?
[ $rc -eq 1 ]; ok $? "truncated in use: exit status 1, not a signal (status $rc)"
grep -q "model file $tmp/m.gguf changed on disk while in use" "$tmp/err"
ok $? "the message names the file and says it changed on disk"
[ "$(grep -c 'changed on disk' "$tmp/err")" -eq 1 ]; ok $? "... once"
sed 's/^/# /' "$tmp/err" | tail -n 3

# Replaced (rename over it) while generating: the reply goes on.
cp "$tmp/orig.gguf" "$tmp/m.gguf"
gen "$tmp/m.gguf"
head -c 1000 "$tmp/orig.gguf" >"$tmp/new.gguf"
mv "$tmp/new.gguf" "$tmp/m.gguf"
wait $pid
rc=$?
[ $rc -eq 0 ] && [ -s "$tmp/out" ]; ok $? "replaced by rename in use: the reply completes (status $rc)"
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/err"

# A truncated file is refused at open, with the same care as any other.
"$T" generate -m "$tmp/m.gguf" -p hi >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'm.gguf' "$tmp/err"; ok $? "a truncated file is refused when opened (status $rc)"

echo "1..$n"
[ $fails -eq 0 ]
