package reactivation

import "testing"

// skipInShort skips a slow end-to-end test under -short: CI's race pass
// (go test -race -short ./...) checks concurrency on the rest, and the
// plain pass runs every test.
func skipInShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow end-to-end test: runs without -short")
	}
}
