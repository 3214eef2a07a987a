package cpu

import (
	"context"
	"testing"
)

// BenchmarkRun measures what Run adds to the work it runs: a slot, a
// goroutine and an OS thread of its own, created and ended.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if err := Run(ctx, func() {}); err != nil {
			b.Fatal(err)
		}
	}
}
