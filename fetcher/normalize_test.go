package fetcher

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/plaintext"
)

var testBase, _ = url.Parse("https://press.example.com/rss/home.rss")

func TestCanonicalLink(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"relative", "/news/1", "https://press.example.com/news/1"},
		{"tracking, fragment, host case", "https://X.Example/a?utm_source=rss&id=7#top", "https://x.example/a?id=7"},
		{"http and https alike", "http://vnexpress.net/tin-1.html", "https://vnexpress.net/tin-1.html"},
		{"www dropped", "https://www.vnexpress.net/tin-1.html", "https://vnexpress.net/tin-1.html"},
		{"trailing slash", "https://tuoitre.vn/thoi-su/", "https://tuoitre.vn/thoi-su"},
		{"root", "https://tuoitre.vn/", "https://tuoitre.vn"},
		{"default port", "https://tuoitre.vn:443/a", "https://tuoitre.vn/a"},
		{"other port kept", "http://tuoitre.vn:8080/a", "https://tuoitre.vn:8080/a"},
		{"fbclid and zalo params", "https://nld.com.vn/a.htm?fbclid=XYZ&zarsrc=30&gidzl=abc", "https://nld.com.vn/a.htm"},
		{"utm in any case", "https://nld.com.vn/a.htm?UTM_Medium=x&p=2", "https://nld.com.vn/a.htm?p=2"},
		{"query sorted", "https://a.example/s?b=2&a=1", "https://a.example/s?a=1&b=2"},
		{"trailing dot in host", "https://a.example./x", "https://a.example/x"},
		{"path case kept", "https://a.example/Tin-Moi", "https://a.example/Tin-Moi"},
		{"escaped Vietnamese path", "https://a.example/th%E1%BB%9Di-s%E1%BB%B1", "https://a.example/th%E1%BB%9Di-s%E1%BB%B1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonicalLink(testBase, tt.in)
			if err != nil || got != tt.want {
				t.Errorf("canonicalLink(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			again, err := canonicalLink(nil, got)
			if err != nil || again != got {
				t.Errorf("canonicalLink(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
	for _, bad := range []string{"javascript:alert(1)", "mailto:a@b.c", "ftp://a.example/x", "data:text/html,hi", ""} {
		if got, err := canonicalLink(testBase, bad); err == nil {
			t.Errorf("canonicalLink(%q) = %q, want an error", bad, got)
		}
	}
}

func FuzzCanonicalLink(f *testing.F) {
	for _, s := range []string{"/news/1", "https://X.Example/a?utm_source=rss&id=7#top", "http://www.a.b:80/x/?q=1&q=2",
		"https://[::1]:8080/a", "https://a.example/%zz", "//a.example/x", "//.", "//..", "http://www./", "http://www.a/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := canonicalLink(testBase, in)
		if err != nil {
			return
		}
		if !utf8.ValidString(got) || !strings.HasPrefix(got, "https://") {
			t.Fatalf("canonicalLink(%q) = %q", in, got)
		}
		again, err := canonicalLink(nil, got)
		if err != nil || again != got {
			t.Fatalf("canonicalLink(%q) = %q, %v; not idempotent from %q", got, again, err, in)
		}
	})
}

func TestNormalizeItem(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	now := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	nfd := norm.NFD.String("Hồ Chí Minh đón khách quốc tế")
	gi := &gofeed.Item{
		Title:       nfd + " \u000b",
		Link:        "/tin/ho-chi-minh.html?utm_source=rss",
		GUID:        "  abc-1 ",
		Description: `<p onclick="x()">Nội dung <b>chính</b><script>alert(1)</script></br>dòng 2 <a href="/x" style="color:red">liên kết</a><img src="javascript:alert(1)"><iframe src="https://evil.example"></iframe>`,
		Published:   "27/11/2026 10:15",
	}
	in := normalizeItem(gi, fieldKinds{plaintext.HTML, plaintext.HTML, plaintext.HTML}, testBase, ict, now)
	if want := "Hồ Chí Minh đón khách quốc tế"; in.Title != want {
		t.Errorf("title = %q, want %q (NFC, no control character, trimmed)", in.Title, want)
	}
	if in.Link != "https://press.example.com/tin/ho-chi-minh.html?utm_source=rss" {
		t.Errorf("link = %q", in.Link)
	}
	if in.LinkKey != "https://press.example.com/tin/ho-chi-minh.html" {
		t.Errorf("link key = %q", in.LinkKey)
	}
	if in.GUID != "abc-1" {
		t.Errorf("guid = %q", in.GUID)
	}
	if want := time.Date(2026, 11, 27, 3, 15, 0, 0, time.UTC); !in.Published.Equal(want) || !in.Dated {
		t.Errorf("published = %v (dated %v), want %v", in.Published, in.Dated, want)
	}
	for _, bad := range []string{"<script", "onclick", "javascript:", "<iframe", "style=", "</br>"} {
		if strings.Contains(in.Content, bad) {
			t.Errorf("content keeps %q: %s", bad, in.Content)
		}
	}
	for _, good := range []string{"<b>chính</b>", `<a href="https://press.example.com/x"`, "liên kết</a>"} {
		if !strings.Contains(in.Content, good) {
			t.Errorf("content lost %q: %s", good, in.Content)
		}
	}
	if in.Summary != "Nội dung chính dòng 2 liên kết" {
		t.Errorf("summary = %q", in.Summary)
	}
	if in.TitleKey != "hồ chí minh đón khách quốc tế" {
		t.Errorf("title key = %q", in.TitleKey)
	}
}

func TestItemDate(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	now := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	future := now.Add(48 * time.Hour)
	tests := []struct {
		name      string
		item      gofeed.Item
		want      time.Time
		wantDated bool
	}{
		{"no zone is the feed's zone", gofeed.Item{Published: "Fri, 27 Nov 2026 10:15:00"}, time.Date(2026, 11, 27, 3, 15, 0, 0, time.UTC), true},
		{"+0700", gofeed.Item{Published: "Fri, 27 Nov 2026 10:15:00 +0700"}, time.Date(2026, 11, 27, 3, 15, 0, 0, time.UTC), true},
		{"GMT+7", gofeed.Item{Published: "Fri, 27 Nov 2026 10:15:00 GMT+7"}, time.Date(2026, 11, 27, 3, 15, 0, 0, time.UTC), true},
		{"future clamped", gofeed.Item{Published: future.Format(time.RFC1123Z)}, now, true},
		{"slightly ahead kept", gofeed.Item{Published: now.Add(5 * time.Minute).Format(time.RFC1123Z)}, now.Add(5 * time.Minute), true},
		{"updated when no published", gofeed.Item{Updated: "2026-11-26T08:00:00Z"}, time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), true},
		{"none", gofeed.Item{}, now, false},
		{"garbage", gofeed.Item{Published: "hôm qua"}, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dated := itemDate(&tt.item, ict, now)
			if !got.Equal(tt.want) || dated != tt.wantDated {
				t.Errorf("itemDate = %v, %v; want %v, %v", got, dated, tt.want, tt.wantDated)
			}
		})
	}
}

// TestFieldHelpers compares hasFields and canon.ValidHost with the
// forms they replace, which built slices (with the rule against white
// space in a host that canon.ValidHost has had since).
func TestFieldHelpers(t *testing.T) {
	oldValidHost := func(h string) bool {
		h = strings.TrimSuffix(h, ".")
		if h == "" || strings.ContainsFunc(h, unicode.IsSpace) {
			return false
		}
		if strings.Contains(h, ":") {
			return true
		}
		for _, label := range strings.Split(h, ".") {
			if label == "" {
				return false
			}
		}
		return true
	}
	rng := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"a", "ệ", " ", "  ", "\t", "\n", "\u00a0", "\u3000", ".", ":", "\xe1", "\x85", "bc"}
	for range 200000 {
		s := randomJoin(rng, pieces, 8)
		for n := range 5 {
			if got, want := hasFields(s, n), len(strings.Fields(s)) >= n; got != want {
				t.Fatalf("hasFields(%+q, %d) = %v", s, n, got)
			}
		}
		if got, want := canon.ValidHost(s), oldValidHost(s); got != want {
			t.Fatalf("canon.ValidHost(%+q) = %v", s, got)
		}
	}
}

// randomJoin returns up to n-1 pieces drawn at random and joined.
func randomJoin(rng *rand.Rand, pieces []string, n int) string {
	var b strings.Builder
	for range rng.IntN(n) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// TestNormalizeGrowthBounded checks that a document cannot make its items'
// content many times larger than itself: relative links against a long
// channel <link> once turned an 8 MB document into 918 MB of content.
func TestNormalizeGrowthBounded(t *testing.T) {
	base := "https://bao.example/" + strings.Repeat("p", 1900) + "/"
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>B</title><link>` + base + `</link><description>d</description>`)
	const items = 100
	for i := range items {
		fmt.Fprintf(&b, `<item><title>Tin số %d</title><guid>g%d</guid><description><![CDATA[%s]]></description></item>`, i, i, strings.Repeat(`<a href="b">x</a>`, 470))
	}
	b.WriteString(`</channel></rss>`)
	doc, _, err := parseFeed([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	got := normalize(doc, nil, time.UTC, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	total := 0
	for _, in := range got {
		total += len(in.Content)
		if !strings.HasPrefix(in.Content, `<a href="`+base+`b" rel="nofollow">x</a>`) {
			t.Fatalf("content %.100q…: want the links kept, made absolute", in.Content)
		}
	}
	// Each item may pass its limit by the one tag that reached it, here a link of 2 KB.
	if limit := 4*b.Len() + items*8<<10; len(got) != items || total > limit {
		t.Errorf("%d items, %d bytes of content from a document of %d bytes; want %d items, at most %d bytes", len(got), total, b.Len(), items, limit)
	}
}
