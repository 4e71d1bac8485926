#!/bin/sh
# test_screen.sh: the chat screen end to end, in tmux: start, a question
# and its streamed reply, Esc in the middle of a reply, the quant key,
# search and opening a hit, the browser (read-only, continue), the
# statistics page, help, copy through the config's copy_command, resizes
# to 80x24 and 200x60, quitting (the terminal given back, the
# conversation in `ternchat history`), SIGTERM and a crash in the middle
# of a reply (terminal restored, the reply saved), and colours (none with
# NO_COLOR). Deterministic screens are compared with tests/screens/*.txt
# (dates masked); set TERNCHAT_SCREENS_UPDATE=1 to rewrite them. Prints TAP.
T=${TERNCHAT:?TERNCHAT is not set}
B=${TERNCHAT_BUILDDIR:?TERNCHAT_BUILDDIR is not set}
S=${TERNCHAT_SRCDIR:-$(dirname "$0")/..}
if ! command -v tmux >/dev/null 2>&1; then
    echo "1..0 # SKIP tmux is not installed"
    exit 0
fi
tmp=$(mktemp -d /tmp/ternchat-screen-XXXXXX) || exit 1
sock="$tmp/tmux.sock"
tm() { tmux -S "$sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# An isolated home: no config, history or models of the user's.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share"
export LC_ALL=C.UTF-8 LANG=C.UTF-8
unset NO_COLOR TERNCHAT_DB TERNCHAT_MODELS VISUAL EDITOR
mkdir -p "$XDG_CONFIG_HOME/ternchat"

# screen [PANE]: the pane's text now, into $tmp/screen
screen() { tm capture-pane -p -t "${1:-t}" 2>/dev/null | sed 's/[[:space:]]*$//' >"$tmp/screen"; }
# wait_for REGEX [SECONDS [PANE]]: poll the pane until a line matches
wait_for() {
    w_i=0
    w_max=$(( ${2:-60} * 10 ))
    while [ $w_i -lt $w_max ]; do
        screen "${3:-t}"
        grep -q -E -e "$1" "$tmp/screen" && return 0
        sleep 0.1
        w_i=$((w_i + 1))
    done
    echo "# timed out waiting for /$1/; the screen:"
    sed 's/^/#   /' "$tmp/screen"
    return 1
}
# wait_gone REGEX [SECONDS]: poll until no line matches
wait_gone() {
    w_i=0
    while [ $w_i -lt $(( ${2:-10} * 10 )) ]; do
        screen
        grep -q -E -e "$1" "$tmp/screen" || return 0
        sleep 0.1
        w_i=$((w_i + 1))
    done
    return 1
}
# keys KEY...: send keys one at a time (Esc must not run into the next)
keys() { for k in "$@"; do tm send-keys -t "${PANE:-t}" "$k"; sleep 0.15; done; }
# type TEXT: literal text
typ() { tm send-keys -t "${PANE:-t}" -l "$1"; sleep 0.1; }
# line N of the screen (1-based)
row() { sed -n "${1}p" "$tmp/screen"; }
# reply_shown: the last reply on the screen has text
reply_shown() {
    awk '/│Assistant/ { f = 1; t = 0; next } f && /│  [^ ]/ { t = 1 } END { exit !t }' "$tmp/screen"
}
# wait_reply [SECONDS [PANE]]: until the reply being written shows text
wait_reply() {
    w_i=0
    while [ $w_i -lt $(( ${1:-30} * 10 )) ]; do
        screen "${2:-t}"
        reply_shown && return 0
        sleep 0.1
        w_i=$((w_i + 1))
    done
    echo "# timed out waiting for the reply's text; the screen:"
    sed 's/^/#   /' "$tmp/screen"
    return 1
}
# saved_reply FILE: bytes of the first reply in `history show` output
saved_reply() {
    awk '/^--- assistant/ { f = 1; next } /^--- / { f = 0 } f { n += length($0) } END { print n + 0 }' "$1"
}
# same_screen NAME [nostatus]: compare $tmp/screen (times masked, and the
# status line with nostatus) with tests/screens/NAME.txt
same_screen() {
    lines=$(wc -l <"$tmp/screen")
    sed -e 's/today [0-9][0-9]:[0-9][0-9]/today HH:MM/g' -e 's/[0-9][0-9]:[0-9][0-9]│/HH:MM│/g' \
        "$tmp/screen" >"$tmp/masked"
    if [ -n "$2" ]; then
        sed "$((lines - 1))s/.*/<the status line>/" "$tmp/masked" >"$tmp/masked2"
        mv "$tmp/masked2" "$tmp/masked"
    fi
    if [ -n "$TERNCHAT_SCREENS_UPDATE" ]; then
        cp "$tmp/masked" "$S/tests/screens/$1.txt"
    fi
    if diff -u "$S/tests/screens/$1.txt" "$tmp/masked" >"$tmp/diff" 2>&1; then
        return 0
    fi
    sed 's/^/#   /' "$tmp/diff"
    return 1
}

# A random model with a large vocabulary: the end-of-text token is rare,
# so replies go on until stopped.
"$B/tools/ternchat-mkmodel" --ctx 4096 --n-vocab 32000 --seed 12 -o "$tmp/m.gguf" >/dev/null
ok $? "a test model"
M="$tmp/m.gguf"
DB="$tmp/h.db"
cat >"$XDG_CONFIG_HOME/ternchat/config" <<EOC
# the command line wins over these
temp = 0.3
copy_command = cat > '$tmp/clip'
EOC
OPTS="-m '$M' -t 1 --temp 1 --top-k 0 --top-p 1 --min-p 0 --spec off --seed 5"
RUN="'$T' $OPTS"
# for the signal tests: the shell's pid becomes ternchat's
cat >"$tmp/run.sh" <<EOR
echo \$\$ >'$tmp/pid'
exec '$T' $OPTS "\$@"
EOR
# after ternchat ends: its status and whether the terminal is sane again
AFTER="echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '; echo; sleep 600"

# a session that keeps the server up between the others
tm new-session -d -s keep "sleep 3600" && tm new-session -d -s t -x 100 -y 30 "$RUN --db '$DB'; $AFTER"
r=$?
ok $r "tmux runs ternchat in a 100x30 window"
if [ $r -ne 0 ]; then
    echo "# tmux cannot start a session here: the rest cannot run"
    echo "1..$n"
    exit 1
fi
wait_for 'm.gguf · f32 · spec off · temp 1 · new chat' 60
ok $? "the model loads; the status line: model, quant, spec, temp (the option beat the config)"
same_screen start-100x30
ok $? "the start screen is as stored"

# a question; the reply streams
typ 'tell me a long story'
keys Enter
wait_for 'tok/s · C-c stops' 30
ok $? "Enter sends: busy, speed in the status line"
wait_reply 30
ok $? "the reply appears under Assistant"
c1=$(grep -o '[0-9]* / 4096' "$tmp/screen" | head -1 | cut -d' ' -f1)
sleep 1
screen
c2=$(grep -o '[0-9]* / 4096' "$tmp/screen" | head -1 | cut -d' ' -f1)
[ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ]
ok $? "it keeps streaming (context $c1 -> $c2 tokens)"
grep -q 'tell me a long story' "$tmp/screen" && grep -q '^1 tell me a long story' "$tmp/screen"
ok $? "the prompt is shown and the conversation is in the list"

# Esc stops it; the partial reply stays, marked stopped
keys Escape
wait_for 'Assistant  stopped · [0-9]+ tok' 20
ok $? "Esc stops the reply: 'stopped' in its header"
"$T" history show 1 --db "$DB" >"$tmp/show" 2>&1
grep -q '^--- assistant.*\[stopped\]' "$tmp/show" && [ "$(saved_reply "$tmp/show")" -gt 0 ]
ok $? "the partial reply is saved, marked stopped"

# the quant key (F4): f32 -> q8_0
typ '/set n_predict 400'
keys Enter
keys F4
wait_for 'q8_0 ctx' 120
tail -2 "$tmp/screen" | head -1 | grep -q 'q8_0'
ok $? "F4: the status line shows q8_0"
typ 'and now on q8'
keys Enter
wait_for 'Assistant  [^│]*q8_0' 60
ok $? "the next reply is recorded under q8_0"
"$T" stats --db "$DB" >"$tmp/stats" 2>&1
grep -q 'f32' "$tmp/stats"
ok $? "ternchat stats has the f32 replies"

# search, and open the hit
keys F3
typ 'story'
keys Enter
wait_for 'Search: story \(1 hit\)' 10
ok $? "F3 searches: one hit"
same_screen search-100x30 nostatus
ok $? "the results page is as stored (the match highlighted)"
tm capture-pane -p -e -t t | grep -q "$(printf '\033')\[[0-9;]*mstory"
ok $? "the match has its own attributes"
keys Enter
wait_for 'You  ◀ search hit' 10
ok $? "Enter opens the conversation at the hit"
keys Escape

# the browser: view read-only, then continue
keys F11
wait_for 'Saved conversations \(1\)' 10
ok $? "F11 browses saved conversations"
grep -q 'tell me a long story.*today.*m.gguf' "$tmp/screen"
ok $? "with title, date and model"
keys v
wait_for '\[read-only\]' 10
typ 'not allowed'
keys Enter
wait_for 'open read-only: /continue' 10
ok $? "a read-only conversation refuses prompts"
keys C-u
typ '/continue'
keys Enter
wait_gone '\[read-only\]'
ok $? "/continue makes it writable again"

# the statistics page
keys F12
wait_for 'Speed statistics' 10
ok $? "F12 shows the statistics page"
grep -q 'This session, by quant mode' "$tmp/screen" && grep -q ' f32 .*tok/s' "$tmp/screen"
ok $? "with this session's speed by quant mode"
keys q

# help
keys F1
wait_for 'ternchat help' 10
same_screen help-100x30
ok $? "the help screen is as stored"
keys q

# copy the last reply with the copy_command
keys M-c
wait_for 'copied [0-9]+ bytes with the copy_command' 10
ok $? "M-c copies with the config's copy_command"
[ -s "$tmp/clip" ]
ok $? "the command got the reply"

# resizes
tm resize-window -t t -x 80 -y 24
w_i=0
while [ $w_i -lt 100 ]; do
    screen
    row 24 | grep -q '^F1Help.*F10Quit' && break
    sleep 0.1
    w_i=$((w_i + 1))
done
[ "$(wc -l <"$tmp/screen")" -eq 24 ] && [ "$(wc -L <"$tmp/screen")" -le 80 ] \
    && row 24 | grep -q '^F1Help.*F10Quit' && grep -q 'tell me a long story' "$tmp/screen"
r=$?
[ $r -eq 0 ] || { echo "# $(wc -l <"$tmp/screen") rows, $(wc -L <"$tmp/screen") columns:"; sed 's/^/#   /' "$tmp/screen"; }
ok $r "80x24: the F-key bar on row 24, the conversation still shown"
tm resize-window -t t -x 200 -y 60
wait_for 'F12Speed' 10
row 60 | grep -q '^F1Help.*F11History.*F12Speed'
ok $? "200x60: all twelve F-keys on row 60"

# quit: the terminal is sane again, the conversation is saved
keys F10
wait_for 'EXIT=0' 20
ok $? "F10 quits with status 0"
wait_for 'icanon' 10 && grep -q '^icanon echo' "$tmp/screen"
ok $? "the terminal is restored (icanon echo)"
"$T" history list --db "$DB" >"$tmp/list" 2>&1
grep -q '^ *1 .*tell me a long story' "$tmp/list"
ok $? "ternchat history list has the conversation"
tm kill-session -t t

# SIGTERM and a crash in the middle of a reply
for sig in TERM ABRT; do
    rm -f "$tmp/pid"
    rm -f "$tmp/status"
    tm new-session -d -s k -x 100 -y 30 "sh '$tmp/run.sh' --db '$tmp/$sig.db'; echo \$? >'$tmp/status'; sleep 600"
    wait_for 'new chat' 60 k
    PANE=k typ 'a story please'
    PANE=k keys Enter
    wait_reply 30 k
    sleep 1.5 # a save of the streaming reply
    kill -$sig "$(cat "$tmp/pid")"
    w_i=0
    while [ $w_i -lt 200 ] && [ ! -s "$tmp/status" ]; do
        sleep 0.1
        w_i=$((w_i + 1))
    done
    st=$(cat "$tmp/status" 2>/dev/null)
    [ -n "$st" ]
    ok $? "SIG$sig: ternchat ends (status $st)"
    screen k
    ! grep -q 'F10Quit' "$tmp/screen"
    ok $? "SIG$sig: the screen is given back"
    "$T" history show 1 --db "$tmp/$sig.db" >"$tmp/show" 2>&1
    [ "$(saved_reply "$tmp/show")" -gt 0 ]
    ok $? "SIG$sig: the partial reply is saved"
    if [ $sig = TERM ]; then
        grep -q '^--- assistant.*\[stopped\]' "$tmp/show"
        ok $? "SIGTERM: it is marked stopped"
        [ "$st" = 143 ]
        ok $? "SIGTERM: exit status 128 + 15 ($st)"
    fi
    tm kill-session -t k
done

# colours, and none with NO_COLOR
tm new-session -d -s c -x 100 -y 30 "$RUN --db '$tmp/c.db'"
wait_for 'new chat' 60 c
tm capture-pane -p -e -t c | grep -q "$(printf '\033')\[[0-9;]*3[0-7]m"
ok $? "colours by default"
tm kill-session -t c
tm new-session -d -s c -x 100 -y 30 "NO_COLOR=1 $RUN --db '$tmp/c.db'"
wait_for 'new chat' 60 c
! tm capture-pane -p -e -t c | grep -q "$(printf '\033')\[[0-9;]*\(3[0-7]\|4[0-7]\|38;5\)"
ok $? "no colours with NO_COLOR"
tm capture-pane -p -e -t c | grep -q "$(printf '\033')\[[0-9;]*7m"
ok $? "but reverse video for the bars"
tm kill-session -t c

# the shipped models, when they are there
if [ -f "$S/share/models/ternchat-target.gguf" ]; then
    tm new-session -d -s d -x 100 -y 30 "'$T' --models-dir '$S/share/models' --db '$tmp/d.db' -t 1 -n 16; $AFTER"
    wait_for 'ternchat-target.gguf' 120 d
    ok $? "the shipped models load"
    PANE=d typ 'Hello!'
    PANE=d keys Enter
    wait_for 'Assistant  [^│]*tok/s' 120 d
    ok $? "and answer"
    # the quant key with the shipped target: the conversation is kept
    PANE=d keys F4
    wait_for 'ternchat-target.gguf[^·]* · q8_0' 120 d
    ok $? "F4 switches the shipped target to q8_0 (the status line)"
    PANE=d keys F4
    wait_for 'ternchat-target.gguf[^·]* · tq2_0' 120 d
    ok $? "F4 again: tq2_0"
    PANE=d typ 'What does happy mean?'
    PANE=d keys Enter
    wait_for 'Assistant  [^│]*tq2_0' 120 d
    ok $? "the next reply is on tq2_0"
    grep -q 'Hello!' "$tmp/screen"
    ok $? "and the first exchange is still on the screen"
    PANE=d keys F10
    wait_for 'EXIT=0' 20 d
    ok $? "and quit"
    "$T" history show 1 --db "$tmp/d.db" >"$tmp/dshow" 2>&1
    [ "$(grep -c '^--- assistant' "$tmp/dshow")" -eq 2 ]
    ok $? "both replies are in one saved conversation"
else
    skip "share/models/ternchat-target.gguf is not there (yet)"
fi

echo "1..$n"
[ $fails -eq 0 ]
