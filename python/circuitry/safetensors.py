"""A reader for the safetensors files circuitry writes (F32 tensors), with
NumPy only: an 8-byte little-endian header length, a JSON header, the data."""

import struct

import numpy as np

from ._files import MAX_BINARY, RunError, parse_json, read_bytes


def read_safetensors(path):
    """Return ({name: float32 array}, metadata dict) of a safetensors file.

    The header is validated before any tensor is copied: every entry is an
    F32 tensor whose byte range lies in the file, holds exactly its shape,
    and overlaps no other tensor's (overlapping ranges would load the same
    bytes as two weights); anything else raises RunError naming the file."""
    b = read_bytes(path, MAX_BINARY)
    if len(b) < 8:
        raise RunError(f"{path}: not a safetensors file ({len(b)} bytes)")
    (n,) = struct.unpack("<Q", b[:8])
    if n > len(b) - 8:
        raise RunError(f"{path}: header of {n} bytes in a {len(b)}-byte file")
    header = parse_json(f"{path}: header", b[8 : 8 + n])
    if not isinstance(header, dict):
        raise RunError(f"{path}: header is not a JSON object")
    data = memoryview(b)[8 + n :]
    meta = header.pop("__metadata__", {}) or {}
    if not isinstance(meta, dict):
        raise RunError(f"{path}: __metadata__ is not an object")
    ranges = []
    for name, e in header.items():
        lo, hi, shape = _entry(path, name, e, len(data))
        ranges.append((lo, hi, name, shape))
    ranges.sort()
    for (_, hi, a, _), (lo, _, b_name, _) in zip(ranges, ranges[1:]):
        if lo < hi:
            raise RunError(f"{path}: tensors {a} and {b_name} overlap")
    return {name: np.frombuffer(data[lo:hi], dtype="<f4").reshape(shape).copy() for lo, hi, name, shape in ranges}, meta


def _entry(path, name, e, size):
    """A header entry's byte range and shape, validated."""
    if not isinstance(e, dict) or e.get("dtype") != "F32":
        raise RunError(f"{path}: tensor {name}: dtype {e.get('dtype') if isinstance(e, dict) else e!r}, want F32")
    offs, shape = e.get("data_offsets"), e.get("shape")
    if (not isinstance(offs, list) or len(offs) != 2 or not all(type(v) is int for v in offs)
            or not isinstance(shape, list) or not all(type(v) is int and v >= 0 for v in shape)):
        raise RunError(f"{path}: tensor {name}: malformed data_offsets {offs!r} or shape {shape!r}")
    lo, hi = offs
    count = 1
    for v in shape:
        count *= v
    if not (0 <= lo <= hi <= size) or hi - lo != 4 * count:
        raise RunError(f"{path}: tensor {name}: offsets {lo}-{hi} do not hold shape {tuple(shape)} in {size} data bytes")
    return lo, hi, tuple(shape)
