package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pressfeed/pressfeed/vntext"
)

// upgradeFrom1 rewrites a schema 1 file into the current schema, inside
// the transaction that creates the new buckets, so a crash leaves either
// layout whole. Schema 1 stored the bare Item under its ID and knew no
// near, tombs or tomb_time buckets. Records now carry their keys and
// title entries; the keys of items pruned under schema 1 become tombs last
// listed now; the stories first seen within the title window get their
// sketches. The records are written in the current form.
func (db *DB) upgradeFrom1(tx *bolt.Tx) error {
	now := db.opts.Now().UTC()
	recs := make(map[string]*record)
	load := func(id []byte) (*record, error) {
		if rec, ok := recs[string(id)]; ok {
			return rec, nil
		}
		rec, err := getRecord(tx, id)
		if rec != nil {
			recs[string(id)] = rec
		}
		return rec, err
	}
	tombs := make(map[string][]string)
	err := tx.Bucket(bucketKeys).ForEach(func(k, id []byte) error {
		rec, err := load(id)
		if err != nil {
			return err
		}
		if rec == nil {
			tombs[string(id)] = append(tombs[string(id)], string(k))
			return nil
		}
		rec.Keys = append(rec.Keys, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketTitles).ForEach(func(k, _ []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 || len(k) <= i+1+12 {
			return fmt.Errorf("title entry %q", k)
		}
		rec, err := load(k[i+1+12:])
		if err != nil || rec == nil {
			return err // an entry of a pruned item stays, harmless as before
		}
		if !bytes.Equal(k[i+1:i+1+12], timeKey(rec.Published)) {
			return fmt.Errorf("title entry %q does not match item %s", k, rec.ID)
		}
		rec.Titles = append(rec.Titles, string(k[:i]))
		return nil
	})
	if err != nil {
		return err
	}
	// Items that no key names (none in a file schema 1 wrote) still get
	// their fingerprint.
	err = tx.Bucket(bucketItems).ForEach(func(id, _ []byte) error {
		_, err := load(id)
		return err
	})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := putRecord(tx, rec); err != nil {
			return err
		}
	}
	if err := db.sketchRecent(tx); err != nil {
		return err
	}
	for id, keys := range tombs {
		if err := putTomb(tx, []byte(id), now, keys); err != nil {
			return err
		}
	}
	return nil
}

// upgradeNear replaces the SimHash bands of schemas 2 and 3 (the near
// bucket) with the sketches of the stories first seen within the title
// window. Older stories get none: near duplicates only merge with stories
// first seen within the window.
func (db *DB) upgradeNear(tx *bolt.Tx) error {
	if tx.Bucket(bucketNear) != nil {
		if err := tx.DeleteBucket(bucketNear); err != nil {
			return err
		}
	}
	return db.sketchRecent(tx)
}

// sketchRecent stores the sketch of every story first seen within the
// title window, with Options.NearDuplicates.
func (db *DB) sketchRecent(tx *bolt.Tx) error {
	if !db.opts.NearDuplicates {
		return nil
	}
	c := tx.Bucket(bucketBySeen).Cursor()
	for k, _ := c.Seek(timeKey(db.opts.Now().Add(-db.opts.TitleWindow))); k != nil; k, _ = c.Next() {
		if len(k) <= 12 {
			continue
		}
		rec, err := getRecord(tx, k[12:])
		if err != nil {
			return err
		}
		if rec == nil {
			continue
		}
		sk := vntext.NewSketch(rec.Title, rec.Summary)
		if err := putSketch(tx, rec, &sk); err != nil {
			return err
		}
	}
	return nil
}

// metaRewrite, in the meta bucket, marks a file upgraded from schema 2
// whose item records may still be JSON.
var metaRewrite = []byte("rewrite")

// rewriteBatch is how many records one upgrade transaction rewrites.
var rewriteBatch = 1000

// rewriteRecords finishes the upgrade from schema 2 to 3: it rewrites every
// JSON item record (schema 2) in the binary form, rewriteBatch records per
// transaction, then clears metaRewrite. Only the records change: keys,
// index entries and tombs are the same in both schemas. A crash in between
// leaves a file this code reads (getRecord reads both forms) and whose next
// Open carries on.
func (db *DB) rewriteRecords() error {
	var pending bool
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		pending = tx.Bucket(bucketMeta).Get(metaRewrite) != nil
		return nil
	}); err != nil || !pending {
		return err
	}
	start := time.Now()
	var after []byte // the last key rewritten
	total := 0
	for {
		done := false
		err := db.update(func(tx *bolt.Tx) error {
			type pair struct {
				id  []byte
				rec *record
			}
			var batch []pair
			c := tx.Bucket(bucketItems).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			var last []byte
			for ; k != nil && len(batch) < rewriteBatch; k, v = c.Next() {
				last = k
				if len(v) == 0 || v[0] != '{' {
					continue // already rewritten
				}
				rec, err := decodeRecord(k, v)
				if err != nil {
					return fmt.Errorf("decode item %s: %w", k, err)
				}
				batch = append(batch, pair{bytes.Clone(k), rec})
			}
			done = k == nil
			if last != nil {
				last = bytes.Clone(last)
			}
			for _, p := range batch {
				if err := tx.Bucket(bucketItems).Put(p.id, encodeRecord(p.rec)); err != nil {
					return err
				}
			}
			total += len(batch)
			after = last
			if done {
				return tx.Bucket(bucketMeta).Delete(metaRewrite)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rewrite records for schema %d: %w", schemaVersion, err)
		}
		if done {
			break
		}
	}
	db.opts.Logger.Info("store upgraded", "path", db.path, "from_schema", 2, "to_schema", schemaVersion,
		"records", total, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
