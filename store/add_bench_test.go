package store

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAdd measures Add for new items: 1,000 realistic items per
// iteration, added in batches of 50 (one fetched feed each) to a fresh
// store. It reports wall time per item (ns/item, fsyncs included) and the
// process's CPU time per item (cpu-ns/item, GC included).
func BenchmarkAdd(b *testing.B) {
	const n, batch = 1000, 50
	proto := realisticItems("bao-a", n, t0.Add(-48*time.Hour))
	items := make([]Incoming, n)
	ctx := context.Background()
	var wall, cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		copy(items, proto) // Add fills SimHash in place
		db, err := Open(filepath.Join(b.TempDir(), "add.db"), Options{Now: func() time.Time { return t0 }})
		if err != nil {
			b.Fatal(err)
		}
		c0 := cpuTime(b)
		start := time.Now()
		b.StartTimer()
		for j := 0; j < n; j += batch {
			if _, err := db.Add(ctx, "bao-a", items[j:j+batch], nil); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		wall += time.Since(start)
		cpu += cpuTime(b) - c0
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	items0 := float64(b.N * n)
	b.ReportMetric(float64(wall.Nanoseconds())/items0, "ns/item")
	b.ReportMetric(float64(cpu.Nanoseconds())/items0, "cpu-ns/item")
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
