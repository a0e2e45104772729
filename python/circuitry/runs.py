"""Run directories: config.yaml, run.json, summary.json, metrics.jsonl,
arrays/*.npy and weights.safetensors (docs/outputs.md says what each is)."""

import io
import json
import os
from dataclasses import dataclass, field

import numpy as np
import yaml

from ._files import MAX_BINARY, MAX_RECORD, MAX_SUMMARY, RunError, present, read_bytes
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
            try:
                a = np.load(io.BytesIO(read_bytes(path, MAX_BINARY)), allow_pickle=False)
            except (ValueError, OSError, EOFError) as e:
                if isinstance(e, RunError):
                    raise
                raise RunError(f"{path}: not a readable .npy array ({e})") from None
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
    try:
        config = yaml.safe_load(read_bytes(cfg_path, MAX_RECORD)) or {}
    except yaml.YAMLError as e:
        raise RunError(f"{cfg_path}: not YAML ({e})") from None
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
    try:
        v = json.loads(read_bytes(path, cap))
    except (ValueError, UnicodeDecodeError) as e:
        if isinstance(e, RunError):
            raise
        raise RunError(f"{path}: not JSON ({e})") from None
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
        try:
            rec = json.loads(line)
        except ValueError as e:
            raise RunError(f"{path}: line {i} is not JSON ({e})") from None
        if not isinstance(rec, dict):
            raise RunError(f"{path}: line {i} is not a JSON object")
        out.append(rec)
    return out
