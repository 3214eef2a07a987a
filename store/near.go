package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pressfeed/pressfeed/vntext"
)

// Near duplicates (Options.NearDuplicates). A story's vntext.Sketch is
// kept twice: in the sketches bucket, under the time it was first seen
// (so each new story appends one entry at the end of the bucket, one Put
// into its last page), and in memory, in a MinHash band index of the
// stories first seen within the title window, which Open rebuilds from
// the bucket's tail. A lookup reads the index and verifies candidates on
// their sketches alone; it reads a stored item only to merge into it.
//
// Stories first seen more than the title window before a copy arrives are
// not in the index: near duplicates merge with stories first seen within
// the title window (the same title and the same link merge at any age).

// bucketSketches: 12-byte time key of Seen, then the item ID without
// IDPrefix → 12-byte time key of Published, the leader's feed name (a
// uvarint length, then its bytes), then the stored vntext.Sketch.
var bucketSketches = []byte("sketches")

// sketchKey returns the key of rec's entry in the sketches bucket.
func sketchKey(seen time.Time, id string) []byte {
	return concat(timeKey(seen), []byte(strings.TrimPrefix(id, IDPrefix)))
}

func sketchValue(published time.Time, feed string, sk *vntext.Sketch) []byte {
	v := append(timeKey(published), binary.AppendUvarint(nil, uint64(len(feed)))...)
	v = append(v, feed...)
	return sk.AppendBinary(v)
}

var errSketchEntry = errors.New("malformed sketch entry")

// nearIndex is the in-memory band index of the stories first seen within
// the title window. Entries are appended in the order stories are first
// seen and dropped from the front once older than the window.
type nearIndex struct {
	mu      sync.RWMutex
	entries []nearEntry      // entries[i] has position base+i
	base    int              // position of entries[0]
	bands   map[uint64]int32 // (band number, band) → position of the newest entry with it
	byID    map[string]int   // item ID → position of its live entry
	window  time.Duration    // entries first seen longer ago are dropped
}

type nearEntry struct {
	id        string
	feed      string // the leader's feed when indexed
	published int64  // Unix nanoseconds
	seen      int64
	sketch    []byte                  // stored form, decoded when verified
	prev      [vntext.NearBands]int32 // position of the previous entry with each band; -1: none
	dead      bool                    // replaced by a later entry for the same item, or withdrawn
}

func newNearIndex(window time.Duration) *nearIndex {
	return &nearIndex{bands: make(map[uint64]int32), byID: make(map[string]int), window: window}
}

func bandKey(i int, b uint16) uint64 { return uint64(i)<<16 | uint64(b) }

// add indexes one story's sketch (stored form sk) and returns its
// position. An earlier entry of the same item is marked dead.
func (x *nearIndex) add(id, feed string, published, seen time.Time, sk []byte) (int, error) {
	bands, err := vntext.SketchBands(sk)
	if err != nil {
		return 0, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	pos := x.base + len(x.entries)
	e := nearEntry{id: id, feed: feed, published: published.UnixNano(), seen: seen.UnixNano(), sketch: sk}
	for i, b := range bands {
		k := bandKey(i, b)
		if p, ok := x.bands[k]; ok {
			e.prev[i] = p
		} else {
			e.prev[i] = -1
		}
		x.bands[k] = int32(pos)
	}
	if old, ok := x.byID[id]; ok && old >= x.base {
		x.entries[old-x.base].dead = true
	}
	x.byID[id] = pos
	x.entries = append(x.entries, e)
	x.evict(seen)
	return pos, nil
}

// withdraw marks the entry at pos dead (its transaction failed).
func (x *nearIndex) withdraw(pos int, id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if pos < x.base || pos >= x.base+len(x.entries) {
		return
	}
	x.entries[pos-x.base].dead = true
	if x.byID[id] == pos {
		delete(x.byID, id)
	}
}

// evict drops the entries first seen more than the window before now,
// from the front, and the band heads that point at them.
func (x *nearIndex) evict(now time.Time) {
	limit := now.Add(-x.window).UnixNano()
	n := 0
	for n < len(x.entries) && x.entries[n].seen < limit {
		e := &x.entries[n]
		pos := x.base + n
		bands, err := vntext.SketchBands(e.sketch)
		if err == nil {
			for i, b := range bands {
				if k := bandKey(i, b); x.bands[k] == int32(pos) {
					delete(x.bands, k) // the newest with this band: all older are gone too
				}
			}
		}
		if x.byID[e.id] == pos {
			delete(x.byID, e.id)
		}
		n++
	}
	if n == 0 {
		return
	}
	clear(x.entries[:n])
	x.entries = x.entries[n:]
	x.base += n
	// Give the dropped front back once it is most of the array.
	if cap(x.entries) > 64 && len(x.entries) < cap(x.entries)/4 {
		x.entries = slices.Clone(x.entries)
	}
}

// maxNearWalk bounds how many entries one lookup visits per band: text of
// a tiny vocabulary could put many stories in one band.
const maxNearWalk = 64

// nearCandidate is a story that may be a copy, with its similarity.
type nearCandidate struct {
	id  string
	sim float64
}

// lookup returns the stories from feeds other than feed, published within
// window of published, that vntext.SameStory finds copies of sk, most
// similar first.
func (x *nearIndex) lookup(feed string, sk *vntext.Sketch, published time.Time, window time.Duration) ([]nearCandidate, error) {
	if sk.Empty() {
		return nil, nil
	}
	from, to := published.Add(-window).UnixNano(), published.Add(window).UnixNano()
	x.mu.RLock()
	defer x.mu.RUnlock()
	// Count the bands each entry shares with sk; verify those sharing
	// vntext.NearMinBands.
	var shared map[int]int
	for i, b := range sk.Bands {
		p32, ok := x.bands[bandKey(i, b)]
		p := int(p32)
		for walked := 0; ok && p >= x.base && walked < maxNearWalk; walked++ {
			e := &x.entries[p-x.base]
			if !e.dead && e.feed != feed && e.published >= from && e.published <= to {
				if shared == nil {
					shared = make(map[int]int)
				}
				shared[p]++
			}
			p = int(e.prev[i])
			ok = p >= 0
		}
	}
	var out []nearCandidate
	for p, n := range shared {
		if n < vntext.NearMinBands {
			continue
		}
		e := &x.entries[p-x.base]
		other, err := vntext.DecodeSketch(e.sketch)
		if err != nil {
			return nil, fmt.Errorf("near index entry of %s: %w", e.id, err)
		}
		if sim, same := vntext.SameStory(sk, &other); same {
			out = append(out, nearCandidate{e.id, sim})
		}
	}
	slices.SortFunc(out, func(a, b nearCandidate) int {
		switch {
		case a.sim > b.sim:
			return -1
		case a.sim < b.sim:
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	return out, nil
}

// load rebuilds the index from the sketches bucket: the entries first seen
// within the window before now.
func (x *nearIndex) load(tx *bolt.Tx, now time.Time) error {
	c := tx.Bucket(bucketSketches).Cursor()
	for k, v := c.Seek(timeKey(now.Add(-x.window))); k != nil; k, v = c.Next() {
		if len(k) < 12 || len(v) < 13 {
			return fmt.Errorf("%w %x", errSketchEntry, k)
		}
		n, w := binary.Uvarint(v[12:])
		if w <= 0 || uint64(len(v)-12-w) < n {
			return fmt.Errorf("%w %x", errSketchEntry, k)
		}
		feed := string(v[12+w : 12+w+int(n)])
		id := IDPrefix + string(k[12:])
		if _, err := x.add(id, feed, decodeTimeKey(v[:12]), decodeTimeKey(k[:12]), bytes.Clone(v[12+w+int(n):])); err != nil {
			return fmt.Errorf("sketch of %s: %w", id, err)
		}
	}
	return nil
}

// nearAdded is an entry Add put in the index inside a write transaction,
// withdrawn if that transaction does not commit.
type nearAdded struct {
	pos int
	id  string
}

// putSketch stores the sketch of rec's current title and summary in the
// sketches bucket and returns its stored form.
func putSketch(tx *bolt.Tx, rec *record, sk *vntext.Sketch) ([]byte, error) {
	v := sketchValue(rec.Published, rec.Leader(), sk)
	b := tx.Bucket(bucketSketches)
	b.FillPercent = 0.9 // keys ascend with the time first seen
	if err := b.Put(sketchKey(rec.Seen, rec.ID), v); err != nil {
		return nil, err
	}
	return v[12+uvarintLen(len(rec.Leader()))+len(rec.Leader()):], nil
}

func uvarintLen(n int) int { return len(binary.AppendUvarint(nil, uint64(n))) }

// deleteSketch removes rec's entry from the sketches bucket, if any.
func deleteSketch(tx *bolt.Tx, rec *record) error {
	return tx.Bucket(bucketSketches).Delete(sketchKey(rec.Seen, rec.ID))
}

// findNear returns the most similar story from another feed of which in
// (sketch sk) is a copy, published within the title window, and the
// similarity; nil when there is none.
func (db *DB) findNear(tx *bolt.Tx, feed string, in *Incoming, sk *vntext.Sketch) (*record, float64, error) {
	cands, err := db.near.lookup(feed, sk, in.Published, db.opts.TitleWindow)
	if err != nil {
		return nil, 0, err
	}
	for _, c := range cands {
		rec, err := getRecord(tx, []byte(c.id))
		if err != nil {
			return nil, 0, err
		}
		if rec != nil && !rec.HasFeed(feed) {
			return rec, c.sim, nil
		}
	}
	return nil, 0, nil
}

// indexNear puts rec's sketch in the bucket and the index, and notes the
// index entry in added so that Add can withdraw it if tx fails.
func (db *DB) indexNear(tx *bolt.Tx, rec *record, sk *vntext.Sketch, added *[]nearAdded) error {
	v, err := putSketch(tx, rec, sk)
	if err != nil {
		return err
	}
	pos, err := db.near.add(rec.ID, rec.Leader(), rec.Published, rec.Seen, v)
	if err != nil {
		return err
	}
	*added = append(*added, nearAdded{pos, rec.ID})
	return nil
}
