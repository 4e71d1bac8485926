#!/bin/sh
# Train ternchat's default model pair end to end and ship it.
#   tools/train/run.sh [WORKDIR]
# Environment: TARGET_MIN / DRAFT_MIN (training minutes, default 110 / 45),
# SKIP_APT=1 to skip the apt-get step, SMOKE=1 for a few-minute smoke run
# (writes into WORKDIR only, ships nothing), EVAL_N = held-out prompts
# used for the agreement measurement (default 150).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-/work/train-work}
py=/usr/bin/python3
TARGET_MIN=${TARGET_MIN:-110}
DRAFT_MIN=${DRAFT_MIN:-45}
mkdir -p "$work"

if [ "${SKIP_APT:-0}" != 1 ]; then
    apt-get install -y --no-install-recommends python3-torch python3-numpy \
        python3-sentencepiece libopenblas0-openmp wordnet-base fortunes \
        fortunes-min fortunes-bofh-excuses fortunes-debian-hints dict-jargon \
        dict-devil bible-kjv bible-kjv-text miscfiles
fi

t() { s=$(date +%s); "$@"; echo "step took $(( $(date +%s) - s ))s: $*" >&2; }

t $py "$here/corpus.py" --out "$work/corpus"
t $py "$here/tokenizer.py" --corpus "$work/corpus" --out "$work/tok"
echo '{"n_vocab": 2048}' > "$work/tok/vocab.json"

logs=$here/logs
EVAL_N=${EVAL_N:-150}
if [ "${SMOKE:-0}" = 1 ]; then
    TARGET_MIN=2; DRAFT_MIN=2; EVAL_N=5; ship=$work/smoke-ship; logs=$work/logs
else
    ship=$root
fi
mkdir -p "$logs"
mkdir -p "$ship/share/models" "$ship/tests/data"

# draft and target train concurrently, one torch thread each
nice -n 10 $py "$here/train.py" --preset target --data "$work/tok" \
    --out "$work/target" --minutes "$TARGET_MIN" --threads 1 --batch 4 \
    --seq 512 --lr 2.5e-3 > "$logs/target.log" 2>&1 &
tp=$!
nice -n 10 $py "$here/train.py" --preset draft --data "$work/tok" \
    --out "$work/draft" --minutes "$DRAFT_MIN" --threads 1 --batch 6 \
    --seq 512 --lr 3e-3 > "$logs/draft.log" 2>&1 &
dp=$!
wait $tp
wait $dp

for m in draft target; do
    t $py "$here/export.py" --ckpt "$work/$m/ckpt.pt" --tok "$work/tok" \
        --gguf "$ship/share/models/ternchat-$m.gguf" --name "ternchat-$m" \
        --ref-logits "$ship/tests/data/ternchat-$m.logits.txt" \
        --metrics "$work/$m/metrics.json" --threads 1
done
t $py "$here/evaluate.py" --draft "$ship/share/models/ternchat-draft.gguf" \
    --target "$ship/share/models/ternchat-target.gguf" --tok "$work/tok" \
    --heldout "$work/corpus/heldout_prompts.jsonl" --n "$EVAL_N" \
    --out "$work/eval.json"
