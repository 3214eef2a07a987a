package fetcher

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// hitServer answers by path from routes and counts the requests per path.
type hitServer struct {
	mu     sync.Mutex
	hits   map[string]int
	routes map[string]http.HandlerFunc
}

func newHitServer(t *testing.T, routes map[string]http.HandlerFunc) (*hitServer, *httptest.Server) {
	t.Helper()
	hs := &hitServer{hits: map[string]int{}, routes: routes}
	ts := httptest.NewServer(hs)
	t.Cleanup(ts.Close)
	return hs, ts
}

func (hs *hitServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hs.mu.Lock()
	hs.hits[r.URL.Path]++
	h := hs.routes[r.URL.Path]
	hs.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

func (hs *hitServer) count(path string) int {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.hits[path]
}

func redirectTo(code int, path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, path, code) }
}

func serveRSS(titles ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, rssDoc(titles...))
	}
}

// onceReports runs one Once pass and returns the reports by feed name.
func onceReports(t *testing.T, p *Poller, names ...string) map[string]Report {
	t.Helper()
	var mu sync.Mutex
	reps := map[string]Report{}
	if err := p.Once(context.Background(), names, func(r Report) {
		mu.Lock()
		defer mu.Unlock()
		reps[r.Feed] = r
	}); err != nil {
		t.Fatal(err)
	}
	return reps
}

func TestRedirects(t *testing.T) {
	feed := serveRSS("Tin chuyển nhà của báo điện tử")
	tests := []struct {
		name      string
		routes    map[string]http.HandlerFunc
		wantMoved string // path stored as MovedTo; "" for none
		wantClass string
		secondAt  string // the path the second poll asks first
	}{
		{"301", map[string]http.HandlerFunc{"/a": redirectTo(301, "/b"), "/b": feed}, "/b", "", "/b"},
		{"308 chain", map[string]http.HandlerFunc{"/a": redirectTo(308, "/b"), "/b": redirectTo(301, "/c"), "/c": feed}, "/c", "", "/c"},
		{"302", map[string]http.HandlerFunc{"/a": redirectTo(302, "/b"), "/b": feed}, "", "", "/a"},
		{"307", map[string]http.HandlerFunc{"/a": redirectTo(307, "/b"), "/b": feed}, "", "", "/a"},
		{"301 then 302", map[string]http.HandlerFunc{"/a": redirectTo(301, "/b"), "/b": redirectTo(302, "/c"), "/c": feed}, "/b", "", "/b"},
		{"loop", map[string]http.HandlerFunc{"/a": redirectTo(301, "/b"), "/b": redirectTo(301, "/a")}, "", "moved", "/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, ts := newHitServer(t, tt.routes)
			p := NewPoller(openStore(t), testOptions(Feed{Name: "bao", URL: ts.URL + "/a"}))
			rep := onceReports(t, p)["bao"]
			if rep.Class != tt.wantClass || (tt.wantClass == "") != (rep.Err == nil) {
				t.Fatalf("first poll: class %q, err %v; want class %q", rep.Class, rep.Err, tt.wantClass)
			}
			st := p.States()["bao"]
			wantMoved := ""
			if tt.wantMoved != "" {
				wantMoved = ts.URL + tt.wantMoved
			}
			if st.MovedTo != wantMoved {
				t.Errorf("MovedTo = %q, want %q", st.MovedTo, wantMoved)
			}
			if wantMoved != "" && st.MovedFrom != ts.URL+"/a" {
				t.Errorf("MovedFrom = %q, want the configured URL", st.MovedFrom)
			}
			before := hs.count(tt.secondAt)
			firstBefore := hs.count("/a")
			st.BodyHash = "" // parse again
			p.setState("bao", st, false)
			onceReports(t, p)
			if hs.count(tt.secondAt) <= before {
				t.Errorf("second poll did not ask %s", tt.secondAt)
			}
			if tt.secondAt != "/a" && hs.count("/a") != firstBefore {
				t.Errorf("second poll asked the old URL again after a permanent move")
			}
		})
	}
}

func TestRedirectLimits(t *testing.T) {
	routes := map[string]http.HandlerFunc{"/feed": serveRSS("Tin cuối chuỗi chuyển hướng dài")}
	for i := range 11 {
		routes[fmt.Sprintf("/r%d", i)] = redirectTo(302, fmt.Sprintf("/r%d", i+1))
	}
	routes["/r11"] = redirectTo(302, "/feed")
	_, ts := newHitServer(t, routes)
	opts := testOptions()
	opts.setDefaults()
	// /r2 → … → /r11 → /feed is 10 redirects: followed. /r1 is 11: refused.
	if _, err := fetch(context.Background(), &opts, Feed{Name: "ten", URL: ts.URL + "/r2"}, store.FeedState{}); err != nil {
		t.Errorf("10 redirects: %v, want followed", err)
	}
	_, err := fetch(context.Background(), &opts, Feed{Name: "eleven", URL: ts.URL + "/r1"}, store.FeedState{})
	if !errors.Is(err, ErrRedirect) || classify(err) != "moved" {
		t.Errorf("11 redirects: %v (%s), want ErrRedirect, class moved", err, classify(err))
	}
}

func TestRedirectHTTPSToHTTPRefused(t *testing.T) {
	plain := httptest.NewServer(serveRSS("Tin qua kết nối không mã hoá"))
	defer plain.Close()
	secure := httptest.NewTLSServer(redirectTo(301, plain.URL+"/feed"))
	defer secure.Close()
	opts := testOptions()
	opts.setDefaults()
	pool := x509.NewCertPool()
	pool.AddCert(secure.Certificate())
	opts.Client.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	_, err := fetch(context.Background(), &opts, Feed{Name: "s", URL: secure.URL + "/feed"}, store.FeedState{})
	if !errors.Is(err, ErrRedirect) || classify(err) != "moved" {
		t.Errorf("https → http: %v (%s), want refused", err, classify(err))
	}
	// The same client follows https → https.
	secure2 := httptest.NewTLSServer(serveRSS("Tin qua kết nối có mã hoá"))
	defer secure2.Close()
	pool.AddCert(secure2.Certificate())
	if _, err := fetch(context.Background(), &opts, Feed{Name: "s2", URL: secure2.URL + "/feed"}, store.FeedState{}); err != nil {
		t.Errorf("https feed: %v", err)
	}
}

func TestConfigURLChangeDropsMove(t *testing.T) {
	st := store.FeedState{MovedFrom: "https://old.example/rss", MovedTo: "https://new.example/rss"}
	if got := effectiveURL(Feed{URL: "https://old.example/rss"}, st); got != st.MovedTo {
		t.Errorf("effectiveURL = %q, want the moved URL", got)
	}
	if got := effectiveURL(Feed{URL: "https://edited.example/rss"}, st); got != "https://edited.example/rss" {
		t.Errorf("effectiveURL after the operator edited the URL = %q, want the configured one", got)
	}
}

func TestGone(t *testing.T) {
	var gone bool
	var mu sync.Mutex
	_, ts := newHitServer(t, map[string]http.HandlerFunc{"/rss": func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if gone {
			w.WriteHeader(http.StatusGone)
			return
		}
		serveRSS("Tin trước khi chuyên mục đóng cửa")(w, r)
	}})
	p := NewPoller(openStore(t), testOptions(Feed{Name: "bao", URL: ts.URL + "/rss"}))
	onceReports(t, p)
	mu.Lock()
	gone = true
	mu.Unlock()
	rep := onceReports(t, p)["bao"]
	st := p.States()["bao"]
	if rep.Class != "gone" || !st.Gone || st.ErrorClass != "gone" {
		t.Errorf("after 410: class %q, state %+v; want gone", rep.Class, st)
	}
	if wait := st.NextPoll.Sub(st.LastFetch); wait != goneInterval {
		t.Errorf("gone feed polled again in %s, want once a day", wait)
	}
	mu.Lock()
	gone = false
	mu.Unlock()
	st.BodyHash = ""
	p.setState("bao", st, false)
	onceReports(t, p)
	if st := p.States()["bao"]; st.Gone || st.Failures != 0 || !st.ErrorSince.IsZero() {
		t.Errorf("feed back: state %+v, want healthy", st)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, header := range []string{"3600", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)} {
		t.Run(header, func(t *testing.T) {
			hs, ts := newHitServer(t, map[string]http.HandlerFunc{
				"/a": func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Retry-After", header)
					w.WriteHeader(http.StatusTooManyRequests)
				},
				"/b": serveRSS("Tin khác của cùng trang bị giới hạn"),
			})
			_, other := newHitServer(t, map[string]http.HandlerFunc{"/c": serveRSS("Tin của trang khác vẫn chạy")})
			opts := testOptions(Feed{Name: "a", URL: ts.URL + "/a"}, Feed{Name: "b", URL: ts.URL + "/b"}, Feed{Name: "c", URL: other.URL + "/c"})
			p := NewPoller(openStore(t), opts)
			onceReports(t, p, "a")
			st := p.States()["a"]
			if d := st.NotBefore.Sub(st.LastFetch); d < 59*time.Minute || d > time.Hour {
				t.Errorf("NotBefore is %s after the fetch, want 1h", d)
			}
			if st.NextPoll.Before(st.NotBefore) {
				t.Errorf("next poll %v before Retry-After %v", st.NextPoll, st.NotBefore)
			}
			reps := onceReports(t, p)
			if hs.count("/a") != 1 || hs.count("/b") != 0 {
				t.Errorf("throttled site asked again: /a %d, /b %d requests; want 1, 0", hs.count("/a"), hs.count("/b"))
			}
			if !reps["a"].Deferred || !reps["b"].Deferred {
				t.Errorf("reports %+v; want a and b deferred", reps)
			}
			if r := reps["c"]; r.Err != nil || r.Result.Added != 1 {
				t.Errorf("other site: %+v, want it fetched", r)
			}
			// A restart keeps the promise: NotBefore is stored.
			if err := p.flush(); err != nil {
				t.Fatal(err)
			}
			p2 := NewPoller(p.db, opts)
			onceReports(t, p2, "a")
			if hs.count("/a") != 1 {
				t.Errorf("restarted poller asked the throttled feed before Retry-After")
			}
		})
	}
}

func TestLifetime(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, 0},
		{"max-age", http.Header{"Cache-Control": {"public, max-age=7200"}}, 2 * time.Hour},
		{"max-age less age", http.Header{"Cache-Control": {"max-age=7200"}, "Age": {"3600"}}, time.Hour},
		{"max-age capped", http.Header{"Cache-Control": {"max-age=9999999"}}, 24 * time.Hour},
		{"age past max-age", http.Header{"Cache-Control": {"max-age=3600"}, "Age": {"7200"}}, 0},
		{"huge age", http.Header{"Cache-Control": {"max-age=3600"}, "Age": {"1099511627776"}}, 0},
		{"largest age", http.Header{"Cache-Control": {"max-age=3600"}, "Age": {"9223372036854775807"}}, 0},
		{"negative age", http.Header{"Cache-Control": {"max-age=3600"}, "Age": {"-60"}}, time.Hour},
		{"no-cache wins", http.Header{"Cache-Control": {"no-cache, max-age=600"}}, 0},
		{"max-age beats expires", http.Header{"Cache-Control": {"max-age=60"}, "Expires": {now.Add(5 * time.Hour).Format(http.TimeFormat)}}, time.Minute},
		{"expires less date", http.Header{"Expires": {now.Add(3 * time.Hour).Format(http.TimeFormat)}, "Date": {now.Add(time.Hour).Format(http.TimeFormat)}}, 2 * time.Hour},
		{"expires past", http.Header{"Expires": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{"expires invalid", http.Header{"Expires": {"0"}}, 0},
	}
	for _, tt := range tests {
		if got := lifetime(tt.h, now); got != tt.want {
			t.Errorf("%s: lifetime = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestParseFeedTTL checks that a channel's <ttl> (minutes) is read as a
// duration within maxLifetime, whatever number the feed writes.
func TestParseFeedTTL(t *testing.T) {
	tests := []struct {
		ttl  string
		want time.Duration
	}{
		{"180", 3 * time.Hour},
		{" 30 ", 30 * time.Minute},
		{"1440", 24 * time.Hour},
		{"100000", 24 * time.Hour},
		{"9999999999999", 24 * time.Hour}, // overflowed the Duration when multiplied first
		{"9223372036854775807", 24 * time.Hour},
		{"0", 0},
		{"-60", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		doc := strings.Replace(rssDoc("Tin"), "<description>d</description>", "<description>d</description><ttl>"+tt.ttl+"</ttl>", 1)
		_, ttl, err := parseFeed([]byte(doc))
		if err != nil || ttl != tt.want {
			t.Errorf("<ttl>%s</ttl>: ttl %s, error %v; want %s", tt.ttl, ttl, err, tt.want)
		}
	}
}

func TestCacheHintsLengthenInterval(t *testing.T) {
	ttlDoc := strings.Replace(rssDoc("Tin có thời gian sống riêng của kênh"), "<description>d</description>", "<description>d</description><ttl>180</ttl>", 1)
	tests := []struct {
		name   string
		h      http.HandlerFunc
		lo, hi time.Duration // next poll after the fetch
	}{
		{"no hints", serveRSS("Tin không có gợi ý bộ nhớ đệm"), 13 * time.Minute, 17 * time.Minute},
		{"max-age longer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=7200")
			serveRSS("Tin có max-age hai giờ")(w, r)
		}, 2 * time.Hour, 2*time.Hour + time.Second},
		{"max-age shorter cannot shorten", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=30")
			serveRSS("Tin có max-age ba mươi giây")(w, r)
		}, 13 * time.Minute, 17 * time.Minute},
		{"expires", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Expires", time.Now().Add(5*time.Hour).UTC().Format(http.TimeFormat))
			serveRSS("Tin có hạn dùng năm giờ")(w, r)
		}, 5*time.Hour - time.Minute, 5*time.Hour + time.Second},
		{"rss ttl", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, ttlDoc) }, 3 * time.Hour, 3*time.Hour + time.Second},
		{"capped at 24h", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=604800")
			serveRSS("Tin có max-age một tuần")(w, r)
		}, 24 * time.Hour, 24*time.Hour + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.h)
			defer ts.Close()
			p := NewPoller(openStore(t), testOptions(Feed{Name: "bao", URL: ts.URL}))
			if rep := onceReports(t, p)["bao"]; rep.Err != nil {
				t.Fatal(rep.Err)
			}
			st := p.States()["bao"]
			if wait := st.NextPoll.Sub(st.LastFetch); wait < tt.lo || wait > tt.hi {
				t.Errorf("next poll in %s, want %s to %s", wait, tt.lo, tt.hi)
			}
			if tt.name == "rss ttl" {
				// An unchanged body is not parsed: the <ttl> is remembered.
				onceReports(t, p)
				st := p.States()["bao"]
				if wait := st.NextPoll.Sub(st.LastFetch); wait < tt.lo || st.TTL != 3*time.Hour {
					t.Errorf("unchanged body: next poll in %s, ttl %s; want the <ttl> kept", wait, st.TTL)
				}
			}
		})
	}
}

func TestBotProtection(t *testing.T) {
	challenge := `<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>`
	tests := []struct {
		name      string
		h         http.HandlerFunc
		wantClass string
	}{
		{"cf-mitigated 403", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cf-Mitigated", "challenge")
			w.WriteHeader(http.StatusForbidden)
		}, "bot_protection"},
		{"challenge page 503", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, challenge)
		}, "bot_protection"},
		{"challenge page 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, challenge)
		}, "bot_protection"},
		{"cf-mitigated 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cf-Mitigated", "challenge")
			fmt.Fprint(w, rssDoc("Tin giả sau lớp chống bot"))
		}, "bot_protection"},
		{"plain 403", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }, "http"},
		{"plain 503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }, "http"},
		{"plain html", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html><body>Trang chủ</body></html>") }, "not_feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.h)
			defer ts.Close()
			p := NewPoller(openStore(t), testOptions(Feed{Name: "bao", URL: ts.URL}))
			rep := onceReports(t, p)["bao"]
			if rep.Class != tt.wantClass || p.States()["bao"].ErrorClass != tt.wantClass {
				t.Errorf("class %q (%v), want %q", rep.Class, rep.Err, tt.wantClass)
			}
			if items, err := p.db.Latest(context.Background(), 10, nil); err != nil || len(items) != 0 {
				t.Errorf("stored %d items (%v), want none", len(items), err)
			}
		})
	}
}

// TestMoveFallsBack checks that a remembered permanent redirect whose target
// fails is not followed for ever: after an odd number of failures the next
// poll asks the configured URL, which ends the move when it answers for
// itself; when it fails too, the move stays.
func TestMoveFallsBack(t *testing.T) {
	type step struct {
		routes    map[string]http.HandlerFunc
		asks      string // the path the poll asks first
		ok        bool
		wantMoved string // MovedTo after the poll, as a path
	}
	feed, fail := serveRSS("Tin chuyển nhà của báo điện tử"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bảo trì", http.StatusInternalServerError)
	})
	tests := []struct {
		name  string
		steps []step
	}{
		{"target broke, origin serves again", []step{
			{map[string]http.HandlerFunc{"/a": redirectTo(301, "/b"), "/b": feed}, "/a", true, "/b"},
			{map[string]http.HandlerFunc{"/a": feed, "/b": fail}, "/b", false, "/b"},
			{map[string]http.HandlerFunc{"/a": feed, "/b": fail}, "/a", true, ""},
			{map[string]http.HandlerFunc{"/a": feed, "/b": fail}, "/a", true, ""},
		}},
		{"target down for a while, origin gone", []step{
			{map[string]http.HandlerFunc{"/a": redirectTo(301, "/b"), "/b": feed}, "/a", true, "/b"},
			{map[string]http.HandlerFunc{"/b": fail}, "/b", false, "/b"},
			{map[string]http.HandlerFunc{"/b": fail}, "/a", false, "/b"},
			{map[string]http.HandlerFunc{"/b": feed}, "/b", true, "/b"},
		}},
		{"origin moved on", []step{
			{map[string]http.HandlerFunc{"/a": redirectTo(301, "/b"), "/b": feed}, "/a", true, "/b"},
			{map[string]http.HandlerFunc{"/a": redirectTo(301, "/c"), "/c": feed}, "/b", false, "/b"},
			{map[string]http.HandlerFunc{"/a": redirectTo(301, "/c"), "/c": feed}, "/a", true, "/c"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, ts := newHitServer(t, nil)
			p := NewPoller(openStore(t), testOptions(Feed{Name: "bao", URL: ts.URL + "/a"}))
			for i, s := range tt.steps {
				hs.mu.Lock()
				hs.routes, hs.hits = s.routes, map[string]int{}
				hs.mu.Unlock()
				if st := p.States()["bao"]; i > 0 {
					st.BodyHash, st.ETag = "", "" // parse again
					p.setState("bao", st, false)
				}
				rep := onceReports(t, p)["bao"]
				st := p.States()["bao"]
				want := ""
				if s.wantMoved != "" {
					want = ts.URL + s.wantMoved
				}
				if (rep.Err == nil) != s.ok || hs.count(s.asks) == 0 || st.MovedTo != want {
					t.Errorf("poll %d: error %v, asked %s %d times, moved to %q; want ok %v, %s asked, moved to %q",
						i+1, rep.Err, s.asks, hs.count(s.asks), st.MovedTo, s.ok, s.asks, want)
				}
				if other := map[string]string{"/a": "/b", "/b": "/a"}[s.asks]; s.asks == "/b" && hs.count(other) != 0 {
					t.Errorf("poll %d: asked %s too", i+1, other)
				}
			}
		})
	}
}
