"""Run directories: config.yaml, run.json, summary.json, metrics.jsonl,
arrays/*.npy and weights.safetensors (docs/outputs.md says what each is)."""

import os
from dataclasses import dataclass, field

from ._files import MAX_BINARY, MAX_RECORD, MAX_SUMMARY, RunError, parse_json, parse_npy, parse_yaml, present, read_bytes
from .safetensors import read_safetensors


class _Arrays(dict):
    """arrays/*.npy by name (without .npy), each loaded on first use."""

    def __init__(self, directory):
        super().__init__()
        self._dir = directory
        names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
        self._names = [n[:-4] for n in names if n.endswith(".npy")]

    def keys(self):
        return list(self._names)

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __contains__(self, name):
        return name in self._names

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(f"{name}: not in {self._dir} (has {', '.join(self._names)})")
        if not dict.__contains__(self, name):
            path = os.path.join(self._dir, name + ".npy")
            a = parse_npy(path, read_bytes(path, MAX_BINARY))
            dict.__setitem__(self, name, a)
        return dict.__getitem__(self, name)

    def items(self):
        return [(n, self[n]) for n in self._names]


@dataclass
class Run:
    """One run directory, loaded."""

    dir: str
    kind: str  # classifier | reactivation (run.json)
    config: dict
    summary: dict
    metrics: list
    arrays: dict
    weights: dict = field(repr=False)
    metadata: dict = field(default_factory=dict)
    finished: bool = False

    @property
    def name(self):
        return os.path.basename(os.path.normpath(self.dir))


def load_run(directory):
    """Load a run directory (a single run, or one point of a study). A file
    that is damaged, not a regular file or too large raises RunError naming
    it; a missing config.yaml is FileNotFoundError."""
    directory = os.fspath(directory)
    cfg_path = os.path.join(directory, "config.yaml")
    if not present(cfg_path):
        raise FileNotFoundError(f"{directory}: not a run directory (no config.yaml)")
    config = parse_yaml(cfg_path, read_bytes(cfg_path, MAX_RECORD)) or {}
    if not isinstance(config, dict):
        raise RunError(f"{cfg_path}: not a mapping")
    record = _json(os.path.join(directory, "run.json"), MAX_RECORD)
    summary = _json(os.path.join(directory, "summary.json"), MAX_SUMMARY)
    metrics = _metrics(os.path.join(directory, "metrics.jsonl"))
    weights, meta = {}, {}
    wpath = os.path.join(directory, "weights.safetensors")
    if present(wpath):
        weights, meta = read_safetensors(wpath)
    kind = record.get("kind") or ("reactivation" if "study" in config else "classifier")
    return Run(dir=directory, kind=kind, config=config, summary=summary, metrics=metrics,
               arrays=_Arrays(os.path.join(directory, "arrays")), weights=weights, metadata=meta,
               finished=bool(record.get("finished")))


def load_study(directory):
    """Every point of a study or sweep directory: {point name: Run}."""
    runs = os.path.join(os.fspath(directory), "runs")
    if not os.path.isdir(runs):
        raise FileNotFoundError(f"{directory}: not a study or sweep directory (no runs/)")
    return {n: load_run(os.path.join(runs, n)) for n in sorted(os.listdir(runs))
            if present(os.path.join(runs, n, "config.yaml"))}


def _json(path, cap):
    """A JSON object file, {} when absent."""
    if not present(path):
        return {}
    v = parse_json(path, read_bytes(path, cap))
    if not isinstance(v, dict):
        raise RunError(f"{path}: not a JSON object")
    return v


def _metrics(path):
    """metrics.jsonl's records, [] when absent."""
    if not present(path):
        return []
    out = []
    for i, line in enumerate(read_bytes(path, MAX_SUMMARY).decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        rec = parse_json(f"{path}: line {i}", line)
        if not isinstance(rec, dict):
            raise RunError(f"{path}: line {i} is not a JSON object")
        out.append(rec)
    return out
