package fetcher

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/fetcher/internal/corpustest"
)

// benchDocument returns an RSS document shaped like a Vietnamese outlet's:
// n items, each with a headline, a tracked link, a GUID, an RFC 1123 date
// in +0700 and about 2 KB of HTML in the description, written from the seed
// article's sentences.
func benchDocument(tb testing.TB, n int) []byte {
	tb.Helper()
	sentences := corpustest.SeedSentences(tb, "../../shared/seed/hcm-truyen-thong-khong-gian-mang.txt")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<rss version="2.0"><channel><title>Báo Thử</title><link>https://bao.example.vn/</link><description>Tin tức</description>` + "\n")
	date := time.Date(2026, 11, 27, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	for i := range n {
		title := sentences[i%len(sentences)]
		title = fmt.Sprintf("%d: %s", i, title[:min(len(title), 80+strings.IndexByte(title[80:], ' '))])
		fmt.Fprintf(&b, "<item><title>%s</title><link>https://bao.example.vn/tin/%d.html?utm_source=rss</link>"+
			"<guid isPermaLink=\"false\">b-%d</guid><pubDate>%s</pubDate><description><![CDATA[",
			title, i, i, date.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z))
		for p := range 5 {
			fmt.Fprintf(&b, "<p>%s <a href=\"/lien-quan/%d\">Xem thêm</a></p>", sentences[(i+p)%len(sentences)], p)
		}
		b.WriteString("]]></description></item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

// BenchmarkParseDocument parses a 50-item document as fetch does.
func BenchmarkParseDocument(b *testing.B) {
	doc := benchDocument(b, 50)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, _, err := parseDocument(doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*50), "ns/item")
}

// BenchmarkNormalizeDocument turns a parsed 50-item document into the items
// pressfeed stores: sanitised HTML, plain summary, keys, dates.
func BenchmarkNormalizeDocument(b *testing.B) {
	doc, _, err := parseDocument(benchDocument(b, 50))
	if err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse("https://bao.example.vn/rss")
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		if items := normalize(doc, base, time.FixedZone("ICT", 7*3600), now); len(items) != 50 {
			b.Fatalf("%d items", len(items))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*50), "ns/item")
}

// BenchmarkCanonicalLink canonicalises a link with tracking parameters.
func BenchmarkCanonicalLink(b *testing.B) {
	for b.Loop() {
		if _, err := canonicalLink(nil, "https://WWW.Bao.example.vn:443/thoi-su/tin-123.html?utm_source=rss&b=2&a=1#top"); err != nil {
			b.Fatal(err)
		}
	}
}
