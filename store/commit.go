package store

import (
	"context"
	"errors"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Group commit. bbolt runs one write transaction at a time, and a commit
// costs its spill, page writes, freelist and two fdatasyncs whatever it
// carries, so the writes of Add and SaveStates queue as requests and
// share commits: whoever gets the writer first takes every request queued
// by then and runs them in one transaction, its own first, then the
// others in the order they came. A lone request commits at once; requests
// queue only while another transaction holds the writer, and nothing
// waits on a timer (bbolt's DB.Batch waits out 10 ms).
//
// Each caller returns once the transaction holding its request has
// committed, with its own request's result. The requests of one
// transaction see each other's writes, as if they had run one after the
// other. When one of them fails, or the commit does, the transaction is
// rolled back, every request undoes its effects outside the file (see
// writeReq.undo) and each then runs again alone, in its own transaction:
// a bad request fails no other. A request whose caller's context ends
// while it waits in the queue is dropped, unwritten; one that a
// transaction has taken is written, and its caller waits for the outcome.

// errTaken ends a caller's wait for the writer once another caller's
// transaction has taken its request.
var errTaken = errors.New("store: write taken by another transaction")

// A writeReq is one caller's write, waiting for a transaction.
type writeReq struct {
	fn func(*bolt.Tx) error
	// undo, when not nil, undoes what fn did outside the file (Add's near
	// index entries) when fn's transaction does not commit. fn may run
	// again afterwards, alone.
	undo   func()
	cancel context.CancelCauseFunc // ends the caller's wait for the writer
	taken  bool                    // a transaction has it; guarded by committer.mu
	err    error                   // the outcome, set before done is closed
	done   chan struct{}
}

// committer is the queue of write requests.
type committer struct {
	mu    sync.Mutex
	queue []*writeReq // waiting, in the order they came
	// slot is held while a transaction runs: with a Writer that does not
	// serialise (the nil Runner), requests still queue behind it.
	slot chan struct{}
}

func newCommitter() committer { return committer{slot: make(chan struct{}, 1)} }

// write runs fn in a write transaction, in the Writer runner, possibly
// shared with other callers' requests (see above), and returns fn's error
// or the transaction's once it committed or failed. It returns the
// context's cause without writing when ctx ends before a transaction took
// the request.
func (db *DB) write(ctx context.Context, fn func(*bolt.Tx) error, undo func()) error {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &writeReq{fn: fn, undo: undo, cancel: cancel, done: make(chan struct{})}
	c := &db.commits
	c.mu.Lock()
	c.queue = append(c.queue, r)
	c.mu.Unlock()
	err := db.opts.Writer.Run(wctx, func() { db.commitQueued(wctx, r) })
	if c.drop(r) {
		// No transaction took it: ctx ended first (or the runner failed).
		if err == nil {
			err = context.Cause(ctx)
		}
		if err == nil {
			err = errors.New("store: the writer did not run the write")
		}
		return err
	}
	<-r.done
	return r.err
}

// commitQueued waits for the transaction slot, then runs own and every
// request queued with it in one transaction; nothing when another
// transaction took own first, or ctx ended.
func (db *DB) commitQueued(ctx context.Context, own *writeReq) {
	c := &db.commits
	select {
	case c.slot <- struct{}{}:
		defer func() { <-c.slot }()
	case <-ctx.Done():
		return
	}
	if batch := c.take(own); batch != nil {
		db.commitBatch(batch)
	}
}

// take empties the queue into a batch, own first; nil when own is no
// longer queued. The others stop waiting for the writer.
func (c *committer) take(own *writeReq) []*writeReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	if own.taken {
		return nil
	}
	batch := make([]*writeReq, 1, len(c.queue))
	batch[0] = own
	for _, r := range c.queue {
		if r != own {
			batch = append(batch, r)
		}
	}
	clear(c.queue)
	c.queue = c.queue[:0]
	for _, r := range batch {
		r.taken = true
		if r != own {
			r.cancel(errTaken)
		}
	}
	return batch
}

// drop removes r from the queue and reports whether it was still there.
func (c *committer) drop(r *writeReq) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.taken {
		return false
	}
	c.queue = slices.DeleteFunc(c.queue, func(q *writeReq) bool { return q == r })
	return true
}

// commitBatch runs batch in one transaction; when that fails and it holds
// more than one request, each again alone.
func (db *DB) commitBatch(batch []*writeReq) {
	ran := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for _, r := range batch {
			ran++
			if err := r.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		err = db.noteWrite(err)
		for _, r := range batch {
			r.finish(err)
		}
		db.maybeFlushTitles()
		return
	}
	for _, r := range batch[:ran] {
		if r.undo != nil {
			r.undo()
		}
	}
	for _, r := range batch {
		r.finish(db.update(r.fn))
	}
	db.maybeFlushTitles()
}

// maybeFlushTitles flushes the title log once its tail holds flushAt
// entries (see titles.go); after a failed flush, once it has grown by as
// many again. It runs in the writer's slot, after the callers of the
// batch have their results.
func (db *DB) maybeFlushTitles() {
	n := db.tail.len()
	if n < db.flushAt || n < db.flushFailed+db.flushAt && db.flushFailed > 0 {
		return
	}
	if err := db.flushTitles(); err != nil {
		db.flushFailed = n
		db.opts.Logger.Error("title index", "err", err)
		return
	}
	db.flushFailed = 0
}

// finish hands r's outcome to its caller, undoing its effects outside
// the file when it failed.
func (r *writeReq) finish(err error) {
	if err != nil && r.undo != nil {
		r.undo()
	}
	r.err = err
	close(r.done)
}
