#!/usr/bin/python3
"""Train one of ternchat's default models on the tokenized chat stream.

The learning-rate schedule (linear warmup, cosine decay to 10%) runs on wall
clock time: training stops after --minutes, so a run finishes on time however
busy the shared machine is. Checkpoints are written every few minutes and at
the end (--out/ckpt.pt); --resume continues from one.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Model  # noqa: E402

PRESETS = {
    "draft": dict(arch="llama", n_embd=64, n_layer=2, n_head=4, n_head_kv=2,
                  n_ff=192),
    "target": dict(arch="bitnet", n_embd=192, n_layer=4, n_head=6,
                   n_head_kv=2, n_ff=512),
    # Rows of 256 elements: every linear weight can be stored as TQ1_0/TQ2_0
    # (their blocks are 256 wide; a 192-wide row can only fall back to Q4_0).
    "target256": dict(arch="bitnet", n_embd=256, n_layer=4, n_head=8,
                      n_head_kv=2, n_ff=512),
}


def batches(data, bs, T, rng):
    while True:
        ix = rng.integers(0, len(data) - T - 1, size=bs)
        x = np.stack([data[i:i + T + 1] for i in ix]).astype(np.int64)
        yield torch.from_numpy(x[:, :-1]), torch.from_numpy(x[:, 1:])


def eval_windows(data, T, n):
    """Fixed, evenly spaced validation windows."""
    step = max(1, (len(data) - T - 1) // n)
    ix = [i * step for i in range(n) if i * step + T + 1 <= len(data)]
    x = np.stack([data[i:i + T + 1] for i in ix]).astype(np.int64)
    return torch.from_numpy(x)


@torch.no_grad()
def val_loss(model, win, bs=8):
    model.eval()
    tot, n = 0.0, 0
    for i in range(0, len(win), bs):
        w = win[i:i + bs]
        logits = model(w[:, :-1])
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1),
            reduction="sum")
        tot += loss.item()
        n += w[:, 1:].numel()
    model.train()
    return tot / n


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--preset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--data", required=True, help="dir with train.bin valid.bin")
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--warmup", type=float, default=0.03,
                    help="fraction of the time budget")
    ap.add_argument("--eval-every", type=float, default=5.0, help="minutes")
    ap.add_argument("--eval-windows", type=int, default=48)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    train = np.fromfile(os.path.join(args.data, "train.bin"), dtype=np.uint16)
    valid = np.fromfile(os.path.join(args.data, "valid.bin"), dtype=np.uint16)
    n_vocab = int(json.load(open(os.path.join(args.data, "vocab.json")))["n_vocab"])
    cfg = Config(n_vocab=n_vocab, n_ctx=args.ctx, **PRESETS[args.preset])
    model = Model(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2
             and "token_embd" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2
             and "token_embd" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": other, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    step, spent, tokens = 0, 0.0, 0
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, spent, tokens = ck["step"], ck["spent"], ck["tokens"]
    budget = args.minutes * 60.0
    print("preset %s params %d (%.3fM) train tokens %d budget %.0fs" % (
        args.preset, model.n_params(), model.n_params() / 1e6, len(train),
        budget), flush=True)
    win = eval_windows(valid, args.seq, args.eval_windows)
    rng = np.random.default_rng(args.seed + step)
    gen = batches(train, args.batch, args.seq, rng)
    log = open(os.path.join(args.out, "log.jsonl"), "a")

    def save(final=False):
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "cfg": cfg.to_dict(), "step": step, "spent": spent,
                    "tokens": tokens, "final": final,
                    "args": vars(args)}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    t_last_eval = spent
    t_last_save = spent
    ema = None
    t0 = time.time() - spent
    while True:
        spent = time.time() - t0
        prog = spent / budget
        if prog >= 1.0:
            break
        w = args.warmup
        if prog < w:
            lr = args.lr * max(prog / w, 0.01)
        else:
            lr = args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * (prog - w) / (1 - w))))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = next(gen)
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += x.numel()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0:
            print("step %d t %.0fs lr %.2e loss %.4f tok/s %.0f" % (
                step, spent, lr, ema, tokens / max(spent, 1e-9)), flush=True)
        if spent - t_last_eval >= args.eval_every * 60:
            vl = val_loss(model, win)
            t_last_eval = spent
            rec = {"step": step, "t": round(spent), "tokens": tokens,
                   "train_loss": round(ema, 4), "val_loss": round(vl, 4)}
            print("EVAL", json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
        if spent - t_last_save >= 300:
            save()
            t_last_save = spent
    spent = time.time() - t0
    vl = val_loss(model, win)
    rec = {"step": step, "t": round(spent), "tokens": tokens,
           "train_loss": round(ema or 0.0, 4), "val_loss": round(vl, 4),
           "final": True, "sec_per_step": round(spent / max(step, 1), 4),
           "tok_per_s": round(tokens / spent)}
    print("EVAL", json.dumps(rec), flush=True)
    log.write(json.dumps(rec) + "\n")
    log.close()
    save(final=True)


if __name__ == "__main__":
    main()
