package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The outbox holds, for each configured delivery, the items still to be
// sent to its receiver:
//
//	outbox     delivery name, 0x00, 8-byte big-endian sequence → item ID
//	           (pending, in the order the items arrived)
//	deliveries delivery name → JSON deliveryState (when it was configured,
//	           the batch in flight, what was sent)
//
// An entry is written in the same transaction as the item that made it
// (Options.Enqueue), and leaves the outbox only when a batch holding it was
// acknowledged (Ack). A batch, once formed, keeps its id and its items
// until then, so a batch resent after a crash is the same batch.

var (
	bucketOutbox     = []byte("outbox")
	bucketDeliveries = []byte("deliveries")
)

// Batch is a group of items sent to a receiver in one request (or, for a
// digest, one message). Its ID stays the same on every retry.
type Batch struct {
	ID      string    `json:"id"`
	Items   []string  `json:"items"` // item IDs, in the order they arrived
	Formed  time.Time `json:"formed"`
	Retries int       `json:"retries"` // failed attempts so far
}

// DeliveryState is what the store keeps about one delivery.
type DeliveryState struct {
	Since     time.Time `json:"since"`                // first configured; older items are never sent
	Batch     *Batch    `json:"batch,omitempty"`      // formed and not yet acknowledged
	Sent      int       `json:"sent"`                 // items acknowledged over the delivery's life
	LastSent  time.Time `json:"last_sent,omitzero"`   // time of the last acknowledgement
	LastError string    `json:"last_error,omitempty"` // the last failure, "" after a success
	Failures  int       `json:"failures"`             // failed attempts in a row
	LastRun   time.Time `json:"last_run,omitzero"`    // digests: the scheduled time last sent (or found empty)
	Pending   int       `json:"-"`                    // entries waiting in the outbox, batch excluded
}

// Deliveries records the configured deliveries: one configured for the
// first time starts now (items first seen before now are never sent to
// it); the outbox entries and state of a delivery no longer configured are
// removed, so that configuring it again later starts afresh. It returns the
// state of each delivery named.
func (db *DB) Deliveries(ctx context.Context, names []string, now time.Time) (map[string]DeliveryState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]DeliveryState, len(names))
	err := db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDeliveries)
		if err != nil {
			return err
		}
		ob, err := tx.CreateBucketIfNotExists(bucketOutbox)
		if err != nil {
			return err
		}
		var gone [][]byte
		err = b.ForEach(func(k, _ []byte) error {
			if !slices.Contains(names, string(k)) {
				gone = append(gone, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
			if err := deletePrefix(ob, append(k, 0)); err != nil {
				return err
			}
		}
		for _, name := range names {
			st, err := deliveryState(b, name)
			if err != nil {
				return err
			}
			if st.Since.IsZero() {
				st.Since = now.UTC()
				if err := putDeliveryState(b, name, st); err != nil {
					return err
				}
			}
			st.Pending = countPrefix(ob, outboxPrefix(name))
			out[name] = st
		}
		return nil
	})
	return out, err
}

// DeliveryStates returns the state of every recorded delivery, with its
// pending count.
func (db *DB) DeliveryStates(ctx context.Context) (map[string]DeliveryState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]DeliveryState)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, ob := tx.Bucket(bucketDeliveries), tx.Bucket(bucketOutbox)
		if b == nil || ob == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var st DeliveryState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("store: delivery %q: %w", k, err)
			}
			st.Pending = countPrefix(ob, outboxPrefix(string(k)))
			out[string(k)] = st
			return nil
		})
	})
	return out, err
}

// enqueue writes an outbox entry for each delivery that Options.Enqueue
// names for it, inside Add's transaction. before is the item as it was
// before this Add changed it, nil for a new story.
func (db *DB) enqueue(tx *bolt.Tx, it, before *Item) error {
	if db.opts.Enqueue == nil {
		return nil
	}
	names := db.opts.Enqueue(it, before)
	if len(names) == 0 {
		return nil
	}
	ob, err := tx.CreateBucketIfNotExists(bucketOutbox)
	if err != nil {
		return err
	}
	for _, name := range names {
		seq, err := ob.NextSequence()
		if err != nil {
			return err
		}
		if err := ob.Put(binary.BigEndian.AppendUint64(outboxPrefix(name), seq), []byte(it.ID)); err != nil {
			return err
		}
	}
	return nil
}

// NextBatch returns the batch of delivery to send now: the one formed
// earlier and not yet acknowledged, else a new one of up to max pending
// items (all of them when max <= 0) with the id newID returns, recorded
// before it is returned. With nothing pending it returns nil.
func (db *DB) NextBatch(ctx context.Context, delivery string, max int, newID func() string, now time.Time) (*Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Most calls find nothing to send: a read transaction costs no fsync.
	idle := true
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketDeliveries); b != nil {
			st, err := deliveryState(b, delivery)
			if err != nil || st.Batch != nil {
				idle = false
				return err
			}
		}
		if ob := tx.Bucket(bucketOutbox); ob != nil {
			k, _ := ob.Cursor().Seek(outboxPrefix(delivery))
			idle = !bytes.HasPrefix(k, outboxPrefix(delivery))
		}
		return nil
	})
	if err != nil || idle {
		return nil, err
	}
	var out *Batch
	err = db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDeliveries)
		if err != nil {
			return err
		}
		st, err := deliveryState(b, delivery)
		if err != nil {
			return err
		}
		if st.Batch != nil {
			out = st.Batch
			return nil
		}
		ob := tx.Bucket(bucketOutbox)
		if ob == nil {
			return nil
		}
		prefix := outboxPrefix(delivery)
		var keys [][]byte
		batch := &Batch{ID: newID(), Formed: now.UTC()}
		c := ob.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if max > 0 && len(batch.Items) == max {
				break
			}
			keys = append(keys, bytes.Clone(k))
			if !slices.Contains(batch.Items, string(v)) {
				batch.Items = append(batch.Items, string(v))
			}
		}
		if len(keys) == 0 {
			return nil
		}
		for _, k := range keys {
			if err := ob.Delete(k); err != nil {
				return err
			}
		}
		st.Batch = batch
		out = batch
		return putDeliveryState(b, delivery, st)
	})
	return out, err
}

// ErrNoBatch means Ack named a batch that is not the one in flight.
var ErrNoBatch = errors.New("store: no such batch in flight")

// Ack records that the receiver of delivery accepted the batch id, sent
// items of it (those still stored when it was sent).
func (db *DB) Ack(ctx context.Context, delivery, id string, sent int, now time.Time) error {
	return db.updateDelivery(ctx, delivery, func(st *DeliveryState) error {
		if st.Batch == nil || st.Batch.ID != id {
			return fmt.Errorf("%w: %s of %s", ErrNoBatch, id, delivery)
		}
		st.Batch = nil
		st.Sent += sent
		st.LastSent = now.UTC()
		st.LastError, st.Failures = "", 0
		return nil
	})
}

// Failed records a failed attempt at the batch in flight of delivery.
func (db *DB) Failed(ctx context.Context, delivery string, cause error) error {
	return db.updateDelivery(ctx, delivery, func(st *DeliveryState) error {
		if st.Batch != nil {
			st.Batch.Retries++
		}
		st.Failures++
		st.LastError = cause.Error()
		return nil
	})
}

// MarkRun records the scheduled time of the last digest of delivery.
func (db *DB) MarkRun(ctx context.Context, delivery string, at time.Time) error {
	return db.updateDelivery(ctx, delivery, func(st *DeliveryState) error {
		st.LastRun = at.UTC()
		return nil
	})
}

func (db *DB) updateDelivery(ctx context.Context, delivery string, fn func(*DeliveryState) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDeliveries)
		if err != nil {
			return err
		}
		st, err := deliveryState(b, delivery)
		if err != nil {
			return err
		}
		if err := fn(&st); err != nil {
			return err
		}
		return putDeliveryState(b, delivery, st)
	})
}

func outboxPrefix(delivery string) []byte { return append([]byte(delivery), 0) }

func deliveryState(b *bolt.Bucket, name string) (DeliveryState, error) {
	var st DeliveryState
	if v := b.Get([]byte(name)); v != nil {
		if err := json.Unmarshal(v, &st); err != nil {
			return st, fmt.Errorf("store: delivery %q: %w", name, err)
		}
	}
	return st, nil
}

func putDeliveryState(b *bolt.Bucket, name string, st DeliveryState) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return b.Put([]byte(name), v)
}

func countPrefix(b *bolt.Bucket, prefix []byte) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
