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
	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"

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

func TestSanitizeHTMLWellFormed(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unclosed tags", "<p>một<p>hai<b>ba", "<p>một</p><p>hai<b>ba</b></p>"},
		{"stray end tag br", "a</br>b", "a<br/>b"},
		{"entity control char", "a&#11;b", "ab"},
		{"data url dropped", `<img src="data:image/png;base64,AAAA" alt="x">`, `<img alt="x"/>`},
		{"block closes p", "<p>một<div>hai</div>", "<p>một</p><div>hai</div>"},
		{"li closes li", "<ul><li>một<li>hai</ul>", "<ul><li>một</li><li>hai</li></ul>"},
		{"stray end tag p", "a</p>b", "a<p></p>b"},
		{"stray end tag dropped", "a</b>b</div>", "ab"},
		{"misnested", "<b>a<i>b</b>c</i>", "<b>a<i>b</i></b>c"},
		{"row into table", "<table><tr><td>a<td>b<tr><th>c</table>", "<table><tbody><tr><td>a</td><td>b</td></tr><tr><th>c</th></tr></tbody></table>"},
		{"cell into section", "<table><tbody><td>a</td></tbody></table>", "<table><tbody><tr><td>a</td></tr></tbody></table>"},
		{"pre keeps its text", "<pre>\nmột\n  hai</pre><pre>\n\nba</pre>", "<pre>một\n  hai</pre><pre>\n\nba</pre>"},
		{"attributes of a sorted", `<a title="t" href="/x">a</a>`, `<a href="https://press.example.com/x" rel="nofollow" title="t">a</a>`},
		{"link in a link", `<a href="/1">một<a href="/2">hai</a>`, `<a href="https://press.example.com/1" rel="nofollow">một</a><a href="https://press.example.com/2" rel="nofollow">hai</a>`},
		{"escaped text and NFC", "Ho\u0302\u0300 &amp; <b>\"x\"</b> 'y'", "Hồ &amp; <b>&#34;x&#34;</b> &#39;y&#39;"},
		{"empty", "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := sanitize(tt.in, testBase, false); got != tt.want {
				t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>Một</p><p>hai</p>ba", "Một hai ba"},
		{"a<br>b<script>x</script>c", "a bc"},
		{"  a \n\t b &amp; <i>c</i>  ", "a b & c"},
		{"Ho\u0302\u0300 Chi\u0301 Minh", "Hồ Chí Minh"},
	}
	// A long text is collected only as far as the summary needs.
	long := "<p>" + strings.Repeat("Thành phố Hồ Chí Minh  tăng cường\n truyền thông. ", 300) + "</p>"
	if _, text := sanitize(long, testBase, true); len(text) > maxTextBytes+200 ||
		truncateWords(strings.TrimSpace(text), maxSummary) != truncateWords(plainText(long), maxSummary) {
		t.Errorf("summary of a long text: %d bytes of text, %q", len(text), truncateWords(strings.TrimSpace(text), maxSummary))
	}
	for _, tt := range tests {
		if _, got := sanitize(tt.in, testBase, true); strings.TrimSpace(got) != tt.want {
			t.Errorf("sanitize(%q) text = %q, want %q", tt.in, got, tt.want)
		}
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("Việt Nam ", 200)
	got := truncateRunes(long, maxTitleRunes)
	if n := utf8.RuneCountInString(got); n != maxTitleRunes || !utf8.ValidString(got) {
		t.Errorf("truncateRunes: %d runes, valid %v", n, utf8.ValidString(got))
	}
	w := truncateWords(long, 50)
	if n := utf8.RuneCountInString(w); n > 50 || !strings.HasSuffix(w, "…") || strings.HasSuffix(w, " …") {
		t.Errorf("truncateWords = %q (%d runes)", w, n)
	}
}

// TestSanitizeDepth: however deep a document nests, at most maxDepth
// elements are open at once (which bounds the work per tag), the text
// stays, and every element is closed.
func TestSanitizeDepth(t *testing.T) {
	in := strings.Repeat("<b>", 5000) + "chữ" + strings.Repeat("</i>", 5000) + strings.Repeat("<table><tr><td>", 100)
	out, text := sanitize(in, testBase, true)
	if strings.TrimSpace(text) != "chữ" {
		t.Errorf("text = %q", text)
	}
	depth, deepest := 0, 0
	z := html.NewTokenizer(strings.NewReader(out))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		switch tt {
		case html.StartTagToken:
			depth++
			deepest = max(deepest, depth)
		case html.EndTagToken:
			depth--
		}
	}
	if depth != 0 || deepest > maxDepth {
		t.Errorf("depth at the end %d, deepest %d (max %d)", depth, deepest, maxDepth)
	}
}

// TestRuneOffset compares runeOffset with rune-by-rune decoding on valid
// and invalid UTF-8.
func TestRuneOffset(t *testing.T) {
	want := func(s string, n int) int {
		i := 0
		for range n {
			if i == len(s) {
				return -1
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		if i == len(s) {
			return -1
		}
		return i
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"a", "ệ", "é", "\u0301", "\xe1", "\xe1\xbb", "\xc3", "\x80", "\xed\xa0\x80", "\xe0\x80\x80", "\xf0\x9f\x98\x80", "\xef\xbf\xbd", "\xc0\xaf"}
	for range 100000 {
		s := randomJoin(rng, pieces, 12)
		for n := range len(s) + 2 {
			if got, w := runeOffset(s, n), want(s, n); got != w {
				t.Fatalf("runeOffset(%+q, %d) = %d, want %d", s, n, got, w)
			}
		}
	}
}

// TestTruncateWordsWalk compares truncateWords with its form before it
// walked the runes once.
func TestTruncateWordsWalk(t *testing.T) {
	want := func(s string, n int) string {
		if runeOffset(s, n) < 0 {
			return s
		}
		cut := truncateRunes(s, n-1)
		if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > len(cut)/2 {
			cut = cut[:i]
		}
		return strings.TrimRightFunc(cut, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
	}
	rng := rand.New(rand.NewPCG(9, 10))
	pieces := []string{"a", "ệ", " ", ".", "\u3000", "\xe1", "\xc3", "\x80", "\xf0\x9f\x98\x80", "bc"}
	for range 50000 {
		s := randomJoin(rng, pieces, 14)
		for n := -1; n < len(s)+2; n++ {
			if got, w := truncateWords(s, n), want(s, n); got != w {
				t.Fatalf("truncateWords(%+q, %d) = %+q, want %+q", s, n, got, w)
			}
		}
	}
}

// TestFieldHelpers compares hasFields and validHost with the
// forms they replace, which built slices.
func TestFieldHelpers(t *testing.T) {
	oldValidHost := func(h string) bool {
		h = strings.TrimSuffix(h, ".")
		if h == "" {
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
		if got, want := validHost(s), oldValidHost(s); got != want {
			t.Fatalf("validHost(%+q) = %v", s, got)
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
