package fetcher

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/fetcher/internal/corpustest"
	"github.com/pressfeed/pressfeed/store"
)

// gzipBomb returns a gzip stream of copies members, each inflating to size
// zero bytes: a few hundred KB that inflate to copies×size.
func gzipBomb(tb testing.TB, size, copies int) []byte {
	tb.Helper()
	var one bytes.Buffer
	zw, err := gzip.NewWriterLevel(&one, gzip.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := zw.Write(make([]byte, size)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return bytes.Repeat(one.Bytes(), copies) // gzip readers read every member
}

func serveGzipBomb(bomb []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	}
}

// serveEndless writes a feed that never ends, until the client goes away.
func serveEndless(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, `<rss version="2.0"><channel><title>vô tận</title>`)
	chunk := []byte(strings.Repeat(`<item><title>Tin không bao giờ hết</title></item>`, 200))
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// serveSlow answers after a minute, or when the client gives up.
func serveSlow(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
}

// entityBomb is a billion-laughs document in an RSS item.
func entityBomb(items int) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "<!ENTITY lol%d \"%s\">\n", i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString("]>\n")
	b.WriteString(`<rss version="2.0"><channel><title>bom &lol9;</title><link>https://bao.example/</link><description>d</description>`)
	for i := range items {
		fmt.Fprintf(&b, `<item><title>Tin bom thực thể số %d &lol9;</title><link>https://bao.example/bom-%d</link><description>&lol9;&lol8;&lol7;</description></item>`, i, i)
	}
	b.WriteString(`</channel></rss>`)
	return strings.Replace(b.String(), "&lol0;", "&lol;", -1)
}

func utf16Doc(tb testing.TB, s string) []byte {
	tb.Helper()
	s = strings.Replace(s, `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func serveBytes(contentType string, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(b)
	}
}

// counter returns n for the n-th request to the handler it is used in.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) next() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

// faultCase is one hostile (or oddly-made) feed of TestFaultInjection.
type faultCase struct {
	name    string
	handler http.HandlerFunc
	own     bool // on a server of its own (Retry-After holds a whole site)
	// check runs after two polls: r1, r2 the reports, st the final state,
	// first the feed's items after the first poll, items after the second.
	check func(t *testing.T, c faultCheck)
}

type faultCheck struct {
	name        string
	r1, r2      Report
	st          store.FeedState
	first, last []store.Item
	hits        int
}

func wantClass(class string) func(t *testing.T, c faultCheck) {
	return func(t *testing.T, c faultCheck) {
		t.Helper()
		if c.r1.Class != class || c.st.ErrorClass != class || c.st.LastError == "" {
			t.Errorf("class %q / stored %q (%v), want %q", c.r1.Class, c.st.ErrorClass, c.r1.Err, class)
		}
		if len(c.last) != 0 {
			t.Errorf("%d items stored from a failing feed, want none", len(c.last))
		}
		if c.st.Failures != 2 || c.st.ErrorSince.IsZero() || !c.st.ErrorSince.Before(c.st.LastFetch) {
			t.Errorf("state %+v, want 2 failures since the first poll", c.st)
		}
	}
}

func wantTitle(want string) func(t *testing.T, c faultCheck) {
	return func(t *testing.T, c faultCheck) {
		t.Helper()
		if c.r1.Err != nil || len(c.last) != 1 {
			t.Fatalf("err %v, %d items; want 1 item", c.r1.Err, len(c.last))
		}
		found := false
		for _, m := range c.last[0].Members {
			if m.Feed == c.name {
				found = true
				if m.Title != want {
					t.Errorf("title %q (%+q), want %q", m.Title, m.Title, want)
				}
			}
		}
		if !found {
			t.Errorf("item %+v does not name feed %s", c.last[0], c.name)
		}
	}
}

func TestFaultInjection(t *testing.T) {
	const vnTitle = "Thủ tướng phát biểu về tăng trưởng kinh tế"
	var healthyN, guidN, undatedN counter
	cases := []faultCase{
		{name: "slow", handler: serveSlow, check: wantClass("timeout")},
		{name: "endless", handler: serveEndless, check: wantClass("too_large")},
		{name: "gzip-bomb", handler: serveGzipBomb(gzipBomb(t, 16<<20, 64)), check: wantClass("too_large")},
		{name: "status-503", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, check: wantClass("http")},
		{name: "html-200", handler: serveBytes("text/html; charset=utf-8", []byte("<!doctype html><html><head><title>Báo</title></head><body><p>Trang chủ</p></body></html>")), check: wantClass("not_feed")},
		{name: "empty-body", handler: serveBytes("application/rss+xml", nil), check: wantClass("not_feed")},
		{name: "redirect-loop", handler: redirectTo(301, "/redirect-loop"), check: wantClass("moved")},
		{name: "retry-after-429", own: true, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7200")
			w.WriteHeader(http.StatusTooManyRequests)
		}, check: func(t *testing.T, c faultCheck) {
			if c.r1.Class != "http" || !c.r2.Deferred || c.hits != 1 {
				t.Errorf("429: class %q, second poll deferred %v, %d requests; want 1 request", c.r1.Class, c.r2.Deferred, c.hits)
			}
			if c.st.NextPoll.Sub(c.st.LastFetch) < 2*time.Hour || c.st.NotBefore.Sub(c.st.LastFetch) != 2*time.Hour {
				t.Errorf("state %+v, want no poll before 2h", c.st)
			}
		}},
		{name: "moved-301-308", handler: redirectTo(301, "/moved-step"), check: func(t *testing.T, c faultCheck) {
			if c.r1.Err != nil || len(c.last) != 1 || !strings.HasSuffix(c.st.MovedTo, "/moved-final") {
				t.Errorf("err %v, %d items, moved to %q; want followed to /moved-final", c.r1.Err, len(c.last), c.st.MovedTo)
			}
			if c.hits != 1 {
				t.Errorf("old URL asked %d times, want once: later polls go to the new one", c.hits)
			}
		}},
		{name: "entity-bomb", handler: serveBytes("application/rss+xml", []byte(entityBomb(20))), check: func(t *testing.T, c faultCheck) {
			if c.r1.Err != nil || len(c.last) != 20 {
				t.Fatalf("err %v, %d items; want the 20 items, entities unexpanded", c.r1.Err, len(c.last))
			}
			for _, it := range c.last {
				if len(it.Title) > 200 || len(it.Summary) > 4*maxSummary || len(it.Content) > 1000 {
					t.Errorf("item grew: title %d, summary %d, content %d bytes", len(it.Title), len(it.Summary), len(it.Content))
				}
			}
		}},
		{name: "invalid-utf8", handler: serveBytes("application/rss+xml; charset=utf-8", []byte(rssDoc("Giá vàng hôm nay \xff\xfe tăng mạnh"))), check: func(t *testing.T, c faultCheck) {
			if c.r1.Err != nil || len(c.last) != 1 || !utf8.ValidString(c.last[0].Title) || !strings.HasPrefix(c.last[0].Title, "Giá vàng hôm nay") || !strings.HasSuffix(c.last[0].Title, "tăng mạnh") {
				t.Errorf("err %v, items %+v; want the item with its broken bytes repaired", c.r1.Err, c.last)
			}
		}},
		{name: "utf16", handler: serveBytes("application/rss+xml", utf16Doc(t, rssDoc(vnTitle))), check: wantTitle(vnTitle)},
		{name: "nfd", handler: serveBytes("application/rss+xml", []byte(rssDoc(norm.NFD.String(vnTitle)))), check: wantTitle(vnTitle)},
		{name: "windows-1258", handler: func(w http.ResponseWriter, r *http.Request) {
			doc := strings.Replace(rssDoc("TITLE"), `encoding="UTF-8"`, `encoding="windows-1258"`, 1)
			doc = strings.Replace(doc, "Báo Thử", "Bao", 1)
			doc = strings.Replace(doc, "Nội dung", "Noi dung", 1)
			before, after, _ := strings.Cut(doc, "TITLE")
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(before))
			w.Write(corpustest.CP1258(t, vnTitle))
			w.Write([]byte(strings.Replace(after, "TITLE", "x", -1)))
		}, check: func(t *testing.T, c faultCheck) {
			wantTitle(vnTitle)(t, c)
		}},
		{name: "changing-guids", handler: func(w http.ResponseWriter, r *http.Request) {
			n := guidN.next()
			doc := strings.Replace(rssDoc("Tin có GUID đổi mỗi lần tải"), "<guid>tin-0</guid>", fmt.Sprintf("<guid>rand-%d-%d</guid>", n, time.Now().UnixNano()), 1)
			fmt.Fprint(w, doc)
		}, check: func(t *testing.T, c faultCheck) {
			if c.r1.Err != nil || c.r2.Err != nil || c.r2.Result.Added != 0 || len(c.last) != 1 {
				t.Errorf("second poll %+v, %d items; want the same item, not a new one", c.r2, len(c.last))
			}
		}},
		{name: "undated", handler: func(w http.ResponseWriter, r *http.Request) {
			n := undatedN.next()
			var b strings.Builder
			b.WriteString(`<rss version="2.0"><channel><title>Không ngày</title><link>https://bao.example/</link><description>d</description>`)
			for i := range n {
				fmt.Fprintf(&b, `<item><title>Tin không ghi ngày số %d hôm nay</title><link>https://bao.example/khong-ngay-%d</link></item>`, i, i)
			}
			b.WriteString(`</channel></rss>`)
			fmt.Fprint(w, b.String())
		}, check: func(t *testing.T, c faultCheck) {
			if len(c.first) != 1 || len(c.last) != 2 {
				t.Fatalf("%d then %d items, want 1 then 2", len(c.first), len(c.last))
			}
			for _, it := range c.last {
				if it.ID == c.first[0].ID && !it.Published.Equal(c.first[0].Published) {
					t.Errorf("undated item re-dated: %v then %v", c.first[0].Published, it.Published)
				}
				if d := it.Seen.Sub(it.Published).Abs(); d > time.Second {
					t.Errorf("undated item published %v, want its first-seen time %v", it.Published, it.Seen)
				}
			}
		}},
		{name: "future-dated", handler: serveBytes("application/rss+xml", []byte(strings.Replace(rssDoc("Tin đề ngày trong tương lai xa"), "2026", "2099", 1))), check: func(t *testing.T, c faultCheck) {
			if len(c.last) != 1 || c.last[0].Published.After(c.last[0].Seen.Add(10*time.Minute)) {
				t.Errorf("items %+v; want the date clamped to first-seen time", c.last)
			}
		}},
	}

	routes := map[string]http.HandlerFunc{
		"/healthy": func(w http.ResponseWriter, r *http.Request) {
			n := healthyN.next()
			titles := make([]string, n)
			for i := range titles {
				titles[i] = fmt.Sprintf("Tin lành mạnh số %d trong ngày", i)
			}
			serveRSS(titles...)(w, r)
		},
		"/moved-step":  redirectTo(308, "/moved-final"),
		"/moved-final": serveRSS("Tin ở địa chỉ mới của kênh"),
	}
	servers := map[string]*hitServer{}
	urls := map[string]string{}
	for _, c := range cases {
		routes["/"+c.name] = c.handler
	}
	shared, sharedTS := newHitServer(t, routes)
	opts := testOptions(Feed{Name: "healthy", URL: sharedTS.URL + "/healthy"})
	for _, c := range cases {
		hs, base := shared, sharedTS.URL
		if c.own {
			var ts = sharedTS
			hs, ts = newHitServer(t, map[string]http.HandlerFunc{"/" + c.name: c.handler})
			base = ts.URL
		}
		servers[c.name], urls[c.name] = hs, base+"/"+c.name
		opts.Feeds = append(opts.Feeds, Feed{Name: c.name, URL: urls[c.name]})
	}
	opts.Timeout = 4 * time.Second // long enough for every other feed on a loaded machine under -race
	opts.MaxBody = 1 << 20
	opts.Concurrency, opts.PerHost = 32, 32
	db := openStore(t)
	p := NewPoller(db, opts)

	itemsOf := func() map[string][]store.Item {
		all, err := db.Latest(context.Background(), 1000, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]store.Item{}
		for _, it := range all {
			for _, m := range it.Members {
				out[m.Feed] = append(out[m.Feed], it)
			}
		}
		return out
	}
	start := time.Now()
	r1 := onceReports(t, p)
	round1 := time.Since(start)
	first := itemsOf()
	time.Sleep(20 * time.Millisecond) // a later poll has a later clock
	start = time.Now()
	r2 := onceReports(t, p)
	round2 := time.Since(start)
	last := itemsOf()
	states := p.States()

	// Each round lasts about the fetch timeout (the slow feed), not the
	// minute the slow server would take; logged, not asserted.
	t.Logf("round 1 took %s, round 2 %s (timeout %s)", round1.Round(time.Millisecond), round2.Round(time.Millisecond), opts.Timeout)
	if r1["healthy"].Err != nil || r1["healthy"].Result.Added != 1 || r2["healthy"].Err != nil || r2["healthy"].Result.Added != 1 {
		t.Errorf("healthy feed: %+v then %+v; want one new item each round", r1["healthy"], r2["healthy"])
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, faultCheck{name: c.name, r1: r1[c.name], r2: r2[c.name], st: states[c.name],
				first: first[c.name], last: last[c.name], hits: servers[c.name].count("/" + c.name)})
		})
	}
	for _, it := range last["healthy"] {
		if !utf8.ValidString(it.Title) || !norm.NFC.IsNormalString(it.Title) {
			t.Errorf("healthy item title %q not UTF-8 NFC", it.Title)
		}
	}
}

func TestClipText(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"ngắn", 20, "ngắn"},
		{"abcdefgh", 8, "abcdefgh"},
		{"abcdefghi", 8, "abcde…"},
		{"Lỗi ở máy chủ", 8, "Lỗi…"}, // never inside the three bytes of "ỗ" or "ở"
		{"ỗỗỗ", 5, "…"},
	}
	for _, tt := range tests {
		got := clipText(tt.s, tt.n)
		if got != tt.want || len(got) > tt.n || !utf8.ValidString(got) {
			t.Errorf("clipText(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

// TestLongErrorClipped checks that a server cannot make a fetch error, kept
// in the feed's state and shown on the status page, as long as its headers.
func TestLongErrorClipped(t *testing.T) {
	db := openStore(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cf-Mitigated", strings.Repeat("challenge ", 3000))
		fmt.Fprint(w, rssDoc("Tin"))
	}))
	defer ts.Close()
	var rep Report
	if err := NewPoller(db, testOptions(Feed{Name: "bao", URL: ts.URL})).Once(context.Background(), nil, func(r Report) { rep = r }); err != nil {
		t.Fatal(err)
	}
	states, err := db.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := states["bao"]
	if rep.Class != "bot_protection" || len(st.LastError) > maxErrorText || !strings.HasPrefix(st.LastError, "fetch bao: fetcher: blocked by bot protection (cf-mitigated: challenge") || !strings.HasSuffix(st.LastError, "…") {
		t.Errorf("class %q, stored error of %d bytes: %.120q…; want bot_protection, at most %d bytes", rep.Class, len(st.LastError), st.LastError, maxErrorText)
	}
}

// TestLongLinkCostsNothing checks that an item whose link is longer than a
// store key may be (32 KiB) neither fails its feed nor loses its fellows,
// also when the long URL comes as the GUID.
func TestLongLinkCostsNothing(t *testing.T) {
	for _, item := range []string{
		`<item><title>Tin dài</title><link>https://bao.example/` + strings.Repeat("a", 40<<10) + `</link><guid>g1</guid></item>`,
		`<item><title>Tin dài</title><guid>https://bao.example/` + strings.Repeat("g", 40<<10) + `</guid></item>`,
	} {
		db := openStore(t)
		doc := strings.Replace(rssDoc("Tin thường về giá lúa"), "<item>", item+"<item>", 1)
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, doc) }))
		var rep Report
		if err := NewPoller(db, testOptions(Feed{Name: "bao", URL: ts.URL})).Once(context.Background(), nil, func(r Report) { rep = r }); err != nil {
			t.Fatal(err)
		}
		ts.Close()
		if n, _ := db.Count(); rep.Err != nil || rep.Result.Added != 2 || n != 2 {
			t.Errorf("%.60s…: error %v, added %d, stored %d; want 2 added", item, rep.Err, rep.Result.Added, n)
		}
	}
}
