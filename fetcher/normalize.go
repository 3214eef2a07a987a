package fetcher

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/pressfeed/pressfeed/fetcher/feeddate"
	"github.com/pressfeed/pressfeed/fetcher/sanitize"
	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/plaintext"
	"github.com/pressfeed/pressfeed/store"
	"github.com/pressfeed/pressfeed/vntext"
)

// Bounds on what one document may bring.
const (
	maxItems      = 1000               // items taken from one document
	maxTitleRunes = 512                // a title is cut here, at a character boundary
	maxSummary    = sanitize.TextRunes // runes of plain-text summary
	maxGUID       = 512                // longer GUIDs are hashed
	futureSlack   = 10 * time.Minute
)

// minTitleWords and minTitleRunes keep short, generic headlines ("Video",
// "Tin nóng") from merging unrelated stories across outlets.
const (
	minTitleWords = 3
	minTitleRunes = 12
)

// normalize turns a parsed document into the items pressfeed stores. base
// resolves relative links; loc is the zone of dates that name none; now is
// the fetch time, the date of undated items and the latest date allowed
// (plus a little slack).
func normalize(doc *gofeed.Feed, base *url.URL, loc *time.Location, now time.Time) []store.Incoming {
	if link, err := sanitize.AbsoluteURL(base, doc.Link); err == nil && link != "" {
		if u, err := url.Parse(link); err == nil {
			base = u
		}
	}
	n := min(len(doc.Items), maxItems)
	out := make([]store.Incoming, 0, n)
	kinds := kindsOf(doc)
	for _, gi := range doc.Items[:n] {
		if gi == nil {
			continue
		}
		out = append(out, normalizeItem(gi, kinds, base, loc, now))
	}
	return out
}

// normalizeItem turns a parsed item into the item pressfeed stores; kinds
// says what its text fields hold.
func normalizeItem(gi *gofeed.Item, kinds fieldKinds, base *url.URL, loc *time.Location, now time.Time) store.Incoming {
	var in store.Incoming
	in.Title = plaintext.Truncate(plaintext.From(gi.Title, kinds.title), maxTitleRunes)

	link := itemLink(gi, base)
	if link != "" {
		in.Link = link
		in.LinkKey, _ = canonicalLink(nil, link)
	}
	linkBase := base
	if u, err := url.Parse(link); link != "" && err == nil {
		linkBase = u
	}

	rawHTML := gi.Content
	if strings.TrimSpace(rawHTML) == "" {
		rawHTML = gi.Description
	}
	summarySrc := gi.Description
	if strings.TrimSpace(summarySrc) == "" {
		summarySrc = gi.Content
	}
	// Most feeds carry one of the two: then one pass gives both.
	var text string
	if summarySrc != rawHTML {
		in.Content = sanitize.HTML(linkBase, rawHTML)
		text = plaintext.From(summarySrc, kinds.summary)
	} else {
		in.Content, text = sanitize.WithText(linkBase, rawHTML)
		// The sanitiser's text is clean and collapsed, but holds the
		// HTML's character references decoded and the raw text of
		// textarea, xmp and plaintext: what reads as markup there is
		// defused, the last step of plaintext.From.
		text = plaintext.Defuse(text)
	}
	in.Summary = plaintext.TruncateWords(strings.TrimSpace(text), maxSummary)
	if in.Title == "" {
		// Untitled items (some RSS 0.9x feeds) take the start of their text.
		in.Title = plaintext.TruncateWords(in.Summary, 120)
	}
	in.Author = itemAuthor(gi, kinds.author)

	in.GUID = sanitize.Text(strings.TrimSpace(gi.GUID))
	if len(in.GUID) > maxGUID {
		sum := sha256.Sum256([]byte(in.GUID))
		in.GUID = "sha256:" + hex.EncodeToString(sum[:])
	}

	in.TitleKey = vntext.TitleKey(in.Title)
	if in.GUID == "" && in.LinkKey == "" {
		// The hash identifies only an item with neither GUID nor link.
		h := sha256.New()
		h.Write([]byte(in.TitleKey))
		h.Write([]byte{0})
		h.Write([]byte(vntext.TitleKey(in.Summary)))
		h.Write([]byte{0})
		h.Write([]byte(in.Content))
		in.HashKey = hex.EncodeToString(h.Sum(nil)[:16])
	}
	if !hasFields(in.TitleKey, minTitleWords) || utf8.RuneCountInString(in.TitleKey) < minTitleRunes {
		in.TitleKey = ""
	}

	in.Published, in.Dated = itemDate(gi, loc, now)
	return in
}

// itemDate returns the item's publication date, read in loc when it names
// no zone, and whether the source gave one. A date more than futureSlack
// after now is clamped to now; no date means now.
func itemDate(gi *gofeed.Item, loc *time.Location, now time.Time) (time.Time, bool) {
	candidates := []struct {
		raw    string
		parsed *time.Time
	}{{gi.Published, gi.PublishedParsed}, {gi.Updated, gi.UpdatedParsed}}
	for _, c := range candidates {
		t, ok := feeddate.Parse(c.raw, loc)
		if !ok && c.parsed != nil && c.parsed.Year() >= 1970 && c.parsed.Year() <= 9999 {
			t, ok = c.parsed.UTC(), true
		}
		if !ok {
			continue
		}
		if t.After(now.Add(futureSlack)) {
			return now, true
		}
		return t, true
	}
	return now, false
}

func itemLink(gi *gofeed.Item, base *url.URL) string {
	cands := append([]string{gi.Link}, gi.Links...)
	for _, c := range cands {
		if l, err := sanitize.AbsoluteURL(base, c); err == nil && l != "" {
			return l
		}
	}
	// RSS items often put the permalink in <guid isPermaLink="true"> only.
	if l, err := sanitize.AbsoluteURL(nil, gi.GUID); err == nil && l != "" {
		return l
	}
	return ""
}

func itemAuthor(gi *gofeed.Item, kind plaintext.Kind) string {
	var name string
	switch {
	case len(gi.Authors) > 0 && gi.Authors[0] != nil:
		name = gi.Authors[0].Name
		if name == "" {
			name = gi.Authors[0].Email
		}
	case gi.DublinCoreExt != nil && len(gi.DublinCoreExt.Creator) > 0:
		name = gi.DublinCoreExt.Creator[0]
	}
	return plaintext.Truncate(plaintext.From(name, kind), 200)
}

// canonicalLink returns the form of a link used to recognise one story across
// feeds (see canon.Link), resolved against base. It is a key, not a link to
// show.
func canonicalLink(base *url.URL, raw string) (string, error) {
	abs, err := sanitize.AbsoluteURL(base, raw)
	if err != nil {
		return "", err
	}
	if abs == "" {
		return "", sanitize.ErrNotHTTP
	}
	return canon.Link(abs)
}

// plainText returns the plain text of s, a field that may hold HTML (an
// RSS or Atom title, description or author): see plaintext.From.
func plainText(s string) string {
	return plaintext.From(s, plaintext.HTML)
}

// feedTitle returns the plain text of doc's own title, read as its
// format says (see kindsOf).
func feedTitle(doc *gofeed.Feed) string {
	return plaintext.Truncate(plaintext.From(doc.Title, kindsOf(doc).title), maxTitleRunes)
}

// fieldKinds says what a document's title, summary and author fields hold
// once the parser has undone the format's own escaping.
type fieldKinds struct{ title, summary, author plaintext.Kind }

// kindsOf returns the kinds of doc's fields. RSS says nothing, and
// readers and publishers alike treat its fields as HTML. Atom says, but
// gofeed decodes type="text" and type="html" alike and reports neither, so
// its text constructs are read as HTML, the reading that turns a publisher's
// HTML into text and leaves no markup in a plain-text title; a person's
// name is text. JSON Feed's title, summary and author names are plain text.
func kindsOf(doc *gofeed.Feed) fieldKinds {
	switch doc.FeedType {
	case "json":
		return fieldKinds{plaintext.Text, plaintext.Text, plaintext.Text}
	case "atom":
		return fieldKinds{plaintext.HTML, plaintext.HTML, plaintext.Text}
	}
	return fieldKinds{plaintext.HTML, plaintext.HTML, plaintext.HTML}
}

// hasFields reports whether len(strings.Fields(s)) >= n, without the slice.
func hasFields(s string, n int) bool {
	fields, inField := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			inField = false
		} else if !inField {
			inField = true
			if fields++; fields >= n {
				return true
			}
		}
	}
	return fields >= n
}
