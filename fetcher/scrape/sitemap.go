package scrape

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/pressfeed/pressfeed/fetcher/feeddate"
)

// extractSitemap reads a sitemap (<urlset>, with Google News' <news:news>
// and perhaps <image:image>) or a sitemap index (<sitemapindex>), as a
// stream: the document is never held as a tree. Dates are W3C Datetime
// (ISO 8601), read by feeddate, so a date without a zone is in the feed's.
// Of an index, the sitemaps most recently modified come first.
func extractSitemap(src Source, body []byte, base *url.URL) (Doc, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	var (
		doc      Doc
		path     []string // local names of the open elements
		cur      *Item
		lastmod  string
		text     strings.Builder
		kind     string // "urlset" or "sitemapindex"
		children []sitemapRef
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Doc{}, fmt.Errorf("%w: sitemap: %v", ErrFormat, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) == maxDepth {
				return Doc{}, fmt.Errorf("%w: sitemap nested deeper than %d elements", ErrFormat, maxDepth)
			}
			name := t.Name.Local
			if len(path) == 0 {
				kind = name
				if kind != "urlset" && kind != "sitemapindex" {
					return Doc{}, fmt.Errorf("%w: sitemap: root element <%s>", ErrFormat, name)
				}
			}
			path = append(path, name)
			text.Reset()
			if len(path) == 2 && (name == "url" || name == "sitemap") {
				cur, lastmod = &Item{}, ""
			}
		case xml.CharData:
			if text.Len() < maxField {
				text.Write(t[:min(len(t), maxField-text.Len())])
			}
		case xml.EndElement:
			if len(path) == 0 {
				break
			}
			name := path[len(path)-1]
			path = path[:len(path)-1]
			if cur == nil {
				break
			}
			v := collapse(strings.ToValidUTF8(text.String(), ""))
			switch {
			case len(path) == 2 && name == "loc":
				cur.Link = resolve(base, v)
			case len(path) == 2 && name == "lastmod":
				lastmod = v
			case name == "title" && len(path) == 3 && path[2] == "news":
				cur.Title = v
			case name == "publication_date" && len(path) == 3 && path[2] == "news":
				cur.DateRaw = v
			case name == "loc" && len(path) == 3 && path[2] == "image" && cur.Image == "":
				cur.Image = resolve(base, v)
			case len(path) == 1:
				if cur.DateRaw == "" {
					cur.DateRaw = lastmod
				}
				cur.Date, _ = feeddate.Parse(cur.DateRaw, src.Location)
				if kind == "sitemapindex" {
					if cur.Link != "" {
						children = append(children, sitemapRef{cur.Link, cur.Date})
					}
				} else if cur.Link != "" && len(doc.Items) < MaxItems {
					doc.Items = append(doc.Items, *cur)
				}
				cur = nil
			}
			text.Reset()
		}
	}
	if kind == "" {
		return Doc{}, fmt.Errorf("%w: sitemap: no root element", ErrFormat)
	}
	sort.SliceStable(children, func(i, j int) bool { return children[i].mod.After(children[j].mod) })
	for _, c := range children[:min(len(children), MaxSitemaps)] {
		doc.Sitemaps = append(doc.Sitemaps, c.loc)
	}
	if kind == "urlset" {
		doc.Counts = []Count{{Key: "url", Found: len(doc.Items)}}
	}
	return doc, nil
}

type sitemapRef struct {
	loc string
	mod time.Time
}
