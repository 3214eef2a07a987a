package publisher

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/feeds"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/plaintext"
	"github.com/pressfeed/pressfeed/store"
)

// Documents are built with gorilla/feeds as the format-neutral model
// (feeds.Feed, feeds.Item) and its converters; the RSS and Atom structs that
// are marshalled are pressfeed's own, in documents.go, which says which
// defect of gorilla's each one works around.

const (
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	generator = "pressfeed"
)

// extra is what the documents say about an item beyond gorilla's feeds.Item.
type extra struct {
	author     string   // a name
	categories []string // the outlets that carried it, then their tags
	source     outlet   // the leading outlet
}

// outlet is a source feed as the documents name it.
type outlet struct {
	name  string
	title string // display title
	url   string // feed URL when http(s), else ""
}

// outlet returns how the documents name the feed called name: its configured
// title, else its own title as stored, else its name; plain text.
func (h *handler) outlet(name string, states map[string]store.FeedState) outlet {
	o := outlet{name: name, title: plain(states[name].Title)}
	if f := h.feeds[name]; f != nil {
		if t := plain(f.Title); t != "" {
			o.title = t
		}
		if isHTTP(f.URL) {
			o.url = f.URL
		}
	}
	if o.title == "" {
		o.title = plain(name)
	}
	return o
}

// plain returns s, a plain-text field as stored or configured, as the
// documents write it: clean XML text holding no markup. What pressfeed
// stores is so already and comes back unchanged; a store written by an
// older version, or a configured title, may hold "<b" or "</": see
// plaintext.From.
func plain(s string) string {
	return plaintext.From(s, plaintext.Text)
}

// encode renders items as format f of output o, as the page pg.
func (h *handler) encode(o *output, f format, items []store.Item, states map[string]store.FeedState, pg page) ([]byte, error) {
	feed, extras := h.feed(o, items, states)
	switch f {
	case formatRSS:
		return encodeXML(h.rss(feed, extras, pg))
	case formatAtom:
		return encodeXML(h.atom(feed, extras, pg))
	default:
		return encodeJSON(h.json(feed, extras, pg))
	}
}

// links returns the Atom links of a document: itself, the next page (RFC
// 5005 section 3) and, on the first page, each WebSub hub (W3C WebSub 4).
func (h *handler) links(pg page, selfType string) []feeds.AtomLink {
	ls := []feeds.AtomLink{{Href: pg.self, Rel: "self", Type: selfType}}
	if pg.next != "" {
		ls = append(ls, feeds.AtomLink{Href: pg.next, Rel: "next", Type: selfType})
	}
	if pg.hubs {
		for _, hub := range h.hubs {
			ls = append(ls, feeds.AtomLink{Href: hub, Rel: "hub"})
		}
	}
	return ls
}

// feed builds the format-neutral feed. Every string in it is clean XML text;
// titles, names and Description (the summary) are plain text holding no
// markup; Content is the item's HTML, never empty.
func (h *handler) feed(o *output, items []store.Item, states map[string]store.FeedState) (*feeds.Feed, []extra) {
	f := &feeds.Feed{
		Title:       plain(o.Title),
		Link:        &feeds.Link{Href: h.baseURL + "/"},
		Description: plain(o.Description),
		Id:          "urn:pressfeed:output:" + o.Name,
		Updated:     newest(items, h.started),
		Items:       make([]*feeds.Item, 0, len(items)),
	}
	extras := make([]extra, len(items))
	for i := range items {
		it := &items[i]
		fi := &feeds.Item{
			Id:          xmlText(it.ID), // never empty: gorilla would invent a random one per render
			IsPermaLink: "false",
			Title:       plain(it.Title),
			Description: plain(it.Summary),
			Created:     it.Published,
		}
		if !it.Updated.IsZero() {
			fi.Updated = later(it.Updated, it.Published)
		}
		if link := canon.Strip(xmlText(it.Link)); isHTTP(link) { // items stored before links were stripped too
			fi.Link = &feeds.Link{Href: link}
		}
		ex := &extras[i]
		if ex.author = plain(it.Author); ex.author != "" {
			fi.Author = &feeds.Author{Name: ex.author}
		}
		outlets := make([]outlet, len(it.Members))
		for j, m := range it.Members {
			outlets[j] = h.outlet(m.Feed, states)
		}
		if len(outlets) > 0 {
			ex.source = outlets[0]
		}
		ex.categories = h.categories(outlets)
		fi.Content = itemHTML(it, fi, outlets)
		f.Items = append(f.Items, fi)
	}
	return f, extras
}

// newest returns the time of the newest item, published or corrected; with no
// items, empty. Documents never read the clock: an empty document carries
// the time its handler started (see handler.started).
func newest(items []store.Item, empty time.Time) time.Time {
	if len(items) == 0 {
		return empty
	}
	var t time.Time
	for i := range items {
		t = later(t, later(items[i].Published, items[i].Updated))
	}
	return t
}

// categories returns the display titles of outlets, then the tags of their
// feeds, each once.
func (h *handler) categories(outlets []outlet) []string {
	var cs []string
	seen := make(map[string]bool)
	add := func(c string) {
		if c != "" && !seen[c] {
			seen[c] = true
			cs = append(cs, c)
		}
	}
	for _, o := range outlets {
		add(o.title)
	}
	for _, o := range outlets {
		if f := h.feeds[o.name]; f != nil {
			for _, t := range f.Tags {
				add(plain(t))
			}
		}
	}
	return cs
}

// itemHTML returns the HTML body of an item: its content, else its summary or
// title as a paragraph, then "Cũng đăng trên: …" naming every outlet but the
// leader when several carried it.
func itemHTML(it *store.Item, fi *feeds.Item, outlets []outlet) string {
	var b strings.Builder
	switch content := xmlText(it.Content); {
	case content != "":
		b.WriteString(content)
	case fi.Description != "":
		b.WriteString("<p>" + html.EscapeString(fi.Description) + "</p>")
	default:
		b.WriteString("<p>" + html.EscapeString(fi.Title) + "</p>")
	}
	if len(it.Members) > 1 {
		b.WriteString("<p>Cũng đăng trên: ")
		for j, m := range it.Members[1:] {
			if j > 0 {
				b.WriteString(", ")
			}
			name := html.EscapeString(outlets[j+1].title)
			if link := canon.Strip(xmlText(m.Link)); isHTTP(link) {
				b.WriteString(`<a href="` + html.EscapeString(link) + `">` + name + `</a>`)
			} else {
				b.WriteString(name)
			}
		}
		b.WriteString("</p>")
	}
	return b.String()
}

func encodeXML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	e := xml.NewEncoder(&b)
	e.Indent("", "  ")
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false) // served as application/feed+json with nosniff: no need for \u003c
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// xmlText returns s in NFC without the characters XML 1.0 forbids (C0
// controls but tab and newlines, surrogates, U+FFFE, U+FFFF) and without
// invalid UTF-8. The store promises both already; a single stray character
// would make a whole merged document unparseable, so check again.
func xmlText(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !xmlChar(r, n) {
			clean = false
			break
		}
		i += n
	}
	if !clean {
		b := make([]byte, 0, len(s))
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if xmlChar(r, n) {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
		s = string(b)
	}
	return norm.NFC.String(s)
}

// xmlChar reports whether r, decoded from n bytes, is valid UTF-8 and a
// Char of XML 1.0 (see plaintext.IsXMLChar).
func xmlChar(r rune, n int) bool {
	return !(r == utf8.RuneError && n == 1) && plaintext.IsXMLChar(r)
}
