package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/pressfeed/pressfeed/vntext"
)

// upgradeFrom1 rewrites a schema 1 file into schema 2, inside the
// transaction that creates the new buckets, so a crash leaves either
// layout whole. Schema 1 stored the bare Item under its ID and knew no
// near, tombs or tomb_time buckets. Schema 2 records carry their keys,
// title entries and SimHash; the keys of items pruned under schema 1 become
// tombs last listed now.
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
		rec.SimHash = vntext.SimHash(rec.Title, rec.Summary)
		if db.opts.NearDuplicates {
			if err := putNear(tx, rec); err != nil {
				return err
			}
		}
		if err := putRecord(tx, rec); err != nil {
			return err
		}
	}
	for id, keys := range tombs {
		if err := putTomb(tx, []byte(id), now, keys); err != nil {
			return err
		}
	}
	return nil
}
