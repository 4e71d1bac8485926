#!/usr/bin/python3
"""Export a trained checkpoint to GGUF, reload the file, and measure it.

For the bitnet target each linear weight W is ternarized (absmean scale s,
T = round(W/s).clamp(-1,1)) and stored as T*a with a = 127/128 in F16 (exact;
quantizing it to TQ2_0 or Q8_0 is lossless), with the per-tensor scale s/a in
blk.N.<name>.scale. The draft is stored in F32. After writing, the GGUF file is
read back and run through the float PyTorch forward (no activation
quantization, as in ternchat and llama.cpp) to compute the validation loss of
what actually ships and the reference logits for ternchat's C test.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402
from model import Config, Model  # noqa: E402
from tokenizer import CHAT_TEMPLATE, Tokenizer, render  # noqa: E402
from train import eval_windows, val_loss  # noqa: E402

TERN_A = 127.0 / 128.0
REF_PROMPT = [{"role": "user", "content": "What is the capital of France?"}]


def write_gguf(model, tok, path, name):
    cfg = model.cfg
    arch = cfg.arch
    w = gw.GGUFWriter()
    w.add("general.architecture", gw.T_STR, arch)
    w.add("general.name", gw.T_STR, name)
    w.add("general.description", gw.T_STR,
          "ternchat default %s model: a tiny demo trained on Debian text "
          "packages (see share/models/README.md)" %
          ("draft" if arch == "llama" else "target"))
    w.add("general.license", gw.T_STR, "see share/models/README.md")
    w.add("general.file_type", gw.T_U32, 0 if arch == "llama" else 1)
    w.add("general.alignment", gw.T_U32, gw.ALIGN)
    w.add(arch + ".context_length", gw.T_U32, cfg.n_ctx)
    w.add(arch + ".embedding_length", gw.T_U32, cfg.n_embd)
    w.add(arch + ".block_count", gw.T_U32, cfg.n_layer)
    w.add(arch + ".feed_forward_length", gw.T_U32, cfg.n_ff)
    w.add(arch + ".attention.head_count", gw.T_U32, cfg.n_head)
    w.add(arch + ".attention.head_count_kv", gw.T_U32, cfg.n_head_kv)
    w.add(arch + ".rope.freq_base", gw.T_F32, cfg.rope_base)
    w.add(arch + ".attention.layer_norm_rms_epsilon", gw.T_F32, cfg.eps)
    w.add(arch + ".rope.dimension_count", gw.T_U32, cfg.head_dim)
    w.add(arch + ".vocab_size", gw.T_U32, cfg.n_vocab)
    if arch == "bitnet":
        w.add("bitnet.hidden_activation", gw.T_STR, "silu")
    w.add("tokenizer.ggml.model", gw.T_STR, "llama")
    w.add_array("tokenizer.ggml.tokens", gw.T_STR, tok.pieces)
    w.add_array("tokenizer.ggml.scores", gw.T_F32, tok.scores)
    w.add_array("tokenizer.ggml.token_type", gw.T_I32, tok.types)
    w.add("tokenizer.ggml.bos_token_id", gw.T_U32, tok.bos)
    w.add("tokenizer.ggml.eos_token_id", gw.T_U32, tok.eos)
    w.add("tokenizer.ggml.unknown_token_id", gw.T_U32, tok.unk)
    w.add("tokenizer.ggml.eot_token_id", gw.T_U32, tok.im_end)
    w.add("tokenizer.ggml.add_bos_token", gw.T_BOOL, True)
    w.add("tokenizer.ggml.add_eos_token", gw.T_BOOL, False)
    w.add("tokenizer.ggml.add_space_prefix", gw.T_BOOL, True)
    w.add("tokenizer.chat_template", gw.T_STR, CHAT_TEMPLATE)

    def t(x):
        return x.detach().float().numpy()
    w.add_tensor("token_embd.weight", t(model.token_embd.weight))
    w.add_tensor("output_norm.weight", t(model.output_norm.weight))
    for i, b in enumerate(model.blocks):
        p = "blk.%d." % i
        w.add_tensor(p + "attn_norm.weight", t(b.attn_norm.weight))
        w.add_tensor(p + "ffn_norm.weight", t(b.ffn_norm.weight))
        if arch == "bitnet":
            w.add_tensor(p + "attn_sub_norm.weight", t(b.attn_sub_norm.weight))
            w.add_tensor(p + "ffn_sub_norm.weight", t(b.ffn_sub_norm.weight))
        for lname in ("attn_q", "attn_k", "attn_v", "attn_output",
                      "ffn_gate", "ffn_up", "ffn_down"):
            lin = getattr(b, lname)
            if arch == "bitnet":
                tern, s = ternarize_np(t(lin.weight))
                w.add_tensor(p + lname + ".weight", tern * TERN_A, gw.GGML_F16)
                w.add_tensor(p + lname + ".scale",
                             np.array([s / TERN_A], dtype=np.float32))
            else:
                w.add_tensor(p + lname + ".weight", t(lin.weight))
    w.write(path)


def ternarize_np(wt):
    s = max(float(np.abs(wt).mean(dtype=np.float64)), 1e-5)
    s = float(np.float32(s))
    return np.clip(np.round(wt / np.float32(s)), -1, 1).astype(np.float32), s


def load_gguf_model(path):
    """Build a float PyTorch model from a GGUF file written by write_gguf."""
    kv, ts = gw.read_gguf(path)
    arch = kv["general.architecture"]
    cfg = Config(arch=arch, n_vocab=len(kv["tokenizer.ggml.tokens"]),
                 n_embd=kv[arch + ".embedding_length"],
                 n_layer=kv[arch + ".block_count"],
                 n_head=kv[arch + ".attention.head_count"],
                 n_head_kv=kv[arch + ".attention.head_count_kv"],
                 n_ff=kv[arch + ".feed_forward_length"],
                 n_ctx=kv[arch + ".context_length"],
                 eps=kv[arch + ".attention.layer_norm_rms_epsilon"],
                 rope_base=kv[arch + ".rope.freq_base"])
    m = Model(cfg)
    m.eval()
    with torch.no_grad():
        m.token_embd.weight.copy_(torch.from_numpy(ts["token_embd.weight"]))
        m.output_norm.weight.copy_(torch.from_numpy(ts["output_norm.weight"]))
        for i, b in enumerate(m.blocks):
            p = "blk.%d." % i
            norms = ["attn_norm", "ffn_norm"]
            if arch == "bitnet":
                norms += ["attn_sub_norm", "ffn_sub_norm"]
            for n in norms:
                getattr(b, n).weight.copy_(torch.from_numpy(ts[p + n + ".weight"]))
            for lname in ("attn_q", "attn_k", "attn_v", "attn_output",
                          "ffn_gate", "ffn_up", "ffn_down"):
                lin = getattr(b, lname)
                wt = torch.from_numpy(ts[p + lname + ".weight"])
                if arch == "bitnet":
                    vals = set(np.unique(ts[p + lname + ".weight"]).tolist())
                    assert vals <= {-TERN_A, 0.0, TERN_A}, vals
                    lin.fixed = (wt, float(ts[p + lname + ".scale"][0]))
                else:
                    lin.weight.copy_(wt)
    return m, kv


def write_ref_logits(model, tok, path, model_name, gguf_path):
    text = render(REF_PROMPT, add_generation_prompt=True)
    ids = tok.encode(text)
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0].numpy().astype(np.float32)
    sha = hashlib.sha256(open(gguf_path, "rb").read()).hexdigest()
    with open(path, "w") as f:
        f.write("# ternchat reference logits v1 (format: tests/data/README.md)\n")
        f.write("model %s\n" % model_name)
        f.write("sha256 %s\n" % sha)
        f.write("prompt %s\n" % json.dumps(text))
        f.write("n_tokens %d\n" % len(ids))
        f.write("n_vocab %d\n" % logits.shape[1])
        f.write("tokens %s\n" % " ".join(str(i) for i in ids))
        f.write("argmax %s\n" % " ".join(str(int(a)) for a in
                                         logits.argmax(-1)))
        for pos in range(len(ids)):
            f.write("logits %d %s\n" % (pos, " ".join(
                "%.6e" % v for v in logits[pos])))
    return ids, logits


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tok", required=True, help="tokenizer dir (spm.model, valid.bin)")
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--ref-logits", help="write reference logits here")
    ap.add_argument("--metrics", help="write JSON metrics here")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-windows", type=int, default=96)
    ap.add_argument("--seq", type=int, default=512)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = Tokenizer(os.path.join(args.tok, "spm.model"))
    ck = torch.load(args.ckpt)
    cfg = Config.from_dict(ck["cfg"])
    model = Model(cfg)
    model.load_state_dict(ck["model"])
    valid = np.fromfile(os.path.join(args.tok, "valid.bin"), dtype=np.uint16)
    win = eval_windows(valid, args.seq, args.eval_windows)
    metrics = {"params": model.n_params(), "train_steps": ck["step"],
               "train_tokens": ck["tokens"], "train_seconds": round(ck["spent"]),
               "sec_per_step": round(ck["spent"] / max(ck["step"], 1), 4)}
    if cfg.arch == "bitnet":
        model.set_act_quant(True)
        metrics["val_loss_qat_int8_act"] = round(val_loss(model, win), 4)
        model.set_act_quant(False)
        metrics["val_loss_checkpoint_float_act"] = round(val_loss(model, win), 4)
    else:
        metrics["val_loss_checkpoint"] = round(val_loss(model, win), 4)
    os.makedirs(os.path.dirname(os.path.abspath(args.gguf)), exist_ok=True)
    write_gguf(model, tok, args.gguf, args.name)
    m2, kv = load_gguf_model(args.gguf)
    metrics["val_loss_exported"] = round(val_loss(m2, win), 4)
    metrics["gguf_bytes"] = os.path.getsize(args.gguf)
    metrics["val_tokens"] = int(win[:, 1:].numel())
    if args.ref_logits:
        ids, logits = write_ref_logits(m2, tok, args.ref_logits,
                                       os.path.basename(args.gguf), args.gguf)
        metrics["ref_tokens"] = len(ids)
    print(json.dumps(metrics, indent=1))
    if args.metrics:
        with open(args.metrics, "w") as f:
            json.dump(metrics, f, indent=1)


if __name__ == "__main__":
    main()
