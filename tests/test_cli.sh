#!/bin/sh
# test_cli.sh: `ternchat` and `ternchat generate` from the outside: help,
# errors (exit status and one clear line), determinism, stdin prompts.
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
run "$T"
[ $rc -eq 2 ]; ok $? "no command: usage, exit 2"
run "$T" frobnicate
one_line_error "unknown command 'frobnicate'" "unknown command: one line, non-zero"
run "$T" --version
grep -q '^ternchat [0-9]' "$tmp/out"; ok $? "--version"

run "$T" generate --help
ok $rc "generate --help exits 0"
for opt in -m -p --tokens -n -c -t --temp --top-k --top-p --min-p --repeat-penalty --repeat-last-n --seed --ids --special --raw --system --chat-template; do
    grep -q -e "$opt" "$tmp/out"; ok $? "generate --help describes $opt"
done

run "$T" generate -p hi
one_line_error "no model" "generate without -m"
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

echo "1..$n"
[ $fails -eq 0 ]
