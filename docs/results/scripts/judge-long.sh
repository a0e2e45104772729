#!/bin/bash
# judge-long.sh SRC_STUDY_DIR OUT CONDITIONS
# Judges the finished part of the `long` preset: copies the records of the
# configurations whose every run (each condition in CONDITIONS at eps 0 and
# 0.75) has finished into OUT, and runs `circuitry reproduce` on exactly
# those configurations there, which reuses them (config and data
# fingerprints match) and trains nothing. The running study in SRC is only
# read. Example (block (i)):
#   judge-long.sh runs/long/inhibitory-normalization-long /tmp/judge-i "e_ln inorm inorm_full"
set -euo pipefail
src=$1 out=$2 conds=$3
bin=${CIRCUITRY:-circuitry}
dst="$out/inhibitory-normalization-long"
. "$(dirname "$0")/judge-out.sh"
fresh_out "$out"
mkdir -p "$dst/runs"
hps=()
for hp in $(seq -w 0 29); do
	complete=1
	for c in $conds; do
		for e in 0 0.75; do
			grep -qs '"finished": true' "$src/runs/${c}_eps${e}_hp${hp}_r0/run.json" || complete=0
		done
	done
	[ $complete = 1 ] || continue
	hps+=("$((10#$hp))")
	for c in $conds; do
		for e in 0 0.75; do cp -r "$src/runs/${c}_eps${e}_hp${hp}_r0" "$dst/runs/"; done
	done
done
[ ${#hps[@]} -gt 0 ] || { echo "no configuration has finished every run of: $conds" >&2; exit 1; }
list=$(IFS=,; echo "${hps[*]}")
conds_list=$(echo "$conds" | sed 's/ /, /g')
echo "judging ${#hps[@]} complete configurations: $list"
"$bin" reproduce inhibitory-normalization --scale long --out "$out" \
	--set "conditions=[$conds_list]" --set "hparams=[$list]"
