package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/pressfeed/pressfeed/vntext"
)

// TestLeaderPublishedFirst follows a story across outlets fetched in either
// order: the one published first leads, whoever was fetched first.
func TestLeaderPublishedFirst(t *testing.T) {
	const (
		origTitle = "Khánh thành cầu Rạch Miễu 2 sau 3 năm thi công"
		copyTitle = "Cầu Rạch Miễu 2 chính thức thông xe"
		origLead  = "Sáng nay, cầu Rạch Miễu 2 nối Tiền Giang và Bến Tre được khánh thành sau 3 năm thi công, tổng vốn hơn 6.800 tỷ đồng."
		copyLead  = "(PLO) - Cầu Rạch Miễu 2 nối Tiền Giang với Bến Tre thông xe sáng nay sau 3 năm thi công, tổng vốn hơn 6.800 tỷ đồng."
	)
	orig := func(published time.Time) Incoming {
		in := wire(origTitle, origLead, "g-1", "https://goc.example/cau-rach-mieu-2.html?utm_source=rss&fbclid=x", published)
		in.LinkKey = "https://goc.example/cau-rach-mieu-2.html"
		return in
	}
	repub := func(published time.Time) Incoming {
		// The same link, so it merges whatever the near-duplicate rule says.
		in := wire(copyTitle, copyLead, "r-1", "https://www.goc.example/cau-rach-mieu-2.html", published)
		in.LinkKey = "https://goc.example/cau-rach-mieu-2.html"
		return in
	}
	undated := func(in Incoming, fetched time.Time) Incoming {
		in.Published, in.Dated = fetched, false
		return in
	}
	type arrival struct {
		feed string
		in   func(fetched time.Time) Incoming
	}
	tests := []struct {
		name     string
		arrivals []arrival // one a minute from t0
		leader   string
		order    string // members' feeds
	}{
		{"re-publisher fetched first, published later", []arrival{
			{"dang-lai", func(time.Time) Incoming { return repub(t0.Add(-10 * time.Minute)) }},
			{"goc", func(time.Time) Incoming { return orig(t0.Add(-40 * time.Minute)) }},
		}, "goc", "goc dang-lai"},
		{"original fetched first", []arrival{
			{"goc", func(time.Time) Incoming { return orig(t0.Add(-40 * time.Minute)) }},
			{"dang-lai", func(time.Time) Incoming { return repub(t0.Add(-10 * time.Minute)) }},
		}, "goc", "goc dang-lai"},
		{"same date: the first seen keeps the lead", []arrival{
			{"dang-lai", func(time.Time) Incoming { return repub(t0.Add(-10 * time.Minute)) }},
			{"goc", func(time.Time) Incoming { return orig(t0.Add(-10 * time.Minute)) }},
		}, "dang-lai", "dang-lai goc"},
		{"an undated copy does not take the lead with its fetch time", []arrival{
			// dated 8 minutes ahead of its first-seen time, within the slack
			{"goc", func(now time.Time) Incoming { return orig(now.Add(8 * time.Minute)) }},
			{"dang-lai", func(now time.Time) Incoming { return undated(repub(now), now) }},
		}, "goc", "goc dang-lai"},
		{"an undated leader yields to a copy dated before it was seen", []arrival{
			{"dang-lai", func(now time.Time) Incoming { return undated(repub(now), now) }},
			{"goc", func(time.Time) Incoming { return orig(t0.Add(-40 * time.Minute)) }},
		}, "goc", "goc dang-lai"},
		{"a third outlet published earlier still takes the lead", []arrival{
			{"dang-lai", func(time.Time) Incoming { return repub(t0.Add(-10 * time.Minute)) }},
			{"tong-hop", func(time.Time) Incoming {
				in := repub(t0.Add(-20 * time.Minute))
				in.GUID, in.Link = "t-1", "https://goc.example/cau-rach-mieu-2.html?gidzl=abc"
				return in
			}},
			{"goc", func(time.Time) Incoming { return orig(t0.Add(-40 * time.Minute)) }},
		}, "goc", "goc tong-hop dang-lai"},
	}
	for _, near := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if near {
				name += ", near duplicates on"
			}
			t.Run(name, func(t *testing.T) {
				ck := &clock{now: t0}
				db, _ := openTest(t, Options{Now: ck.Now, NearDuplicates: near})
				ctx := context.Background()
				var ins []Incoming
				var id string
				for i, a := range tt.arrivals {
					in := a.in(ck.now)
					ins = append(ins, in)
					r := mustAdd(t, db, a.feed, in)
					if (i == 0 && r.Added != 1) || (i > 0 && r.Merged != 1) {
						t.Fatalf("arrival %d (%s): %+v", i, a.feed, r)
					}
					items, err := db.Latest(ctx, 10, nil)
					if err != nil || len(items) != 1 {
						t.Fatalf("after %s: %d items, %v; want 1", a.feed, len(items), err)
					}
					it := items[0]
					if i == 0 {
						id = it.ID
						if !it.Updated.IsZero() {
							t.Errorf("a new story is updated %v", it.Updated)
						}
					} else if it.ID != id || !it.Updated.Equal(ck.now) {
						t.Errorf("after %s: id %s updated %v; want %s updated %v", a.feed, it.ID, it.Updated, id, ck.now)
					}
					ck.advance(time.Minute)
				}
				it, err := db.Get(ctx, id)
				if err != nil || it == nil {
					t.Fatalf("Get(%s) = %v, %v", id, it, err)
				}
				var feeds []string
				for _, m := range it.Members {
					feeds = append(feeds, m.Feed)
				}
				if got := strings.Join(feeds, " "); got != tt.order || it.Leader() != tt.leader {
					t.Errorf("members %s, leader %s; want %s, %s", got, it.Leader(), tt.order, tt.leader)
				}
				// The item is its leader's copy, with a clean link.
				var lead Incoming
				for i, a := range tt.arrivals {
					if a.feed == tt.leader {
						lead = ins[i]
					}
				}
				if it.Title != lead.Title || it.Summary != lead.Summary || !it.Published.Equal(lead.Published) ||
					it.Link != strings.Split(lead.Link, "?")[0] || it.Members[0].Lead != "" {
					t.Errorf("item %q %q %v %s, lead %q; want the leader's %q %q %v %s", it.Title, it.Summary, it.Published,
						it.Link, it.Members[0].Lead, lead.Title, lead.Summary, lead.Published, lead.Link)
				}
				// Every other member keeps its own headline, lead and date.
				for _, m := range it.Members[1:] {
					for i, a := range tt.arrivals {
						if a.feed != m.Feed {
							continue
						}
						in := ins[i]
						if m.Title != in.Title || m.Lead != in.Summary || !m.Published.Equal(in.Published) || m.Undated == in.Dated ||
							strings.Contains(m.Link, "?") {
							t.Errorf("member %+v; want %q %q %v dated %v, a clean link", m, in.Title, in.Summary, in.Published, in.Dated)
						}
					}
				}
				checkIndexes(t, db, id, near)
				// Every fetch again is known and changes nothing.
				for i, a := range tt.arrivals {
					if r := mustAdd(t, db, a.feed, ins[i]); r.Changed() {
						t.Errorf("%s again: %+v, want known", a.feed, r)
					}
				}
				// Pruning finds every index entry under the dates it
				// moved to: only the keys and the tomb are left.
				if n, err := db.Prune(ctx, ck.now.Add(time.Hour)); err != nil || n != 1 {
					t.Fatalf("Prune = %d, %v; want 1", n, err)
				}
				for k := range entries(t, db, id) {
					if !strings.HasPrefix(k, "keys ") && !strings.HasPrefix(k, "tombs ") && !strings.HasPrefix(k, "tomb_time ") {
						t.Errorf("after prune, %s is left", k)
					}
				}
			})
		}
	}
}

// checkIndexes checks that the item id is indexed under its current date
// and leader: one by_time entry, its title entries, its near entries.
func checkIndexes(t *testing.T, db *DB, id string, near bool) {
	t.Helper()
	err := db.bolt.View(func(tx *bolt.Tx) error {
		rec, err := getRecord(tx, []byte(id))
		if err != nil || rec == nil {
			t.Fatalf("getRecord(%s) = %v, %v", id, rec, err)
		}
		n := 0
		err = tx.Bucket(bucketByTime).ForEach(func(k, _ []byte) error {
			if bytes.HasSuffix(k, []byte(id)) {
				n++
				if !bytes.Equal(k, concat(timeKey(rec.Published), []byte(id))) {
					t.Errorf("by_time entry at %v, want %v", decodeTimeKey(k), rec.Published)
				}
			}
			return nil
		})
		if n != 1 {
			t.Errorf("%d by_time entries, want 1", n)
		}
		for _, tk := range rec.Titles {
			if k := titleEntry(tk, &rec.Item); tx.Bucket(bucketTitles).Get(k) == nil && !slices.Contains(db.tail.lookup(k[:titlePrefixLen]), string(k)) {
				t.Errorf("no title entry for %q at %v", tk, rec.Published)
			}
		}
		if !slices.Contains(rec.Titles, strings.ToLower(rec.Title)) {
			t.Errorf("titles %q lack the leader's", rec.Titles)
		}
		// With near duplicates, the sketches bucket knows the story by its
		// leader's feed, date and text.
		v := tx.Bucket(bucketSketches).Get(sketchKey(rec.Seen, rec.ID))
		if near != (v != nil) {
			t.Errorf("sketch entry present %v, want %v", v != nil, near)
		}
		if v != nil {
			pub, feed, enc, err := splitSketchValue(v)
			want := vntext.NewSketch(rec.Title, rec.Summary)
			if err != nil || !bytes.Equal(pub, timeKey(rec.Published)) || string(feed) != rec.Leader() ||
				!bytes.Equal(enc, want.AppendBinary(nil)) {
				t.Errorf("sketch entry of %s at %v, %v; want the leader %s's, at %v", feed, decodeTimeKey(pub), err,
					rec.Leader(), rec.Published)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSearchTexts checks what keywords are matched against: what every
// outlet wrote, each text once.
func TestSearchTexts(t *testing.T) {
	long := strings.Repeat("Lời dẫn rất dài của báo thứ hai ", 40)
	it := Item{Title: "Tin gốc", Summary: "Lời dẫn gốc", Members: []Member{
		{Feed: "a", Title: "Tin gốc"},
		{Feed: "b", Title: "Tin gốc", Lead: "Lời dẫn gốc"},
		{Feed: "c", Title: "Tin đăng lại", Lead: lead(long)},
		{Feed: "d", Title: "", Lead: ""},
	}}
	got := it.SearchTexts(nil)
	want := []string{"Tin gốc", "Lời dẫn gốc", "Tin đăng lại", lead(long)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SearchTexts = %q, want %q", got, want)
	}
	if l := lead(long); len(l) > MaxLead || !strings.HasPrefix(long, l) || strings.HasSuffix(l, " ") || !strings.HasSuffix(l, "hai") && !strings.HasSuffix(l, "của") {
		t.Errorf("lead(%d bytes) = %q (%d bytes): want at most %d bytes, whole words", len(long), l, len(l), MaxLead)
	}
	for _, s := range []string{"", "ngắn", strings.Repeat("ư", MaxLead)} {
		if l := lead(s); !strings.HasPrefix(s, l) || len(l) > MaxLead || (len(s) <= MaxLead && l != s) || !utf8.ValidString(l) {
			t.Errorf("lead(%d bytes) = %d bytes", len(s), len(l))
		}
	}
}

// TestDecodeFormat1 reads records as the previous version wrote them
// (sampleRecords()[:2], recFormat1, one plain and one compressed): their
// members read back without dates or leads.
func TestDecodeFormat1(t *testing.T) {
	old := []string{
		"01010a54696e206e67e1baaf6e0000000001e0c8c7b00d000001e0c8c7b00d00010161000a54696e206e67e1baaf6e05666972737401e0c8c7b00d0000010567006100310000",
		"0228b52ffd60a10a450c00b218553d504b9b00ff0caa988127a1638d838d1aca6523817ccd8e0e47fbc199b1b820e4243a329308ce8bb6a6c91c41d20d4a4443b419bf47f128034d4048246504125cb00a5b88118f2911652c13689ddc09aa0a38024011ce474344b4592a02785a6505106882e6b5810d20ebe44e10470445389f0f20a2c7840d28c2f9686c3822860ab1577143e505022c9654b9244aa00df94f036d9e9fa09d755e45cdc3f1b0f5a5a09d750e2b6863efb035bf4f0e5bf3bb85419b0f33da6c1da3669d73b4a855bc05dad79f56df1148adbe4bad4e97145f2c566500850313037fdce99b8136162f2a83c78bcaf171a743b840fbe1c968264baa28793ab9b072fc56b2a3306ee2229c9283cb41c953a23296661f509275722749a25cd69c5ca1a0cdf31935ebbc8a1995e7e5c2ea1168638715b435e7a76d2df91eb6c61c2e631e2768c3cd7c469bad73b4a83c4f993ca37d7d9ddce9115e24a20f00f633384d53c107f4d463e653877b5f262bdc129c808603a519cdf034c62efe46e7a06abb3f22640ec81990cb233f29",
	}
	for i, rec := range sampleRecords()[:2] {
		v, err := hex.DecodeString(old[i])
		if err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(&rec)
		if err != nil {
			t.Fatal(err)
		}
		var want record
		if err := json.Unmarshal(j, &want); err != nil {
			t.Fatal(err)
		}
		got, err := decodeRecord([]byte(rec.ID), v)
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("decodeRecord(format 1 %s) = %+v, %v;\nwant %+v", rec.ID, got, err, want)
		}
		// Stored again, it takes the current form and reads back the same.
		again, err := decodeRecord([]byte(rec.ID), encodeRecord(got))
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("format 1 record stored again = %+v, %v; want %+v", again, err, got)
		}
	}
}

// A story stored by the previous version (members without dates) that an
// earlier copy joins: the former leader's date comes from the item.
func TestTakeLeadFromFormat1Record(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now})
	ctx := context.Background()
	mustAdd(t, db, "dang-lai", incoming("Tin đăng lại của báo khác", "r-1", "https://goc.example/tin", t0))
	items, _ := db.Latest(ctx, 1, nil)
	id := items[0].ID
	// Rewrite the record as the previous version would have: no member
	// dates (format 1 has no room for them).
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		rec, err := getRecord(tx, []byte(id))
		if err != nil {
			return err
		}
		for i := range rec.Members {
			rec.Members[i].Published, rec.Members[i].Undated, rec.Members[i].Lead = time.Time{}, false, ""
		}
		return putRecord(tx, rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	ck.advance(time.Hour)
	if r := mustAdd(t, db, "goc", incoming("Tin gốc của báo gốc", "g-1", "https://goc.example/tin", t0.Add(-time.Hour))); r.Merged != 1 {
		t.Fatalf("original: %+v, want merged", r)
	}
	it, _ := db.Get(ctx, id)
	if it.Leader() != "goc" || !it.Published.Equal(t0.Add(-time.Hour)) || !it.Members[1].Published.Equal(t0) ||
		it.Members[1].Lead != "Tóm tắt Tin đăng lại của báo khác" {
		t.Errorf("item %+v; want goc leading, the former leader dated %v with its lead", it, t0)
	}
}
