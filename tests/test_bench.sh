#!/bin/sh
# test_bench.sh: `ternchat bench` from the outside: help, the report's lines
# (speeds with median and spread, bandwidth bound, GOPS, CPU flags and
# kernels, peak RSS), --type changing the reported weight type and bytes,
# the speculative side by side with --spec lookup, JSON output, and the
# error messages. No timing is asserted (the JSON is parsed by
# test_requant).
# Prints TAP. Needs $TERNCHAT (the binary) and $TERNCHAT_BUILDDIR.
T=${TERNCHAT:?TERNCHAT is not set}
B=${TERNCHAT_BUILDDIR:?TERNCHAT_BUILDDIR is not set}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0

ok() { # ok COND-EXIT-STATUS NAME
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
run() { "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; rc=$?; }
one_line_error() { # one_line_error PATTERN NAME
    lines=$(wc -l <"$tmp/err")
    grep -q -e "$1" "$tmp/err" && [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ]
    r=$?
    [ $r -eq 0 ] || { echo "# rc=$rc lines=$lines stderr:"; sed 's/^/#   /' "$tmp/err"; }
    ok $r "$2"
}

M="$tmp/m.gguf"
"$B/tools/ternchat-mkmodel" --n-embd 256 --n-head 4 --n-head-kv 2 --n-ff 512 --n-vocab 320 \
    --ctx 1024 --seed 9 -o "$M"
ok $? "mkmodel wrote a model"
Q="-p 16 -n 8 -r 2 -t 1 --bw-mib 8"

run "$T" bench --help
ok $rc "bench --help exits 0"
for w in -p -n -r -b --type --json --spec --draft-max --prompt-file --repetitive --bw-mib -d; do
    grep -q -e "$w" "$tmp/out"; ok $? "--help mentions $w"
done
run "$T" --help
grep -q bench "$tmp/out"; ok $? "ternchat --help lists bench"

run "$T" bench -m "$M" $Q
ok $rc "bench runs"
grep -q "^prompt: 16 tokens .* median (min .*, max .*, 2 runs)" "$tmp/out"; ok $? "prompt speed with median and spread"
grep -q "^generation: 8 tokens, greedy: .* median (min .*, max .*, 2 runs)" "$tmp/out"; ok $? "generation speed with median and spread"
grep -q "^memory bandwidth: .* GB/s" "$tmp/out"; ok $? "memory bandwidth"
grep -q "^bandwidth bound: .* generation reaches .*% of it" "$tmp/out"; ok $? "ratio to the bandwidth bound"
grep -q "GFLOPS\|GOPS" "$tmp/out"; ok $? "prompt GOPS"
grep -q "^cpu: .*kernels: \(scalar\|avx2\|avx512\)" "$tmp/out"; ok $? "cpu flags and kernels"
grep -q "^weights: f32, " "$tmp/out"; ok $? "weight type as loaded"
grep -q "^peak RSS: " "$tmp/out"; ok $? "peak RSS"
grep -q "^prompt / generation speed: " "$tmp/out"; ok $? "prompt over generation"
grep -q "speculative" "$tmp/out"; [ $? -ne 0 ]; ok $? "no speculative part without a draft or --spec lookup"
b0=$(sed -n 's/^weights: .*(\([0-9]*\) bytes)$/\1/p' "$tmp/out")

run "$T" bench -m "$M" $Q --type tq2_0
ok $rc "bench --type tq2_0 runs"
grep -q "^weights: tq2_0 (converted from f32 in" "$tmp/out"; ok $? "--type: weights reported as converted tq2_0"
b2=$(sed -n 's/^weights: .*(\([0-9]*\) bytes)$/\1/p' "$tmp/out")
[ -n "$b0" ] && [ -n "$b2" ] && [ "$b2" -lt "$b0" ]; ok $? "--type tq2_0 reports fewer bytes ($b2 < $b0)"
run "$T" bench -m "$M" $Q --type q8_0 --ref
grep -q "^weights: q8_0 (converted from f32" "$tmp/out"; ok $? "--type q8_0"
TERNCHAT_KERNELS=scalar "$T" bench -m "$M" $Q >"$tmp/out" 2>&1
grep -q "kernels: scalar" "$tmp/out"; ok $? "TERNCHAT_KERNELS=scalar is shown"

run "$T" bench -m "$M" $Q --spec lookup --repetitive
ok $rc "bench --spec lookup --repetitive"
grep -q "^speculative (lookup), 1 prompt through the chat template" "$tmp/out"; ok $? "speculative heading"
grep -q "^  target only: .* tokens/s median" "$tmp/out"; ok $? "target-only speed"
grep -q "^  speculative: .* tokens/s median" "$tmp/out"; ok $? "speculative speed"
grep -q "^  acceptance .*%, mean draft length (gamma) .*, cost ratio c " "$tmp/out"; ok $? "acceptance, gamma, c"
grep -q "^  speedup: measured .*x, predicted .*x" "$tmp/out"; ok $? "measured and predicted speedup"
grep -q "^  same tokens with and without speculation: yes" "$tmp/out"; ok $? "greedy: the same tokens"
printf 'count: one two three one two three one two three' >"$tmp/prompt.txt"
run "$T" bench -m "$M" $Q --spec lookup --prompt-file "$tmp/prompt.txt"
grep -q "^speculative (lookup), 1 prompt" "$tmp/out"; ok $? "--prompt-file"
run "$T" bench -m "$M" $Q --spec lookup
grep -q "^speculative (lookup), 3 prompts" "$tmp/out"; ok $? "three fixed chat prompts by default"
D="$tmp/d.gguf"
"$B/tools/ternchat-mkmodel" --n-embd 64 --n-head 4 --n-ff 128 --n-vocab 320 --ctx 1024 --seed 10 -o "$D"
run "$T" bench -m "$M" -d "$D" $Q
ok $rc "bench with a draft model"
grep -q "^speculative (draft: $D)" "$tmp/out"; ok $? "the draft is named"

run "$T" bench -m "$M" $Q --json
ok $rc "--json runs"
[ "$(wc -l <"$tmp/out")" -eq 1 ] && grep -q '^{.*"bound_ratio":.*}$' "$tmp/out"; ok $? "--json: one line, one object"

# errors
run "$T" bench -m "$tmp/missing.gguf" $Q
one_line_error "missing.gguf" "missing model named"
run "$T" bench -m "$M" --type q4_k
one_line_error "--type wants one of" "unsupported --type"
[ $rc -eq 2 ]; ok $? "usage errors exit 2"
run "$T" bench -m "$M" -r 0
one_line_error "-r wants" "bad repeat count"
run "$T" bench -m "$M" -p x
one_line_error "-p wants" "bad prompt size"
run "$T" bench -m "$M" -c 8 -p 16
one_line_error "smaller than" "context smaller than the prompt"
run "$T" bench -m "$M" --repetitive --prompt-file "$tmp/prompt.txt"
one_line_error "not both" "--repetitive with --prompt-file"
run "$T" bench -m "$M" $Q --spec lookup --prompt-file "$tmp/none.txt"
one_line_error "none.txt" "missing --prompt-file named"
run "$T" bench -m "$M" extra
one_line_error "unexpected argument" "stray argument"

echo "1..$n"
[ $fails -eq 0 ]
