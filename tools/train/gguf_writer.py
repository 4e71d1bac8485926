#!/usr/bin/python3
"""Minimal GGUF v3 writer and reader (little-endian, alignment 32).

Layout: magic, version, n_tensors, n_kv, KV pairs, tensor infos, zero padding
to 32, then the tensor data, each tensor padded to 32. ne[0] is the innermost
dimension, so a numpy array of shape [rows, cols] is written with
ne = {cols, rows}.
"""
import struct

import numpy as np

ALIGN = 32
# gguf value types
T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, \
    T_U64, T_I64, T_F64 = range(13)
# ggml tensor types
GGML_F32, GGML_F16 = 0, 1
_GGML_NP = {GGML_F32: np.float32, GGML_F16: np.float16}
_SCALAR = {T_U8: "<B", T_I8: "<b", T_U16: "<H", T_I16: "<h", T_U32: "<I",
           T_I32: "<i", T_F32: "<f", T_BOOL: "<b", T_U64: "<Q", T_I64: "<q",
           T_F64: "<d"}


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class GGUFWriter:
    """Collects KV pairs and tensors, then writes the file in one go."""

    def __init__(self):
        self.kv = []          # (key, type, value[, element type])
        self.tensors = []     # (name, np.ndarray, ggml type)

    def add(self, key, vtype, value):
        self.kv.append((key, vtype, value, None))

    def add_array(self, key, etype, values):
        self.kv.append((key, T_ARR, list(values), etype))

    def add_tensor(self, name, arr, ggml_type=GGML_F32):
        assert len(name) < 64
        arr = np.ascontiguousarray(arr, dtype=_GGML_NP[ggml_type])
        self.tensors.append((name, arr, ggml_type))

    @staticmethod
    def _value(vtype, v):
        if vtype == T_STR:
            return _str(v)
        if vtype == T_BOOL:
            return struct.pack("<b", 1 if v else 0)
        return struct.pack(_SCALAR[vtype], v)

    def write(self, path):
        out = bytearray()
        out += b"GGUF" + struct.pack("<IqQ", 3, len(self.tensors),
                                     len(self.kv))
        for key, vtype, value, etype in self.kv:
            out += _str(key) + struct.pack("<i", vtype)
            if vtype == T_ARR:
                out += struct.pack("<iQ", etype, len(value))
                if etype in (T_F32, T_I32, T_U32):
                    out += np.asarray(value, dtype={T_F32: "<f4", T_I32: "<i4",
                                                    T_U32: "<u4"}[etype]).tobytes()
                else:
                    for v in value:
                        out += self._value(etype, v)
            else:
                out += self._value(vtype, value)
        off = 0
        for name, arr, gt in self.tensors:
            ne = list(reversed(arr.shape)) or [1]
            out += _str(name) + struct.pack("<I", len(ne))
            out += struct.pack("<%dq" % len(ne), *ne)
            out += struct.pack("<iQ", gt, off)
            off += (arr.nbytes + ALIGN - 1) // ALIGN * ALIGN
        out += b"\0" * ((-len(out)) % ALIGN)
        for name, arr, gt in self.tensors:
            b = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
            out += b + b"\0" * ((-len(b)) % ALIGN)
        with open(path, "wb") as f:
            f.write(out)


def read_gguf(path):
    """Returns (kv dict, {name: np.ndarray shaped [ne[n-1], ..., ne[0]]})."""
    data = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def rstr():
        nonlocal pos
        n = take("<Q")
        s = data[pos:pos + n].decode("utf-8")
        pos += n
        return s

    def rval(t):
        if t == T_STR:
            return rstr()
        if t == T_ARR:
            et, n = take("<i"), take("<Q")
            return [rval(et) for _ in range(n)]
        v = take(_SCALAR[t])
        return bool(v) if t == T_BOOL else v

    assert data[:4] == b"GGUF"
    pos = 4
    version, nt, nkv = take("<I"), take("<q"), take("<q")
    assert version == 3
    kv = {}
    for _ in range(nkv):
        k = rstr()
        kv[k] = rval(take("<i"))
    infos = []
    for _ in range(nt):
        name = rstr()
        nd = take("<I")
        ne = [take("<q") for _ in range(nd)]
        gt, off = take("<i"), take("<Q")
        infos.append((name, ne, gt, off))
    base = (pos + ALIGN - 1) // ALIGN * ALIGN
    tensors = {}
    expect = 0
    for name, ne, gt, off in infos:
        assert off == expect, "tensor %s offset %d != %d" % (name, off, expect)
        dt = np.dtype(_GGML_NP[gt]).newbyteorder("<")
        n = int(np.prod(ne))
        arr = np.frombuffer(data, dtype=dt, count=n, offset=base + off)
        tensors[name] = arr.reshape(list(reversed(ne))).astype(np.float32)
        expect += (n * dt.itemsize + ALIGN - 1) // ALIGN * ALIGN
    return kv, tensors
