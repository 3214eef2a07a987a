package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// entries returns every entry of every bucket but feeds, as "bucket key"
// → value, keeping those whose key or value contains id (all when id is
// "").
func entries(t *testing.T, db *DB, id string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	ref := []byte(strings.TrimPrefix(id, IDPrefix)) // near entries name it so
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if bytes.Equal(name, bucketFeeds) || bytes.Equal(name, bucketTitleLog) {
				continue // the log is the tail's, listed below under titles
			}
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				if bytes.Contains(k, ref) || bytes.Contains(v, ref) {
					out[fmt.Sprintf("%s %q", name, k)] = string(v)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, k := range db.tail.sorted() {
			if strings.Contains(k, string(ref)) {
				out[fmt.Sprintf("%s %q", bucketTitles, k)] = ""
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// diffEntries reports the entries in which got and want differ.
func diffEntries(t *testing.T, got, want map[string]string) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s = %q; want %q", k, got[k], want[k])
		}
	}
}

// TestAddStoryFoundNewInWrite checks that a story the read pass did not
// find new (it matched a story that was pruned before the write) is stored
// byte for byte as one found new by both passes.
func TestAddStoryFoundNewInWrite(t *testing.T) {
	ctx := context.Background()
	ck := &clock{now: t0.Add(-time.Hour)}
	// A write between Add's read pass and its transaction: the Writer
	// runs it first, once.
	var db *DB
	var between func()
	db, _ = openTest(t, Options{Now: ck.Now, NearDuplicates: true, Writer: func(ctx context.Context, f func()) error {
		if g := between; g != nil {
			between = nil
			g()
		}
		f()
		return nil
	}})
	title := "Hà Nội thông xe cầu Tứ Liên sau ba năm thi công"
	mustAdd(t, db, "bao-b", incoming(title, "b1", "https://b.example/1", t0.Add(-2*time.Hour)))
	ck.now = t0
	in := incoming(title, "a1", "https://a.example/1", t0.Add(-90*time.Minute))
	in.Content = "<p>" + title + "</p>"
	between = func() {
		if n, err := db.Prune(ctx, t0.Add(-30*time.Minute)); err != nil || n != 1 {
			t.Errorf("prune = %d, %v; want 1", n, err)
		}
	}
	if r := mustAdd(t, db, "bao-a", in); r.Added != 1 || r.Merged != 0 {
		t.Fatalf("add while the match is pruned = %+v, want 1 added", r)
	}

	ref, _ := openTest(t, Options{Now: func() time.Time { return t0 }, NearDuplicates: true})
	if r := mustAdd(t, ref, "bao-a", in); r.Added != 1 {
		t.Fatalf("add to an empty store = %+v, want 1 added", r)
	}
	got, err := db.Latest(ctx, 1, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("latest = %+v, %v; want one item", got, err)
	}
	want := entries(t, ref, got[0].ID)
	if len(want) != 7 {
		t.Errorf("%d entries name the item, want 7: %q", len(want), want)
	}
	diffEntries(t, entries(t, db, got[0].ID), want)
}

// TestAddStoryMergedInWrite checks that a story the read pass found new,
// but that another feed brought before the write, is merged into that
// feed's story as when the two fetches come one after the other.
func TestAddStoryMergedInWrite(t *testing.T) {
	ctx := context.Background()
	opts := Options{Now: func() time.Time { return t0 }, NearDuplicates: true}
	items := realisticItems("bao-a", 3, t0.Add(-time.Hour))
	// The same story as items[1], found by its link.
	other := []Incoming{incoming("Giá vàng trong nước tăng mạnh phiên sáng nay", "b1", items[1].LinkKey, t0.Add(-2*time.Hour))}

	var db *DB
	var between func()
	wopts := opts
	wopts.Writer = func(ctx context.Context, f func()) error {
		if g := between; g != nil {
			between = nil
			g()
		}
		f()
		return nil
	}
	db, _ = openTest(t, wopts)
	between = func() {
		if r, err := db.Add(ctx, "bao-b", other, nil); err != nil || r.Added != 1 {
			t.Errorf("add from another feed = %+v, %v; want 1 added", r, err)
		}
	}
	if r, err := db.Add(ctx, "bao-a", items, nil); err != nil || r.Added != 2 || r.Merged != 1 {
		t.Fatalf("add = %+v, %v; want 2 added, 1 merged", r, err)
	}

	ref, _ := openTest(t, opts)
	mustAdd(t, ref, "bao-b", other...)
	mustAdd(t, ref, "bao-a", items...)
	diffEntries(t, entries(t, db, ""), entries(t, ref, ""))

	// Every record is in its one encoding.
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
			rec, err := decodeRecord(k, v)
			if err != nil {
				return err
			}
			if e := encodeRecord(rec); !bytes.Equal(e, v) {
				t.Errorf("item %s stored as %x; encodes as %x", k, v, e)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAddLongLink checks that a link too long for a bbolt key costs
// nothing: the fetch is stored, and another feed's copy with the same link
// still merges by it. A link at the limit is keyed as it is.
func TestAddLongLink(t *testing.T) {
	db, _ := openTest(t, Options{Now: (&clock{t0}).Now})
	ctx := context.Background()
	long := "https://bao.example/" + strings.Repeat("a", 40<<10)
	atLimit := "https://bao.example/" + strings.Repeat("b", bolt.MaxKeySize-2-len("https://bao.example/"))
	res, err := db.Add(ctx, "bao-a", []Incoming{
		incoming("Tin có đường dẫn rất dài", "g1", long, t0),
		incoming("Tin có đường dẫn vừa đủ", "g2", atLimit, t0),
		incoming("Tin thường", "g3", "https://bao.example/tin", t0),
	}, nil)
	if err != nil || res.Added != 3 {
		t.Fatalf("Add = %+v, %v; want 3 added", res, err)
	}
	res, err = db.Add(ctx, "bao-b", []Incoming{incoming("Một tiêu đề khác hẳn", "x1", long, t0.Add(72*time.Hour))}, nil)
	if err != nil || res.Merged != 1 {
		t.Fatalf("second feed, same long link: Add = %+v, %v; want 1 merged", res, err)
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		if keys.Get([]byte("l\x00"+atLimit)) == nil {
			t.Error("a link at the limit is not keyed as it is")
		}
		if k := linkKey(long); len(k) > 100 || keys.Get(k) == nil {
			t.Errorf("the long link is not keyed by its hash (key of %d bytes)", len(k))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
