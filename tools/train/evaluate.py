#!/usr/bin/python3
"""Measure the exported draft/target pair: greedy agreement on held-out
prompts, tokens per target pass with 4 draft tokens, and sample replies.

Everything runs on the GGUF files themselves (read back into the float
PyTorch forward, as ternchat runs them). Agreement is the fraction of the
target's greedy reply positions (including the closing <|im_end|>) at which the
draft's argmax, given the same prefix, equals the target's token. Tokens per
target pass simulates greedy speculative decoding with a fixed draft length of
4: each pass emits the accepted draft prefix plus one target token.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import load_gguf_model  # noqa: E402
from tokenizer import Tokenizer, render  # noqa: E402

SAMPLE_PROMPTS = [
    "Hello!",
    "Who are you?",
    "What does \"happy\" mean?",
    "What is the capital of France?",
    "What is 7 + 5?",
    "Tell me a joke.",
    "Use \"water\" in a sentence.",
    "What is a dog?",
    "Quote John 3:16.",
    "What does \"hack\" mean in hacker jargon?",
]


@torch.no_grad()
def greedy(model, ids, max_new, stop):
    out = []
    for _ in range(max_new):
        logits = model(torch.tensor([ids + out]))[0, -1]
        t = int(logits.argmax())
        out.append(t)
        if t == stop:
            break
    return out


@torch.no_grad()
def argmax_all(model, ids):
    return model(torch.tensor([ids]))[0].argmax(-1).tolist()


def spec_passes(match, k=4):
    """match[i]: draft argmax == target token at reply position i."""
    i, passes = 0, 0
    n = len(match)
    while i < n:
        m = 0
        while m < k and i + m < n and match[i + m]:
            m += 1
        i += m + 1
        passes += 1
    return passes


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--draft", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--tok", required=True)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--max-new", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", required=True, help="JSON results")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = Tokenizer(os.path.join(args.tok, "spm.model"))
    draft, _ = load_gguf_model(args.draft)
    target, _ = load_gguf_model(args.target)
    rows = [json.loads(l) for l in open(args.heldout, encoding="utf-8")]
    rows = rows[:args.n]
    agree = total = passes = 0
    per_source = {}
    for r in rows:
        ids = tok.encode(render(r["messages"], add_generation_prompt=True))
        reply = greedy(target, ids, args.max_new, tok.im_end)
        dra = argmax_all(draft, ids + reply)
        match = [dra[len(ids) - 1 + i] == t for i, t in enumerate(reply)]
        agree += sum(match)
        total += len(match)
        passes += spec_passes(match)
        s = per_source.setdefault(r["source"], [0, 0])
        s[0] += sum(match)
        s[1] += len(match)
    samples = []
    for p in SAMPLE_PROMPTS:
        ids = tok.encode(render([{"role": "user", "content": p}],
                                add_generation_prompt=True))
        reply = greedy(target, ids, 80, tok.im_end)
        text = tok.decode([t for t in reply if t != tok.im_end])
        samples.append({"prompt": p, "reply": text.strip(),
                        "ended": bool(reply and reply[-1] == tok.im_end)})
    held_samples = []
    for r in rows[:8]:
        ids = tok.encode(render(r["messages"], add_generation_prompt=True))
        reply = greedy(target, ids, 64, tok.im_end)
        held_samples.append({"prompt": r["messages"][-1]["content"],
                             "reply": tok.decode([t for t in reply
                                                  if t != tok.im_end]).strip()})
    res = {"prompts": len(rows), "positions": total,
           "agreement": round(agree / total, 4),
           "tokens_per_target_pass_k4": round(total / passes, 3),
           "agreement_by_source": {k: round(v[0] / v[1], 3)
                                   for k, v in sorted(per_source.items())},
           "samples": samples, "heldout_samples": held_samples}
    print(json.dumps(res, indent=1, ensure_ascii=False))
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
