package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
//
// One writer at a time (mu) appends and withdraws; lookups take no lock.
// They run in Add's read pass beside the writer's transaction, one lookup
// per item on each side: a reader-writer lock made one of them wait,
// parked, several thousand times in a cold pass of 20,000 items, each
// wait a sleep and a wake-up of a background thread. Instead an entry is
// written in full before the atomic stores of the heads that publish it,
// so a lookup that loads a head sees the whole entry behind it (and the
// entries its prev links reach, published before it). Entries live in
// fixed chunks that are never moved: the chunk table is replaced, never
// changed, when a chunk is added or the front ones are dropped.
type nearIndex struct {
	mu sync.Mutex // held by add, withdraw and load
	// heads holds, for band i with value v at heads[i<<16|v], the position
	// of the newest entry with it, or -1: a fixed 5 MiB whatever the
	// number of stories, and no map to grow.
	heads  []atomic.Int32
	table  atomic.Pointer[nearTable]
	base   atomic.Int64  // position of the oldest entry within the window
	next   atomic.Int64  // position of the next entry appended
	window time.Duration // entries first seen longer ago are dropped
}

// nearChunk holds the entries of nearChunkSize consecutive positions.
const nearChunkSize = 1024

type nearChunk [nearChunkSize]nearEntry

// nearTable lists the chunks in use: chunks[i] holds the positions from
// (first+i)*nearChunkSize.
type nearTable struct {
	first  int
	chunks []*nearChunk
}

// entry returns the entry at pos, or nil when t holds no chunk for it.
func (t *nearTable) entry(pos int) *nearEntry {
	i := pos/nearChunkSize - t.first
	if pos < 0 || i < 0 || i >= len(t.chunks) {
		return nil
	}
	return &t.chunks[i][pos%nearChunkSize]
}

// nearEntry is what the index keeps of one story: what finds it and
// what picks it as a candidate. Its sketch stays in the sketches bucket.
// Every field but dead is written once, before the entry is published.
type nearEntry struct {
	id        string
	feed      string // the leader's feed when indexed
	published int64  // Unix nanoseconds
	seen      int64
	mins      vntext.Packed           // the sketch's MinHash values
	prev      [vntext.NearBands]int32 // position of the previous entry with each band; -1: none
	dead      atomic.Bool             // its transaction did not commit
}

func newNearIndex(window time.Duration) *nearIndex {
	x := &nearIndex{heads: make([]atomic.Int32, vntext.NearBands<<16), window: window}
	for i := range x.heads {
		x.heads[i].Store(-1)
	}
	x.table.Store(&nearTable{})
	return x
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
	pos := int(x.next.Load())
	t := x.table.Load()
	if t.entry(pos) == nil { // a new chunk, in a new table stored before the entry is published
		first := t.first
		if len(t.chunks) == 0 {
			first = pos / nearChunkSize
		}
		t = &nearTable{first: first, chunks: append(slices.Clip(t.chunks), new(nearChunk))}
		x.table.Store(t)
	}
	e := t.entry(pos)
	e.id, e.feed, e.published, e.seen, e.mins = id, feed, published, seen, mins.Pack()
	bands := mins.Bands()
	for i, b := range bands {
		e.prev[i] = x.heads[headOf(i, b)].Load()
	}
	for i, b := range bands {
		x.heads[headOf(i, b)].Store(int32(pos))
	}
	x.next.Store(int64(pos + 1))
	return pos
}

// len returns the number of entries.
func (x *nearIndex) len() int { return int(x.next.Load() - x.base.Load()) }

// withdraw marks the entry at pos dead (its transaction failed).
func (x *nearIndex) withdraw(pos int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if pos >= int(x.base.Load()) {
		if e := x.table.Load().entry(pos); e != nil {
			e.dead.Store(true)
		}
	}
}

// evict drops the entries first seen more than the window before now,
// from the front: the base moves past them, and the chunks wholly before
// it leave the table. Heads and links that point before the base end a
// walk.
func (x *nearIndex) evict(now time.Time) {
	limit := now.Add(-x.window).UnixNano()
	t := x.table.Load()
	base, next := int(x.base.Load()), int(x.next.Load())
	n := base
	for n < next && t.entry(n).seen < limit {
		n++
	}
	if n == base {
		return
	}
	x.base.Store(int64(n))
	if drop := n/nearChunkSize - t.first; drop > 0 {
		x.table.Store(&nearTable{first: t.first + drop, chunks: slices.Clone(t.chunks[drop:])})
	}
}

// maxNearWalk bounds how many entries one lookup visits per band, and
// maxNearChecks how many candidates it compares: text of a tiny vocabulary
// could put many stories in one band, and make many of them alike.
const (
	maxNearWalk   = 16
	maxNearChecks = 4
)

// nearCand is an entry that shares a band with a lookup's sketch and
// whose MinHash values agree with it in agree places.
type nearCand struct {
	pos             int
	id              string
	seen, published int64
	agree           int
}

// candidates returns the live entries from feeds other than feed,
// published between from and to and not in differ, that share a band with
// mins and agree with them (vntext.CandidateAgreement): the maxNearChecks
// most alike, most alike first. It takes no lock (see nearIndex).
func (x *nearIndex) candidates(feed string, mins *vntext.Mins, from, to int64, differ map[string]bool) []nearCand {
	// Collisions cost 40 comparisons. Only the maxNearChecks most alike
	// are kept: text of a tiny vocabulary makes many stories alike, and
	// each check compares text.
	var top [maxNearChecks]nearCand
	n := 0
	packed := mins.Pack()
	base := int(x.base.Load())
	for i, b := range mins.Bands() {
		p := int(x.heads[headOf(i, b)].Load())
		t := x.table.Load() // after the head: it holds p's chunk unless p has left the window since
		for walked := 0; p >= base && walked < maxNearWalk; walked++ {
			e := t.entry(p)
			if e == nil {
				break
			}
			if agree := vntext.PackedAgreement(&packed, &e.mins); agree >= vntext.CandidateAgreement && !e.dead.Load() && e.feed != feed &&
				e.published >= from && e.published <= to && !differ[e.id] &&
				!slices.ContainsFunc(top[:n], func(c nearCand) bool { return c.pos == p }) {
				c := nearCand{p, e.id, e.seen, e.published, agree}
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
	return top[:n:n]
}

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
	cands := x.candidates(feed, &sk.Mins, from, to, differ)
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
// index entry in fx so that Add can withdraw it if tx fails.
func (db *DB) indexNear(tx *bolt.Tx, rec *record, sk *vntext.Sketch, fx *effects) error {
	if err := putSketch(tx, rec, sk); err != nil {
		return err
	}
	fx.near = append(fx.near, nearAdded(db.near.add(rec.ID, rec.Leader(), rec.Published, rec.Seen, sk.Mins)))
	return nil
}
