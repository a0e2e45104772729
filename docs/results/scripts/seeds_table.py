#!/usr/bin/python3
"""seeds_table.py STUDY_DIR: the per-seed table of a judged study-2 study.

Reads every network's summary.json under STUDY_DIR/runs (the directory
judge-seeds.sh judged) and prints, per condition, one row per seed and a
row of mean +- sd over seeds (sample sd, n - 1; blank with one seed): the
table that opens docs/results/offline-reactivation.md. Standard library
only, so it runs wherever the records are.
"""
import json
import pathlib
import statistics
import sys

# column title, summary key, digits: the quantities each task's verdicts read.
COLUMNS = {
    "spatial": [
        ("decode error (m²)", "decode_err", 4),
        ("KL quiescent vs waking", "kl_quiescent_waking", 3),
        ("KL uniform (correct)", "kl_uniform", 3),
        ("quiescent variance (m²)", "quiescent_variance", 4),
        ("quiescent step (m)", "step_quiescent", 4),
        ("waking step (m)", "step_waking", 4),
    ],
    "headdir": [
        ("decode error (rad²)", "decode_err", 4),
        ("KL quiescent vs waking", "kl_quiescent_waking", 3),
        ("KL untrained", "kl_untrained", 2),
        ("KL uniform", "kl_uniform", 3),
        ("quiescent step (rad)", "step_quiescent", 4),
        ("waking step (rad)", "step_waking", 3),
        ("quiescent signed step (rad)", "signed_step_quiescent", 4),
    ],
}
ORDER = ["noisy", "noisy_biased", "nonoise", "nonoise_biased", "gru_noisy", "gru_noisy_biased"]


def load(study):
    runs = sorted((study / "runs").glob("*/summary.json"))
    if not runs:
        sys.exit(f"{study}: no runs/*/summary.json (expected a judged study directory)")
    return [json.loads(p.read_text()) for p in runs]


def fmt(v, digits):
    return "n/a" if v is None else f"{v:.{digits}f}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: seeds_table.py STUDY_DIR")
    nets = load(pathlib.Path(sys.argv[1]))
    tasks = {n["task"] for n in nets}
    if len(tasks) != 1 or next(iter(tasks)) not in COLUMNS:
        sys.exit(f"{sys.argv[1]}: expected one task of {sorted(COLUMNS)}, found {sorted(tasks)}")
    cols = COLUMNS[tasks.pop()]
    print("| network | " + " | ".join(c[0] for c in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    conds = sorted({n["condition"] for n in nets}, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c))
    for c in conds:
        group = sorted((n for n in nets if n["condition"] == c), key=lambda n: n["seed"])
        for n in group:
            print(f"| {c}_s{n['seed']} | " + " | ".join(fmt(n.get(k), d) for _, k, d in cols) + " |")
        if len(group) < 2:
            continue
        cells = []
        for _, k, d in cols:
            vals = [n[k] for n in group if n.get(k) is not None]
            if len(vals) < 2:
                cells.append("n/a")
                continue
            cells.append(f"{statistics.mean(vals):.{d}f} ± {statistics.stdev(vals):.{d}f}")
        print(f"| **{c}, mean ± sd ({len(group)} seeds)** | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
