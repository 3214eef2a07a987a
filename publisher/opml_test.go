package publisher

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
)

// opmlFeeds are the feeds of export-opml's golden test
// (cmd/pressfeed/opml_test.go), as its config gives them to the publisher.
var opmlFeeds = []Feed{
	{Name: "tuoi-tre-thoi-su", URL: "https://tuoitre.vn/rss/thoi-su.rss", Title: "Tuổi Trẻ – Thời sự & <Chính trị>",
		Tags: []string{"tong-hop", "thoi-su"}},
	{Name: "vnexpress", URL: "https://vnexpress.net/rss/tin-moi-nhat.rss?a=1&b=2"},
	{Name: "noi-bo", URL: "https://editor:s3cret@intranet.example/feed.xml", Title: `Nội bộ "tòa soạn"`, Tags: []string{"noi-bo"}},
}

// TestOPMLGolden checks that GET /opml writes the document export-opml
// writes for the same feeds: testdata/golden/export.opml is a copy of
// cmd/pressfeed/testdata/export.golden.opml.
func TestOPMLGolden(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{Feeds: opmlFeeds})
	w := get(h, http.MethodGet, "/opml")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	path := filepath.Join("testdata", "golden", "export.opml")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Body.Bytes(), want) {
		t.Errorf("/opml differs from %s:\n--- got\n%s\n--- want\n%s", path, w.Body, want)
	}
}

// TestOPMLFreshRSS checks html feeds: XPath selectors give a FreshRSS
// HTML+XPath outline, with the date layout in PHP's letters; CSS
// selectors and formats FreshRSS lacks are named in a comment instead.
func TestOPMLFreshRSS(t *testing.T) {
	feeds := []Feed{
		{Name: "cong-xpath", URL: "https://p.example/tin-tuc", Format: scrape.FormatHTML, Select: scrape.Select{
			Item: `//div[@class="list-news"]/article`, Title: "descendant::h3", Link: "descendant::a/@href",
			Date: "descendant::span", DateFormat: "02/01/2006 - 15:04"}},
		{Name: "cong-css", URL: "https://p.example/css", Format: scrape.FormatHTML, Select: scrape.Select{
			Item: "div.list article", Title: "h3 a", Link: "h3 a @href"}},
		{Name: "bao--sitemap", URL: "https://p.example/sitemap.xml", Format: "sitemap"},
		{Name: "rss", URL: "https://a.example/rss", Format: scrape.FormatFeed},
	}
	var b bytes.Buffer
	if err := WriteOPML(&b, feeds); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		`<outline text="cong-xpath" type="HTML+XPath" xmlUrl="https://p.example/tin-tuc" htmlUrl="https://p.example/tin-tuc" pressfeed:name="cong-xpath" xmlns:frss="https://freshrss.org/opml"`,
		`frss:xPathItem="//div[@class=&#34;list-news&#34;]/article"`, `frss:xPathItemUri="descendant::a/@href"`,
		`frss:xPathItemTimeFormat="d/m/Y - H:i"`,
		"left out: cong-css, CSS selectors", `left out: bao- -sitemap, format "sitemap" has no FreshRSS equivalent`,
		`<outline text="rss" type="rss" xmlUrl="https://a.example/rss" pressfeed:name="rss">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("OPML lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "p.example/css") {
		t.Errorf("OPML has the CSS feed:\n%s", got)
	}
	if err := xml.Unmarshal(b.Bytes(), new(struct{})); err != nil {
		t.Errorf("not XML: %v", err)
	}
}
