package store

import (
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

// Near duplicates (Options.NearDuplicates). Each story's vntext.Sketch
// goes to the sketches bucket under the time it was first seen, so a new
// story appends one entry at the end of the bucket (one Put into its last
// page, where the near index of SimHash bands took five random ones).
// In memory, a band index of the stories first seen within the title
// window keeps their MinHash values (vntext.Mins), which Open rebuilds
// from the bucket's tail in the background (Add waits for it). A lookup walks the bands of the item, keeps the
// entries whose values agree (vntext.Candidate), verifies those on their
// sketches (read from the bucket, never from a compressed record) and
// reads a stored item only to merge into it.
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
// seen and dropped from the front once older than the window; positions
// count every entry ever appended, so a position is never reused.
type nearIndex struct {
	mu      sync.RWMutex
	entries []nearEntry // entries[i] has position base+i
	base    int         // position of entries[0]
	// heads holds, for band i with value v at heads[i<<16|v], the position
	// of the newest entry with it, or -1: a fixed 5 MiB whatever the
	// number of stories, and no map to grow.
	heads  []int32
	window time.Duration // entries first seen longer ago are dropped
}

// nearEntry is what the index keeps of one story: what finds it and
// what picks it as a candidate. Its sketch stays in the sketches bucket.
type nearEntry struct {
	id        string
	feed      string // the leader's feed when indexed
	published int64  // Unix nanoseconds
	seen      int64
	mins      vntext.Packed           // the sketch's MinHash values
	prev      [vntext.NearBands]int32 // position of the previous entry with each band; -1: none
	dead      bool                    // its transaction did not commit
}

func newNearIndex(window time.Duration) *nearIndex {
	heads := make([]int32, vntext.NearBands<<16)
	for i := range heads {
		heads[i] = -1
	}
	return &nearIndex{heads: heads, window: window}
}

func headOf(i int, b uint16) int { return i<<16 | int(b) }

// add indexes one story (its sketch's MinHash values mins) and returns
// its position.
func (x *nearIndex) add(id, feed string, published, seen time.Time, mins vntext.Mins) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	pos := x.addLocked(id, feed, published.UnixNano(), seen.UnixNano(), mins)
	x.evict(seen)
	return pos
}

func (x *nearIndex) addLocked(id, feed string, published, seen int64, mins vntext.Mins) int {
	pos := x.base + len(x.entries)
	e := nearEntry{id: id, feed: feed, published: published, seen: seen, mins: mins.Pack()}
	for i, b := range mins.Bands() {
		h := headOf(i, b)
		e.prev[i] = x.heads[h]
		x.heads[h] = int32(pos)
	}
	x.entries = append(x.entries, e)
	return pos
}

// len returns the number of entries.
func (x *nearIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.entries)
}

// withdraw marks the entry at pos dead (its transaction failed).
func (x *nearIndex) withdraw(pos int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if pos >= x.base && pos < x.base+len(x.entries) {
		x.entries[pos-x.base].dead = true
	}
}

// evict drops the entries first seen more than the window before now,
// from the front. Heads and links that point before the front end a walk.
func (x *nearIndex) evict(now time.Time) {
	limit := now.Add(-x.window).UnixNano()
	n := 0
	for n < len(x.entries) && x.entries[n].seen < limit {
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

// maxNearWalk bounds how many entries one lookup visits per band, and
// maxNearChecks how many candidates it compares: text of a tiny vocabulary
// could put many stories in one band, and make many of them alike.
const (
	maxNearWalk   = 16
	maxNearChecks = 4
)

// nearCandidate is a story that may be a copy, with its similarity.
type nearCandidate struct {
	id  string
	sim float64
}

// lookup returns the stories from feeds other than feed, published within
// window of published, that vntext.SameStory finds copies of sk, most
// similar first. It reads their sketches from the sketches bucket in tx;
// an entry whose sketch tx does not hold (not committed yet) is skipped.
// The stories in differ were found different from sk before (Add's read
// pass) and are not compared again; those found different now are added
// to it when it is not nil.
func (x *nearIndex) lookup(tx *bolt.Tx, feed string, sk *vntext.Sketch, published time.Time, window time.Duration, differ map[string]bool) ([]nearCandidate, error) {
	if sk.Empty() {
		return nil, nil
	}
	from, to := published.Add(-window).UnixNano(), published.Add(window).UnixNano()
	type cand struct {
		pos       int
		id        string
		seen      int64
		published int64
		agree     int
	}
	// An entry that shares a band is a candidate when its MinHash values
	// agree with sk's (vntext.Candidate): collisions cost 40 comparisons.
	// Only the maxNearChecks most alike are compared: text of a tiny
	// vocabulary makes many stories alike, and each check compares text.
	var top [maxNearChecks]cand
	n := 0
	mins := sk.Mins.Pack()
	x.mu.RLock()
	for i, b := range sk.Mins.Bands() {
		p := int(x.heads[headOf(i, b)])
		for walked := 0; p >= x.base && walked < maxNearWalk; walked++ {
			e := &x.entries[p-x.base]
			if agree := vntext.PackedAgreement(&mins, &e.mins); agree >= vntext.CandidateAgreement && !e.dead && e.feed != feed &&
				e.published >= from && e.published <= to && !differ[e.id] &&
				!slices.ContainsFunc(top[:n], func(c cand) bool { return c.pos == p }) {
				c := cand{p, e.id, e.seen, e.published, agree}
				k := n // where c goes: after every candidate at least as alike
				for k > 0 && top[k-1].agree < c.agree {
					k--
				}
				if k < maxNearChecks {
					if n < maxNearChecks {
						n++
					}
					copy(top[k+1:n], top[k:n-1])
					top[k] = c
				}
			}
			p = int(e.prev[i])
		}
	}
	x.mu.RUnlock()
	cands := top[:n]
	var out []nearCandidate
	b := tx.Bucket(bucketSketches)
	for _, c := range cands {
		v := b.Get(sketchKey(time.Unix(0, c.seen), c.id))
		if v == nil {
			continue
		}
		_, _, enc, err := splitSketchValue(v)
		if err != nil {
			return nil, fmt.Errorf("sketch of %s: %w", c.id, err)
		}
		other, err := vntext.DecodeSketch(enc)
		if err != nil {
			return nil, fmt.Errorf("sketch of %s: %w", c.id, err)
		}
		if sim, same := vntext.SameStory(sk, &other); same {
			out = append(out, nearCandidate{c.id, sim})
		} else if differ != nil {
			differ[c.id] = true
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

// splitSketchValue returns the parts of a sketches entry: the time key of
// Published, the leader's feed and the stored sketch.
func splitSketchValue(v []byte) (published, feed, sk []byte, err error) {
	if len(v) < 13 {
		return nil, nil, nil, errSketchEntry
	}
	n, w := binary.Uvarint(v[12:])
	if w <= 0 || uint64(len(v)-12-w) < n {
		return nil, nil, nil, errSketchEntry
	}
	return v[:12], v[12+w : 12+w+int(n)], v[12+w+int(n):], nil
}

// load rebuilds the index from the sketches bucket: the entries first seen
// within the window before now.
func (x *nearIndex) load(tx *bolt.Tx, now time.Time) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	feeds := make(map[string]string) // one copy of each feed name
	c := tx.Bucket(bucketSketches).Cursor()
	for k, v := c.Seek(timeKey(now.Add(-x.window))); k != nil; k, v = c.Next() {
		pub, feed, enc, err := splitSketchValue(v)
		if err != nil || len(k) < 12 {
			return fmt.Errorf("%w %x", errSketchEntry, k)
		}
		mins, err := vntext.SketchMins(enc)
		if err != nil {
			return fmt.Errorf("sketch %x: %w", k, err)
		}
		f, ok := feeds[string(feed)]
		if !ok {
			f = string(feed)
			feeds[f] = f
		}
		x.addLocked(IDPrefix+string(k[12:]), f, decodeTimeKey(pub).UnixNano(), decodeTimeKey(k[:12]).UnixNano(), mins)
	}
	return nil
}

// nearAdded is the position of an entry Add put in the index inside a
// write transaction, withdrawn if that transaction does not commit.
type nearAdded int

// putSketch stores the sketch of rec's current title and summary in the
// sketches bucket.
func putSketch(tx *bolt.Tx, rec *record, sk *vntext.Sketch) error {
	b := tx.Bucket(bucketSketches)
	b.FillPercent = 0.9 // keys ascend with the time first seen
	return b.Put(sketchKey(rec.Seen, rec.ID), sketchValue(rec.Published, rec.Leader(), sk))
}

// deleteSketch removes rec's entry from the sketches bucket, if any.
func deleteSketch(tx *bolt.Tx, rec *record) error {
	return tx.Bucket(bucketSketches).Delete(sketchKey(rec.Seen, rec.ID))
}

// findNear returns the most similar story from another feed of which in
// (sketch sk) is a copy, published within the title window, and the
// similarity; nil when there is none.
func (db *DB) findNear(tx *bolt.Tx, feed string, in *Incoming, sk *vntext.Sketch, differ map[string]bool) (*record, float64, error) {
	cands, err := db.near.lookup(tx, feed, sk, in.Published, db.opts.TitleWindow, differ)
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
	if err := putSketch(tx, rec, sk); err != nil {
		return err
	}
	*added = append(*added, nearAdded(db.near.add(rec.ID, rec.Leader(), rec.Published, rec.Seen, sk.Mins)))
	return nil
}
