// Package deliver pushes the new items of an output to receivers: webhooks,
// a Telegram chat, e-mail digests.
//
// Items reach a delivery through the store's outbox (store.Options.Enqueue,
// which Router implements): an entry is written in the transaction that
// stores the item, so no stored item misses a delivery. A sender per
// delivery drains the outbox in batches (store.DB.NextBatch). A batch keeps
// its id and items until its receiver answers 2xx (store.DB.Ack); until
// then it is retried with backoff, across restarts. A crash between the
// receiver's answer and the acknowledgement resends that same batch under
// the same id, never its items in another one: a receiver that drops
// repeated ids sees each item exactly once.
package deliver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// Kinds of delivery.
const (
	Webhook  = "webhook"
	Telegram = "telegram"
	Email    = "email"
)

// Delivery is one configured [[deliver]] block.
type Delivery struct {
	Name, Output, Kind string

	URL, Secret string // webhook

	BotToken, ChatID, APIURL string // telegram; APIURL "" means https://api.telegram.org

	SMTP string   // email: smtp://user:pass@host:587 (STARTTLS) or smtps://… (TLS)
	From string   // email
	To   []string // email
	At   []string // email: "HH:MM" in Options.Location
}

// Presenter renders stored items as an output shows them.
type Presenter interface {
	// JSONItems returns the JSON Feed 1.1 item objects of items in output.
	JSONItems(ctx context.Context, output string, items []store.Item) ([]json.RawMessage, error)
	// Outlets returns the display names of the feeds named.
	Outlets(ctx context.Context, feeds []string) ([]string, error)
}

// Options configure Run. Client, Presenter and Deliveries are required.
type Options struct {
	Deliveries []Delivery
	Client     *http.Client   // for webhooks and Telegram: the guarded client the fetcher uses
	Presenter  Presenter      // the publisher
	Location   *time.Location // for digest times; nil means UTC
	Logger     *slog.Logger   // nil discards
	UserAgent  string

	Now         func() time.Time // default time.Now
	Poll        time.Duration    // how often an idle sender looks at the outbox; default 1s
	RetryBase   time.Duration    // first backoff after a failure; default 2s
	RetryMax    time.Duration    // longest backoff; default 1h
	TelegramGap time.Duration    // least time between two messages to one chat; default 3s (20 a minute)
}

func (o *Options) setDefaults() {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 2 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Hour
	}
	if o.TelegramGap <= 0 {
		o.TelegramGap = 3 * time.Second
	}
}

// Router decides which deliveries an item must reach. Its Enqueue is the
// store's Options.Enqueue; it routes nothing until Configure.
type Router struct{ routes atomic.Pointer[[]route] }

type route struct {
	name  string
	since time.Time
	keep  func(*store.Item) bool
}

// Configure sets the deliveries routed: each with the rule of its output
// (keep) and the time it was first configured (since, from
// store.DB.Deliveries): an item first seen before that is never sent.
func (r *Router) Configure(ds []Delivery, keep func(output string) (func(*store.Item) bool, bool), states map[string]store.DeliveryState) error {
	routes := make([]route, 0, len(ds))
	for _, d := range ds {
		k, ok := keep(d.Output)
		if !ok {
			return fmt.Errorf("deliver %s: no output %q", d.Name, d.Output)
		}
		routes = append(routes, route{name: d.Name, since: states[d.Name].Since, keep: k})
	}
	r.routes.Store(&routes)
	return nil
}

// Enqueue returns the deliveries that must send it: those whose output
// it belongs to now and did not before (before is nil for a new story),
// when it was first seen after the delivery was configured. A correction
// does not come here, so it is never sent again.
func (r *Router) Enqueue(it, before *store.Item) []string {
	p := r.routes.Load()
	if p == nil {
		return nil
	}
	var names []string
	for _, rt := range *p {
		if it.Seen.Before(rt.since) || !rt.keep(it) || (before != nil && rt.keep(before)) {
			continue
		}
		names = append(names, rt.name)
	}
	return names
}

// Run runs one sender per delivery until ctx is done, then returns nil.
func Run(ctx context.Context, db *store.DB, opts Options) error {
	opts.setDefaults()
	var wg sync.WaitGroup
	for _, d := range opts.Deliveries {
		s, err := newSender(db, &opts, d)
		if err != nil {
			return err
		}
		wg.Go(func() { s.run(ctx) })
	}
	wg.Wait()
	return nil
}

// A sender drains one delivery's outbox.
type sender struct {
	db   *store.DB
	opts *Options
	d    Delivery
	log  *slog.Logger
	send func(ctx context.Context, b *store.Batch, items []store.Item) error
	max  int // items per batch

	digestAt time.Time // the digest time being sent (email)
}

func newSender(db *store.DB, opts *Options, d Delivery) (*sender, error) {
	s := &sender{db: db, opts: opts, d: d, log: opts.Logger.With("component", "deliver", "delivery", d.Name)}
	switch d.Kind {
	case Webhook:
		s.send, s.max = s.webhook, webhookBatch
	case Telegram:
		s.send, s.max = s.telegram, 1
	case Email:
		m, err := newMailer(d, opts.Location)
		if err != nil {
			return nil, fmt.Errorf("deliver %s: %w", d.Name, err)
		}
		s.send, s.max = m.send(s), digestMax
	default:
		return nil, fmt.Errorf("deliver %s: unknown kind %q", d.Name, d.Kind)
	}
	return s, nil
}

func (s *sender) run(ctx context.Context) {
	if s.d.Kind == Email {
		s.runDigests(ctx)
		return
	}
	gap := time.Duration(0)
	if s.d.Kind == Telegram {
		gap = s.opts.TelegramGap
	}
	for ctx.Err() == nil {
		sent, wait := s.once(ctx)
		if !sent {
			if wait == 0 {
				wait = s.opts.Poll
			}
		} else {
			wait = gap
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// once sends the next batch, if any: sent reports whether one was
// acknowledged; after a failure, wait is the backoff.
func (s *sender) once(ctx context.Context) (sent bool, wait time.Duration) {
	b, err := s.db.NextBatch(ctx, s.d.Name, s.max, newBatchID, s.opts.Now())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("read outbox", "err", err)
		}
		return false, s.opts.RetryBase
	}
	if b == nil {
		return false, 0
	}
	items := make([]store.Item, 0, len(b.Items))
	for _, id := range b.Items {
		it, err := s.db.Get(ctx, id)
		if err != nil {
			return false, s.opts.RetryBase
		}
		if it != nil { // pruned since: nothing left to send of it
			items = append(items, *it)
		}
	}
	if len(items) > 0 {
		err = s.send(ctx, b, items)
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, 0
		}
		wait = s.backoff(b.Retries, err)
		s.log.Warn("delivery failed", "batch", b.ID, "items", len(items), "retry_in", wait.Round(time.Second), "err", err)
		if ferr := s.db.Failed(context.WithoutCancel(ctx), s.d.Name, err); ferr != nil {
			s.log.Error("record failure", "err", ferr)
		}
		return false, wait
	}
	if err := s.db.Ack(context.WithoutCancel(ctx), s.d.Name, b.ID, len(items), s.opts.Now()); err != nil {
		s.log.Error("record delivery", "batch", b.ID, "err", err)
		return false, s.opts.RetryBase
	}
	s.log.Info("delivered", "batch", b.ID, "items", len(items))
	return true, 0
}

// servedLinks sets the Link of each item to the one its output serves:
// canonical, without tracking parameters.
func (s *sender) servedLinks(ctx context.Context, items []store.Item) error {
	objs, err := s.opts.Presenter.JSONItems(ctx, s.d.Output, items)
	if err != nil {
		return err
	}
	for i, o := range objs {
		var served struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(o, &served); err != nil {
			return err
		}
		items[i].Link = served.URL
	}
	return nil
}

// backoff is the wait after the n-th failed attempt (from 0) at a batch:
// RetryBase doubled per attempt up to RetryMax, or longer when the
// receiver asked (Retry-After, RFC 9110 section 10.2.3).
func (s *sender) backoff(n int, err error) time.Duration {
	d := s.opts.RetryBase
	for range min(n, 20) {
		d *= 2
		if d >= s.opts.RetryMax {
			d = s.opts.RetryMax
			break
		}
	}
	var re *ReceiverError
	if errors.As(err, &re) && re.RetryAfter > d {
		d = min(re.RetryAfter, 24*time.Hour)
	}
	return d
}

// ReceiverError is an answer of a receiver that is not 2xx.
type ReceiverError struct {
	Status     int
	RetryAfter time.Duration // asked by the receiver; 0 when it did not
	Detail     string        // a short extract of what it said
}

func (e *ReceiverError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("receiver answered %d: %s", e.Status, e.Detail)
	}
	return fmt.Sprintf("receiver answered %d", e.Status)
}

func newBatchID() string { return rand.Text() }

// sleep waits d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
