package kernels

// setAsm switches the assembly micro-kernel on or off for tests and returns
// the previous setting. Tests that use it must not run in parallel.
func setAsm(on bool) bool {
	old := useAsm
	if on && !cpuHasAsm() {
		on = false
	}
	useAsm = on
	return old
}
