#!/bin/sh
# test_fault_disk.sh: `ternchat chat` (line mode) when the history cannot
# be written: the disk is full, the file grows past the process's file size
# limit, or the database is read-only. Each time the replies are still
# printed, a clear warning says the chat is not saved, and what was saved
# before is intact afterwards (same export, PRAGMA integrity_check ok).
#   - disk full: a small tmpfs, filled up (needs root and mount; skipped
#     visibly otherwise);
#   - file size limit: ulimit -f with SIGXFSZ ignored (works anywhere);
#   - read-only: a tmpfs remounted read-only (root), else the file and its
#     directory made read-only for a user who is not root.
# Prints TAP.
T=${TERNCHAT:?TERNCHAT is not set}
B=${TERNCHAT_BUILDDIR:?TERNCHAT_BUILDDIR is not set}
tmp=$(mktemp -d) || exit 1
mnt=""
cleanup() {
    [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
    chmod -R u+w "$tmp" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

"$B/tools/ternchat-mkmodel" --ctx 4096 --seed 11 -o "$tmp/m.gguf" >/dev/null
ok $? "a test model"
M="$tmp/m.gguf"
printf 'first message\n' | "$T" chat -m "$M" --db "$tmp/h.db" -n 4 --temp 0 >/dev/null 2>&1
ok $? "a conversation saved before"
"$T" history show 1 --db "$tmp/h.db" 2>&1 | sed 2d >"$tmp/before"

# intact DB LABEL: the messages saved before are still there, unchanged, in
# DB (those saved before the disk filled up may follow them).
intact() {
    "$T" history show 1 --db "$1" 2>&1 | sed 2d >"$tmp/after"
    head -c "$(wc -c <"$tmp/before")" "$tmp/after" | cmp -s - "$tmp/before"
    ok $? "$2: what was saved before is unchanged"
    if command -v sqlite3 >/dev/null 2>&1; then
        [ "$(sqlite3 "$1" 'PRAGMA integrity_check;' 2>&1)" = ok ]; ok $? "$2: PRAGMA integrity_check: ok"
    else
        skip "$2: sqlite3 is not installed: integrity_check not run"
    fi
}

# chat_on DB LABEL PATTERN [limit]: two messages to a chat continuing the
# conversation; the replies must come, with a warning matching PATTERN.
chat_on() {
    db=$1 label=$2 pat=$3
    printf 'second message\nthird message\n' >"$tmp/in"
    if [ $# -ge 4 ]; then
        (trap '' XFSZ; ulimit -f "$4" && exec "$T" chat -m "$M" --db "$db" --conv 1 -n 4 --temp 0 \
            --stats <"$tmp/in" >"$tmp/out" 2>"$tmp/err")
    else
        "$T" chat -m "$M" --db "$db" --conv 1 -n 4 --temp 0 --stats <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
    fi
    rc=$?
    [ $rc -eq 0 ] && [ "$(grep -a -c 'tokens/s' "$tmp/err")" -eq 2 ]
    ok $? "$label: the chat goes on (exit $rc, both replies made)"
    grep -a -q -i -E "$pat" "$tmp/err"; ok $? "$label: a warning says why nothing is saved"
    grep -a 'warning' "$tmp/err" | sed 's/^/# /'
}

# Can we mount a tmpfs? (root, and a system that allows it)
mnt="$tmp/mnt"
mkdir "$mnt"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m,mode=0700 tmpfs "$mnt" 2>/dev/null; then
    # Disk full: fill the tmpfs, leaving room for SQLite's WAL index only.
    cp "$tmp/h.db" "$mnt/h.db"
    free_kb=$(df -k "$mnt" | awk 'NR == 2 { print $4 }')
    dd if=/dev/zero of="$mnt/fill" bs=1024 count=$((free_kb - 40)) 2>/dev/null
    chat_on "$mnt/h.db" "disk full" 'disk full|not saved'
    rm -f "$mnt/fill"
    intact "$mnt/h.db" "disk full"

    # Read-only file system.
    cp "$tmp/h.db" "$mnt/ro.db"
    rm -f "$mnt/h.db"*
    if mount -o remount,ro "$mnt" 2>/dev/null; then
        chat_on "$mnt/ro.db" "read-only file system" 'read-only|not saved'
        mount -o remount,rw "$mnt" # (sqlite3 cannot check a WAL file it cannot lock)
        intact "$mnt/ro.db" "read-only file system"
    else
        skip "read-only file system: remount failed"
    fi
    umount "$mnt"
else
    skip "disk full: cannot mount a tmpfs here (needs root)"
fi
mnt=""

# File size limit: writes past 64 KiB fail (EFBIG), so the WAL cannot grow.
cp "$tmp/h.db" "$tmp/fsz.db"
chat_on "$tmp/fsz.db" "file size limit" 'not saved|I/O|full' 128
intact "$tmp/fsz.db" "file size limit"

# Read-only file and directory, for a user who is not root.
mkdir "$tmp/ro"
cp "$tmp/h.db" "$tmp/ro/h.db"
chmod 0444 "$tmp/ro/h.db"
chmod 0555 "$tmp/ro"
if [ "$(id -u)" -ne 0 ]; then
    chat_on "$tmp/ro/h.db" "read-only file" 'read-only|not saved'
    intact "$tmp/ro/h.db" "read-only file"
elif command -v setpriv >/dev/null 2>&1 && chmod 0755 "$tmp" && chmod 0644 "$M" &&
     setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    printf 'second message\nthird message\n' | setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$T" chat -m "$M" --db "$tmp/ro/h.db" --conv 1 -n 4 --temp 0 --stats >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] && [ "$(grep -a -c 'tokens/s' "$tmp/err")" -eq 2 ]
    ok $? "read-only file (as nobody): the chat goes on (exit $rc, both replies made)"
    grep -a -q -i -E 'read-only|not saved' "$tmp/err"; ok $? "read-only file (as nobody): a warning says why"
    grep -a 'warning' "$tmp/err" | sed 's/^/# /'
    intact "$tmp/ro/h.db" "read-only file"
    chmod 0700 "$tmp"
else
    skip "read-only file: running as root without setpriv"
fi

echo "1..$n"
[ $fails -eq 0 ]
