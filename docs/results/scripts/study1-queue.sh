#!/bin/bash
# study1-queue.sh — trains study 1's `long` preset block after block, one
# network at a time: (i) the central claims, then (ii), (iii), (iv) (the
# blocks of configs/inhibitory-normalization/long.yaml; E-only LN+ is in
# every block from (ii) on as the reference its checks compare with, its
# finished runs reused). Finished runs are reused (config and data
# fingerprint checked), an interrupted one resumes from its checkpoint, so
# the queue can be restarted at any time; a finished block only redoes its
# report (seconds). Each block is judged and committed as it completes
# (docs/results/inhibitory-normalization.md). When every block is done this
# core goes on with study 2's head-direction seeds (`study2-queue.sh
# headdir`, log runs/study2-headdir-queue.log). Run from the repository
# root (long-runs.sh resume starts it).
set -uo pipefail
cd "$(dirname "$0")/../../.."
bin=$PWD/runs/circuitry-long
# A block started by an earlier binary or queue still running: wait for it.
while pgrep -f "circuitry-long run ../configs/inhibitory-normalization" >/dev/null; do sleep 60; done
blocks=("i:e_ln, inorm, inorm_full" "ii:e_ln, inorm_center, inorm_fa_center" "iii:e_ln, ei, ei_ln" "iv:e_ln, inorm_scale, inorm_decorrelate")
for b in "${blocks[@]}"; do
	echo "== $(date -u +%FT%TZ) block ${b%%:*}: ${b#*:}"
	(cd runs && "$bin" run ../configs/inhibitory-normalization/long.yaml --out long \
		--set "conditions=[${b#*:}]") || { echo "== block ${b%%:*} stopped: exit $?"; exit 1; }
done
echo "== $(date -u +%FT%TZ) every block done: this core now trains study 2's head-direction seeds (runs/study2-headdir-queue.log)"
exec docs/results/scripts/study2-queue.sh headdir >>runs/study2-headdir-queue.log 2>&1
