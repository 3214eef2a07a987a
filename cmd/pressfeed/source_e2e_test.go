package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
)

// Stories of the sources with no feed.
const (
	p1 = "Hội nghị Thành ủy bàn nhiệm vụ phát triển năm 2027"
	p2 = "Trao Huy hiệu Đảng cho đảng viên lão thành đợt tháng 12"
	m1 = "Giá điện sinh hoạt điều chỉnh từ đầu tháng 1"
	m2 = "Xuất khẩu gạo lập kỷ lục mới trong năm nay"
	j1 = "Khai mạc Lễ hội Áo dài thành phố năm 2026"
)

// sourceHandler serves a portal's news list, a Google News sitemap behind
// a sitemap index, and a JSON API, with a robots.txt that keeps crawlers
// out of /admin only.
// Its items are dated an hour apart from t0 back, in Vietnam time, each
// in the form its kind of source writes.
func sourceHandler(t0 time.Time) http.Handler {
	at := func(k int, layout string) string { return t0.Add(-time.Duration(k) * time.Hour).Format(layout) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "User-agent: *\nDisallow: /admin\n")
	})
	mux.HandleFunc("GET /tin-tuc", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Tin tức</title></head><body><div class="list-news">
<article><h3><a href="/tin-tuc/hoi-nghi-thanh-uy-1491890123">%s</a></h3><span class="time">%s</span></article>
<article><h3><a href="tin-tuc/trao-huy-hieu-1491890119">%s</a></h3><span class="time">Thứ hai, %s (GMT+7)</span></article>
</div></body></html>`, p1, at(0, "02/01/2006 - 15:04"), p2, at(1, "02/01/2006, 15:04"))
	})
	mux.HandleFunc("GET /sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/news-sitemap.xml</loc></sitemap></sitemapindex>`)
	})
	mux.HandleFunc("GET /news-sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>/thoi-su/gia-dien-4801234.html</loc><news:news><news:publication_date>%s</news:publication_date><news:title>%s</news:title></news:news></url>
<url><loc>/kinh-te/xuat-khau-gao-4801230.html</loc><news:news><news:publication_date>%s</news:publication_date><news:title>%s</news:title></news:news></url>
</urlset>`, at(2, time.RFC3339), m1, at(3, "2006-01-02T15:04:05"), m2)
	})
	mux.HandleFunc("GET /api/news", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":{"items":[{"title":%q,"url":"/tin/ao-dai-9012","published":%q}]}}`, j1, at(4, "02/01/2006 15:04"))
	})
	return mux
}

// writeSourceConfig writes a config whose feeds are the page, the sitemap
// index, the sitemap it names and the API of srv.
func writeSourceConfig(t *testing.T, dir, addr, srv string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[server]\nlisten = %q\nbase_url = \"http://%s\"\n[store]\npath = %q\n", addr, addr, filepath.Join(dir, "data", "pressfeed.db"))
	b.WriteString("[fetch]\ninterval = \"1h\"\ntimeout = \"10s\"\nallow_networks = [\"127.0.0.0/8\", \"::1/128\"]\n[log]\nlevel = \"warn\"\n")
	fmt.Fprintf(&b, `[[feeds]]
name = "cong-mau"
url = "%[1]s/tin-tuc"
format = "html"
headers = { Cookie = "phien=bi-mat" }
[feeds.select]
item = "div.list-news article"
title = "h3 a"
link = "h3 a @href"
date = "span.time"

[[feeds]]
name = "bao-mau"
url = "%[1]s/sitemap.xml"
format = "sitemap"

[[feeds]]
name = "bao-mau-tin-moi"
url = "%[1]s/news-sitemap.xml"
format = "sitemap"

[[feeds]]
name = "api-mau"
url = "%[1]s/api/news"
format = "json"
[feeds.select]
item = "data.items"
title = "title"
link = "url"
date = "published"
date_format = "02/01/2006 15:04"
`, srv)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// vietnam is Asia/Ho_Chi_Minh, the default fetch.timezone, without tzdata.
var vietnam = time.FixedZone("ICT", 7*3600)

func TestEndToEndSources(t *testing.T) {
	t0 := time.Now().In(vietnam).Truncate(time.Minute).Add(-time.Hour)
	srv := httptest.NewServer(sourceHandler(t0))
	defer srv.Close()
	dir := t.TempDir()
	addr := freeAddr(t)
	cfgPath := writeSourceConfig(t, dir, addr, srv.URL)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"-config", cfgPath, "check"}, &out, &out); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"-config", cfgPath, "fetch"}, &out, &out); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out.String())
	}
	// The sitemap is followed twice, through its index and directly: its
	// items are stored once and merged once.
	if !strings.Contains(out.String(), ": 5 new items, 2 merged, 0 failed") {
		t.Errorf("fetch output:\n%s", out.String())
	}
	d := startDaemon(t, cfgPath, addr)
	body, _ := d.get(t, "/feeds/all.json")
	d.stop(t)
	var doc struct {
		Items []struct {
			Title string    `json:"title"`
			URL   string    `json:"url"`
			Date  time.Time `json:"date_published"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	want := []struct{ title, link string }{ // newest first
		{p1, srv.URL + "/tin-tuc/hoi-nghi-thanh-uy-1491890123"},
		{p2, srv.URL + "/tin-tuc/trao-huy-hieu-1491890119"},
		{m1, srv.URL + "/thoi-su/gia-dien-4801234.html"},
		{m2, srv.URL + "/kinh-te/xuat-khau-gao-4801230.html"},
		{j1, srv.URL + "/tin/ao-dai-9012"},
	}
	if len(doc.Items) != len(want) {
		t.Fatalf("all.json has %d items, want %d:\n%s", len(doc.Items), len(want), body)
	}
	for i, w := range want {
		got := doc.Items[i]
		date := t0.Add(-time.Duration(i) * time.Hour)
		if got.Title != w.title || got.URL != w.link || !got.Date.Equal(date) {
			t.Errorf("item %d = %q %s %v; want %q %s %v", i, got.Title, got.URL, got.Date, w.title, w.link, date)
		}
	}
}

func TestTry(t *testing.T) {
	t0 := time.Now().In(vietnam).Truncate(time.Minute).Add(-time.Hour)
	srv := httptest.NewServer(sourceHandler(t0))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeSourceConfig(t, dir, freeAddr(t), srv.URL)
	ctx := context.Background()

	var out bytes.Buffer
	if err := run(ctx, []string{"-config", cfgPath, "try", "cong-mau"}, &out, &out); err != nil {
		t.Fatalf("try: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"cong-mau (html) " + srv.URL + "/tin-tuc",
		"select.item      found 2",
		"select.title     found in 2 of 2 items",
		"2 items (nothing stored):",
		"  1. " + p1,
		"     link: " + srv.URL + "/tin-tuc/hoi-nghi-thanh-uy-1491890123",
		"     date: " + t0.Format("02/01/2006 - 15:04") + " → " + t0.Format("2006-01-02 15:04 -07:00"),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("try output lacks %q:\n%s", want, out.String())
		}
	}

	// A title selector that finds nothing is named, with what the item
	// selector before it found.
	out.Reset()
	err := run(ctx, []string{"-config", cfgPath, "try", "-title", "h2 a", "cong-mau"}, &out, &out)
	if !errors.Is(err, scrape.ErrNothing) || !strings.Contains(err.Error(), "select.title found nothing in any of the 2 items (select.item found 2)") {
		t.Errorf("try with a title selector that finds nothing = %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "select.title     found in 0 of 2 items") {
		t.Errorf("try output lacks the title's count:\n%s", out.String())
	}

	// A URL the config lacks, described by flags, with no config file at all.
	out.Reset()
	args := []string{"-config", filepath.Join(dir, "none.toml"), "try", "-item", "article", "-title", "h3", "-link", "a @href",
		srv.URL + "/tin-tuc?trang=1"}
	if err := run(ctx, args, &out, &out); err == nil || !strings.Contains(err.Error(), "not allowed; list it in fetch.allow_networks") {
		// The defaults keep loopback out: the guard holds for try too.
		t.Errorf("try of a loopback URL under the defaults = %v; want the address guard's refusal\n%s", err, out.String())
	}
	// The same under a config that allows loopback: the flags describe it.
	out.Reset()
	args[1] = cfgPath
	if err := run(ctx, args, &out, &out); err != nil || !strings.Contains(out.String(), "try (html) ") ||
		!strings.Contains(out.String(), "  2. "+p2) {
		t.Errorf("try of a URL with selectors = %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("try created %s (err %v); want no store", filepath.Join(dir, "data"), err)
	}
}
