// Package scrape picks press items out of sources that publish no feed: web
// pages (CSS selectors or XPath 1.0), Google News sitemaps and JSON APIs.
//
// Extract reads one document that the fetcher has already fetched and
// capped in size, and returns its items as read: text with white space
// collapsed, links resolved against the page, dates read in the source's
// zone. Identity, clamping of dates and the rest of normalisation are the
// fetcher's, the same as for feeds.
//
// Bounds, whatever the document: an HTML page nested deeper than the
// parser's 512 open elements is an error (golang.org/x/net/html refuses
// it); XML is read as a stream and refused deeper than maxDepth; at most
// MaxItems items and maxField bytes of text per field are kept; a sitemap
// index names at most MaxSitemaps sitemaps. The package never touches the
// network.
package scrape

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/fetcher/feeddate"
)

// Formats of a source. FormatFeed is the fetcher's own (RSS, Atom, JSON
// Feed) and is not handled here.
const (
	FormatFeed    = "feed"
	FormatHTML    = "html"
	FormatSitemap = "sitemap"
	FormatJSON    = "json"
)

// Bounds on what one document may bring.
const (
	MaxItems    = 1000     // items taken from one document, as for feeds
	MaxSitemaps = 10       // sitemaps followed from one sitemap index
	maxField    = 64 << 10 // bytes of text read for one field
	maxDepth    = 64       // XML nesting in a sitemap
)

var (
	// ErrNothing is wrapped when a selector finds nothing: the item
	// selector on the whole document, or a required field in every item.
	ErrNothing = errors.New("scrape: selector found nothing")
	// ErrSelector is wrapped when a selector does not compile.
	ErrSelector = errors.New("scrape: bad selector")
	// ErrFormat is wrapped for a document that is not of its format.
	ErrFormat = errors.New("scrape: not a document of its format")
)

// Select names what to pick out of a document. For HTML, Item is a CSS
// selector, or XPath 1.0 when it starts with "/", "./" or "(" (or a
// function or an axis: "normalize-space(", "descendant::"); the others
// are relative to one item, and " @attr" at the end takes an attribute
// instead of the text ("h3 a @href"; XPath may select "@href" itself). For
// JSON, Item is a GJSON path to the array of items and the others are paths
// inside one item. A sitemap takes none.
type Select struct {
	Item       string
	Title      string
	Link       string
	Summary    string // optional
	Date       string // optional; without it items are dated when first seen
	DateFormat string // optional Go layout for Date; without it feeddate's forms are tried
	Image      string // optional
}

// Item is one item as read from a document.
type Item struct {
	Title   string    // plain text, white space collapsed
	Link    string    // absolute http(s), or ""
	Summary string    // plain text, or HTML for JSON sources (SummaryHTML)
	Image   string    // absolute http(s), or ""
	DateRaw string    // the date as the source wrote it
	Date    time.Time // UTC; zero when there was none or it was not understood

	SummaryHTML bool // Summary is HTML (a JSON API's field), not text
}

// Count is what one selector found: Found elements (for Item, in the whole
// document; for a field, the items in which it found something) out of In
// (the items it was tried in; 0 for Item).
type Count struct {
	Key   string `json:"key"` // "select.item", "select.title", …
	Found int    `json:"found"`
	In    int    `json:"in,omitempty"`
}

// Doc is what Extract read from one document.
type Doc struct {
	Title    string   // the page's <title>; "" for sitemaps and JSON
	Items    []Item   // at most MaxItems
	Sitemaps []string // for a sitemap index: the sitemaps it names, absolute, at most MaxSitemaps
	Counts   []Count  // per selector, in the order item, title, link, summary, date, image
}

// Source is how to read one source's documents.
type Source struct {
	Format   string
	Select   Select
	Location *time.Location // zone of dates that name none; nil means UTC
}

// Extract reads body, fetched from base (nil for a file), as src says. now
// is the fetch time, from which a date format without a year takes it. For
// HTML, contentType (the response's header, "" for files) and the page's
// own declaration give the charset; sitemaps and JSON must be UTF-8
// already. A document in which the item selector, or the title or link
// selector in every item, finds nothing is an error wrapping ErrNothing;
// the Doc then still holds the counts.
func Extract(src Source, body []byte, contentType string, base *url.URL, now time.Time) (Doc, error) {
	if src.Location == nil {
		src.Location = time.UTC
	}
	switch src.Format {
	case FormatHTML:
		return extractHTML(src, body, contentType, base, now)
	case FormatSitemap:
		return extractSitemap(src, body, base)
	case FormatJSON:
		return extractJSON(src, body, base, now)
	}
	return Doc{}, fmt.Errorf("scrape: unknown format %q", src.Format)
}

// Check reports whether sel suits format: the selectors a format needs are
// there, the ones it does not take are not, and each compiles. Its errors
// name the key ("select.title: …").
func Check(format string, sel Select) error {
	var errs []error
	need := func(key, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("select.%s: required for format %q", key, format))
		}
	}
	switch format {
	case FormatFeed, FormatSitemap:
		if sel != (Select{}) {
			errs = append(errs, fmt.Errorf("select: format %q takes no selectors", format))
		}
	case FormatHTML, FormatJSON:
		need("item", sel.Item)
		need("title", sel.Title)
		need("link", sel.Link)
		for _, f := range sel.fields() {
			if f.raw == "" {
				continue
			}
			var err error
			if format == FormatHTML {
				_, err = compileField(f.raw, f.key == "item")
			} else {
				err = checkJSONPath(f.raw)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("select.%s: %w", f.key, err))
			}
		}
		if sel.DateFormat != "" && sel.Date == "" {
			errs = append(errs, errors.New("select.date_format: needs select.date"))
		}
		if sel.DateFormat != "" && !strings.ContainsAny(sel.DateFormat, "0123456789") {
			errs = append(errs, fmt.Errorf("select.date_format: %q is not a Go layout (e.g. \"02/01/2006 15:04\")", sel.DateFormat))
		}
	default:
		errs = append(errs, fmt.Errorf("format: must be feed, html, sitemap or json, got %q", format))
	}
	return errors.Join(errs...)
}

type namedField struct{ key, raw string }

// fields lists the selectors of sel in the order Counts reports them.
func (s Select) fields() []namedField {
	return []namedField{
		{"item", s.Item}, {"title", s.Title}, {"link", s.Link},
		{"summary", s.Summary}, {"date", s.Date}, {"image", s.Image},
	}
}

// nothing returns the error for the first selector in counts that found
// nothing where it had to find something, naming the one before it and
// what that found; nil when each found something.
func nothing(counts []Count) error {
	for i, c := range counts {
		required := c.Key == "select.item" || c.Key == "select.title" || c.Key == "select.link"
		if !required || c.Found > 0 {
			continue
		}
		if i == 0 {
			return fmt.Errorf("%w: %s matched no element in the document", ErrNothing, c.Key)
		}
		prev := counts[i-1]
		return fmt.Errorf("%w: %s found nothing in any of the %d items (%s found %d)",
			ErrNothing, c.Key, c.In, prev.Key, prev.Found)
	}
	return nil
}

// collapse returns s in NFC (windows-1258 pages decode to combining tone
// marks), with white space collapsed and at most maxField bytes
// of it, cut at a character boundary.
func collapse(s string) string {
	if len(s) > maxField {
		s = strings.ToValidUTF8(s[:maxField], "") // a character cut in two goes
	}
	return norm.NFC.String(strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " "))
}

// resolve returns ref resolved against base when the result is an absolute
// http(s) URL, else "".
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > maxField {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// readDate reads a date field's text: with layout when one is given, else
// the forms feeddate knows, among other words.
func readDate(raw, layout string, loc *time.Location, now time.Time) time.Time {
	if raw == "" {
		return time.Time{}
	}
	if layout != "" {
		t, _ := feeddate.ParseLayout(raw, layout, loc, now)
		return t
	}
	t, _ := feeddate.Find(raw, loc)
	return t
}
