package store

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestRetain runs the retention loop on a fake clock: items first seen
// longer than the retention ago go at start and at each later run, and
// Retain returns nil once its context is done.
func TestRetain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, _ := openTest(t, Options{Now: time.Now})
		pub := time.Now().Add(-time.Hour)
		mustAdd(t, db, "sggp", incoming("Tin cũ", "g1", "https://a.example/1", pub))
		ctx, cancel := context.WithCancel(context.Background())
		pruned := make(chan int, 4)
		done := make(chan error, 1)
		go func() { done <- db.Retain(ctx, 10*time.Hour, func(n int) { pruned <- n }) }()
		synctest.Wait()
		if n, _ := db.Count(); n != 1 {
			t.Fatalf("%d items after the first run, want the new one kept", n)
		}
		time.Sleep(11 * time.Hour) // the loop runs every hour (retention/10)
		synctest.Wait()
		select {
		case n := <-pruned:
			if n != 1 {
				t.Errorf("pruned %d, want 1", n)
			}
		default:
			t.Error("the item first seen 11 hours ago was not pruned")
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Retain = %v, want nil once ctx is done", err)
		}
	})
}
