package store

import (
	"context"
	"time"
)

// Retain prunes the items first seen longer than retention ago (see
// Prune) now and then every retention/10 or hourly, whichever is sooner,
// until ctx is done; then it returns nil. onPrune, when not nil, hears of
// every run that deleted items. A failed run is logged and tried again at
// the next one.
func (db *DB) Retain(ctx context.Context, retention time.Duration, onPrune func(n int)) error {
	if retention <= 0 {
		<-ctx.Done()
		return nil
	}
	every := min(retention/10, time.Hour)
	for {
		before := db.opts.Now().Add(-retention)
		n, err := db.Prune(ctx, before)
		switch {
		case err != nil && ctx.Err() == nil:
			db.opts.Logger.Error("prune failed", "err", err)
		case n > 0:
			db.opts.Logger.Info("pruned", "items", n, "before", before.UTC().Format(time.RFC3339))
			if onPrune != nil {
				onPrune(n)
			}
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
