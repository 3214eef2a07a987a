package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// clock is a settable time source for Options.Now.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// openTest opens a store in t.TempDir and checks and closes it when the
// test ends, as bbolt's own tests do.
func openTest(t *testing.T, opts Options) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "pressfeed.db")
	return openAt(t, path, opts), path
}

// openAt opens the store at path; at the end of the test it must pass
// Check and close cleanly.
func openAt(t *testing.T, path string, opts Options) *DB {
	t.Helper()
	db, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

func incoming(title, guid, link string, published time.Time) Incoming {
	return Incoming{
		Item:     Item{Title: title, Link: link, Summary: "Tóm tắt " + title, Published: published},
		GUID:     guid,
		LinkKey:  link,
		HashKey:  "h-" + title,
		TitleKey: strings.ToLower(title),
		Dated:    true,
	}
}

// commits returns the id of the last committed write transaction, which
// bbolt increments once per commit.
func commits(t *testing.T, db *DB) int {
	t.Helper()
	var id int
	if err := db.bolt.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAddDedupWithinFeed(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now})
	ctx := context.Background()
	items := []Incoming{
		incoming("Giá xăng giảm mạnh từ chiều nay", "g1", "https://a.example/1", t0.Add(-time.Hour)),
		incoming("Thành phố mở thêm tuyến xe buýt", "g2", "https://a.example/2", t0.Add(-2*time.Hour)),
		incoming("Giá xăng giảm mạnh từ chiều nay", "g1", "https://a.example/1", t0.Add(-time.Hour)), // duplicate GUID in one document
	}
	st := FeedState{ETag: `"v1"`}
	c0 := commits(t, db)
	res, err := db.Add(ctx, "a", items, &st)
	if err != nil {
		t.Fatal(err)
	}
	if got := commits(t, db) - c0; got != 1 {
		t.Errorf("first add committed %d write transactions, want 1", got)
	}
	if res.Added != 2 || res.Known != 1 {
		t.Errorf("first add = %+v, want 2 added, 1 known", res)
	}
	if st.Items != 2 || !st.LastNew.Equal(t0) {
		t.Errorf("state after add = %+v, want Items 2 and LastNew %v", st, t0)
	}
	before := commits(t, db)
	v := db.Version()
	ck.advance(time.Minute)
	res, err = db.Add(ctx, "a", items, &st)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed() || res.Known != 3 {
		t.Errorf("second add = %+v, want nothing changed, 3 known", res)
	}
	if got := commits(t, db) - before; got != 0 {
		t.Errorf("second add committed %d write transactions, want 0", got)
	}
	if db.Version() != v {
		t.Errorf("version changed on a no-op add")
	}
	got, err := db.Latest(ctx, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Title != "Giá xăng giảm mạnh từ chiều nay" {
		t.Fatalf("latest = %+v, want 2 items newest first", got)
	}
	for _, it := range got {
		if !strings.HasPrefix(it.ID, IDPrefix) || len(it.ID) <= len(IDPrefix) {
			t.Errorf("id %q lacks prefix %q", it.ID, IDPrefix)
		}
	}
	states, err := db.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if states["a"].ETag != `"v1"` || states["a"].Items != 2 {
		t.Errorf("stored state = %+v", states["a"])
	}
}

func TestAddCrossFeedMerge(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now, TitleWindow: 48 * time.Hour})
	ctx := context.Background()
	lead := incoming("Khai mạc kỳ họp thứ 10 Quốc hội khóa XV", "a-1", "https://a.example/ky-hop", t0)
	mustAdd(t, db, "a", lead)
	ck.advance(time.Minute)

	sameLink := incoming("Quốc hội khai mạc kỳ họp thứ 10", "b-77", "https://a.example/ky-hop", t0)
	sameTitle := incoming("Khai mạc kỳ họp thứ 10 Quốc hội khóa XV", "c-9", "https://c.example/x", t0.Add(3*time.Hour))
	lateTitle := incoming("Khai mạc kỳ họp thứ 10 Quốc hội khóa XV", "d-1", "https://d.example/y", t0.Add(72*time.Hour))
	if r := mustAdd(t, db, "b", sameLink); r.Merged != 1 {
		t.Errorf("same link from b: %+v, want merged", r)
	}
	if r := mustAdd(t, db, "c", sameTitle); r.Merged != 1 {
		t.Errorf("same title from c: %+v, want merged", r)
	}
	if r := mustAdd(t, db, "d", lateTitle); r.Added != 1 {
		t.Errorf("same title outside window from d: %+v, want a new story", r)
	}
	// The same title again from the leading feed under another GUID is
	// another story of that feed, not a copy.
	again := incoming("Khai mạc kỳ họp thứ 10 Quốc hội khóa XV", "a-2", "https://a.example/ky-hop-2", t0.Add(time.Hour))
	if r := mustAdd(t, db, "a", again); r.Added != 1 {
		t.Errorf("same title, same feed, new GUID: %+v, want a new story", r)
	}

	items, err := db.Latest(ctx, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	var merged *Item
	for i := range items {
		if items[i].Title == lead.Title && len(items[i].Members) > 1 {
			merged = &items[i]
		}
	}
	if merged == nil {
		t.Fatalf("no merged item in %+v", items)
	}
	var by []string
	for _, m := range merged.Members {
		by = append(by, m.Feed+":"+m.By)
	}
	if got, want := strings.Join(by, " "), "a:first b:link c:title"; got != want {
		t.Errorf("members = %s, want %s", got, want)
	}
	if merged.Link != lead.Link || merged.Leader() != "a" {
		t.Errorf("leader = %s %s, want a %s", merged.Leader(), merged.Link, lead.Link)
	}
	// A later fetch of b with the same item finds it by its own GUID.
	if r := mustAdd(t, db, "b", sameLink); r.Changed() {
		t.Errorf("b again: %+v, want known", r)
	}
}

func TestAddCorrection(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now})
	ctx := context.Background()
	in := incoming("Bão số 9 đổ bộ vào Khánh Hòa", "g1", "https://a.example/bao", t0)
	mustAdd(t, db, "a", in)
	first, _ := db.Latest(ctx, 1, nil)

	ck.advance(time.Hour)
	ws := in
	ws.Title = "  Bão số 9   đổ bộ vào Khánh Hòa "
	if r := mustAdd(t, db, "a", ws); r.Changed() {
		t.Errorf("white-space-only change: %+v, want known", r)
	}
	fixed := in
	fixed.Title = "Bão số 9 đổ bộ vào Khánh Hòa – Phú Yên"
	if r := mustAdd(t, db, "a", fixed); r.Corrected != 1 {
		t.Errorf("headline change: %+v, want corrected", r)
	}
	got, _ := db.Latest(ctx, 1, nil)
	if got[0].ID != first[0].ID || got[0].Title != fixed.Title || !got[0].Updated.Equal(ck.now) {
		t.Errorf("after correction = %+v; want same id %s, new title, updated %v", got[0], first[0].ID, ck.now)
	}
	if !got[0].Published.Equal(first[0].Published) {
		t.Errorf("correction moved the date: %v, want %v", got[0].Published, first[0].Published)
	}
}

func TestUndatedItemKeepsFirstSeen(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now})
	in := incoming("Tin không ghi ngày", "", "", time.Time{})
	in.Dated = false
	in.Published = ck.now
	mustAdd(t, db, "a", in)
	ck.advance(15 * time.Minute)
	in.Published = ck.now
	if r := mustAdd(t, db, "a", in); r.Changed() {
		t.Errorf("undated item again: %+v, want known by hash", r)
	}
	got, _ := db.Latest(context.Background(), 5, nil)
	if len(got) != 1 || !got[0].Published.Equal(t0) {
		t.Errorf("got %+v, want one item dated %v", got, t0)
	}
}

func TestPruneKeepsTombstones(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now})
	ctx := context.Background()
	old := incoming("Tin cũ đã quá hạn lưu trữ", "old", "https://a.example/old", t0)
	mustAdd(t, db, "a", old)
	ck.advance(40 * 24 * time.Hour)
	fresh := incoming("Tin mới trong hạn lưu trữ", "new", "https://a.example/new", ck.now)
	mustAdd(t, db, "a", fresh)

	n, err := db.Prune(ctx, ck.now.Add(-30*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want 1", n, err)
	}
	if r := mustAdd(t, db, "a", old); r.Changed() {
		t.Errorf("pruned item came back: %+v", r)
	}
	if r := mustAdd(t, db, "b", old); r.Changed() {
		t.Errorf("pruned item came back through another feed's link: %+v", r)
	}
	got, _ := db.Latest(ctx, 10, nil)
	if len(got) != 1 || got[0].Title != fresh.Title {
		t.Errorf("after prune = %+v, want only the fresh item", got)
	}
	if c, _ := db.Count(); c != 1 {
		t.Errorf("count = %d, want 1", c)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(path, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, db, "a", incoming("Một tin để lưu lại", "g", "https://a.example/g", t0))
	before, _ := db.Latest(context.Background(), 5, nil)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	after, _ := db2.Latest(context.Background(), 5, nil)
	if len(after) != 1 || after[0].ID != before[0].ID {
		t.Errorf("after reopen %+v, want %+v", after, before)
	}
}

func TestOpenLockedFailsFast(t *testing.T) {
	_, path := openTest(t, Options{})
	start := time.Now()
	_, err := Open(path, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("second open took %s", d)
	}
}

func TestTimeKeyOrder(t *testing.T) {
	times := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC),
		time.Unix(0, 0),
		t0,
		t0.Add(time.Nanosecond),
		time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a, b := timeKey(times[i-1]), timeKey(times[i])
		if string(a) >= string(b) {
			t.Errorf("timeKey(%v) >= timeKey(%v)", times[i-1], times[i])
		}
		if got := decodeTimeKey(b); !got.Equal(times[i]) {
			t.Errorf("decode(timeKey(%v)) = %v", times[i], got)
		}
	}
}

func TestSchemaVersionChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "schema version") {
		t.Errorf("open of a newer schema: %v, want a schema version error", err)
	}
}

func mustAdd(t *testing.T, db *DB, feed string, items ...Incoming) Result {
	t.Helper()
	r, err := db.Add(context.Background(), feed, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMintIDOrder checks that ids minted later sort later, whatever the
// key, and keep the length and alphabet of an opaque id.
func TestMintIDOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	var prev string
	for i := range 2000 {
		seen := t0.Add(time.Duration(i) * 997 * time.Microsecond) // some within one millisecond
		id := mintID(fmt.Sprintf("g\x00feed-%d\x00guid-%d", i%7, 2000-i), seen)
		if len(id) != len(IDPrefix)+24 || !strings.HasPrefix(id, IDPrefix) || strings.Trim(id[len(IDPrefix):], "0123456789abcdefghijklmnopqrstuv") != "" {
			t.Fatalf("id %q: want %s and 24 of [0-9a-v]", id, IDPrefix)
		}
		if prev != "" && seen.UnixMilli() > t0.Add(time.Duration(i-1)*997*time.Microsecond).UnixMilli() && id <= prev {
			t.Fatalf("id %q minted at %v sorts before %q minted earlier", id, seen, prev)
		}
		prev = id
	}
	if a, b := mintID("k", t0), mintID("k", t0.Add(time.Nanosecond)); a == b {
		t.Errorf("same key a nanosecond apart minted the same id %q", a)
	}
}
