package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSetAside starts a poller on a store where two feeds were being
// parsed when the process stopped: they are set aside (not fetched at
// once, next poll at the failure backoff, growing with each stop), their
// health shows why, a warning says so, and the healthy feed beside them
// is fetched at once.
func TestSetAside(t *testing.T) {
	db := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		stopped := time.Now().Add(-time.Minute)
		if err := db.SaveStates(context.Background(), map[string]store.FeedState{
			"crashed": {Parsing: stopped, LastSuccess: stopped.Add(-time.Hour)},
			"again":   {Parsing: stopped, Failures: 2, ErrorClass: "interrupted", ErrorSince: stopped.Add(-2 * time.Hour)},
		}); err != nil {
			t.Fatal(err)
		}
		tr := &memTransport{count: map[string]int{}, body: func(host string, n int) string {
			return rssDoc(fmt.Sprintf("Tin số %d của %s hôm nay", n, host))
		}}
		var logs syncBuffer
		opts := Options{
			Feeds: []Feed{
				{Name: "crashed", URL: "https://a.example/rss"},
				{Name: "again", URL: "https://c.example/rss"},
				{Name: "healthy", URL: "https://b.example/rss"},
			},
			Interval: 15 * time.Minute,
			Client:   &http.Client{Transport: tr},
			Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		}
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		p := NewPoller(db, opts)
		done := make(chan error)
		go func() { done <- p.Run(ctx) }()
		synctest.Wait()

		if a, c, b := tr.requests("a.example"), tr.requests("c.example"), tr.requests("b.example"); a != 0 || c != 0 || b != 1 {
			t.Errorf("at start: %d, %d requests to the stopped feeds, %d to the healthy one; want 0, 0, 1", a, c, b)
		}
		stored, err := db.FeedStates(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name     string
			failures int
			backoff  time.Duration
		}{{"crashed", 1, 15 * time.Minute}, {"again", 3, time.Hour}} {
			st := stored[tt.name]
			if st.Failures != tt.failures || st.ErrorClass != "interrupted" || !strings.Contains(st.LastError, "being processed when pressfeed stopped") {
				t.Errorf("%s: failures %d, class %q, error %q; want %d, interrupted, set aside", tt.name, st.Failures, st.ErrorClass, st.LastError, tt.failures)
			}
			if wait := st.NextPoll.Sub(start); wait < tt.backoff*9/10 || wait > tt.backoff*11/10 {
				t.Errorf("%s: next poll in %s, want %s ±10%%", tt.name, wait, tt.backoff)
			}
			if !st.Parsing.IsZero() || st.LastFetch.IsZero() {
				t.Errorf("%s: parsing %v, last fetch %v; want the mark cleared, the stop recorded", tt.name, st.Parsing, st.LastFetch)
			}
		}
		if got := stored["again"].ErrorSince; !got.Equal(stopped.Add(-2 * time.Hour)) {
			t.Errorf("again: failing since %v, want the start of its run of failures", got)
		}
		for _, name := range []string{"crashed", "again"} {
			if !strings.Contains(logs.String(), `level=WARN msg="feed was being processed when pressfeed stopped; set aside" component=fetcher feed=`+name) {
				t.Errorf("no warning for %s in:\n%s", name, logs.String())
			}
		}

		// Once its backoff is over, the feed is fetched again, and a
		// success ends its failures.
		time.Sleep(20 * time.Minute)
		synctest.Wait()
		if a, c := tr.requests("a.example"), tr.requests("c.example"); a != 1 || c != 0 {
			t.Errorf("after 20 min: %d, %d requests to the stopped feeds; want 1, 0", a, c)
		}
		if st := p.States()["crashed"]; st.Failures != 0 || st.ErrorClass != "" {
			t.Errorf("crashed after a good fetch: failures %d, class %q; want 0", st.Failures, st.ErrorClass)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	stored, err := db.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range stored {
		if !st.Parsing.IsZero() {
			t.Errorf("%s still marked as being parsed after Run", name)
		}
	}
}

// TestParsingMark checks that the mark is in the store while a body is
// parsed, and gone from it once the fetch ends, however it ends: new
// items, a new body with nothing new, a document refused, a parse error.
func TestParsingMark(t *testing.T) {
	bodies := []struct{ name, body, class string }{
		{"new items", rssDoc("Tin mới về giá vàng hôm nay"), ""},
		{"nothing new", strings.Replace(rssDoc("Tin mới về giá vàng hôm nay"), "<description>d</description>", "<description>e</description>", 1), ""},
		{"refused", deepExtensionDoc(maxDocDepth + 1), "too_deep"},
		{"parse error", `<rss version="2.0"><channel><item><title>x</ti`, "parse"},
	}
	var cur atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, bodies[cur.Load()].body)
	}))
	defer ts.Close()
	db := openStore(t)
	// The parse waits at a gate, so that the test sees the feed marked
	// while its body is being processed.
	var gate atomic.Pointer[chan struct{}]
	opts := testOptions(Feed{Name: "bao", URL: ts.URL})
	opts.Background = func(ctx context.Context, f func()) error {
		if g := gate.Load(); g != nil {
			<-*g
		}
		f()
		return nil
	}
	p := NewPoller(db, opts)
	for i, b := range bodies {
		cur.Store(int32(i))
		release := make(chan struct{})
		gate.Store(&release)
		var rep Report
		fetched := make(chan struct{})
		go func() {
			defer close(fetched)
			rep = onceReports(t, p)["bao"]
		}()
		marked := false
		for deadline := time.Now().Add(10 * time.Second); !marked && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			states, err := db.FeedStates(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			marked = !states["bao"].Parsing.IsZero()
		}
		close(release)
		<-fetched
		if !marked {
			t.Errorf("%s: the feed was not marked before its parse", b.name)
		}
		if rep.Class != b.class {
			t.Errorf("%s: class %q (%v), want %q", b.name, rep.Class, rep.Err, b.class)
		}
		states, err := db.FeedStates(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st := states["bao"]; !st.Parsing.IsZero() || st.BodyHash != p.States()["bao"].BodyHash {
			t.Errorf("%s: stored state parsing %v, body hash %q; want no mark, the state in memory (%q)", b.name, st.Parsing, st.BodyHash, p.States()["bao"].BodyHash)
		}
	}
}
