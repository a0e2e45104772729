package bench

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// The study workloads of `circuitry bench` as go test benchmarks:
//
//	go test -run x -bench Study ./experiment
func BenchmarkStudy1Step(b *testing.B) {
	for _, c := range []struct {
		cond string
		h    int
	}{{"ei", 500}, {"ei_ln", 500}, {"inorm_full", 500}} {
		b.Run(c.cond, func(b *testing.B) {
			for b.Loop() {
				r, err := Study1(c.cond, c.h, 500*time.Millisecond, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.Value, "steps/s")
			}
		})
	}
}

// The presets' study-1 workload: float16 autocast, a network per core.
func BenchmarkStudy1Protocol(b *testing.B) {
	for b.Loop() {
		r, err := Study1Protocol("inorm_full", 242, runtime.GOMAXPROCS(0), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Value, "network-steps/s")
	}
}

func TestStudy1ProtocolCountsEveryNetwork(t *testing.T) {
	r, err := Study1Protocol("ei", 16, 3, 20*time.Millisecond)
	if err != nil || r.Threads != 3 || r.Unit != "network-steps/s" || r.Value <= 0 || !strings.Contains(r.Name, "3 x ei 784-16-16-10") {
		t.Fatalf("%+v, %v", r, err)
	}
	var b strings.Builder
	printLine(&b, compare([]Result{r}, nil), false)
	if !strings.Contains(b.String(), "(3 networks, 1 worker each)") {
		t.Fatalf("line: %s", b.String())
	}
	if _, err := Study1Protocol("ei", 16, 1, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := Study1Protocol("inorm", 1000, 1, time.Millisecond); err == nil {
		t.Fatal("an I-Norm layer wider than its input was accepted")
	}
}

func BenchmarkStudy2Step(b *testing.B) {
	for _, c := range []struct {
		task        string
		nRec, cells int
	}{{"spatial", 512, 512}, {"headdir", 128, 512}} {
		b.Run(c.task, func(b *testing.B) {
			for b.Loop() {
				rs, err := Study2(c.task, c.nRec, c.cells, 200, 100, time.Second, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rs[0].Value, "s/step")
			}
		})
	}
}

// Each side is compared at its faster setting, named on the line: rates
// by the higher value, times by the lower.
func TestCompareUsesEachSidesFasterSetting(t *testing.T) {
	torch := map[string]Result{"g": {Name: "g", Value: 90, Unit: "GFLOP/s", Threads: 1}, "s": {Name: "s", Value: 2, Unit: "s/step", Threads: 2}}
	l := compare([]Result{{Name: "g", Value: 40, Unit: "GFLOP/s", Threads: 1}, {Name: "g", Value: 72, Unit: "GFLOP/s", Threads: 2}}, torch)
	if l.Circuitry.Threads != 2 || l.Other.Threads != 1 || l.PyTorch.Threads != 1 || l.Speed != 0.8 {
		t.Fatalf("rate: %+v", l)
	}
	l = compare([]Result{{Name: "s", Value: 1, Unit: "s/step", Threads: 1}, {Name: "s", Value: 1.5, Unit: "s/step", Threads: 2}}, torch)
	if l.Circuitry.Threads != 1 || l.Speed != 2 {
		t.Fatalf("time: %+v", l)
	}
	var b strings.Builder
	printLine(&b, l, false)
	if !strings.Contains(b.String(), "(1 worker)") || !strings.Contains(b.String(), "PyTorch 2 (2 threads)") || !strings.Contains(b.String(), "2.00x") {
		t.Fatalf("line: %s", b.String())
	}
	b.Reset()
	printLine(&b, l, true)
	if !strings.Contains(b.String(), `"speed_vs_pytorch":2`) || !strings.Contains(b.String(), `"threads":2`) {
		t.Fatalf("json: %s", b.String())
	}
}
