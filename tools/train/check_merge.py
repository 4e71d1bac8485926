#!/usr/bin/python3
"""Check tokenizer.merge_encode against llama.cpp's own SPM test vectors
(shared/testdata/vocab/ggml-vocab-llama-spm.gguf{,.inp,.out}): the encoder the
training data is verified against must be the one llama.cpp runs."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402
from tokenizer import merge_encode  # noqa: E402


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else \
        "/work/shared/testdata/vocab/ggml-vocab-llama-spm.gguf"
    kv, _ = gw.read_gguf(base)
    pieces = kv["tokenizer.ggml.tokens"]
    scores = kv["tokenizer.ggml.scores"]
    piece_id = {}
    for i, p in enumerate(pieces):
        piece_id.setdefault(p, i)
    inp = open(base + ".inp", encoding="utf-8").read().split(
        "\n__ggml_vocab_test__\n")[:-1]
    out = open(base + ".out").read().split("\n")
    ok = 0
    for i, text in enumerate(inp):
        want = [int(x) for x in out[i].split()]
        got = merge_encode(" " + text, piece_id, scores) if text else []
        if got == want:
            ok += 1
        else:
            print("FAIL %d %r\n got  %s\n want %s" % (i, text, got, want))
    print("%d/%d llama.cpp SPM test vectors match" % (ok, len(inp)))
    sys.exit(0 if ok == len(inp) else 1)


if __name__ == "__main__":
    main()
