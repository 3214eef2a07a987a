package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pressfeed/pressfeed/vntext"
)

// record is what the items bucket holds for one item: the Item and the
// index entries that name it, so that Prune can remove them all.
type record struct {
	Item
	Keys    []string `json:"keys,omitempty"`    // dedup keys pointing at the item
	Titles  []string `json:"titles,omitempty"`  // normalised titles under which the titles index names it
	SimHash uint64   `json:"simhash,omitempty"` // written by schemas 2 and 3; 0: not kept (see fingerprint)
	Near    bool     `json:"near,omitempty"`    // schemas 2 and 3: the near bucket held its bands
}

// fingerprint returns the SimHash of rec's title and summary. Records
// without near entries need not keep it, since it follows from their text.
func (rec *record) fingerprint() uint64 {
	if rec.SimHash != 0 {
		return rec.SimHash
	}
	return vntext.SimHash(rec.Title, rec.Summary)
}

func getRecord(tx *bolt.Tx, id []byte) (*record, error) {
	v := tx.Bucket(bucketItems).Get(id)
	if v == nil {
		return nil, nil
	}
	rec, err := decodeRecord(id, v)
	if err != nil {
		return nil, fmt.Errorf("store: decode item %s: %w", id, err)
	}
	return rec, nil
}

func putRecord(tx *bolt.Tx, rec *record) error {
	return tx.Bucket(bucketItems).Put([]byte(rec.ID), encodeRecord(rec))
}

// addKeys points every key of ks that is not taken yet at rec and records
// it. A key taken by another story keeps pointing there: ids are never moved.
func addKeys(keys *bolt.Bucket, rec *record, ks [][]byte) error {
	for _, k := range ks {
		if keys.Get(k) != nil {
			continue
		}
		if err := keys.Put(k, []byte(rec.ID)); err != nil {
			return err
		}
		rec.Keys = append(rec.Keys, string(k))
	}
	return nil
}

// addTitle indexes rec under a normalised title. The entry's time is
// rec.Published, so Prune can rebuild it.
func (db *DB) addTitle(tx *bolt.Tx, rec *record, titleKey string, fx *effects) error {
	if slices.Contains(rec.Titles, titleKey) {
		return nil
	}
	rec.Titles = append(rec.Titles, titleKey)
	return db.putTitle(tx, titleEntry(titleKey, &rec.Item), fx)
}

// Tombstones. A pruned item leaves its dedup keys behind so that a source
// that still lists it does not bring it back. The tomb remembers when a
// source last listed it; once none has for twice the retention, Prune
// deletes the keys and the tomb.

func tombValue(lastSeen time.Time, keys []string) ([]byte, error) {
	j, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	return concat(timeKey(lastSeen), j), nil
}

func putTomb(tx *bolt.Tx, id []byte, lastSeen time.Time, keys []string) error {
	tombs, at := tx.Bucket(bucketTombs), tx.Bucket(bucketTombAt)
	if old := tombs.Get(id); len(old) >= 12 {
		if err := at.Delete(concat(old[:12], id)); err != nil {
			return err
		}
	}
	v, err := tombValue(lastSeen, keys)
	if err != nil {
		return err
	}
	if err := tombs.Put(id, v); err != nil {
		return err
	}
	at.FillPercent = 0.9
	return at.Put(concat(timeKey(lastSeen), id), nil)
}

// touchTomb reports whether the tomb of id should record that a source
// listed it now, and with write records it.
func (db *DB) touchTomb(tx *bolt.Tx, id []byte, now time.Time, write bool) (bool, error) {
	v := tx.Bucket(bucketTombs).Get(id)
	if len(v) < 12 || now.Sub(decodeTimeKey(v[:12])) < db.touchEvery() {
		return false, nil
	}
	if !write {
		return true, nil
	}
	var keys []string
	if err := json.Unmarshal(v[12:], &keys); err != nil {
		return false, fmt.Errorf("decode tomb %s: %w", id, err)
	}
	return true, putTomb(tx, bytes.Clone(id), now, keys)
}

// touchEvery is how stale a tomb's last-seen time may get before a listing
// refreshes it: an eighth of the retention (so it never expires while
// listed), at most a day, an hour while the retention is unknown.
func (db *DB) touchEvery() time.Duration {
	r := time.Duration(db.retention.Load())
	if r <= 0 {
		return time.Hour
	}
	return min(r/8, 24*time.Hour)
}

const pruneBatch = 1000

// Prune deletes items first seen before the given time, in transactions of
// at most a thousand items. Their dedup keys stay behind as tombstones, so a
// source that still lists a pruned item does not bring it back; the keys of
// an item that no source has listed for twice the retention (now − before)
// are deleted too. Prune returns the number of items deleted.
func (db *DB) Prune(ctx context.Context, before time.Time) (int, error) {
	now := db.opts.Now().UTC()
	if r := now.Sub(before); r > 0 {
		db.retention.Store(int64(r))
	}
	total := 0
	limit := timeKey(before)
	// A full file has few free pages, and deleting needs some (bbolt copies
	// every page it changes): on ErrFull, delete in key order once, then
	// retry with smaller transactions until one fits, and grow again as
	// pages come free.
	batch := pruneBatch
	keyOrder := false // pruneInKeyOrder ran
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n := 0
		err := db.updateInSlot(func(tx *bolt.Tx, fx *effects) error {
			n = 0
			var doomed [][]byte
			c := tx.Bucket(bucketBySeen).Cursor()
			for k, _ := c.First(); k != nil && len(doomed) < batch && bytes.Compare(k[:12], limit) < 0; k, _ = c.Next() {
				doomed = append(doomed, bytes.Clone(k))
			}
			for _, k := range doomed {
				if err := db.pruneOne(tx, k, now, fx); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if errors.Is(err, ErrFull) && !keyOrder {
			// Free whole pages first (see pruneInKeyOrder), then finish
			// here.
			keyOrder = true
			m, kerr := db.pruneInKeyOrder(ctx, limit, now)
			total += m
			if m > 0 {
				db.version.Add(1)
			}
			if kerr == nil || errors.Is(kerr, ErrFull) {
				continue
			}
			err = kerr
		}
		if errors.Is(err, ErrFull) && batch > 1 {
			batch = max(batch/4, 1) // never 0, which would delete nothing, forever
			continue
		}
		if err != nil {
			return total, fmt.Errorf("store: prune: %w", err)
		}
		total += n
		if n > 0 {
			db.version.Add(1)
		}
		if n < batch {
			break
		}
		batch = min(batch*2, pruneBatch)
	}
	if r := now.Sub(before); r > 0 {
		if err := db.expireTombs(ctx, now.Add(-2*r)); err != nil {
			return total, err
		}
	}
	return total, nil
}

// pruneInKeyOrder deletes the items first seen before limit in the order of
// the items bucket and returns how many it deleted. It is Prune's way out
// of a full file: items sit in that bucket in ID order, unrelated to their
// age, so deleting the oldest first takes a record off many pages and frees
// none of them, while the tombs it leaves need room; deleting neighbours
// empties whole pages. Transactions start with one item and grow as pages
// come free.
func (db *DB) pruneInKeyOrder(ctx context.Context, limit []byte, now time.Time) (int, error) {
	total, batch := 0, 1
	var after []byte // the last item ID looked at
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, end := 0, false
		var last []byte
		err := db.updateInSlot(func(tx *bolt.Tx, fx *effects) error {
			n = 0
			var doomed [][]byte // by_seen keys
			c := tx.Bucket(bucketItems).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(doomed) < batch; k, v = c.Next() {
				last = bytes.Clone(k)
				rec, err := decodeRecord(k, v)
				if err != nil {
					return fmt.Errorf("store: decode item %s: %w", k, err)
				}
				if sk := timeKey(rec.Seen); bytes.Compare(sk, limit) < 0 {
					doomed = append(doomed, concat(sk, k))
				}
			}
			end = k == nil
			for _, sk := range doomed {
				if err := db.pruneOne(tx, sk, now, fx); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if errors.Is(err, ErrFull) && batch > 1 {
			batch = max(batch/4, 1)
			continue
		}
		if err != nil {
			return total, err
		}
		total += n
		after = last
		if end {
			return total, nil
		}
		batch = min(batch*2, 64)
	}
}

// pruneOne deletes the item of the by_seen entry k and every index entry
// naming it, and leaves a tomb holding its keys.
func (db *DB) pruneOne(tx *bolt.Tx, k []byte, now time.Time, fx *effects) error {
	id := k[12:]
	rec, err := getRecord(tx, id)
	if err != nil {
		return err
	}
	if rec != nil {
		if err := tx.Bucket(bucketByTime).Delete(concat(timeKey(rec.Published), id)); err != nil {
			return err
		}
		for _, tk := range rec.Titles {
			for _, k := range [][]byte{titleEntry(tk, &rec.Item), legacyTitleEntry(tk, &rec.Item)} {
				if err := db.deleteTitle(tx, k, fx); err != nil {
					return err
				}
			}
		}
		if err := deleteSketch(tx, rec); err != nil {
			return err
		}
		if err := tx.Bucket(bucketItems).Delete(id); err != nil {
			return err
		}
		if len(rec.Keys) > 0 {
			if err := putTomb(tx, bytes.Clone(id), now, rec.Keys); err != nil {
				return err
			}
		}
	}
	return tx.Bucket(bucketBySeen).Delete(k)
}

// expireTombs deletes the tombs, and the keys they hold, of pruned items no
// source has listed since before.
func (db *DB) expireTombs(ctx context.Context, before time.Time) error {
	limit := timeKey(before)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 0
		err := db.update(func(tx *bolt.Tx) error {
			n = 0
			var doomed [][]byte
			c := tx.Bucket(bucketTombAt).Cursor()
			for k, _ := c.First(); k != nil && len(doomed) < pruneBatch && bytes.Compare(k[:12], limit) < 0; k, _ = c.Next() {
				doomed = append(doomed, bytes.Clone(k))
			}
			keys, tombs := tx.Bucket(bucketKeys), tx.Bucket(bucketTombs)
			for _, k := range doomed {
				id := k[12:]
				if v := tombs.Get(id); len(v) >= 12 && bytes.Equal(v[:12], k[:12]) {
					var ks []string
					if err := json.Unmarshal(v[12:], &ks); err != nil {
						return fmt.Errorf("decode tomb %s: %w", id, err)
					}
					for _, key := range ks {
						if bytes.Equal(keys.Get([]byte(key)), id) {
							if err := keys.Delete([]byte(key)); err != nil {
								return err
							}
						}
					}
					if err := tombs.Delete(id); err != nil {
						return err
					}
				}
				if err := tx.Bucket(bucketTombAt).Delete(k); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: expire tombstones: %w", err)
		}
		if n < pruneBatch {
			return nil
		}
	}
}
