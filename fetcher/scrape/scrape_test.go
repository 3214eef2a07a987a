package scrape

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testLoc stands for Asia/Ho_Chi_Minh without needing tzdata.
var testLoc = time.FixedZone("ICT", 7*3600)

// testNow is the fetch time of every case.
var testNow = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// pageCases are the saved documents in testdata/, each modelled on a
// family of Vietnamese portals, with the selectors an operator would write.
var pageCases = []struct {
	name, file, format, base, contentType string
	sel                                   Select
}{
	{"aspnet", "aspnet.html", FormatHTML, "https://sgtvt-mau.example.vn/Portal/TinTuc.aspx?cat=12", "text/html; charset=utf-8",
		Select{Item: "table.gridTinTuc tr.row", Title: "a.tieude", Link: "a.tieude @href", Summary: "span.tomtat",
			Date: "span.ngay", DateFormat: "02/01/2006 15:04"}},
	{"sharepoint-xpath", "sharepoint.html", FormatHTML, "https://bo-mau.example.vn/sites/tintuc/Pages/default.aspx", "",
		Select{Item: `//ul[contains(@class,"dfwp-list")]/li`, Title: ".//a", Link: ".//a/@href",
			Summary: `.//div[@class="description"]`, Date: `normalize-space(.//div[@class="news-date"])`, Image: ".//img/@src"}},
	{"liferay-base", "liferay.html", FormatHTML, "https://quan-mau.example.vn/web/guest/tin-tuc", "text/html",
		Select{Item: "div.asset-abstract", Title: "h3.asset-title", Link: "h3.asset-title a @href",
			Summary: ".asset-summary", Date: ".metadata-publish-date", Image: "img.asset-small-image @src"}},
	{"portal", "portal.html", FormatHTML, "https://www.thanhuy-mau.example.vn/tin-tuc", "text/html; charset=utf-8",
		Select{Item: "div.list-news article", Title: "h3 a", Link: "h3 a @href", Summary: "p.sapo",
			Date: "span.time", Image: "img @data-src"}},
	{"vnportal-1258", "vnportal-1258.html", FormatHTML, "http://huyen-mau.example.vn/index.php?option=com_content&task=blogcategory", "text/html",
		Select{Item: "td.vnp-item", Title: "a.vnp-title", Link: "a.vnp-title @href", Summary: ".vnp-intro", Date: "font.vnp-date"}},
	{"news-sitemap", "news-sitemap.xml", FormatSitemap, "https://bao-mau.example.vn/latestnews-sitemap.xml", "", Select{}},
	{"sitemap-index", "sitemap-index.xml", FormatSitemap, "https://bao-mau.example.vn/sitemap.xml", "", Select{}},
	{"json-api", "api.json", FormatJSON, "https://mau.example.vn/api/news?page=1", "",
		Select{Item: "data.items", Title: "title", Link: "url", Summary: "sapo", Date: "published", Image: "thumb.src"}},
}

// golden is what a golden file holds: the Doc with dates in RFC 3339.
type golden struct {
	Title    string       `json:"title,omitempty"`
	Items    []goldenItem `json:"items"`
	Sitemaps []string     `json:"sitemaps,omitempty"`
	Counts   []Count      `json:"counts,omitempty"`
}

type goldenItem struct {
	Title   string `json:"title"`
	Link    string `json:"link"`
	Summary string `json:"summary,omitempty"`
	Image   string `json:"image,omitempty"`
	DateRaw string `json:"date_raw,omitempty"`
	Date    string `json:"date,omitempty"`
}

func toGolden(d Doc) golden {
	g := golden{Title: d.Title, Items: []goldenItem{}, Sitemaps: d.Sitemaps, Counts: d.Counts}
	for _, it := range d.Items {
		gi := goldenItem{Title: it.Title, Link: it.Link, Summary: it.Summary, Image: it.Image, DateRaw: it.DateRaw}
		if !it.Date.IsZero() {
			gi.Date = it.Date.Format(time.RFC3339)
		}
		g.Items = append(g.Items, gi)
	}
	return g
}

func TestGolden(t *testing.T) {
	for _, tc := range pageCases {
		t.Run(tc.name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			base, err := url.Parse(tc.base)
			if err != nil {
				t.Fatal(err)
			}
			if err := Check(tc.format, tc.sel); err != nil {
				t.Fatalf("Check: %v", err)
			}
			doc, err := Extract(Source{Format: tc.format, Select: tc.sel, Location: testLoc}, body, tc.contentType, base, testNow)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			got, err := json.MarshalIndent(toGolden(doc), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the extraction; got:\n%s", path, got)
			}
		})
	}
}

// BenchmarkExtract reads each saved document once per iteration.
func BenchmarkExtract(b *testing.B) {
	for _, tc := range pageCases {
		body, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			b.Fatal(err)
		}
		base, err := url.Parse(tc.base)
		if err != nil {
			b.Fatal(err)
		}
		src := Source{Format: tc.format, Select: tc.sel, Location: testLoc}
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Extract(src, body, tc.contentType, base, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
