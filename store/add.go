package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/vntext"
)

// Result counts what one Add did.
type Result struct {
	Added     int // new stories
	Merged    int // copies of a story another feed brought first
	Corrected int // stories whose leader changed its headline or text
	Known     int // items seen before (or pruned), left as they are

	touched int // tombstones whose last-seen time needs writing
}

// Changed reports whether Add wrote anything about items.
func (r Result) Changed() bool { return r.Added+r.Merged+r.Corrected > 0 }

// Add stores the items of one fetch of feed in one transaction, together
// with st when st is not nil. When nothing is new it writes nothing at all,
// not even st: a fetch that brings nothing costs no commit (except, at most
// once in a while, to note that a source still lists a pruned item).
//
// The transaction runs in the Writer runner and may be shared: writes of
// Add and SaveStates that queue while another transaction runs commit
// together in the next one (group commit, no timer). Add returns once its
// items are committed, with its own Result; the writes that share its
// transaction see each other, so two feeds bringing the same story in one
// transaction make one story, as one after the other. When another write
// of the transaction fails, Add's is retried alone. A ctx that ends while
// Add waits for the writer returns its cause and writes nothing; once the
// transaction has taken Add's write, Add waits for its outcome.
//
// An item is known by its GUID within the feed, else its canonical link,
// else its content hash. An unknown item joins a story another feed brought
// when it has the same canonical link, or the same normalised title with a
// published date within the title window, or (with Options.NearDuplicates)
// is a lightly edited copy of it within the title window; otherwise it
// becomes a new story with a newly minted ID. A known item whose feed leads
// its story and whose title or summary changed corrects the story in place.
//
// The member published first leads a story (Members[0]): its title, link,
// summary, content, author and date are the item's. A copy that joins a
// story with an earlier date than the leader's takes the lead (see
// takesLead); the ID stays. A story another outlet joins, leading or not,
// gets Updated: its attribution changed.
//
// A write that fails because the file is full returns an error wrapping
// ErrFull; nothing of that fetch is stored.
func (db *DB) Add(ctx context.Context, feed string, items []Incoming, st *FeedState) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if db.nearReady != nil {
		select { // Open rebuilds the near index in the background
		case <-db.nearReady:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	var fx effects // what the write transaction did outside the file
	now := db.opts.Now().UTC()
	plans := make([]plan, len(items))
	var dry Result
	var err error
	// The work before the write transaction runs as Background, the
	// transaction as Writer: with the daemon's CPU policy a fetch waiting
	// for bbolt's one writer then keeps no core idle.
	if cerr := db.opts.Background.Run(ctx, func() { dry, err = db.prepare(feed, items, plans, now) }); cerr != nil {
		return Result{}, fmt.Errorf("store: add %s: %w", feed, cerr)
	}
	if err != nil {
		return Result{}, fmt.Errorf("store: add %s: %w", feed, err)
	}
	if !dry.Changed() && dry.touched == 0 {
		return dry, nil
	}
	var res Result
	err = db.write(ctx, func(tx *bolt.Tx) error {
		if err := db.checkReserve(tx); err != nil {
			return err
		}
		var err error
		fx.reset()
		res, err = db.apply(tx, feed, items, plans, now, &fx)
		if err != nil || st == nil {
			return err
		}
		st2 := *st
		st2.Items += res.Added
		if res.Added+res.Merged > 0 {
			st2.LastNew = now
		}
		return putState(tx, feed, st2)
	}, func() { db.undo(&fx) }) // the transaction did not commit
	if err != nil {
		return Result{}, fmt.Errorf("store: add %s: %w", feed, err)
	}
	if st != nil {
		st.Items += res.Added
		if res.Added+res.Merged > 0 {
			st.LastNew = now
		}
		db.unmarkCommitted(map[string]FeedState{feed: *st})
	}
	if res.Changed() {
		db.version.Add(1)
	}
	return res, nil
}

// prepare is Add's work before its write transaction: a read-only pass
// first, as most fetches bring nothing new and a read transaction costs
// no fsync; then, as bbolt runs one write transaction at a time, it builds
// the stories the read pass found new, so that concurrent Adds do that side
// by side and the transaction is left the lookups and Puts. Another
// writer may commit in between: the write pass decides afresh, uses what
// it too finds new and builds what was not prepared.
func (db *DB) prepare(feed string, items []Incoming, plans []plan, now time.Time) (Result, error) {
	for i := range items {
		plans[i].own = ownKeys(feed, &items[i])
	}
	var dry Result
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		dry, err = db.apply(tx, feed, items, plans, now, nil)
		return err
	})
	if err != nil || (!dry.Changed() && dry.touched == 0) {
		return dry, err
	}
	for i := range plans {
		if plans[i].isNew {
			plans[i].story = db.story(feed, &items[i], plans[i].own, now)
		}
	}
	return dry, nil
}

// A plan is what Add works out about one item before its write
// transaction.
type plan struct {
	own    [][]byte        // ownKeys of the item
	isNew  bool            // the read pass found it new
	story  *newStory       // the item as a new story, when isNew
	sketch *vntext.Sketch  // of the item's title and summary, once needed
	differ map[string]bool // stories findNear found different from the item
}

// sketchOf returns the sketch of in, computing it once.
func (p *plan) sketchOf(in *Incoming) *vntext.Sketch {
	if p.sketch == nil {
		sk := vntext.NewSketch(in.Title, in.Summary)
		p.sketch = &sk
	}
	return p.sketch
}

// apply runs the dedup rules for items inside tx. With fx nil it only
// counts what it would do and marks in plans the items it finds new; else
// it writes, and notes in fx what it did outside the file.
func (db *DB) apply(tx *bolt.Tx, feed string, items []Incoming, plans []plan, now time.Time, fx *effects) (Result, error) {
	write := fx != nil
	var res Result
	keys := tx.Bucket(bucketKeys)
	for i := range items {
		in, pl := &items[i], &plans[i]
		if len(pl.own) == 0 {
			continue
		}
		rec, by, sim, err := db.match(tx, feed, in, pl, now, write, &res)
		if err != nil {
			return res, err
		}
		var before *Item // the story before this item joined it, for Options.Enqueue
		switch {
		case rec == nil && by == "":
			continue // a pruned story's tombstone: counted by match
		case rec == nil:
			res.Added++
			if !write {
				pl.isNew = true
			} else if err := db.addStory(tx, feed, in, pl, now, fx); err != nil {
				return res, err
			}
			continue
		case !rec.HasFeed(feed):
			res.Merged++
			if write && db.opts.Enqueue != nil {
				before = new(Item)
				*before = rec.Item
				before.Members = slices.Clone(rec.Members)
			}
			if err := db.join(tx, feed, rec, in, by, sim, now, write, fx); err != nil {
				return res, err
			}
		case rec.Leader() == feed && corrected(&rec.Item, in):
			res.Corrected++
			if err := db.correct(tx, rec, in, now, write, fx); err != nil {
				return res, err
			}
		default:
			res.Known++
			if missing(keys, pl.own) && write {
				// A known story under a new key (a changed GUID): remember
				// the key, so the next fetch finds it directly.
				if err := addKeys(keys, rec, pl.own); err != nil {
					return res, err
				}
				if err := putRecord(tx, rec); err != nil {
					return res, err
				}
			}
			continue
		}
		if write {
			if err := addKeys(keys, rec, pl.own); err != nil {
				return res, err
			}
			if err := putRecord(tx, rec); err != nil {
				return res, err
			}
			if before != nil {
				if err := db.enqueue(tx, &rec.Item, before); err != nil {
					return res, err
				}
			}
		}
	}
	return res, nil
}

// match finds the story in belongs to: by its own keys, else by its
// title, else (near duplicates) by its sketch; by says which rule found
// it, sim the similarity of a near copy. A story found by its keys but
// pruned (a tombstone) is counted in res as known, and match returns no
// story and no rule; with write, the tombstone's last-seen time is noted.
func (db *DB) match(tx *bolt.Tx, feed string, in *Incoming, pl *plan, now time.Time, write bool, res *Result) (rec *record, by string, sim float64, err error) {
	keys := tx.Bucket(bucketKeys)
	by = MergedTitle
	if id := lookup(keys, pl.own); id != nil {
		id = bytes.Clone(id)
		if rec, err = getRecord(tx, id); err != nil {
			return nil, "", 0, err
		}
		if rec == nil { // a tombstone: the story was pruned
			res.Known++
			touched, err := db.touchTomb(tx, id, now, write)
			if touched {
				res.touched++
			}
			return nil, "", 0, err
		}
		if in.LinkKey != "" && bytes.Equal(keys.Get(linkKey(in.LinkKey)), id) {
			by = MergedLink
		}
		return rec, by, 0, nil
	}
	if in.TitleKey != "" {
		if rec, err = db.findByTitle(tx, feed, in); err != nil || rec != nil {
			return rec, by, 0, err
		}
	}
	if db.near != nil {
		if pl.differ == nil {
			pl.differ = make(map[string]bool)
		}
		rec, sim, err = db.findNear(tx, feed, in, pl.sketchOf(in), pl.differ)
		return rec, MergedNear, sim, err
	}
	return nil, by, 0, nil
}

// addStory stores in as a new story: the one prepare built, or built now
// when a write in between took its match away; then indexes its sketch
// and queues it for the deliveries.
func (db *DB) addStory(tx *bolt.Tx, feed string, in *Incoming, pl *plan, now time.Time, fx *effects) error {
	s := pl.story
	if s == nil {
		s = db.story(feed, in, pl.own, now)
	}
	if err := insert(tx, s, pl.own); err != nil {
		return err
	}
	if s.title != nil {
		if err := db.putTitle(tx, s.title, fx); err != nil {
			return err
		}
	}
	if db.near != nil {
		if err := db.indexNear(tx, s.rec, pl.sketchOf(in), fx); err != nil {
			return err
		}
	}
	return db.enqueue(tx, &s.rec.Item, nil)
}

// join makes in, from feed, a member of rec, found by the rule by: its
// leader when published first (see takesLead), else the last member.
func (db *DB) join(tx *bolt.Tx, feed string, rec *record, in *Incoming, by string, sim float64, now time.Time, write bool, fx *effects) error {
	m := member(feed, in, by, now)
	if by == MergedNear {
		m.Similarity = sim
	}
	rec.Updated = now
	if takesLead(rec, in, &m) {
		return db.takeLead(tx, rec, in, m, write, fx)
	}
	m.Lead = lead(in.Summary)
	rec.Members = append(rec.Members, m)
	return nil
}

// correct takes the leader's changed headline and text into rec, and with
// write indexes the new title and sketch.
func (db *DB) correct(tx *bolt.Tx, rec *record, in *Incoming, now time.Time, write bool, fx *effects) error {
	rec.Title, rec.Summary, rec.Content, rec.Updated = in.Title, in.Summary, in.Content, now
	rec.Members[0].Title = in.Title
	if !write {
		return nil
	}
	if in.TitleKey != "" {
		if err := db.addTitle(tx, rec, in.TitleKey, fx); err != nil {
			return err
		}
	}
	if db.near == nil {
		return nil
	}
	sk := vntext.NewSketch(in.Title, in.Summary)
	return db.indexNear(tx, rec, &sk, fx)
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

// linkKey returns the keys bucket's key of a canonical link. bbolt refuses
// keys over bolt.MaxKeySize, and a feed can write a longer link: such a
// link is keyed by its SHA-256 instead, which keeps equal links equal (and
// changes no key a store could already hold).
func linkKey(link string) []byte {
	k := []byte("l\x00" + link)
	if len(k) <= bolt.MaxKeySize {
		return k
	}
	sum := sha256.Sum256([]byte(link))
	return []byte("l\x00sha256:" + hex.EncodeToString(sum[:]))
}

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

// findByTitle returns a story from another feed with in's normalised title
// published within the title window of in, or nil. It reads the titles
// bucket and the tail of entries not yet in it (see titles.go), and
// entries of the earlier form too when the file held some when opened
// (see titleEntry).
func (db *DB) findByTitle(tx *bolt.Tx, feed string, in *Incoming) (*record, error) {
	// at returns the story of the entry k under prefix, if it matches.
	at := func(prefix, k []byte) (*record, error) {
		rest := k[len(prefix):]
		if len(rest) <= 12 {
			return nil, nil
		}
		if d := decodeTimeKey(rest[:12]).Sub(in.Published); d > db.opts.TitleWindow || d < -db.opts.TitleWindow {
			return nil, nil
		}
		rec, err := getRecord(tx, rest[12:])
		if err != nil {
			return nil, err
		}
		// The record lists its title keys: a hash shared by two titles
		// never merges their stories.
		if rec != nil && !rec.HasFeed(feed) && slices.Contains(rec.Titles, in.TitleKey) {
			return rec, nil
		}
		return nil, nil
	}
	prefix := titlePrefix(in.TitleKey)
	for _, k := range db.tail.lookup(prefix) {
		if rec, err := at(prefix, []byte(k)); rec != nil || err != nil {
			return rec, err
		}
	}
	c := tx.Bucket(bucketTitles).Cursor()
	prefixes := [][]byte{prefix}
	if db.legacyTitles {
		prefixes = append(prefixes, []byte(in.TitleKey+"\x00"))
	}
	for _, prefix := range prefixes {
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if rec, err := at(prefix, k); rec != nil || err != nil {
				return rec, err
			}
		}
	}
	return nil, nil
}

// titleEntry returns the titles key of it under titleKey: a 0 byte, 12
// bytes of the SHA-256 of titleKey, the publication time and the item ID.
// Stores written by earlier versions hold the longer legacyTitleEntry
// too; lookups and deletions handle both.
func titleEntry(titleKey string, it *Item) []byte {
	return concat(titlePrefix(titleKey), timeKey(it.Published), []byte(it.ID))
}

func titlePrefix(titleKey string) []byte {
	h := sha256.Sum256([]byte(titleKey))
	return append([]byte{0}, h[:12]...)
}

// titlePrefixLen is the length of titlePrefix: a 0 byte and 12 of a hash.
const titlePrefixLen = 13

// legacyTitleEntry is the first form of a titles key: titleKey itself (a
// normalised title never starts with a 0 byte), a 0 byte, the time and
// the item ID.
func legacyTitleEntry(titleKey string, it *Item) []byte {
	return concat([]byte(titleKey), []byte{0}, timeKey(it.Published), []byte(it.ID))
}

// newStory is an item made a new story, ready to store: its record, the
// record's stored form and the index entries naming it. It depends only on
// the item, its keys and the time, so Add builds it before its write
// transaction.
type newStory struct {
	rec    *record
	enc    []byte // encodeRecord(rec)
	byTime []byte // by_time key
	bySeen []byte // by_seen key
	title  []byte // titles key; nil when the item has no TitleKey
}

// story makes in, identified by own, a new story first seen now. The
// record names all of own: insert stores it only when no key of own is
// known.
func (db *DB) story(feed string, in *Incoming, own [][]byte, now time.Time) *newStory {
	rec := &record{Item: in.Item}
	rec.ID = mintID(string(own[0]), now)
	rec.Seen = now
	rec.Updated = time.Time{}
	if rec.Published.IsZero() {
		rec.Published = now
	}
	rec.Link = canon.Strip(rec.Link)
	rec.Members = []Member{member(feed, in, MergedFirst, now)}
	rec.Keys = make([]string, len(own))
	for i, k := range own {
		rec.Keys[i] = string(k)
	}
	id := []byte(rec.ID)
	s := &newStory{rec: rec, byTime: concat(timeKey(rec.Published), id), bySeen: concat(timeKey(rec.Seen), id)}
	if in.TitleKey != "" {
		rec.Titles = []string{in.TitleKey}
		s.title = titleEntry(in.TitleKey, &rec.Item)
	}
	s.enc = encodeRecord(rec)
	return s
}

// insert stores the new story s, whose keys own are all unknown in tx.
func insert(tx *bolt.Tx, s *newStory, own [][]byte) error {
	rec := s.rec
	id := []byte(rec.ID)
	if tx.Bucket(bucketItems).Get(id) != nil {
		return fmt.Errorf("minted id %s twice", rec.ID)
	}
	want := rec.Keys
	rec.Keys = nil
	if err := addKeys(tx.Bucket(bucketKeys), rec, own); err != nil {
		return err
	}
	enc := s.enc
	if !slices.Equal(rec.Keys, want) {
		// Some key of own is taken after all, and the record must not
		// list it. (Add looks every key up first, so this does not
		// happen; s.enc would be wrong if it did.)
		enc = encodeRecord(rec)
	}
	// by_time takes bbolt's default fill: publication times arrive in no
	// order across feeds, and 0.9 leaves a page split in the middle 10%
	// full (0.37 on average, measured).
	if err := tx.Bucket(bucketByTime).Put(s.byTime, nil); err != nil {
		return err
	}
	bySeen := tx.Bucket(bucketBySeen)
	bySeen.FillPercent = 0.9
	if err := bySeen.Put(s.bySeen, nil); err != nil {
		return err
	}
	items := tx.Bucket(bucketItems)
	items.FillPercent = 1 // ids ascend (see mintID); with 0.9 a page of ~1.3 KB records held two
	return items.Put(id, enc)
}

// member returns in as a member of a story, from feed, merged by by.
func member(feed string, in *Incoming, by string, now time.Time) Member {
	m := Member{Feed: feed, Link: canon.Strip(in.Link), Title: in.Title, By: by, Seen: now,
		Published: in.Published, Undated: !in.Dated}
	if m.Published.IsZero() {
		m.Published = now
	}
	return m
}

// takesLead reports whether m, the copy in joining rec, was published
// before rec's leader. Ties keep the leader (the first seen). A copy whose
// source gave no date has its fetch time as date, which says only that it
// was published by then: it never takes the lead, or any outlet that
// dates its items a few minutes ahead (a date up to 10 minutes after
// first-seen time stands, see the fetcher) would lose it to an undated
// copy fetched in between. An undated leader, on the other hand, yields
// to any copy dated before it was first seen.
func takesLead(rec *record, in *Incoming, m *Member) bool {
	return in.Dated && !m.Undated && m.Published.Before(rec.Published)
}

// takeLead makes m, the copy in joining rec, rec's leader: in's headline,
// link, text, author and date become the item's, and the former leader
// becomes the second member, keeping its lead for keyword matching. With
// write it moves the index entries keyed by the item's date (by_time,
// titles) to the new date, indexes in's title, and puts the new leader's
// sketch in the near index.
func (db *DB) takeLead(tx *bolt.Tx, rec *record, in *Incoming, m Member, write bool, fx *effects) error {
	id := []byte(rec.ID)
	if write {
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
	}
	old := rec.Members[0]
	old.Lead = lead(rec.Summary)
	if old.Published.IsZero() { // a record written before members kept dates
		old.Published = rec.Published
	}
	rec.Members = append([]Member{m, old}, rec.Members[1:]...)
	rec.Title, rec.Link, rec.Summary, rec.Content, rec.Author = in.Title, m.Link, in.Summary, in.Content, in.Author
	rec.Published = m.Published
	if !write {
		return nil
	}
	if err := tx.Bucket(bucketByTime).Put(concat(timeKey(rec.Published), id), nil); err != nil {
		return err
	}
	for _, tk := range rec.Titles {
		if err := db.putTitle(tx, titleEntry(tk, &rec.Item), fx); err != nil {
			return err
		}
	}
	if in.TitleKey != "" {
		if err := db.addTitle(tx, rec, in.TitleKey, fx); err != nil {
			return err
		}
	}
	if db.near == nil {
		return nil
	}
	// The story is now known by the new leader's text and date.
	sk := vntext.NewSketch(in.Title, in.Summary)
	return db.indexNear(tx, rec, &sk, fx)
}

// lead returns the start of summary kept as a member's Lead: at most
// MaxLead bytes, cut after a whole word when it is longer.
func lead(summary string) string {
	if len(summary) <= MaxLead {
		return summary
	}
	cut := MaxLead
	for cut > 0 && !utf8.RuneStart(summary[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(summary[:cut], ' '); sp > 0 {
		cut = sp
	}
	return summary[:cut]
}

// corrected reports whether in changes the headline or text of it in more
// than white space.
func corrected(it *Item, in *Incoming) bool {
	return !sameText(it.Title, in.Title) || !sameText(it.Summary, in.Summary)
}

func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// Add leaves 1/pruneReserve of Options.MaxSize to Prune. Deleting needs
// free pages (bbolt copies every page it changes, and the tombs it leaves
// take room), so a file that Add filled to the last page could not be
// pruned.
const pruneReserve = 8

// checkReserve fails with ErrMaxSizeReached when the pages in use (the
// file's high-water mark less its free pages, as of the last commit)
// already reach into the part of Options.MaxSize kept for Prune.
func (db *DB) checkReserve(tx *bolt.Tx) error {
	if db.opts.MaxSize <= 0 {
		return nil
	}
	st := db.bolt.Stats()
	used := tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(db.bolt.Info().PageSize)
	if limit := int64(db.opts.MaxSize - db.opts.MaxSize/pruneReserve); used > limit {
		return fmt.Errorf("%w: %d bytes in use, the last %d are kept for pruning", berrors.ErrMaxSizeReached, used, int64(db.opts.MaxSize)-limit)
	}
	return nil
}
