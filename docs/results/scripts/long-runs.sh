#!/bin/bash
# long-runs.sh save|resume|status — keeps the long runs of both studies
# going across sessions (the workspace's runs/ does not survive them).
#
#   save    bundles into results/: study 1's `long` preset (finished runs'
#           records, no weights: its verdicts need none) and study 2's
#           paper-scale seeds (finished networks: records and weights, which
#           their analyses are recomputed from; an unfinished network: its
#           records and latest checkpoint, to resume bit-identically).
#   resume  copies the bundles back into runs/ and restarts both in the
#           background, one core each (nice): study 1's blocks, one after
#           another (study1-queue.sh), and study 2's queue of seeds
#           (study2-queue.sh); logs in runs/*-queue.log. Once study 1's
#           blocks are done its core trains study 2's head-direction seeds
#           (study2-queue.sh headdir), the first lane only the spatial ones.
#           Refuses while the queues run.
#   status  what is done, from runs/ where it exists, else from the
#           bundles: study 1 per block (runs finished, configurations
#           complete), study 2 per seed and network (finished, the step or
#           epoch an unfinished one has reached), whether the queues
#           run, and each queue log's last progress line.
#           Reads only.
#
# Run from the repository root. The commands and settings are the ones
# docs/results/*.md give.
set -euo pipefail
cd "$(dirname "$0")/../../.."
. docs/results/scripts/lanes.sh
S1=runs/long/inhibitory-normalization-long
R1=results/inhibitory-normalization-long/inhibitory-normalization-long
# Study 2: each running directory and its study name. The head-direction
# networks train on the authors' task (since 0cbfba1) in their own
# directory: the committed seed-0 ones (the older task) keep theirs.
S2DIRS=("runs/paper-s:offline-reactivation-spatial-paper" "runs/paper-hd:offline-reactivation-headdir-paper")
R2ROOT=results/offline-reactivation-paper
R2PROOT=results/offline-reactivation-paper-inprogress

# newer_bundle RUN BUNDLED: the bundle holds RUN's very weights with an
# analysis version at least RUN's (a re-analysis committed from another
# copy must not be overwritten by the older records in runs/).
newer_bundle() {
	local run=$1 dst=$2 a b
	[ -f "$dst/run.json" ] && cmp -s "$run/weights.safetensors" "$dst/weights.safetensors" || return 1
	a=$(grep -o '"analysis_version": [0-9]*' "$run/run.json" | grep -o '[0-9]*$')
	b=$(grep -o '"analysis_version": [0-9]*' "$dst/run.json" | grep -o '[0-9]*$')
	[ "${b:-0}" -ge "${a:-0}" ] && ! cmp -s "$run/run.json" "$dst/run.json"
}

# bundle2 SRC_STUDY R2 R2P bundles one study-2 directory.
bundle2() {
	local S2=$1 R2=$2 R2P=$3
	[ -d "$S2" ] || return 0
	for run in "$S2"/runs/*/; do
		name=$(basename "$run")
		if grep -q '"finished": true' "$run/run.json" 2>/dev/null; then
			if newer_bundle "$run" "$R2/runs/$name"; then
				continue # the bundle holds these weights analysed at a later version
			fi
			mkdir -p "$R2/runs/$name"
			cp "$run"/{config.yaml,run.json,summary.json,metrics.jsonl,weights.safetensors} "$R2/runs/$name/"
			rm -rf "$R2P/runs/$name"
		elif [ -f "$run/checkpoints/checkpoint.bin" ]; then
			mkdir -p "$R2P/runs/$name/checkpoints"
			cp "$run"/{config.yaml,run.json,metrics.jsonl} "$R2P/runs/$name/"
			cp "$run/checkpoints/checkpoint.bin" "$R2P/runs/$name/checkpoints/"
		fi
	done
	echo "bundled $S2 into $R2 (finished) and $R2P (in progress)"
}

# r2dir OUT STUDY: where a study-2 directory's bundles live (head direction
# on the authors' task under its own name, beside the older seed 0).
r2dir() {
	case $1 in
	runs/paper-hd) echo "$2/offline-reactivation-headdir-paper-authors-task/$3" ;;
	*) echo "$2/$3" ;;
	esac
}

save() {
	[ -d "$S1" ] && docs/results/scripts/bundle.sh "$S1" "$R1" --runs-only
	for e in "${S2DIRS[@]}"; do
		out=${e%%:*} study=${e#*:}
		bundle2 "$out/$study" "$(r2dir "$out" "$R2ROOT" "$study")" "$(r2dir "$out" "$R2PROOT" "$study")"
	done
}

# need_data: study 1's runs trained on Debian's full Fashion-MNIST; on a
# fresh machine without it circuitry (rightly) refuses to reuse them against
# another data set, and the queue would stop at its first block.
need_data() {
	local d=${CIRCUITRY_DATA:-/usr/share/datasets/fashion-mnist}
	[ -f "$d/train-images-idx3-ubyte.gz" ] || [ -f "$d/train-images-idx3-ubyte" ] && return 0
	echo "long-runs.sh: study 1's long runs trained on $d, which this machine lacks:" >&2
	echo "  apt-get install -y dataset-fashion-mnist   (then run resume again)" >&2
	exit 1
}

# progress RUN_DIR: "finished", the last step/epoch an unfinished run
# recorded, or "-" for none.
progress() {
	if grep -qs '"finished": true' "$1/run.json"; then
		echo finished
	elif [ -s "$1/metrics.jsonl" ]; then
		tail -n 1 "$1/metrics.jsonl" | grep -o '"\(step\|epoch\)":[0-9]*' | tr -d '"' | sed 's/:/ /'
	else
		echo -
	fi
}

# first_dir DIR...: the first of DIRs that exists (runs/, else the bundles).
first_dir() {
	local d
	for d in "$@"; do [ -d "$d" ] && { echo "$d"; return; }; done
	echo "$1"
}

status1() {
	local src blocks b conds c e hp n total complete all r f running=
	local -A finished=()
	src=$(first_dir "$S1/runs" "$R1/runs")
	# The queue's own block list (read, not run: the queue may be running).
	eval "$(grep '^blocks=' docs/results/scripts/study1-queue.sh)"
	# One grep for the hundreds of runs, not one per run.
	for f in $(grep -ls '"finished": true' "$src"/*/run.json); do
		finished[$(basename "$(dirname "$f")")]=1
	done
	echo "study 1, long preset ($src):"
	for b in "${blocks[@]}"; do
		conds=${b#*:} conds=${conds//,/} n=0 total=0 complete=0
		for hp in $(seq -w 0 29); do
			all=1
			for c in $conds; do
				for e in 0 0.75; do
					total=$((total + 1)) r=${c}_eps${e}_hp${hp}_r0
					if [ -n "${finished[$r]:-}" ]; then
						n=$((n + 1))
						continue
					fi
					all=0
					[ -d "$src/$r" ] && running+=" $r ($(progress "$src/$r") of 50)"
				done
			done
			complete=$((complete + all))
		done
		printf '  block %-4s %-40s %3d/%d runs finished, %d/30 configurations complete\n' "${b%%:*}" "(${b#*:})" "$n" "$total" "$complete"
	done
	[ -z "$running" ] || echo "  unfinished:$running"
}

# status2 lists every network of the paper-scale seeds 0-4 and of the GRU
# pairs the queue trains (seed 0's were trained before the queue existed,
# so its list starts at seed 1).
status2() {
	local item task seed conds out study src c p line
	echo "study 2, paper scale, the authors' uniform experiment:"
	for item in "spatial 0" "spatial 1" "spatial 2" "spatial 3" "spatial 4" "gru 0" "gru 1" "gru 2" \
		"headdir 0" "headdir 1" "headdir 2" "headdir 3" "headdir 4"; do
		task=${item% *} seed=${item#* } conds="noisy noisy_biased nonoise nonoise_biased"
		case $task in
		spatial) out=runs/paper-s study=offline-reactivation-spatial-paper ;;
		headdir) out=runs/paper-hd study=offline-reactivation-headdir-paper ;;
		gru) out=runs/paper-s study=offline-reactivation-spatial-paper conds="gru_noisy gru_noisy_biased" ;;
		esac
		line=
		for c in $conds; do
			src=$(first_dir "$out/$study/runs/${c}_s$seed" "$(r2dir "$out" "$R2ROOT" "$study")/runs/${c}_s$seed" \
				"$(r2dir "$out" "$R2PROOT" "$study")/runs/${c}_s$seed")
			p=$(progress "$src")
			case $p in
			step*) p+="/$(awk '/^[^ ]/ { t = ($1 == "train:") } t && $1 == "steps:" { print $2 }' "$src/config.yaml")" ;;
			esac
			line+=" ${c}: $p;"
		done
		printf '  %-8s seed %s:%s\n' "$task" "$seed" "${line%;}"
	done
}

# status also says whether each queue runs and quotes its log's last
# progress line (the run or step it reached and circuitry's estimate of
# the time left), so a session can plan around it.
status() {
	status1
	status2
	local q state last
	for q in study1-queue.sh study2-queue.sh; do
		if [ $q = study1-queue.sh ] && grep -a '^== ' runs/study1-queue.log 2>/dev/null | tail -n 1 | grep -q 'every block done'; then
			echo "$q: every block done; its core went on to the head-direction lane"
			continue
		fi
		state="not running"
		# the end of the command line: study2-queue.sh alone, not its lane
		pgrep -f "docs/results/scripts/$q\$" >/dev/null && state=running
		last=$(grep -a ' eta ' "runs/${q%.sh}.log" 2>/dev/null | tail -n 1) || true
		echo "$q: $state${last:+; last progress: $last}"
	done
	last=$(grep -a ' eta ' runs/study2-headdir-queue.log 2>/dev/null | tail -n 1) || true
	state="not running"
	headdir_lane && state=running
	[ -z "$last" ] || echo "study2-queue.sh headdir (the second lane): $state; last progress: $last"
}

resume() {
	need_data
	# Twice would rebuild the binary under the running queues; they already
	# resume what they find.
	if pgrep -f 'docs/results/scripts/study[12]-queue.sh' >/dev/null; then
		echo "long-runs.sh: the queues are already running (long-runs.sh status says where they are)" >&2
		exit 1
	fi
	go build -o runs/circuitry-long ./cmd/circuitry
	mkdir -p "$S1"
	[ -d "$R1" ] && cp -rn "$R1"/. "$S1"/
	for e in "${S2DIRS[@]}"; do
		out=${e%%:*} study=${e#*:}
		mkdir -p "$out/$study/runs"
		for d in "$(r2dir "$out" "$R2ROOT" "$study")" "$(r2dir "$out" "$R2PROOT" "$study")"; do
			[ -d "$d/runs" ] && cp -rn "$d/runs"/. "$out/$study/runs"/
		done
	done
	(GOMAXPROCS=1 nohup nice -n 5 docs/results/scripts/study1-queue.sh >> runs/study1-queue.log 2>&1 &)
	(GOMAXPROCS=1 nohup nice -n 10 docs/results/scripts/study2-queue.sh >> runs/study2-queue.log 2>&1 &)
	echo "restarted: runs/study1-queue.log, runs/study2-queue.log"
}

case "${1:-}" in
save) save ;;
resume) resume ;;
status) status ;;
*) echo "usage: $0 save|resume|status" >&2; exit 2 ;;
esac
