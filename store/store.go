// Package store keeps feed items, their dedup keys and per-feed state in one
// bbolt file.
//
// Buckets and keys (changing them needs a migration; see schemaVersion):
//
//	meta       "schema" → decimal schema version (5; see migrate.go for 1
//	           to 4); "rewrite" → present while records of schema 2 remain
//	items      item ID → binary record (see codec.go): the Item, its dedup
//	           keys and the titles it is indexed under (records of schema 3
//	           may hold a SimHash); compressed when that makes it smaller
//	           (S2 after packing Vietnamese letters; earlier ones zstd)
//	by_time    12-byte time key of Published, then item ID → nil (newest is last)
//	by_seen    12-byte time key of Seen, then item ID → nil (oldest first; pruning)
//	keys       dedup key → item ID; outlives Prune so pruned items are not re-added
//	titles     0x00, 12 bytes of the SHA-256 of the normalised title, 12-byte
//	           time key of Published, item ID → nil (files of earlier
//	           versions may hold the normalised title, 0x00, time, ID)
//	title_log  8-byte sequence number → '+' or '-', then a titles key: the
//	           entries written since the last flush into titles (see titles.go)
//	sketches   12-byte time key of Seen, item ID without IDPrefix → time
//	           key of Published, leader's feed, vntext.Sketch of the title
//	           and summary (only with Options.NearDuplicates; see near.go)
//	tombs      item ID of a pruned item → 12-byte time key of the last time a
//	           source listed it, then its dedup keys as JSON
//	tomb_time  that time key, then item ID → nil (oldest first; expiry)
//	feeds      feed name → JSON FeedState
//
// Dedup keys are "g\x00feed\x00guid" (a GUID, scoped to its feed),
// "l\x00link" (a canonical link, shared by all feeds; "l\x00sha256:" and its
// hash in hex for a link too long for a key) and
// "h\x00feed\x00hash" (a content hash, for items with neither).
//
// Invariants: every item in items has exactly one entry in by_time and in
// by_seen, its record lists every key and title entry that names it, and
// its sketches entry, if any, is keyed by its Seen; every tomb has exactly one entry in tomb_time; an item ID, once
// minted, is never reused for another story; all writes for one fetched feed
// happen in one transaction, and none happens when the fetch brings nothing
// new (but for a rare refresh of a tomb's last-seen time).
//
// Group commit: the write transactions of Add and SaveStates that arrive
// while another one runs queue, and the next transaction runs all of them
// and commits once (see commit.go). Each caller still returns only after
// its own writes are committed, with its own result; a request that fails
// is retried alone and fails no other; the requests of one transaction see
// each other's writes, so dedup is the same as one after the other.
package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// schemaVersion is the bucket layout this package reads and writes.
// Schema 5 is schema 4 with records of codec tag 3 (recS2VN), which a
// pressfeed that reads schema 4 cannot decode: it refuses the file with
// a clear error instead of failing on its newer records.
const schemaVersion = 5

var (
	bucketMeta   = []byte("meta")
	bucketItems  = []byte("items")
	bucketByTime = []byte("by_time")
	bucketBySeen = []byte("by_seen")
	bucketKeys   = []byte("keys")
	bucketTitles = []byte("titles")
	bucketFeeds  = []byte("feeds")
	bucketNear   = []byte("near") // schemas 2 and 3: SimHash bands; deleted by the upgrade to 4
	bucketTombs  = []byte("tombs")
	bucketTombAt = []byte("tomb_time")
	allBuckets   = [][]byte{bucketMeta, bucketItems, bucketByTime, bucketBySeen, bucketKeys, bucketTitles, bucketFeeds,
		bucketSketches, bucketTombs, bucketTombAt, bucketTitleLog}
)

const defaultLockTimeout = time.Second

// DefaultTitleWindow is Options.TitleWindow's default, and the config's.
const DefaultTitleWindow = 48 * time.Hour

// ErrLocked means another process holds the database file.
var ErrLocked = errors.New("store: database is locked")

// ErrFull means a write failed because the file reached Options.MaxSize (for
// Add, the part of it not kept for Prune) or the disk is full. Reads go on;
// writes resume once Prune frees pages.
var ErrFull = errors.New("store: database is full")

// Options tune a DB. The zero value works.
type Options struct {
	TitleWindow time.Duration // same title from two feeds within this = one story; default 48h
	LockTimeout time.Duration // how long Open waits for the file lock; default 1s
	// MaxSize is the largest file size in bytes; 0: no limit. Add fails
	// with ErrFull once the pages in use pass seven eighths of it: the
	// rest is kept for Prune, which needs free pages to delete.
	MaxSize int
	// NearDuplicates also merges copies of a story from other feeds, as
	// outlets edit wire stories, with stories first seen within
	// TitleWindow (see vntext.SameStory and near.go).
	NearDuplicates bool
	// Enqueue names the deliveries that must send it, an item Add made
	// (before nil) or that another outlet joined (before: the item as it
	// was); Add writes their outbox entries in its transaction (see
	// outbox.go). nil: no deliveries.
	Enqueue func(it, before *Item) []string
	// Background runs Add's work before its write transaction, Writer the
	// write transactions of Add and SaveStates (one at a time: bbolt has
	// one writer); nil runs them on the calling goroutine. The daemon
	// passes its CPU policy.
	Background, Writer Runner
	Now                func() time.Time // default time.Now
	Logger             *slog.Logger     // default discards

	// NoCreate makes Open fail with an error matching fs.ErrNotExist
	// when there is no file at path, instead of creating it and its folder.
	NoCreate bool
}

// DB is an open store. Its methods are safe for concurrent use.
type DB struct {
	bolt    *bolt.DB
	opts    Options
	path    string
	version atomic.Uint64 // bumped after every commit that changes items
	// writeErr holds the last write failure for lack of space (ErrFull),
	// nil after a successful write.
	writeErr  atomic.Pointer[error] // what WriteErr returns
	retention atomic.Int64          // now-before of the last Prune, in nanoseconds
	// legacyTitles: the file held title entries of the earlier form when
	// it was opened (see legacyTitleEntry), so lookups seek that form too.
	legacyTitles bool
	// tail is the title entries in title_log, not yet in titles; the
	// writer flushes it once it holds flushAt (titleFlushAt).
	tail    titleTail
	flushAt int
	// marks are the in-flight marks of feeds being parsed (parsing.go).
	marks parsingMarks
	// flushFailed is the tail's size when its last flush failed; the
	// writer tries again once it has grown by titleFlushAt.
	flushFailed int
	// near is the band index of recent sketches; nil without
	// Options.NearDuplicates.
	near *nearIndex
	// nearReady is closed once Open's goroutine has rebuilt near from the
	// file; Add waits for it, Close too.
	nearReady chan struct{}
	// commits queues the write transactions of Add and SaveStates (see
	// commit.go).
	commits committer

	// Set by tests only; nil otherwise.
}

// Open opens or creates the store at path, creating its folder (with
// opts.NoCreate, only opens).
// It fails with ErrLocked within opts.LockTimeout when another process has it open.
func Open(path string, opts Options) (*DB, error) {
	if opts.TitleWindow <= 0 {
		opts.TitleWindow = DefaultTitleWindow
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = defaultLockTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	bopts := &bolt.Options{Timeout: opts.LockTimeout, MaxSize: opts.MaxSize}
	if opts.NoCreate {
		bopts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			return os.OpenFile(name, flag&^os.O_CREATE, perm)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create folder: %w", err)
	}
	bdb, err := bolt.Open(path, 0o600, bopts)
	if errors.Is(err, berrors.ErrTimeout) {
		abs, aerr := filepath.Abs(path)
		if aerr != nil {
			abs = path
		}
		return nil, fmt.Errorf("%w: %s is held by another process (is another pressfeed running?)", ErrLocked, abs)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, opts: opts, path: path, commits: newCommitter(), flushAt: titleFlushAt}
	db.marks.path = path + ".parsing"
	if err := db.marks.load(); err != nil {
		return nil, errors.Join(err, bdb.Close())
	}
	if err := bdb.Update(db.initBuckets); err != nil {
		return nil, errors.Join(fmt.Errorf("store: init %s: %w", path, err), bdb.Close())
	}
	if err := db.rewriteRecords(); err != nil {
		return nil, errors.Join(fmt.Errorf("store: upgrade %s: %w", path, err), bdb.Close())
	}
	err = bdb.View(func(tx *bolt.Tx) error {
		// Earlier entries start with the title, the current ones with a 0
		// byte: any earlier entry sorts last.
		k, _ := tx.Bucket(bucketTitles).Cursor().Last()
		db.legacyTitles = len(k) > 0 && k[0] != 0
		return db.loadTitleLog(tx)
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open %s: %w", path, err), bdb.Close())
	}
	if opts.NearDuplicates {
		// The index is rebuilt beside the first reads (serving needs none
		// of it): tens of milliseconds for a day's stories.
		db.near = newNearIndex(opts.TitleWindow)
		db.nearReady = make(chan struct{})
		now := opts.Now()
		go func() {
			defer close(db.nearReady)
			start := time.Now()
			err := bdb.View(func(tx *bolt.Tx) error { return db.near.load(tx, now) })
			if err != nil {
				// Near duplicates within the window may then be missed;
				// nothing else depends on the index.
				opts.Logger.Error("near-duplicate index rebuild failed", "path", path, "err", err)
				return
			}
			opts.Logger.Debug("near-duplicate index rebuilt", "stories", db.near.len(), "took", time.Since(start))
		}()
	}
	db.version.Store(1)
	return db, nil
}

func (db *DB) initBuckets(tx *bolt.Tx) error {
	from := schemaVersion
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get([]byte("schema")); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 1 || n > schemaVersion {
				return fmt.Errorf("schema version %q, this pressfeed reads 1 to %d", v, schemaVersion)
			}
			from = n
		}
	} else if tx.Bucket(bucketItems) != nil {
		from = 1 // written before the meta bucket existed
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	switch from {
	case 1:
		if err := db.upgradeFrom1(tx); err != nil {
			return fmt.Errorf("upgrade schema 1 to %d: %w", schemaVersion, err)
		}
		db.opts.Logger.Info("store upgraded", "path", db.path, "from_schema", 1, "to_schema", schemaVersion)
	case 2:
		// The records are rewritten after this transaction, in bounded
		// ones (rewriteRecords); until then both forms are read.
		if err := tx.Bucket(bucketMeta).Put(metaRewrite, []byte("2")); err != nil {
			return err
		}
		fallthrough
	case 3:
		if err := db.upgradeNear(tx); err != nil {
			return fmt.Errorf("upgrade schema %d to %d: %w", from, schemaVersion, err)
		}
	case 4:
		// Records of schema 4 stay as they are; new ones are written in
		// the newer form.
	}
	return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte(strconv.Itoa(schemaVersion)))
}

// update runs fn in a write transaction and keeps a failure for lack of
// space for WriteErr, as ErrFull.
func (db *DB) update(fn func(*bolt.Tx) error) error {
	return db.noteWrite(db.bolt.Update(fn))
}

// noteWrite returns err, the outcome of a write transaction, wrapped in
// ErrFull when the file or disk is full, and keeps it for WriteErr.
func (db *DB) noteWrite(err error) error {
	switch {
	case err == nil:
		if db.writeErr.Load() != nil {
			db.writeErr.Store(nil)
			db.opts.Logger.Info("store writes again")
		}
	case errors.Is(err, berrors.ErrMaxSizeReached) || errors.Is(err, syscall.ENOSPC):
		err = fmt.Errorf("%w: %s: %w", ErrFull, db.path, err)
		if db.writeErr.Swap(&err) == nil {
			db.opts.Logger.Error("store full: writes fail until pruning frees space", "path", db.path, "err", err)
		}
	}
	return err
}

// WriteErr returns the last write failure for lack of space (wrapping
// ErrFull), or nil when the last write succeeded.
func (db *DB) WriteErr() error {
	if p := db.writeErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Close closes the file. Nothing is lost: every Add was committed.
func (db *DB) Close() error {
	if db.nearReady != nil {
		<-db.nearReady
	}
	// A file closed with an empty title log is read whole by a pressfeed
	// that knows no title log.
	var err error
	if db.tail.len() > 0 && !db.bolt.IsReadOnly() {
		db.commits.slot <- struct{}{}
		err = db.flushTitles()
		<-db.commits.slot
	}
	return errors.Join(err, db.marks.close(), db.bolt.Close())
}

// Path returns the file the store lives in.
func (db *DB) Path() string { return db.path }

// Version returns a number that changes whenever stored items change, so
// readers can cache what they render from them.
func (db *DB) Version() uint64 { return db.version.Load() }

// Ping reports whether the store answers a read. A full file does not
// fail Ping (reads, and so the publisher, go on); WriteErr reports it.
func (db *DB) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketItems) == nil {
			return errors.New("store: items bucket missing")
		}
		return nil
	})
}

// Check runs bbolt's consistency check on the whole file.
func (db *DB) Check() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// timeKey encodes t so that byte order is time order, for every year.
func timeKey(t time.Time) []byte {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(b[8:], uint32(t.Nanosecond()))
	return b[:]
}

func decodeTimeKey(b []byte) time.Time {
	sec := int64(binary.BigEndian.Uint64(b[:8]) ^ (1 << 63))
	return time.Unix(sec, int64(binary.BigEndian.Uint32(b[8:12]))).UTC()
}

func concat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// idEncoding is base32 with digits before letters, lower-cased: byte
// order is the order of the encoded bytes.
var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// mintID derives a new, opaque item ID from the key that first identified
// the story and the moment it was first seen: 6 bytes of that moment in
// milliseconds, then 9 of a SHA-256 of both. IDs minted later sort later,
// so a fetch's new records go to the end of the items bucket, filling its
// pages, instead of into pages all over it. (IDs minted by earlier
// versions are random; they keep their value and their place.)
func mintID(key string, seen time.Time) string {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write(timeKey(seen))
	var b [15]byte
	binary.BigEndian.PutUint64(b[:8], uint64(max(seen.UnixMilli(), 0))<<16)
	copy(b[6:], h.Sum(nil))
	return IDPrefix + string(bytes.ToLower([]byte(idEncoding.EncodeToString(b[:]))))
}

func getItem(tx *bolt.Tx, id []byte) (*Item, error) {
	rec, err := getRecord(tx, id)
	if rec == nil {
		return nil, err
	}
	return &rec.Item, nil
}

// Get returns the item with the given ID, or nil if there is none.
func (db *DB) Get(ctx context.Context, id string) (*Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var it *Item
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		it, err = getItem(tx, []byte(id))
		return err
	})
	return it, err
}

// Latest returns up to n items, newest Published first, for which keep
// returns true (nil keeps all).
func (db *DB) Latest(ctx context.Context, n int, keep func(*Item) bool) ([]Item, error) {
	var out []Item
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketByTime).Cursor()
		for k, _ := c.Last(); k != nil && len(out) < n; k, _ = c.Prev() {
			if len(out)%64 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			it, err := getItem(tx, k[12:])
			if err != nil {
				return err
			}
			if it == nil {
				return fmt.Errorf("store: by_time names missing item %s", k[12:])
			}
			if keep == nil || keep(it) {
				out = append(out, *it)
			}
		}
		return nil
	})
	return out, err
}

// Count returns the number of stored items.
func (db *DB) Count() (int, error) {
	var n int
	err := db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketItems).Stats().KeyN
		return nil
	})
	return n, err
}

// FeedStates returns the stored state of every feed, by name.
func (db *DB) FeedStates(ctx context.Context) (map[string]FeedState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]FeedState)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFeeds).ForEach(func(k, v []byte) error {
			var st FeedState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("store: decode state of feed %s: %w", k, err)
			}
			out[string(k)] = st
			return nil
		})
	})
	db.withMarks(out)
	return out, err
}

// SaveStates writes feed states in one transaction, in the Writer runner,
// and returns once they are committed. Writes of other callers that
// queued meanwhile may share the transaction (see Add); a failure of
// theirs is not SaveStates's. It returns the context's cause, writing
// nothing, when ctx ends before the write leaves the queue.
func (db *DB) SaveStates(ctx context.Context, states map[string]FeedState) error {
	if len(states) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *bolt.Tx) error {
		for name, st := range states {
			if err := putState(tx, name, st); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err == nil {
		db.unmarkCommitted(states)
	}
	return err
}

func putState(tx *bolt.Tx, feed string, st FeedState) error {
	v, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: encode state of feed %s: %w", feed, err)
	}
	return tx.Bucket(bucketFeeds).Put([]byte(feed), v)
}
