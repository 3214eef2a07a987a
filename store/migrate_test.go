package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writeSchema2 writes a store in the schema 2 layout at path: a few
// stories with merges by link, title and near copy, a correction, a
// pruned item (a tomb), a compressible HTML body, an item published in a
// zone other than UTC, and a feed state. Schema 2 had the buckets and
// index entries of schema 3; its records were JSON and always held the
// SimHash, and it knew no "rewrite" mark. It returns the items as a schema 2
// reader decoded them, by ID.
func writeSchema2(t *testing.T, path string) map[string]Item {
	t.Helper()
	ck := &clock{now: t0.Add(-72 * time.Hour)}
	db, err := Open(path, Options{Now: ck.Now, NearDuplicates: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustAdd(t, db, "sggp", incoming("Một tin cũ sẽ bị xoá khỏi kho", "old", "https://sggp.example/old", ck.now))
	ck.now = t0
	lead := wire(wireTitle, wireLead, "s1", "https://sggp.example/xang", t0.In(time.FixedZone("ICT", 7*3600)))
	lead.Content = "<p>" + wireLead + "</p><p>" + wireLead + "</p>"
	lead.Author = "Phóng viên"
	mustAdd(t, db, "sggp", lead)
	ck.advance(time.Minute)
	mustAdd(t, db, "tuoitre", wire("Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay", wireLead, "t1", "https://tuoitre.example/xang", t0.Add(time.Hour)))
	mustAdd(t, db, "vnexpress", wire(wireTitle, "Khác hẳn phần tóm tắt.", "v1", "https://vnexpress.example/xang", t0.Add(2*time.Hour)))
	mustAdd(t, db, "thanhnien", wire("Tin riêng của Thanh Niên", "Tóm tắt riêng.", "n1", "https://sggp.example/xang", t0))
	mustAdd(t, db, "dantri", wire("Tin của Dân trí", "Tóm tắt ban đầu.", "d1", "https://dantri.example/1", t0.Add(-time.Hour)))
	ck.advance(time.Minute)
	if r := mustAdd(t, db, "dantri", wire("Tin của Dân trí, đã sửa", "Tóm tắt đã sửa.", "d1", "https://dantri.example/1", t0.Add(-time.Hour))); r.Corrected != 1 {
		t.Fatalf("correction: %+v", r)
	}
	mustAdd(t, db, "bao-a", realisticItems("bao-a", 30, t0.Add(-3*time.Hour))...)
	if err := db.SaveStates(ctx, map[string]FeedState{"sggp": {ETag: `"v7"`, Items: 2}}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Prune(ctx, t0.Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want the old item", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Write the records as schema 2 did.
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := make(map[string]Item)
	err = b.Update(func(tx *bolt.Tx) error {
		items := tx.Bucket(bucketItems)
		var recs []*record
		err := items.ForEach(func(k, v []byte) error {
			rec, err := decodeRecord(k, v)
			recs = append(recs, rec)
			return err
		})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			rec.SimHash = rec.fingerprint()
			v, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			if err := items.Put([]byte(rec.ID), v); err != nil {
				return err
			}
			var it Item
			if err := json.Unmarshal(v, &it); err != nil {
				return err
			}
			want[rec.ID] = it
		}
		return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte("2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if len(want) != 32 {
		t.Fatalf("schema 2 file holds %d items, want 32", len(want))
	}
	return want
}

// dumpIndexes returns the content of every bucket but items and meta.
func dumpIndexes(t *testing.T, db *DB) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if bytes.Equal(name, bucketItems) || bytes.Equal(name, bucketMeta) {
				continue
			}
			var buf bytes.Buffer
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				fmt.Fprintf(&buf, "%q=%q\n", k, v)
				return nil
			})
			if err != nil {
				return err
			}
			out[string(name)] = buf.String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUpgradeFrom2 opens schema 2 files, whole and with an interrupted
// upgrade, and checks that every item reads back as schema 2 returned it,
// that keys, titles, near entries, tombs and feed states are untouched and
// work, and that the records are rewritten.
func TestUpgradeFrom2(t *testing.T) {
	for _, interrupted := range []bool{false, true} {
		t.Run(fmt.Sprintf("interrupted=%v", interrupted), func(t *testing.T) {
			defer func(n int) { rewriteBatch = n }(rewriteBatch)
			rewriteBatch = 4 // several transactions
			path := filepath.Join(t.TempDir(), "v2.db")
			want := writeSchema2(t, path)

			// The indexes as schema 2 left them, and the keys explain showed.
			b, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			v2 := &DB{bolt: b, opts: Options{Now: time.Now}}
			wantIdx := dumpIndexes(t, v2)
			wantKeys := make(map[string][]string)
			wantHash := make(map[string]uint64)
			for id := range want {
				if wantKeys[id], wantHash[id], err = v2.Keys(context.Background(), id); err != nil {
					t.Fatal(err)
				}
			}
			if interrupted {
				// A crash after the first rewrite transaction: schema 3, the
				// mark, some records rewritten.
				err := b.Update(func(tx *bolt.Tx) error {
					n := 0
					c := tx.Bucket(bucketItems).Cursor()
					var ids [][]byte
					for k, _ := c.First(); k != nil && n < 10; k, _ = c.Next() {
						ids = append(ids, bytes.Clone(k))
						n++
					}
					for _, id := range ids {
						rec, err := getRecord(tx, id)
						if err != nil {
							return err
						}
						if err := putRecord(tx, rec); err != nil {
							return err
						}
					}
					if err := tx.Bucket(bucketMeta).Put(metaRewrite, []byte("2")); err != nil {
						return err
					}
					return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte("3"))
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}

			ck := &clock{now: t0.Add(2 * time.Hour)}
			db := openAt(t, path, Options{Now: ck.Now, NearDuplicates: true})
			ctx := context.Background()
			err = db.bolt.View(func(tx *bolt.Tx) error {
				meta := tx.Bucket(bucketMeta)
				if got, want := string(meta.Get([]byte("schema"))), strconv.Itoa(schemaVersion); got != want {
					t.Errorf("schema = %q, want %s", got, want)
				}
				if v := meta.Get(metaRewrite); v != nil {
					t.Errorf("rewrite mark %q left after the upgrade", v)
				}
				return tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
					if len(v) == 0 || (v[0] != recPlain && v[0] != recS2VN) {
						t.Errorf("record %s not rewritten: %.20q", k, v)
					}
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			for id, w := range want {
				got, err := db.Get(ctx, id)
				if err != nil || got == nil || !reflect.DeepEqual(*got, w) {
					t.Errorf("Get(%s) = %+v, %v;\nwant %+v", id, got, err, w)
				}
				keys, h, err := db.Keys(ctx, id)
				if err != nil || !reflect.DeepEqual(keys, wantKeys[id]) || h != wantHash[id] {
					t.Errorf("Keys(%s) = %q, %x, %v; want %q, %x", id, keys, h, err, wantKeys[id], wantHash[id])
				}
			}
			latest, err := db.Latest(ctx, 100, nil)
			if err != nil || len(latest) != len(want) {
				t.Fatalf("Latest = %d items, %v; want %d", len(latest), err, len(want))
			}
			if got := dumpIndexes(t, db); !reflect.DeepEqual(got, wantIdx) {
				for name := range wantIdx {
					if got[name] != wantIdx[name] {
						t.Errorf("bucket %s changed by the upgrade:\n%s\nwant\n%s", name, got[name], wantIdx[name])
					}
				}
			}
			states, err := db.FeedStates(ctx)
			if err != nil || states["sggp"].ETag != `"v7"` {
				t.Errorf("feed states = %+v, %v", states, err)
			}

			// Dedup, tombs, merges and explain work on the upgraded file.
			if r := mustAdd(t, db, "sggp", wire(wireTitle, wireLead, "s1", "https://sggp.example/xang", t0)); r.Known != 1 {
				t.Errorf("re-sent item: %+v, want known", r)
			}
			if r := mustAdd(t, db, "sggp", incoming("Một tin cũ sẽ bị xoá khỏi kho", "old", "https://sggp.example/old", t0)); r.Changed() || r.Known != 1 {
				t.Errorf("pruned item re-sent: %+v, want known by its tomb", r)
			}
			if r := mustAdd(t, db, "laodong", wire("Giá xăng RON 95 giảm 500 đồng một lít từ 15h chiều nay", "(LĐO) - "+wireLead, "l1", "https://laodong.example/xang", t0.Add(30*time.Minute))); r.Merged != 1 {
				t.Errorf("near copy: %+v, want merged", r)
			}
			it, err := db.Find(ctx, "https://laodong.example/xang")
			if err != nil || it == nil || it.Title != wireTitle {
				t.Fatalf("Find = %+v, %v; want the sggp story", it, err)
			}
			if m := it.Members[len(it.Members)-1]; m.Feed != "laodong" || m.By != MergedNear {
				t.Errorf("last member %+v, want laodong merged by %q", m, MergedNear)
			}
			if keys, h, err := db.Keys(ctx, it.ID); err != nil || len(keys) < 4 || h == 0 {
				t.Errorf("Keys = %q, %x, %v; want the keys of four copies and a SimHash", keys, h, err)
			}
			if r := mustAdd(t, db, "bao-a", realisticItems("bao-a", 31, t0.Add(-3*time.Hour))...); r.Added != 1 || r.Known != 30 {
				t.Errorf("bao-a again with one more: %+v, want 1 added, 30 known", r)
			}
		})
	}
}

// TestSchema4Opens: a file of schema 4 (records in zstd) opens as schema
// 5 with its items readable; a file of a newer schema than this pressfeed
// reads is refused with an error naming both.
func TestSchema4Opens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s4.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.Add(ctx, "a", []Incoming{{GUID: "g1", Item: Item{Title: "Giá vàng hôm nay tăng mạnh", Link: "https://a.example/1"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte("4"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	items, err := db.Latest(ctx, 10, nil)
	if err != nil || len(items) != 1 || items[0].Title != "Giá vàng hôm nay tăng mạnh" {
		t.Fatalf("after opening schema 4: %v, %v", items, err)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		if got := string(tx.Bucket(bucketMeta).Get([]byte("schema"))); got != strconv.Itoa(schemaVersion) {
			t.Errorf("schema = %q, want %d", got, schemaVersion)
		}
		return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte(strconv.Itoa(schemaVersion+1)))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	want := fmt.Sprintf("schema version %q, this pressfeed reads 1 to %d", strconv.Itoa(schemaVersion+1), schemaVersion)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("opening a newer schema: %v, want an error containing %s", err, want)
	}
}
