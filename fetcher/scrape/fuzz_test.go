package scrape

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtractHTML feeds pages and selectors to the HTML path: whatever
// compiles must extract without panicking, within the item bound, with
// absolute http(s) links only.
func FuzzExtractHTML(f *testing.F) {
	for _, tc := range pageCases {
		if tc.format != FormatHTML {
			continue
		}
		body, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, tc.sel.Item, tc.sel.Title, tc.sel.Link)
	}
	f.Add([]byte(`<ul><li><a href="../x">t</a></li></ul>`), "(//li)[1]", "string(./a)", "./a/@href")
	f.Fuzz(func(t *testing.T, body []byte, item, title, link string) {
		sel := Select{Item: item, Title: title, Link: link, Date: title}
		if Check(FormatHTML, sel) != nil {
			return
		}
		doc, _ := Extract(Source{Format: FormatHTML, Select: sel, Location: testLoc}, body, "", testBase, testNow)
		checkDoc(t, doc)
	})
}

// FuzzExtractSitemap feeds documents to the sitemap path.
func FuzzExtractSitemap(f *testing.F) {
	for _, name := range []string{"news-sitemap.xml", "sitemap-index.xml"} {
		body, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, _ := Extract(Source{Format: FormatSitemap, Location: testLoc}, body, "", testBase, testNow)
		checkDoc(t, doc)
		if len(doc.Sitemaps) > MaxSitemaps {
			t.Errorf("%d sitemaps; want at most %d", len(doc.Sitemaps), MaxSitemaps)
		}
	})
}

func checkDoc(t *testing.T, doc Doc) {
	t.Helper()
	if len(doc.Items) > MaxItems {
		t.Errorf("%d items; want at most %d", len(doc.Items), MaxItems)
	}
	for _, it := range doc.Items {
		for _, l := range []string{it.Link, it.Image} {
			if l == "" {
				continue
			}
			u, err := url.Parse(l)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Errorf("link %q is not absolute http(s)", l)
			}
		}
		if len(it.Title) > maxField || strings.ContainsAny(it.Title, "\t\n") {
			t.Errorf("title %q: longer than %d bytes or white space not collapsed", it.Title, maxField)
		}
		if y := it.Date.Year(); !it.Date.IsZero() && (y < 1970 || y > 9999) {
			t.Errorf("date %v out of 1970–9999", it.Date)
		}
	}
}

// FuzzExtractJSON feeds documents and paths to the JSON path.
func FuzzExtractJSON(f *testing.F) {
	body, err := os.ReadFile(filepath.Join("testdata", "api.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body, "data.items", "title", "url", "published")
	f.Add([]byte(`[{"t":"a","u":"/x","d":1796606100000}]`), "@this", "t", "u", "d")
	f.Fuzz(func(t *testing.T, body []byte, item, title, link, date string) {
		sel := Select{Item: item, Title: title, Link: link, Date: date}
		if Check(FormatJSON, sel) != nil {
			return
		}
		doc, _ := Extract(Source{Format: FormatJSON, Select: sel, Location: testLoc}, body, "", testBase, testNow)
		checkDoc(t, doc)
	})
}
