//go:build !unix

package experiment

import "os"

// tryLock has no advisory lock to take on this platform: a run directory
// is then protected only by the integrity checks, not against a second
// process writing at the same time.
func tryLock(*os.File) (bool, error) { return true, nil }
