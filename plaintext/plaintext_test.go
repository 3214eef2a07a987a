package plaintext

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestFrom(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		in   string // the field once the format's escaping (XML, JSON) is undone
		want string
	}{
		// RSS <title>&amp;lt;img src=x onerror=alert(1)&amp;gt;</title>:
		// escaped twice at the source, it is the text "&lt;img …&gt;",
		// not an element.
		{"escaped twice, html", HTML, "&lt;img src=x onerror=alert(1)&gt;", "&lt;img src=x onerror=alert(1)&gt;"},
		{"escaped twice, text", Text, "&lt;img src=x onerror=alert(1)&gt;", "&lt;img src=x onerror=alert(1)&gt;"},
		// RSS <title>&lt;b&gt;Hi&lt;/b&gt;</title>: HTML escaped once.
		{"markup removed", HTML, "<b>Hi</b> <i>there</i>", "Hi there"},
		{"markup in text defused", Text, "<b>Hi</b>", "&lt;b&gt;Hi&lt;/b&gt;"},
		{"img in text defused", Text, "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
		{"entities decoded once", HTML, "Tom &amp; Jerry &#8217;s &quot;x&quot;", "Tom & Jerry ’s \"x\""},
		{"entities in text kept", Text, "AT&amp;T &lt; 5", "AT&amp;T &lt; 5"},
		{"less-than that opens nothing", HTML, "lãi &lt; 5% &amp;&amp; 3 &gt; 2", "lãi < 5% && 3 > 2"},
		{"less-than before a digit", Text, "giá <10 triệu> a", "giá <10 triệu> a"},
		{"unclosed tag in text", Text, "a <b", "a &lt;b"},
		{"end tag, comment, declaration", Text, "</p> <!-- x --> <?php ?> <!DOCTYPE", "&lt;/p&gt; &lt;!-- x --&gt; &lt;?php ?&gt; &lt;!DOCTYPE"},
		{"escaped end tag and comment", HTML, "&lt;/title&gt;&lt;!--x--&gt;", "&lt;/title&gt;&lt;!--x--&gt;"},
		{"non-ASCII letter", Text, "<ệ>", "&lt;ệ&gt;"},
		{"script and style hidden", HTML, "<script>alert(1)</script>Tin<style>b{}</style> mới", "Tin mới"},
		{"textarea text defused", HTML, "<textarea><img src=x onerror=alert(1)></textarea>Tin", "&lt;img src=x onerror=alert(1)&gt;Tin"},
		{"xmp text defused", HTML, "<xmp><script>alert(1)</script></xmp>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"plaintext text defused", HTML, "Tin <plaintext></plaintext><b>x", "Tin &lt;/plaintext&gt;&lt;b&gt;x"},
		{"blocks separate words", HTML, "<p>Một</p><p>hai</p>ba<br>bốn", "Một hai ba bốn"},
		{"NFC, controls, space", Text, "Ho\u0302\u0300  Chi\u0301\u000b\n Minh ", "Hồ Chí Minh"},
		{"invalid UTF-8", Text, "a\xffb", "a\uFFFDb"},
		{"empty", HTML, "  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := From(tt.in, tt.kind)
			if got != tt.want {
				t.Errorf("From(%q, %d) = %q, want %q", tt.in, tt.kind, got, tt.want)
			}
			if again := From(got, Text); again != got {
				t.Errorf("From(%q, Text) = %q, want it unchanged", got, again)
			}
		})
	}
}

func TestDefused(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true}, {"<", true}, {"a < b", true}, {"<3 <= 4", true}, {"&lt;b&gt;", true}, {"<\u0301", true},
		{"<b", false}, {"x</", false}, {"<!", false}, {"<?", false}, {"a < b <c", false}, {"<ệ", false}, {"<Ж", false},
	}
	for _, tt := range tests {
		if got := Defused(tt.in); got != tt.want {
			t.Errorf("Defused(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestCollapseSpace compares collapseSpace with the form it replaces.
func TestCollapseSpace(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"a", "ệ", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u0085", "\u1680", "\u2028", "\u202f", "\u200b", ".", "\xe1", "\x85", "\xe2\x80", "bc"}
	for range 100000 {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("collapseSpace(%+q) = %+q, want %+q", s, got, want)
		}
	}
}

// FuzzFrom: whatever the source wrote, the plain text is valid UTF-8, NFC,
// XML characters only, holds no '<' that opens markup, and is a fixed point.
func FuzzFrom(f *testing.F) {
	for _, s := range []string{
		"&lt;img src=x onerror=alert(1)&gt;", "<b>Hi</b>", "a <b", "<textarea><img src=x></textarea>",
		"<xmp><script>alert(1)</script></xmp>", "<plaintext><b>", "&amp;lt;script&amp;gt;", "<<script>alert(1)//<</script>",
		"<!--<img src=x>-->", "&#60;img&#62;", "&LT;svg/onload=alert(1)&GT;", "<\u0338b", "Ho\u0302\u0300 \xff",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, asHTML bool) {
		k := Text
		if asHTML {
			k = HTML
		}
		got := From(src, k)
		if !utf8.ValidString(got) || !norm.NFC.IsNormalString(got) {
			t.Fatalf("From(%+q) = %+q: not valid NFC UTF-8", src, got)
		}
		for _, r := range got {
			if xmlRune(r) < 0 {
				t.Fatalf("From(%+q) = %+q holds %U", src, got, r)
			}
		}
		if !Defused(got) {
			t.Fatalf("From(%+q) = %+q opens markup", src, got)
		}
		if again := From(got, Text); again != got {
			t.Fatalf("From(%+q, Text) = %+q, not a fixed point", got, again)
		}
	})
}
