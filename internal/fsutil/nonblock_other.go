//go:build !unix

package fsutil

// oNonBlock: no non-blocking open outside Unix (no FIFOs to wait on there).
const oNonBlock = 0
