"""Damaged and hostile run directories through circuitry's Python package:
each must raise circuitry.RunError naming the file (never hang, never
allocate what a forged config asks for, never a bare KeyError/TypeError/
JSONDecodeError). Usage: check_damaged.py RUN_DIR (a finished Dale run
with hidden [24, 12]). Prints "ok  CASE" per case."""

import json
import os
import shutil
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import circuitry  # noqa: E402


def damaged(src, edit):
    d = tempfile.mkdtemp()
    run = os.path.join(d, "run")
    shutil.copytree(src, run, symlinks=True)
    edit(run)
    return run


def write(path, data):
    os.remove(path) if os.path.lexists(path) else None
    with open(path, "wb") as f:
        f.write(data)


def replace(run, name, make):
    p = os.path.join(run, name)
    os.remove(p)
    make(p)


def forge_safetensors(path, edit_header):
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8 : 8 + n])
    edit_header(header)
    h = json.dumps(header).encode()
    write(path, struct.pack("<Q", len(h)) + h + b[8 + n :])


def overlap(header):
    names = [k for k in header if k != "__metadata__"]
    header[names[1]]["data_offsets"] = header[names[0]]["data_offsets"]
    header[names[1]]["shape"] = header[names[0]]["shape"]


CASES = [
    ("config.yaml not YAML", "config.yaml", lambda r: write(os.path.join(r, "config.yaml"), b"model: [unclosed\n"), "load"),
    ("config.yaml a list", "config.yaml", lambda r: write(os.path.join(r, "config.yaml"), b"- 1\n"), "load"),
    ("run.json not JSON", "run.json", lambda r: write(os.path.join(r, "run.json"), b"{kind"), "load"),
    ("summary.json a number", "summary.json", lambda r: write(os.path.join(r, "summary.json"), b"42"), "load"),
    ("summary.json -> /dev/zero", "summary.json", lambda r: replace(r, "summary.json", lambda p: os.symlink("/dev/zero", p)), "load"),
    ("run.json a FIFO", "run.json", lambda r: replace(r, "run.json", os.mkfifo), "load"),
    ("metrics.jsonl line 2 broken", "metrics.jsonl", lambda r: write(os.path.join(r, "metrics.jsonl"), b'{"epoch": 1}\n{"epo\n'), "load"),
    ("weights cut", "weights.safetensors", lambda r: write(os.path.join(r, "weights.safetensors"), open(os.path.join(r, "weights.safetensors"), "rb").read()[:-8]), "load"),
    ("weights header not JSON", "weights.safetensors", lambda r: write(os.path.join(r, "weights.safetensors"), struct.pack("<Q", 4) + b"{no}"), "load"),
    ("weights ranges overlap", "weights.safetensors", lambda r: forge_safetensors(os.path.join(r, "weights.safetensors"), overlap), "load"),
    ("weights dtype F16", "weights.safetensors", lambda r: forge_safetensors(os.path.join(r, "weights.safetensors"),
        lambda h: h[[k for k in h if k != "__metadata__"][0]].update(dtype="F16")), "load"),
    ("arrays/x.npy not an array", "metrics.npy", lambda r: write(os.path.join(r, "arrays", "metrics.npy"), b"\x93NUMPY junk"), "array"),
    ("config forging 100000-unit layers", "config.yaml", lambda r: write(os.path.join(r, "config.yaml"),
        open(os.path.join(r, "config.yaml"), "rb").read().replace(b"- 24\n", b"- 100000\n").replace(b"- 12\n", b"- 100000\n")), "torch"),
    ("config without a model", "weights", lambda r: write(os.path.join(r, "config.yaml"), b"name: x\n"), "torch"),
]


def attempt(run, stage):
    r = circuitry.load_run(run)
    if stage == "array":
        r.arrays["metrics"]
    if stage == "torch":
        circuitry.to_torch(r)


def main():
    src = sys.argv[1]
    failures = 0
    for name, names_file, edit, stage in CASES:
        run = damaged(src, edit)
        result = {}

        def target():
            try:
                attempt(run, stage)
                result["err"] = None
            except Exception as e:  # noqa: BLE001 - the test inspects the type
                result["err"] = e

        t0 = time.time()
        th = threading.Thread(target=target, daemon=True)
        th.start()
        th.join(30)
        err = result.get("err", "hung")
        ok = isinstance(err, circuitry.RunError) and names_file in str(err)
        print(("ok  " if ok else "FAIL") + f" {name}: {type(err).__name__}: {err} ({time.time() - t0:.2f} s)")
        failures += not ok
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
