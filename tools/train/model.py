#!/usr/bin/python3
"""PyTorch definitions of ternchat's two default architectures.

- "llama" (the draft): RMSNorm, RoPE in the GGUF *normal* layout (adjacent
  pairs x[2i], x[2i+1]) so no Q/K permutation is needed at export, GQA, SwiGLU,
  LM head tied to token_embd.
- "bitnet" (the target): mainline llama.cpp's bitnet graph: NEOX RoPE
  (x[i] with x[i + n_rot/2]), attn_sub_norm before attn_output, ffn_sub_norm
  before ffn_down, SiLU gating, LM head = token_embd. Linear layers are
  BitNet b1.58 BitLinear during training (absmean ternary weights, 8-bit absmax
  per-token activations, straight-through estimators). With `ternary_scale`
  buffers set (export / reference mode) each linear uses fixed ternary weights
  times a per-tensor scale and float activations, as ternchat and llama.cpp do.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    """Model hyperparameters (also written to the GGUF metadata)."""

    def __init__(self, arch, n_vocab, n_embd, n_layer, n_head, n_head_kv,
                 n_ff, n_ctx=512, eps=1e-5, rope_base=10000.0):
        self.arch = arch
        self.n_vocab = n_vocab
        self.n_embd = n_embd
        self.n_layer = n_layer
        self.n_head = n_head
        self.n_head_kv = n_head_kv
        self.n_ff = n_ff
        self.n_ctx = n_ctx
        self.eps = eps
        self.rope_base = rope_base

    @property
    def head_dim(self):
        return self.n_embd // self.n_head

    def to_dict(self):
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) \
            * self.weight


def ste(x, xq):
    """Straight-through estimator: value of xq, gradient of x."""
    return x + (xq - x).detach()


def ternarize(w):
    """absmean ternary quantization: returns ({-1,0,1} tensor, scale s)."""
    s = w.abs().mean().clamp(min=1e-5)
    return (w / s).round().clamp(-1, 1), s


class BitLinear(nn.Module):
    """Bias-free linear layer; BitNet b1.58 QAT when quant=True."""

    def __init__(self, n_in, n_out, quant):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        nn.init.normal_(self.weight, std=1.0 / math.sqrt(n_in))
        self.quant = quant
        self.act_quant = quant          # int8 activations (training only)
        self.fixed = None               # (ternary weights * a, scale s/a)

    def forward(self, x):
        if self.fixed is not None:
            w, scale = self.fixed
            return F.linear(x, w) * scale
        if not self.quant:
            return F.linear(x, self.weight)
        t, s = ternarize(self.weight)
        w = ste(self.weight, t * s)
        if self.act_quant:
            g = x.abs().amax(-1, keepdim=True).clamp(min=1e-5)
            xq = (x * (127.0 / g)).round().clamp(-128, 127) * (g / 127.0)
            x = ste(x, xq)
        return F.linear(x, w)


def rope_tables(cfg, T, device):
    hd = cfg.head_dim
    inv = cfg.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    return (torch.cos(ang).float().to(device), torch.sin(ang).float().to(device))


def rope_normal(x, cos, sin):
    """x: [B, H, T, hd]; rotate pairs (x[2i], x[2i+1])."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack((r0, r1), dim=-1).flatten(-2)


def rope_neox(x, cos, sin):
    """x: [B, H, T, hd]; rotate (x[i], x[i + hd/2])."""
    h = x.shape[-1] // 2
    x0, x1 = x[..., :h], x[..., h:]
    return torch.cat((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)


class Block(nn.Module):
    def __init__(self, cfg, quant):
        super().__init__()
        d, hd = cfg.n_embd, cfg.head_dim
        self.cfg = cfg
        self.bitnet = cfg.arch == "bitnet"
        self.attn_norm = RMSNorm(d, cfg.eps)
        self.attn_q = BitLinear(d, cfg.n_head * hd, quant)
        self.attn_k = BitLinear(d, cfg.n_head_kv * hd, quant)
        self.attn_v = BitLinear(d, cfg.n_head_kv * hd, quant)
        self.attn_output = BitLinear(cfg.n_head * hd, d, quant)
        self.ffn_norm = RMSNorm(d, cfg.eps)
        self.ffn_gate = BitLinear(d, cfg.n_ff, quant)
        self.ffn_up = BitLinear(d, cfg.n_ff, quant)
        self.ffn_down = BitLinear(cfg.n_ff, d, quant)
        if self.bitnet:
            self.attn_sub_norm = RMSNorm(cfg.n_head * hd, cfg.eps)
            self.ffn_sub_norm = RMSNorm(cfg.n_ff, cfg.eps)

    def forward(self, x, cos, sin, mask):
        cfg = self.cfg
        B, T, _ = x.shape
        hd = cfg.head_dim
        h = self.attn_norm(x)
        q = self.attn_q(h).view(B, T, cfg.n_head, hd).transpose(1, 2)
        k = self.attn_k(h).view(B, T, cfg.n_head_kv, hd).transpose(1, 2)
        v = self.attn_v(h).view(B, T, cfg.n_head_kv, hd).transpose(1, 2)
        rope = rope_neox if self.bitnet else rope_normal
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = cfg.n_head // cfg.n_head_kv
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd)) + mask
        a = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, -1)
        if self.bitnet:
            a = self.attn_sub_norm(a)
        x = x + self.attn_output(a)
        h = self.ffn_norm(x)
        f = F.silu(self.ffn_gate(h)) * self.ffn_up(h)
        if self.bitnet:
            f = self.ffn_sub_norm(f)
        return x + self.ffn_down(f)


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        quant = cfg.arch == "bitnet"
        self.token_embd = nn.Embedding(cfg.n_vocab, cfg.n_embd)
        nn.init.normal_(self.token_embd.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(cfg, quant)
                                    for _ in range(cfg.n_layer))
        self.output_norm = RMSNorm(cfg.n_embd, cfg.eps)
        # scale residual-output projections down at init (float model)
        if not quant:
            for b in self.blocks:
                for lin in (b.attn_output, b.ffn_down):
                    lin.weight.data.mul_(1.0 / math.sqrt(2 * cfg.n_layer))

    def linears(self):
        for i, b in enumerate(self.blocks):
            for name in ("attn_q", "attn_k", "attn_v", "attn_output",
                         "ffn_gate", "ffn_up", "ffn_down"):
                yield i, name, getattr(b, name)

    def set_act_quant(self, on):
        for _, _, lin in self.linears():
            lin.act_quant = on and lin.quant

    def forward(self, idx):
        B, T = idx.shape
        cos, sin = rope_tables(self.cfg, T, idx.device)
        mask = torch.full((T, T), float("-inf"), device=idx.device).triu(1)
        x = self.token_embd(idx)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        x = self.output_norm(x)
        return x @ self.token_embd.weight.t()

    def n_params(self):
        return sum(p.numel() for p in self.parameters())
