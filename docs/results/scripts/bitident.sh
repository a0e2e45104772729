#!/bin/bash
# bitident.sh OLD_BIN NEW_BIN — do two circuitry binaries train to the same
# bits? Each trains study 1's demo preset (every condition, 1 epoch, 2,000
# images; networks side by side, one worker each), one E-I LN+ network of
# 784-500-500-10 alone (every core: split products and updates), and study
# 2's spatial and head-direction demo networks (noisy, checkpointed every
# 20 steps, so the checkpoint and resume path runs too), then the sha256 of
# every weights file is compared. Exit 0 when all equal.
# What a refactor or a kernel change must pass before the long runs take it
# (docs/performance.md, "every change bit-identical").
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_BIN NEW_BIN" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for side in old new; do
	bin=$1; [ $side = new ] && bin=$2
	out=$work/$side
	"$bin" reproduce inhibitory-normalization --scale demo --out "$out" >/dev/null 2>"$out.log" || true
	printf 'name: alone\ndata: {train_limit: 600}\ntrain: {epochs: 1, batch_size: 32, optimizer: sgd, lr: 0.01, lr_wix: 0.1, lr_wei: 0.001}\nmodel: {kind: dale, condition: ei_ln, hidden: [500, 500]}\n' >"$work/alone.yaml"
	"$bin" train "$work/alone.yaml" --data embedded --out "$out" >/dev/null 2>>"$out.log" || true
	for task in spatial headdir; do
		"$bin" run "configs/offline-reactivation/$task-demo.yaml" --out "$out" \
			--set 'conditions=[noisy]' --set train.checkpoint_every=20 >/dev/null 2>>"$out.log" || true
	done
	(cd "$out" && find . -name weights.safetensors | sort | xargs sha256sum) >"$work/$side.sha"
done
n=$(wc -l <"$work/new.sha")
if [ "$n" -gt 0 ] && cmp -s "$work/old.sha" "$work/new.sha"; then
	echo "bit-identical: $n weights files"
	cat "$work/new.sha"
else
	echo "DIFFERENT (or nothing trained: see the logs)" >&2
	diff "$work/old.sha" "$work/new.sha" >&2 || true
	tail -5 "$work/old.log" "$work/new.log" >&2
	exit 1
fi
