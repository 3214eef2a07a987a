package publisher

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
			doc, err := h.document(b.Context(), h.outputs["all"], formatAtom)
			if err != nil {
				b.Fatal(err)
			}
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
			if _, err := h.render(b.Context(), o, f, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}
