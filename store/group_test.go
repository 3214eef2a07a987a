package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// holdWriter starts a write transaction that waits for release, so that
// writes started meanwhile queue behind it.
func holdWriter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	entered, free, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.commit(context.Background(), func(*bolt.Tx) error {
			close(entered)
			<-free
			return nil
		})
	}()
	<-entered
	return func() {
		close(free)
		if err := <-done; err != nil {
			t.Errorf("holding write: %v", err)
		}
	}
}

// waitQueued waits until n writes wait for the next transaction.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		db.group.mu.Lock()
		got := len(db.group.queue)
		db.group.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("%d writes never queued", n)
}

type addResult struct {
	feed string
	res  Result
	err  error
}

// addAsync runs Add for feed in a goroutine, reporting on out.
func addAsync(ctx context.Context, db *DB, wg *sync.WaitGroup, out chan<- addResult, feed string, items ...Incoming) {
	wg.Go(func() {
		res, err := db.Add(ctx, feed, items, nil)
		out <- addResult{feed, res, err}
	})
}

// TestGroupCommit checks that fetches that finish while a transaction runs
// commit together in the next one, each seeing the ones queued before it.
func TestGroupCommit(t *testing.T) {
	db, _ := openTest(t, Options{Now: (&clock{now: t0}).Now})
	release := holdWriter(t, db)
	before := commits(t, db)

	const feeds = 5
	out := make(chan addResult, feeds+1)
	var wg sync.WaitGroup
	for f := range feeds {
		feed := fmt.Sprintf("bao-%d", f)
		addAsync(context.Background(), db, &wg, out, feed,
			incoming(fmt.Sprintf("Tin riêng số %d của báo %d", 1, f), feed+"-1", fmt.Sprintf("https://%s.example/1", feed), t0),
			incoming(fmt.Sprintf("Tin riêng số %d của báo %d", 2, f), feed+"-2", fmt.Sprintf("https://%s.example/2", feed), t0))
		waitQueued(t, db, f+1) // queue order is feed order
	}
	// The same story as bao-0's first, by its link: queued after bao-0,
	// it joins that story within the same transaction.
	addAsync(context.Background(), db, &wg, out, "copy",
		incoming("Bản sao tin của báo 0", "copy-1", "https://bao-0.example/1", t0))
	waitQueued(t, db, feeds+1)
	release()
	wg.Wait()
	close(out)

	for r := range out {
		want := Result{Added: 2}
		if r.feed == "copy" {
			want = Result{Merged: 1}
		}
		if r.err != nil || r.res != want {
			t.Errorf("%s: %+v, %v; want %+v", r.feed, r.res, r.err, want)
		}
	}
	if got := commits(t, db) - before; got != 2 { // the held one, then the group
		t.Errorf("%d commits after the held one began; want 2", got)
	}
	if n, err := db.Count(); err != nil || n != 2*feeds {
		t.Errorf("Count = %d, %v; want %d", n, err, 2*feeds)
	}
}

// TestGroupCommitFailureCostsOnlyItsWrite checks that a write failing
// inside a group is rolled back alone: the others of its group are
// committed, and so is the next group.
func TestGroupCommitFailureCostsOnlyItsWrite(t *testing.T) {
	db, _ := openTest(t, Options{Now: (&clock{now: t0}).Now})
	release := holdWriter(t, db)

	out := make(chan addResult, 3)
	var wg sync.WaitGroup
	addAsync(context.Background(), db, &wg, out, "a", incoming("Tin thứ nhất của báo A", "a-1", "https://a.example/1", t0))
	waitQueued(t, db, 1)
	boom := errors.New("boom")
	failed := make(chan error, 1)
	wg.Go(func() {
		failed <- db.commit(context.Background(), func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketMeta).Put([]byte("partial"), []byte("x")); err != nil {
				return err
			}
			return boom
		})
	})
	waitQueued(t, db, 2)
	addAsync(context.Background(), db, &wg, out, "b", incoming("Tin thứ nhất của báo B", "b-1", "https://b.example/1", t0))
	waitQueued(t, db, 3)
	release()
	wg.Wait()
	close(out)

	if err := <-failed; !errors.Is(err, boom) {
		t.Errorf("failing write returned %v; want %v", err, boom)
	}
	for r := range out {
		if r.err != nil || r.res != (Result{Added: 1}) {
			t.Errorf("%s: %+v, %v; want one added", r.feed, r.res, r.err)
		}
	}
	if n, err := db.Count(); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte("partial")); v != nil {
			return fmt.Errorf("the failed write's Put was committed: %q", v)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	// The store writes on as before.
	if r := mustAdd(t, db, "c", incoming("Tin thứ nhất của báo C", "c-1", "https://c.example/1", t0)); r.Added != 1 {
		t.Errorf("next Add: %+v", r)
	}
}

// TestGroupCommitCancelled checks that a fetch cancelled while its write
// waits in the queue stores nothing, and that the writes queued with it
// are not held up.
func TestGroupCommitCancelled(t *testing.T) {
	db, _ := openTest(t, Options{Now: (&clock{now: t0}).Now})
	release := holdWriter(t, db)

	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan addResult, 2)
	var wg sync.WaitGroup
	addAsync(ctx, db, &wg, out, "gone", incoming("Tin của báo đã hủy lệnh", "g-1", "https://g.example/1", t0))
	waitQueued(t, db, 1)
	addAsync(context.Background(), db, &wg, out, "kept", incoming("Tin của báo vẫn chờ ghi", "k-1", "https://k.example/1", t0))
	waitQueued(t, db, 2)
	cancel()
	release()
	wg.Wait()
	close(out)

	for r := range out {
		switch {
		case r.feed == "gone" && !errors.Is(r.err, context.Canceled):
			t.Errorf("cancelled Add: %+v, %v; want %v", r.res, r.err, context.Canceled)
		case r.feed == "kept" && (r.err != nil || r.res.Added != 1):
			t.Errorf("Add queued after it: %+v, %v; want one added", r.res, r.err)
		}
	}
	if n, err := db.Count(); err != nil || n != 1 {
		t.Errorf("Count = %d, %v; want 1", n, err)
	}
}
