package fetcher

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/fetcher/decode"
	"github.com/pressfeed/pressfeed/fetcher/internal/corpustest"
	"github.com/pressfeed/pressfeed/plaintext"
	"github.com/pressfeed/pressfeed/vntext"
)

// fuzzCheckText fails unless s is valid UTF-8, NFC and only characters XML
// 1.0 allows.
func fuzzCheckText(t *testing.T, field, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s %+q is not valid UTF-8", field, s)
	}
	if !norm.NFC.IsNormalString(s) {
		t.Fatalf("%s %+q is not NFC", field, s)
	}
	for _, r := range s {
		if !plaintext.IsXMLChar(r) {
			t.Fatalf("%s %+q holds %U, which XML forbids", field, s, r)
		}
	}
}

// FuzzFetchPath runs arbitrary bytes through decode, repair, parse and
// normalise, as a fetch does after the HTTP: every string it hands on must
// be valid UTF-8, NFC and valid XML characters, within its caps. Seeds are
// small corpus documents, read when the fuzz target starts.
func FuzzFetchPath(f *testing.F) {
	for i, d := range corpustest.Docs(f, corpusDir) {
		// Every small adversarial document, and a sample of the rest.
		if len(d.Body) <= 8<<10 && (d.Folder == "adversarial" || i%8 == 0) {
			f.Add(d.Body, d.ContentType)
		}
	}
	f.Add([]byte(rssDoc("Tin \xff\xfe hỏng &#11; byte")), "application/rss+xml; charset=utf-8")
	f.Add([]byte(`<!DOCTYPE rss [<!ENTITY a "b">]><rss version="2.0"><channel><item><title>&a;</title></item></channel></rss`), "")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"t\u0001","tags":"a,b","author":"X"}]}`), "")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","title":"Vie\u0302\u0323t\u0000"}]}`), "application/feed+json")
	// Markup that grows: relative links against a long channel <link>.
	f.Add([]byte(`<rss version="2.0"><channel><link>https://bao.example/`+strings.Repeat("p", 1000)+`/</link><item><title>Tin</title><description>`+
		strings.Repeat(`&lt;a href="b"&gt;x&lt;/a&gt;`, 200)+`</description></item></channel></rss>`), "application/rss+xml")
	// The shapes that crashed the daemon or swelled its memory, at a
	// size the fuzzer runs quickly, just past their bounds.
	for _, d := range []struct{ doc, contentType string }{
		{deepExtensionDoc(maxDocDepth + 1), "application/rss+xml"},
		{deepTitleDoc(maxDocDepth + 1), "application/rss+xml"},
		{manyJSONItemsDoc(maxItems + 1), "application/feed+json"},
		{manyItemsDoc(maxItems + 1), "application/rss+xml"},
		{manyEntriesDoc(maxItems + 1), "application/atom+xml"},
		{nested(`{"a":[`, `]}`, maxDocDepth/2+1), "application/feed+json"},
	} {
		f.Add([]byte(d.doc), d.contentType)
	}
	base, err := url.Parse("https://bao.example/rss")
	if err != nil {
		f.Fatal(err)
	}
	loc := time.FixedZone("ICT", 7*3600)
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		if len(body) > 64<<10 {
			return // parsing time grows with size; the fetch path caps it at max_body
		}
		clean, err := decode.Body(body, contentType)
		if err != nil {
			return
		}
		doc, _, err := parseDocument(clean)
		if err != nil {
			if checkShape(clean) == nil && (errors.Is(err, ErrTooDeep) || errors.Is(err, ErrTooManyItems) || errors.Is(err, ErrTooManyNodes)) {
				t.Fatalf("parseDocument refused a repair of a document checkShape lets through: %v", err)
			}
			return
		}
		fuzzCheckText(t, "feed title", plaintext.Truncate(plainText(doc.Title), maxTitleRunes))
		items := normalize(doc, base, loc, now)
		if len(items) > maxItems {
			t.Fatalf("%d items, want at most %d", len(items), maxItems)
		}
		// Content grows at most fourfold and 4 KiB per item (sanitize.HTML),
		// and by the one tag that reaches the limit.
		total := 0
		for _, in := range items {
			total += len(in.Content)
		}
		if limit := 8*len(body) + len(items)*8<<10; total > limit {
			t.Fatalf("%d bytes of content from %d bytes, over %d", total, len(body), limit)
		}
		for _, in := range items {
			for _, s := range []struct{ field, s string }{{"title", in.Title}, {"link", in.Link}, {"summary", in.Summary},
				{"content", in.Content}, {"author", in.Author}, {"guid", in.GUID}, {"title key", in.TitleKey}, {"link key", in.LinkKey}} {
				fuzzCheckText(t, s.field, s.s)
			}
			if n := utf8.RuneCountInString(in.Title); n > maxTitleRunes {
				t.Fatalf("title of %d runes", n)
			}
			if in.Published.After(now.Add(futureSlack)) {
				t.Fatalf("item dated %v, after the fetch", in.Published)
			}
		}
	})
}

// FuzzTitle checks title normalisation: plain text, capped at a character
// boundary, valid UTF-8 NFC of XML characters, and a title key of the same
// kind.
func FuzzTitle(f *testing.F) {
	for _, s := range []string{"Thủ tướng <b>phát biểu</b> &amp; trả lời", "Vie\u0302\u0323t Nam \x01\xff", "hoà hòa HOÀ",
		"<![CDATA[x]]> &#11; &#x1F600; &lt;script&gt;", string(make([]byte, 600))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		title := plaintext.Truncate(plainText(raw), maxTitleRunes)
		fuzzCheckText(t, "title", title)
		if n := utf8.RuneCountInString(title); n > maxTitleRunes {
			t.Fatalf("title of %d runes", n)
		}
		fuzzCheckText(t, "title key", vntext.TitleKey(title))
	})
}
