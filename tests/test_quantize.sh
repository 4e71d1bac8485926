#!/bin/sh
# test_quantize.sh: `ternchat quantize` from the outside: help, errors (exit
# status and one clear line: bad type, missing input, unwritable output,
# input already quantized), each type written and loaded by `ternchat
# generate`, --dry-run's plan, the fallback for rows that do not fit a
# block, and mkmodel --type writing the same files.
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

MK="$B/tools/ternchat-mkmodel"
M="$tmp/m.gguf"
"$MK" --n-embd 256 --n-head 4 --n-head-kv 2 --n-ff 512 --n-vocab 320 --seed 5 -o "$M"
ok $? "mkmodel wrote a 256-wide f32 model"

run "$T" quantize --help
ok $rc "quantize --help exits 0"
for w in q8_0 tq2_0 tq1_0 q4_0 f16 --opt --ref --allow-requantize --dry-run -t; do
    grep -q -e "$w" "$tmp/out"; ok $? "--help mentions $w"
done
run "$T" --help
grep -q quantize "$tmp/out"; ok $? "ternchat --help lists quantize"

# errors
run "$T" quantize "$M" "$tmp/o.gguf"
one_line_error "IN.gguf OUT.gguf TYPE" "two arguments: usage error"
[ $rc -eq 2 ]; ok $? "usage errors exit 2"
run "$T" quantize "$M" "$tmp/o.gguf" q5_k
one_line_error "cannot quantize to 'q5_k'" "unsupported type named"
[ $rc -eq 2 ]; ok $? "bad type exits 2"
grep -q "tq2_0" "$tmp/err"; ok $? "the message lists the types"
run "$T" quantize "$tmp/missing.gguf" "$tmp/o.gguf" q8_0
one_line_error "missing.gguf" "missing input named"
[ $rc -eq 1 ]; ok $? "missing input exits 1"
run "$T" quantize "$M" "$tmp/no/such/dir/o.gguf" q8_0
one_line_error "no/such/dir" "unwritable output named"
[ ! -e "$tmp/no/such/dir/o.gguf" ]; ok $? "nothing written"
run "$T" quantize "$M" "$M" q8_0
one_line_error "overwrite the input" "output = input refused"
run "$T" quantize --bogus "$M" "$tmp/o.gguf" q8_0
one_line_error "unknown option '--bogus'" "unknown option"
run "$T" quantize -t 0 "$M" "$tmp/o.gguf" q8_0
one_line_error "-t wants" "bad thread count"

# each type: written, loaded, generates
for ty in q8_0 q4_0 tq2_0 tq1_0 f16 bf16 f32; do
    run "$T" quantize "$M" "$tmp/$ty.gguf" "$ty"
    ok $rc "quantize to $ty"
    grep -q "^$tmp/$ty.gguf: $ty" "$tmp/out"; ok $? "$ty: summary line names the file and type"
    run "$T" generate -m "$tmp/$ty.gguf" --tokens 1,70,80 -n 6 --temp 0 -t 1 --ids
    [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 6 ]; ok $? "$ty: the file loads and generates 6 tokens"
done
s8=$(wc -c <"$tmp/q8_0.gguf"); s2=$(wc -c <"$tmp/tq2_0.gguf"); s1=$(wc -c <"$tmp/tq1_0.gguf"); sf=$(wc -c <"$M")
[ "$s1" -lt "$s2" ] && [ "$s2" -lt "$s8" ] && [ "$s8" -lt "$sf" ]; ok $? "sizes: tq1_0 < tq2_0 < q8_0 < f32 ($s1 $s2 $s8 $sf)"

# q8_0 generates the same greedy tokens as f32 on this model (close logits)
run "$T" generate -m "$M" --tokens 1,70,80 -n 6 --temp 0 -t 1 --ids
cp "$tmp/out" "$tmp/f32.ids"
run "$T" generate -m "$tmp/q8_0.gguf" --tokens 1,70,80 -n 6 --temp 0 -t 1 --ids
cmp -s "$tmp/out" "$tmp/f32.ids"; ok $? "q8_0 greedy tokens equal f32's"

# --ref and --opt differ for ternary types, and --ref is deterministic
run "$T" quantize --ref "$M" "$tmp/ref.gguf" tq2_0
ok $rc "quantize --ref"
grep -q "(reference)" "$tmp/out"; ok $? "--ref says so"
cmp -s "$tmp/ref.gguf" "$tmp/tq2_0.gguf"; [ $? -ne 0 ]; ok $? "--ref and least squares give different files"
run "$T" quantize --ref "$M" "$tmp/ref2.gguf" tq2_0
cmp -s "$tmp/ref.gguf" "$tmp/ref2.gguf"; ok $? "the same input gives the same bytes"

# already quantized
run "$T" quantize "$tmp/q8_0.gguf" "$tmp/o.gguf" tq2_0
one_line_error "already quantized" "a quantized input is refused"
run "$T" quantize --allow-requantize "$tmp/q8_0.gguf" "$tmp/o.gguf" tq2_0
ok $rc "--allow-requantize converts it anyway"
run "$T" quantize "$tmp/q8_0.gguf" "$tmp/o.gguf" q8_0
ok $rc "q8_0 to q8_0 is a plain copy (allowed)"
grep -q "0 of" "$tmp/out"; ok $? "nothing converted"

# the plan
run "$T" quantize --dry-run "$M" "$tmp/dry.gguf" tq2_0
ok $rc "--dry-run"
[ ! -e "$tmp/dry.gguf" ]; ok $? "--dry-run writes nothing"
grep -q "^blk.0.attn_q.weight	f32 -> tq2_0$" "$tmp/out"; ok $? "block maps become tq2_0"
grep -q "^blk.0.attn_norm.weight	f32 -> f32$" "$tmp/out"; ok $? "norms stay f32"
grep -q "^token_embd.weight	f32 -> q8_0$" "$tmp/out"; ok $? "token_embd becomes q8_0 for ternary types"
grep -q "^output.weight	f32 -> q8_0$" "$tmp/out"; ok $? "the LM head becomes q8_0 for ternary types"
run "$T" quantize --dry-run "$M" "$tmp/dry.gguf" q4_0
grep -q "^output.weight	f32 -> q8_0$" "$tmp/out" && grep -q "^token_embd.weight	f32 -> q4_0$" "$tmp/out"
ok $? "q4_0: LM head q8_0, token_embd q4_0"

# rows of 160: not a multiple of 256 -> q8_0; rows of 100 -> f16
"$MK" --n-embd 256 --n-head 4 --n-ff 160 --n-vocab 320 -o "$tmp/n160.gguf"
run "$T" quantize --dry-run "$tmp/n160.gguf" "$tmp/x.gguf" tq2_0
grep -q "^blk.0.ffn_down.weight	f32 -> q8_0$" "$tmp/out" && grep -q "^blk.0.ffn_up.weight	f32 -> tq2_0$" "$tmp/out"
ok $? "rows of 160 fall back to q8_0, rows of 256 stay tq2_0"
"$MK" --n-embd 256 --n-head 4 --n-ff 100 --n-vocab 320 -o "$tmp/n100.gguf"
run "$T" quantize --dry-run "$tmp/n100.gguf" "$tmp/x.gguf" q8_0
grep -q "^blk.0.ffn_down.weight	f32 -> f16$" "$tmp/out"; ok $? "rows of 100 fall back to f16"
run "$T" quantize "$tmp/n100.gguf" "$tmp/n100q.gguf" tq1_0
ok $rc "a model with fallbacks quantizes"
run "$T" generate -m "$tmp/n100q.gguf" --tokens 1,70 -n 3 --temp 0 -t 1 --ids
ok $rc "and generates"

# bitnet (with .scale tensors)
"$MK" --arch bitnet --n-embd 256 --n-head 4 --n-ff 512 --n-vocab 320 --scales -o "$tmp/bn.gguf"
run "$T" quantize "$tmp/bn.gguf" "$tmp/bn2.gguf" tq2_0
ok $rc "bitnet to tq2_0"
run "$T" quantize --dry-run "$tmp/bn.gguf" "$tmp/x.gguf" tq2_0
grep -q "^blk.0.attn_q.scale	f32 -> f32$" "$tmp/out"; ok $? ".scale tensors stay f32"
run "$T" generate -m "$tmp/bn2.gguf" --tokens 1,70 -n 3 --temp 0 -t 1 --ids
ok $rc "the bitnet file generates"

# mkmodel --type writes what quantize would
"$MK" --n-embd 256 --n-head 4 --n-head-kv 2 --n-ff 512 --n-vocab 320 --seed 5 --type tq2_0 -o "$tmp/mk2.gguf"
ok $? "mkmodel --type tq2_0"
run "$T" quantize --dry-run --allow-requantize "$tmp/mk2.gguf" "$tmp/x.gguf" tq2_0
grep -q "^blk.1.ffn_gate.weight	tq2_0 -> tq2_0$" "$tmp/out" && grep -q "^output.weight	q8_0 -> q8_0$" "$tmp/out"
ok $? "mkmodel --type follows the same per-tensor rules"
run "$T" generate -m "$tmp/mk2.gguf" --tokens 1,70 -n 3 --temp 0 -t 1 --ids
ok $rc "the mkmodel tq2_0 file generates"

echo "1..$n"
[ $fails -eq 0 ]
