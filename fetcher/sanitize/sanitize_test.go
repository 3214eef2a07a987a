package sanitize

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/pressfeed/pressfeed/fetcher/internal/corpustest"
	"github.com/pressfeed/pressfeed/plaintext"
)

var testBase, _ = url.Parse("https://press.example.com/rss/home.rss")

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
		plaintext.TruncateWords(strings.TrimSpace(text), TextRunes) != plaintext.TruncateWords(plaintext.From(long, plaintext.HTML), TextRunes) {
		t.Errorf("summary of a long text: %d bytes of text, %q", len(text), plaintext.TruncateWords(strings.TrimSpace(text), TextRunes))
	}
	for _, tt := range tests {
		if _, got := sanitize(tt.in, testBase, true); strings.TrimSpace(got) != tt.want {
			t.Errorf("sanitize(%q) text = %q, want %q", tt.in, got, tt.want)
		}
		if got := plaintext.From(tt.in, plaintext.HTML); got != tt.want {
			t.Errorf("plaintext.From(%q) = %q, want %q", tt.in, got, tt.want)
		}
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

// randomJoin returns up to n-1 pieces drawn at random and joined.
func randomJoin(rng *rand.Rand, pieces []string, n int) string {
	var b strings.Builder
	for range rng.IntN(n) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// benchHTML returns the HTML of an item of a Vietnamese outlet's feed, as
// BenchmarkNormalizeDocument in package fetcher writes it: five paragraphs
// of the seed article's sentences, each with a relative link.
func benchHTML(tb testing.TB) string {
	tb.Helper()
	sentences := corpustest.SeedSentences(tb, "../../../shared/seed/hcm-truyen-thong-khong-gian-mang.txt")
	var b strings.Builder
	for p := range 5 {
		fmt.Fprintf(&b, "<p>%s <a href=\"/lien-quan/%d\">Xem thêm</a></p>", sentences[p%len(sentences)], p)
	}
	return b.String()
}

// BenchmarkSanitize sanitises one item's HTML, with its text, as
// normalising an item does.
func BenchmarkSanitize(b *testing.B) {
	in := benchHTML(b)
	base, _ := url.Parse("https://bao.example.vn/tin/0.html")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		WithText(base, in)
	}
}
