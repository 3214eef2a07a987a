package publisher

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// First pages (the documents readers get without a query) are rendered on
// store change, not on request: Run watches the store's version and, soon
// after it moves, renders every output in every format from one read of
// the store into a generation, then switches the served generation with
// one pointer store. So no reader sees all.json new while all.atom or a
// filtered output is old, a hub is told of every change, and a reader
// polling rarely never gets a page (or a 304 for one) that the store moved
// past long ago.
//
// A request serves the current generation unless the store holds a change
// it misses that was made MaxStale or more ago; then the request renders a
// new generation, or waits for the render under way.

// When Run renders. A burst of commits (one fetch pass storing many feeds)
// makes one render once the store has been quiet for settle, and a
// steady ingest one every renderAfter: never more than renderAfter after
// the first change the served generation misses, plus watchEvery to see
// it. Both stay well under the daemon's MaxStale (one second), so a reader
// does not wait for a render unless rendering itself is that slow.
const (
	watchEvery  = 50 * time.Millisecond  // how often Run reads the store's version: an atomic load
	settle      = 150 * time.Millisecond // quiet time after the last change seen
	renderAfter = 500 * time.Millisecond // bound after the first change missed
)

// generation holds the first page of every output in every format, all
// rendered from one read of the store. Once served, only fresh changes.
type generation struct {
	// version is the store's version read before its items: the documents
	// show that version, or a later one when a commit came in between, in
	// which case the store's version has moved and the next generation
	// renders it again.
	version uint64
	docs    [][numFormats]*document // by output.index
	// fresh is when (h.clock) the store was last seen at version: every
	// change the generation misses was made after it.
	fresh atomic.Int64
}

// doc returns the document of (o, f).
func (g *generation) doc(o *output, f format) *document { return g.docs[o.index][f] }

// clock returns the time since the handler was made, read on the monotonic
// clock.
func (h *handler) clock() time.Duration { return time.Since(h.epoch) }

// current returns the generation to serve a first page from: the one
// served, unless it misses a change made MaxStale or more ago (any change,
// with MaxStale zero); then a new one, rendered for the request or by the
// render under way. The fast path is two atomic loads.
func (h *handler) current(ctx context.Context) (*generation, error) {
	g := h.gen.Load()
	v := h.db.Version()
	if g != nil && (g.version == v || h.recent(g)) {
		return g, nil
	}
	return h.refresh(ctx, v)
}

// recent reports whether every change g misses was made less than MaxStale
// ago.
func (h *handler) recent(g *generation) bool {
	return h.maxStale > 0 && h.clock()-time.Duration(g.fresh.Load()) < h.maxStale
}

// refresh returns a generation of at least version need, or one missing
// only recent changes, waiting for the render under way or rendering one.
// Waiting ends with ctx; the render it starts does not, as others may be
// waiting for it.
func (h *handler) refresh(ctx context.Context, need uint64) (*generation, error) {
	select {
	case h.rendering <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { <-h.rendering }()
	if g := h.gen.Load(); g != nil && (g.version >= need || h.recent(g)) {
		return g, nil
	}
	return h.renderGeneration(context.WithoutCancel(ctx))
}

// renderGeneration renders every output's first page in every format and
// serves the result; the caller holds h.rendering. A document whose bytes
// did not change is carried over, gzip and ETag included.
func (h *handler) renderGeneration(ctx context.Context) (*generation, error) {
	start := h.clock()
	v := h.db.Version() // before the items: see generation.version
	var sels []selection
	var states map[string]store.FeedState
	err := h.storeRead(ctx, func(ctx context.Context) error {
		var err error
		if sels, err = h.selectFirstPages(ctx); err != nil {
			return err
		}
		states, err = h.db.FeedStates(ctx) // outlets' own titles
		return err
	})
	if err != nil {
		return nil, &readError{err}
	}
	old := h.gen.Load()
	g := &generation{version: v, docs: make([][numFormats]*document, len(h.order))}
	for i, o := range h.order {
		sel := &sels[i]
		modified := lastModified(sel.items)
		for f := range numFormats {
			h.renders.Add(1)
			body, err := h.encode(o, f, sel.items, states, pageLinks(o, f, &query{}, sel.next))
			if err != nil {
				return nil, err
			}
			if old != nil {
				if d := old.docs[i][f]; bytes.Equal(d.body, body) && d.modified.Equal(modified) {
					g.docs[i][f] = d
					continue
				}
			}
			if g.docs[i][f], err = newDocument(body, modified); err != nil {
				return nil, err
			}
		}
	}
	g.fresh.Store(int64(start))
	h.gen.Store(g)
	h.generations.Add(1)
	if now := h.clock(); h.db.Version() == v {
		g.fresh.Store(int64(now))
	}
	return g, nil
}

// selectFirstPages reads the first page of every output (in h.order) in one
// walk over the store, newest first, which stops once every output has its
// page and knows whether another follows: each output sees the same state
// of the store.
func (h *handler) selectFirstPages(ctx context.Context) ([]selection, error) {
	sels := make([]selection, len(h.order))
	full := make([]bool, len(h.order))
	open := len(h.order)
	err := h.db.Walk(ctx, time.Time{}, "", func(it *store.Item) bool {
		for i, o := range h.order {
			if full[i] || !o.keep(it) {
				continue
			}
			s := &sels[i]
			if len(s.items) == o.limit { // another kept item follows
				s.next = cursorOf(&s.items[len(s.items)-1])
				full[i] = true
				open--
				continue
			}
			s.items = append(s.items, *it)
		}
		return open > 0
	})
	if err != nil {
		return nil, err
	}
	return sels, nil
}

// Run renders first pages on store change, whether or not anyone reads,
// and tells every WebSub hub of each document a new generation changed,
// retrying with exponential backoff. It never blocks the fetcher: it only
// reads the store, renders in the background slots of package cpu, and slow
// hubs only delay their own pings. Run returns nil once ctx is done and
// its pings have stopped.
func (h *Handler) Run(ctx context.Context) error { return h.h.run(ctx) }

func (h *handler) run(ctx context.Context) error {
	p := newPinger(h)
	defer p.wait()
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	var seen uint64          // the store version last seen behind the generation
	var seenAt time.Duration // when it was first seen
	for {
		if h.due(&seen, &seenAt) {
			// On failure the next tick tries again. A failed read of the
			// store is logged once by storeRead.
			if err := h.renderAhead(ctx); err != nil && ctx.Err() == nil {
				if _, ok := errors.AsType[*readError](err); !ok {
					h.log.Error("render", "err", err)
				}
			}
		}
		p.notify(ctx, h.gen.Load())
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// due reports whether Run should render now: at once when nothing is
// served yet, else when the store has moved past the generation served
// and has been quiet for settle, or moved renderAfter ago. seen and seenAt
// are Run's memory of the last version seen.
func (h *handler) due(seen *uint64, seenAt *time.Duration) bool {
	g := h.gen.Load()
	now := h.clock() // before the version: a change after the load came after now
	v := h.db.Version()
	if g == nil {
		return true
	}
	if g.version == v {
		g.fresh.Store(int64(now))
		return false
	}
	if v != *seen {
		*seen, *seenAt = v, now
	}
	return now-*seenAt >= settle || now-time.Duration(g.fresh.Load()) >= renderAfter
}

// renderAhead renders a new generation for Run, unless a reader's render
// got there first.
func (h *handler) renderAhead(ctx context.Context) error {
	select {
	case h.rendering <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-h.rendering }()
	if g := h.gen.Load(); g != nil && g.version == h.db.Version() {
		return nil
	}
	var err error
	if cerr := h.background.Run(ctx, func() { _, err = h.renderGeneration(ctx) }); cerr != nil {
		return nil // ctx is done
	}
	return err
}
