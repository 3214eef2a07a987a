package publisher

import (
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// FetchEvent is one fetch of one source feed, as the metrics count it. The
// daemon fills it from the fetcher's report of each fetch.
type FetchEvent struct {
	Feed        string
	Class       string // the error class; "" for a fetch that succeeded
	Duration    time.Duration
	Added       int // new items stored
	Merged      int // copies merged into known items
	NotModified bool
}

// ObserveFetch counts one fetch in /metrics.
func (h *Handler) ObserveFetch(ev FetchEvent) { h.h.metrics.observeFetch(ev) }

// ObservePrune counts items deleted by retention in /metrics.
func (h *Handler) ObservePrune(n int) {
	if n > 0 {
		h.h.metrics.pruned.Add(float64(n))
	}
}

// metrics owns the handler's Prometheus registry. Per-feed and store values
// are read when scraped, so they cost nothing between scrapes.
type metrics struct {
	reg      *prometheus.Registry
	fetches  *prometheus.CounterVec // by result: ok, not_modified or the error class
	duration prometheus.Histogram
	stored   prometheus.Counter
	merged   prometheus.Counter
	pruned   prometheus.Counter
	requests *prometheus.CounterVec // by route and status code
	pings    *prometheus.CounterVec // WebSub publish requests by result

	// Counters of the hot routes, looked up once rather than per request.
	hot map[hotKey]prometheus.Counter
}

var (
	descLastSuccess = prometheus.NewDesc("pressfeed_feed_last_success_timestamp_seconds",
		"Unix time of the last successful fetch of a feed (0: never).", []string{"feed"}, nil)
	descFailures = prometheus.NewDesc("pressfeed_feed_consecutive_failures",
		"Failed fetches of a feed since its last success.", []string{"feed"}, nil)
	descFileSize = prometheus.NewDesc("pressfeed_store_file_size_bytes",
		"Size of the bbolt file.", nil, nil)
	descItems = prometheus.NewDesc("pressfeed_store_items",
		"Items in the store.", nil, nil)
)

type hotKey struct {
	route string
	code  int
}

// routes are the label values of pressfeed_http_requests_total.
var routes = []string{"feed", "status", "status_json", "opml", "healthz", "metrics", "other"}

func newMetrics(h *handler) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pressfeed_fetches_total",
			Help: "Fetches of source feeds by result: ok, not_modified, or the error class.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pressfeed_fetch_duration_seconds",
			Help:    "Time a fetch took, from request to stored items.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
		stored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pressfeed_items_stored_total", Help: "New items stored.",
		}),
		merged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pressfeed_items_merged_total", Help: "Copies of known stories merged into their item.",
		}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pressfeed_items_pruned_total", Help: "Items deleted by retention.",
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pressfeed_http_requests_total",
			Help: "HTTP requests answered, by route and status code (304: not modified).",
		}, []string{"route", "code"}),
		pings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pressfeed_websub_pings_total",
			Help: "WebSub publish requests by result: ok, or failed after every retry.",
		}, []string{"result"}),
		hot: make(map[hotKey]prometheus.Counter),
	}
	for _, route := range routes {
		for _, code := range []int{200, 304, 400, 404, 503} {
			c := strconv.Itoa(code)
			m.hot[hotKey{route, code}] = m.requests.WithLabelValues(route, c)
		}
	}
	m.reg.MustRegister(m.fetches, m.duration, m.stored, m.merged, m.pruned, m.requests, m.pings,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{h: h}, &deliveryCollector{h: h},
		// How often documents are rendered, against how often the store
		// changes and readers ask for pages: what serving from memory saves.
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pressfeed_documents_rendered_total",
			Help: "Documents rendered: first pages on store change, and pages asked for with a query."},
			func() float64 { return float64(h.renders.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pressfeed_generations_total",
			Help: "Generations of first pages rendered, each from one read of the store."},
			func() float64 { return float64(h.generations.Load()) }))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func (m *metrics) observeFetch(ev FetchEvent) {
	result := "ok"
	switch {
	case ev.Class != "":
		result = ev.Class
	case ev.NotModified:
		result = "not_modified"
	}
	m.fetches.WithLabelValues(result).Inc()
	m.duration.Observe(ev.Duration.Seconds())
	if ev.Added > 0 {
		m.stored.Add(float64(ev.Added))
	}
	if ev.Merged > 0 {
		m.merged.Add(float64(ev.Merged))
	}
}

func (m *metrics) websub(ok bool) {
	if ok {
		m.pings.WithLabelValues("ok").Inc()
	} else {
		m.pings.WithLabelValues("failed").Inc()
	}
}

// request counts one answered request.
func (m *metrics) request(path string, code int) {
	route := routeOf(path)
	if c, ok := m.hot[hotKey{route, code}]; ok {
		c.Inc()
		return
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}

func routeOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/feeds/"):
		return "feed"
	case path == "/":
		return "status"
	case path == "/status.json":
		return "status_json"
	case path == "/opml":
		return "opml"
	case path == "/healthz":
		return "healthz"
	case path == "/metrics":
		return "metrics"
	}
	return "other"
}

// storeCollector reports per-feed health and the store's size when scraped.
type storeCollector struct{ h *handler }

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLastSuccess
	ch <- descFailures
	ch <- descFileSize
	ch <- descItems
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	states, err := c.h.feedStates(context.Background())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descLastSuccess, err)
	} else {
		for _, f := range c.h.feedList {
			st := states[f.Name]
			var t float64
			if !st.LastSuccess.IsZero() {
				t = float64(st.LastSuccess.UnixNano()) / 1e9
			}
			ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, t, f.Name)
			ch <- prometheus.MustNewConstMetric(descFailures, prometheus.GaugeValue, float64(st.Failures), f.Name)
		}
	}
	if fi, err := os.Stat(c.h.db.Path()); err != nil {
		ch <- prometheus.NewInvalidMetric(descFileSize, err)
	} else {
		ch <- prometheus.MustNewConstMetric(descFileSize, prometheus.GaugeValue, float64(fi.Size()))
	}
	if n, err := c.h.db.Count(); err != nil {
		ch <- prometheus.NewInvalidMetric(descItems, err)
	} else {
		ch <- prometheus.MustNewConstMetric(descItems, prometheus.GaugeValue, float64(n))
	}
}

// statusWriter remembers the status code of a response. It passes
// io.ReaderFrom through, so serving cached bytes costs what it did without it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
