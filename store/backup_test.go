package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestWriteToWhileWriting copies the store while another goroutine adds
// items: the copy passes the check, opens, and holds a prefix of the
// writes, each item whole.
func TestWriteToWhileWriting(t *testing.T) {
	db, _ := openTest(t, Options{NearDuplicates: true})
	ctx := context.Background()
	items := realisticItems("bao-a", 400, t0)
	mustAdd(t, db, "bao-a", items[:100]...)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 100; i < len(items); i += 20 {
			if _, err := db.Add(ctx, "bao-a", items[i:i+20], nil); err != nil {
				t.Error(err)
				return
			}
		}
	})
	dst := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.WriteTo(f)
	err = errors.Join(err, f.Close())
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	n, err := Verify(dst)
	if err != nil || n < 100 || n > 400 || n%20 != 0 {
		t.Fatalf("Verify(copy) = %d items, %v; want a whole number of commits of 100 to 400 items", n, err)
	}
	cp, err := Open(dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	got, err := cp.Latest(ctx, 1000, nil)
	if err != nil || len(got) != n {
		t.Fatalf("copy Latest = %d items, %v; want %d", len(got), err, n)
	}
	if r, err := cp.Add(ctx, "bao-a", items[:1], nil); err != nil || r.Known != 1 {
		t.Errorf("copy Add of a stored item = %+v, %v; want known", r, err)
	}
}

func TestCompact(t *testing.T) {
	ck := &clock{now: t0}
	path := filepath.Join(t.TempDir(), "c.db")
	// Without the near index: the templated items of bao-b would join
	// bao-a's stories.
	db, err := Open(path, Options{Now: ck.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	items := realisticItems("bao-a", 2000, t0)
	for i := 0; i < len(items); i += 100 {
		mustAdd(t, db, "bao-a", items[i:i+100]...)
	}
	ck.advance(time.Hour)
	keep := realisticItems("bao-b", 10, ck.now)
	mustAdd(t, db, "bao-b", keep...)
	if n, err := db.Prune(ctx, ck.now.Add(-time.Minute)); err != nil || n != 2000 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	// The daemon holds the file: compact refuses.
	if _, _, err := Compact(ctx, path, Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("Compact of an open store = %v, want ErrLocked", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, after, err := Compact(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after >= before {
		t.Errorf("Compact: %d → %d bytes, want smaller", before, after)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != after {
		t.Errorf("file after compact: %v, %v; want %d bytes", st, err, after)
	}
	if _, err := os.Stat(path + ".compact"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	db, err = Open(path, Options{Now: ck.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Latest(ctx, 100, nil)
	if len(got) != 10 {
		t.Errorf("after compact %d items, want 10", len(got))
	}
	if r := mustAdd(t, db, "bao-a", items[0]); r.Changed() {
		t.Errorf("pruned item after compact: %+v, want its tombstone kept", r)
	}
}

func TestFindAndKeys(t *testing.T) {
	db, _ := openTest(t, Options{NearDuplicates: true})
	ctx := context.Background()
	mustAdd(t, db, "sggp", wire(wireTitle, wireLead, "s1", "https://sggp.example/xang", t0))
	copyOf := wire("Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay", wireLead, "t1", "https://tuoitre.example/xang", t0)
	copyOf.Link = "https://www.tuoitre.example/xang?utm_source=rss"
	mustAdd(t, db, "tuoitre", copyOf)
	items, _ := db.Latest(ctx, 5, nil)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	id := items[0].ID
	for _, ref := range []string{id, "https://sggp.example/xang", "https://tuoitre.example/xang", copyOf.Link,
		"http://www.tuoitre.example/xang/?zarsrc=30&gidzl=abc&_ga=1#top", "https://SGGP.example/xang?utm_campaign=x&fbclid=y"} {
		it, err := db.Find(ctx, ref)
		if err != nil || it == nil || it.ID != id {
			t.Errorf("Find(%q) = %v, %v; want %s", ref, it, err, id)
		}
	}
	if it, err := db.Find(ctx, "https://nowhere.example/"); err != nil || it != nil {
		t.Errorf("Find(unknown) = %v, %v; want nil", it, err)
	}
	keys, h, err := db.Keys(ctx, id)
	want := fmt.Sprint([]string{"guid sggp s1", "link https://sggp.example/xang", "guid tuoitre t1", "link https://tuoitre.example/xang"})
	if err != nil || fmt.Sprint(keys) != want || h == 0 {
		t.Errorf("Keys = %q, %x, %v; want %s", keys, h, err, want)
	}
}
