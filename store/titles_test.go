package store

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// checkTail fails unless db's tail is what Open would read back from the
// title log.
func checkTail(t *testing.T, db *DB) {
	t.Helper()
	fresh := &DB{}
	if err := db.bolt.View(fresh.loadTitleLog); err != nil {
		t.Fatal(err)
	}
	if got, want := db.tail.sorted(), fresh.tail.sorted(); !slices.Equal(got, want) {
		t.Errorf("tail %q; the title log gives %q", got, want)
	}
}

// TestTitleLog checks the title index written behind: a copy merges by
// title whether its original's entry is in the tail, flushed into titles,
// or read back from the log by Open after a crash, and the flush leaves
// out the entries of pruned items.
func TestTitleLog(t *testing.T) {
	ck := &clock{now: t0.Add(time.Hour)}
	db, _ := openTest(t, Options{Now: ck.Now})
	db.flushAt = 4
	story := func(feed string, n int) Incoming {
		title := []string{"Khánh thành cầu Rạch Miễu 2", "Giá xăng giảm 500 đồng", "Bão số 9 đổ bộ Quảng Ngãi",
			"Metro số 1 chở một triệu khách", "Hà Nội cấm xe tải vào nội đô", "Sân bay Long Thành đón chuyến bay đầu"}[n]
		link := "https://" + feed + ".example/" + string(rune('a'+n))
		return incoming(title, link, link, t0.Add(time.Duration(n)*time.Minute))
	}
	copyOf := func(feed string, n int) {
		t.Helper()
		if r := mustAdd(t, db, feed, story(feed, n)); r.Merged != 1 {
			t.Errorf("%s's copy of story %d: %+v, want merged by title", feed, n, r)
		}
	}

	mustAdd(t, db, "sggp", story("sggp", 0), story("sggp", 1))
	if n, logged := db.tail.len(), countBucket(t, db, bucketTitleLog); n != 2 || logged != 2 || countBucket(t, db, bucketTitles) != 0 {
		t.Fatalf("tail %d, log %d, titles %d; want 2, 2, 0", n, logged, countBucket(t, db, bucketTitles))
	}
	copyOf("tuoitre", 0) // its entry is in the tail
	checkTail(t, db)

	mustAdd(t, db, "sggp", story("sggp", 2), story("sggp", 3)) // the tail reaches 4: flushed
	if n, logged, titles := db.tail.len(), countBucket(t, db, bucketTitleLog), countBucket(t, db, bucketTitles); n != 0 || logged != 0 || titles != 4 {
		t.Fatalf("after the flush: tail %d, log %d, titles %d; want 0, 0, 4", n, logged, titles)
	}
	copyOf("tuoitre", 3) // its entry is in titles

	// A crash: the file as it is on disk, with entries in the log only.
	mustAdd(t, db, "sggp", story("sggp", 4))
	checkTail(t, db)
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	f, err := os.Create(crashed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	after := openAt(t, crashed, Options{Now: ck.Now})
	if n := after.tail.len(); n != 1 {
		t.Errorf("tail read back: %d entries, want 1", n)
	}
	if r := mustAdd(t, after, "vnexpress", story("vnexpress", 4)); r.Merged != 1 {
		t.Errorf("a copy after the crash: %+v, want merged by title", r)
	}

	// Prune everything: the tail keeps no entry of a pruned item, and a
	// flush writes none into titles.
	mustAdd(t, db, "sggp", story("sggp", 5))
	if n, err := db.Prune(t.Context(), ck.now.Add(time.Hour)); err != nil || n != 6 {
		t.Fatalf("Prune = %d, %v; want 6", n, err)
	}
	if n := db.tail.len(); n != 0 {
		t.Errorf("tail after prune: %q", db.tail.sorted())
	}
	checkTail(t, db)
	if err := db.flushTitles(); err != nil {
		t.Fatal(err)
	}
	if n, logged := countBucket(t, db, bucketTitles), countBucket(t, db, bucketTitleLog); n != 0 || logged != 0 {
		t.Errorf("after prune and flush: titles %d, log %d; want none", n, logged)
	}

	// Close flushes: the file a clean stop leaves has an empty log.
	path2 := filepath.Join(t.TempDir(), "stopped.db")
	db2, err := Open(path2, Options{Now: ck.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, db2, "sggp", incoming("Tin mới sau khi dọn", "x", "https://sggp.example/x", ck.now))
	if err := db2.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(path2, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) error {
		if n, m := tx.Bucket(bucketTitleLog).Stats().KeyN, tx.Bucket(bucketTitles).Stats().KeyN; n != 0 || m != 1 {
			t.Errorf("after Close: log %d, titles %d; want 0, 1", n, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
