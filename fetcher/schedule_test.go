package fetcher

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// statusTransport answers every request with the response of its host's
// handler and keeps the time of each request per host.
type statusTransport struct {
	mu    sync.Mutex
	times map[string][]time.Time
	serve map[string]func(n int) (int, http.Header, string)
}

func (s *statusTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.times[r.URL.Host] = append(s.times[r.URL.Host], time.Now())
	n := len(s.times[r.URL.Host])
	s.mu.Unlock()
	code, h, body := s.serve[r.URL.Host](n)
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func (s *statusTransport) requests(host string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times[host]...)
}

// TestScheduleHonoursServers runs the poller for three days on a fake
// clock: a site answering 429 with Retry-After is never asked before it
// said, a feed that is gone is asked once a day, a feed whose Cache-Control
// asks for 2 hours is polled every 2 hours, and a healthy feed is polled at
// its interval all along.
func TestScheduleHonoursServers(t *testing.T) {
	db := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		tr := &statusTransport{times: map[string][]time.Time{}, serve: map[string]func(int) (int, http.Header, string){
			"throttled.example": func(int) (int, http.Header, string) {
				return http.StatusTooManyRequests, http.Header{"Retry-After": {"10800"}}, ""
			},
			"gone.example": func(int) (int, http.Header, string) { return http.StatusGone, nil, "" },
			"cached.example": func(n int) (int, http.Header, string) {
				return 200, http.Header{"Cache-Control": {"max-age=7200"}}, rssDoc("Tin có bộ nhớ đệm hai giờ")
			},
			"healthy.example": func(int) (int, http.Header, string) {
				return 200, nil, rssDoc("Tin lành mạnh không đổi")
			},
		}}
		opts := Options{Interval: 15 * time.Minute, Client: &http.Client{Transport: tr}}
		for _, h := range []string{"throttled", "gone", "cached", "healthy"} {
			opts.Feeds = append(opts.Feeds, Feed{Name: h, URL: "https://" + h + ".example/rss"})
		}
		ctx, cancel := context.WithCancel(context.Background())
		p := NewPoller(db, opts)
		done := make(chan error)
		go func() { done <- p.Run(ctx) }()
		time.Sleep(72 * time.Hour)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}

		throttled := tr.requests("throttled.example")
		for i := 1; i < len(throttled); i++ {
			if gap := throttled[i].Sub(throttled[i-1]); gap < 3*time.Hour {
				t.Errorf("throttled site asked again after %s, before its Retry-After of 3h", gap)
			}
		}
		// The backoff doubles from 15m, never under the 3h Retry-After, up to 6h ±10%.
		if n := len(throttled); n < 12 || n > 25 {
			t.Errorf("throttled site asked %d times in 3 days, want every 3 to 6 hours", n)
		}
		gone := tr.requests("gone.example")
		for i := 1; i < len(gone); i++ {
			if gap := gone[i].Sub(gone[i-1]); gap != goneInterval {
				t.Errorf("gone feed asked again after %s, want a day", gap)
			}
		}
		if len(gone) != 4 {
			t.Errorf("gone feed asked %d times in 3 days, want 4 (at start, then daily)", len(gone))
		}
		if n := len(tr.requests("cached.example")); n < 36 || n > 37 {
			t.Errorf("feed with max-age=7200 polled %d times in 3 days, want every 2h (37)", n)
		}
		if n := len(tr.requests("healthy.example")); n < 260 || n > 320 {
			t.Errorf("healthy feed polled %d times in 3 days, want every 15m ±10%% (288)", n)
		}
		st := p.States()
		if !st["gone"].Gone || st["throttled"].ErrorClass != "http" || st["throttled"].ErrorSince.IsZero() {
			t.Errorf("states: gone %+v, throttled %+v", st["gone"], st["throttled"])
		}
	})
}

func TestUserAgent(t *testing.T) {
	var got string
	_, ts := newHitServer(t, map[string]http.HandlerFunc{"/rss": func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("User-Agent")
		serveRSS("Tin kiểm tra tên trình thu thập")(w, r)
	}})
	p := NewPoller(openStore(t), testOptions(Feed{Name: "bao", URL: ts.URL + "/rss"}))
	onceReports(t, p)
	if want := "pressfeed"; got != want {
		t.Errorf("User-Agent = %q, want %q", got, want)
	}
}
