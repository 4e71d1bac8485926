#!/usr/bin/python3
"""Tokenizer for ternchat's default models: train a SentencePiece BPE vocabulary,
tokenize chat records exactly as llama.cpp / ternchat do at inference, and
check that against a plain score-driven merge encoder.

Inference-side rule reproduced here: the chatml text is split at the special
markers; each text fragment that starts the text or follows a special token is
prefixed with a space (add_space_prefix), spaces become U+2581, and the
fragment is encoded by score-driven bigram merging with byte fallback. BOS is
prepended once.
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import sentencepiece as spm

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIALS = [IM_START, IM_END]
SPECIAL_RE = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")

# GGUF token types
T_NORMAL, T_UNKNOWN, T_CONTROL, T_BYTE = 1, 2, 3, 6

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def render(messages, add_generation_prompt=False, final_newline=True):
    """chatml rendering (llama.cpp's built-in chatml)."""
    out = "".join("%s%s\n%s%s\n" % (IM_START, m["role"], m["content"], IM_END)
                  for m in messages)
    if add_generation_prompt:
        out += IM_START + "assistant\n"
    elif not final_newline and out.endswith("\n"):
        out = out[:-1]
    return out


def fragments_for_training(rec):
    """Plain text lines used to train the vocabulary."""
    text = render(rec["messages"])
    for frag in SPECIAL_RE.split(text):
        if not frag or frag in SPECIALS:
            continue
        for line in frag.split("\n"):
            if line:
                yield line


def train_vocab(corpus_dir, prefix, vocab_size, threads):
    def it():
        with open(os.path.join(corpus_dir, "train.jsonl"),
                  encoding="utf-8") as f:
            for line in f:
                yield from fragments_for_training(json.loads(line))
    spm.SentencePieceTrainer.train(
        sentence_iterator=it(), model_prefix=prefix, model_type="bpe",
        vocab_size=vocab_size, byte_fallback=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False,
        add_dummy_prefix=True, split_digits=True,
        user_defined_symbols=SPECIALS, character_coverage=0.9995,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=threads,
        max_sentence_length=16384, input_sentence_size=2000000,
        shuffle_input_sentence=True, minloglevel=2)


def merge_encode(text, piece_id, scores):
    """Score-driven bigram merging as in llama.cpp's SPM tokenizer: spaces
    become U+2581, start from single characters, repeatedly merge the adjacent
    pair whose concatenation is a vocabulary piece with the highest score
    (leftmost on ties), then map pieces to ids with <0xXX> byte fallback."""
    syms = list(text.replace(" ", "▁"))
    while len(syms) > 1:
        best, bi = None, -1
        for i in range(len(syms) - 1):
            j = piece_id.get(syms[i] + syms[i + 1])
            if j is None:
                continue
            if best is None or scores[j] > best:
                best, bi = scores[j], i
        if bi < 0:
            break
        syms[bi:bi + 2] = [syms[bi] + syms[bi + 1]]
    ids = []
    for s in syms:
        j = piece_id.get(s)
        if j is not None:
            ids.append(j)
        else:
            ids.extend(piece_id["<0x%02X>" % b] for b in s.encode("utf-8"))
    return ids


class Tokenizer:
    """Wraps a trained SentencePiece model; gives GGUF vocab arrays."""

    def __init__(self, model_file):
        self.sp = spm.SentencePieceProcessor(model_file=model_file)
        n = self.sp.get_piece_size()
        self.pieces = [self.sp.id_to_piece(i) for i in range(n)]
        self.scores = [float(self.sp.get_score(i)) for i in range(n)]
        self.types = []
        for i, p in enumerate(self.pieces):
            if self.sp.is_unknown(i):
                t = T_UNKNOWN
            elif self.sp.is_control(i) or p in SPECIALS:
                t = T_CONTROL
            elif self.sp.is_byte(i):
                t = T_BYTE
            else:
                t = T_NORMAL
            self.types.append(t)
        self.bos, self.eos, self.unk = 1, 2, 0
        self.special_id = {s: self.sp.piece_to_id(s) for s in SPECIALS}
        self.im_end = self.special_id[IM_END]
        self.im_start = self.special_id[IM_START]
        self.piece_id = {p: i for i, p in enumerate(self.pieces)}

    def __len__(self):
        return len(self.pieces)

    def encode(self, text, bos=True):
        """Tokenize with special markers parsed, as llama.cpp does for SPM."""
        ids = [self.bos] if bos else []
        for frag in SPECIAL_RE.split(text):
            if not frag:
                continue
            if frag in self.special_id:
                ids.append(self.special_id[frag])
            else:
                ids.extend(self.sp.encode(frag))   # dummy prefix added here
        return ids

    def encode_merge(self, text, bos=True):
        """Reference: plain score-driven bigram merge encoder (llama.cpp SPM)."""
        ids = [self.bos] if bos else []
        for frag in SPECIAL_RE.split(text):
            if not frag:
                continue
            if frag in self.special_id:
                ids.append(self.special_id[frag])
            else:
                ids.extend(merge_encode("▁" + frag, self.piece_id,
                                        self.scores))
        return ids

    def decode(self, ids):
        out = []
        buf = b""
        for i in ids:
            p = self.pieces[i]
            if self.types[i] == T_BYTE:
                buf += bytes([int(p[3:5], 16)])
                continue
            if buf:
                out.append(buf.decode("utf-8", "replace"))
                buf = b""
            if self.types[i] == T_CONTROL and p not in SPECIALS:
                continue
            out.append(p.replace("▁", " "))
        if buf:
            out.append(buf.decode("utf-8", "replace"))
        return "".join(out)


def tokenize_file(tok, path, out_path):
    """Concatenate BOS + tokens of every record into one uint16 stream."""
    stream = []
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            stream.extend(tok.encode(render(rec["messages"],
                                            final_newline=False)))
            n += 1
    arr = np.array(stream, dtype=np.uint16)
    arr.tofile(out_path)
    return n, len(arr)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab-size", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check", type=int, default=1500)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    prefix = os.path.join(args.out, "spm")
    train_vocab(args.corpus, prefix, args.vocab_size, args.threads)
    tok = Tokenizer(prefix + ".model")
    print("vocab", len(tok), "im_start", tok.im_start, "im_end", tok.im_end)
    # verify the fragment procedure against the merge encoder
    bad = 0
    n = 0
    with open(os.path.join(args.corpus, "valid.jsonl"), encoding="utf-8") as f:
        for line in f:
            if n >= args.check:
                break
            text = render(json.loads(line)["messages"])
            a, b = tok.encode(text), tok.encode_merge(text)
            if a != b:
                bad += 1
                if bad <= 3:
                    print("MISMATCH", repr(text[:200]), a[:40], b[:40])
            spaced = "".join(fr if fr in SPECIALS or not fr else " " + fr
                             for fr in SPECIAL_RE.split(text))
            if tok.decode(a[1:]) != spaced:
                bad += 1
                if bad <= 3:
                    print("ROUNDTRIP", repr(text[:200]))
            n += 1
    print("merge-encoder check: %d/%d records identical" % (n - bad, n))
    if bad:
        sys.exit(1)
    stats = {}
    for split in ("train", "valid"):
        nrec, ntok = tokenize_file(tok, os.path.join(args.corpus,
                                                      split + ".jsonl"),
                                   os.path.join(args.out, split + ".bin"))
        stats[split] = {"records": nrec, "tokens": ntok}
        print(split, nrec, "records", ntok, "tokens")
    stats["merge_check"] = "%d/%d" % (n - bad, n)
    with open(os.path.join(args.out, "tok_stats.json"), "w") as f:
        json.dump(stats, f, indent=1)


if __name__ == "__main__":
    main()
