"""Seeded mutation fuzzing of circuitry's Python readers.

Usage: fuzz_readers.py RUN_DIR CASES SEED

RUN_DIR is a finished run with weights.safetensors and arrays/*.npy. Each
case copies it, damages one file (random byte flips, cuts, extensions,
and structured edits of the safetensors and .npy headers and of the JSON
and YAML records: huge, negative or mistyped shapes and offsets, other
dtypes, deep nesting), then loads it with load_run, reads every array and
builds the torch model when torch is importable. Every case must either
load or raise circuitry.RunError (FileNotFoundError for a missing
config.yaml); any other exception, a hang or a MemoryError under the
address-space cap is a finding, printed with its case number so
`fuzz_readers.py RUN_DIR 1 SEED --only N` replays it. Prints one summary
line; exits 1 on any finding."""

import json
import os
import random
import resource
import shutil
import struct
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import circuitry  # noqa: E402

try:
    import torch  # noqa: F401  (imported before the cap: its libraries map gigabytes)
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

# What a damaged file may make the reader allocate, beyond what the
# interpreter (and torch) already hold: a forged shape must be refused
# before it allocates.
HEADROOM = 2 << 30

WEIRD = [0, -1, 1, 3, 2**31, 2**63, 2**64 + 5, 10**30, -(10**30), 1.5, float("nan"), "F32", "", None, True, [], {}, [1, 2], [[1]], "x" * 300]


def weird(rng):
    return rng.choice(WEIRD + [rng.randrange(-(2**40), 2**40)])


def deep(n):
    return "[" * n + "]" * n


def mutate_value(rng, v, depth=0):
    """A copy of the JSON value v with one random edit somewhere inside."""
    if isinstance(v, dict) and v and depth < 6 and rng.random() < 0.8:
        k = rng.choice(list(v))
        out = dict(v)
        op = rng.random()
        if op < 0.1:
            del out[k]
        elif op < 0.2:
            out[k + "_"] = weird(rng)
        else:
            out[k] = mutate_value(rng, v[k], depth + 1)
        return out
    if isinstance(v, list) and v and depth < 6 and rng.random() < 0.8:
        out = list(v)
        i = rng.randrange(len(out))
        op = rng.random()
        if op < 0.15:
            del out[i]
        elif op < 0.3:
            out.append(weird(rng))
        else:
            out[i] = mutate_value(rng, out[i], depth + 1)
        return out
    return weird(rng)


def bytes_edit(rng, b):
    """Random byte-level damage."""
    b = bytearray(b)
    op = rng.random()
    if op < 0.35 and b:
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif op < 0.6 and b:
        del b[rng.randrange(len(b)):]
    elif op < 0.75:
        b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif op < 0.9 and len(b) > 2:
        i = rng.randrange(len(b) - 1)
        j = rng.randrange(i, len(b))
        del b[i:j]
    else:
        return b""
    return bytes(b)


def safetensors_edit(rng, b):
    (n,) = struct.unpack("<Q", b[:8])
    header, data = json.loads(b[8:8 + n]), b[8 + n:]
    op = rng.random()
    if op < 0.6:
        header = mutate_value(rng, header)
        h = json.dumps(header, allow_nan=True).encode()
    elif op < 0.7:
        h = deep(rng.choice([50, 5000, 200000])).encode()
    elif op < 0.8:
        return struct.pack("<Q", rng.choice([0, 1, n + 1, 2**63, 2**64 - 1])) + b[8:]
    else:
        h = bytes_edit(rng, b[8:8 + n])
    return struct.pack("<Q", len(h)) + h + (bytes_edit(rng, data) if rng.random() < 0.2 else data)


def npy_edit(rng, b):
    if len(b) < 10 or b[:6] != b"\x93NUMPY":
        return bytes_edit(rng, b)
    major = b[6]
    hl_size = 2 if major == 1 else 4
    hl = int.from_bytes(b[8:8 + hl_size], "little")
    start = 8 + hl_size
    header, data = b[start:start + hl].decode("latin1"), b[start + hl:]
    op = rng.random()
    if op < 0.5:
        shape = rng.choice(["(10**12,)", "(2**40, 2**40)", "(-1,)", "(3, -5)", "()", "(1, 2, 3, 4, 5, 6, 7, 8)", "(0,)", "(2**62,)"])
        header = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % shape
        header = header.replace("10**12", str(10**12)).replace("2**40", str(2**40)).replace("2**62", str(2**62))
    elif op < 0.7:
        descr = rng.choice(["'|O'", "'<U1000000'", "'<f16'", "'>f8'", "'V0'", "[('a', '<f8')]", "'<c16'", "'S0'", "'<M8[ns]'"])
        header = "{'descr': %s, 'fortran_order': %s, 'shape': (%d,), }" % (descr, rng.choice(["True", "False"]), rng.randint(0, 50))
    elif op < 0.8:
        header = deep(rng.choice([50, 3000]))
    else:
        header = bytes_edit(rng, header.encode("latin1")).decode("latin1")
    h = header.encode("latin1")
    h += b" " * (-(start + len(h) + 1) % 64) + b"\n"
    size = len(h).to_bytes(hl_size, "little", signed=False) if len(h) < 2 ** (8 * hl_size) else b"\xff" * hl_size
    return b[:6] + bytes([major, 0]) + size + h + data


def record_edit(rng, b, is_yaml):
    op = rng.random()
    if op < 0.5 and not is_yaml:
        try:
            return json.dumps(mutate_value(rng, json.loads(b))).encode()
        except ValueError:
            return bytes_edit(rng, b)
    if op < 0.6:
        return deep(rng.choice([100, 100000])).encode()
    if op < 0.7 and is_yaml:
        return b"a: &a [" + b", ".join([b"*a"] * 50) + b"]\n"
    return bytes_edit(rng, b)


def targets(run):
    out = [("weights.safetensors", safetensors_edit), ("config.yaml", lambda r, b: record_edit(r, b, True)),
           ("run.json", lambda r, b: record_edit(r, b, False)), ("summary.json", lambda r, b: record_edit(r, b, False)),
           ("metrics.jsonl", bytes_edit)]
    for n in sorted(os.listdir(os.path.join(run, "arrays"))):
        if n.endswith(".npy"):
            out.append((os.path.join("arrays", n), npy_edit))
    return [(p, f) for p, f in out if os.path.exists(os.path.join(run, p))]


def attempt(run):
    r = circuitry.load_run(run)
    for name in r.arrays:
        r.arrays[name]
    if HAVE_TORCH and r.weights:
        circuitry.to_torch(r)


def run_case(src, rng, case):
    d = tempfile.mkdtemp()
    try:
        run = os.path.join(d, "run")
        shutil.copytree(src, run)
        weights = [0.4] + [0.6 / (len(targets(run)) - 1)] * (len(targets(run)) - 1)
        path, edit = rng.choices(targets(run), weights=weights)[0]
        full = os.path.join(run, path)
        with open(full, "rb") as f:
            b = f.read()
        b = edit(rng, b)
        with open(full, "wb") as f:
            f.write(b)
        result = {}

        def target():
            try:
                attempt(run)
                result["err"] = None
            except BaseException as e:  # noqa: BLE001 - the fuzzer classifies every outcome
                result["err"] = e

        th = threading.Thread(target=target, daemon=True)
        th.start()
        th.join(20)
        err = result.get("err", "hung")
        ok = err is None or isinstance(err, circuitry.RunError) or (isinstance(err, FileNotFoundError) and path == "config.yaml")
        return ok, path, err
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    src, cases, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    only = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--only" else None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = 0
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * resource.getpagesize()
    cap = used + HEADROOM
    if hard == resource.RLIM_INFINITY or cap < hard:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    findings, loaded, refused = 0, 0, 0
    for i in range(cases if only is None else only + 1):
        rng = random.Random(f"{seed}:{i}")
        if only is not None and i != only:
            continue
        ok, path, err = run_case(src, rng, i)
        if not ok:
            findings += 1
            print(f"FINDING case {i} ({path}): {type(err).__name__}: {str(err)[:300]}")
        elif err is None:
            loaded += 1
        else:
            refused += 1
    print(f"fuzz_readers: {cases} cases (seed {seed}, torch {'yes' if HAVE_TORCH else 'no'}): {refused} refused with RunError, {loaded} loaded, {findings} findings")
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
