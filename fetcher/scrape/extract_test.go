package scrape

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

var testBase, _ = url.Parse("https://portal.example.vn/tin-tuc/")

func extract(t *testing.T, format string, sel Select, body string) (Doc, error) {
	t.Helper()
	return Extract(Source{Format: format, Select: sel, Location: testLoc}, []byte(body), "", testBase, testNow)
}

func TestNothing(t *testing.T) {
	page := `<div class="list"><div class="it"><h3><a href="/a">Tin một</a></h3></div><div class="it"><h3><a href="/b">Tin hai</a></h3></div></div>`
	tests := []struct {
		name string
		sel  Select
		want string // in the error; "" for none
	}{
		{"all found", Select{Item: "div.it", Title: "h3", Link: "h3 a @href"}, ""},
		{"item", Select{Item: "li.news", Title: "h3", Link: "a @href"},
			"select.item matched no element in the document"},
		{"title", Select{Item: "div.it", Title: "h2", Link: "a @href"},
			"select.title found nothing in any of the 2 items (select.item found 2)"},
		{"link attribute", Select{Item: "div.it", Title: "h3", Link: "a @data-href"},
			"select.link found nothing in any of the 2 items (select.title found 2)"},
		{"xpath title", Select{Item: `//div[@class="it"]`, Title: "./h2", Link: ".//a/@href"},
			"select.title found nothing in any of the 2 items (select.item found 2)"},
		{"optional summary", Select{Item: "div.it", Title: "h3", Link: "a @href", Summary: "p.sapo"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := extract(t, FormatHTML, tt.sel, page)
			if tt.want == "" {
				if err != nil || len(doc.Items) != 2 {
					t.Fatalf("Extract = %d items, %v; want 2 items, no error", len(doc.Items), err)
				}
				return
			}
			if !errors.Is(err, ErrNothing) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Extract error = %v; want ErrNothing saying %q", err, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, format string
		sel          Select
		want         string // in the error; "" for none
	}{
		{"feed", FormatFeed, Select{}, ""},
		{"feed with selectors", FormatFeed, Select{Item: "li"}, "select: format \"feed\" takes no selectors"},
		{"sitemap with selectors", FormatSitemap, Select{Title: "x"}, "takes no selectors"},
		{"unknown format", "rss", Select{}, "format: must be feed, html, sitemap or json"},
		{"html ok", FormatHTML, Select{Item: "li", Title: "a", Link: "a @href"}, ""},
		{"html xpath ok", FormatHTML, Select{Item: "//li", Title: "descendant::a", Link: "./a/@href", Date: "normalize-space(./span)"}, ""},
		{"html missing link", FormatHTML, Select{Item: "li", Title: "a"}, "select.link: required"},
		{"bad css", FormatHTML, Select{Item: "li[", Title: "a", Link: "a @href"}, "select.item: scrape: bad selector: CSS"},
		{"bad xpath", FormatHTML, Select{Item: "//li[", Title: "a", Link: "a @href"}, "select.item: scrape: bad selector: XPath"},
		{"item attribute", FormatHTML, Select{Item: "li @id", Title: "a", Link: "a @href"}, "the item selector takes no attribute"},
		{"date format without date", FormatHTML, Select{Item: "li", Title: "a", Link: "a @href", DateFormat: "02/01/2006"}, "select.date_format: needs select.date"},
		{"date format not a layout", FormatHTML, Select{Item: "li", Title: "a", Link: "a @href", Date: "span", DateFormat: "dd/mm/yyyy"}, "not a Go layout"},
		{"json ok", FormatJSON, Select{Item: "data.items", Title: "title", Link: "url"}, ""},
		{"json bad path", FormatJSON, Select{Item: "data.items.#(id>3", Title: "title", Link: "url"}, "select.item: scrape: bad selector: GJSON path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.format, tt.sel)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check = %v; want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v; want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestBounds checks the bounds the package promises on hostile documents.
func TestBounds(t *testing.T) {
	sel := Select{Item: "li", Title: "a", Link: "a @href"}
	t.Run("deep page", func(t *testing.T) {
		page := strings.Repeat("<div>", 1_000_000) + `<li><a href="/x">Tin</a></li>`
		_, err := extract(t, FormatHTML, sel, page)
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("Extract of a page 1,000,000 elements deep = %v; want ErrFormat", err)
		}
	})
	t.Run("items", func(t *testing.T) {
		page := strings.Repeat(`<li><a href="/x">Tin tức</a></li>`, MaxItems+500)
		doc, err := extract(t, FormatHTML, sel, page)
		if err != nil || len(doc.Items) != MaxItems {
			t.Fatalf("Extract = %d items, %v; want %d", len(doc.Items), err, MaxItems)
		}
	})
	t.Run("field text", func(t *testing.T) {
		page := `<li><a href="/x">` + strings.Repeat("chữ ", maxField) + `</a></li>`
		doc, err := extract(t, FormatHTML, sel, page)
		if err != nil || len(doc.Items) != 1 || len(doc.Items[0].Title) > maxField {
			t.Fatalf("Extract = %d items, %v; want one with a title of at most %d bytes", len(doc.Items), err, maxField)
		}
	})
	t.Run("deep sitemap", func(t *testing.T) {
		sm := `<urlset>` + strings.Repeat("<x>", maxDepth) + strings.Repeat("</x>", maxDepth) + `</urlset>`
		if _, err := extract(t, FormatSitemap, Select{}, sm); !errors.Is(err, ErrFormat) {
			t.Fatalf("Extract of a sitemap %d deep = %v; want ErrFormat", maxDepth+1, err)
		}
	})
	t.Run("sitemap items", func(t *testing.T) {
		sm := `<urlset>` + strings.Repeat(`<url><loc>/a</loc></url>`, MaxItems+1) + `</urlset>`
		doc, err := extract(t, FormatSitemap, Select{}, sm)
		if err != nil || len(doc.Items) != MaxItems {
			t.Fatalf("Extract = %d items, %v; want %d", len(doc.Items), err, MaxItems)
		}
	})
	t.Run("sitemap index", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`<sitemapindex>`)
		for i := range MaxSitemaps + 5 {
			fmt.Fprintf(&b, `<sitemap><loc>/s%d.xml</loc></sitemap>`, i)
		}
		b.WriteString(`</sitemapindex>`)
		doc, err := extract(t, FormatSitemap, Select{}, b.String())
		if err != nil || len(doc.Sitemaps) != MaxSitemaps {
			t.Fatalf("Extract = %d sitemaps, %v; want %d", len(doc.Sitemaps), err, MaxSitemaps)
		}
	})
	t.Run("not a sitemap", func(t *testing.T) {
		if _, err := extract(t, FormatSitemap, Select{}, `<rss><channel/></rss>`); !errors.Is(err, ErrFormat) {
			t.Fatalf("Extract of RSS as a sitemap = %v; want ErrFormat", err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		jsel := Select{Item: "items", Title: "t", Link: "u"}
		if _, err := extract(t, FormatJSON, jsel, `{"items": [`); !errors.Is(err, ErrFormat) {
			t.Fatalf("Extract of broken JSON = %v; want ErrFormat", err)
		}
	})
}

// TestText checks text extraction: scripts left out, blocks separating
// words, entities decoded once, NFC.
func TestText(t *testing.T) {
	page := `<li><a href="/x"><span>Giá</span><script>var x = "<b>";</script><div>xăng</div> &amp;lt;giảm&amp;gt; ` +
		norm.NFD.String("Hoà") + `</a></li>`
	doc, err := extract(t, FormatHTML, Select{Item: "li", Title: "a", Link: "a @href"}, page)
	if err != nil || len(doc.Items) != 1 {
		t.Fatalf("Extract = %v, %v", doc.Items, err)
	}
	if got, want := doc.Items[0].Title, "Giá xăng &lt;giảm&gt; Hoà"; got != want {
		t.Errorf("title = %q; want %q", got, want)
	}
}

func TestParseDateLayoutAndFind(t *testing.T) {
	page := `<li><a href="/x">Tin một</a><i>Cập nhật: 07/12/2026 15:04</i></li>`
	doc, err := extract(t, FormatHTML, Select{Item: "li", Title: "a", Link: "a @href", Date: "i"}, page)
	if err != nil || len(doc.Items) != 1 {
		t.Fatalf("Extract = %v, %v", doc.Items, err)
	}
	if want := time.Date(2026, 12, 7, 8, 4, 0, 0, time.UTC); !doc.Items[0].Date.Equal(want) {
		t.Errorf("date = %v; want %v", doc.Items[0].Date, want)
	}
}
