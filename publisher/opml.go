package publisher

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/internal/canon"
)

// OPML 2.0 (http://opml.org/spec2.opml): the configured feeds, for feed
// readers and for import-opml. WriteOPML is the one writer: GET /opml and
// the export-opml command write the same document.

// opmlNS is the namespace of pressfeed's own outline attribute, the feed
// name, so that export and import round-trip it.
const opmlNS = "urn:pressfeed:opml"

// FreshRSS describes web scraping sources with outlines of type
// "HTML+XPath" and attributes in its own namespace
// (https://freshrss.org/docs/en/developers/OPML.html).
const (
	frssNS        = "https://freshrss.org/opml"
	frssHTMLXPath = "HTML+XPath"
)

type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	NS      string        `xml:"xmlns:pressfeed,attr"`
	Title   string        `xml:"head>title"`
	Body    []opmlOutline `xml:"body>outline"`
	Note    string        `xml:",comment"` // feeds left out, and why
}

type opmlOutline struct {
	Text     string     `xml:"text,attr"`
	Title    string     `xml:"title,attr,omitempty"`
	Type     string     `xml:"type,attr,omitempty"`
	XMLURL   string     `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string     `xml:"htmlUrl,attr,omitempty"`
	Category string     `xml:"category,attr,omitempty"` // comma-separated tags
	Name     string     `xml:"pressfeed:name,attr,omitempty"`
	Attrs    []xml.Attr `xml:",any,attr"` // FreshRSS's
}

// WriteOPML writes feeds as an OPML 2.0 document: one outline per feed,
// of type "rss", its title (plain text) or else its name as text, its tags
// as category and its name in pressfeed's namespace. An html feed whose
// selectors are all XPath is written as a FreshRSS HTML+XPath outline;
// a feed FreshRSS cannot follow (CSS selectors, sitemap, json) is left
// out and named in a comment. URLs are written as given: mask passwords
// first.
func WriteOPML(w io.Writer, feeds []Feed) error {
	doc := opmlDoc{Version: "2.0", NS: opmlNS, Title: "pressfeed feeds"}
	for i := range feeds {
		f := &feeds[i]
		title := plain(f.Title)
		text := title
		if text == "" {
			text = f.Name
		}
		o := opmlOutline{Text: text, Title: title, Type: "rss", XMLURL: f.URL,
			Category: strings.Join(f.Tags, ","), Name: f.Name}
		if f.Format != "" && f.Format != scrape.FormatFeed {
			var ok bool
			if o, ok = freshRSSOutline(f, o); !ok {
				doc.Note += opmlNote(f)
				continue
			}
		}
		doc.Body = append(doc.Body, o)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("opml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// frssKeys pairs FreshRSS's attributes with the fields of scrape.Select.
var frssKeys = []struct {
	attr  string
	field func(*scrape.Select) string
}{
	{"xPathItem", func(s *scrape.Select) string { return s.Item }},
	{"xPathItemTitle", func(s *scrape.Select) string { return s.Title }},
	{"xPathItemContent", func(s *scrape.Select) string { return s.Summary }},
	{"xPathItemUri", func(s *scrape.Select) string { return s.Link }},
	{"xPathItemTimestamp", func(s *scrape.Select) string { return s.Date }},
	{"xPathItemThumbnail", func(s *scrape.Select) string { return s.Image }},
}

// freshRSSOutline returns the outline of an html feed as FreshRSS reads
// it, and ok; ok is false when its selectors are not all XPath (CSS cannot
// be said in FreshRSS's OPML) or it is not an html feed.
func freshRSSOutline(f *Feed, o opmlOutline) (opmlOutline, bool) {
	if f.Format != scrape.FormatHTML {
		return o, false
	}
	attrs := []xml.Attr{{Name: xml.Name{Local: "xmlns:frss"}, Value: frssNS}}
	for _, k := range frssKeys {
		v := k.field(&f.Select)
		if v == "" {
			continue
		}
		if !scrape.IsXPath(v) {
			return o, false
		}
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "frss:" + k.attr}, Value: v})
	}
	if f.Select.DateFormat != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "frss:xPathItemTimeFormat"}, Value: goToPHPLayout(f.Select.DateFormat)})
	}
	o.Type, o.HTMLURL, o.Attrs = frssHTMLXPath, o.XMLURL, attrs
	return o, true
}

// goElements are the Go layout elements goToPHPLayout knows, longest first
// where one is the prefix of another.
var goElements = []struct{ goStr, php string }{
	{"January", "F"}, {"Jan", "M"}, {"Monday", "l"}, {"Mon", "D"},
	{"2006", "Y"}, {"Z07:00", "P"}, {"-07:00", "P"}, {"-0700", "O"}, {"MST", "T"},
	{".000000", ".u"}, {".000", ".v"},
	{"01", "m"}, {"02", "d"}, {"03", "h"}, {"04", "i"}, {"05", "s"}, {"06", "y"},
	{"15", "H"}, {"_2", "j"}, {"1", "n"}, {"2", "j"}, {"3", "g"}, {"4", "i"}, {"5", "s"},
	{"PM", "A"}, {"pm", "a"},
}

// goToPHPLayout translates a Go layout into the PHP date format FreshRSS
// reads, escaping the letters PHP would read as fields.
func goToPHPLayout(layout string) string {
	var b strings.Builder
next:
	for i := 0; i < len(layout); {
		for _, e := range goElements {
			if strings.HasPrefix(layout[i:], e.goStr) {
				b.WriteString(e.php)
				i += len(e.goStr)
				continue next
			}
		}
		c := layout[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// opmlNote is the line of the OPML comment that names a feed left out:
// FreshRSS has no equivalent of CSS selectors, sitemaps or GJSON paths.
func opmlNote(f *Feed) string {
	why := "CSS selectors (FreshRSS reads XPath only)"
	if f.Format != scrape.FormatHTML {
		why = fmt.Sprintf("format %q has no FreshRSS equivalent", f.Format)
	}
	// "--" may not appear in an XML comment.
	return strings.ReplaceAll(fmt.Sprintf("\n  left out: %s, %s\n", f.Name, why), "--", "- -")
}

// serveOPML serves GET /opml: WriteOPML of the configured feeds, passwords
// masked.
func (h *handler) serveOPML(w http.ResponseWriter, r *http.Request) {
	feeds := make([]Feed, len(h.feedList))
	for i, f := range h.feedList {
		feeds[i] = *f
		feeds[i].URL = canon.Redact(f.URL)
	}
	var b bytes.Buffer
	if err := WriteOPML(&b, feeds); err != nil {
		h.log.Error("encode opml", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b.Bytes()))
}
