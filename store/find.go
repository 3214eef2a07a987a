package store

import (
	"context"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/pressfeed/pressfeed/internal/canon"
)

// Find returns the item a reference names: its ID, or the link of one of
// its copies, in any form with the same canon.Link key (else as
// any member's link, tracking parameters aside). It returns nil when none
// matches.
func (db *DB) Find(ctx context.Context, ref string) (*Item, error) {
	if strings.HasPrefix(ref, IDPrefix) {
		return db.Get(ctx, ref)
	}
	links := []string{ref}
	if k, err := canon.Link(ref); err == nil && k != ref {
		links = append(links, k)
	}
	stripped := canon.Strip(ref)
	var found *Item
	err := db.bolt.View(func(tx *bolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		for _, l := range links {
			if id := keys.Get(linkKey(l)); id != nil {
				it, err := getItem(tx, id)
				if err != nil || it != nil {
					found = it
					return err
				}
			}
		}
		c := tx.Bucket(bucketItems).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			it, err := getItem(tx, k)
			if err != nil {
				return err
			}
			for _, m := range it.Members {
				if canon.Strip(m.Link) == stripped || canon.Strip(it.Link) == stripped {
					found = it
					return nil
				}
			}
		}
		return nil
	})
	return found, err
}

// Keys returns the dedup keys that name the item with the given ID, in a
// printable form ("guid FEED GUID", "link URL", "hash FEED HASH"), and its
// SimHash.
func (db *DB) Keys(ctx context.Context, id string) ([]string, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	var out []string
	var h uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		rec, err := getRecord(tx, []byte(id))
		if err != nil || rec == nil {
			return err
		}
		h = rec.fingerprint()
		for _, k := range rec.Keys {
			kind, rest, _ := strings.Cut(k, "\x00")
			switch kind {
			case "g":
				kind = "guid"
			case "l":
				kind = "link"
			case "h":
				kind = "hash"
			}
			out = append(out, kind+" "+strings.ReplaceAll(rest, "\x00", " "))
		}
		return nil
	})
	return out, h, err
}
