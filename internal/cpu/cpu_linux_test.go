package cpu

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// threadNice returns the nice value of the calling thread.
func threadNice(t *testing.T) int {
	t.Helper()
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	return 20 - raw
}

// TestRunLowersPriority checks that Run runs its work on a thread
// backgroundNice nicer than the caller's, in a slot, RunWriter on one
// writerNice nicer, and that both leave the caller's thread as it was.
func TestRunLowersPriority(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNice(t)
	var inside, taken, insideWrite int
	if err := Run(context.Background(), func() {
		inside = threadNice(t)
		taken = len(slots)
	}); err != nil {
		t.Fatal(err)
	}
	if err := RunWriter(context.Background(), func() { insideWrite = threadNice(t) }); err != nil {
		t.Fatal(err)
	}
	if want := min(19, before+writerNice); insideWrite != want {
		t.Errorf("nice inside RunWriter = %d, want %d", insideWrite, want)
	}
	if want := min(19, before+backgroundNice); inside != want {
		t.Errorf("nice inside Run = %d, want %d", inside, want)
	}
	if taken < 1 {
		t.Errorf("slots taken inside Run = %d, want at least 1", taken)
	}
	if after := threadNice(t); after != before {
		t.Errorf("caller's thread nice %d, was %d", after, before)
	}
}

// TestRunBounded checks that no more than Slots functions run at once in
// Run, one in Write, and that every slot is given back.
func TestRunBounded(t *testing.T) {
	for _, tt := range []struct {
		name  string
		run   func(context.Context, func()) error
		limit int
	}{{"Run", Run, Slots()}, {"RunWriter", RunWriter, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			var running, most atomic.Int32
			var wg sync.WaitGroup
			for range 4 * tt.limit {
				wg.Go(func() {
					if err := tt.run(context.Background(), func() {
						n := running.Add(1)
						for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
						}
						runtime.Gosched()
						running.Add(-1)
					}); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if m := most.Load(); m < 1 || int(m) > tt.limit {
				t.Errorf("at most %d ran at once, want 1..%d", m, tt.limit)
			}
			if len(slots) != 0 || len(writer) != 0 {
				t.Errorf("%d slots and %d writer slots not given back", len(slots), len(writer))
			}
		})
	}
}

// TestRunCancelled checks that Run gives up, without running the work,
// when its context has ended.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := Run(ctx, func() { ran = true }); err == nil || ran {
		t.Fatalf("Run with a cancelled context: err %v, ran %v", err, ran)
	}
}

// TestRunKeepsPriority checks that every function Run and RunWriter run,
// one after another and at once, many more than there are slots, runs on
// a thread of the lowered priority, and that the threads are reused:
// no more of them than slots.
func TestRunKeepsPriority(t *testing.T) {
	base := processNice(t)
	for _, tt := range []struct {
		name  string
		run   func(context.Context, func()) error
		limit int
		nice  int
	}{{"Run", Run, Slots(), backgroundNice}, {"RunWriter", RunWriter, 1, writerNice}} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			nices := map[int]int{} // thread ID → nice seen there
			f := func() {
				nice, tid := threadNice(t), syscall.Gettid()
				mu.Lock()
				defer mu.Unlock()
				nices[tid] = nice
			}
			var wg sync.WaitGroup
			for range 8 * tt.limit {
				if err := tt.run(context.Background(), f); err != nil {
					t.Fatal(err)
				}
				wg.Go(func() {
					if err := tt.run(context.Background(), f); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if len(nices) < 1 || len(nices) > tt.limit {
				t.Errorf("functions ran on %d threads, want 1..%d", len(nices), tt.limit)
			}
			want := min(19, base+tt.nice)
			for tid, nice := range nices {
				if nice != want {
					t.Errorf("thread %d ran a function at nice %d, want %d", tid, nice, want)
				}
			}
		})
	}
}

// TestRunLeavesOthers checks that after Run and RunWriter, including
// functions that lock and unlock their thread and that end with
// runtime.Goexit, goroutines started later never run at a lowered
// priority: it occupies more threads than the process has, and reads the
// priority of each.
func TestRunLeavesOthers(t *testing.T) {
	base := processNice(t)
	for range 3 {
		for _, run := range []func(context.Context, func()) error{Run, RunWriter} {
			for _, f := range []func(){
				func() {},
				func() { runtime.LockOSThread(); runtime.UnlockOSThread() },
				runtime.Goexit,
			} {
				if err := run(context.Background(), f); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	threads := func() int {
		entries, err := os.ReadDir("/proc/self/task")
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	n := threads() + 8
	release := make(chan struct{})
	nices := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			runtime.LockOSThread() // holds its thread, so the next one takes another
			defer runtime.UnlockOSThread()
			nices <- threadNice(t)
			<-release
		})
	}
	for range n {
		if nice := <-nices; nice != base {
			t.Errorf("a plain goroutine ran at nice %d, want the process's %d", nice, base)
		}
	}
	close(release)
	wg.Wait()
}

// processNice returns the nice value of the calling goroutine's thread,
// before Run: the one the process's threads are started with. (The main
// thread's may differ: a worker can take it.)
func processNice(t *testing.T) int {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return threadNice(t)
}
