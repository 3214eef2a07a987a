package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
		copy(items, proto)    // Add fills SimHash in place
		var tick atomic.Int64 // a clock that moves, as the daemon's does: a second per call
		db, err := Open(filepath.Join(b.TempDir(), "add.db"), Options{Now: func() time.Time { return t0.Add(time.Duration(tick.Add(1)) * time.Second) }})
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

// BenchmarkAddParallel measures Add under contention, as the poller's
// concurrent fetches drive it: 8 goroutines, each adding 50-item batches of
// new realistic items for its own feed to one store. It reports the items
// stored per second, the wall time per item (ns/item), and the time per
// item that Add held bbolt's write lock (write-ns/item), the serial part
// that caps ingest however many fetches run at once.
func BenchmarkAddParallel(b *testing.B) {
	const writers, batch = 8, 50
	for _, near := range []bool{false, true} {
		b.Run(fmt.Sprintf("near=%v", near), func(b *testing.B) {
			items := make([][]Incoming, writers)
			for w := range items {
				items[w] = realisticItems(fmt.Sprintf("bao-%d", w), b.N*batch, t0.Add(-48*time.Hour))
				// Headlines and leads with their words in an order of their
				// own, so that items differ as stories do and none is a
				// near-duplicate of another: every item is new. (Shuffles
				// of one ten-word lead share many word pairs: the number
				// each lead ends with differs across writers too.)
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				shuffle := func(s string) string {
					words := strings.Fields(s)
					rng.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
					return strings.Join(words, " ")
				}
				for i := range items[w] {
					in := &items[w][i]
					head, rest, _ := strings.Cut(in.Title, ": ")
					in.Title = head + ": " + shuffle(rest)
					in.TitleKey = strings.ToLower(in.Title)
					lead, _, _ := strings.Cut(in.Summary, " (")
					in.Summary = fmt.Sprintf("%s (%d)", shuffle(lead), w*1_000_000+i)
				}
			}
			// Each Add sees a later time, as with a real clock, so that
			// by_seen grows at its end.
			var ticks atomic.Int64
			now := func() time.Time { return t0.Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
			// The Writer runs one write transaction at a time, as the
			// daemon's does, and notes how long each held the writer.
			var mu, writer sync.Mutex
			var spans [][2]time.Time
			held := func(ctx context.Context, f func()) error {
				writer.Lock()
				from := time.Now()
				f()
				to := time.Now()
				writer.Unlock()
				mu.Lock()
				spans = append(spans, [2]time.Time{from, to})
				mu.Unlock()
				return nil
			}
			db, err := Open(filepath.Join(b.TempDir(), "add.db"), Options{NearDuplicates: near, Now: now, Writer: held})
			if err != nil {
				b.Fatal(err)
			}
			var added atomic.Int64
			errs := make(chan error, writers)
			ctx := context.Background()
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := range writers {
				feed := fmt.Sprintf("bao-%d", w)
				wg.Go(func() {
					for j := 0; j < len(items[w]); j += batch {
						res, err := db.Add(ctx, feed, items[w][j:j+batch], nil)
						if err != nil {
							errs <- err
							return
						}
						added.Add(int64(res.Added))
					}
				})
			}
			wg.Wait()
			wall := time.Since(start)
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
			n := float64(writers * b.N * batch)
			if got := added.Load(); got != int64(n) {
				b.Fatalf("added %d items, want %d", got, int64(n))
			}
			b.ReportMetric(n/wall.Seconds(), "items/s")
			b.ReportMetric(float64(wall.Nanoseconds())/n, "ns/item")
			b.ReportMetric(float64(heldTime(spans).Nanoseconds())/n, "write-ns/item")
		})
	}
}

// heldTime returns the time the write lock was held, given for each write
// transaction when it started and when Add saw it end. Add sees that a
// moment after bbolt unlocked (later still when its goroutine waits for a
// CPU), while the next transaction cannot start before the unlock: each
// span is cut at the start of the next.
func heldTime(spans [][2]time.Time) time.Duration {
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var total time.Duration
	for i, s := range spans {
		end := s[1]
		if i+1 < len(spans) && spans[i+1][0].Before(end) {
			end = spans[i+1][0]
		}
		total += end.Sub(s[0])
	}
	return total
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
