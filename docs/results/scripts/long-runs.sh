#!/bin/bash
# long-runs.sh save|resume — keeps the long runs of both studies going
# across sessions (the workspace's runs/ does not survive them).
#
#   save    bundles into results/: study 1's `long` preset (finished runs'
#           records, no weights: its verdicts need none) and study 2's
#           paper-scale seeds (finished networks: records and weights, which
#           their analyses are recomputed from; an unfinished network: its
#           records and latest checkpoint, to resume bit-identically).
#   resume  copies the bundles back into runs/ and restarts both in the
#           background, one core each (nice), logs in runs/*.log.
#
# Run from the repository root. The commands and settings are the ones
# docs/results/*.md give.
set -euo pipefail
cd "$(dirname "$0")/../../.."
S1=runs/long/inhibitory-normalization-long
S2=runs/paper-s/offline-reactivation-spatial-paper
R1=results/inhibitory-normalization-long/inhibitory-normalization-long
R2=results/offline-reactivation-paper/offline-reactivation-spatial-paper
R2P=results/offline-reactivation-paper-inprogress/offline-reactivation-spatial-paper

save() {
	[ -d "$S1" ] && docs/results/scripts/bundle.sh "$S1" "$R1"
	[ -d "$S2" ] || return 0
	for run in "$S2"/runs/*/; do
		name=$(basename "$run")
		if grep -q '"finished": true' "$run/run.json" 2>/dev/null; then
			mkdir -p "$R2/runs/$name"
			cp "$run"/{config.yaml,run.json,summary.json,metrics.jsonl,weights.safetensors} "$R2/runs/$name/"
			rm -rf "$R2P/runs/$name"
		elif [ -f "$run/checkpoints/checkpoint.bin" ]; then
			mkdir -p "$R2P/runs/$name/checkpoints"
			cp "$run"/{config.yaml,run.json,metrics.jsonl} "$R2P/runs/$name/"
			cp "$run/checkpoints/checkpoint.bin" "$R2P/runs/$name/checkpoints/"
		fi
	done
	echo "bundled study 2 into $R2 (finished) and $R2P (in progress)"
}

resume() {
	go build -o runs/circuitry-long ./cmd/circuitry
	mkdir -p "$S1" "$S2/runs"
	[ -d "$R1" ] && cp -rn "$R1"/. "$S1"/
	for d in "$R2" "$R2P"; do
		[ -d "$d/runs" ] && cp -rn "$d/runs"/. "$S2/runs"/
	done
	(cd runs && GOMAXPROCS=1 nohup nice -n 5 ./circuitry-long run ../configs/inhibitory-normalization/long.yaml --out long \
		--set 'conditions=[e_ln, inorm, inorm_full]' >> long-i.log 2>&1 &)
	(cd runs && GOMAXPROCS=1 nohup nice -n 10 ./circuitry-long run ../configs/offline-reactivation/spatial-paper.yaml --out paper-s \
		--set 'seeds=[1]' --set 'conditions=[noisy, noisy_biased, nonoise, nonoise_biased]' --set train.checkpoint_every=100 >> paper-s1.log 2>&1 &)
	echo "restarted: runs/long-i.log, runs/paper-s1.log"
}

case "${1:-}" in
save) save ;;
resume) resume ;;
*) echo "usage: $0 save|resume" >&2; exit 2 ;;
esac
