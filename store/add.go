package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Result counts what one Add did.
type Result struct {
	Added     int // new stories
	Merged    int // copies of a story another feed brought first
	Corrected int // stories whose leader changed its headline or text
	Known     int // items seen before (or pruned), left as they are
}

// Changed reports whether Add wrote anything about items.
func (r Result) Changed() bool { return r.Added+r.Merged+r.Corrected > 0 }

// Add stores the items of one fetch of feed in one transaction, together
// with st when st is not nil. When nothing is new it writes nothing at all,
// not even st: a fetch that brings nothing costs no commit.
//
// An item is known by its GUID within the feed, else its canonical link,
// else its content hash. An unknown item joins a story another feed brought
// when it has the same canonical link, or the same normalised title with a
// published date within the title window; otherwise it becomes a new story
// with a newly minted ID. A known item whose feed leads its story and whose
// title or summary changed corrects the story in place.
func (db *DB) Add(ctx context.Context, feed string, items []Incoming, st *FeedState) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	now := db.opts.Now().UTC()
	// A read-only pass first: most fetches bring nothing new, and a read
	// transaction costs no fsync.
	var dry Result
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		dry, err = db.apply(tx, feed, items, now, false)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("store: add %s: %w", feed, err)
	}
	if !dry.Changed() {
		return dry, nil
	}
	var res Result
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		var err error
		res, err = db.apply(tx, feed, items, now, true)
		if err != nil || st == nil {
			return err
		}
		st.Items += res.Added
		if res.Added+res.Merged > 0 {
			st.LastNew = now
		}
		return putState(tx, feed, *st)
	})
	if err != nil {
		if st != nil {
			st.Items -= res.Added
		}
		return Result{}, fmt.Errorf("store: add %s: %w", feed, err)
	}
	if res.Changed() {
		db.version.Add(1)
	}
	return res, nil
}

// apply runs the dedup rules for items inside tx; with write false it only
// counts what it would do.
func (db *DB) apply(tx *bolt.Tx, feed string, items []Incoming, now time.Time, write bool) (Result, error) {
	var res Result
	keys := tx.Bucket(bucketKeys)
	for i := range items {
		in := &items[i]
		own := ownKeys(feed, in)
		if len(own) == 0 {
			continue
		}
		id := lookup(keys, own)
		var it *Item
		if id != nil {
			id = bytes.Clone(id)
			var err error
			if it, err = getItem(tx, id); err != nil {
				return res, err
			}
			if it == nil { // a tombstone: the story was pruned
				res.Known++
				continue
			}
		} else if in.TitleKey != "" {
			var err error
			if it, err = db.findByTitle(tx, feed, in); err != nil {
				return res, err
			}
			if it != nil {
				id = []byte(it.ID)
			}
		}

		switch {
		case it == nil:
			res.Added++
			if write {
				if err := db.insert(tx, feed, in, own, now); err != nil {
					return res, err
				}
			}
			continue
		case !it.HasFeed(feed):
			res.Merged++
			by := MergedTitle
			if in.LinkKey != "" && bytes.Equal(keys.Get(linkKey(in.LinkKey)), id) {
				by = MergedLink
			}
			it.Members = append(it.Members, Member{Feed: feed, Link: in.Link, Title: in.Title, By: by, Seen: now})
		case it.Leader() == feed && corrected(it, in):
			res.Corrected++
			it.Title, it.Summary, it.Content, it.Updated = in.Title, in.Summary, in.Content, now
			it.Members[0].Title = in.Title
			if write && in.TitleKey != "" {
				if err := tx.Bucket(bucketTitles).Put(titleEntry(in.TitleKey, it), nil); err != nil {
					return res, err
				}
			}
		default:
			res.Known++
			if missing(keys, own) && write {
				// A known story under a new key (a changed GUID): remember
				// the key, so the next fetch finds it directly.
				if err := putKeys(keys, own, id); err != nil {
					return res, err
				}
			}
			continue
		}
		if write {
			if err := putKeys(keys, own, id); err != nil {
				return res, err
			}
			if err := putItem(tx, it); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// ownKeys returns the keys that identify in within its feed, strongest first.
func ownKeys(feed string, in *Incoming) [][]byte {
	var ks [][]byte
	if in.GUID != "" {
		ks = append(ks, []byte("g\x00"+feed+"\x00"+in.GUID))
	}
	if in.LinkKey != "" {
		ks = append(ks, linkKey(in.LinkKey))
	}
	if len(ks) == 0 && in.HashKey != "" {
		ks = append(ks, []byte("h\x00"+feed+"\x00"+in.HashKey))
	}
	return ks
}

func linkKey(link string) []byte { return []byte("l\x00" + link) }

// lookup returns the item ID under the first of ks that is known.
func lookup(keys *bolt.Bucket, ks [][]byte) []byte {
	for _, k := range ks {
		if id := keys.Get(k); id != nil {
			return id
		}
	}
	return nil
}

func missing(keys *bolt.Bucket, ks [][]byte) bool {
	for _, k := range ks {
		if keys.Get(k) == nil {
			return true
		}
	}
	return false
}

// putKeys points every key of ks that is not taken yet at id. A key taken by
// another story keeps pointing there: ids are never moved.
func putKeys(keys *bolt.Bucket, ks [][]byte, id []byte) error {
	for _, k := range ks {
		if keys.Get(k) == nil {
			if err := keys.Put(k, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// findByTitle returns a story from another feed with in's normalised title
// published within the title window of in, or nil.
func (db *DB) findByTitle(tx *bolt.Tx, feed string, in *Incoming) (*Item, error) {
	prefix := []byte(in.TitleKey + "\x00")
	c := tx.Bucket(bucketTitles).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		rest := k[len(prefix):]
		if len(rest) <= 12 {
			continue
		}
		if d := decodeTimeKey(rest[:12]).Sub(in.Published); d > db.opts.TitleWindow || d < -db.opts.TitleWindow {
			continue
		}
		it, err := getItem(tx, rest[12:])
		if err != nil {
			return nil, err
		}
		if it != nil && !it.HasFeed(feed) {
			return it, nil
		}
	}
	return nil, nil
}

func titleEntry(titleKey string, it *Item) []byte {
	return concat([]byte(titleKey), []byte{0}, timeKey(it.Published), []byte(it.ID))
}

func (db *DB) insert(tx *bolt.Tx, feed string, in *Incoming, own [][]byte, now time.Time) error {
	it := in.Item
	it.ID = mintID(string(own[0]), now)
	it.Seen = now
	it.Updated = time.Time{}
	if it.Published.IsZero() {
		it.Published = now
	}
	it.Members = []Member{{Feed: feed, Link: in.Link, Title: in.Title, By: MergedFirst, Seen: now}}
	id := []byte(it.ID)
	if tx.Bucket(bucketItems).Get(id) != nil {
		return fmt.Errorf("minted id %s twice", it.ID)
	}
	if err := putKeys(tx.Bucket(bucketKeys), own, id); err != nil {
		return err
	}
	if err := putItem(tx, &it); err != nil {
		return err
	}
	byTime := tx.Bucket(bucketByTime)
	byTime.FillPercent = 0.9
	if err := byTime.Put(concat(timeKey(it.Published), id), nil); err != nil {
		return err
	}
	bySeen := tx.Bucket(bucketBySeen)
	bySeen.FillPercent = 0.9
	if err := bySeen.Put(concat(timeKey(it.Seen), id), nil); err != nil {
		return err
	}
	if in.TitleKey != "" {
		return tx.Bucket(bucketTitles).Put(titleEntry(in.TitleKey, &it), nil)
	}
	return nil
}

func putItem(tx *bolt.Tx, it *Item) error {
	v, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("encode item %s: %w", it.ID, err)
	}
	return tx.Bucket(bucketItems).Put([]byte(it.ID), v)
}

// corrected reports whether in changes the headline or text of it in more
// than white space.
func corrected(it *Item, in *Incoming) bool {
	return !sameText(it.Title, in.Title) || !sameText(it.Summary, in.Summary)
}

func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}
