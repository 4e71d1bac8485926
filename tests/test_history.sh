#!/bin/sh
# test_history.sh: `ternchat history` and `ternchat stats` from the outside,
# on databases in a temporary directory (--db, TERNCHAT_DB, XDG_DATA_HOME):
# help, listing, showing, searching (with highlighting on a terminal),
# export/import round trip, rename, delete, statistics tables, errors (one
# line, exit 1; usage errors exit 2) and control characters made visible.
# Prints TAP. Needs $TERNCHAT and $TERNCHAT_BUILDDIR (for tests/test_store_fill).
T=${TERNCHAT:?TERNCHAT is not set}
B=${TERNCHAT_BUILDDIR:?TERNCHAT_BUILDDIR is not set}
FILL="$B/tests/test_store_fill"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0
ESC=$(printf '\033')

ok() { # ok COND-EXIT-STATUS NAME
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
# run CMD...: stdout to $tmp/out, stderr to $tmp/err, status in $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; rc=$?; }
# fails_with STATUS PATTERN NAME: exit status STATUS and stderr is one line matching PATTERN
fails_with() {
    lines=$(wc -l <"$tmp/err")
    grep -q -e "$2" "$tmp/err" && [ "$rc" -eq "$1" ] && [ "$lines" -eq 1 ] && grep -q '^ternchat: ' "$tmp/err"
    r=$?
    [ $r -eq 0 ] || { echo "# rc=$rc lines=$lines stderr:"; sed 's/^/#   /' "$tmp/err"; }
    ok $r "$3"
}
out_has() { # out_has PATTERN NAME
    grep -q -e "$1" "$tmp/out"
    r=$?
    [ $r -eq 0 ] || { echo "# stdout:"; sed 's/^/#   /' "$tmp/out"; }
    ok $r "$2"
}

DB="$tmp/data/db/t.db"
H() { run "$T" history --db "$DB" "$@"; }

# ---- help ----
run "$T" --help
out_has 'history' "ternchat --help lists history"
out_has 'stats' "ternchat --help lists stats"
run "$T" history --help
ok $rc "history --help exits 0"
cp "$tmp/out" "$tmp/help"
for c in list show search export import rename delete; do
    grep -q "^  $c" "$tmp/help"; ok $? "history --help lists $c"
    run "$T" history "$c" --help
    [ $rc -eq 0 ] && grep -q "^Usage: ternchat history $c" "$tmp/out"
    ok $? "history $c --help"
done
run "$T" stats --help
[ $rc -eq 0 ] && grep -q -e '--by' "$tmp/out" && grep -q -e '--session' "$tmp/out"
ok $? "stats --help describes --by and --session"

# ---- an empty database is created private ----
H list
ok $rc "list on a new database exits 0"
out_has 'No saved conversations' "... and says there is nothing"
[ "$(stat -c %a "$tmp/data/db")" = 700 ]; ok $? "database directory created with mode 0700"
[ "$(stat -c %a "$DB")" = 600 ]; ok $? "database file created with mode 0600"

# ---- usage errors ----
run "$T" history --db "$DB"
fails_with 2 "missing command" "history without a command: exit 2"
run "$T" history --db "$DB" frob
fails_with 2 "unknown history command 'frob'" "unknown history command"
H show
fails_with 2 "missing conversation ID" "show without an id"
H show abc
fails_with 2 "bad conversation ID 'abc'" "show with a bad id"
H list --limit x
fails_with 2 "bad --limit value 'x'" "bad --limit"
H list --bogus
fails_with 2 "unknown option '--bogus'" "unknown option"
H search
fails_with 2 "missing PATTERN" "search without a pattern"
H export 1 --format pdf
fails_with 2 "unknown format 'pdf'" "unknown export format"
H rename 1
fails_with 2 "missing TITLE" "rename without a title"
run "$T" stats --db "$DB" --by colour
fails_with 2 "bad --by value 'colour'" "stats --by with a bad key"
H show 42
fails_with 1 "no conversation 42" "show a missing conversation: exit 1"
H delete 42
fails_with 1 "no conversation 42" "delete a missing conversation: exit 1"

# ---- fill it ----
"$FILL" "$DB" >"$tmp/err" 2>&1
ok $? "filled the database"

H list
ok $rc "list exits 0"
grep -q '^ *1  .*     2  target.gguf  *Green tea$' "$tmp/out"
ok $? "list shows id, message count, model and title"
[ "$(grep -c . "$tmp/out")" -eq 3 ]; ok $? "list: a header and two conversations"
H list --limit 1
[ "$(grep -c . "$tmp/out")" -eq 2 ]; ok $? "list --limit 1"
H list --limit 1 --offset 1
grep -q 'Green tea' "$tmp/out"; ok $? "list --offset 1 pages to the older one"
H list
! grep -q "$ESC" "$tmp/out"; ok $? "list prints no raw ESC"
out_has 'Evil ^\[\]0;pwned^G title' "a title's control characters are shown as ^[ and ^G"
out_has 'm^\[\[31m.gguf' "... the model's too"

H show 1
ok $rc "show exits 0"
out_has '^Conversation 1: Green tea' "show: title"
out_has '^Model: /models/target.gguf (draft: draft.gguf)' "show: models"
out_has '^Answer briefly.$' "show: system prompt"
out_has '^--- user' "show: user message"
out_has '^Steep green tea at 80 °C for two minutes.$' "show: reply text"
out_has '^Do not boil it.$' "show: reply keeps its newline"
H show 2
! grep -q "$ESC" "$tmp/out" && ! grep -q "$(printf '\302\233')" "$tmp/out"
ok $? "show prints no raw ESC or C1 control"
out_has 'clear ^\[\[2J screen and <U+009B>31m red' "show: control characters made visible"
out_has '\[stopped\]' "show: a stopped reply is marked"

# ---- search ----
H search green
ok $rc "word search exits 0"
out_has '^#1 in conversation 1 "Green tea" (user' "a hit names message, conversation, title, role"
out_has '    Steep green tea at 80 °C for two minutes. Do not bo\.\.\.$' "context on one line, cut after 40 characters"
! grep -q "$ESC" "$tmp/out"; ok $? "no highlighting when stdout is not a terminal"
H search 'BOIL*'
out_has '#2 in conversation 1' "prefix search, any case"
H search zebra
out_has 'No messages match' "no match"
H search --regex '[0-9]+ °C'
out_has '^#2 in conversation 1' "regex search (UTF-8)"
H search -E -i 'STEEP'
out_has '#2 in conversation 1' "regex ignoring case"
H search --regex 'a(b'
fails_with 1 "^ternchat: bad regular expression 'a(b': missing closing parenthesis at offset 3$" \
    "bad regex: PCRE2's message and offset, exit 1"
H search --fts '"unbalanced'
fails_with 1 "bad search query" "bad FTS5 query: one line, exit 1"
H search screen
! grep -q "$ESC" "$tmp/out"; ok $? "search context shows no raw ESC"
if command -v script >/dev/null 2>&1; then
    script -q -e -c "'$T' history --db '$DB' search green" "$tmp/typescript" </dev/null >"$tmp/tty" 2>&1
    grep -q "$(printf '\033\\[7mgreen\033\\[27m')" "$tmp/tty"
    ok $? "on a terminal the match is in reverse video"
    grep -q "$(printf '\033\\[7mgreen\033\\[27m tea at 80')" "$tmp/tty"
    ok $? "... exactly the matched word"
else
    skip "script(1) not installed: no terminal test"
    skip "script(1) not installed: no terminal test"
fi

# ---- export / import ----
H export 1 --format json
ok $rc "export JSON exits 0"
cp "$tmp/out" "$tmp/one.json"
out_has '"format": "ternchat-conversation"' "JSON has the format tag"
H export 2 --format json -o "$tmp/two.json"
ok $rc "export -o FILE"
[ "$(stat -c %a "$tmp/two.json")" = 600 ]; ok $? "... file mode 0600"
grep -q '\\u001b\]0;pwned\\u0007' "$tmp/two.json"; ok $? "JSON escapes control characters"
H import "$tmp/one.json"
ok $rc "import exits 0"
out_has '^imported conversation 3$' "import prints the new id"
H import "$tmp/two.json"
out_has '^imported conversation 4$' "import the awkward one"
H export 3 --format json
# the same document apart from message ids
sed -E 's/"(id|parent|head)": [0-9]+/"\1": N/' "$tmp/one.json" >"$tmp/a"
sed -E 's/"(id|parent|head)": [0-9]+/"\1": N/' "$tmp/out" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b"; ok $? "export, import, export: the same conversation"
H export 4 --format json
sed -E 's/"(id|parent|head)": [0-9]+/"\1": N/' "$tmp/two.json" >"$tmp/a"
sed -E 's/"(id|parent|head)": [0-9]+/"\1": N/' "$tmp/out" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b"; ok $? "... also with control characters and a stopped reply"
H export 1
out_has '^# Green tea$' "Markdown export: title"
out_has '^## Assistant$' "Markdown export: roles"
H export 2
! grep -q "$ESC" "$tmp/out"; ok $? "Markdown export shows control characters visibly"
printf '{"format": "ternchat-conversation", "version": 1, "messages": [{"id": 1, "role": "robot", "text": "x"}]}' >"$tmp/bad.json"
H import "$tmp/bad.json"
fails_with 1 "bad.json: message 1: bad or missing \"role\" 'robot'" "import of a bad file: one line naming it"
printf '{"format": ' >"$tmp/trunc.json"
H import "$tmp/trunc.json"
fails_with 1 "trunc.json: not valid JSON: line 1" "import of truncated JSON"
printf '{"format": "ternchat-conversation", "version": 1, "messages": [{"id": 1, "role": "x\\n\\u001b[2Jy", "text": "x"}]}' >"$tmp/evil.json"
H import "$tmp/evil.json"
fails_with 1 "role\" 'x ^\[\[2Jy'" "an import error quoting the file stays one line, ESC made visible"
H import "$tmp/missing.json"
fails_with 1 "missing.json" "import of a missing file"

# ---- rename / delete ----
H rename 3 "Copied tea"
ok $rc "rename exits 0"
H list
out_has '  Copied tea$' "the new title is listed"
H delete 3
ok $rc "delete exits 0"
H show 3
fails_with 1 "no conversation 3" "deleted conversation is gone"
H search 'copied'
out_has 'No messages match' "... and so are its messages"

# ---- stats ----
run "$T" stats --db "$DB"
ok $rc "stats exits 0"
grep -q '^QUANT ' "$tmp/out"; ok $? "stats: grouped by quant by default"
grep -E -q '^ternary +2 +200 +200\.0 +200 +40\.0 +100 +80 +80\.0% +4\.0$' "$tmp/out"
ok $? "ternary row: replies, tokens, tokens/s, drafted, accepted, 80% acceptance, gamma"
grep -E -q '^int8 +1 +10 +100\.0 +30 +15\.0 +0 +0 +- +-$' "$tmp/out"
ok $? "int8 row: no drafting shown as -"
run "$T" stats --db "$DB" --by model
grep -E -q '^/models/target.gguf \+ draft.gguf +2 ' "$tmp/out"; ok $? "stats --by model"
run "$T" stats --db "$DB" --by session
grep -E -q '^1 [0-9-]+ [0-9:]+ +2 ' "$tmp/out" && grep -E -q '^2 [0-9-]+ [0-9:]+ +1 ' "$tmp/out"
ok $? "stats --by session"
run "$T" stats --db "$DB" --session 2
[ "$(grep -c . "$tmp/out")" -eq 2 ] && grep -q '^int8 ' "$tmp/out"; ok $? "stats --session 2"
run "$T" stats --db "$DB" --session 9
out_has 'No statistics for session 9' "stats of a session without any"

# ---- where the database is ----
TERNCHAT_DB="$DB" run "$T" history list
out_has 'Green tea' "TERNCHAT_DB selects the database"
env -u TERNCHAT_DB XDG_DATA_HOME="$tmp/xdg" "$T" history list >"$tmp/out" 2>&1
[ -f "$tmp/xdg/ternchat/ternchat.db" ] && [ "$(stat -c %a "$tmp/xdg/ternchat")" = 700 ]
ok $? "default database under \$XDG_DATA_HOME/ternchat (mode 0700)"
env -u TERNCHAT_DB -u XDG_DATA_HOME HOME="$tmp/home" "$T" history list >"$tmp/out" 2>&1
[ -f "$tmp/home/.local/share/ternchat/ternchat.db" ]; ok $? "... or ~/.local/share/ternchat"

# ---- unusable databases ----
"$FILL" "$tmp/future.db" --future >"$tmp/err" 2>&1
run "$T" history --db "$tmp/future.db" list
fails_with 1 "has schema version 99; this ternchat understands up to [0-9]*: upgrade ternchat" \
    "a newer schema is refused"
printf 'not a database at all, just text. %0100d' 0 >"$tmp/junk.db"
run "$T" stats --db "$tmp/junk.db"
fails_with 1 "junk.db is not a database" "a file that is not a database"
run "$T" history --db /proc/nowhere/t.db list
fails_with 1 "cannot create directory" "a database that cannot be created"

echo "1..$n"
[ "$fails" -eq 0 ]
