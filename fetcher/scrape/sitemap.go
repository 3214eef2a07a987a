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
	r := sitemapReader{base: base, loc: src.Location}
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
			if err := r.start(t.Name.Local); err != nil {
				return Doc{}, err
			}
		case xml.CharData:
			if r.text.Len() < maxField {
				r.text.Write(t[:min(len(t), maxField-r.text.Len())])
			}
		case xml.EndElement:
			r.end()
		}
	}
	if r.kind == "" {
		return Doc{}, fmt.Errorf("%w: sitemap: no root element", ErrFormat)
	}
	doc := Doc{Items: r.items}
	sort.SliceStable(r.children, func(i, j int) bool { return r.children[i].mod.After(r.children[j].mod) })
	for _, c := range r.children[:min(len(r.children), MaxSitemaps)] {
		doc.Sitemaps = append(doc.Sitemaps, c.loc)
	}
	if r.kind == "urlset" {
		doc.Counts = []Count{{Key: "url", Found: len(doc.Items)}}
	}
	return doc, nil
}

// sitemapReader is the state of extractSitemap between tokens.
type sitemapReader struct {
	base *url.URL
	loc  *time.Location

	kind     string   // the root: "urlset" or "sitemapindex"
	path     []string // local names of the open elements
	cur      *Item    // the <url> or <sitemap> being read
	lastmod  string
	text     strings.Builder
	items    []Item
	children []sitemapRef
}

type sitemapRef struct {
	loc string
	mod time.Time
}

// start opens an element, refusing an unknown root and nesting deeper
// than maxDepth.
func (r *sitemapReader) start(name string) error {
	if len(r.path) == maxDepth {
		return fmt.Errorf("%w: sitemap nested deeper than %d elements", ErrFormat, maxDepth)
	}
	if len(r.path) == 0 {
		r.kind = name
		if name != "urlset" && name != "sitemapindex" {
			return fmt.Errorf("%w: sitemap: root element <%s>", ErrFormat, name)
		}
	}
	r.path = append(r.path, name)
	r.text.Reset()
	if len(r.path) == 2 && (name == "url" || name == "sitemap") {
		r.cur, r.lastmod = &Item{}, ""
	}
	return nil
}

// end closes an element, keeping its text where it is a field.
func (r *sitemapReader) end() {
	if len(r.path) == 0 {
		return
	}
	name := r.path[len(r.path)-1]
	r.path = r.path[:len(r.path)-1]
	defer r.text.Reset()
	cur, depth := r.cur, len(r.path)
	if cur == nil {
		return
	}
	v := collapse(strings.ToValidUTF8(r.text.String(), ""))
	parent := ""
	if depth == 3 {
		parent = r.path[2]
	}
	switch {
	case depth == 2 && name == "loc":
		cur.Link = resolve(r.base, v)
	case depth == 2 && name == "lastmod":
		r.lastmod = v
	case parent == "news" && name == "title":
		cur.Title = v
	case parent == "news" && name == "publication_date":
		cur.DateRaw = v
	case parent == "image" && name == "loc" && cur.Image == "":
		cur.Image = resolve(r.base, v)
	case depth == 1: // the end of a <url> or <sitemap>
		r.done(cur)
	}
}

// done keeps the <url> or <sitemap> just read.
func (r *sitemapReader) done(cur *Item) {
	r.cur = nil
	if cur.DateRaw == "" {
		cur.DateRaw = r.lastmod
	}
	cur.Date, _ = feeddate.Parse(cur.DateRaw, r.loc)
	switch {
	case cur.Link == "":
	case r.kind == "sitemapindex":
		if len(r.children) < MaxItems { // the newest MaxSitemaps are picked from these
			r.children = append(r.children, sitemapRef{cur.Link, cur.Date})
		}
	case len(r.items) < MaxItems:
		r.items = append(r.items, *cur)
	}
}
