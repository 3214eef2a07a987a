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

// Documents are built with gorilla/feeds, then the structs it returns are
// wrapped to fix what it gets wrong for us: one category per item, <source>
// as a bare string, no rel="self" link, names in RSS <author>, an empty Atom
// <link href="">, raw CDATA in RSS, the deprecated JSON Feed "author". The
// wrappers embed gorilla's structs and shadow the fields they replace:
// encoding/xml and encoding/json let a shallower field of the same name win.

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
		Updated:     newest(items),
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
// items, the Unix epoch. Documents never use the clock.
func newest(items []store.Item) time.Time {
	t := time.Unix(0, 0).UTC()
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

// RSS 2.0 (https://www.rssboard.org/rss-specification) with the Atom
// namespace for the self link and Dublin Core for author names.

type rssDoc struct {
	XMLName   xml.Name `xml:"rss"`
	Version   string   `xml:"version,attr"`
	NSAtom    string   `xml:"xmlns:atom,attr"`
	NSContent string   `xml:"xmlns:content,attr"`
	NSDC      string   `xml:"xmlns:dc,attr"`
	Channel   rssChannel
}

type rssChannel struct {
	*feeds.RssFeed
	AtomLinks []rssAtomLink
	Items     []rssItem `xml:"item"`
}

type rssAtomLink struct {
	XMLName xml.Name `xml:"atom:link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr"`
	Type    string   `xml:"type,attr,omitempty"`
}

type rssItem struct {
	*feeds.RssItem
	Link       string     `xml:"link,omitempty"` // gorilla writes an empty <link/>
	Creator    string     `xml:"dc:creator,omitempty"`
	Categories []string   `xml:"category"`
	Source     *rssSource `xml:"source"`
}

type rssSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

func (h *handler) rss(f *feeds.Feed, extras []extra, pg page) *rssDoc {
	ch := (&feeds.Rss{Feed: f}).RssFeed()
	if ch.Description == "" {
		ch.Description = ch.Title // required
	}
	ch.Generator = generator
	doc := &rssDoc{
		Version:   "2.0",
		NSAtom:    nsAtom,
		NSContent: nsContent,
		NSDC:      nsDC,
		Channel: rssChannel{
			RssFeed: ch,
			Items:   make([]rssItem, 0, len(ch.Items)),
		},
	}
	for _, l := range h.links(pg, "application/rss+xml") {
		doc.Channel.AtomLinks = append(doc.Channel.AtomLinks, rssAtomLink{Href: l.Href, Rel: l.Rel, Type: l.Type})
	}
	for i, ri := range ch.Items {
		ex := &extras[i]
		ri.Description = f.Items[i].Content
		ri.Content = nil // description carries the HTML; gorilla writes content:encoded as raw CDATA
		ri.Author = ""   // RSS <author> is an e-mail address; the name goes in dc:creator
		x := rssItem{RssItem: ri, Link: ri.Link, Creator: ex.author, Categories: ex.categories}
		if ex.source.url != "" {
			x.Source = &rssSource{URL: ex.source.url, Title: ex.source.title}
		}
		doc.Channel.Items = append(doc.Channel.Items, x)
	}
	ch.Items = nil
	return doc
}

// Atom 1.0 (RFC 4287).

type atomFeed struct {
	*feeds.AtomFeed
	Links   []feeds.AtomLink `xml:"link"`
	Entries []atomEntry      `xml:"entry"`
}

type atomEntry struct {
	Title atomText `xml:"title"`
	*feeds.AtomEntry
	Categories []atomCategory `xml:"category"`
	Source     *atomSource    `xml:"source"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomSource struct {
	ID    string          `xml:"id"`
	Title string          `xml:"title"`
	Link  *feeds.AtomLink // rel="self", only for an http(s) feed URL
}

func (h *handler) atom(f *feeds.Feed, extras []extra, pg page) *atomFeed {
	af := (&feeds.Atom{Feed: f}).AtomFeed()
	af.Id = f.Id // gorilla uses the link, which moves with base_url
	af.Link = nil
	af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: generator}}
	doc := &atomFeed{
		AtomFeed: af,
		Links: append(h.links(pg, "application/atom+xml"),
			feeds.AtomLink{Href: h.baseURL + "/", Rel: "alternate", Type: "text/html"}),
		Entries: make([]atomEntry, 0, len(af.Entries)),
	}
	for i, e := range af.Entries {
		fi, ex := f.Items[i], &extras[i]
		if fi.Link == nil {
			e.Links = nil // gorilla writes <link href=""/>
		}
		if e.Summary != nil {
			e.Summary.Type = "text" // the summary is plain text; gorilla says html
		}
		e.Published = fi.Created.Format(time.RFC3339)
		x := atomEntry{Title: atomText{Type: "text", Text: fi.Title}, AtomEntry: e}
		for _, c := range ex.categories {
			x.Categories = append(x.Categories, atomCategory{Term: c})
		}
		if ex.source.name != "" {
			s := &atomSource{ID: "urn:pressfeed:feed:" + ex.source.name, Title: ex.source.title}
			if ex.source.url != "" {
				s.ID = ex.source.url
				s.Link = &feeds.AtomLink{Href: ex.source.url, Rel: "self"}
			}
			x.Source = s
		}
		doc.Entries = append(doc.Entries, x)
	}
	af.Entries = nil
	return doc
}

// JSON Feed 1.1 (https://jsonfeed.org/version/1.1).

type jsonFeed struct {
	*feeds.JSONFeed
	Items []*feeds.JSONItem `json:"items"` // required, even when empty
}

func (h *handler) json(f *feeds.Feed, extras []extra, pg page) *jsonFeed {
	jf := (&feeds.JSON{Feed: f}).JSONFeed()
	jf.FeedUrl = pg.self
	jf.NextUrl = pg.next
	if pg.hubs {
		for _, hub := range h.hubs {
			jf.Hubs = append(jf.Hubs, &feeds.JSONHub{Type: "WebSub", Url: hub})
		}
	}
	doc := &jsonFeed{JSONFeed: jf, Items: make([]*feeds.JSONItem, 0, len(jf.Items))}
	for i, ji := range jf.Items {
		ji.Author = nil // deprecated in 1.1; authors carries the name
		ji.Tags = extras[i].categories
		doc.Items = append(doc.Items, ji)
	}
	jf.Items = nil
	return doc
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
