#!/bin/bash
# study2-queue.sh [headdir] — trains study 2's paper-scale seeds one network
# at a time (the uniform experiment, the authors' protocol), spatial and
# head direction alternating, so that both tasks gain seeds at the same
# pace. Finished networks are reused (their weights verified), an
# interrupted one resumes from its checkpoint, so the queue can be
# restarted at any time. Run from the repository root (long-runs.sh resume
# starts it).
#
# `study2-queue.sh headdir` is a second lane, for a core with nothing else
# to do (study1-queue.sh starts it once study 1's blocks are done): it
# trains the head-direction items, and while it lives the first lane
# trains only the spatial ones. A running study holds a lock on its
# directory, so the two lanes split by task, never by seed.
set -uo pipefail
cd "$(dirname "$0")/../../.."
bin=$PWD/runs/circuitry-long
lane=${1:-}
case $lane in
'' | headdir) ;;
*) echo "usage: $0 [headdir]" >&2; exit 2 ;;
esac
. docs/results/scripts/lanes.sh
uniform='conditions=[noisy, noisy_biased, nonoise, nonoise_biased]'
# busy TASK: a process is training a network of TASK's study.
busy() { pgrep -f "circuitry-long run ../configs/offline-reactivation/$1-paper.yaml" >/dev/null; }
if [ "$lane" = headdir ]; then
	echo $$ >"$lanefile"
else
	# A network started by an earlier binary or queue still running: wait
	# for it (the head-direction lane's own networks excepted).
	while busy spatial || { busy headdir && ! headdir_lane; }; do sleep 60; done
fi
# all_finished DIR CONDS SEED: every network of the item has finished
# (its run.json says so), so running it would only redo its analysis,
# minutes per item on every restart.
all_finished() {
	local c list=${2#conditions=[}
	for c in ${list%]}; do
		grep -q '"finished": true' "$1/${c%,}_s$3/run.json" 2>/dev/null || return 1
	done
}
# "gru" is the spatial GRU pair (gru_noisy, gru_noisy_biased); seeds 1 and 2
# come last, after every vanilla seed, to give check 6 a spread over seeds.
queue=("spatial 1" "headdir 1" "gru 0" "spatial 2" "headdir 0" "headdir 2" "spatial 3" "headdir 3" "spatial 4" "headdir 4" "gru 1" "gru 2")
for item in "${queue[@]}"; do
	task=${item% *} seed=${item#* } conds=$uniform
	case $task in
	spatial) out=paper-s every=100 ;;
	headdir) out=paper-hd every=1000 ;;
	gru) task=spatial out=paper-s every=100 conds='conditions=[gru_noisy, gru_noisy_biased]' ;;
	esac
	if [ "$lane" = headdir ]; then
		[ "$task" = headdir ] || continue
		# the first lane may be training a head-direction item it began
		# before this lane started: wait for the study's lock.
		while busy headdir; do sleep 60; done
	elif [ "$task" = headdir ] && headdir_lane; then
		echo "== $item: left to the head-direction lane (runs/study2-headdir-queue.log)"
		continue
	fi
	if all_finished "runs/$out/offline-reactivation-$task-paper/runs" "$conds" "$seed"; then
		echo "== $item: every network finished earlier; skipped (its report: circuitry reproduce --finished-only)"
		continue
	fi
	echo "== $(date -u +%FT%TZ) $item"
	(cd runs && "$bin" run ../configs/offline-reactivation/$task-paper.yaml --out $out \
		--set "seeds=[$seed]" --set "$conds" --set train.checkpoint_every=$every) || echo "== $item stopped: exit $?"
done
