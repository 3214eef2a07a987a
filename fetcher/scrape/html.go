package scrape

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// extractHTML reads a web page.
func extractHTML(src Source, body []byte, contentType string, base *url.URL, now time.Time) (Doc, error) {
	root, err := parseHTML(body, contentType)
	if err != nil {
		return Doc{}, err
	}
	base = pageBase(root, base)
	sel := src.Select
	itemSel, err := compileField(sel.Item, true)
	if err != nil {
		return Doc{}, fmt.Errorf("select.item: %w", err)
	}
	var fields [5]*field // title, link, summary, date, image
	for i, raw := range []string{sel.Title, sel.Link, sel.Summary, sel.Date, sel.Image} {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		if fields[i], err = compileField(raw, false); err != nil {
			return Doc{}, fmt.Errorf("select.%s: %w", src.Select.fields()[i+1].key, err)
		}
	}
	nodes := itemSel.nodes(root, MaxItems)
	doc := Doc{Title: pageTitle(root)}
	doc.Counts = []Count{{Key: "select.item", Found: len(nodes)}}
	for i, f := range src.Select.fields()[1:] {
		if fields[i] != nil {
			doc.Counts = append(doc.Counts, Count{Key: "select." + f.key, In: len(nodes)})
		}
	}
	for _, n := range nodes {
		var it Item
		var got [5]bool
		var vals [5]string
		for i, f := range fields {
			if f != nil {
				vals[i], got[i] = f.value(n)
				got[i] = got[i] && vals[i] != ""
			}
		}
		it.Title = vals[0]
		it.Link = resolve(base, vals[1])
		got[1] = got[1] && it.Link != ""
		it.Summary = vals[2]
		it.DateRaw = vals[3]
		it.Date = readDate(it.DateRaw, sel.DateFormat, src.Location, now)
		it.Image = resolve(base, vals[4])
		k := 1
		for i := range fields {
			if fields[i] == nil {
				continue
			}
			if got[i] {
				doc.Counts[k].Found++
			}
			k++
		}
		if it.Title == "" && it.Link == "" {
			continue // a container the item selector also matches, say an advert
		}
		doc.Items = append(doc.Items, it)
	}
	return doc, nothing(doc.Counts)
}

// parseHTML decodes body by its charset (a byte order mark, the
// Content-Type header, the page's <meta>; windows-1258 included) and parses
// it. golang.org/x/net/html refuses a page with more than 512 elements
// open at once, which bounds the depth of every walk over the tree.
func parseHTML(body []byte, contentType string) (*html.Node, error) {
	enc, _, _ := charset.DetermineEncoding(body, contentType)
	var r io.Reader = bytes.NewReader(body)
	if enc != nil {
		r = transform.NewReader(r, enc.NewDecoder())
	}
	root, err := html.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%w: html: %v", ErrFormat, err)
	}
	return root, nil
}

// pageBase returns the URL relative links on the page resolve against: its
// <base href>, itself resolved against where the page came from, or that.
func pageBase(root *html.Node, base *url.URL) *url.URL {
	head := find(root, "head", 3)
	if head == nil {
		return base
	}
	for c := head.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || c.Data != "base" {
			continue
		}
		for _, a := range c.Attr {
			if a.Key == "href" {
				if u, err := url.Parse(resolve(base, a.Val)); err == nil && u.Host != "" {
					return u
				}
				return base
			}
		}
	}
	return base
}

// pageTitle returns the text of the page's <title>.
func pageTitle(root *html.Node) string {
	if head := find(root, "head", 3); head != nil {
		for c := head.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "title" {
				return text(c)
			}
		}
	}
	return ""
}

// find returns the first element named name at most depth levels below n.
func find(n *html.Node, name string, depth int) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == name {
			return c
		}
		if depth > 1 {
			if f := find(c, name, depth-1); f != nil {
				return f
			}
		}
	}
	return nil
}
