package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Walk calls fn with stored items, newest Published first (ties by item ID,
// descending), starting with the first item strictly older than the position
// (published, id); a zero published starts at the newest item. It stops when
// fn returns false or ctx is done. Walk only reads; fn runs inside the read
// transaction, so it must be quick and must not write to the store.
func (db *DB) Walk(ctx context.Context, published time.Time, id string, fn func(*Item) bool) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketByTime).Cursor()
		var k []byte
		if published.IsZero() {
			k, _ = c.Last()
		} else {
			pos := concat(timeKey(published), []byte(id))
			k, _ = c.Seek(pos)
			// Seek lands on the first key ≥ pos (or nothing): step back below it.
			if k == nil {
				k, _ = c.Last()
			}
			for k != nil && bytes.Compare(k, pos) >= 0 {
				k, _ = c.Prev()
			}
		}
		for n := 0; k != nil; k, _ = c.Prev() {
			if n%64 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			n++
			it, err := getItem(tx, k[12:])
			if err != nil {
				return err
			}
			if it == nil {
				return fmt.Errorf("store: by_time names missing item %s", k[12:])
			}
			if !fn(it) {
				return nil
			}
		}
		return nil
	})
}
