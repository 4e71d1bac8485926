#!/bin/sh
# test_fault_import.sh: `ternchat history import` killed with SIGKILL in
# the middle of a big import. The import is one transaction, so afterwards
# the database opens, passes PRAGMA integrity_check, still holds what was
# saved before exactly, and holds either the whole imported conversation
# or none of it (never half); and it takes a new import. The size of the
# import grows until it takes long enough on this machine to be killed
# half-way. Prints TAP.
T=${TERNCHAT:?TERNCHAT is not set}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# A conversation export of $1 messages (a linear chain) on stdout.
big_json() {
    awk -v n="$1" 'BEGIN {
        printf "{\"format\":\"ternchat-conversation\",\"version\":1,\"title\":\"big import\",\"messages\":["
        for (i = 1; i <= n; i++) {
            printf "%s{\"id\":%d,\"parent\":%s,\"role\":\"%s\",\"text\":\"message %d: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore\"}", \
                (i > 1 ? "," : ""), i, (i > 1 ? i - 1 : "null"), (i % 2 ? "user" : "assistant"), i
        }
        printf "]}\n"
    }'
}

# What was saved before the import.
DB="$tmp/h.db"
printf '{"format":"ternchat-conversation","version":1,"title":"kept","messages":[{"id":1,"role":"user","text":"saved before"},{"id":2,"parent":1,"role":"assistant","text":"and kept"}]}' >"$tmp/small.json"
"$T" history import "$tmp/small.json" --db "$DB" >/dev/null 2>&1
ok $? "a conversation saved before"
"$T" history export 1 --format json --db "$DB" >"$tmp/before.json" 2>&1

# CPU time (clock ticks) used so far by process $1, or nothing once it ended.
cpu() {
    # shellcheck disable=SC2046
    [ -r /proc/$1/stat ] && set -- $(cat /proc/$1/stat 2>/dev/null) && [ $# -ge 15 ] &&
        echo $((${14} + ${15}))
}

# Run an import into $1 in the background and wait for it, noting the
# last CPU time seen (ticks) in $ticks.
probe() {
    "$T" history import "$tmp/big.json" --db "$1" >/dev/null 2>&1 &
    p=$!
    ticks=0
    while c=$(cpu $p) && [ -n "$c" ]; do
        ticks=$c
        sleep 0.01
    done
    wait $p
}

# Grow the import until it takes at least half a second of CPU on this
# machine (CPU time, unlike wall time, hardly depends on the load).
count=2000
while :; do
    big_json $count >"$tmp/big.json"
    rm -f "$tmp/probe.db"*
    cp "$DB" "$tmp/probe.db"
    probe "$tmp/probe.db"
    st=$?
    if [ $st -ne 0 ] || [ "$ticks" -ge 50 ] || [ $count -ge 64000 ]; then
        break
    fi
    count=$((count * 2))
done
ok $st "an import of $count messages takes $ticks ticks of CPU"
rm -f "$tmp/probe.db"*

# Kill it half-way: when it has used half of that CPU time.
"$T" history import "$tmp/big.json" --db "$DB" >"$tmp/out" 2>&1 &
pid=$!
alive=0
while c=$(cpu $pid) && [ -n "$c" ]; do
    if [ "$c" -ge $((ticks / 2)) ]; then
        kill -9 $pid 2>/dev/null && alive=1
        break
    fi
    sleep 0.005
done
wait $pid
status=$?
if [ $alive -eq 1 ] && [ $status -eq 137 ]; then
    ok 0 "the import was killed after $c of $ticks ticks"
else
    ok 1 "the import was killed half-way (it ended first with status $status)"
fi

"$T" history list --db "$DB" >"$tmp/list" 2>&1
ok $? "the database opens after the kill"
if command -v sqlite3 >/dev/null 2>&1; then
    [ "$(sqlite3 "$DB" 'PRAGMA integrity_check;')" = ok ]; ok $? "PRAGMA integrity_check: ok"
    convs=$(sqlite3 "$DB" 'SELECT count(*) FROM conversations;')
    half_done=$(sqlite3 "$DB" "SELECT count(*) FROM conversations c WHERE (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) NOT IN (2, $count);")
    ok "$half_done" "no half conversation ($convs conversations, $half_done partial)"
else
    skip "sqlite3 is not installed: integrity_check not run"
    skip "sqlite3 is not installed: message counts not checked"
fi
"$T" history export 1 --format json --db "$DB" >"$tmp/after.json" 2>&1
cmp -s "$tmp/before.json" "$tmp/after.json"; ok $? "what was saved before is unchanged"
if grep -a -q 'big import' "$tmp/list"; then
    grep -a -q " $count .*big import" "$tmp/list"; ok $? "the import committed before the kill: all $count messages"
else
    ok 0 "the import left nothing (rolled back)"
fi

# The database takes the import again, and stays sound.
"$T" history import "$tmp/big.json" --db "$DB" >"$tmp/out" 2>&1
ok $? "a new import after the kill succeeds"
"$T" history list --db "$DB" >"$tmp/list" 2>&1
grep -a -q " $count .*big import" "$tmp/list"; ok $? "it holds all $count messages"
if command -v sqlite3 >/dev/null 2>&1; then
    [ "$(sqlite3 "$DB" 'PRAGMA integrity_check;')" = ok ]; ok $? "PRAGMA integrity_check after it: ok"
else
    skip "sqlite3 is not installed: integrity_check not run"
fi

echo "1..$n"
[ $fails -eq 0 ]
