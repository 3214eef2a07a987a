// Package cpu runs pressfeed's background work (parsing, normalising and
// storing fetched feeds, rendering merged feeds ahead of readers) so that
// it never keeps a reader waiting: in a bounded number of slots, which
// leaves a Go processor free, on threads of lower priority, which the
// kernel sets aside for a waking reader.
//
// It is the daemon's policy, applied by cmd/pressfeed (and the bench):
// store, fetcher and publisher take it as a store.Runner in their Options
// and never import this package.
package cpu

import (
	"context"
	"os"
	"runtime"
)

// slots bounds the background work running at once. The Go scheduler
// looks for network events only when a processor runs out of work, or
// every 10 ms: with every processor busy in the background, a reader could
// wait that long. So the work gets one slot per core, the store's writer
// one of its own (RunWriter), and the process two processors more than it has
// cores (ReserveReaderProc), one for the writer and one left for readers.
// With GOMAXPROCS set in the environment, the work gets every processor
// but two (at least one).
var slots = make(chan struct{}, initialSlots())

// writer is the slot of the store's one writer.
var writer = make(chan struct{}, 1)

func initialSlots() int {
	n := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") != "" {
		n -= 2
	}
	return max(1, n)
}

// Slots returns how many functions Run runs at once.
func Slots() int { return cap(slots) }

// ReserveReaderProc gives the process two Go processors more than it has
// cores, unless GOMAXPROCS is set in the environment. Call it once, first
// thing in main.
func ReserveReaderProc() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 2)
	}
}

// Run runs f in one of the slots, on a goroutine of its own locked to an
// OS thread of lower priority (see lowerPriority), and waits for it; it
// returns the context's cause, without running f, when ctx ends while it
// waits for a slot. The kernel gives a core to the threads answering
// readers as soon as they wake, however busy the background; with nothing
// to answer, the background has every core. The thread ends with the
// goroutine, so nothing else ever runs at the lower priority.
func Run(ctx context.Context, f func()) error { return run(ctx, slots, backgroundNice, f) }

// RunWriter runs f like Run, but in the slot kept for the store's one
// writer and at writerNice: bbolt runs one write transaction at a time,
// and a fetch waiting for it in one of Run's slots would keep a core idle.
func RunWriter(ctx context.Context, f func()) error { return run(ctx, writer, writerNice, f) }

// How much nicer than the process the background threads run: under
// contention the kernel gives a thread of the process's own priority
// about ten times the share of one 10 nicer, and a waking one the core at
// once. The store's writer, the one stage that cannot spread over cores,
// runs ahead of the rest of the background (about three times its share)
// and still behind readers.
const (
	backgroundNice = 10
	writerNice     = 5
)

func run(ctx context.Context, slots chan struct{}, nice int, f func()) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		lowerPriority(nice)
		defer close(done)
		f()
	}()
	<-done
	return nil
}
