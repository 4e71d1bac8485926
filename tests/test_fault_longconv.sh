#!/bin/sh
# test_fault_longconv.sh: a conversation far longer than the context. A
# saved conversation of about 100,000 tokens (1,000 messages) is continued
# in line mode with a 4,096-token context: the engine drops the oldest
# turns (the default overflow strategy), says so once per reply, and every
# new message gets a reply; all messages stay saved. Prints TAP, and the
# time each reply took as a comment.
T=${TERNCHAT:?TERNCHAT is not set}
B=${TERNCHAT_BUILDDIR:?TERNCHAT_BUILDDIR is not set}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }

"$B/tools/ternchat-mkmodel" --ctx 4096 --seed 11 -o "$tmp/m.gguf" >/dev/null
ok $? "a test model (context_length 4096)"

# 1,000 messages of about 100 characters: the test model's tokenizer has
# single letters, so about 100,000 tokens.
awk -v n=1000 'BEGIN {
    srand(7)
    split("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor", w, " ")
    printf "{\"format\":\"ternchat-conversation\",\"version\":1,\"title\":\"long\",\"system_prompt\":\"You are terse.\",\"messages\":["
    for (i = 1; i <= n; i++) {
        t = "turn " i ":"
        while (length(t) < 100)
            t = t " " w[int(rand() * 12) + 1]
        printf "%s{\"id\":%d,\"parent\":%s,\"role\":\"%s\",\"text\":\"%s\"}", (i > 1 ? "," : ""), i,
            (i > 1 ? i - 1 : "null"), (i % 2 ? "user" : "assistant"), t
    }
    printf "]}\n"
}' >"$tmp/long.json"
"$T" history import "$tmp/long.json" --db "$tmp/h.db" >/dev/null
ok $? "a saved conversation of 1000 messages"
"$T" tokenize -m "$tmp/m.gguf" -f "$tmp/long.json" >"$tmp/toks" 2>&1
ntok=$(wc -l <"$tmp/toks")
[ "$ntok" -ge 100000 ]; ok $? "it is about $ntok tokens long (at least 100000)"

printf 'one more question\nand another one\nand a third\n' >"$tmp/in"
t0=$(date +%s)
"$T" chat -m "$tmp/m.gguf" --db "$tmp/h.db" --conv 1 -c 4096 -n 8 --temp 0 --stats <"$tmp/in" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
t1=$(date +%s)
echo "# three replies in $((t1 - t0)) s"
[ $rc -eq 0 ] && [ "$(grep -c 'tokens/s' "$tmp/err")" -eq 3 ]
ok $? "three more messages with a 4096-token context: three replies (exit $rc)"
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/err"
grep -q -i 'context' "$tmp/err"; ok $? "it says that older messages are left out"
grep -i 'context' "$tmp/err" | head -n 1 | sed 's/^/# /'
"$T" history list --db "$tmp/h.db" >"$tmp/list"
grep -q ' 1006 .*long' "$tmp/list"; ok $? "all 1006 messages are saved"
[ $((t1 - t0)) -lt 120 ]; ok $? "the replies take seconds, not minutes ($((t1 - t0)) s)"

echo "1..$n"
[ $fails -eq 0 ]
