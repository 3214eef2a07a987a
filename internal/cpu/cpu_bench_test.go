package cpu

import (
	"context"
	"testing"
)

// BenchmarkRun measures what Run adds to the work it runs: handing f to
// a background thread and waiting for it, from one caller (serial) and
// from more callers than slots (parallel), for an empty f and for one
// that computes for about a millisecond.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	for _, bb := range []struct {
		name string
		f    func()
	}{{"empty", func() {}}, {"1ms", func() { sink = spin(millisecond) }}} {
		b.Run(bb.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				if err := Run(ctx, bb.f); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bb.name+"/parallel", func(b *testing.B) {
			b.SetParallelism(4) // 4×GOMAXPROCS callers for Slots() slots
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := Run(ctx, bb.f); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// millisecond is how many rounds of spin take about 1 ms of CPU on the
// 2-core machines pressfeed is measured on.
const millisecond = 550_000

var sink uint64

// spin computes for n rounds of a xorshift generator, work the compiler
// cannot remove or hoist.
func spin(n int) uint64 {
	x := uint64(88172645463325252)
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// BenchmarkSpin is the calibration of millisecond: about 1 ms per op.
func BenchmarkSpin(b *testing.B) {
	for b.Loop() {
		sink = spin(millisecond)
	}
}
