#!/bin/sh
# test_tokenize_cli.sh: `ternchat tokenize` from the outside: output format,
# --ids/--special/--no-bos, stdin, and errors (exit status, one line on
# stderr starting "ternchat: "). Prints TAP. Needs $TERNCHAT (the binary);
# the vocabulary checks need $TERNCHAT_TESTDATA and are skipped without it.
T=${TERNCHAT:?TERNCHAT is not set}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0

ok() { # ok STATUS NAME
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
skip() { # skip REASON
    n=$((n + 1))
    echo "ok $n # SKIP $1"
}
# run CMD...: stdout to $tmp/out, stderr to $tmp/err, status in $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; rc=$?; }
# error WANT_RC PATTERN NAME: exit status WANT_RC, stderr one line "ternchat: ..." matching PATTERN
error() {
    lines=$(wc -l <"$tmp/err")
    [ "$rc" -eq "$1" ] && [ "$lines" -eq 1 ] && grep -q '^ternchat: ' "$tmp/err" &&
        grep -q -e "$2" "$tmp/err"
    r=$?
    [ $r -eq 0 ] || { echo "# rc=$rc lines=$lines stderr:"; sed 's/^/#   /' "$tmp/err"; }
    ok $r "$3"
}

# ---- help and errors (no vocabulary needed) ----
run "$T" tokenize --help
ok $rc "tokenize --help exits 0"
for opt in -m -p -f --ids --special --no-bos --help; do
    grep -q -e " $opt" "$tmp/out"; ok $? "--help describes $opt"
done
run "$T" tokenize -p hi
error 2 "no model" "no -m: usage error"
run "$T" tokenize -m "$tmp/missing.gguf" -p hi
error 1 "missing.gguf" "missing model file: named in one line, status 1"
run "$T" tokenize -m x.gguf -p hi --frobnicate
error 2 "unknown option '--frobnicate'" "bad option: one line, status 2"
run "$T" tokenize -m x.gguf
error 2 "no text" "no -p or -f: usage error"
run "$T" tokenize -m x.gguf -p a -f b
error 2 "not both" "-p and -f together: usage error"
run "$T" tokenize -m x.gguf -p
error 2 "needs a value" "-p without a value: usage error"
printf 'not a gguf file' >"$tmp/bad.gguf"
run "$T" tokenize -m "$tmp/bad.gguf" -p hi
error 1 "bad.gguf" "a file that is not GGUF: one line, status 1"

# ---- on a real vocabulary ----
V=${TERNCHAT_TESTDATA:+$TERNCHAT_TESTDATA/vocab}
if [ -z "$V" ]; then
    skip "vocabulary checks not run: TERNCHAT_TESTDATA is not set"
    echo "1..$n"
    exit 0
fi
SPM="$V/ggml-vocab-llama-spm.gguf"
GPT2="$V/ggml-vocab-gpt-2.gguf"

run "$T" tokenize -m "$SPM" -p "Hello world"
printf "1\t'<s>'\n15043\t' Hello'\n3186\t' world'\n" >"$tmp/want"
cmp -s "$tmp/out" "$tmp/want"
ok $? "llama-spm: one line per token, ID<TAB>'piece', BOS (shown as <s>) first"
[ $rc -eq 0 ]; ok $? "exit status 0"
run "$T" tokenize -m "$SPM" -p "Hello world" --ids
[ "$(cat "$tmp/out")" = "1 15043 3186" ]; ok $? "--ids: ids on one line"
run "$T" tokenize -m "$SPM" -p "Hello world" --ids --no-bos
[ "$(cat "$tmp/out")" = "15043 3186" ]; ok $? "--no-bos drops the BOS"
run "$T" tokenize -m "$SPM" -p "<s>Hi" --ids --no-bos --special
[ "$(cat "$tmp/out")" = "1 6324" ]; ok $? "--special: <s> becomes BOS (then ' Hi')"
run "$T" tokenize -m "$SPM" -p "<s>" --ids --no-bos
case " $(cat "$tmp/out") " in *" 1 "*) r=1 ;; *) r=0 ;; esac
ok $r "without --special <s> is text"
printf 'a\tb\n' >"$tmp/in"
run "$T" tokenize -m "$SPM" -f "$tmp/in" --no-bos
grep -q "'\\\\t'" "$tmp/out" && grep -q "'\\\\n'" "$tmp/out"
ok $? "-f FILE; tab and newline are escaped"
"$T" tokenize -m "$SPM" -p - --ids --no-bos <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ -n "$(cat "$tmp/out")" ]; ok $? "-p - reads standard input"
"$T" tokenize -m "$SPM" -f - --ids --no-bos <"$tmp/in" >"$tmp/out2" 2>"$tmp/err"
cmp -s "$tmp/out" "$tmp/out2"; ok $? "-f - reads standard input too"
run "$T" tokenize -m "$SPM" -p "$(printf '\360\237\232\200')" --no-bos
grep -q "'\\\\xF0'" "$tmp/out"; ok $? "a byte token that is not UTF-8 on its own is shown as \\xF0"
run "$T" tokenize -m "$GPT2" -p "Hello world" --ids
[ "$(cat "$tmp/out")" = "15496 995" ]; ok $? "gpt-2: Hello world"
run "$T" tokenize -m "$GPT2" -p "$(printf 'a\377b')" --ids
[ $rc -eq 0 ] && [ -n "$(cat "$tmp/out")" ]; ok $? "invalid UTF-8 input is accepted"
run "$T" tokenize -m "$GPT2" -p "it's"
printf "270\t'it'\n338\t'\\\\'s'\n" >"$tmp/want"
cmp -s "$tmp/out" "$tmp/want"; ok $? "a quote in a piece is escaped"
echo "1..$n"
