"""Bounded, non-blocking reads of run-directory files, and the one error
type every damaged input raises."""

import io
import json
import os
import stat

import numpy as np
import yaml

# Caps per file kind, as circuitry's own readers (internal/fsutil): far
# above what circuitry writes, far below what would exhaust memory.
MAX_RECORD = 1 << 20  # run.json, config.yaml
MAX_SUMMARY = 64 << 20  # summary.json, metrics.jsonl
MAX_BINARY = 1 << 30  # weights.safetensors, arrays/*.npy


class RunError(ValueError):
    """A run-directory file that is missing where required, not a regular
    file, too large, or damaged; the message names the file and the problem."""


def read_bytes(path, cap):
    """The bytes of the regular file at path (symlinks followed), refusing
    anything else (a FIFO, a device such as /dev/zero, a directory) at once
    and anything over cap bytes. A FIFO is opened non-blocking, so it never
    hangs."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as e:
        raise RunError(f"{path}: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RunError(f"{path}: not a regular file")
        if st.st_size > cap:
            raise RunError(f"{path}: {st.st_size} bytes, more than the {cap} this reader accepts")
        chunks, total = [], 0
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            total += len(b)
            if total > cap:
                raise RunError(f"{path}: more than the {cap} bytes this reader accepts")
            chunks.append(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def present(path):
    """Whether anything exists at path (a dangling symlink or a FIFO counts:
    reading it then says what is wrong, instead of skipping it)."""
    return os.path.lexists(path)


def parse_json(path, b):
    """The JSON value in b (the bytes of path); damage of any kind, deep
    nesting included (RecursionError), is a RunError naming path."""
    try:
        return json.loads(b)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise RunError(f"{path}: not JSON ({type(e).__name__}: {str(e)[:200]})") from None


def parse_yaml(path, b):
    """The YAML document in b (safe_load), errors as parse_json's."""
    try:
        return yaml.safe_load(b)
    except (yaml.YAMLError, ValueError, RecursionError) as e:
        raise RunError(f"{path}: not YAML ({type(e).__name__}: {str(e)[:200]})") from None


def parse_npy(path, b):
    """The array in b, the bytes of a .npy file (format 1.0 or 2.0, as
    circuitry writes). The header is parsed and checked before anything
    is allocated: a plain (not object) dtype, a shape of non-negative
    integers, and a data section of exactly shape x itemsize bytes — so a
    forged shape cannot make it allocate more than the file holds."""
    f = io.BytesIO(b)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"format version {version}, want 1.0 or 2.0")
    except Exception as e:  # noqa: BLE001 - numpy's header parser raises many kinds (SyntaxError, TokenError, ...)
        raise RunError(f"{path}: not a readable .npy array ({type(e).__name__}: {str(e)[:200]})") from None
    if dtype.hasobject or dtype.itemsize == 0:
        raise RunError(f"{path}: dtype {dtype} is not a plain numeric array")
    if not all(isinstance(v, int) and v >= 0 for v in shape):
        raise RunError(f"{path}: shape {shape!r} is not a list of sizes")
    count = 1
    for v in shape:
        count *= v
    data = memoryview(b)[f.tell():]
    if count * dtype.itemsize != len(data):
        raise RunError(f"{path}: shape {tuple(shape)} of {dtype} needs {count * dtype.itemsize} bytes, the file holds {len(data)}")
    a = np.frombuffer(data, dtype=dtype, count=count)
    return a.reshape(shape, order="F" if fortran else "C").copy(order="K")
