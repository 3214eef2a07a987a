package store

import (
	"context"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pressfeed/pressfeed/internal/cpu"
)

// Group commit. bbolt runs one write transaction at a time and each costs
// two fdatasyncs and a rewrite of every page it touched. Fetches that finish
// while a transaction runs queue their writes; the next transaction carries
// all of them, each fetch's items together and in queue order, and commits
// once. Nothing waits for company: a write that finds the writer idle runs
// at once, alone. A group that fails is run again one fetch per
// transaction, so a fetch whose write fails costs only itself.

// A groupWrite is one fetch's write, run inside a shared transaction. It
// must be safe to run again in a new transaction after a rollback: it
// keeps nothing from an earlier run.
type groupWrite struct {
	ctx  context.Context
	fn   func(*bolt.Tx) error
	done chan groupDone // buffered: the leader never blocks on it
}

// groupDone is what a queued write gets: its outcome, or the lead.
type groupDone struct {
	err  error
	lead bool // run the queue now
}

// group queues writes for the next transaction.
type group struct {
	mu      sync.Mutex
	queue   []*groupWrite
	leading bool // some write is running the queue
}

// commit runs fn in a write transaction, together with the writes that
// queued while the previous transaction ran. It returns when that
// transaction has committed or failed.
func (db *DB) commit(ctx context.Context, fn func(*bolt.Tx) error) error {
	w := &groupWrite{ctx: ctx, fn: fn, done: make(chan groupDone, 1)}
	g := &db.group
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if g.leading {
		g.mu.Unlock()
		if d := <-w.done; !d.lead {
			return d.err
		}
		g.mu.Lock()
	}
	g.leading = true
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()

	db.runGroup(batch)

	// Hand the lead to the first write queued meanwhile, which runs the
	// queue as it stands when it wakes.
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].done <- groupDone{lead: true}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return (<-w.done).err
}

// runGroup commits batch in one transaction and tells each write how it
// went; when that fails, it runs each write alone.
func (db *DB) runGroup(batch []*groupWrite) {
	live := batch[:0:0]
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.done <- groupDone{err: err}
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	err := db.runTx(live)
	if err == nil || len(live) == 1 {
		for _, w := range live {
			w.done <- groupDone{err: err}
		}
		return
	}
	for _, w := range live {
		w.done <- groupDone{err: db.runTx([]*groupWrite{w})}
	}
}

// runTx runs the writes of batch in one transaction, in the writer's slot.
func (db *DB) runTx(batch []*groupWrite) error {
	var err error
	var locked time.Time
	// Queued writes are not abandoned when the write that leads is
	// cancelled: the slot is awaited without its context.
	cerr := cpu.Write(context.Background(), func() {
		err = db.update(func(tx *bolt.Tx) error {
			if db.writeHeld != nil {
				locked = time.Now()
			}
			for _, w := range batch {
				if err := w.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if db.writeHeld != nil && !locked.IsZero() {
		db.writeHeld(locked, time.Now())
	}
	if cerr != nil {
		return cerr
	}
	return err
}
