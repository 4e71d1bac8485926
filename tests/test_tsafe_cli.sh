#!/bin/sh
# test_tsafe_cli.sh: text that tries to take over the terminal. A model
# whose reply is an OSC 52 clipboard write (ESC ] 52 ; c ; ... BEL) followed
# by cursor movement and a screen clear (built here byte by byte: one
# layer, zero weights, embeddings and output rows that chain the two
# tokens), and stored messages holding the same sequences, are shown by
# `generate`, `history show`, `history search` and `history list` on a
# pseudo-terminal (script(1), skipped visibly without it): the raw ESC and
# BEL bytes must not reach the terminal, their visible forms (^[, ^G) must.
# Also: the database directory is created 0700 and the file 0600, even
# under umask 000 and at the default (XDG) location. Prints TAP.
T=${TERNCHAT:?TERNCHAT is not set}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
LC_ALL=C
export LC_ALL
ESC=$(printf '\033')
BEL=$(printf '\007')
OSC52="${ESC}]52;c;SGVsbG8gZnJvbSB0aGUgbW9kZWw=${BEL}"
CSI="${ESC}[2J${ESC}[H${ESC}[10;20H${ESC}[?25l"

# ---- a GGUF file, byte by byte (little-endian) ----
le() { # le BYTES VALUE: VALUE as BYTES little-endian bytes
    le_i=0 le_v=$2 le_s=""
    while [ $le_i -lt "$1" ]; do
        le_s="$le_s\\$(printf '%03o' $((le_v & 255)))"
        le_v=$((le_v >> 8))
        le_i=$((le_i + 1))
    done
    printf "$le_s"
}
u32() { le 4 "$1"; }
u64() { le 8 "$1"; }
str() { u64 "$(printf '%s' "$1" | wc -c)"; printf '%s' "$1"; }
kv_u32() { str "$1"; u32 4; u32 "$2"; }
kv_str() { str "$1"; u32 8; str "$2"; }
F1=1065353216  # 1.0f
F0=0
floats() { for f in "$@"; do u32 "$f"; done; }
zeros() { z_i=0; while [ $z_i -lt "$1" ]; do u32 0; z_i=$((z_i + 1)); done; }

# Tokens: 0 <unk>, 1 <s>, 2 </s>, 3 "a", 4 the OSC 52 write, 5 the cursor
# movement. Embeddings (4 dims): every token but 4 and 5 is state 0,
# token 4 state 1, token 5 state 2. Output rows: state 0 -> token 4,
# state 1 -> token 5, state 2 -> </s>. All other weights are zero, so the
# residual stream is the embedding and greedy decoding follows the chain.
parrot() {
    printf 'GGUF'; u32 3; u64 12; u64 14
    kv_str general.architecture llama
    kv_u32 llama.embedding_length 4
    kv_u32 llama.block_count 1
    kv_u32 llama.context_length 256
    kv_u32 llama.attention.head_count 1
    kv_u32 llama.attention.head_count_kv 1
    kv_u32 llama.feed_forward_length 4
    str llama.attention.layer_norm_rms_epsilon; u32 6; u32 925353388 # f32 1e-5
    kv_str tokenizer.ggml.model llama
    str tokenizer.ggml.tokens; u32 9; u32 8; u64 6
    str '<unk>'; str '<s>'; str '</s>'; str 'a'; str "$OSC52"; str "$CSI"
    str tokenizer.ggml.token_type; u32 9; u32 5; u64 6
    u32 2; u32 3; u32 3; u32 1; u32 1; u32 1
    kv_u32 tokenizer.ggml.bos_token_id 1
    kv_u32 tokenizer.ggml.eos_token_id 2
    kv_u32 tokenizer.ggml.unknown_token_id 0
    # tensor infos: name, n_dims, dims, type f32 (0), offset (32-aligned)
    off=0
    for t in token_embd.weight:6 output.weight:6 output_norm.weight:1 blk.0.attn_norm.weight:1 \
             blk.0.ffn_norm.weight:1 blk.0.attn_q.weight:4 blk.0.attn_k.weight:4 \
             blk.0.attn_v.weight:4 blk.0.attn_output.weight:4 blk.0.ffn_gate.weight:4 \
             blk.0.ffn_up.weight:4 blk.0.ffn_down.weight:4; do
        name=${t%:*} rows=${t#*:}
        str "$name"
        if [ "$rows" -eq 1 ]; then u32 1; u64 4; else u32 2; u64 4; u64 "$rows"; fi
        u32 0; u64 $off
        off=$(( (off + 16 * rows + 31) / 32 * 32 ))
    done
}

# The data, in the same order (each tensor padded to 32 bytes).
parrot_data() {
    floats $F1 $F0 $F0 $F0  $F1 $F0 $F0 $F0  $F1 $F0 $F0 $F0  $F1 $F0 $F0 $F0 \
           $F0 $F1 $F0 $F0  $F0 $F0 $F1 $F0                 # token_embd (6 rows)
    floats $F0 $F0 $F0 $F0  $F0 $F0 $F0 $F0  $F0 $F0 $F1 $F0  $F0 $F0 $F0 $F0 \
           $F1 $F0 $F0 $F0  $F0 $F1 $F0 $F0                 # output (6 rows)
    floats $F1 $F1 $F1 $F1; zeros 4                          # output_norm
    floats $F1 $F1 $F1 $F1; zeros 4                          # attn_norm
    floats $F1 $F1 $F1 $F1; zeros 4                          # ffn_norm
    zeros $((7 * 16))                                        # the seven matrices
}

{
    parrot
    # pad the header to the alignment
    size=$(parrot | wc -c)
    pad=$(( (size + 31) / 32 * 32 - size ))
    i=0; while [ $i -lt $pad ]; do printf '\000'; i=$((i + 1)); done
    parrot_data
} >"$tmp/parrot.gguf"
"$T" generate -m "$tmp/parrot.gguf" -p hi -n 8 --temp 0 >"$tmp/raw" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && grep -q "$OSC52" "$tmp/raw" && grep -q "$ESC\\[2J" "$tmp/raw"
ok $? "the test model replies with an OSC 52 write and cursor movement (raw into a pipe; exit $rc)"
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/err"

# on_tty NAME CMD...: run CMD on a pseudo-terminal; the bytes it wrote go
# to $tmp/tty. Returns 1 (and skips) without script(1).
on_tty() {
    name=$1
    shift
    if ! command -v script >/dev/null 2>&1; then
        skip "$name: script(1) (util-linux) is not installed"
        return 1
    fi
    cmd=""
    for a in "$@"; do cmd="$cmd '$a'"; done
    script -q -e -c "$cmd" /dev/null </dev/null >"$tmp/tty" 2>&1
}

# visible NAME: no raw ESC or BEL on the terminal, ^[ and ^G instead
# (ternchat's own highlighting of search matches, ESC[7m ... ESC[27m, aside).
visible() {
    sed -e "s/${ESC}\[7m//g" -e "s/${ESC}\[27m//g" "$tmp/tty" >"$tmp/tty2"
    ! grep -q "$ESC" "$tmp/tty2" && ! grep -q "$BEL" "$tmp/tty2" &&
        grep -q '\^\[\]52;c;SGVsbG8gZnJvbSB0aGUgbW9kZWw=\^G' "$tmp/tty2"
    r=$?
    [ $r -eq 0 ] || sed -n '1,12p' "$tmp/tty" | od -c | sed 's/^/# /'
    ok $r "$1: no raw ESC or BEL reaches the terminal, ^[ and ^G do"
}

if on_tty "generate" "$T" generate -m "$tmp/parrot.gguf" -p hi -n 8 --temp 0; then
    visible "generate"
    grep -q '\^\[\[2J\^\[\[H\^\[\[10;20H' "$tmp/tty"; ok $? "generate: cursor movement shown as text"
fi

# A model file whose architecture name is an escape sequence: the error
# message must not carry it to the terminal either.
{ printf 'GGUF'; u32 3; u64 0; u64 1; kv_str general.architecture "$OSC52$CSI"; } >"$tmp/evil.gguf"
if on_tty "an error naming the file's strings" "$T" generate -m "$tmp/evil.gguf" -p hi; then
    ! grep -q "$ESC" "$tmp/tty" && ! grep -q "$BEL" "$tmp/tty" && grep -q 'unknown architecture' "$tmp/tty"
    ok $? "an error quoting the model file's strings: no raw ESC or BEL"
fi

# Stored text: a conversation whose title, user message and reply hold the
# sequences (JSON escapes), imported, then shown.
DB="$tmp/h.db"
cat >"$tmp/evil.json" <<'EOF'
{"format": "ternchat-conversation", "version": 1,
 "title": "clipboard \u001b]52;c;SGVsbG8gZnJvbSB0aGUgbW9kZWw=\u0007 thief",
 "messages": [
  {"id": 1, "role": "user", "text": "find the needle \u001b[2J\u001b[H here"},
  {"id": 2, "parent": 1, "role": "assistant", "text": "needle: \u001b]52;c;SGVsbG8gZnJvbSB0aGUgbW9kZWw=\u0007\u001b[10;20H\u009b31m done"}]}
EOF
"$T" history import "$tmp/evil.json" --db "$DB" >/dev/null 2>&1
ok $? "a conversation with escape sequences imported"
if on_tty "history show" "$T" history show 1 --db "$DB"; then
    visible "history show"
    grep -q '<U+009B>31m' "$tmp/tty"; ok $? "history show: the C1 CSI (U+009B) shown as <U+009B>"
fi
if on_tty "history search" "$T" history search needle --db "$DB"; then
    visible "history search"
fi
if on_tty "history search --regex" "$T" history search --regex 'needle: .*done' --db "$DB"; then
    visible "history search --regex"
fi
if on_tty "history list" "$T" history list --db "$DB"; then
    visible "history list"
fi

# ---- the database is private ----
(umask 000; "$T" history list --db "$tmp/new/deeper/h.db" >/dev/null 2>&1)
[ "$(stat -c %a "$tmp/new")" = 700 ] && [ "$(stat -c %a "$tmp/new/deeper")" = 700 ]
ok $? "under umask 000, new database directories are 0700"
[ "$(stat -c %a "$tmp/new/deeper/h.db")" = 600 ]; ok $? "... and the new database file is 0600"
(umask 000; unset TERNCHAT_DB; XDG_DATA_HOME="$tmp/xdg" "$T" history list >/dev/null 2>&1)
[ "$(stat -c %a "$tmp/xdg/ternchat")" = 700 ] && [ "$(stat -c %a "$tmp/xdg/ternchat/ternchat.db")" = 600 ]
ok $? "the default location (XDG_DATA_HOME/ternchat/ternchat.db): 0700 and 0600"
printf 'hello\n' | (umask 022; unset TERNCHAT_DB; XDG_DATA_HOME="$tmp/xdg2" "$T" chat -m "$tmp/parrot.gguf" -n 4 --temp 0 >/dev/null 2>&1)
[ "$(stat -c %a "$tmp/xdg2/ternchat")" = 700 ] && [ "$(stat -c %a "$tmp/xdg2/ternchat/ternchat.db")" = 600 ]
ok $? "a chat creates its database 0600 in a 0700 directory"

echo "1..$n"
[ $fails -eq 0 ]
