package fetcher

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/pressfeed/pressfeed/store"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "pressfeed.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

func rssDoc(items ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử</title><link>https://bao.example/</link><description>d</description>`)
	for i, it := range items {
		fmt.Fprintf(&b, `<item><title>%s</title><link>https://bao.example/%s.html</link><guid>tin-%d</guid><pubDate>Fri, 27 Nov 2026 10:%02d:00 +0700</pubDate><description>Nội dung %d</description></item>`, it, url.PathEscape(it), i, i%60, i)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// feedServer serves body with an ETag, answering 304 to a matching
// If-None-Match, and records the validators each request sent.
type feedServer struct {
	mu   sync.Mutex
	body string
	etag string
	seen []string // If-None-Match of each request
}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r.Header.Get("If-None-Match"))
	if r.Header.Get("If-None-Match") == s.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", s.etag)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fmt.Fprint(w, s.body)
}

func (s *feedServer) validators() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func testOptions(feeds ...Feed) Options {
	return Options{Feeds: feeds, AllowNetworks: loopback, Timeout: 5 * time.Second, Location: time.FixedZone("ICT", 7*3600)}
}

// TestLongValidatorNotKept checks that an ETag over maxValidator is not
// stored nor sent back, while one at the limit is.
func TestLongValidatorNotKept(t *testing.T) {
	for _, tt := range []struct {
		n    int
		kept bool
	}{{maxValidator, true}, {maxValidator + 1, false}, {60 << 10, false}} {
		db := openStore(t)
		etag := `"` + strings.Repeat("e", tt.n-2) + `"`
		srv := &feedServer{body: rssDoc("Tin về giá vàng"), etag: etag}
		ts := httptest.NewServer(srv)
		feed := Feed{Name: "bao", URL: ts.URL}
		for range 2 {
			if err := NewPoller(db, testOptions(feed)).Once(context.Background(), nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		ts.Close()
		want := ""
		if tt.kept {
			want = etag
		}
		states, _ := db.FeedStates(context.Background())
		if got := srv.validators(); len(got) != 2 || got[0] != "" || got[1] != want {
			t.Errorf("ETag of %d bytes: If-None-Match sent %d and %d bytes, want 0 and %d", tt.n, len(got[0]), len(got[len(got)-1]), len(want))
		}
		if st := states["bao"]; st.ETag != want || st.LastSuccess.IsZero() {
			t.Errorf("ETag of %d bytes: stored ETag of %d bytes, last success %v; want %d bytes", tt.n, len(st.ETag), st.LastSuccess, len(want))
		}
	}

	// A state written before the limit may hold a longer one: it is not sent.
	db := openStore(t)
	long := `"` + strings.Repeat("e", 2*maxValidator) + `"`
	srv := &feedServer{body: rssDoc("Tin về giá vàng"), etag: long}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	feed := Feed{Name: "bao", URL: ts.URL}
	if err := db.SaveStates(context.Background(), map[string]store.FeedState{"bao": {ETag: long, LastModified: strings.Repeat("x", 2*maxValidator)}}); err != nil {
		t.Fatal(err)
	}
	if err := NewPoller(db, testOptions(feed)).Once(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := srv.validators(); len(got) != 1 || got[0] != "" {
		t.Errorf("stored ETag of %d bytes: If-None-Match sent %d bytes, want none", len(long), len(got[0]))
	}
}

func TestConditionalGet(t *testing.T) {
	db := openStore(t)
	srv := &feedServer{body: rssDoc("Tin một về giá xăng dầu", "Tin hai về thời tiết"), etag: `"v1"`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	feed := Feed{Name: "bao", URL: ts.URL}
	ctx := context.Background()

	var reps []Report
	collect := func(r Report) { reps = append(reps, r) }
	if err := NewPoller(db, testOptions(feed)).Once(ctx, nil, collect); err != nil {
		t.Fatal(err)
	}
	if reps[0].Err != nil || reps[0].Result.Added != 2 {
		t.Fatalf("first fetch: %+v, want 2 added", reps[0])
	}
	v := db.Version()
	// A new poller on the same store is a restart: it must still send the
	// stored ETag, and the 304 must change nothing.
	if err := NewPoller(db, testOptions(feed)).Once(ctx, nil, collect); err != nil {
		t.Fatal(err)
	}
	if got := srv.validators(); len(got) != 2 || got[0] != "" || got[1] != `"v1"` {
		t.Errorf("If-None-Match sent = %q, want [\"\" \"v1\"]", got)
	}
	if !reps[1].NotModified || reps[1].Err != nil || reps[1].Result.Changed() {
		t.Errorf("second fetch: %+v, want not modified", reps[1])
	}
	if db.Version() != v {
		t.Errorf("a 304 changed the store")
	}
	states, _ := db.FeedStates(ctx)
	if st := states["bao"]; st.ETag != `"v1"` || st.LastSuccess.IsZero() || st.NextPoll.IsZero() {
		t.Errorf("stored state = %+v", st)
	}
}

func TestUnchangedBodyNotParsed(t *testing.T) {
	db := openStore(t)
	body := rssDoc("Tin một không có ETag")
	var hits int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		fmt.Fprint(w, body)
	}))
	defer ts.Close()
	p := NewPoller(db, testOptions(Feed{Name: "a", URL: ts.URL}))
	var reps []Report
	for range 2 {
		if err := p.Once(context.Background(), nil, func(r Report) { reps = append(reps, r) }); err != nil {
			t.Fatal(err)
		}
	}
	if hits != 2 || reps[0].Result.Added != 1 || !reps[1].NotModified {
		t.Errorf("hits %d, reports %+v; want the second body recognised as unchanged", hits, reps)
	}
}

func TestFetchGzipAndMaxBody(t *testing.T) {
	big := rssDoc(strings.Repeat("Tin rất dài ", 50))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("request without Accept-Encoding: gzip")
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, big)
		zw.Close()
	}))
	defer ts.Close()
	opts := testOptions()
	opts.setDefaults()
	res, err := fetch(context.Background(), &opts, Feed{Name: "z", URL: ts.URL}, store.FeedState{})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("gzip fetch: %d items, %v", len(res.Items), err)
	}
	opts.MaxBody = int64(len(big) - 1) // compressed it is far smaller: the limit counts decompressed bytes
	if _, err := fetch(context.Background(), &opts, Feed{Name: "z", URL: ts.URL}, store.FeedState{}); !errors.Is(err, ErrTooLarge) || classify(err) != "too_large" {
		t.Errorf("over max_body: %v, want ErrTooLarge", err)
	}
}

func TestFetchWindows1258(t *testing.T) {
	// windows-1258 writes tone marks as combining characters: "Việt" is
	// V i ê U+0323.
	text := "Tin Việt Nam: Hồ Chí Minh"
	enc, err := charmap.Windows1258.NewEncoder().String(strings.NewReplacer("ệ", "ê\u0323", "ồ", "ô\u0300", "í", "i\u0301").Replace(text))
	if err != nil {
		t.Fatal(err)
	}
	doc := `<?xml version="1.0" encoding="windows-1258"?><rss version="2.0"><channel><title>t</title><link>https://a.example/</link><description>d</description><item><title>` + enc + `</title><guid>1</guid></item></channel></rss>`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, doc)
	}))
	defer ts.Close()
	opts := testOptions()
	opts.setDefaults()
	res, err := fetch(context.Background(), &opts, Feed{Name: "w", URL: ts.URL}, store.FeedState{})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("fetch: %+v, %v", res, err)
	}
	if got := res.Items[0].Title; got != text {
		t.Errorf("title = %q (%x), want %q in NFC", got, got, text)
	}
}

func TestFetchFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feed.xml")
	if err := os.WriteFile(path, []byte(rssDoc("Tin từ tệp trên đĩa")), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.AllowNetworks = nil // files are always allowed
	opts.setDefaults()
	res, err := fetch(context.Background(), &opts, Feed{Name: "f", URL: "file://" + path}, store.FeedState{})
	if err != nil || len(res.Items) != 1 || res.Items[0].Title != "Tin từ tệp trên đĩa" {
		t.Fatalf("file fetch: %+v, %v", res, err)
	}
}

func TestNetworkGuard(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, rssDoc("x y z w")) }))
	defer ts.Close()
	opts := testOptions()
	opts.AllowNetworks = nil
	opts.setDefaults()
	_, err := fetch(context.Background(), &opts, Feed{Name: "l", URL: ts.URL}, store.FeedState{})
	if !errors.Is(err, ErrBlocked) || classify(err) != "blocked" {
		t.Errorf("loopback without allow_networks: %v, want ErrBlocked", err)
	}
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1", "224.0.0.1", "0.0.0.0", "::ffff:127.0.0.1"} {
		if addrAllowed(netip.MustParseAddr(a), nil) {
			t.Errorf("%s allowed, want refused", a)
		}
	}
	if !addrAllowed(netip.MustParseAddr("203.162.4.190"), nil) {
		t.Errorf("public address refused")
	}
	if !addrAllowed(netip.MustParseAddr("10.1.2.3"), []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}) {
		t.Errorf("allow_networks not honoured")
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    string
		wantRetry time.Duration
		wantClass string
	}{
		{"429 seconds", 429, "120", 120 * time.Second, "http"},
		{"503 no header", 503, "", 0, "http"},
		{"404", 404, "", 0, "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
			}))
			defer ts.Close()
			opts := testOptions()
			opts.setDefaults()
			_, err := fetch(context.Background(), &opts, Feed{Name: "s", URL: ts.URL}, store.FeedState{})
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tt.status || se.RetryAfter != tt.wantRetry || classify(err) != tt.wantClass {
				t.Errorf("err = %v (%+v), want status %d retry %s", err, se, tt.status, tt.wantRetry)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30", 30 * time.Second},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"-5", 0},
		{"soon", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestNotAFeed(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><html><body>Trang chủ</body></html>")
	}))
	defer ts.Close()
	opts := testOptions()
	opts.setDefaults()
	_, err := fetch(context.Background(), &opts, Feed{Name: "h", URL: ts.URL}, store.FeedState{})
	if !errors.Is(err, ErrNotFeed) || classify(err) != "not_feed" {
		t.Errorf("HTML page: %v (%s), want ErrNotFeed", err, classify(err))
	}
}

func TestFailingFeedKeepsItemsAndOthersFlow(t *testing.T) {
	db := openStore(t)
	var broken bool
	var mu sync.Mutex
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if broken {
			fmt.Fprint(w, "<rss><channel><item><title>cut off")
			return
		}
		fmt.Fprint(w, rssDoc("Tin của báo hay lỗi"))
	}))
	defer flaky.Close()
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, rssDoc("Tin của báo ổn định", "Tin thứ hai của báo ổn định"))
	}))
	defer good.Close()
	p := NewPoller(db, testOptions(Feed{Name: "flaky", URL: flaky.URL}, Feed{Name: "good", URL: good.URL}))
	ctx := context.Background()
	if err := p.Once(ctx, []string{"flaky"}, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	broken = true
	mu.Unlock()
	reps := map[string]Report{}
	if err := p.Once(ctx, nil, func(r Report) { reps[r.Feed] = r }); err != nil {
		t.Fatal(err)
	}
	if reps["flaky"].Err == nil || reps["good"].Err != nil || reps["good"].Result.Added != 2 {
		t.Errorf("reports = %+v; want flaky failed and good added 2", reps)
	}
	items, _ := db.Latest(ctx, 10, nil)
	if len(items) != 3 {
		t.Errorf("stored %d items, want 3: a failing feed keeps what it stored", len(items))
	}
	for _, it := range items {
		if strings.Contains(it.Title, "cut off") || strings.Contains(it.Summary, "fetch") {
			t.Errorf("an error became an item: %+v", it)
		}
	}
	st := p.States()["flaky"]
	if st.Failures != 1 || st.ErrorClass == "" || st.LastError == "" {
		t.Errorf("flaky state = %+v, want one failure recorded", st)
	}
	if wait := st.NextPoll.Sub(st.LastFetch); wait < 13*time.Minute {
		t.Errorf("retry in %s, want about the interval", wait)
	}
}

func TestBackoff(t *testing.T) {
	iv := 15 * time.Minute
	for failures, want := range map[int]time.Duration{1: iv, 2: 2 * iv, 3: 4 * iv, 20: maxBackoff} {
		got := backoff(iv, failures, errors.New("x"))
		if got < want*9/10 || got > want*11/10 {
			t.Errorf("backoff(%d) = %s, want %s ±10%%", failures, got, want)
		}
	}
	se := &StatusError{Code: 429, RetryAfter: 3 * time.Hour}
	if got := backoff(iv, 1, fmt.Errorf("wrapped: %w", se)); got != 3*time.Hour {
		t.Errorf("backoff with Retry-After = %s, want 3h", got)
	}
}

// TestTooManyItemsRefused checks the item cap: a document of maxItems
// items is taken whole, one of more is refused before gofeed decodes its
// items (gofeed decodes them all before any cap on its result applies).
func TestTooManyItemsRefused(t *testing.T) {
	for _, tt := range []struct {
		n     int
		class string
	}{{maxItems, ""}, {maxItems + 1, "too_many_items"}, {maxItems + 50, "too_many_items"}} {
		titles := make([]string, tt.n)
		for i := range titles {
			titles[i] = fmt.Sprintf("Tin số %d trong tài liệu lớn", i)
		}
		doc := rssDoc(titles...)
		opts := testOptions()
		opts.MaxBody = int64(len(doc) + 1)
		opts.setDefaults()
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, doc) }))
		res, err := fetch(context.Background(), &opts, Feed{Name: "big", URL: ts.URL}, store.FeedState{})
		ts.Close()
		if classify(err) != tt.class {
			t.Errorf("%d items: class %q (%v), want %q", tt.n, classify(err), err, tt.class)
		}
		if want := map[bool]int{true: tt.n, false: 0}[tt.class == ""]; len(res.Items) != want {
			t.Errorf("%d items: %d taken, want %d", tt.n, len(res.Items), want)
		}
	}
}
