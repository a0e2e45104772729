#!/bin/bash
# judge-seeds.sh SRC_STUDY_DIR OUT [CONDITIONS]
# Judges the finished seeds of a study-2 paper-scale study: copies the
# networks of every seed whose networks (each of CONDITIONS; default the
# uniform experiment's four) have all finished into OUT, without their lock
# or checkpoints, and runs `circuitry reproduce offline-reactivation --scale
# paper --finished-only` on exactly those seeds there, which reuses every
# network (config and data fingerprints match; weights verified) and trains
# nothing. The running study in SRC is only read. Examples:
#   judge-seeds.sh runs/paper-s/offline-reactivation-spatial-paper /tmp/judgeS
#   judge-seeds.sh runs/paper-hd/offline-reactivation-headdir-paper /tmp/judgeHD
# CIRCUITRY names the binary (default: circuitry on PATH). JUDGED names an
# earlier judgement's OUT: a network whose weights and config there equal
# SRC's byte for byte is copied from it with the arrays its re-analysis
# wrote, so a network restored from a results bundle (no arrays/) is not
# re-analysed again (minutes each); circuitry still verifies every reuse.
set -euo pipefail
src=${1:?usage: judge-seeds.sh SRC_STUDY_DIR OUT [CONDITIONS]} out=${2:?usage: judge-seeds.sh SRC_STUDY_DIR OUT [CONDITIONS]}
conds=${3:-noisy noisy_biased nonoise nonoise_biased}
bin=${CIRCUITRY:-circuitry}
[ -d "$src/runs" ] || { echo "$src: no runs/ directory (expected a study directory)" >&2; exit 1; }
dst="$out/$(basename "$src")"
judged=${JUDGED:+$JUDGED/$(basename "$src")/runs}
if [ -n "$judged" ]; then
	[ -d "$judged" ] || { echo "JUDGED=$JUDGED: no $(basename "$src")/runs there" >&2; exit 1; }
	[ "$(realpath "$JUDGED")" != "$(realpath -m "$out")" ] || { echo "JUDGED=$JUDGED is OUT itself" >&2; exit 1; }
fi
. "$(dirname "$0")/judge-out.sh"
# from NET: where to copy network NET from (the earlier judgement when it
# holds the same weights and config, analysed; otherwise SRC).
from() {
	local j=$judged/$1 s=$src/runs/$1
	if [ -n "$judged" ] && [ -d "$j/arrays" ] && cmp -s "$j/weights.safetensors" "$s/weights.safetensors" &&
		cmp -s "$j/config.yaml" "$s/config.yaml"; then
		echo "$j"
	else
		echo "$s"
	fi
}
fresh_out "$out"
mkdir -p "$dst/runs"
seeds=() analysed=()
for s in 0 1 2 3 4; do
	complete=1
	for c in $conds; do
		grep -qs '"finished": true' "$src/runs/${c}_s$s/run.json" || complete=0
	done
	[ $complete = 1 ] || continue
	seeds+=("$s")
	for c in $conds; do
		f=$(from "${c}_s$s")
		[ "$f" = "$src/runs/${c}_s$s" ] || analysed+=("${c}_s$s")
		cp -r "$f" "$dst/runs/"
		rm -rf "$dst/runs/${c}_s$s/checkpoints" "$dst/runs/${c}_s$s/.lock"
	done
done
[ ${#seeds[@]} -gt 0 ] || { echo "no seed has finished every network of: $conds" >&2; exit 1; }
list=$(IFS=,; echo "${seeds[*]}" | sed 's/,/, /g')
conds_list=$(echo "$conds" | sed 's/ /, /g')
echo "judging seeds $list of $(basename "$src"): $conds_list"
[ -z "$judged" ] || echo "from $JUDGED, already analysed: ${#analysed[@]} networks${analysed:+ (${analysed[*]})}"
"$bin" reproduce offline-reactivation --scale paper --out "$out" --finished-only \
	--set "seeds=[$list]" --set "conditions=[$conds_list]"
