package fetcher

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pressfeed/pressfeed/fetcher/decode"
)

// plainDocs returns a document of each source format whose feed title, item
// title, author and summary hold s once the format's own escaping is
// undone: RSS, Atom with type="html" and with type="text", JSON Feed.
func plainDocs(s string) map[string]string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err) // a strings.Builder does not fail
	}
	x := b.String()
	jb, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	j := string(jb)
	atom := func(typ string) string {
		return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title type="` + typ + `">` + x +
			`</title><id>urn:a</id><updated>2026-11-27T08:00:00Z</updated><entry><title type="` + typ + `">` + x +
			`</title><id>urn:a:1</id><updated>2026-11-27T08:00:00Z</updated><author><name>` + x +
			`</name></author><summary type="` + typ + `">` + x + `</summary></entry></feed>`
	}
	return map[string]string{
		"rss": `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>` + x +
			`</title><link>https://bao.example/</link><description>d</description><item><title>` + x +
			`</title><guid isPermaLink="false">1</guid><dc:creator>` + x + `</dc:creator><description>` + x +
			`</description></item></channel></rss>`,
		"atom-html": atom("html"),
		"atom-text": atom("text"),
		"json": `{"version":"https://jsonfeed.org/version/1.1","title":` + j + `,"items":[{"id":"1","title":` + j +
			`,"authors":[{"name":` + j + `}],"summary":` + j + `,"content_text":"x"}]}`,
	}
}

// markupAt returns the offset of the first '<' in s followed by a letter,
// '/' or '!', or -1.
func markupAt(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' {
			if r, _ := utf8.DecodeRuneInString(s[i+1:]); unicode.IsLetter(r) || r == '/' || r == '!' {
				return i
			}
		}
	}
	return -1
}

// TestPlainIngest: a title escaped twice at the source comes out as the
// text it was, in every format; HTML escaped once loses its tags.
func TestPlainIngest(t *testing.T) {
	const twice = "&lt;img src=x onerror=alert(1)&gt;" // once the XML (or, in JSON, nothing) is decoded
	tests := []struct{ in, format, want string }{
		{twice, "rss", twice},
		{twice, "atom-html", twice},
		{twice, "atom-text", twice},
		{twice, "json", twice},
		{"<img src=x onerror=alert(1)>", "json", twice},
		{"<b>Hi</b> &amp; co", "rss", "Hi & co"},
		{"<b>Hi</b> &amp; co", "atom-html", "Hi & co"},
		{"<b>Hi</b> &amp; co", "json", "&lt;b&gt;Hi&lt;/b&gt; &amp; co"},
	}
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.format+" "+tt.in, func(t *testing.T) {
			doc, _, err := parseDocument([]byte(plainDocs(tt.in)[tt.format]))
			if err != nil {
				t.Fatal(err)
			}
			if got := feedTitle(doc); got != tt.want {
				t.Errorf("feed title = %q, want %q", got, tt.want)
			}
			items := normalize(doc, testBase, time.UTC, now)
			if len(items) != 1 {
				t.Fatalf("%d items", len(items))
			}
			if items[0].Title != tt.want {
				t.Errorf("title = %q, want %q", items[0].Title, tt.want)
			}
			if a := items[0].Author; markupAt(a) >= 0 {
				t.Errorf("author %q holds markup", a)
			}
			if s := items[0].Summary; markupAt(s) >= 0 {
				t.Errorf("summary %q holds markup", s)
			}
		})
	}
}

// FuzzPlainIngest: whatever text a source's feed title, item title, author
// and summary hold, in any format, the plain fields that normalisation
// makes of it hold no markup.
func FuzzPlainIngest(f *testing.F) {
	for _, s := range []string{
		"&lt;img src=x onerror=alert(1)&gt;", "&amp;lt;img src=x&amp;gt;", "&lt;b&gt;Hi&lt;/b&gt;", "a <b",
		"<textarea><img src=x onerror=alert(1)></textarea>", "<xmp><svg onload=alert(1)></xmp>", "<plaintext><b>",
		"<![CDATA[<script>alert(1)</script>]]>", "&#60;img&#62;", "<ệ>", "<!-- x -->", "</title>", "Ho\u0302\u0300 \xff",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(0x80))
	}
	formats := []string{"rss", "atom-html", "atom-text", "json"}
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string, mode uint8) {
		if len(s) > 4<<10 {
			return
		}
		format := formats[int(mode)%len(formats)]
		body := plainDocs(s)[format]
		if mode&0x80 != 0 && format != "json" {
			// Written in as it is, unescaped: markup in the XML itself.
			var b strings.Builder
			if err := xml.EscapeText(&b, []byte(s)); err != nil {
				t.Fatal(err)
			}
			if b.Len() > 0 {
				body = strings.ReplaceAll(body, b.String(), s)
			}
		}
		clean, err := decode.Body([]byte(body), "")
		if err != nil {
			return
		}
		doc, _, err := parseDocument(clean)
		if err != nil {
			return
		}
		if i := markupAt(feedTitle(doc)); i >= 0 {
			t.Fatalf("feed title %q holds markup", feedTitle(doc))
		}
		for _, in := range normalize(doc, testBase, time.UTC, now) {
			for _, field := range []struct{ name, s string }{{"title", in.Title}, {"summary", in.Summary}, {"author", in.Author}} {
				if markupAt(field.s) >= 0 {
					t.Fatalf("%s %q holds markup (%s, from %q)", field.name, field.s, format, s)
				}
			}
		}
	})
}
