package sweep

import (
	"slices"
	"sort"
	"testing"
)

func TestNaturalOrder(t *testing.T) {
	got := []string{"hidden=[128,128]", "hidden=[64,64]", "hidden=[64,128]", "lr=1", "lr=0.5", "lr=0.25", "(base)",
		"lr=10", "lr=1e-3", "w=-1", "w=-2", "w=0", "v=1-2"}
	sort.Slice(got, func(i, j int) bool { return naturalLess(got[i], got[j]) })
	want := []string{"(base)", "hidden=[64,64]", "hidden=[64,128]", "hidden=[128,128]", "lr=1e-3", "lr=0.25", "lr=0.5",
		"lr=1", "lr=10", "v=1-2", "w=-2", "w=-1", "w=0"}
	if !slices.Equal(got, want) {
		t.Fatalf("natural order:\n got %q\nwant %q", got, want)
	}
	if naturalLess("a", "a") || !naturalLess("a", "ab") || naturalLess("ab", "a") || !naturalLess("x=07", "x=7") {
		t.Fatal("ties and prefixes")
	}
}
