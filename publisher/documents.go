package publisher

import (
	"encoding/xml"
	"time"

	"github.com/gorilla/feeds"
)

// The structs marshalled into RSS and Atom documents. gorilla/feeds builds
// the model (feeds.Feed) and formats dates, GUIDs and content; its own
// output structs are not marshalled because of these defects (gorilla/feeds
// v1.2.0), each worked around by the struct named:
//
//   - one category per item, <source> as a bare string (invalid in RSS and
//     Atom): rssItem.Categories, rssItem.Source, atomEntry.Categories,
//     atomEntry.Source;
//   - names in RSS <author>, which must be an e-mail address: rssItem
//     writes the name as dc:creator and has no <author>;
//   - an empty <link/> in RSS and <link href=""/> in Atom for an item
//     without a link: rssItem.Link and atomEntry.Links omit them;
//   - RSS content:encoded as raw CDATA: rssItem has none, <description>
//     carries the (escaped) HTML;
//   - no rel="self", rel="next" or rel="hub" links: rssChannel.AtomLinks,
//     atomFeed.Links;
//   - the Atom feed id taken from its link, which moves with base_url, and
//     a summary typed "html" although it is plain text: atomFeed.ID,
//     atomEntry.Summary;
//   - the JSON Feed "items" left out when empty (the schema requires it):
//     jsonFeed.
//
// Two more are met in the model rather than here (see handler.feed): a
// random id for an item without one, on every render, and a JSON Feed
// item without content_html when only Description is set; Id and Content
// are always set.
//
// Each builder copies what gorilla got right field by field, so nothing
// relies on which of two same-named fields encoding/xml prefers.

// RSS 2.0 (https://www.rssboard.org/rss-specification) with the Atom
// namespace for links and Dublin Core for author names.

type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	NSAtom    string     `xml:"xmlns:atom,attr"`
	NSContent string     `xml:"xmlns:content,attr"`
	NSDC      string     `xml:"xmlns:dc,attr"`
	Channel   rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string        `xml:"title"`
	Link          string        `xml:"link"`
	Description   string        `xml:"description"`
	PubDate       string        `xml:"pubDate,omitempty"`
	LastBuildDate string        `xml:"lastBuildDate,omitempty"`
	Generator     string        `xml:"generator,omitempty"`
	AtomLinks     []rssAtomLink `xml:"atom:link"`
	Items         []rssItem     `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type rssItem struct {
	Title       string         `xml:"title"`
	Description string         `xml:"description"`
	GUID        *feeds.RssGuid `xml:"guid"`
	PubDate     string         `xml:"pubDate,omitempty"`
	Link        string         `xml:"link,omitempty"`
	Creator     string         `xml:"dc:creator,omitempty"`
	Categories  []string       `xml:"category"`
	Source      *rssSource     `xml:"source"`
}

type rssSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

func (h *handler) rss(f *feeds.Feed, extras []extra, pg page) *rssDoc {
	ch := (&feeds.Rss{Feed: f}).RssFeed() // dates and GUIDs
	doc := &rssDoc{
		Version:   "2.0",
		NSAtom:    nsAtom,
		NSContent: nsContent,
		NSDC:      nsDC,
		Channel: rssChannel{
			Title:         ch.Title,
			Link:          ch.Link,
			Description:   ch.Description,
			PubDate:       ch.PubDate,
			LastBuildDate: ch.LastBuildDate,
			Generator:     generator,
			Items:         make([]rssItem, 0, len(ch.Items)),
		},
	}
	if doc.Channel.Description == "" {
		doc.Channel.Description = ch.Title // required
	}
	for _, l := range h.links(pg, "application/rss+xml") {
		doc.Channel.AtomLinks = append(doc.Channel.AtomLinks, rssAtomLink{Href: l.Href, Rel: l.Rel, Type: l.Type})
	}
	for i, ri := range ch.Items {
		ex := &extras[i]
		x := rssItem{
			Title:       ri.Title,
			Description: f.Items[i].Content, // the HTML
			GUID:        ri.Guid,
			PubDate:     ri.PubDate,
			Link:        ri.Link,
			Creator:     ex.author,
			Categories:  ex.categories,
		}
		if ex.source.url != "" {
			x.Source = &rssSource{URL: ex.source.url, Title: ex.source.title}
		}
		doc.Channel.Items = append(doc.Channel.Items, x)
	}
	return doc
}

// Atom 1.0 (RFC 4287).

type atomFeed struct {
	XMLName  xml.Name         `xml:"feed"`
	Xmlns    string           `xml:"xmlns,attr"`
	Title    string           `xml:"title"`
	ID       string           `xml:"id"`
	Updated  string           `xml:"updated"`
	Subtitle string           `xml:"subtitle,omitempty"`
	Author   *atomPerson      `xml:"author"`
	Links    []feeds.AtomLink `xml:"link"`
	Entries  []atomEntry      `xml:"entry"`
}

type atomEntry struct {
	Title      atomText           `xml:"title"`
	Updated    string             `xml:"updated"`
	ID         string             `xml:"id"`
	Content    *feeds.AtomContent `xml:"content"`
	Published  string             `xml:"published,omitempty"`
	Links      []feeds.AtomLink   `xml:"link"`
	Summary    *atomText          `xml:"summary"`
	Author     *atomPerson        `xml:"author"`
	Categories []atomCategory     `xml:"category"`
	Source     *atomSource        `xml:"source"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// atomSource is the leading outlet's feed (RFC 4287 4.2.11). Updated is
// the entry's own updated time: the source feed held the entry as of then,
// so it was updated no earlier, and the value depends only on the item.
type atomSource struct {
	ID      string          `xml:"id"`
	Title   string          `xml:"title"`
	Updated string          `xml:"updated"`
	Link    *feeds.AtomLink // rel="self", only for an http(s) feed URL
}

// atom builds the Atom document. Every entry names an author (RFC 4287
// 4.2.1): its byline, else the outlet that leads it, which published it.
// The feed names pressfeed as its author only when an entry has neither
// (an empty feed, an item no outlet carries any more), since atom:feed
// must then have one (4.1.1) and entries without their own inherit it:
// no outlet's story is credited to pressfeed.
func (h *handler) atom(f *feeds.Feed, extras []extra, pg page) *atomFeed {
	af := (&feeds.Atom{Feed: f}).AtomFeed() // dates, content
	doc := &atomFeed{
		Xmlns:    af.Xmlns,
		Title:    af.Title,
		ID:       f.Id, // gorilla uses the link, which moves with base_url
		Updated:  af.Updated,
		Subtitle: af.Subtitle,
		Links: append(h.links(pg, "application/atom+xml"),
			feeds.AtomLink{Href: h.baseURL + "/", Rel: "alternate", Type: "text/html"}),
		Entries: make([]atomEntry, 0, len(af.Entries)),
	}
	orphans := len(af.Entries) == 0
	for i, e := range af.Entries {
		fi, ex := f.Items[i], &extras[i]
		x := atomEntry{
			Title:     atomText{Type: "text", Text: fi.Title},
			Updated:   e.Updated,
			ID:        e.Id,
			Content:   e.Content,
			Published: fi.Created.Format(time.RFC3339),
		}
		if fi.Link != nil {
			x.Links = e.Links
		}
		if e.Summary != nil {
			x.Summary = &atomText{Type: "text", Text: e.Summary.Content}
		}
		switch {
		case ex.author != "":
			x.Author = &atomPerson{Name: ex.author}
		case ex.source.title != "":
			x.Author = &atomPerson{Name: ex.source.title}
		default:
			orphans = true
		}
		for _, c := range ex.categories {
			x.Categories = append(x.Categories, atomCategory{Term: c})
		}
		if ex.source.name != "" {
			s := &atomSource{ID: "urn:pressfeed:feed:" + ex.source.name, Title: ex.source.title, Updated: e.Updated}
			if ex.source.url != "" {
				s.ID = ex.source.url
				s.Link = &feeds.AtomLink{Href: ex.source.url, Rel: "self"}
			}
			x.Source = s
		}
		doc.Entries = append(doc.Entries, x)
	}
	if orphans {
		doc.Author = &atomPerson{Name: generator}
	}
	return doc
}

// JSON Feed 1.1 (https://jsonfeed.org/version/1.1). The items are
// gorilla's (each with the deprecated "author" left out); the top level is
// ours so that "items" is written even when empty.

type jsonFeed struct {
	Version     string            `json:"version"`
	Title       string            `json:"title"`
	HomePageURL string            `json:"home_page_url,omitempty"`
	FeedURL     string            `json:"feed_url,omitempty"`
	Description string            `json:"description,omitempty"`
	NextURL     string            `json:"next_url,omitempty"`
	Hubs        []*feeds.JSONHub  `json:"hubs,omitempty"`
	Items       []*feeds.JSONItem `json:"items"` // required, even when empty
}

func (h *handler) json(f *feeds.Feed, extras []extra, pg page) *jsonFeed {
	jf := (&feeds.JSON{Feed: f}).JSONFeed()
	doc := &jsonFeed{
		Version:     jf.Version,
		Title:       jf.Title,
		HomePageURL: jf.HomePageUrl,
		FeedURL:     pg.self,
		Description: jf.Description,
		NextURL:     pg.next,
		Items:       make([]*feeds.JSONItem, 0, len(jf.Items)),
	}
	if pg.hubs {
		for _, hub := range h.hubs {
			doc.Hubs = append(doc.Hubs, &feeds.JSONHub{Type: "WebSub", Url: hub})
		}
	}
	for i, ji := range jf.Items {
		ji.Author = nil // deprecated in 1.1; authors carries the name
		ji.Tags = extras[i].categories
		doc.Items = append(doc.Items, ji)
	}
	return doc
}
