package publisher

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// xnode is an XML element as the checks below read it.
type xnode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []xnode    `xml:",any"`
}

func (n *xnode) all(local string) []*xnode {
	var out []*xnode
	for i := range n.Children {
		if n.Children[i].XMLName.Local == local {
			out = append(out, &n.Children[i])
		}
	}
	return out
}

func (n *xnode) attr(local string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// walk calls fn on n and every element below it.
func (n *xnode) walk(fn func(*xnode)) {
	fn(n)
	for i := range n.Children {
		n.Children[i].walk(fn)
	}
}

// TestValidatorRules checks the merged documents against the rules behind
// the W3C feed validator's warnings that concern pressfeed: dates must be
// plausible (not 1970), every Atom entry has an author of its own or the
// feed's (RFC 4287 4.1.1) and the feed one only when an entry needs it (it
// would be credited with every entry), every atom:source carries updated,
// RSS <author> holds only an e-mail address, and every document links
// itself with rel="self". It runs on the fixture (merged stories), on a
// second page and on an empty output.
func TestValidatorRules(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{
		Outputs: []Output{{Name: "all"}, {Name: "none", Include: []string{"không có tin này"}}},
	})
	for _, path := range []string{"/feeds/all", "/feeds/all?limit=2", "/feeds/none"} {
		for f := range numFormats {
			if f == formatJSON {
				continue // CI checks JSON Feed against its schema
			}
			name, query, _ := strings.Cut(path, "?")
			url := name + formats[f].ext
			if query != "" {
				url += "?" + query
			}
			t.Run(url, func(t *testing.T) {
				w := get(h, http.MethodGet, url)
				if w.Code != http.StatusOK {
					t.Fatalf("%d %s", w.Code, w.Body)
				}
				var doc xnode
				if err := xml.NewDecoder(bytes.NewReader(w.Body.Bytes())).Decode(&doc); err != nil {
					t.Fatal(err)
				}
				checkDates(t, f, &doc)
				checkSelf(t, f, &doc)
				if f == formatAtom {
					checkAtomAuthors(t, &doc)
				} else {
					checkRSSAuthors(t, &doc)
				}
			})
		}
	}
}

// checkDates wants every date to parse and fall between 2000 and now.
func checkDates(t *testing.T, f format, doc *xnode) {
	t.Helper()
	names, layout := []string{"pubDate", "lastBuildDate"}, time.RFC1123Z
	if f == formatAtom {
		names, layout = []string{"updated", "published"}, time.RFC3339
	}
	n := 0
	doc.walk(func(e *xnode) {
		for _, name := range names {
			if e.XMLName.Local != name {
				continue
			}
			n++
			d, err := time.Parse(layout, strings.TrimSpace(e.Text))
			if err != nil {
				t.Errorf("<%s>%s</%s>: %v", name, e.Text, name, err)
			} else if d.Year() < 2000 || d.After(time.Now()) {
				t.Errorf("<%s>%s</%s> is implausible", name, e.Text, name)
			}
		}
	})
	if n == 0 {
		t.Error("no date in the document")
	}
}

// checkSelf wants one rel="self" link on the feed or channel.
func checkSelf(t *testing.T, f format, doc *xnode) {
	t.Helper()
	top := doc
	if f == formatRSS {
		chs := doc.all("channel")
		if len(chs) != 1 {
			t.Fatalf("%d channels", len(chs))
		}
		top = chs[0]
	}
	self := 0
	for _, l := range top.all("link") {
		if l.attr("rel") == "self" && l.attr("href") != "" {
			self++
		}
	}
	if self != 1 {
		t.Errorf("%d rel=\"self\" links, want 1", self)
	}
}

func checkAtomAuthors(t *testing.T, doc *xnode) {
	t.Helper()
	feedAuthor := len(doc.all("author")) > 0
	needed := len(doc.all("entry")) == 0
	for _, e := range doc.all("entry") {
		id := ""
		if ids := e.all("id"); len(ids) == 1 {
			id = ids[0].Text
		}
		as := e.all("author")
		if len(as) == 0 {
			needed = true
		}
		for _, a := range as {
			if ns := a.all("name"); len(ns) != 1 || strings.TrimSpace(ns[0].Text) == "" {
				t.Errorf("entry %s: author without a name", id)
			}
		}
		for _, s := range e.all("source") {
			if len(s.all("updated")) != 1 {
				t.Errorf("entry %s: <source> without <updated>", id)
			}
		}
	}
	if needed && !feedAuthor {
		t.Error("an entry has no author and neither has the feed (RFC 4287 4.1.1)")
	}
	if !needed && feedAuthor {
		t.Error("the feed names an author although every entry has its own: entries would inherit it")
	}
}

func checkRSSAuthors(t *testing.T, doc *xnode) {
	t.Helper()
	doc.walk(func(e *xnode) {
		if e.XMLName.Local == "author" && e.XMLName.Space == "" {
			if _, err := mail.ParseAddress(e.Text); err != nil || strings.ContainsAny(e.Text, "()") {
				t.Errorf("RSS <author>%s</author> is not only an e-mail address", e.Text)
			}
		}
	})
}
