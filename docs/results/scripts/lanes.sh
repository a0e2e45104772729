# lanes.sh — sourced by study2-queue.sh and long-runs.sh, from the
# repository root.
# lanefile holds the pid of study 2's head-direction lane
# (`study2-queue.sh headdir`), written when the lane starts.
lanefile=runs/study2-headdir-lane.pid
# headdir_lane: the head-direction lane is alive: its pid file names a
# process that still runs study2-queue.sh (a pid reused by anything else,
# or a stale file, reads as not alive).
headdir_lane() {
	local pid
	pid=$(cat "$lanefile" 2>/dev/null) || return 1
	grep -qa study2-queue.sh "/proc/$pid/cmdline" 2>/dev/null
}
