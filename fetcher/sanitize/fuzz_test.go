package sanitize

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/plaintext"
)

// FuzzSanitize checks what sanitize makes of any input: valid UTF-8 in NFC
// with only characters XML allows, tags balanced (every element closed, in
// order), no element or attribute that can run code, and text without
// runs of white space.
func FuzzSanitize(f *testing.F) {
	for _, s := range sanitizeSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSanitized)
}

// sanitizeSeeds start FuzzSanitize and FuzzSanitizeReference.
var sanitizeSeeds = []string{
	"<p>một<p>hai<b>ba", "<table><tr><td>a<td>b<tr><th>c</table>", "<pre>\nx</pre>", "a</p>b</br>",
	`<a title="t" href="/x">a<a href="javascript:alert(1)">b</a>`, "<ul><li>a<li>b</ul><dl><dt>c<dd>d</dl>",
	"<svg><script>alert(1)</script></svg><img src=x onerror=alert(1)>", "Ho\u0302\u0300 &#769; \x00 \xff",
	"<b><i></b></i></p></td><tbody><td>", "<custom-el>x</custom-el><font face=x>y",
}

// checkSanitized checks FuzzSanitize's invariants on what sanitize makes of
// in.
func checkSanitized(t *testing.T, in string) {
	t.Helper()
	checkSanitizedAt(t, in, testBase)
}

// checkSanitizedAt is checkSanitized with links resolved against base.
func checkSanitizedAt(t *testing.T, in string, base *url.URL) {
	t.Helper()
	out, text := sanitize(in, base, true)
	for _, s := range []string{out, text} {
		if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
			t.Fatalf("sanitize(%q) = %q, %q: not UTF-8 NFC", in, out, text)
		}
		for _, r := range s {
			if !plaintext.IsXMLChar(r) {
				t.Fatalf("sanitize(%q) = %q, %q: %U", in, out, text, r)
			}
		}
	}
	if strings.Contains(text, "  ") || strings.ContainsAny(text, "\t\n\r\f") {
		t.Fatalf("sanitize(%q) text = %q", in, text)
	}
	var open []string
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken:
			if open = append(open, tok.Data); len(open) > maxDepth {
				t.Fatalf("sanitize(%q) = %q: more than %d elements open", in, out, maxDepth)
			}
		case html.EndTagToken:
			if len(open) == 0 || open[len(open)-1] != tok.Data {
				t.Fatalf("sanitize(%q) = %q: </%s> closes %v", in, out, tok.Data, open)
			}
			open = open[:len(open)-1]
		case html.SelfClosingTagToken:
			if !voidElements[tok.DataAtom] {
				t.Fatalf("sanitize(%q) = %q: <%s/>", in, out, tok.Data)
			}
		}
		switch tok.DataAtom {
		case atom.Script, atom.Style, atom.Iframe, atom.Object, atom.Embed, atom.Form, atom.Svg, atom.Math, atom.Meta:
			t.Fatalf("sanitize(%q) = %q: <%s>", in, out, tok.Data)
		}
		for _, a := range tok.Attr {
			v := strings.ToLower(strings.TrimSpace(a.Val))
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" ||
				(a.Key == "href" || a.Key == "src") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "mailto:") {
				t.Fatalf("sanitize(%q) = %q: %s=%q", in, out, a.Key, a.Val)
			}
		}
	}
	if len(open) > 0 {
		t.Fatalf("sanitize(%q) = %q: %v left open", in, out, open)
	}
}
