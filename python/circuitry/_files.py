"""Bounded, non-blocking reads of run-directory files, and the one error
type every damaged input raises."""

import os
import stat

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
