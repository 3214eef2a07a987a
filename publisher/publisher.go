// Package publisher serves pressfeed's merged feeds over HTTP: every output as
// RSS 2.0, Atom 1.0 and JSON Feed 1.1 under /feeds/ (with ?q=, ?limit= and
// ?before= paging), the status page /, /status.json, /opml, /healthz and
// /metrics; it pings WebSub hubs when a document changes.
//
// Invariants: a document depends only on the stored items and the options,
// never on the clock, so the same items give the same bytes and the same
// ETag; the first pages of all outputs in all formats are rendered together
// on store change, from one read of the store, and switched in at once as
// one generation, then served from memory, identity and gzip alike; a first
// page served never misses a change made Options.MaxStale ago; every string
// written is NFC and holds only characters XML 1.0 allows; every item carries
// its store id (urn:pressfeed:item:…) in all three formats. Every response
// carries X-Content-Type-Options: nosniff and a Content-Security-Policy.
package publisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/store"
	"github.com/pressfeed/pressfeed/vntext"
)

// Output is one merged feed served at /feeds/{Name}.rss|.atom|.json.
type Output struct {
	Name, Title, Description string
	Limit                    int      // items per document; 0 means 100
	Tags, Feeds              []string // only items carried by a feed with one of these tags / names (empty: all)
	Include, Exclude         []string // keyword phrases (SPEC "Keywords"), matched against title or summary
}

// Feed is what the publisher knows of a configured source feed.
type Feed struct {
	Name, Title, URL string // Title "" means: use the feed's own title from store.FeedState, else Name
	Tags             []string
	// Format and Select say how the feed is read (config.toml's format
	// and [feeds.select]; Format "" means "feed"). Only the OPML uses
	// them: an html feed with XPath selectors is written as FreshRSS
	// reads it.
	Format string
	Select scrape.Select
}

// Options configure the handler. The zero value serves one output, "all",
// at http://127.0.0.1:8080.
type Options struct {
	// Admin, when not nil, answers GET /admin/backup (the daemon's copy
	// of its store for `pressfeed backup`; it checks who asks).
	Admin http.Handler
	// Background runs the rendering of each generation; nil runs it on
	// Run's goroutine. The daemon passes its CPU policy.
	Background store.Runner
	BaseURL    string       // public URL, e.g. "http://127.0.0.1:8080"; self links are BaseURL + "/feeds/all.atom"
	Outputs    []Output     // empty: one output "all" with defaults
	Feeds      []Feed       // the configured source feeds
	Healthy    func() error // extra health check for /healthz (the scheduler); nil means none
	Logger     *slog.Logger // nil discards

	// States returns the live state of every feed (the scheduler's), or
	// nil while it has none; a nil States or a nil result reads the stored
	// states instead, which lag by up to one fetch.
	States func() map[string]store.FeedState
	// Deliveries are the configured deliveries, for the status page and
	// /metrics.
	Deliveries []Delivery
	// WebSubHubs are the hub URLs pinged by Run when a document changes;
	// the first page of every document then links them with rel="hub".
	WebSubHubs []string
	Client     *http.Client     // for hub pings; nil means a client with a 30 s timeout
	Location   *time.Location   // days of the status page's charts; nil means UTC
	Now        func() time.Time // nil means time.Now
	// MaxStale is how long after a store change a first page may still be
	// served without it, so that a reader need not wait while Run renders
	// the change (it does within about half a second). A request that
	// would get a page missing an older change waits for the render
	// instead, 304 included. Zero: every request after a change sees it.
	MaxStale time.Duration
}

// Defaults of Options, which the config's defaults are too.
const (
	DefaultBaseURL = "http://127.0.0.1:8080"
	DefaultLimit   = 100 // items per document
)

// DefaultOutput is the output served when Options.Outputs is empty.
var DefaultOutput = Output{Name: "all", Title: "Tin tổng hợp", Description: "Tin mới từ các báo"}

// Handler serves pressfeed's HTTP routes, collects its metrics and, in Run,
// renders first pages on store change and pings WebSub hubs. Its methods
// are safe for concurrent use.
type Handler struct{ h *handler }

// ServeHTTP serves the routes listed in the package comment.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.h.ServeHTTP(w, r) }

// handler serves the routes of NewHandler.
type handler struct {
	mux        *http.ServeMux
	db         *store.DB
	log        *slog.Logger
	baseURL    string             // without a trailing slash
	outputs    map[string]*output // by name
	order      []*output          // as configured
	feeds      map[string]*Feed   // by name
	feedList   []*Feed            // as configured
	healthy    func() error       // nil means none
	background store.Runner
	admin      http.Handler
	deliveries []Delivery
	states     func() map[string]store.FeedState
	hubs       []string
	client     *http.Client
	loc        *time.Location
	now        func() time.Time
	maxStale   time.Duration
	maxScan    int // items one reader's page may read (see selectItems)
	metrics    *metrics
	renders    atomic.Int64 // documents rendered: pressfeed_documents_rendered_total
	down       atomic.Bool  // the last store read failed; logged once until one succeeds

	gen       atomic.Pointer[generation] // served first pages; nil until the first render
	rendering chan struct{}              // held (cap 1) by the one render of a generation at a time
	epoch     time.Time                  // zero of h.clock
	// started is when NewHandler ran, to the second (from Options.Now): the
	// updated date of an empty document, which has no item to date it by.
	// The Unix epoch would be an implausible date (feed validators warn),
	// the clock would change the bytes and ETag on every render; this way
	// the same items give the same bytes for the life of the process, and
	// an empty output's ETag changes once per restart.
	started     time.Time
	generations atomic.Int64 // generations rendered: pressfeed_generations_total

	statsMu sync.Mutex
	stats   *dayStats // items per feed and day, cached per store version

	retryBase time.Duration // first WebSub retry delay, doubled per attempt
}

// output is an Output ready to serve: defaults applied, keywords parsed,
// filters turned into sets.
type output struct {
	Output
	index     int // in handler.order and generation.docs
	limit     int
	tagFeeds  map[string]bool // feeds carrying one of Tags; nil: no tag filter
	feedSet   map[string]bool // Feeds as a set; nil: no feed filter
	include   []vntext.Keyword
	exclude   []vntext.Keyword
	selfLinks [numFormats]string
}

// selection is what a first page shows, shared by its formats.
type selection struct {
	items []store.Item // newest first
	next  cursor       // where the next page starts; zero when none follows
}

// NewHandler returns the HTTP handler for pressfeed's routes. It fails when an
// option is invalid (a bad keyword, a duplicate output name, a hub that is not
// an http(s) URL).
func NewHandler(db *store.DB, opts Options) (*Handler, error) {
	h, err := newHandler(db, opts)
	if err != nil {
		return nil, err
	}
	return &Handler{h}, nil
}

func newHandler(db *store.DB, opts Options) (*handler, error) {
	if db == nil {
		return nil, errors.New("publisher: no store")
	}
	h := &handler{
		mux:        http.NewServeMux(),
		db:         db,
		log:        opts.Logger,
		outputs:    make(map[string]*output),
		feeds:      make(map[string]*Feed),
		healthy:    opts.Healthy,
		background: opts.Background,
		admin:      opts.Admin,
		deliveries: opts.Deliveries,
		states:     opts.States,
		client:     opts.Client,
		loc:        opts.Location,
		now:        opts.Now,

		maxScan:   maxScan,
		retryBase: 5 * time.Second,
		rendering: make(chan struct{}, 1),
		epoch:     time.Now(),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = h.log.With("component", "publisher")
	if h.client == nil {
		h.client = &http.Client{Timeout: 30 * time.Second}
	}
	if h.loc == nil {
		h.loc = time.UTC
	}
	h.maxStale = max(opts.MaxStale, 0)
	if h.now == nil {
		h.now = time.Now
	}
	h.started = h.now().UTC().Truncate(time.Second)
	for _, hub := range opts.WebSubHubs {
		if !isHTTP(hub) || hub != xmlText(hub) {
			return nil, fmt.Errorf("publisher: WebSub hub %q is not an absolute http(s) URL", hub)
		}
		h.hubs = append(h.hubs, hub)
	}
	base := strings.TrimRight(xmlText(opts.BaseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if !isHTTP(base) {
		return nil, fmt.Errorf("publisher: base URL %q is not an absolute http(s) URL", opts.BaseURL)
	}
	h.baseURL = base

	tagged, err := h.addFeeds(opts.Feeds)
	if err != nil {
		return nil, err
	}
	if err := h.addOutputs(opts.Outputs, tagged); err != nil {
		return nil, err
	}
	h.metrics = newMetrics(h)
	h.routes()
	return h, nil
}

// addFeeds adds the configured feeds and returns the names of the feeds
// carrying each tag.
func (h *handler) addFeeds(feeds []Feed) (tagged map[string][]string, err error) {
	tagged = make(map[string][]string)
	for _, f := range feeds {
		if f.Name == "" {
			return nil, errors.New("publisher: a feed has no name")
		}
		if h.feeds[f.Name] != nil {
			return nil, fmt.Errorf("publisher: duplicate feed name %q", f.Name)
		}
		f := Feed{Name: f.Name, Title: xmlText(f.Title), URL: xmlText(f.URL), Tags: cleanAll(f.Tags),
			Format: f.Format, Select: f.Select}
		h.feeds[f.Name] = &f
		h.feedList = append(h.feedList, &f)
		for _, t := range f.Tags {
			tagged[t] = append(tagged[t], f.Name)
		}
	}
	return tagged, nil
}

// addOutputs adds the configured outputs, or the default one when there
// are none.
func (h *handler) addOutputs(outs []Output, tagged map[string][]string) error {
	if len(outs) == 0 {
		outs = []Output{DefaultOutput}
	}
	for _, o := range outs {
		if h.outputs[o.Name] != nil {
			return fmt.Errorf("publisher: duplicate output name %q", o.Name)
		}
		out, err := h.newOutput(o, tagged)
		if err != nil {
			return fmt.Errorf("publisher: output %q: %w", o.Name, err)
		}
		out.index = len(h.order)
		h.outputs[o.Name] = out
		h.order = append(h.order, out)
	}
	return nil
}

// routes is the handler's route table (see the package comment).
func (h *handler) routes() {
	h.mux.HandleFunc("GET /feeds/{file}", h.serveFeed)
	h.mux.HandleFunc("GET /healthz", h.serveHealth)
	h.mux.HandleFunc("GET /{$}", h.serveStatusPage)
	h.mux.HandleFunc("GET /status.json", h.serveStatusJSON)
	h.mux.HandleFunc("GET /opml", h.serveOPML)
	h.mux.Handle("GET /metrics", h.metrics.handler())
	if h.admin != nil {
		// Every method: the admin handler answers what it refuses with a
		// 404, so that a stranger cannot tell the route exists.
		h.mux.Handle("/admin/backup", h.admin)
	}
}

func (h *handler) newOutput(o Output, tagged map[string][]string) (*output, error) {
	if !validName(o.Name) {
		return nil, errors.New("name must match [a-z0-9-]+")
	}
	if o.Limit < 0 {
		return nil, fmt.Errorf("limit %d is negative", o.Limit)
	}
	out := &output{Output: o, limit: o.Limit}
	if out.limit == 0 {
		out.limit = DefaultLimit
	}
	out.Title = xmlText(o.Title)
	if out.Title == "" {
		out.Title = o.Name
	}
	out.Description = xmlText(o.Description)
	if len(o.Tags) > 0 {
		out.tagFeeds = make(map[string]bool)
		for _, t := range o.Tags {
			names, ok := tagged[t]
			if !ok {
				return nil, fmt.Errorf("no feed has tag %q", t)
			}
			for _, n := range names {
				out.tagFeeds[n] = true
			}
		}
	}
	if len(o.Feeds) > 0 {
		out.feedSet = make(map[string]bool)
		for _, n := range o.Feeds {
			if h.feeds[n] == nil {
				return nil, fmt.Errorf("unknown feed %q", n)
			}
			out.feedSet[n] = true
		}
	}
	var err error
	if out.include, err = parseKeywords(o.Include); err != nil {
		return nil, fmt.Errorf("include: %w", err)
	}
	if out.exclude, err = parseKeywords(o.Exclude); err != nil {
		return nil, fmt.Errorf("exclude: %w", err)
	}
	for f := range numFormats {
		out.selfLinks[f] = h.baseURL + "/feeds/" + o.Name + formats[f].ext
	}
	return out, nil
}

func parseKeywords(phrases []string) ([]vntext.Keyword, error) {
	var ks []vntext.Keyword
	for _, p := range phrases {
		k, err := vntext.ParseKeyword(p)
		if err != nil {
			return nil, err
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// validName reports whether an output name follows the config's rule for
// names, [a-z0-9-]+: safe in a URL path and in a URN.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// isHTTP reports whether s is an absolute http(s) URL with a host.
func isHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func cleanAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, xmlText(s))
	}
	return out
}

// Content-Security-Policy values: documents and data forbid everything and
// are sandboxed; the status page may use its own inline styles and nothing
// else (its chart is inline SVG, its refresh a meta element).
const (
	cspDocument = "default-src 'none'; sandbox"
	cspPage     = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

// Shared header values (cap 1: an Add reallocates rather than sharing).
var (
	hdrNosniff     = []string{"nosniff"}
	hdrCSPDocument = []string{cspDocument}
)

// ServeHTTP sets the headers every response carries, routes the request and
// counts it.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd["X-Content-Type-Options"] = hdrNosniff
	hd["Content-Security-Policy"] = hdrCSPDocument
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	h.mux.ServeHTTP(sw, r)
	h.metrics.request(r.URL.Path, sw.code)
}

// keep reports whether it belongs in the output: carried by a feed with one
// of the tags, by one of the feeds, matching an include keyword and no exclude
// keyword, each condition only when configured.
func (o *output) keep(it *store.Item) bool { return o.keepMatching(it, nil) }

// keepMatching is keep that also wants q, when not nil, to match it.
// Keywords match what any outlet wrote (see itemWords).
func (o *output) keepMatching(it *store.Item, q *vntext.Keyword) bool {
	if o.tagFeeds != nil && !carriedBy(it, o.tagFeeds) {
		return false
	}
	if o.feedSet != nil && !carriedBy(it, o.feedSet) {
		return false
	}
	if len(o.include) == 0 && len(o.exclude) == 0 && q == nil {
		return true
	}
	var buf [8]string
	w := itemWords{texts: it.SearchTexts(buf[:0])}
	if len(o.include) > 0 && !slices.ContainsFunc(o.include, w.matches) {
		return false
	}
	if q != nil && !w.matches(*q) {
		return false
	}
	return !slices.ContainsFunc(o.exclude, w.matches)
}

func carriedBy(it *store.Item, feeds map[string]bool) bool {
	for _, m := range it.Members {
		if feeds[m.Feed] {
			return true
		}
	}
	return false
}

// serveHealth answers 200 "ok" when the store answers a read and the extra
// check passes, else 503 with the reason on one line.
func (h *handler) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := errors.Join(h.db.Ping(r.Context()), h.db.WriteErr()); err != nil { // WriteErr: file full (store.ErrFull)
		if !errors.Is(err, store.ErrFull) { // the store logs a full file itself
			h.log.Warn("health check: store not readable", "err", err)
		}
		http.Error(w, storeTrouble(err), http.StatusServiceUnavailable)
		return
	}
	if h.healthy != nil {
		if err := h.healthy(); err != nil {
			http.Error(w, oneLine(err.Error()), http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// storeTrouble says what is wrong with the store in words fit for any
// client: store errors name the database file, which an HTTP answer must
// not (the details go to the log).
func storeTrouble(err error) string {
	if errors.Is(err, store.ErrFull) {
		return "store: database is full"
	}
	return "store: not readable"
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// storeRead runs a store read and logs its failure once: the first failure of
// a run of failures is logged, and the first success after it.
// args name what was read, as log attributes.
func (h *handler) storeRead(ctx context.Context, read func(context.Context) error, args ...any) error {
	if err := read(ctx); err != nil {
		if h.down.CompareAndSwap(false, true) {
			h.log.Error("read items", append(args, "err", err)...)
		}
		return err
	}
	if h.down.CompareAndSwap(true, false) {
		h.log.Info("store readable again")
	}
	return nil
}
