"""A reader for the safetensors files circuitry writes (F32 tensors), with
NumPy only: an 8-byte little-endian header length, a JSON header, the data."""

import json
import struct

import numpy as np


def read_safetensors(path):
    """Return ({name: float32 array}, metadata dict) of a safetensors file.

    Every offset is checked against the file, so a damaged file raises
    ValueError naming it."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 8:
        raise ValueError(f"{path}: not a safetensors file")
    (n,) = struct.unpack("<Q", b[:8])
    if n > len(b) - 8:
        raise ValueError(f"{path}: header of {n} bytes in a {len(b)}-byte file")
    header = json.loads(b[8 : 8 + n])
    data = memoryview(b)[8 + n :]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, e in header.items():
        if e.get("dtype") != "F32":
            raise ValueError(f"{path}: tensor {name}: dtype {e.get('dtype')}, want F32")
        lo, hi = e["data_offsets"]
        shape = tuple(e["shape"])
        if not (0 <= lo <= hi <= len(data)) or hi - lo != 4 * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor {name}: offsets {lo}-{hi} do not hold shape {shape}")
        tensors[name] = np.frombuffer(data[lo:hi], dtype="<f4").reshape(shape).copy()
    return tensors, meta
