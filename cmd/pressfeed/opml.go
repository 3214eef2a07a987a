package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/vntext"
)

// opmlNS is the namespace of pressfeed's own outline attribute, the feed
// name, so that export-opml and import-opml round-trip it.
const opmlNS = "urn:pressfeed:opml"

// opmlDoc is an OPML 2.0 document (http://opml.org/spec2.opml).
type opmlDoc struct {
	XMLName xml.Name  `xml:"opml"`
	Version string    `xml:"version,attr"`
	NS      string    `xml:"xmlns:pressfeed,attr,omitempty"`
	Title   string    `xml:"head>title"`
	Body    []outline `xml:"body>outline"`
	Note    string    `xml:",comment"` // feeds export-opml left out, and why
}

// outline is one feed (with XMLURL) or a folder of outlines.
type outline struct {
	Text     string     `xml:"text,attr"`
	Title    string     `xml:"title,attr,omitempty"`
	Type     string     `xml:"type,attr,omitempty"`
	XMLURL   string     `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string     `xml:"htmlUrl,attr,omitempty"`
	Category string     `xml:"category,attr,omitempty"` // comma-separated; pressfeed writes its tags here
	Name     string     `xml:"pressfeed:name,attr,omitempty"`
	Attrs    []xml.Attr `xml:",any,attr"` // the name again on import, under its resolved namespace
	Children []outline  `xml:"outline"`
}

func runExportOPML(ctx context.Context, inv *invocation) error {
	if err := inv.wantArgs(0, 0); err != nil {
		return err
	}
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	creds := inv.flags.Lookup("with-credentials").Value.String() == "true"
	return exportOPML(inv.stdout, cfg, creds)
}

// exportOPML writes cfg's feeds as OPML. Passwords in feed URLs are masked
// unless withCredentials.
func exportOPML(w io.Writer, cfg *config, withCredentials bool) error {
	doc := opmlDoc{Version: "2.0", NS: opmlNS, Title: "pressfeed feeds"}
	for _, f := range cfg.Feeds {
		u := f.URL
		if !withCredentials {
			u = redact(u)
		}
		text := f.Title
		if text == "" {
			text = f.Name
		}
		o := outline{Text: text, Title: f.Title, Type: "rss", XMLURL: u,
			Category: strings.Join(f.Tags, ","), Name: f.Name}
		if f.Format != "" && f.Format != scrape.FormatFeed {
			o, ok := freshRSSOutline(f, o)
			if !ok {
				doc.Note += exportNote(f)
				continue
			}
			doc.Body = append(doc.Body, o)
			continue
		}
		doc.Body = append(doc.Body, o)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("export-opml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func runImportOPML(ctx context.Context, inv *invocation) error {
	if err := inv.wantArgs(1, 1); err != nil {
		return err
	}
	f, err := os.Open(inv.args[0])
	if err != nil {
		return fmt.Errorf("import-opml: %w", err)
	}
	defer f.Close()
	return importOPML(inv.stdout, f)
}

// importedFeed is a [[feeds]] block written by import-opml.
type importedFeed struct {
	Name  string   `toml:"name"`
	URL   string   `toml:"url"`
	Title string   `toml:"title,omitempty"`
	Tags  []string `toml:"tags,omitempty"`

	Format string          `toml:"format,omitempty"` // "html" for FreshRSS HTML+XPath outlines
	Select *importedSelect `toml:"select,omitempty"`
}

// importOPML reads OPML from r and writes one [[feeds]] block per feed
// outline. Names come from pressfeed's own attribute, else from the title;
// folders become tags.
func importOPML(w io.Writer, r io.Reader) error {
	var doc opmlDoc
	dec := xml.NewDecoder(io.LimitReader(r, 64<<20))
	dec.Strict = false // OPML in the wild has stray entities and unquoted ampersands
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("import-opml: %w", err)
	}
	var feeds []importedFeed
	var notes []string // outlines left out, and why
	used := map[string]bool{}
	var walk func(outs []outline, folders []string)
	walk = func(outs []outline, folders []string) {
		for _, o := range outs {
			if o.XMLURL == "" {
				walk(o.Children, slices.Concat(folders, []string{slug(firstOf(o.Title, o.Text))}))
				continue
			}
			f := importedFeed{URL: strings.TrimSpace(o.XMLURL), Title: strings.TrimSpace(firstOf(o.Title, o.Text))}
			name := o.name()
			if name == "" {
				name = slug(firstOf(f.Title, hostOf(f.URL)))
			}
			if name == "" {
				name = "feed"
			}
			f.Name = name
			for i := 2; used[f.Name]; i++ {
				f.Name = fmt.Sprintf("%s-%d", name, i)
			}
			used[f.Name] = true
			if n := o.name(); n != "" && o.Title == "" && o.Text == n {
				f.Title = "" // exported without a title: text repeats the name
			}
			seen := map[string]bool{}
			for _, t := range append(splitCategories(o.Category), folders...) {
				if t != "" && !seen[t] {
					seen[t] = true
					f.Tags = append(f.Tags, t)
				}
			}
			if why := f.fromFreshRSS(&o); why != "" {
				notes = append(notes, fmt.Sprintf("%s (%s): %s", f.Name, redact(f.URL), why))
				continue
			}
			feeds = append(feeds, f)
			walk(o.Children, folders)
		}
	}
	walk(doc.Body, nil)
	if len(feeds) == 0 {
		return fmt.Errorf("import-opml: no feed outlines (with xmlUrl) found")
	}
	enc := toml.NewEncoder(w)
	enc.Indent = "" // blocks to paste at the top level of config.toml
	if err := enc.Encode(struct {
		Feeds []importedFeed `toml:"feeds"`
	}{feeds}); err != nil {
		return err
	}
	return writeImportNotes(w, notes)
}

// name returns pressfeed's name attribute, in whatever prefix the file
// bound its namespace to.
func (o *outline) name() string {
	if o.Name != "" {
		return o.Name
	}
	for _, a := range o.Attrs {
		if a.Name.Local == "name" && (a.Name.Space == opmlNS || a.Name.Space == "pressfeed") {
			if n := strings.TrimSpace(a.Value); nameRE.MatchString(n) {
				return n
			}
		}
	}
	return ""
}

// splitCategories reads an OPML category attribute: comma-separated,
// each possibly a slash path ("/news/world" gives news and world).
func splitCategories(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		for _, part := range strings.Split(c, "/") {
			if t := slug(part); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// slug turns a title into a name that config.toml accepts ([a-z0-9-]+):
// "Tuổi Trẻ – Thời sự" becomes "tuoi-tre-thoi-su".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range vntext.Fold(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > 60 {
		out = strings.TrimRight(out[:60], "-")
	}
	return out
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func hostOf(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Hostname()
	}
	return ""
}
