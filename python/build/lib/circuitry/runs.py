"""Run directories: config.yaml, run.json, summary.json, metrics.jsonl,
arrays/*.npy and weights.safetensors (docs/outputs.md says what each is)."""

import json
import os
from dataclasses import dataclass, field

import numpy as np
import yaml

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
            dict.__setitem__(self, name, np.load(os.path.join(self._dir, name + ".npy")))
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
    """Load a run directory (a single run, or one point of a study)."""
    directory = os.fspath(directory)
    cfg_path = os.path.join(directory, "config.yaml")
    if not os.path.isfile(cfg_path):
        raise FileNotFoundError(f"{directory}: not a run directory (no config.yaml)")
    with open(cfg_path) as f:
        config = yaml.safe_load(f) or {}
    record = _json(os.path.join(directory, "run.json"), {})
    summary = _json(os.path.join(directory, "summary.json"), {})
    metrics = []
    mpath = os.path.join(directory, "metrics.jsonl")
    if os.path.isfile(mpath):
        with open(mpath) as f:
            metrics = [json.loads(line) for line in f if line.strip()]
    weights, meta = {}, {}
    wpath = os.path.join(directory, "weights.safetensors")
    if os.path.isfile(wpath):
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
            if os.path.isfile(os.path.join(runs, n, "config.yaml"))}


def _json(path, default):
    if not os.path.isfile(path):
        return default
    with open(path) as f:
        return json.load(f)
