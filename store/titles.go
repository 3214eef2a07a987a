package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The titles index is written behind. A new title entry (titleEntry) goes
// to the title_log bucket, appended under its sequence number in the
// transaction that stores its story, and to the tail, in memory, which
// lookups read beside the titles bucket. Once the tail holds titleFlushAt
// entries, one transaction puts them all into titles, in key order, and
// empties the log; Open reads the log back into the tail, so a crash
// loses nothing.
//
// Why: a titles key starts with a hash, so each Put lands on a random leaf
// page, and a commit of one feed's 50 new stories rewrote about 45 pages
// of titles alone, a third of the pages it wrote. Appending to the log
// touches one page; the flush writes each page of titles once for
// thousands of entries.
//
// The tail changes only in transactions that run in the writer's slot
// (Add's, Prune's and the flush) and is undone with them (see effects),
// so that a flush never empties the log of an entry whose change is being
// undone. Prune deletes from the tail as from titles; the flush leaves out
// any entry whose item is gone all the same.

var bucketTitleLog = []byte("title_log")

// titleFlushAt is the size of the tail that makes the writer flush it
// (DB.flushAt, which tests lower).
const titleFlushAt = 4096

// Operations of title_log values: the first byte, then the titles key.
const (
	logPut    = '+'
	logDelete = '-'
)

// titleTail is the title entries in title_log, by titlePrefix.
type titleTail struct {
	mu   sync.Mutex
	keys map[string][]string
	n    int
}

func (t *titleTail) add(k string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := k[:titlePrefixLen]
	if slices.Contains(t.keys[p], k) {
		return false
	}
	if t.keys == nil {
		t.keys = make(map[string][]string)
	}
	t.keys[p] = append(t.keys[p], k)
	t.n++
	return true
}

func (t *titleTail) remove(k string) bool {
	if len(k) < titlePrefixLen || k[0] != 0 {
		return false // an entry of the earlier form (legacyTitleEntry), never in the tail
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := k[:titlePrefixLen]
	ks := t.keys[p]
	i := slices.Index(ks, k)
	if i < 0 {
		return false
	}
	if len(ks) == 1 {
		delete(t.keys, p)
	} else {
		t.keys[p] = slices.Delete(slices.Clone(ks), i, i+1)
	}
	t.n--
	return true
}

// lookup returns the entries under prefix. The slice is not changed
// afterwards (remove replaces it).
func (t *titleTail) lookup(prefix []byte) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.keys[string(prefix)]
}

func (t *titleTail) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// sorted returns every entry, in key order.
func (t *titleTail) sorted() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, t.n)
	for _, ks := range t.keys {
		out = append(out, ks...)
	}
	slices.Sort(out)
	return out
}

// effects are what a write transaction of Add did outside the file, which
// undo takes back when it does not commit.
type effects struct {
	near   []nearAdded // near index entries
	titles []titleOp   // tail changes, in order
}

type titleOp struct {
	key string
	put bool // else removed
}

func (fx *effects) reset() {
	fx.near, fx.titles = fx.near[:0], fx.titles[:0]
}

// undo withdraws fx's near index entries and reverses its tail changes.
func (db *DB) undo(fx *effects) {
	for _, a := range fx.near {
		db.near.withdraw(int(a))
	}
	for i := len(fx.titles) - 1; i >= 0; i-- {
		if op := fx.titles[i]; op.put {
			db.tail.remove(op.key)
		} else {
			db.tail.add(op.key)
		}
	}
	fx.reset()
}

// updateInSlot runs fn in a write transaction in the writer's slot, as
// the tail wants (see above), and undoes fn's effects when the
// transaction does not commit.
func (db *DB) updateInSlot(fn func(*bolt.Tx, *effects) error) error {
	db.commits.slot <- struct{}{}
	defer func() { <-db.commits.slot }()
	var fx effects
	err := db.update(func(tx *bolt.Tx) error {
		fx.reset()
		return fn(tx, &fx)
	})
	if err != nil {
		db.undo(&fx)
	}
	return err
}

// putTitle indexes the titles key k: in title_log and the tail.
func (db *DB) putTitle(tx *bolt.Tx, k []byte, fx *effects) error {
	if !db.tail.add(string(k)) {
		return nil
	}
	fx.titles = append(fx.titles, titleOp{string(k), true})
	return logTitle(tx, logPut, k)
}

// deleteTitle removes the titles key k from titles, and from the tail and
// (by a log entry) the tail a restart reads back.
func (db *DB) deleteTitle(tx *bolt.Tx, k []byte, fx *effects) error {
	if err := tx.Bucket(bucketTitles).Delete(k); err != nil {
		return err
	}
	if !db.tail.remove(string(k)) {
		return nil
	}
	fx.titles = append(fx.titles, titleOp{string(k), false})
	return logTitle(tx, logDelete, k)
}

func logTitle(tx *bolt.Tx, op byte, k []byte) error {
	b := tx.Bucket(bucketTitleLog)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	b.FillPercent = 1 // keys ascend
	return b.Put(binary.BigEndian.AppendUint64(nil, seq), append([]byte{op}, k...))
}

// loadTitleLog reads title_log into the tail.
func (db *DB) loadTitleLog(tx *bolt.Tx) error {
	return tx.Bucket(bucketTitleLog).ForEach(func(seq, v []byte) error {
		if len(v) < 1+titlePrefixLen || v[1] != 0 {
			return fmt.Errorf("store: title log entry %x: %q", seq, v)
		}
		if v[0] == logPut {
			db.tail.add(string(v[1:]))
		} else {
			db.tail.remove(string(v[1:]))
		}
		return nil
	})
}

// flushTitles puts the tail into titles (leaving out entries of items
// pruned meanwhile) and empties title_log, in one transaction; the tail
// is emptied once it commits. It runs in the writer's slot.
func (db *DB) flushTitles() error {
	var keys []string
	err := db.update(func(tx *bolt.Tx) error {
		keys = db.tail.sorted()
		titles, items := tx.Bucket(bucketTitles), tx.Bucket(bucketItems)
		for _, k := range keys {
			if items.Get([]byte(k[titlePrefixLen+12:])) == nil {
				continue
			}
			if err := titles.Put([]byte(k), nil); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bucketTitleLog); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketTitleLog)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: flush the title log: %w", err)
	}
	for _, k := range keys {
		db.tail.remove(k)
	}
	return nil
}
