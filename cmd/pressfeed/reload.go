package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressfeed/pressfeed/deliver"
	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// startGrace is how long a newly started scheduler counts as healthy while
// it loads the stored feed states.
const startGrace = 10 * time.Second

// service is the running daemon: one store, one listener, and a scheduler
// and a publisher that a reload replaces.
type service struct {
	configPath string
	db         *store.DB
	router     *deliver.Router // routes stored items to the deliveries (store.Options.Enqueue)
	admin      http.Handler    // GET /admin/backup (backup.go); nil when its token could not be written
	log        *slog.Logger
	level      *slog.LevelVar
	notify     notifier

	handler swapHandler
	pub     atomic.Pointer[publisher.Handler] // the handler being served, for the fetcher's reports
	poller  atomic.Pointer[fetcher.Poller]
	started atomic.Int64 // unix nanos when the current poller started

	// Owned by the goroutine in run.
	cfg        *config
	stopPoller context.CancelFunc
	pollerDone chan error
	stopPub    context.CancelFunc // ends the current handler's Run (WebSub pings)
	pubDone    chan error
	stopSend   context.CancelFunc // ends the senders of the deliveries
	sendDone   chan error
}

// swapHandler serves with the handler last stored; a reload swaps it while
// requests are in flight.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

func (s *swapHandler) store(h http.Handler) { s.h.Store(&h) }

// run serves until ctx is done or a part fails, reloading the config on
// every value from hup. It returns nil after a clean shutdown.
func (s *service) run(ctx context.Context, cfg *config, hup <-chan os.Signal) error {
	s.admin = newAdmin(s.db, s.log)
	h, err := s.newHandler(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return err
	}
	srv := s.httpServer()
	s.cfg = cfg
	bg, cancelBg := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBg()
	s.startPoller(bg, cfg)
	s.startPublisher(bg, h)
	s.startDeliveries(bg, cfg, h)
	httpDone := make(chan error, 1)
	go func() { httpDone <- serve(bg, srv, ln, shutdownGrace) }()
	var wg sync.WaitGroup
	wg.Go(func() { s.notify.watchdog(bg, s.healthy) })
	s.log.Info("started", "version", version(), "listen", ln.Addr().String(), "feeds", len(cfg.Feeds),
		"outputs", len(cfg.Outputs), "store", s.db.Path(), "config", s.configPath)
	s.notify.ready()

	st := s.serveUntilStop(ctx, bg, httpDone, hup)
	cause := context.Cause(ctx)
	if st.failed != nil {
		cause = st.failed
	}
	s.log.Info("stopping", "cause", cause)
	s.notify.stopping()
	// Stop accepting and drain HTTP while fetches are cancelled; the
	// scheduler writes its feed states before it returns.
	cancelBg()
	err = errors.Join(st.failed, s.stopAll(st, httpDone))
	wg.Wait()
	if st.failed == nil && err == nil {
		s.log.Info("stopped")
	}
	return err
}

// httpServer is the daemon's HTTP server: the publisher's routes and
// GET /admin/backup, with timeouts that bound slow clients.
func (s *service) httpServer() *http.Server {
	return &http.Server{
		Handler:           publisher.WithHeaders(&s.handler), // nosniff and CSP on the mux's own answers too
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// stopState is why serveUntilStop returned: a part that stopped (its
// error, or nil when ctx was done), and which part is already done.
type stopState struct {
	failed                     error
	httpStopped, pollerStopped bool
}

// serveUntilStop reloads on every value from hup until ctx is done or the
// HTTP server or the scheduler stops.
func (s *service) serveUntilStop(ctx, bg context.Context, httpDone <-chan error, hup <-chan os.Signal) stopState {
	for {
		select {
		case <-ctx.Done():
			return stopState{}
		case err := <-httpDone:
			return stopState{failed: err, httpStopped: true}
		case err := <-s.pollerDone:
			if err == nil {
				err = errors.New("fetcher: scheduler stopped")
			}
			return stopState{failed: err, pollerStopped: true}
		case <-hup:
			s.notify.reloading()
			if err := s.reload(bg); err != nil {
				s.log.Error("reload refused, the running config stays", "config", s.configPath, "err", err)
			}
			s.notify.ready()
		}
	}
}

// stopAll waits for the parts still running after their context was
// cancelled: the scheduler, the HTTP server, the publisher and the
// deliveries.
func (s *service) stopAll(st stopState, httpDone <-chan error) error {
	var perr, herr error
	if !st.pollerStopped {
		perr = s.stopPollerAndWait()
	}
	if !st.httpStopped {
		herr = <-httpDone
	}
	if err := s.stopPublisherAndWait(); err != nil {
		herr = errors.Join(herr, err)
	}
	if err := s.stopDeliveriesAndWait(); err != nil {
		herr = errors.Join(herr, err)
	}
	return errors.Join(perr, herr)
}

// healthy reports whether the scheduler is making progress and the store
// answers: the condition for /healthz and the watchdog.
func (s *service) healthy(ctx context.Context) error {
	if err := s.db.Ping(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return s.pollerHealthy()
}

func (s *service) pollerHealthy() error {
	p := s.poller.Load()
	if p == nil {
		return errors.New("fetcher: scheduler not started")
	}
	err := p.Healthy()
	if err != nil && time.Since(time.Unix(0, s.started.Load())) < startGrace {
		return nil // still loading its states
	}
	return err
}

// feedStates returns the scheduler's live feed states, or nil before it
// starts (the publisher then reads the stored ones): deliveries left
// pending by the last run may be sent as soon as they start.
func (s *service) feedStates() map[string]store.FeedState {
	if p := s.poller.Load(); p != nil {
		return p.States()
	}
	return nil
}

// maxStale is how far a merged feed may lag the store while items keep
// arriving: during a busy ingest, readers get the page rendered at most a
// second ago instead of waiting for a render on every commit.
const maxStale = time.Second

func (s *service) newHandler(cfg *config) (*publisher.Handler, error) {
	opts := cfg.publisherOptions(s.log)
	opts.Healthy = s.pollerHealthy
	opts.States = s.feedStates
	opts.WebSubHubs = cfg.Server.WebSubHubs
	opts.Location = cfg.location
	opts.MaxStale = maxStale
	opts.Admin = s.admin
	h, err := publisher.NewHandler(s.db, opts)
	if err != nil {
		return nil, &configError{err}
	}
	return h, nil
}

// startPublisher serves h from now on and starts its Run (WebSub pings),
// ending the Run of the handler it replaces. Requests in flight on the old
// handler finish there.
func (s *service) startPublisher(ctx context.Context, h *publisher.Handler) {
	var prev error
	if s.stopPub != nil {
		prev = s.stopPublisherAndWait()
	}
	if prev != nil {
		s.log.Error("publisher stopped with an error", "err", prev)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	s.pub.Store(h)
	s.handler.store(h)
	go func() { done <- h.Run(ctx) }()
	s.stopPub, s.pubDone = cancel, done
}

func (s *service) stopPublisherAndWait() error {
	s.stopPub()
	return <-s.pubDone
}

// startDeliveries starts the senders of cfg's deliveries, presenting items
// as h does, after ending those it replaces.
func (s *service) startDeliveries(ctx context.Context, cfg *config, h *publisher.Handler) {
	if s.stopSend != nil {
		if err := s.stopDeliveriesAndWait(); err != nil {
			s.log.Error("deliveries stopped with an error", "err", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	opts := cfg.deliverOptions(s.log, h)
	go func() { done <- deliver.Run(ctx, s.db, opts) }()
	s.stopSend, s.sendDone = cancel, done
}

func (s *service) stopDeliveriesAndWait() error {
	s.stopSend()
	return <-s.sendDone
}

// observeFetch hands the fetcher's report of one fetch to the metrics of
// the handler being served.
func (s *service) observeFetch(r fetcher.Report) {
	h := s.pub.Load()
	if h == nil {
		return
	}
	ev := publisher.FetchEvent{Feed: r.Feed, Duration: r.Duration, Added: r.Result.Added, Merged: r.Result.Merged,
		NotModified: r.NotModified}
	if r.Err != nil {
		ev.Class = r.Class
	}
	h.ObserveFetch(ev)
}

// startPoller starts a scheduler for cfg's feeds; it loads the stored feed
// states, so schedules and validators carry over from the one before.
func (s *service) startPoller(ctx context.Context, cfg *config) {
	opts := cfg.fetcherOptions(s.log, version())
	opts.OnFetch = s.observeFetch
	onPrune := func(n int) {
		if h := s.pub.Load(); h != nil {
			h.ObservePrune(n)
		}
	}
	p := fetcher.NewPoller(s.db, opts)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	s.started.Store(time.Now().UnixNano())
	s.poller.Store(p)
	go func() {
		// Retention pruning lives and stops with the scheduler, so that a
		// reload applies a changed store.retention too.
		retained := make(chan error, 1)
		go func() { retained <- s.db.Retain(ctx, time.Duration(cfg.Store.Retention), onPrune) }()
		err := p.Run(ctx)
		cancel()
		done <- errors.Join(err, <-retained)
	}()
	s.stopPoller, s.pollerDone = cancel, done
}

// stopPollerAndWait cancels the scheduler and waits until it has written
// its feed states.
func (s *service) stopPollerAndWait() error {
	s.stopPoller()
	return <-s.pollerDone
}

// reload reads the config file again and applies it: feeds and outputs
// added, removed or changed, and the log level. A file that fails to load
// or validate changes nothing. server.listen and store.path need a restart.
func (s *service) reload(ctx context.Context) error {
	cfg, err := loadConfig(s.configPath)
	if err != nil {
		return err
	}
	h, err := s.newHandler(cfg)
	if err != nil {
		return err
	}
	old := s.cfg
	if cfg.Server.Listen != old.Server.Listen {
		s.log.Warn("server.listen changed: restart to apply", "running", old.Server.Listen, "config", cfg.Server.Listen)
		cfg.Server.Listen = old.Server.Listen
	}
	if cfg.storePath() != old.storePath() {
		s.log.Warn("store.path changed: restart to apply", "running", old.storePath(), "config", cfg.storePath())
	}
	if err := s.stopPollerAndWait(); err != nil {
		// The items are stored; only states changed since their last
		// commit are lost, and the next poll refreshes them.
		s.log.Error("scheduler stopped with an error", "err", err)
	}
	if err := routeDeliveries(ctx, s.db, cfg, h, s.router); err != nil {
		s.log.Error("deliveries not reloaded", "err", err)
	}
	s.startPoller(ctx, cfg)
	s.startPublisher(ctx, h)
	s.startDeliveries(ctx, cfg, h)
	s.level.Set(logLevel(cfg.Log.Level))
	s.cfg = cfg
	added, removed, changed := diffFeeds(old.Feeds, cfg.Feeds)
	s.log.Info("reloaded", "config", s.configPath, "feeds", len(cfg.Feeds), "added", added, "removed", removed,
		"changed", changed, "outputs", len(cfg.Outputs))
	return nil
}

// diffFeeds names the feeds added, removed and changed between two configs.
func diffFeeds(old, cur []feedConfig) (added, removed, changed []string) {
	byName := make(map[string]feedConfig, len(old))
	for _, f := range old {
		byName[f.Name] = f
	}
	for _, f := range cur {
		o, ok := byName[f.Name]
		switch {
		case !ok:
			added = append(added, f.Name)
		case o.URL != f.URL || o.Title != f.Title || o.Interval != f.Interval || o.Timezone != f.Timezone ||
			!slices.Equal(o.Tags, f.Tags) || o.Format != f.Format || o.Select != f.Select || !maps.Equal(o.Headers, f.Headers):
			changed = append(changed, f.Name)
		}
		delete(byName, f.Name)
	}
	for name := range byName {
		removed = append(removed, name)
	}
	slices.Sort(removed)
	return added, removed, changed
}

// serve serves on ln until ctx is done, then drains for at most grace.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeoutCause(context.Background(), grace, errors.New("grace period over"))
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = context.Cause(sctx)
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
