package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/store"
)

// sourceSite is a portal with no feed: a news list page, a Google News
// sitemap behind an index, a JSON API and a robots.txt. It records the
// headers of each request.
type sourceSite struct {
	mu      sync.Mutex
	robots  string // "" answers 404
	robotsN int    // requests for robots.txt
	status  int    // of robots.txt when not 0
	cookies []string
	accepts []string
	paths   []string
}

const sourcePage = `<!doctype html><html><head><meta charset="utf-8"><title>Tin tức | Cổng mẫu</title></head><body>
<div class="list-news">
<article><h3><a href="/tin-tuc/hoi-nghi-1001?utm_source=home">Hội nghị tổng kết công tác năm 2026</a></h3><span class="time">07/12/2026 - 15:04</span></article>
<article><h3><a href="/tin-tuc/le-ky-niem-1000">Lễ kỷ niệm ngày thành lập phường</a></h3><span class="time">Cập nhật: 31/12/2026 10:00</span></article>
<article><h3><a href="/tin-tuc/lich-tiep-dan-999">Lịch tiếp công dân tháng 12 của Chủ tịch</a></h3></article>
</div></body></html>`

const sourceSitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>/thoi-su/tin-a-1.html</loc><news:news><news:publication_date>2026-12-07T08:30:00</news:publication_date><news:title>Tin thời sự thứ nhất trong ngày</news:title></news:news></url>
</urlset>`

func (s *sourceSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paths = append(s.paths, r.URL.Path)
	s.cookies = append(s.cookies, r.Header.Get("Cookie"))
	s.accepts = append(s.accepts, r.Header.Get("Accept"))
	switch r.URL.Path {
	case "/robots.txt":
		s.robotsN++
		if s.status != 0 {
			w.WriteHeader(s.status)
			return
		}
		if s.robots == "" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, s.robots)
	case "/tin-tuc":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("ETag", `"p1"`)
		if r.Header.Get("If-None-Match") == `"p1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, sourcePage)
	case "/sitemap.xml":
		fmt.Fprint(w, `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/news-sitemap.xml</loc></sitemap></sitemapindex>`)
	case "/news-sitemap.xml":
		fmt.Fprint(w, sourceSitemap)
	case "/api/news":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":{"items":[{"title":"Thông cáo báo chí về kỳ họp thứ 12","url":"/tb/12","time":"07/12/2026 09:00"}]}}`)
	default:
		http.NotFound(w, r)
	}
}

func sourceOptions(now time.Time) *Options {
	opts := &Options{AllowNetworks: loopback, Location: time.FixedZone("ICT", 7*3600), Now: func() time.Time { return now }}
	opts.setDefaults()
	return opts
}

var pageSelect = scrape.Select{Item: "div.list-news article", Title: "h3 a", Link: "h3 a @href", Date: "span.time"}

func TestFetchHTML(t *testing.T) {
	site := &sourceSite{}
	srv := httptest.NewServer(site)
	defer srv.Close()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	opts := sourceOptions(now)
	f := Feed{Name: "cong-mau", URL: srv.URL + "/tin-tuc", Format: scrape.FormatHTML, Select: pageSelect,
		Headers: map[string]string{"Cookie": "phien=bi-mat"}}
	res, err := fetch(context.Background(), opts, f, store.FeedState{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Title != "Tin tức | Cổng mẫu" || res.ETag != `"p1"` || len(res.Items) != 3 {
		t.Fatalf("fetch = title %q, ETag %q, %d items; want the page's title, its ETag, 3 items", res.Title, res.ETag, len(res.Items))
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		title, link, linkKey string
		published            time.Time
		dated                bool
	}{
		{"Hội nghị tổng kết công tác năm 2026", srv.URL + "/tin-tuc/hoi-nghi-1001?utm_source=home",
			"https://" + host + "/tin-tuc/hoi-nghi-1001", time.Date(2026, 12, 7, 8, 4, 0, 0, time.UTC), true},
		// In the future: clamped to the fetch time.
		{"Lễ kỷ niệm ngày thành lập phường", srv.URL + "/tin-tuc/le-ky-niem-1000",
			"https://" + host + "/tin-tuc/le-ky-niem-1000", now, true},
		// No date: first seen.
		{"Lịch tiếp công dân tháng 12 của Chủ tịch", srv.URL + "/tin-tuc/lich-tiep-dan-999",
			"https://" + host + "/tin-tuc/lich-tiep-dan-999", now, false},
	}
	for i, tt := range tests {
		in := res.Items[i]
		if in.Title != tt.title || in.Link != tt.link || in.LinkKey != tt.linkKey || !in.Published.Equal(tt.published) || in.Dated != tt.dated {
			t.Errorf("item %d = %q %q %q %v %v; want %q %q %q %v %v", i, in.Title, in.Link, in.LinkKey, in.Published, in.Dated,
				tt.title, tt.link, tt.linkKey, tt.published, tt.dated)
		}
		if in.TitleKey == "" || in.GUID != "" || in.HashKey != "" {
			t.Errorf("item %d keys: title %q, GUID %q, hash %q; want a title key and the link as identity", i, in.TitleKey, in.GUID, in.HashKey)
		}
	}
	site.mu.Lock()
	cookies, accepts, paths := site.cookies, site.accepts, site.paths
	site.mu.Unlock()
	if paths[0] != "/robots.txt" || cookies[0] != "" || cookies[1] != "phien=bi-mat" {
		t.Errorf("requests %v with cookies %q; want robots.txt without the feed's headers, then the page with them", paths, cookies)
	}
	if !strings.HasPrefix(accepts[1], "text/html") {
		t.Errorf("the page was asked for with Accept %q; want text/html first", accepts[1])
	}

	// The same page again, with its validators: not modified.
	st := store.FeedState{ETag: res.ETag, BodyHash: res.BodyHash}
	res, err = fetch(context.Background(), opts, f, st)
	if err != nil || !res.NotModified {
		t.Fatalf("second fetch = %+v, %v; want not modified", res.NotModified, err)
	}
	// Other selectors read the same page again, validators or not.
	f.Select.Date = ""
	res, err = fetch(context.Background(), opts, f, st)
	if err != nil || res.NotModified || len(res.Items) != 3 || res.Items[0].Dated {
		t.Fatalf("fetch under other selectors = not modified %v, %d items, %v; want the page read again, undated", res.NotModified, len(res.Items), err)
	}
	if site.robotsN != 1 {
		t.Errorf("robots.txt fetched %d times; want once (cached)", site.robotsN)
	}
}

func TestFetchSitemapIndexAndJSON(t *testing.T) {
	srv := httptest.NewServer(&sourceSite{})
	defer srv.Close()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	opts := sourceOptions(now)
	res, err := fetch(context.Background(), opts, Feed{Name: "sm", URL: srv.URL + "/sitemap.xml", Format: scrape.FormatSitemap}, store.FeedState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].Title != "Tin thời sự thứ nhất trong ngày" || res.Items[0].Link != srv.URL+"/thoi-su/tin-a-1.html" ||
		!res.Items[0].Published.Equal(time.Date(2026, 12, 7, 1, 30, 0, 0, time.UTC)) {
		t.Fatalf("sitemap index items = %+v; want the one item of its sitemap, dated in the feed's zone", res.Items)
	}
	sel := scrape.Select{Item: "data.items", Title: "title", Link: "url", Date: "time"}
	res, err = fetch(context.Background(), opts, Feed{Name: "api", URL: srv.URL + "/api/news", Format: scrape.FormatJSON, Select: sel}, store.FeedState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].Link != srv.URL+"/tb/12" || !res.Items[0].Published.Equal(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("JSON items = %+v", res.Items)
	}
}

func TestRobots(t *testing.T) {
	tests := []struct {
		name   string
		robots string
		status int
		format string
		want   error // nil: not stopped by robots.txt
	}{
		{"404 allows", "", 0, scrape.FormatHTML, nil},
		{"allowed", "User-agent: *\nDisallow: /admin\n", 0, scrape.FormatHTML, nil},
		{"disallowed for all", "User-agent: *\nDisallow: /tin-tuc\n", 0, scrape.FormatHTML, ErrRobots},
		{"disallowed for pressfeed", "User-agent: pressfeed\nDisallow: /\n\nUser-agent: *\nAllow: /\n", 0, scrape.FormatHTML, ErrRobots},
		{"other agent only", "User-agent: googlebot\nDisallow: /\n", 0, scrape.FormatHTML, nil},
		{"410 allows", "", http.StatusGone, scrape.FormatHTML, nil},
		{"500 disallows", "", http.StatusInternalServerError, scrape.FormatHTML, ErrRobots},
		{"json ignores it", "User-agent: *\nDisallow: /\n", 0, scrape.FormatJSON, nil},
		{"feeds ignore it", "User-agent: *\nDisallow: /\n", 0, scrape.FormatFeed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := &sourceSite{robots: tt.robots, status: tt.status}
			srv := httptest.NewServer(site)
			defer srv.Close()
			opts := sourceOptions(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
			opts.UserAgent = "pressfeed/1.0 (+https://tin.example)"
			f := Feed{Name: "p", URL: srv.URL + "/tin-tuc", Format: tt.format}
			if tt.format == scrape.FormatHTML {
				f.Select = pageSelect
			}
			_, err := fetch(context.Background(), opts, f, store.FeedState{})
			if tt.want == nil && errors.Is(err, ErrRobots) {
				t.Fatalf("fetch = %v; want robots.txt not to stop it", err) // a JSON parser may still refuse a page
			}
			if tt.want != nil && (!errors.Is(err, tt.want) || classify(err) != "robots") {
				t.Fatalf("fetch = %v (class %q); want %v, class robots", err, classify(err), tt.want)
			}
		})
	}
}

func TestTry(t *testing.T) {
	srv := httptest.NewServer(&sourceSite{})
	defer srv.Close()
	opts := *sourceOptions(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	f := Feed{Name: "p", URL: srv.URL + "/tin-tuc", Format: scrape.FormatHTML, Select: pageSelect}
	tr, err := Try(context.Background(), opts, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Items) != 3 || tr.Items[0].DateRaw != "07/12/2026 - 15:04" || tr.Items[2].DateRaw != "" || len(tr.Counts) != 4 {
		t.Fatalf("Try = %+v", tr)
	}
	f.Select.Title = "h2 a"
	tr, err = Try(context.Background(), opts, f)
	if !errors.Is(err, scrape.ErrNothing) || !strings.Contains(err.Error(), "select.title found nothing in any of the 3 items (select.item found 3)") {
		t.Fatalf("Try with a title selector that finds nothing = %v", err)
	}
	if len(tr.Counts) == 0 || tr.Counts[0].Found != 3 {
		t.Errorf("Try counts = %+v; want them kept on error", tr.Counts)
	}
}

func TestTryFeed(t *testing.T) {
	srv := httptest.NewServer(&feedServer{body: rssDoc("Tin thử nghiệm thứ nhất", "Tin thử nghiệm thứ hai"), etag: `"e"`})
	defer srv.Close()
	opts := *sourceOptions(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	tr, err := Try(context.Background(), opts, Feed{Name: "rss", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Title != "Báo Thử" || len(tr.Items) != 2 || tr.Items[1].DateRaw != "Fri, 27 Nov 2026 10:01:00 +0700" ||
		!tr.Items[1].Published.Equal(time.Date(2026, 11, 27, 3, 1, 0, 0, time.UTC)) || len(tr.Counts) != 0 {
		t.Fatalf("Try of a feed = %+v", tr)
	}
}

// TestSitemapIndexHeaders: the feed's headers go to the index's host only.
func TestSitemapIndexHeaders(t *testing.T) {
	other := &sourceSite{}
	srv2 := httptest.NewServer(other)
	defer srv2.Close()
	var mu sync.Mutex
	var indexCookie string
	srv1 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sitemap.xml" {
			mu.Lock()
			indexCookie = r.Header.Get("Cookie")
			mu.Unlock()
			fmt.Fprintf(w, `<sitemapindex><sitemap><loc>%s/news-sitemap.xml</loc></sitemap></sitemapindex>`, srv2.URL)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv1.Close()
	opts := sourceOptions(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	f := Feed{Name: "sm", URL: srv1.URL + "/sitemap.xml", Format: scrape.FormatSitemap, Headers: map[string]string{"Cookie": "phien=bi-mat"}}
	res, err := fetch(context.Background(), opts, f, store.FeedState{})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("fetch = %d items, %v; want the other site's one item", len(res.Items), err)
	}
	other.mu.Lock()
	defer other.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if indexCookie != "phien=bi-mat" || strings.Join(other.cookies, "") != "" {
		t.Errorf("cookie sent to the index %q, to the other site %q; want it on the index only", indexCookie, other.cookies)
	}
}

func TestRequestHeaders(t *testing.T) {
	tests := []struct {
		name string
		f    Feed
		want map[string]string
	}{
		{"feed: the operator's only", Feed{Headers: map[string]string{"Cookie": "a=b"}}, map[string]string{"Cookie": "a=b"}},
		{"html: its Accept", Feed{Format: scrape.FormatHTML}, map[string]string{"Accept": acceptFor[scrape.FormatHTML]}},
		{"json: the operator's Accept wins", Feed{Format: scrape.FormatJSON, Headers: map[string]string{"accept": "text/plain"}},
			map[string]string{"accept": "text/plain"}},
	}
	for _, tt := range tests {
		if got := tt.f.requestHeaders(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: requestHeaders = %v; want %v", tt.name, got, tt.want)
		}
	}
}
