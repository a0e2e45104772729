#!/bin/bash
# study2-queue.sh — trains study 2's paper-scale seeds one network at a
# time (the uniform experiment, the authors' protocol), spatial and head
# direction alternating, so that both tasks gain seeds at the same pace.
# Finished networks are reused (their weights verified), an interrupted
# one resumes from its checkpoint, so the queue can be restarted at any
# time. Run from the repository root (long-runs.sh resume starts it).
set -uo pipefail
cd "$(dirname "$0")/../../.."
bin=$PWD/runs/circuitry-long
uniform='conditions=[noisy, noisy_biased, nonoise, nonoise_biased]'
# A network started by an earlier binary still running: wait for it.
while pgrep -f "circuitry-long run ../configs/offline-reactivation" >/dev/null; do sleep 60; done
# all_finished DIR CONDS SEED: every network of the item has finished
# (its run.json says so), so running it would only redo its analysis,
# minutes per item on every restart.
all_finished() {
	local c list=${2#conditions=[}
	for c in ${list%]}; do
		grep -q '"finished": true' "$1/${c%,}_s$3/run.json" 2>/dev/null || return 1
	done
}
# "gru" is the spatial GRU pair (gru_noisy, gru_noisy_biased), never yet
# trained at paper scale.
queue=("spatial 1" "headdir 1" "gru 0" "spatial 2" "headdir 0" "headdir 2" "spatial 3" "headdir 3" "spatial 4" "headdir 4")
for item in "${queue[@]}"; do
	task=${item% *} seed=${item#* } conds=$uniform
	case $task in
	spatial) out=paper-s every=100 ;;
	headdir) out=paper-hd every=1000 ;;
	gru) task=spatial out=paper-s every=100 conds='conditions=[gru_noisy, gru_noisy_biased]' ;;
	esac
	if all_finished "runs/$out/offline-reactivation-$task-paper/runs" "$conds" "$seed"; then
		echo "== $item: every network finished earlier; skipped (its report: circuitry reproduce --finished-only)"
		continue
	fi
	echo "== $(date -u +%FT%TZ) $item"
	(cd runs && "$bin" run ../configs/offline-reactivation/$task-paper.yaml --out $out \
		--set "seeds=[$seed]" --set "$conds" --set train.checkpoint_every=$every) || echo "== $item stopped: exit $?"
done
