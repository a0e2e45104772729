# judge-out.sh — sourced by judge-long.sh and judge-seeds.sh.
# fresh_out OUT: empties OUT for a new judgement, but only a directory a
# judge script made (it holds the marker written here) or an empty one:
# OUT named by mistake (runs/, results/) is refused, never deleted.
fresh_out() {
	local out=$1 marker=.circuitry-judge-dir
	if [ -e "$out" ] && [ ! -e "$out/$marker" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
		echo "$out: exists and was not made by a judge script; name a new or empty directory" >&2
		exit 1
	fi
	rm -rf "$out"
	mkdir -p "$out"
	: >"$out/$marker"
}
