package fetcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/store"
)

// maxBackoff caps the delay after repeated failures; a failing feed is
// never given up on.
const maxBackoff = 6 * time.Hour

// goneInterval is how often a feed that answered 410 Gone is polled.
const goneInterval = 24 * time.Hour

// Poller fetches every feed when it is due and stores what it brings.
type Poller struct {
	db   *store.DB
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	states map[string]store.FeedState // authoritative while running
	dirty  map[string]bool            // states changed since they were last written

	hostMu sync.Mutex
	hosts  map[string]chan struct{} // per registrable domain: at most PerHost fetches
	holds  map[string]time.Time     // per host: not asked again before this (Retry-After)

	running  atomic.Bool
	progress atomic.Int64 // unix nanos of the last finished fetch or idle tick

	refMu sync.Mutex
	ref   float64   // RefRate over the adaptive feeds
	refAt time.Time // when ref was worked out; zero: never
}

// Report is the outcome of one fetch of one feed.
type Report struct {
	Feed        string
	NotModified bool
	Deferred    bool // not fetched: the site asked not to be asked yet (Retry-After)
	Result      store.Result
	Err         error
	Class       string // classify(Err), or "store"
	Duration    time.Duration
}

// NewPoller returns a poller for opts.Feeds writing into db.
func NewPoller(db *store.DB, opts Options) *Poller {
	opts.setDefaults()
	return &Poller{
		db:    db,
		opts:  opts,
		log:   opts.Logger.With("component", "fetcher"),
		hosts: make(map[string]chan struct{}),
		holds: make(map[string]time.Time),
	}
}

// Run polls every feed until ctx is done, then writes the feed states that
// changed without a commit of their own, and returns nil. Due feeds are
// fetched at once, at most Options.Concurrency at a time.
func (p *Poller) Run(ctx context.Context) error {
	if err := p.load(ctx); err != nil {
		return err
	}
	if err := p.setAside(); err != nil {
		return err
	}
	p.running.Store(true)
	defer p.running.Store(false)
	p.progress.Store(p.opts.Now().UnixNano())

	sem := make(chan struct{}, p.opts.Concurrency)
	var wg sync.WaitGroup
	for _, f := range p.opts.Feeds {
		wg.Go(func() { p.poll(ctx, f, sem) })
	}
	wg.Go(func() { p.tick(ctx) })
	wg.Wait()
	return p.flush()
}

// Once fetches the named feeds (every feed when names is empty) once each,
// at most Options.Concurrency at a time, calling report after each. It
// returns an error for an unknown name or a store failure, not for feeds
// that fail: those are in their reports.
func (p *Poller) Once(ctx context.Context, names []string, report func(Report)) error {
	feeds := p.opts.Feeds
	if len(names) > 0 {
		feeds = nil
		for _, n := range names {
			i := slices.IndexFunc(p.opts.Feeds, func(f Feed) bool { return f.Name == n })
			if i < 0 {
				return fmt.Errorf("fetch: no feed named %q", n)
			}
			feeds = append(feeds, p.opts.Feeds[i])
		}
	}
	if err := p.load(ctx); err != nil {
		return err
	}
	sem := make(chan struct{}, p.opts.Concurrency)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, f := range feeds {
		wg.Go(func() {
			release, ok := p.acquire(ctx, f, sem)
			if !ok {
				return
			}
			_, rep := p.pollOnce(ctx, f)
			release()
			mu.Lock()
			defer mu.Unlock()
			if report != nil {
				report(rep)
			}
		})
	}
	wg.Wait()
	return errors.Join(ctx.Err(), p.flush())
}

// Healthy returns nil while Run is polling and making progress.
func (p *Poller) Healthy() error {
	if !p.running.Load() {
		return errors.New("fetcher: scheduler not running")
	}
	last := time.Unix(0, p.progress.Load())
	if since := p.opts.Now().Sub(last); since > 2*p.opts.Timeout+time.Minute {
		return fmt.Errorf("fetcher: no progress for %s", since.Round(time.Second))
	}
	return nil
}

// States returns a copy of every feed's current state.
func (p *Poller) States() map[string]store.FeedState {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]store.FeedState, len(p.states))
	for k, v := range p.states {
		out[k] = v
	}
	return out
}

func (p *Poller) load(ctx context.Context) error {
	states, err := p.db.FeedStates(ctx)
	if err != nil {
		return fmt.Errorf("fetcher: load feed states: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.states = states
	p.dirty = make(map[string]bool)
	return nil
}

// flush writes the states that changed since their last commit, in one
// transaction.
func (p *Poller) flush() error {
	p.mu.Lock()
	out := make(map[string]store.FeedState, len(p.dirty))
	for name := range p.dirty {
		out[name] = p.states[name]
	}
	p.mu.Unlock()
	if err := p.db.SaveStates(context.Background(), out); err != nil {
		return fmt.Errorf("fetcher: save feed states: %w", err)
	}
	p.mu.Lock()
	for name := range out {
		delete(p.dirty, name)
	}
	p.mu.Unlock()
	return nil
}

// setAside pushes out the next poll of every feed whose stored state says
// it was being processed (store.FeedState.Parsing): the process stopped
// during that parse, perhaps because of it (a stack overflow, the OOM
// killer, the unit's MemoryMax), and fetching the feed again at once could
// stop it again, and again. The stop counts as a failure of the feed, so
// that another one backs off further, as failures do.
func (p *Poller) setAside() error {
	now := p.opts.Now().UTC()
	aside := make(map[string]store.FeedState)
	var names []string
	p.mu.Lock()
	for _, f := range p.opts.Feeds {
		st, ok := p.states[f.Name]
		if !ok || st.Parsing.IsZero() {
			continue
		}
		interval := f.Interval
		if interval <= 0 {
			interval = p.opts.Interval
		}
		st.Failures++
		st.LastFetch = st.Parsing
		st.LastError, st.ErrorClass = errSetAside.Error(), "interrupted"
		if st.ErrorSince.IsZero() {
			st.ErrorSince = st.Parsing
		}
		st.NextPoll = now.Add(backoff(interval, st.Failures, nil))
		st.Parsing = time.Time{}
		p.states[f.Name] = st
		aside[f.Name] = st
		names = append(names, f.Name)
	}
	var gone []string // marked, and no longer in the config
	for name, st := range p.states {
		if !st.Parsing.IsZero() && !slices.ContainsFunc(p.opts.Feeds, func(f Feed) bool { return f.Name == name }) {
			gone = append(gone, name)
		}
	}
	p.mu.Unlock()
	if err := p.db.SaveStates(context.Background(), aside); err != nil {
		return fmt.Errorf("fetcher: set feeds aside: %w", err)
	}
	for _, name := range gone {
		p.unmark(name)
	}
	for _, name := range names {
		st := aside[name]
		p.log.Warn("feed was being processed when pressfeed stopped; set aside", "feed", name,
			"failures", st.Failures, "retry_in", st.NextPoll.Sub(now).Round(time.Second))
	}
	return nil
}

// errSetAside is the error a feed set aside at start reports.
var errSetAside = errors.New("fetcher: feed was being processed when pressfeed stopped; set aside")

// markParsing marks the feed as being parsed from now, before a body of
// it is parsed: if the process dies in the parse, the next start finds
// the mark and sets the feed aside (see setAside). The commit of the
// feed's state after the parse ends the mark.
func (p *Poller) markParsing(name string) error {
	return p.db.MarkParsing(name, p.opts.Now().UTC())
}

// unmark ends the feed's mark once the fetch that marked it ends without
// a commit of its state.
func (p *Poller) unmark(name string) {
	if err := p.db.UnmarkParsing(name); err != nil {
		p.log.Error("clear in-flight mark", "feed", name, "err", err)
	}
}

func (p *Poller) state(name string) store.FeedState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.states[name]
}

func (p *Poller) setState(name string, st store.FeedState, written bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.states[name] = st
	if written {
		delete(p.dirty, name)
	} else {
		p.dirty[name] = true
	}
}

func (p *Poller) poll(ctx context.Context, f Feed, sem chan struct{}) {
	wait := p.state(f.Name).NextPoll.Sub(p.opts.Now()) // never fetched or overdue: now
	for {
		timer := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		release, ok := p.acquire(ctx, f, sem)
		if !ok {
			return
		}
		wait, _ = p.pollOnce(ctx, f)
		release()
	}
}

// acquire waits for a free slot for f's site, then for a free slot among
// all fetches, and returns the function that frees both. It returns false
// once ctx is done.
func (p *Poller) acquire(ctx context.Context, f Feed, sem chan struct{}) (release func(), ok bool) {
	host := p.hostSlots(effectiveURL(f, p.state(f.Name)))
	select {
	case host <- struct{}{}: // at most PerHost fetches per site
	case <-ctx.Done():
		return nil, false
	}
	select {
	case sem <- struct{}{}: // at most Concurrency fetches at once
	case <-ctx.Done():
		<-host
		return nil, false
	}
	return func() { <-sem; <-host }, true
}

// hostSlots returns the semaphore of the site that serves feedURL: its
// registrable domain, so that vnexpress.net covers its subdomains.
func (p *Poller) hostSlots(feedURL string) chan struct{} {
	site := ""
	if u, err := url.Parse(feedURL); err == nil {
		site = strings.ToLower(u.Hostname())
		if d, err := publicsuffix.EffectiveTLDPlusOne(site); err == nil {
			site = d
		}
	}
	p.hostMu.Lock()
	defer p.hostMu.Unlock()
	ch, ok := p.hosts[site]
	if !ok {
		ch = make(chan struct{}, p.opts.PerHost)
		p.hosts[site] = ch
	}
	return ch
}

// hostOf returns the host part of feedURL, in lower case.
func hostOf(feedURL string) string {
	u, err := url.Parse(feedURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// hold returns the time before which host must not be asked again.
func (p *Poller) hold(host string) time.Time {
	p.hostMu.Lock()
	defer p.hostMu.Unlock()
	return p.holds[host]
}

// setHold records a Retry-After for host (RFC 9110 section 10.2.3): it
// covers every feed the host serves.
func (p *Poller) setHold(host string, until time.Time) {
	p.hostMu.Lock()
	defer p.hostMu.Unlock()
	if until.After(p.holds[host]) {
		p.holds[host] = until
	}
}

// tick records progress while the poller idles, so that Healthy tells a
// stuck scheduler from a quiet one.
func (p *Poller) tick(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.progress.Store(p.opts.Now().UnixNano())
		}
	}
}

// pollOnce fetches f once, stores what is new and its state, and returns
// the delay until its next poll, with a report of the fetch.
func (p *Poller) pollOnce(ctx context.Context, f Feed) (time.Duration, Report) {
	start := p.opts.Now()
	defer p.progress.Store(p.opts.Now().UnixNano())
	prev := p.state(f.Name)
	prev.Parsing = time.Time{} // a mark left by a stopped process is setAside's, or this fetch replaces it
	asked := effectiveURL(f, prev)
	host := hostOf(asked)
	if until := later(p.hold(host), prev.NotBefore); until.After(start) {
		return p.deferred(f, prev, start, until)
	}
	rep := Report{Feed: f.Name}
	marked := false
	var markErr error
	res, err := fetchMarked(ctx, &p.opts, f, prev, func() error {
		if markErr = p.markParsing(f.Name); markErr == nil {
			marked = true
		}
		return markErr
	})
	if ctx.Err() != nil {
		return p.stopped(f, prev, marked, ctx.Err())
	}
	now := p.opts.Now().UTC()
	st := prev
	st.LastFetch = now
	written := false
	if err == nil {
		st = succeeded(prev, now, res, asked, f.URL)
		p.logMove(f, prev, st, asked)
		// The plan before the items are counted: it goes into the commit
		// that stores them.
		p.plan(f, prev, &st, now, res, 0)
		rep.NotModified = res.NotModified
		if !res.NotModified {
			if written, err = p.store(ctx, f, prev, &st, res, now, &rep); err != nil && ctx.Err() != nil {
				return p.stopped(f, prev, marked, err) // shutting down: not the feed's failure
			}
		}
	}
	if markErr != nil {
		rep.Class = "store"
	}
	if err != nil {
		if rep.Class == "" {
			rep.Class = classify(err)
		}
		st = failed(st, now, p.interval(f), err, rep.Class)
		if st.NotBefore.After(now) { // the publisher said when to come back: the whole site waits
			p.setHold(host, st.NotBefore)
		}
	}
	if marked && !written {
		// No commit of the state cleared the mark (nothing new, a
		// failure): clear it now, before another feed can stop the
		// process and leave this one looking guilty.
		p.unmark(f.Name)
	}
	p.setState(f.Name, st, written)
	rep.Err = err
	rep.Duration = p.opts.Now().Sub(start)
	if p.opts.OnFetch != nil {
		p.opts.OnFetch(rep)
	}
	wait := st.NextPoll.Sub(now)
	p.logFetch(f, rep, st, wait)
	return wait, rep
}

// deferred is pollOnce for a feed whose site said not to come back before
// until (Retry-After): no request, the next poll no earlier than that.
func (p *Poller) deferred(f Feed, prev store.FeedState, start, until time.Time) (time.Duration, Report) {
	rep := Report{Feed: f.Name, Deferred: true}
	st := prev
	if st.NextPoll.Before(until) {
		st.NextPoll = until
		st.PollInterval, st.PollReason = until.Sub(start), ReasonRetryAfter
		p.setState(f.Name, st, false)
	}
	if p.opts.OnFetch != nil {
		p.opts.OnFetch(rep)
	}
	wait := st.NextPoll.Sub(start)
	p.log.Debug("deferred", "feed", f.Name, "retry_in", wait.Round(time.Second))
	return wait, rep
}

// stopped is pollOnce cut short by shutdown: not the feed's failure; the
// in-flight mark, if set, is cleared.
func (p *Poller) stopped(f Feed, prev store.FeedState, marked bool, err error) (time.Duration, Report) {
	if marked {
		p.unmark(f.Name)
	}
	return 0, Report{Feed: f.Name, Err: err}
}

// store adds the items of res and the state st in one commit. On a store
// failure st goes back to prev (the next poll must bring these items
// again) and rep says so. written reports whether the commit wrote st.
func (p *Poller) store(ctx context.Context, f Feed, prev store.FeedState, st *store.FeedState, res result, now time.Time, rep *Report) (written bool, err error) {
	st.ETag, st.LastModified, st.BodyHash = res.ETag, res.LastModified, res.BodyHash
	if res.Title != "" {
		st.Title = res.Title
	}
	r, err := p.db.Add(ctx, f.Name, res.Items, st)
	if err != nil {
		if ctx.Err() == nil {
			*st = prev
			st.LastFetch = now
			rep.Class = "store"
		}
		return false, err
	}
	rep.Result = r
	written = r.Changed()
	if n := r.Added + r.Merged; n > 0 && p.adaptive(f) {
		// Learn from what was new; the state goes out with the next
		// commit or at shutdown.
		p.plan(f, prev, st, now, res, n)
		written = false
	}
	return written, nil
}

// succeeded returns the state of a feed configured at the URL configured
// after a successful fetch of asked at now that brought res: health
// reset, the publisher's TTL and a permanent move kept, or ended when the
// configured URL answered for itself. The next poll is plan's.
func succeeded(prev store.FeedState, now time.Time, res result, asked, configured string) store.FeedState {
	st := prev
	st.LastFetch = now
	st.LastSuccess, st.Failures, st.LastError, st.ErrorClass = now, 0, "", ""
	st.ErrorSince, st.NotBefore, st.Gone = time.Time{}, time.Time{}, false
	st.TTL = res.TTL
	switch {
	case res.MovedTo != "":
		st.MovedFrom, st.MovedTo = configured, res.MovedTo
	case asked == configured && st.MovedTo != "":
		st.MovedFrom, st.MovedTo = "", "" // the configured URL answered for itself: the move is over
	}
	return st
}

// failed returns the state of a feed after a fetch at now failed with err
// (of class): the failure counted, the next poll after the backoff, a day
// after 410 Gone, never before the publisher's Retry-After (NotBefore).
func failed(st store.FeedState, now time.Time, interval time.Duration, err error, class string) store.FeedState {
	st.LastFetch = now
	st.Failures++
	st.LastError, st.ErrorClass = clipText(err.Error(), maxErrorText), class
	if st.ErrorSince.IsZero() {
		st.ErrorSince = now
	}
	st.NextPoll = now.Add(backoff(interval, st.Failures, err))
	st.PollReason = ReasonBackoff
	var se *StatusError
	st.Gone = errors.As(err, &se) && se.Code == http.StatusGone
	if st.Gone {
		// 410: the publisher ended the feed; look once a day in case it
		// comes back.
		st.NextPoll = now.Add(goneInterval)
		st.PollReason = ReasonGone
	}
	if se != nil && se.RetryAfter > 0 {
		st.NotBefore = now.Add(se.RetryAfter)
		if !st.Gone && !st.NextPoll.After(st.NotBefore) {
			st.PollReason = ReasonRetryAfter
		}
	}
	st.PollInterval = st.NextPoll.Sub(now)
	return st
}

// logMove logs a permanent redirect learnt or ended by this fetch.
func (p *Poller) logMove(f Feed, prev, st store.FeedState, asked string) {
	switch {
	case st.MovedTo != "" && st.MovedTo != prev.MovedTo:
		p.log.Info("feed moved", "feed", f.Name, "from", canon.Redact(asked), "to", canon.Redact(st.MovedTo))
	case st.MovedTo == "" && prev.MovedTo != "":
		p.log.Info("feed move ended", "feed", f.Name, "url", canon.Redact(f.URL), "was", canon.Redact(prev.MovedTo))
	}
}

// logFetch logs one fetch: a warning when it failed, one line when it
// changed something.
func (p *Poller) logFetch(f Feed, rep Report, st store.FeedState, wait time.Duration) {
	switch {
	case rep.Err != nil:
		p.log.Warn("fetch failed", "feed", f.Name, "class", rep.Class, "failures", st.Failures,
			"failing_since", st.ErrorSince.Format(time.RFC3339), "retry_in", wait.Round(time.Second), "err", st.LastError)
	case rep.Result.Changed():
		p.log.Info("fetched", "feed", f.Name, "added", rep.Result.Added, "merged", rep.Result.Merged,
			"corrected", rep.Result.Corrected, "duration", rep.Duration.Round(time.Millisecond))
	default:
		p.log.Debug("nothing new", "feed", f.Name, "not_modified", rep.NotModified)
	}
}

// interval is f's configured interval, else the default.
func (p *Poller) interval(f Feed) time.Duration {
	if f.Interval > 0 {
		return f.Interval
	}
	return p.opts.Interval
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// adaptive reports whether f's interval is learnt: Options.Adaptive is on
// and the feed has no interval of its own (which pins it).
func (p *Poller) adaptive(f Feed) bool { return p.opts.Adaptive && f.Interval <= 0 }

// plan sets st's next poll after a successful fetch at now that brought n
// items new to the feed: the pinned or fixed interval ±10%, or with
// Options.Adaptive what the feed's Rhythm (having observed the fetch)
// gives; never sooner than Cache-Control, Expires or <ttl> allow. It
// starts from prev, so a second call replaces the first.
func (p *Poller) plan(f Feed, prev store.FeedState, st *store.FeedState, now time.Time, res result, n int) {
	var d time.Duration
	switch {
	case f.Interval > 0:
		d, st.PollReason = jitter(f.Interval), ReasonPinned
	case !p.opts.Adaptive:
		d, st.PollReason = jitter(p.opts.Interval), ReasonFixed
	default:
		loc := f.Location
		if loc == nil {
			loc = p.opts.Location
		}
		r := DecodeRhythm(prev.Rhythm)
		r.Observe(prev.LastSuccess, now, n, loc)
		st.Rhythm, _ = r.MarshalBinary() // cannot fail
		d, st.PollReason = r.Next(now, loc, p.schedule(), p.refRate(now), rand.Float64())
	}
	// Cache-Control, Expires and <ttl> can only lengthen the interval.
	if floor := min(max(res.Lifetime, res.TTL), maxLifetime); floor > d {
		d, st.PollReason = floor, ReasonCache
		if res.TTL > res.Lifetime {
			st.PollReason = ReasonTTL
		}
	}
	st.NextPoll, st.PollInterval = now.Add(d), d
}

func (p *Poller) schedule() Schedule {
	return Schedule{Interval: p.opts.Interval, Min: p.opts.MinInterval, Max: p.opts.MaxInterval}
}

// refRate returns RefRate over the adaptive feeds' rhythms, worked out
// again every RefRateEvery.
func (p *Poller) refRate(now time.Time) float64 {
	p.refMu.Lock()
	defer p.refMu.Unlock()
	if !p.refAt.IsZero() && now.Sub(p.refAt) < RefRateEvery && now.After(p.refAt) {
		return p.ref
	}
	p.mu.Lock()
	var rs []*Rhythm
	for _, f := range p.opts.Feeds {
		if p.adaptive(f) {
			r := DecodeRhythm(p.states[f.Name].Rhythm)
			rs = append(rs, &r)
		}
	}
	p.mu.Unlock()
	p.ref, p.refAt = RefRate(rs, p.schedule()), now
	return p.ref
}

// maxErrorText bounds the text of a fetch error kept in the feed's state
// and logged: errors can quote what a server sent (a Location of a refused
// redirect, a Cf-Mitigated value), which may run to the 64 KiB header limit.
const maxErrorText = 512

// clipText returns s cut to at most n bytes at a character boundary, with
// "…" in place of what was cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// jitter returns d ±10%, so that feeds added together drift apart.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

// backoff returns the delay after the given number of consecutive failures:
// the interval doubled per failure up to maxBackoff, never shorter than a
// Retry-After the server sent.
func backoff(interval time.Duration, failures int, err error) time.Duration {
	d := interval
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	d = jitter(min(d, maxBackoff))
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > d {
		d = se.RetryAfter
	}
	return d
}
