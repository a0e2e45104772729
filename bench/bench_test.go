package bench

import (
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
				r, err := Study1(c.cond, c.h, 500*time.Millisecond)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.Value, "steps/s")
			}
		})
	}
}

func BenchmarkStudy2Step(b *testing.B) {
	for _, c := range []struct {
		task        string
		nRec, cells int
	}{{"spatial", 512, 512}, {"headdir", 128, 512}} {
		b.Run(c.task, func(b *testing.B) {
			for b.Loop() {
				rs, err := Study2(c.task, c.nRec, c.cells, 200, 100, time.Second)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rs[0].Value, "s/step")
			}
		})
	}
}
