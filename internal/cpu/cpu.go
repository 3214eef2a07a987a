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
	"sync"
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

// Run runs f in one of the slots, on a worker goroutine locked to an OS
// thread of lower priority (see lowerPriority), and waits for it; it
// returns the context's cause, without running f, when ctx ends while it
// waits for a slot. The kernel gives a core to the threads answering
// readers as soon as they wake, however busy the background; with nothing
// to answer, the background has every core.
//
// The workers, one per slot, are started on first use and kept: a thread
// is created and its priority set once, not per call. Their threads run
// nothing but the functions given to Run, so nothing else ever runs at
// the lower priority. f must leave its thread as it found it: balanced
// runtime.LockOSThread and UnlockOSThread (one Unlock too many would let
// the worker's thread run other goroutines), no change to its priority or
// other per-thread state, since the next f runs there too. A panic in f
// crashes the process from the worker, as from any goroutine, and Run
// does not return; after runtime.Goexit in f, Run returns nil and the
// worker ends with its thread, replaced by a new one.
func Run(ctx context.Context, f func()) error { return background.run(ctx, f) }

// RunWriter runs f like Run, but in the slot kept for the store's one
// writer and at writerNice: bbolt runs one write transaction at a time,
// and a fetch waiting for it in one of Run's slots would keep a core idle.
func RunWriter(ctx context.Context, f func()) error { return writing.run(ctx, f) }

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

var (
	background = &pool{slots: slots, nice: backgroundNice, jobs: make(chan job)}
	writing    = &pool{slots: writer, nice: writerNice, jobs: make(chan job)}
)

// A pool runs functions in its slots on cap(slots) workers, each a
// goroutine locked to a thread of priority nice that takes jobs one at a
// time. A caller holding a slot always finds a worker free or about to
// be, so the slots alone bound the work and decide who waits.
type pool struct {
	slots chan struct{}
	nice  int
	jobs  chan job // unbuffered: a worker takes a job when it is free
	start sync.Once
}

// A job is one function for a worker; done is signalled when it returns.
type job struct {
	f    func()
	done chan struct{}
}

func (p *pool) run(ctx context.Context, f func()) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	p.start.Do(func() {
		for range cap(p.slots) {
			go p.work()
		}
	})
	done := make(chan struct{})
	p.jobs <- job{f, done}
	<-done
	return nil
}

// work is one worker: it locks its goroutine to its thread, never to be
// unlocked, so that the thread, once nicer, runs nothing but jobs and
// exits with the goroutine.
func (p *pool) work() {
	runtime.LockOSThread()
	lowerPriority(p.nice)
	for j := range p.jobs {
		p.do(j)
	}
}

// do runs one job. When f ends its goroutine with runtime.Goexit, do
// starts a worker to take this one's place and releases the caller; the
// thread exits with this goroutine. When f panics, the panic goes on
// from here and ends the process; the caller stays blocked rather than
// carry on with f half done.
func (p *pool) do(j job) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if r := recover(); r != nil {
			panic(r) // still on f's stack, which the crash prints
		}
		go p.work()
		close(j.done)
	}()
	j.f()
	returned = true
	close(j.done)
}
