package fetcher

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// memTransport serves every request from memory, counting requests per
// host, so that the poller can run inside a synctest bubble.
type memTransport struct {
	mu    sync.Mutex
	count map[string]int
	body  func(host string, n int) string
}

func (m *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	m.mu.Lock()
	m.count[r.URL.Host]++
	n := m.count[r.URL.Host]
	m.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/rss+xml"}},
		Body:       io.NopCloser(strings.NewReader(m.body(r.URL.Host, n))),
		Request:    r,
	}, nil
}

func (m *memTransport) requests(host string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.count[host]
}

func TestPollerSchedule(t *testing.T) {
	db := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		tr := &memTransport{count: map[string]int{}, body: func(host string, n int) string {
			// Each poll brings one more item.
			titles := make([]string, n)
			for i := range titles {
				titles[i] = fmt.Sprintf("Tin số %d của %s hôm nay", i, host)
			}
			return rssDoc(titles...)
		}}
		opts := Options{
			Feeds: []Feed{
				{Name: "a", URL: "https://a.example/rss"},
				{Name: "b", URL: "https://b.example/rss", Interval: time.Hour},
			},
			Interval: 15 * time.Minute,
			Client:   &http.Client{Transport: tr},
		}
		ctx, cancel := context.WithCancel(context.Background())
		p := NewPoller(db, opts)
		done := make(chan error)
		go func() { done <- p.Run(ctx) }()

		synctest.Wait()
		if tr.requests("a.example") != 1 || tr.requests("b.example") != 1 {
			t.Errorf("at start: %d, %d requests; want both feeds fetched at once", tr.requests("a.example"), tr.requests("b.example"))
		}
		if err := p.Healthy(); err != nil {
			t.Errorf("healthy while running: %v", err)
		}
		time.Sleep(3 * time.Hour)
		synctest.Wait()
		// 15m ±10% over 3h: 12 to 14 polls after the first; 1h ±10%: 3.
		if n := tr.requests("a.example"); n < 12 || n > 15 {
			t.Errorf("feed a polled %d times in 3h at 15m, want 13 ±1", n)
		}
		if n := tr.requests("b.example"); n < 3 || n > 4 {
			t.Errorf("feed b polled %d times in 3h at 1h, want 3 or 4", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil once ctx is done", err)
		}
		if err := p.Healthy(); err == nil {
			t.Errorf("healthy after Run returned")
		}

		// A restart resumes the stored schedule: nothing is due yet.
		before := tr.requests("b.example")
		states, err := db.FeedStates(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if next := states["b"].NextPoll; !next.After(time.Now()) {
			t.Fatalf("stored next poll of b = %v, want after %v", next, time.Now())
		}
		ctx, cancel = context.WithCancel(context.Background())
		go func() { done <- NewPoller(db, opts).Run(ctx) }()
		time.Sleep(time.Second)
		synctest.Wait()
		if got := tr.requests("b.example"); got != before {
			t.Errorf("restart fetched b at once (%d → %d requests); want it to wait for its stored next poll", before, got)
		}
		cancel()
		<-done
	})
	items, err := db.Latest(context.Background(), 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 15 {
		t.Errorf("stored %d items, want one per poll", len(items))
	}
}

func TestPerHostLimit(t *testing.T) {
	db := openStore(t)
	var inFlight, peak atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		fmt.Fprint(w, rssDoc("Tin "+r.URL.Path+" trên cùng một trang"))
	}))
	defer ts.Close()
	opts := testOptions()
	opts.Concurrency = 8
	opts.PerHost = 2
	for i := range 6 {
		opts.Feeds = append(opts.Feeds, Feed{Name: fmt.Sprintf("f%d", i), URL: fmt.Sprintf("%s/f%d", ts.URL, i)})
	}
	if err := NewPoller(db, opts).Once(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := peak.Load(); got != 2 {
		t.Errorf("peak concurrent requests to one site = %d, want per_host = 2", got)
	}
}
