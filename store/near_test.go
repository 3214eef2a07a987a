package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/pressfeed/pressfeed/vntext"
)

const (
	wireLead  = "Liên Bộ Công Thương - Tài chính vừa điều chỉnh giá bán lẻ xăng dầu. Từ 15h chiều nay, mỗi lít xăng RON 95 giảm 500 đồng, xăng E5 RON 92 giảm 420 đồng, dầu diesel giảm 310 đồng."
	wireTitle = "Giá xăng RON 95 giảm 500 đồng mỗi lít từ 15h chiều nay"
)

func wire(title, lead, guid, link string, published time.Time) Incoming {
	in := incoming(title, guid, link, published)
	in.Summary = lead
	return in
}

func TestNearDuplicates(t *testing.T) {
	tests := []struct {
		name      string
		near      bool
		title     string
		lead      string
		published time.Duration // after the first copy
		wantMerge bool
	}{
		{"headline edited, same lead", true, "Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay", wireLead, time.Hour, true},
		{"lead with the outlet's tag", true, "Giá xăng RON 95 giảm 500 đồng một lít từ 15h chiều nay", "(PLO) - " + wireLead, time.Hour, true},
		{"near_duplicates off", false, "Xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay", wireLead, time.Hour, false},
		{"outside the title window", true, "Xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay", wireLead, 49 * time.Hour, false},
		{"other numbers: next week's change", true, "Giá xăng RON 95 giảm 300 đồng mỗi lít từ 15h chiều nay",
			strings.NewReplacer("500", "300", "420", "250", "310", "200").Replace(wireLead), time.Hour, false},
		{"another story", true, "Hà Nội cấm xe máy xăng trong vành đai 1 từ năm 2027",
			"Hà Nội lấy ý kiến về lộ trình hạn chế xe máy chạy xăng trong vành đai 1, dự kiến áp dụng từ năm 2027.", time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck := &clock{now: t0}
			db, _ := openTest(t, Options{Now: ck.Now, NearDuplicates: tt.near})
			ctx := context.Background()
			mustAdd(t, db, "sggp", wire(wireTitle, wireLead, "s1", "https://sggp.example/xang", t0))
			ck.advance(tt.published)
			r := mustAdd(t, db, "tuoitre", wire(tt.title, tt.lead, "t1", "https://tuoitre.example/xang", t0.Add(tt.published)))
			items, err := db.Latest(ctx, 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.wantMerge {
				if r.Added != 1 || len(items) != 2 {
					t.Errorf("Add = %+v, %d items; want a second story", r, len(items))
				}
				return
			}
			if r.Merged != 1 || len(items) != 1 {
				t.Fatalf("Add = %+v, %d items; want one merged story", r, len(items))
			}
			it := items[0]
			if it.Title != wireTitle || it.Leader() != "sggp" || len(it.Members) != 2 {
				t.Fatalf("merged item %+v: want sggp's headline, led by sggp, 2 members", it)
			}
			m := it.Members[1]
			if m.Feed != "tuoitre" || m.By != MergedNear || m.Title != tt.title || m.Link != "https://tuoitre.example/xang" {
				t.Errorf("member %+v: want tuoitre's copy merged by %q", m, MergedNear)
			}
			// The copy is known by its own keys from now on.
			if r := mustAdd(t, db, "tuoitre", wire(tt.title, tt.lead, "t1", "https://tuoitre.example/xang", t0)); r.Known != 1 {
				t.Errorf("copy again: %+v, want known", r)
			}
		})
	}
}

func TestNearIndexFollowsCorrectionsAndPrune(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now, NearDuplicates: true})
	ctx := context.Background()
	in := wire(wireTitle, wireLead, "s1", "https://sggp.example/xang", t0)
	mustAdd(t, db, "sggp", in)
	if got := countBucket(t, db, bucketSketches); got != 1 {
		t.Fatalf("sketches = %d, want 1", got)
	}
	// The leader corrects its lead: the item keeps its id, and copies of the
	// corrected text find it.
	fixed := in
	fixed.Summary = "Liên Bộ Công Thương - Tài chính điều chỉnh giá xăng dầu từ 15h chiều nay: xăng RON 95 giảm 500 đồng mỗi lít, xăng E5 RON 92 giảm 420 đồng, dầu diesel giảm 310 đồng."
	ck.advance(time.Minute)
	if r := mustAdd(t, db, "sggp", fixed); r.Corrected != 1 {
		t.Fatalf("correction: %+v", r)
	}
	if got := countBucket(t, db, bucketSketches); got != 1 {
		t.Errorf("sketches after correction = %d, want 1", got)
	}
	copyOf := wire("Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay", fixed.Summary, "t1", "https://tuoitre.example/xang", t0)
	if r := mustAdd(t, db, "tuoitre", copyOf); r.Merged != 1 {
		t.Errorf("copy of the corrected text: %+v, want merged", r)
	}
	items, _ := db.Latest(ctx, 5, nil)
	if len(items) != 1 || items[0].Summary != fixed.Summary || items[0].Updated.IsZero() {
		t.Fatalf("items = %+v, want one corrected item", items)
	}
	ck.advance(40 * 24 * time.Hour)
	if n, err := db.Prune(ctx, ck.now.Add(-30*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	for _, b := range [][]byte{bucketSketches, bucketTitles, bucketItems, bucketByTime, bucketBySeen} {
		if got := countBucket(t, db, b); got != 0 {
			t.Errorf("%s has %d entries after pruning everything", b, got)
			dumpBucket(t, db, b)
		}
	}
	if got := countBucket(t, db, bucketTombs); got != 1 {
		t.Errorf("tombs = %d, want 1", got)
	}
}

func countBucket(t *testing.T, db *DB, name []byte) int {
	t.Helper()
	n := 0
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(name).ForEach(func(_, _ []byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCorrections(t *testing.T) {
	base := wire("Bão số 9 đổ bộ vào Khánh Hòa", "Sáng nay bão số 9 đổ bộ vào Khánh Hòa với gió giật cấp 12.", "g1", "https://a.example/bao", t0)
	tests := []struct {
		name      string
		edit      func(*Incoming)
		feed      string
		corrected bool
	}{
		{"white space in the headline", func(in *Incoming) { in.Title = "  Bão số 9   đổ bộ vào\tKhánh Hòa " }, "a", false},
		{"white space in the lead", func(in *Incoming) {
			in.Summary = "Sáng nay  bão số 9 đổ bộ vào Khánh Hòa\nvới gió giật cấp 12. "
		}, "a", false},
		{"headline", func(in *Incoming) { in.Title = "Bão số 9 đổ bộ vào Khánh Hòa – Phú Yên" }, "a", true},
		{"lead", func(in *Incoming) {
			in.Summary = "Sáng nay bão số 9 đổ bộ vào Khánh Hòa với gió giật cấp 13."
		}, "a", true},
		{"a copy's headline changes nothing", func(in *Incoming) { in.Title = "Bão số 9 vào Khánh Hòa" }, "b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck := &clock{now: t0}
			db, _ := openTest(t, Options{Now: ck.Now})
			ctx := context.Background()
			mustAdd(t, db, "a", base)
			mustAdd(t, db, "b", base) // same link: merged
			first, _ := db.Latest(ctx, 5, nil)
			ck.advance(time.Hour)
			in := base
			tt.edit(&in)
			r := mustAdd(t, db, tt.feed, in)
			got, _ := db.Latest(ctx, 5, nil)
			if len(got) != 1 || got[0].ID != first[0].ID {
				t.Fatalf("after edit %+v, want the one item %s", got, first[0].ID)
			}
			if !tt.corrected {
				if r.Changed() || got[0].Title != base.Title || !got[0].Updated.Equal(first[0].Updated) {
					t.Errorf("Add = %+v, item %q updated %v; want no correction", r, got[0].Title, got[0].Updated)
				}
				return
			}
			if r.Corrected != 1 || got[0].Title != in.Title || got[0].Summary != in.Summary || !got[0].Updated.Equal(ck.now) ||
				got[0].Members[0].Title != in.Title || !got[0].Published.Equal(first[0].Published) {
				t.Errorf("Add = %+v, item %+v; want corrected text, updated %v, same date", r, got[0], ck.now)
			}
			// The corrected headline is known: a third outlet with it merges.
			third := in
			third.GUID, third.LinkKey, third.Link = "c1", "https://c.example/bao", "https://c.example/bao"
			if r := mustAdd(t, db, "c", third); r.Merged != 1 {
				t.Errorf("third outlet: %+v, want merged", r)
			}
		})
	}
}

func TestTombstonesExpire(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now})
	ctx := context.Background()
	const day = 24 * time.Hour
	retention := 30 * day
	listed := incoming("Tin vẫn còn trong danh sách của nguồn", "listed", "https://a.example/listed", t0)
	dropped := incoming("Tin nguồn đã gỡ khỏi danh sách", "dropped", "https://a.example/dropped", t0)
	mustAdd(t, db, "a", listed, dropped)
	prune := func() {
		t.Helper()
		if _, err := db.Prune(ctx, ck.now.Add(-retention)); err != nil {
			t.Fatal(err)
		}
	}
	ck.advance(31 * day)
	prune()
	if c, _ := db.Count(); c != 0 {
		t.Fatalf("count after prune = %d, want 0", c)
	}
	// For 70 days the source keeps listing one item: it never comes back,
	// and its tomb stays fresh. The other is listed by nobody.
	for range 70 {
		ck.advance(day)
		if r := mustAdd(t, db, "a", listed); r.Changed() {
			t.Fatalf("pruned item came back: %+v", r)
		}
		prune()
	}
	if got := countBucket(t, db, bucketTombs); got != 1 {
		t.Errorf("tombs after 70 days = %d, want 1 (the listed item's)", got)
	}
	if r := mustAdd(t, db, "a", listed); r.Changed() || r.Known != 1 {
		t.Errorf("listed item: %+v, want known", r)
	}
	// The dropped item's keys expired: listed again, it is a new story.
	if r := mustAdd(t, db, "a", dropped); r.Added != 1 {
		t.Errorf("item unlisted for 70 days: %+v, want added again", r)
	}
	// A listing refreshes a tomb at most every retention/8: a fetch of an
	// unchanged document costs no commit.
	c0 := commits(t, db)
	mustAdd(t, db, "a", listed)
	if got := commits(t, db) - c0; got != 0 {
		t.Errorf("unchanged fetch committed %d times, want 0", got)
	}
}

// TestUpgradeFrom1 builds a file with the schema 1 layout, opens it with
// this code and checks that every item, key, tombstone and feed state is
// there and works.
func TestUpgradeFrom1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	live := Item{ID: IDPrefix + "live", Title: wireTitle, Summary: wireLead, Link: "https://sggp.example/xang",
		Published: t0, Seen: t0, Members: []Member{{Feed: "sggp", Title: wireTitle, Link: "https://sggp.example/xang", By: MergedFirst, Seen: t0}}}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"meta", "items", "by_time", "by_seen", "keys", "titles", "feeds"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		v, err := json.Marshal(live)
		if err != nil {
			return err
		}
		id := []byte(live.ID)
		puts := []struct{ bucket, k, v []byte }{
			{[]byte("meta"), []byte("schema"), []byte("1")},
			{[]byte("items"), id, v},
			{[]byte("by_time"), concat(timeKey(t0), id), nil},
			{[]byte("by_seen"), concat(timeKey(t0), id), nil},
			{[]byte("keys"), []byte("g\x00sggp\x00s1"), id},
			{[]byte("keys"), []byte("l\x00https://sggp.example/xang"), id},
			{[]byte("keys"), []byte("g\x00sggp\x00pruned"), []byte(IDPrefix + "pruned")},
			{[]byte("titles"), concat([]byte("giá xăng ron 95 giảm 500 đồng mỗi lít từ 15h chiều nay\x00"), timeKey(t0), id), nil},
			{[]byte("feeds"), []byte("sggp"), []byte(`{"etag":"\"v7\"","items":1}`)},
		}
		for _, p := range puts {
			if err := tx.Bucket(p.bucket).Put(p.k, p.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	ck := &clock{now: t0.Add(time.Hour)}
	db := openAt(t, path, Options{Now: ck.Now, NearDuplicates: true})
	ctx := context.Background()
	var schema string
	_ = db.bolt.View(func(tx *bolt.Tx) error { schema = string(tx.Bucket(bucketMeta).Get([]byte("schema"))); return nil })
	if want := strconv.Itoa(schemaVersion); schema != want {
		t.Errorf("schema after upgrade = %q, want %s", schema, want)
	}
	got, err := db.Get(ctx, live.ID)
	if err != nil || got == nil || got.Title != live.Title || len(got.Members) != 1 {
		t.Fatalf("Get = %+v, %v; want the v1 item", got, err)
	}
	states, err := db.FeedStates(ctx)
	if err != nil || states["sggp"].ETag != `"v7"` {
		t.Errorf("feed states = %+v, %v", states, err)
	}
	keys, h, err := db.Keys(ctx, live.ID)
	if err != nil || len(keys) != 2 || h == 0 {
		t.Errorf("Keys = %q, %x, %v; want 2 keys and a SimHash", keys, h, err)
	}
	if got := countBucket(t, db, bucketTombs); got != 1 {
		t.Errorf("tombs = %d, want the pruned item's", got)
	}
	// Old keys, old titles and the new near index all work.
	if r := mustAdd(t, db, "sggp", wire(wireTitle, wireLead, "s1", "https://sggp.example/xang", t0)); r.Known != 1 {
		t.Errorf("v1 item by its GUID: %+v, want known", r)
	}
	if r := mustAdd(t, db, "sggp", wire("Một tin đã bị xoá từ lâu", "", "pruned", "", t0)); r.Changed() {
		t.Errorf("v1 tombstone: %+v, want known", r)
	}
	if r := mustAdd(t, db, "tuoitre", wire("Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay", wireLead, "t1", "https://tuoitre.example/x", t0)); r.Merged != 1 {
		t.Errorf("wire copy of the v1 item: %+v, want merged", r)
	}
	if n, err := db.Prune(ctx, t0.Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("prune of the v1 item = %d, %v", n, err)
	}
	for _, b := range [][]byte{bucketSketches, bucketTitles} {
		if got := countBucket(t, db, b); got != 0 {
			t.Errorf("%s has %d entries after pruning the v1 item", b, got)
		}
	}
}

// TestDiskFull fills the file to Options.MaxSize: writes fail with ErrFull,
// reads go on, WriteErr reports it, and writes resume after pruning.
func TestDiskFull(t *testing.T) {
	ck := &clock{now: t0}
	const maxSize = 1 << 20
	db, path := openTest(t, Options{Now: ck.Now, MaxSize: maxSize})
	ctx := context.Background()
	body := strings.Repeat("Nội dung bài báo dài để làm đầy tệp. ", 40)
	var full error
	stored := 0
	for i := 0; i < 10000 && full == nil; i++ {
		in := incoming(fmt.Sprintf("Tin số %d về một sự kiện trong ngày", i), fmt.Sprint("g", i), fmt.Sprintf("https://a.example/%d", i), t0)
		in.Content = body
		st := FeedState{ETag: fmt.Sprint(i)}
		if _, err := db.Add(ctx, "a", []Incoming{in}, &st); err != nil {
			full = err
			break
		}
		stored++
	}
	if !errors.Is(full, ErrFull) || !errors.Is(full, berrors.ErrMaxSizeReached) {
		t.Fatalf("filling the file: %v after %d items, want ErrFull", full, stored)
	}
	if st, err := os.Stat(path); err != nil || st.Size() > maxSize {
		t.Errorf("file size %v, %v; want ≤ %d", st.Size(), err, maxSize)
	}
	if c, err := db.Count(); err != nil || c != stored {
		t.Errorf("count = %d, %v; want %d: the failed write stored nothing", c, err, stored)
	}
	if items, err := db.Latest(ctx, 10, nil); err != nil || len(items) != 10 {
		t.Errorf("Latest while full = %d items, %v", len(items), err)
	}
	if err := db.WriteErr(); !errors.Is(err, ErrFull) {
		t.Errorf("WriteErr while full = %v, want ErrFull", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping while full = %v, want nil: reads work", err)
	}
	// Prune half, then ingest goes on and health recovers.
	ck.advance(time.Hour)
	if n, err := db.Prune(ctx, t0.Add(time.Nanosecond)); err != nil || n != stored {
		t.Fatalf("prune = %d, %v; want %d", n, err, stored)
	}
	in := incoming("Tin mới sau khi dọn dẹp dữ liệu cũ", "after", "https://a.example/after", ck.now)
	in.Content = body
	if r, err := db.Add(ctx, "a", []Incoming{in}, nil); err != nil || r.Added != 1 {
		t.Fatalf("add after prune = %+v, %v", r, err)
	}
	if err := db.WriteErr(); err != nil {
		t.Errorf("WriteErr after prune = %v", err)
	}
}

func dumpBucket(t *testing.T, db *DB, name []byte) {
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(name).ForEach(func(k, v []byte) error { t.Logf("%s: %q", name, k); return nil })
	})
}

// toLegacyEntries rewrites the title entries of every stored item in the
// form earlier versions wrote (whole titles).
func toLegacyEntries(t *testing.T, db *DB) {
	t.Helper()
	if err := db.flushTitles(); err != nil {
		t.Fatal(err)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketItems).ForEach(func(id, _ []byte) error {
			rec, err := getRecord(tx, id)
			if err != nil || rec == nil {
				return err
			}
			for _, tk := range rec.Titles {
				if err := tx.Bucket(bucketTitles).Delete(titleEntry(tk, &rec.Item)); err != nil {
					return err
				}
				if err := tx.Bucket(bucketTitles).Put(legacyTitleEntry(tk, &rec.Item), nil); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLegacyEntries checks that title entries in the form earlier
// versions wrote still merge copies, beside near copies, and that Prune
// removes them.
func TestLegacyEntries(t *testing.T) {
	ck := &clock{now: t0}
	opts := Options{Now: ck.Now, NearDuplicates: true}
	path := filepath.Join(t.TempDir(), "pressfeed.db")
	old, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, old, "sggp", wire(wireTitle, wireLead, "s1", "https://sggp.example/xang", t0))
	other := "Hà Nội cấm xe máy xăng trong vành đai 1 từ năm 2027"
	mustAdd(t, old, "sggp", wire(other, "Hà Nội lấy ý kiến về lộ trình hạn chế xe máy chạy xăng.", "s2", "https://sggp.example/xe", t0))
	toLegacyEntries(t, old)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db := openAt(t, path, opts) // as an earlier version left it
	legacyTitles, sketches := countBucket(t, db, bucketTitles), countBucket(t, db, bucketSketches)
	if legacyTitles != 2 || sketches != 2 {
		t.Fatalf("%d title entries and %d sketches, want 2 and 2", legacyTitles, sketches)
	}

	ck.advance(time.Hour)
	if r := mustAdd(t, db, "tuoitre", wire(other, "Lộ trình hạn chế xe máy xăng ở Hà Nội.", "t2", "https://tuoitre.example/xe", t0.Add(time.Hour))); r.Merged != 1 {
		t.Errorf("same title against a legacy title entry: %+v, want merged", r)
	}
	near := "Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay"
	if r := mustAdd(t, db, "tuoitre", wire(near, wireLead, "t1", "https://tuoitre.example/xang", t0.Add(time.Hour))); r.Merged != 1 {
		t.Errorf("near copy: %+v, want merged", r)
	}
	items, err := db.Latest(context.Background(), 10, nil)
	if err != nil || len(items) != 2 {
		t.Fatalf("latest = %d items, %v; want 2 stories", len(items), err)
	}

	if n, err := db.Prune(context.Background(), t0.Add(2*time.Hour)); err != nil || n != 2 {
		t.Fatalf("prune = %d, %v; want 2", n, err)
	}
	if n, m := countBucket(t, db, bucketTitles), countBucket(t, db, bucketSketches); n != 0 || m != 0 {
		t.Errorf("after prune: %d title entries and %d sketches left, want none", n, m)
		dumpBucket(t, db, bucketTitles)
		dumpBucket(t, db, bucketSketches)
	}
}

// TestNearAfterRestart checks that the near index is rebuilt when the file
// is opened again: a copy arriving after a restart still merges, and a
// story first seen longer ago than the title window is not a candidate.
func TestNearAfterRestart(t *testing.T) {
	ck := &clock{now: t0}
	opts := Options{Now: ck.Now, NearDuplicates: true}
	path := filepath.Join(t.TempDir(), "pressfeed.db")
	db, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, db, "sggp", wire(wireTitle, "SGGP - "+wireLead, "s1", "https://sggp.example/xang", t0))
	old := "Khánh thành cầu Rạch Miễu 2 sau 3 năm thi công"
	oldLead := "Sáng 20/12, UBND tỉnh Bến Tre và Tiền Giang tổ chức lễ khánh thành cầu Rạch Miễu 2 nối hai tỉnh sau 3 năm thi công."
	ck.advance(-47 * time.Hour)
	mustAdd(t, db, "sggp", wire(old, oldLead, "s0", "https://sggp.example/cau", t0.Add(-47*time.Hour)))
	ck.advance(47 * time.Hour)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	ck.advance(2 * time.Hour) // the bridge story was first seen 49 hours ago
	db = openAt(t, path, opts)
	r := mustAdd(t, db, "tuoitre", wire("Xăng giảm giá mạnh từ chiều nay", "TTO - "+wireLead, "t1", "https://tuoitre.example/xang", t0.Add(time.Hour)))
	if r.Merged != 1 {
		t.Errorf("copy after a restart: %+v, want merged", r)
	}
	r = mustAdd(t, db, "tuoitre", wire("Cầu Rạch Miễu 2 chính thức thông xe", oldLead, "t0", "https://tuoitre.example/cau", t0.Add(-46*time.Hour)))
	if r.Added != 1 {
		t.Errorf("copy of a story first seen before the window: %+v, want a new story", r)
	}
	items, err := db.Latest(context.Background(), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Title != wireTitle {
			continue
		}
		if len(it.Members) != 2 || it.Members[1].By != MergedNear || it.Members[1].Similarity < vntext.NearThreshold || it.Members[1].Similarity > 1 {
			t.Errorf("merged story members %+v: want tuoitre's copy by %q with its similarity", it.Members, MergedNear)
		}
	}
}
