#!/bin/sh
# test_cli.sh: `ternchat` and `ternchat generate` from the outside: help,
# errors (exit status and one clear line), determinism, stdin prompts,
# speculative decoding (-d, --spec, --draft*).
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
# run CMD...: stdout to $tmp/out, stderr to $tmp/err, status in $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; rc=$?; }
# one_line_error PATTERN NAME: rc != 0 and stderr is exactly one line matching PATTERN
one_line_error() {
    lines=$(wc -l <"$tmp/err")
    grep -q -e "$1" "$tmp/err" && [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ]
    r=$?
    [ $r -eq 0 ] || { echo "# rc=$rc lines=$lines stderr:"; sed 's/^/#   /' "$tmp/err"; }
    ok $r "$2"
}

M="$B/tiny-llama.gguf"

run "$T" --help
ok $? "ternchat --help exits 0"
grep -q generate "$tmp/out"; ok $? "--help lists generate"
run "$T" --no-such-option
[ $rc -eq 2 ]; ok $? "no command, a bad option: usage, exit 2"
run "$T" frobnicate
one_line_error "unknown command 'frobnicate'" "unknown command: one line, non-zero"
run "$T" --version
grep -q '^ternchat [0-9]' "$tmp/out"; ok $? "--version"

run "$T" generate --help
ok $rc "generate --help exits 0"
for opt in -m -p --tokens -n -c -t --temp --top-k --top-p --min-p --repeat-penalty --repeat-last-n --seed --ids --special --raw --system --chat-template -d --draft-model --spec --draft-max --draft-min '--draft N'; do
    grep -q -e "$opt" "$tmp/out"; ok $? "generate --help describes $opt"
done

TERNCHAT_MODELS="$tmp/nowhere" run "$T" generate -p hi
one_line_error "no model given (-m) and TERNCHAT_MODELS=$tmp/nowhere" "generate without -m and no default models: one line naming where it looked"
run "$T" generate -p hi --models-dir "$tmp/nowhere"
one_line_error "models-dir $tmp/nowhere" "--models-dir without the models is named"
run "$T" generate -m "$M"
one_line_error "no prompt" "generate without a prompt"
run "$T" generate -m "$tmp/missing.gguf" --tokens 1
one_line_error "missing.gguf" "missing model file named in the message"
printf 'GGUF\003\000\000\000' >"$tmp/trunc.gguf"
run "$T" generate -m "$tmp/trunc.gguf" --tokens 1
one_line_error "trunc.gguf" "truncated model file: one line naming the file"
run "$T" generate -m "$M" --tokens 1 --temp abc
one_line_error "temp" "bad --temp value"
run "$T" generate -m "$M" --tokens 1 --bogus
one_line_error "unknown option '--bogus'" "unknown option"
run "$T" generate -m "$M" --tokens 1,x
one_line_error "tokens" "bad token list"
run "$T" generate -m "$M" --tokens 1,999999
one_line_error "out of range" "token id out of range"
run "$T" generate -m "$M" --tokens 1 -n
one_line_error "needs a value" "option without its value"

if [ -f "$M" ]; then
    run "$T" generate -m "$M" --tokens 1,100,200 -n 12 --ids --temp 0
    ok $rc "greedy generation runs"
    [ "$(wc -l <"$tmp/out")" -eq 12 ]; ok $? "-n 12 gives 12 ids"
    grep -q 'tokens/s' "$tmp/err"; ok $? "speed printed on stderr"
    cp "$tmp/out" "$tmp/greedy1"
    run "$T" generate -m "$M" --tokens 1,100,200 -n 12 --ids --temp 0 -t 2
    cmp -s "$tmp/out" "$tmp/greedy1"; ok $? "greedy output does not depend on threads"
    run "$T" generate -m "$M" --tokens 1,100,200 -n 20 --ids --temp 1.5 --top-k 0 --top-p 1 --min-p 0 --seed 7
    cp "$tmp/out" "$tmp/s7"
    run "$T" generate -m "$M" --tokens 1,100,200 -n 20 --ids --temp 1.5 --top-k 0 --top-p 1 --min-p 0 --seed 7
    cmp -s "$tmp/out" "$tmp/s7"; ok $? "same seed, same output"
    run "$T" generate -m "$M" --tokens 1,100,200 -n 20 --ids --temp 1.5 --top-k 0 --top-p 1 --min-p 0 --seed 8
    ! cmp -s "$tmp/out" "$tmp/s7"; ok $? "another seed, another output"
    run "$T" generate -m "$M" --tokens 1,100,200 -n 1000 --ids --temp 0 -c 64
    [ $rc -eq 0 ] && grep -q 'context (64 tokens) is full' "$tmp/err"; ok $? "stops with a message when the context is full"
    [ "$(wc -l <"$tmp/out")" -eq 62 ]; ok $? "a 64-token context: 3 prompt + 61 cached + 1 last sampled token"
    seq 1 80 | paste -sd, >"$tmp/long"
    run "$T" generate -m "$M" --tokens "$(cat "$tmp/long")" -c 64
    one_line_error "context holds 64" "a prompt longer than the context is refused"
    # text prompts (the tiny model has a tokenizer, no chat template)
    run "$T" generate -m "$M" -p "hello world" -n 8 --temp 0
    ok $rc "a text prompt runs"
    cp "$tmp/out" "$tmp/text1"
    printf 'hello world' | "$T" generate -m "$M" -p - -n 8 --temp 0 >"$tmp/out" 2>"$tmp/err"
    cmp -s "$tmp/out" "$tmp/text1"; ok $? "-p - reads the same prompt from standard input"
    "$T" tokenize -m "$M" -p "hello world" --ids >"$tmp/ids" 2>/dev/null
    run "$T" generate -m "$M" --tokens "$(tr ' ' ',' <"$tmp/ids" | sed 's/^,//; s/,$//')" -n 8 --temp 0
    cmp -s "$tmp/out" "$tmp/text1"; ok $? "--tokens with the tokenizer's ids gives the same text"
    run "$T" generate -m "$M" -p "hi" --system "be brief" -n 4
    one_line_error "no chat template" "--system on a model without a chat template"
    run "$T" generate -m "$M" -p "hi" --chat-template nosuch -n 4
    one_line_error "chatml" "an unknown --chat-template lists the valid names"
    run "$T" generate -m "$M" -p "hi" --chat-template chatml -n 4 --temp 0
    ok $rc "--chat-template chatml renders the prompt"
    run "$T" generate -m "$M" -p "hi" --raw --system x
    one_line_error "cannot be combined" "--raw with --system"
    run "$T" generate -m "$M" -p "" -n 4
    [ $rc -eq 0 ]; ok $? "an empty text prompt still has BOS and runs"
else
    echo "not ok - $M was not built"; fails=$((fails + 1)); n=$((n + 1))
fi

# Speculative decoding: option errors, then tiny-llama as the draft of a
# larger random target with the same vocabulary.
run "$T" generate -m "$M" --tokens 1 --spec fast
one_line_error "spec wants off, draft, lookup or auto" "bad --spec value"
run "$T" generate -m "$M" --tokens 1 --spec draft
one_line_error "needs a draft model" "--spec draft without -d"
run "$T" generate -m "$M" --tokens 1 --draft 3 --draft-max 5
one_line_error "fixes the proposal length" "--draft with --draft-max"
run "$T" generate -m "$M" --tokens 1 --draft-min 5 --draft-max 2
one_line_error "larger than --draft-max" "--draft-min above --draft-max"
run "$T" generate -m "$M" --tokens 1 --draft-max 999
one_line_error "from 0 to 64" "--draft-max out of range"
run "$T" generate -m "$M" --tokens 1 -d "$tmp/nodraft.gguf"
one_line_error "nodraft.gguf" "missing draft model: one line naming the file"
MK="$B/tools/ternchat-mkmodel"
BIG="$tmp/big.gguf"
if [ -f "$M" ] && "$MK" --arch llama --n-embd 128 --n-layer 3 --n-head 4 --n-head-kv 2 --n-ff 384 \
        --n-vocab 320 --ctx 256 --type f32 --seed 2 -o "$BIG" >/dev/null 2>&1 &&
    "$MK" --arch llama --n-embd 64 --n-layer 1 --n-head 4 --n-head-kv 2 --n-ff 128 \
        --n-vocab 300 --ctx 256 --type f32 --seed 3 -o "$tmp/v300.gguf" >/dev/null 2>&1; then
    run "$T" generate -m "$BIG" --tokens 1 -n 2 -d "$tmp/v300.gguf"
    one_line_error "does not fit the target" "a draft with another vocabulary: one line"
    P=1,100,200,100,200,7
    run "$T" generate -m "$BIG" --tokens $P -n 40 --ids --temp 0 --spec off
    cp "$tmp/out" "$tmp/plain"
    [ "$(wc -l <"$tmp/plain")" -eq 40 ]; ok $? "target alone: 40 ids"
    ! grep -q speculative "$tmp/err"; ok $? "--spec off prints no speculation statistics"
    run "$T" generate -m "$BIG" --tokens $P -n 40 --ids --temp 0 -d "$M"
    cmp -s "$tmp/out" "$tmp/plain"; ok $? "greedy -d output equals the target alone"
    grep -q 'speculative (draft): .* accepted' "$tmp/err" && grep -q 'tokens/s' "$tmp/err"
    ok $? "speculation statistics beside the speed line"
    for g in 1 3 8; do
        run "$T" generate -m "$BIG" --tokens $P -n 40 --ids --temp 0 -d "$M" --draft $g
        cmp -s "$tmp/out" "$tmp/plain" && grep -q "speculative (draft)" "$tmp/err"
        ok $? "greedy -d --draft $g equals the target alone"
    done
    run "$T" generate -m "$BIG" --tokens $P -n 40 --ids --temp 0 --spec lookup -d "$M"
    cmp -s "$tmp/out" "$tmp/plain" && grep -q 'speculative (lookup)' "$tmp/err"
    ok $? "greedy --spec lookup equals the target alone (the draft is not used)"
    run "$T" generate -m "$BIG" --tokens $P -n 40 --ids --temp 0
    cmp -s "$tmp/out" "$tmp/plain" && grep -q 'speculative (lookup)' "$tmp/err"
    ok $? "without -d, auto is lookup, and equals the target alone"
    run "$T" generate -m "$BIG" --tokens $P -n 7 --ids --temp 0 -d "$M" --draft 5
    [ "$(wc -l <"$tmp/out")" -eq 7 ] && head -7 "$tmp/plain" | cmp -s - "$tmp/out"
    ok $? "-n 7 with -d gives the first 7 ids"
    run "$T" generate -m "$BIG" --tokens $P -n 1000 --ids --temp 0 -c 64 --spec off
    cp "$tmp/out" "$tmp/full"
    run "$T" generate -m "$BIG" --tokens $P -n 1000 --ids --temp 0 -c 64 -d "$M" --draft 6
    cmp -s "$tmp/out" "$tmp/full" && [ "$(wc -l <"$tmp/out")" -eq 59 ] &&
        grep -q 'context (64 tokens) is full' "$tmp/err"
    ok $? "a full context with -d: the same 59 ids and the message"
    run "$T" generate -m "$BIG" -p "hello world" -n 16 --temp 0 --spec off
    cp "$tmp/out" "$tmp/text"
    run "$T" generate -m "$BIG" -p "hello world" -n 16 --temp 0 -d "$M"
    cmp -s "$tmp/out" "$tmp/text"; ok $? "greedy text with -d equals the target alone"
    run "$T" generate -m "$BIG" --tokens $P -n 30 --ids --temp 1 --seed 5 -d "$M"
    cp "$tmp/out" "$tmp/s5"
    run "$T" generate -m "$BIG" --tokens $P -n 30 --ids --temp 1 --seed 5 -d "$M"
    cmp -s "$tmp/out" "$tmp/s5" && [ "$(wc -l <"$tmp/out")" -eq 30 ]
    ok $? "sampling with -d: same seed, same output"
else
    echo "not ok - could not make the speculative decoding test models"; fails=$((fails + 1)); n=$((n + 1))
fi

echo "1..$n"
[ $fails -eq 0 ]
