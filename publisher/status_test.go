package publisher

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/pressfeed/pressfeed/store"
)

// statusFixture is the fixture with live feed states: vnexpress healthy,
// tuoitre failing once, sggp down, and one feed never fetched.
func statusFixture(t *testing.T) *handler {
	t.Helper()
	now := time.Date(2025, 6, 1, 3, 0, 0, 0, time.UTC) // 10:00 in Vietnam, the fixture's morning
	ok := now.Add(-10 * time.Minute)
	states := map[string]store.FeedState{
		"vnexpress": {Title: "VnExpress - Tin mới nhất", LastFetch: ok, LastSuccess: ok, Items: 2,
			NextPoll: ok.Add(7*time.Minute + 12*time.Second), PollInterval: 7*time.Minute + 12*time.Second + 400*time.Millisecond,
			PollReason: "learnt: busy hour"},
		"tuoitre": {Title: "Tuổi Trẻ Online", LastFetch: ok, LastSuccess: now.Add(-time.Hour), Failures: 1,
			LastError:  `fetch tuoitre: Get "https://tuoitre.vn/rss/tin-moi-nhat.rss": fetcher: HTTP 503 Service Unavailable`,
			ErrorClass: "http", Items: 1,
			NextPoll: ok.Add(time.Hour), PollInterval: time.Hour, PollReason: "publisher asked (Retry-After)"},
		"sggp": {LastFetch: ok, LastSuccess: now.Add(-26 * time.Hour), Failures: 5,
			LastError: `<script>alert("x")</script> timeout`, ErrorClass: "timeout", Items: 1},
	}
	feeds := append(slicesClone(fixtureFeeds), Feed{Name: "nhandan", URL: "https://user:secret@nhandan.vn/rss/home.rss"})
	h, _, _ := newFixtureHandler(t, Options{
		Feeds:    feeds,
		States:   func() map[string]store.FeedState { return states },
		Location: time.FixedZone("ICT", 7*3600),
		Now:      func() time.Time { return now },
	})
	return h
}

func slicesClone(fs []Feed) []Feed { return append([]Feed(nil), fs...) }

func TestStatusJSON(t *testing.T) {
	h := statusFixture(t)
	w := get(h, http.MethodGet, "/status.json")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	var s Status
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	want := StatusTotals{Feeds: 4, OK: 1, Failing: 1, Down: 1, Never: 1, Items: fixtureN, Items24h: fixtureN,
		Copies24h: 6} // the metro story was carried by all three outlets
	if s.Totals != want {
		t.Errorf("totals = %+v, want %+v", s.Totals, want)
	}
	if len(s.Days) != statusDays || s.Days[statusDays-1] != "2025-06-01" {
		t.Errorf("days = %v, want 14 ending 2025-06-01", s.Days)
	}
	byName := make(map[string]FeedStatus)
	for _, f := range s.Feeds {
		byName[f.Name] = f
	}
	tests := []struct {
		name, health   string
		today, last24h int
	}{
		{"vnexpress", "ok", 2, 2},
		{"tuoitre", "failing", 2, 2}, // its own story and the merged metro story
		{"sggp", "down", 2, 2},
		{"nhandan", "never", 0, 0},
	}
	for _, tt := range tests {
		f := byName[tt.name]
		if f.Health != tt.health || f.PerDay[statusDays-1] != tt.today || f.Items24h != tt.last24h || len(f.PerDay) != statusDays ||
			f.Items != tt.today { // the fixture's stories are all of today
			t.Errorf("%s: health %s, today %d, 24h %d; want %s, %d, %d", tt.name, f.Health, f.PerDay[statusDays-1], f.Items24h,
				tt.health, tt.today, tt.last24h)
		}
	}
	if u := byName["nhandan"].URL; strings.Contains(u, "secret") {
		t.Errorf("password shown: %s", u)
	}
	if f := byName["tuoitre"]; f.ErrorClass != "http" || f.ErrorWords != "máy chủ trả lỗi" || !strings.Contains(f.LastError, "503") ||
		f.Title != "Tuổi Trẻ Online" {
		t.Errorf("tuoitre = %+v", f)
	}
	polls := []struct {
		name, interval string
		seconds        int64
		reason         string
	}{
		{"vnexpress", "7m12s", 432, "learnt: busy hour"},
		{"tuoitre", "1h0m0s", 3600, "publisher asked (Retry-After)"},
		{"nhandan", "", 0, ""},
	}
	for _, tt := range polls {
		if f := byName[tt.name]; f.PollInterval != tt.interval || f.PollSeconds != tt.seconds || f.PollReason != tt.reason {
			t.Errorf("%s: interval %q (%d s), reason %q; want %q (%d s), %q", tt.name, f.PollInterval, f.PollSeconds, f.PollReason,
				tt.interval, tt.seconds, tt.reason)
		}
	}
}

func TestStatusPage(t *testing.T) {
	h := statusFixture(t)
	w := get(h, http.MethodGet, "/")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	if got := w.Header().Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'none'; style-src 'unsafe-inline'") {
		t.Errorf("CSP = %q", got)
	}
	body := w.Body.String()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var feeds []string
	var health []string
	rects, scripts, external := 0, 0, 0
	refresh := false
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		attr := func(k string) string {
			for _, a := range n.Attr {
				if a.Key == k {
					return a.Val
				}
			}
			return ""
		}
		switch n.Data {
		case "li":
			if strings.HasPrefix(attr("id"), "feed-") {
				feeds = append(feeds, strings.TrimPrefix(attr("id"), "feed-"))
				health = append(health, attr("data-health"))
			}
		case "rect":
			rects++
		case "script":
			scripts++
		case "meta":
			refresh = refresh || attr("http-equiv") == "refresh"
		case "link", "img":
			external++
		}
	}
	if got, want := strings.Join(feeds, " "), "sggp tuoitre nhandan vnexpress"; got != want {
		t.Errorf("feeds in order %q, want sick first: %q", got, want)
	}
	if got, want := strings.Join(health, " "), "down failing never ok"; got != want {
		t.Errorf("health %q, want %q", got, want)
	}
	if rects != 4*statusDays || scripts != 0 || external != 0 || !refresh {
		t.Errorf("%d bars, %d scripts, %d external assets, refresh %v; want %d, 0, 0, true", rects, scripts, external, refresh, 4*statusDays)
	}
	for _, s := range []string{"Tuổi Trẻ Online", "lỗi từ 2025-06-01 09:00 (1 lần liên tiếp)",
		`<details><summary>máy chủ trả lỗi</summary><small>HTTP 503 Service Unavailable</small></details>`,
		`<details><summary>hết thời gian chờ</summary><small>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; timeout</small></details>`,
		`<dd class="poll">7m12s · learnt: busy hour · lần tới 2025-06-01 09:57 ICT</dd>`,
		`<dd class="poll">1h0m0s · publisher asked (Retry-After) · lần tới 2025-06-01 10:50 ICT</dd>`} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if n := strings.Count(body, `class="poll"`); n != 2 {
		t.Errorf("%d feeds show their poll interval; want the 2 that have one", n)
	}
	if strings.Contains(body, "secret") || strings.Contains(body, "<script>") {
		t.Error("page shows a password or an unescaped error")
	}
}

func TestOPML(t *testing.T) {
	h := statusFixture(t)
	w := get(h, http.MethodGet, "/opml")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/x-opml") {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	var doc struct {
		Version  string `xml:"version,attr"`
		Outlines []struct {
			Text     string `xml:"text,attr"`
			XMLURL   string `xml:"xmlUrl,attr"`
			Category string `xml:"category,attr"`
		} `xml:"body>outline"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.0" || len(doc.Outlines) != 4 {
		t.Fatalf("opml %s with %d outlines, want 2.0 with 4:\n%s", doc.Version, len(doc.Outlines), w.Body)
	}
	o := doc.Outlines[1] // no configured title: named as configured, like export-opml
	if o.Text != "tuoitre" || o.XMLURL != "https://tuoitre.vn/rss/tin-moi-nhat.rss" || o.Category != "tong-hop,thoi-su" {
		t.Errorf("tuoitre outline = %+v", o)
	}
	if strings.Contains(w.Body.String(), "secret") {
		t.Error("OPML shows a password")
	}
}

// TestSecurityHeaders checks every route answers nosniff, and feeds and
// data a sandboxing CSP.
func TestSecurityHeaders(t *testing.T) {
	h := statusFixture(t)
	for _, path := range []string{"/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds/all.json?limit=1",
		"/feeds/all.atom?limit=0", "/feeds/nope.atom", "/status.json", "/opml", "/healthz", "/metrics", "/nope", "/"} {
		w := get(h, http.MethodGet, path)
		if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", path, got)
		}
		csp := w.Header().Get("Content-Security-Policy")
		if path != "/" && csp != "default-src 'none'; sandbox" {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if path == "/" && (strings.Contains(csp, "script-src") || !strings.HasPrefix(csp, "default-src 'none'")) {
			t.Errorf("/: CSP %q", csp)
		}
	}
}

func TestMetrics(t *testing.T) {
	h := statusFixture(t)
	ph := &Handler{h}
	ph.ObserveFetch(FetchEvent{Feed: "vnexpress", Duration: 300 * time.Millisecond, Added: 3, Merged: 1})
	ph.ObserveFetch(FetchEvent{Feed: "tuoitre", Duration: time.Second, NotModified: true})
	ph.ObserveFetch(FetchEvent{Feed: "sggp", Duration: 30 * time.Second, Class: "timeout"})
	ph.ObservePrune(7)
	etag := get(h, http.MethodGet, "/feeds/all.atom").Header().Get("ETag")
	get(h, http.MethodGet, "/feeds/all.atom", "If-None-Match", etag)
	get(h, http.MethodGet, "/feeds/all.atom?limit=0")
	get(h, http.MethodGet, "/feeds/all.atom?limit=2") // a page rendered for the request
	w := get(h, http.MethodGet, "/metrics")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	body := w.Body.String()
	for _, want := range []string{
		`pressfeed_fetches_total{result="ok"} 1`,
		`pressfeed_fetches_total{result="not_modified"} 1`,
		`pressfeed_fetches_total{result="timeout"} 1`,
		`pressfeed_fetch_duration_seconds_count 3`,
		`pressfeed_items_stored_total 3`,
		`pressfeed_items_merged_total 1`,
		`pressfeed_items_pruned_total 7`,
		`pressfeed_http_requests_total{code="200",route="feed"} 2`,
		`pressfeed_generations_total 1`,        // one store state
		`pressfeed_documents_rendered_total 4`, // its three first pages and the page of ?limit=2
		`pressfeed_http_requests_total{code="304",route="feed"} 1`,
		`pressfeed_http_requests_total{code="400",route="feed"} 1`,
		`pressfeed_feed_last_success_timestamp_seconds{feed="vnexpress"} 1.7487462e+09`,
		`pressfeed_feed_last_success_timestamp_seconds{feed="nhandan"} 0`,
		`pressfeed_feed_consecutive_failures{feed="sggp"} 5`,
		`pressfeed_store_items 4`,
		`pressfeed_store_file_size_bytes `,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

// hub records publish requests; it fails the first fail of them with 503.
type hub struct {
	mu    sync.Mutex
	fail  int
	got   []url.Values
	calls int
}

func (hb *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	hb.mu.Lock()
	defer hb.mu.Unlock()
	hb.calls++
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "bad publish request", http.StatusBadRequest)
		return
	}
	if hb.calls <= hb.fail {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	hb.got = append(hb.got, form)
	w.WriteHeader(http.StatusNoContent)
}

func (hb *hub) topics() map[string]int {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	out := make(map[string]int)
	for _, f := range hb.got {
		if f.Get("hub.mode") == "publish" {
			out[f.Get("hub.url")]++
		}
	}
	return out
}

func TestWebSub(t *testing.T) {
	hb := &hub{fail: 2} // the first two pings are refused: retried
	srv := httptest.NewServer(hb)
	defer srv.Close()
	h, db, _ := newFixtureHandler(t, Options{WebSubHubs: []string{srv.URL + "/hub"}})
	h.retryBase = 10 * time.Millisecond

	// Every document's first page advertises the hub; paged ones do not.
	for f := range numFormats {
		body := get(h, http.MethodGet, "/feeds/all"+formats[f].ext).Body.String()
		if !strings.Contains(body, srv.URL+"/hub") {
			t.Errorf("%s lacks the hub link", formats[f].name)
		}
		if body := get(h, http.MethodGet, "/feeds/all"+formats[f].ext+"?limit=1").Body.String(); strings.Contains(body, srv.URL+"/hub") {
			t.Errorf("%s page 1 of a query links the hub", formats[f].name)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	want := map[string]int{
		"http://127.0.0.1:8080/feeds/all.rss":  1,
		"http://127.0.0.1:8080/feeds/all.atom": 1,
		"http://127.0.0.1:8080/feeds/all.json": 1,
	}
	// At start every topic is pinged once (the store may have changed
	// after the last ping of the process before), then once per change.
	waitTopics := func(n int) {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			got, ok := hb.topics(), true
			for topic := range want {
				ok = ok && got[topic] >= n
			}
			if ok {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitTopics(1)
	if got := hb.topics(); len(got) != len(want) {
		t.Errorf("pinged at start: %v, want each of %d topics once", got, len(want))
	}
	add(t, db, "vnexpress", nil, incoming("new", "tin mới", storeItem("Tin mới", time.Date(2025, 6, 1, 9, 0, 0, 0, ict))))
	for topic := range want {
		want[topic]++
	}
	waitTopics(2)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v", err)
	}
	got := hb.topics()
	for topic, n := range want {
		if got[topic] != n {
			t.Errorf("pings for %s = %d, want %d (all: %v)", topic, got[topic], n, got)
		}
	}
}

func TestBadHub(t *testing.T) {
	c := &clock{}
	db := openDB(t, c)
	for _, hub := range []string{"ftp://hub.example", "/hub", "http://"} {
		if _, err := NewHandler(db, Options{WebSubHubs: []string{hub}}); err == nil {
			t.Errorf("hub %q accepted", hub)
		}
	}
}

// TestStatusDeliveriesAndTopStories checks the deliveries and today's most
// carried stories on /status.json, the page and /metrics.
func TestStatusDeliveriesAndTopStories(t *testing.T) {
	now := time.Date(2025, 6, 1, 3, 0, 0, 0, time.UTC)
	h, db, _ := newFixtureHandler(t, Options{
		Location:   time.FixedZone("ICT", 7*3600),
		Now:        func() time.Time { return now },
		Deliveries: []Delivery{{Name: "kenh-hcm", Output: "all", Kind: "webhook"}},
	})
	ctx := context.Background()
	if _, err := db.Deliveries(ctx, []string{"kenh-hcm"}, now); err != nil {
		t.Fatal(err)
	}
	if err := db.Failed(ctx, "kenh-hcm", errors.New(`receiver answered 503: <b>busy</b>`)); err != nil {
		t.Fatal(err)
	}
	var s Status
	if err := json.Unmarshal(get(h, http.MethodGet, "/status.json").Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Deliveries) != 1 || s.Deliveries[0].Name != "kenh-hcm" || s.Deliveries[0].Health != "failing" ||
		s.Deliveries[0].Failures != 1 || s.Deliveries[0].Kind != "webhook" {
		t.Errorf("deliveries = %+v", s.Deliveries)
	}
	if len(s.TopStories) != 1 || s.TopStories[0].Title != titleMetro || len(s.TopStories[0].Outlets) != 3 {
		t.Errorf("top stories = %+v; want the metro story, carried by 3 outlets", s.TopStories)
	}
	page := get(h, http.MethodGet, "/").Body.String()
	for _, want := range []string{`id="deliveries"`, "kenh-hcm", "lỗi 1 lần liên tiếp", "&lt;b&gt;busy", `id="top-stories"`, "3 báo:"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	metrics := get(h, http.MethodGet, "/metrics").Body.String()
	for _, want := range []string{`pressfeed_delivery_pending_items{delivery="kenh-hcm"} 0`,
		`pressfeed_delivery_consecutive_failures{delivery="kenh-hcm"} 1`, `pressfeed_delivery_sent_items_total{delivery="kenh-hcm"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestStatusCountsAgree checks that the counts of the status page and
// /status.json agree with each other on the fixture, where one story was
// carried by three outlets: each feed's 24-hour count is at most its
// count over the days charted, which is the sum of its bars; the feeds'
// 24-hour counts sum to the copies total; stories are at most copies. The
// page shows the numbers of status.json.
func TestStatusCountsAgree(t *testing.T) {
	h := statusFixture(t)
	var s Status
	if err := json.Unmarshal(get(h, http.MethodGet, "/status.json").Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	sum24h := 0
	for _, f := range s.Feeds {
		days := 0
		for _, n := range f.PerDay {
			days += n
		}
		if f.Items != days || f.Items24h > f.Items {
			t.Errorf("%s: %d in 24 h, %d in %d days, bars sum to %d", f.Name, f.Items24h, f.Items, len(f.PerDay), days)
		}
		sum24h += f.Items24h
	}
	if tt := s.Totals; sum24h != tt.Copies24h || tt.Items24h > tt.Copies24h || tt.Items24h > tt.Items {
		t.Errorf("totals %+v; feeds' 24 h counts sum to %d", tt, sum24h)
	}
	if s.Totals.Copies24h == s.Totals.Items24h {
		t.Fatal("the fixture has no merged story in the last 24 h: nothing checked")
	}

	doc, err := html.Parse(strings.NewReader(get(h, http.MethodGet, "/").Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	shown := make(map[string]string) // id or feed/class → text
	var feed string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "id" && strings.HasPrefix(a.Val, "feed-"):
				feed = strings.TrimPrefix(a.Val, "feed-")
			case a.Key == "id" && strings.HasPrefix(a.Val, "total-"):
				shown[a.Val] = textOf(n.FirstChild) // <b>N</b>
			case a.Key == "class" && (a.Val == "items" || a.Val == "items-24h"):
				shown[feed+"/"+a.Val] = textOf(n)
			}
		}
	}
	want := map[string]string{
		"total-items":      fmt.Sprint(s.Totals.Items),
		"total-items-24h":  fmt.Sprint(s.Totals.Items24h),
		"total-copies-24h": fmt.Sprint(s.Totals.Copies24h),
	}
	for _, f := range s.Feeds {
		want[f.Name+"/items"] = fmt.Sprintf("%d tin", f.Items)
		want[f.Name+"/items-24h"] = fmt.Sprintf("%d tin", f.Items24h)
	}
	for k, v := range want {
		if shown[k] != v {
			t.Errorf("page shows %s %q, want %q", k, shown[k], v)
		}
	}
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func TestErrorDetail(t *testing.T) {
	tests := []struct{ msg, name, url, want string }{
		{`fetch vnexpress: Get "https://vnexpress.net/rss/a.rss": dial tcp 1.2.3.4:443: i/o timeout`, "vnexpress",
			"https://vnexpress.net/rss/a.rss", "dial tcp 1.2.3.4:443: i/o timeout"},
		{"fetch tuoitre: fetcher: HTTP 503 Service Unavailable", "tuoitre", "https://tuoitre.vn/rss", "HTTP 503 Service Unavailable"},
		{`fetch a: Get "https://u:***@x.vn/rss": EOF`, "a", "https://u:secret@x.vn/rss", "EOF"},
		{"fetch a: https://u:xxxxx@x.vn/rss: too large", "a", "https://u:secret@x.vn/rss", "too large"},
		{"fetch a: https://u:secret@x.vn/rss\nredirected to https://y.vn/", "a", "https://u:secret@x.vn/rss",
			"redirected to https://y.vn/"},
		{"processing was cut short by a crash", "a", "https://x.vn/", "processing was cut short by a crash"},
	}
	for _, tt := range tests {
		if got := errorDetail(tt.msg, tt.name, tt.url); got != tt.want {
			t.Errorf("errorDetail(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
	for class := range errorClassWords {
		if errorWords(class) == errorWords("other") {
			t.Errorf("class %s has no words of its own", class)
		}
	}
	if errorWords("") != "lỗi khác" || errorWords("new_class") != "lỗi khác" {
		t.Error("unknown classes are not worded as another error")
	}
}

// TestStatesBeforeTheScheduler: until the scheduler has states to give
// (States returns nil, as the daemon's does before it starts), the
// handler reads the stored ones.
func TestStatesBeforeTheScheduler(t *testing.T) {
	h, db, _ := newFixtureHandler(t, Options{States: func() map[string]store.FeedState { return nil }})
	ctx := t.Context()
	if err := db.SaveStates(ctx, map[string]store.FeedState{"vnexpress": {Title: "VnExpress lưu trữ", Items: 2}}); err != nil {
		t.Fatal(err)
	}
	got, err := h.feedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got["vnexpress"].Title != "VnExpress lưu trữ" {
		t.Errorf("states = %v, want the stored ones", got)
	}
}
