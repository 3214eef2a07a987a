package publisher

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// seedMany stores n stories from the fixture's feeds, every fifth carried by two.
func seedMany(b *testing.B, n int) *handler {
	b.Helper()
	c := &clock{t: time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)}
	db := openDB(b, c)
	byFeed := make(map[string][]store.Incoming)
	for i := range n {
		feed := fixtureFeeds[i%len(fixtureFeeds)].Name
		title := fmt.Sprintf("Tin số %d: TP Hồ Chí Minh khai trương tuyến metro, giá xăng giảm", i)
		it := store.Item{
			Title:     title,
			Link:      fmt.Sprintf("https://%s.example.vn/tin-%d.html", feed, i),
			Summary:   "Tuyến metro Bến Thành – Suối Tiên chở khách từ sáng nay; giá xăng RON 95 giảm 500 đồng mỗi lít.",
			Content:   "<p>Tuyến metro <b>Bến Thành – Suối Tiên</b> chở khách từ sáng nay.</p><p>Giá xăng RON 95 giảm 500 đồng mỗi lít &amp; dầu diesel giữ nguyên.</p>",
			Author:    "Minh Anh",
			Published: c.t.Add(-time.Duration(i) * time.Minute),
		}
		byFeed[feed] = append(byFeed[feed], incoming(fmt.Sprint(i), fmt.Sprint("key ", i), it))
		if i%5 == 0 { // the same story, by title, from the next feed
			other := fixtureFeeds[(i+1)%len(fixtureFeeds)].Name
			it.Link = fmt.Sprintf("https://%s.example.vn/copy-%d.html", other, i)
			byFeed[other] = append(byFeed[other], incoming(fmt.Sprint("copy-", i), fmt.Sprint("key ", i), it))
		}
	}
	for _, f := range fixtureFeeds {
		add(b, db, f.Name, &store.FeedState{Title: f.Name + " online"}, byFeed[f.Name]...)
	}
	h, err := newHandler(db, Options{BaseURL: "http://127.0.0.1:8080", Feeds: fixtureFeeds})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// discardWriter is a ResponseWriter that copies the body through a fixed
// buffer, as net/http's response does into its bufio.Writer, and keeps
// nothing. Like response it implements io.ReaderFrom, so the benchmarks
// measure the handler rather than httptest.ResponseRecorder's growing buffer.
type discardWriter struct {
	h    http.Header
	code int
	n    int64
	buf  [4096]byte
}

func newDiscardWriter() *discardWriter {
	return &discardWriter{h: make(http.Header), code: http.StatusOK}
}

func (w *discardWriter) Header() http.Header  { return w.h }
func (w *discardWriter) WriteHeader(code int) { w.code = code }

func (w *discardWriter) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		rest = rest[copy(w.buf[:], rest):]
	}
	w.n += int64(len(p))
	return len(p), nil
}

func (w *discardWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		n, err := r.Read(w.buf[:])
		total += int64(n)
		if err == io.EOF {
			w.n += total
			return total, nil
		}
		if err != nil {
			w.n += total
			return total, err
		}
	}
}

// BenchmarkServeCached serves a cached 100-item all.atom; compare with
// BenchmarkServeStatic, the same bytes from a handler that only writes them.
func BenchmarkServeCached(b *testing.B) {
	h := seedMany(b, 100)
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/feeds/all.atom", nil)
			r.Header.Set("Accept-Encoding", enc)
			w := newDiscardWriter()
			h.ServeHTTP(w, r) // renders
			size := w.n
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				w := newDiscardWriter()
				h.ServeHTTP(w, r)
				if w.code != http.StatusOK || w.n != size {
					b.Fatalf("status %d, %d bytes; want 200, %d", w.code, w.n, size)
				}
			}
		})
	}
}

func BenchmarkServeStatic(b *testing.B) {
	h := seedMany(b, 100)
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			doc := firstDoc(b, h, "all", formatAtom)
			body := doc.body
			if enc == "gzip" {
				body = doc.gzip
			}
			static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", formats[formatAtom].contentType)
				if _, err := w.Write(body); err != nil {
					b.Error(err)
				}
			})
			r := httptest.NewRequest(http.MethodGet, "/feeds/all.atom", nil)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				w := newDiscardWriter()
				static.ServeHTTP(w, r)
				if w.n != int64(len(body)) {
					b.Fatalf("%d bytes, want %d", w.n, len(body))
				}
			}
		})
	}
}

// BenchmarkRender renders 100 items to all three formats, as after every
// store change: read, encode, gzip, hash.
func BenchmarkRender(b *testing.B) {
	h := seedMany(b, 100)
	o := h.outputs["all"]
	b.ReportAllocs()
	for b.Loop() {
		for f := range numFormats {
			if _, err := h.render(b.Context(), o, f, &query{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkGeneration renders a generation of 100 items, one output in
// three formats from one read, as Run does after every store change; the
// bytes change every time, so nothing is carried over.
func BenchmarkGeneration(b *testing.B) {
	h := seedMany(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		h.gen.Store(nil) // nothing to carry over
		if _, err := h.renderGeneration(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoopback is a wrk-style load run: 16 keep-alive connections over
// loopback TCP request the cached all.atom (identity, gzip, and a matching
// If-None-Match for 304) and, for comparison, the same bytes from a handler
// that only writes them. It reports requests per second across all
// connections. Run it alone, for example
//
//	go test ./publisher -run '^$' -bench Loopback -benchtime 5s -count 5
func BenchmarkLoopback(b *testing.B) {
	h := seedMany(b, 100)
	doc := firstDoc(b, h, "all", formatAtom)
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := doc.body
		if r.Header.Get("Accept-Encoding") == "gzip" {
			body = doc.gzip
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Type", formats[formatAtom].contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body))) // as a static file server does
		if _, err := w.Write(body); err != nil {
			b.Error(err)
		}
	})
	cases := []struct {
		name    string
		handler http.Handler
		header  []string
		code    int
	}{
		{"cached/identity", h, nil, http.StatusOK},
		{"static/identity", static, nil, http.StatusOK},
		{"cached/gzip", h, []string{"Accept-Encoding", "gzip"}, http.StatusOK},
		{"static/gzip", static, []string{"Accept-Encoding", "gzip"}, http.StatusOK},
		{"cached/304", h, []string{"If-None-Match", doc.etag}, http.StatusNotModified},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			b.SetParallelism(8) // 8 × GOMAXPROCS connections
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, err := http.NewRequest(http.MethodGet, srv.URL+"/feeds/all.atom", nil)
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("Accept-Encoding", "identity")
				for i := 0; i+1 < len(c.header); i += 2 {
					req.Header.Set(c.header[i], c.header[i+1])
				}
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := io.Copy(io.Discard, resp.Body); err != nil {
						b.Error(err)
					}
					resp.Body.Close()
					if resp.StatusCode != c.code {
						b.Errorf("status %d, want %d", resp.StatusCode, c.code)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkLoopbackPaired is a wrk-style run that is fair on a shared
// machine: each iteration is one round of two 50 ms phases, the first side
// then the second, each with 16 keep-alive connections over loopback TCP
// saturating the server. Rounds alternate, so load from elsewhere hits both
// sides alike; the metric is the first side's request rate over the
// second's: "cached/static" for 200s of the same response (status, headers
// and body), "304/200" for a matching If-None-Match against a full identity
// answer of the cached feed.
func BenchmarkLoopbackPaired(b *testing.B) {
	h := seedMany(b, 100)
	doc := firstDoc(b, h, "all", formatAtom)
	// The static side sends the very response the cached side sends, headers
	// included (recorded once), so the comparison isolates the handler's work
	// from the size of the response, which the client pays for too.
	recorded := make(map[string]http.Header)
	for _, enc := range []string{"identity", "gzip"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/feeds/all.atom", nil)
		r.Header.Set("Accept-Encoding", enc)
		h.ServeHTTP(w, r)
		recorded[enc] = w.Result().Header
	}
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, hdr := doc.body, recorded["identity"]
		if r.Header.Get("Accept-Encoding") == "gzip" {
			body, hdr = doc.gzip, recorded["gzip"]
		}
		for k, v := range hdr {
			w.Header()[k] = v
		}
		if _, err := w.Write(body); err != nil {
			b.Error(err)
		}
	})
	cachedSrv := httptest.NewServer(h)
	defer cachedSrv.Close()
	staticSrv := httptest.NewServer(static)
	defer staticSrv.Close()
	type side struct {
		url    string
		header []string
		code   int
	}
	cases := []struct {
		name, metric string
		sides        [2]side
	}{
		{"identity", "cached/static", [2]side{{cachedSrv.URL, nil, 200}, {staticSrv.URL, nil, 200}}},
		{"gzip", "cached/static", [2]side{{cachedSrv.URL, []string{"Accept-Encoding", "gzip"}, 200},
			{staticSrv.URL, []string{"Accept-Encoding", "gzip"}, 200}}},
		{"304", "304/200", [2]side{{cachedSrv.URL, []string{"If-None-Match", doc.etag}, 304}, {cachedSrv.URL, nil, 200}}},
	}
	const conns, phase = 16, 50 * time.Millisecond
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 2 * conns, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			var done [2]int64
			for b.Loop() {
				for k, s := range c.sides {
					stop := time.Now().Add(phase)
					var n atomic.Int64
					var wg sync.WaitGroup
					for range conns {
						wg.Go(func() {
							req, err := http.NewRequest(http.MethodGet, s.url+"/feeds/all.atom", nil)
							if err != nil {
								b.Error(err)
								return
							}
							req.Header.Set("Accept-Encoding", "identity")
							for j := 0; j+1 < len(s.header); j += 2 {
								req.Header.Set(s.header[j], s.header[j+1])
							}
							for time.Now().Before(stop) {
								resp, err := client.Do(req)
								if err != nil {
									b.Error(err)
									return
								}
								if _, err := io.Copy(io.Discard, resp.Body); err != nil {
									b.Error(err)
								}
								resp.Body.Close()
								if resp.StatusCode != s.code {
									b.Errorf("status %d, want %d", resp.StatusCode, s.code)
									return
								}
								n.Add(1)
							}
						})
					}
					wg.Wait()
					done[k] += n.Load()
				}
			}
			secs := float64(b.N) * phase.Seconds()
			b.ReportMetric(float64(done[0])/secs, "req/s-first")
			b.ReportMetric(float64(done[1])/secs, "req/s-second")
			if done[1] > 0 {
				b.ReportMetric(float64(done[0])/float64(done[1]), c.metric)
			}
		})
	}
}

// BenchmarkServeNotModified answers a matching If-None-Match for the cached
// all.atom: compare with BenchmarkServeCached.
func BenchmarkServeNotModified(b *testing.B) {
	h := seedMany(b, 100)
	w := newDiscardWriter()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/feeds/all.atom", nil)) // renders
	r := httptest.NewRequest(http.MethodGet, "/feeds/all.atom", nil)
	r.Header.Set("If-None-Match", w.h.Get("ETag"))
	b.ReportAllocs()
	for b.Loop() {
		w := newDiscardWriter()
		h.ServeHTTP(w, r)
		if w.code != http.StatusNotModified || w.n != 0 {
			b.Fatalf("status %d, %d bytes; want 304, none", w.code, w.n)
		}
	}
}

// BenchmarkChangeToSwitch measures how long after a store change Run serves
// a generation with it, no reader asking: the settle time (150 ms), the
// version check's period (50 ms) and the render of a 100-item output in
// three formats.
func BenchmarkChangeToSwitch(b *testing.B) {
	h := seedMany(b, 100)
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	published := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		i++
		published = published.Add(time.Minute)
		guid := fmt.Sprint("switch-", i)
		add(b, h.db, fixtureFeeds[0].Name, nil, incoming(guid, "", store.Item{
			Title: "Tin " + guid, Link: "https://" + guid + ".example.vn/", Published: published,
		}))
		v := h.db.Version()
		for g := h.gen.Load(); g == nil || g.version < v; g = h.gen.Load() {
			time.Sleep(time.Millisecond)
		}
	}
}
