#!/bin/bash
# bundle.sh SRC_STUDY_DIR DST_STUDY_DIR [--weights] [--runs-only]
# Copies the records of every finished run (config.yaml, run.json,
# summary.json, metrics.jsonl, arrays/, and with --weights
# weights.safetensors) and the study's tables into results/, so a later
# session resumes or re-judges the study from them. Unfinished runs are
# skipped (their checkpoints are large; bundle those by hand).
# --runs-only leaves the study's tables out: those of a study still
# training describe whichever block ran last, not a judgement.
set -euo pipefail
usage="usage: bundle.sh SRC_STUDY_DIR DST_STUDY_DIR [--weights] [--runs-only]"
src=${1:?$usage} dst=${2:?$usage} weights= tables=1
shift 2
for a in "$@"; do
	case $a in
	--weights) weights=1 ;;
	--runs-only) tables= ;;
	*) echo "bundle.sh: unknown option $a; $usage" >&2; exit 2 ;;
	esac
done
[ -d "$src/runs" ] || { echo "bundle.sh: $src has no runs/ (expected a study directory)" >&2; exit 1; }
mkdir -p "$dst/runs"
for f in study.yaml comparison.json comparison.md results.csv verdicts.json verdicts.md; do
	[ -n "$tables" ] && [ -f "$src/$f" ] && cp "$src/$f" "$dst/"
done
n=0
for run in "$src"/runs/*/; do
	name=$(basename "$run")
	grep -q '"finished": true' "$run/run.json" 2>/dev/null || continue
	mkdir -p "$dst/runs/$name"
	for f in config.yaml run.json summary.json metrics.jsonl; do cp "$run/$f" "$dst/runs/$name/"; done
	[ -d "$run/arrays" ] && cp -r "$run/arrays" "$dst/runs/$name/"
	[ -z "$weights" ] || cp "$run/weights.safetensors" "$dst/runs/$name/"
	n=$((n + 1))
done
echo "$n finished runs bundled into $dst"
