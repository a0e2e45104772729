"""Paired effect of the DANN product order: test accuracy at epoch 5 of the
weights-first runs (runs/order-check) minus the same epoch of the committed
inputs-first medium-preset runs (the same configuration, seed, data order and
test draws: constant learning rate, so a 5-epoch run is the prefix of a
20-epoch one)."""
import json, os, sys, random, statistics as st
new = "results/inhibitory-normalization-order-check/inhibitory-normalization-medium/runs"
old = "results/inhibitory-normalization-medium-preset/inhibitory-normalization-medium/runs"
def acc(d, ep):
    with open(os.path.join(d, "metrics.jsonl")) as f:
        for line in f:
            m = json.loads(line)
            if m["epoch"] == ep:
                return 100 * m["test_acc"]
rows = {}
for name in sorted(os.listdir(new)):
    d = os.path.join(new, name)
    if not os.path.exists(os.path.join(d, "summary.json")):
        continue
    cond, eps = name.split("_eps")[0], float(name.split("_eps")[1].split("_hp")[0])
    a, b = acc(d, 5), acc(os.path.join(old, name), 5)
    rows.setdefault((cond, eps), []).append((a - b, a, b))
rng = random.Random(1)
print("| condition | eps | configs | mean new - old (points) | 95% bootstrap CI | median | largest |diff| | at chance old -> new |")
print("|---|---|---|---|---|---|---|---|")
for (cond, eps), v in sorted(rows.items()):
    d = [x[0] for x in v]
    boots = sorted(st.mean(rng.choices(d, k=len(d))) for _ in range(4000))
    ch_old = sum(x[2] < 15 for x in v); ch_new = sum(x[1] < 15 for x in v)
    print(f"| {cond} | {eps:g} | {len(d)} | {st.mean(d):+.2f} | [{boots[100]:+.2f}, {boots[3899]:+.2f}] | {st.median(d):+.2f} | {max(abs(x) for x in d):.2f} | {ch_old} -> {ch_new} |")
