//go:build unix

package fsutil

import "syscall"

// oNonBlock keeps open(2) from waiting for a FIFO's writer.
const oNonBlock = syscall.O_NONBLOCK
