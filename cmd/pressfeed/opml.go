package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/publisher"
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
	feeds := make([]publisher.Feed, 0, len(cfg.Feeds))
	for _, f := range cfg.Feeds {
		u := f.URL
		if !withCredentials {
			u = canon.Redact(u)
		}
		feeds = append(feeds, publisher.Feed{Name: f.Name, Title: f.Title, URL: u, Tags: f.Tags,
			Format: f.Format, Select: scrape.Select(f.Select)})
	}
	return publisher.WriteOPML(w, feeds)
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
	return importOPML(inv.stdout, inv.stderr, f)
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
// folders become tags. A feed that someone else's OPML file should not
// bring into the config (see leaveOut) is written as a TOML comment
// instead, and said on stderr.
func importOPML(w, stderr io.Writer, r io.Reader) error {
	doc, err := decodeOPML(r)
	if err != nil {
		return err
	}
	imp := &opmlImport{used: map[string]bool{}}
	imp.walk(doc.Body, nil)
	if len(imp.feeds) == 0 && len(imp.leftOut) == 0 {
		return fmt.Errorf("import-opml: no feed outlines (with xmlUrl) found")
	}
	return imp.write(w, stderr)
}

// decodeOPML reads an OPML document, and says plainly when r holds none:
// no XML at all, or XML whose root is not <opml> (a feed, a web page).
func decodeOPML(r io.Reader) (*opmlDoc, error) {
	src := &endReader{r: io.LimitReader(r, maxOPML)}
	dec := xml.NewDecoder(src)
	dec.Strict = false // OPML in the wild has stray entities and unquoted ampersands
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("import-opml: not an OPML file: it holds no XML element (empty, or not XML)")
		}
		if err != nil {
			return nil, fmt.Errorf("import-opml: not an OPML file: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue // prolog, comments, text before the root
		}
		if se.Name.Local != "opml" {
			hint := ""
			switch strings.ToLower(se.Name.Local) {
			case "rss", "feed", "rdf":
				hint = " (a feed: add its URL to config.toml as a [[feeds]] block)"
			case "html":
				hint = " (a web page)"
			}
			return nil, fmt.Errorf("import-opml: not an OPML file: its root element is <%s>, not <opml>%s", se.Name.Local, hint)
		}
		var doc opmlDoc
		if err := dec.DecodeElement(&doc, &se); err != nil {
			if src.ended && dec.InputOffset() >= src.n {
				return nil, fmt.Errorf("import-opml: the OPML document ends before </opml> (cut short, or over %d MiB)", maxOPML>>20)
			}
			return nil, fmt.Errorf("import-opml: %w", err)
		}
		return &doc, nil
	}
}

// maxOPML bounds the OPML read by import-opml.
const maxOPML = 64 << 20

// endReader records whether its reader reached the end, and how many bytes
// it gave: a decoding error at that end means the document was cut short.
type endReader struct {
	r     io.Reader
	n     int64
	ended bool
}

func (e *endReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.n += int64(n)
	if err == io.EOF {
		e.ended = true
	}
	return n, err
}

// opmlImport collects the feeds of an OPML document for import-opml.
type opmlImport struct {
	feeds   []importedFeed
	leftOut []string // the comment lines
	notes   []string // outlines left out, and why
	used    map[string]bool
}

// walk imports the feed outlines of outs and below, in folders.
func (imp *opmlImport) walk(outs []outline, folders []string) {
	for _, o := range outs {
		if o.XMLURL == "" {
			imp.walk(o.Children, slices.Concat(folders, []string{slug(firstOf(o.Title, o.Text))}))
			continue
		}
		f := importedFeed{URL: strings.TrimSpace(o.XMLURL), Title: strings.TrimSpace(firstOf(o.Title, o.Text))}
		if shown, why := leaveOut(f.URL); why != "" {
			imp.leftOut = append(imp.leftOut, fmt.Sprintf("left out: %s (%s)", shown, why))
			imp.walk(o.Children, folders)
			continue
		}
		imp.name(&f, &o)
		seen := map[string]bool{}
		for _, t := range append(splitCategories(o.Category), folders...) {
			if t != "" && !seen[t] {
				seen[t] = true
				f.Tags = append(f.Tags, t)
			}
		}
		if why := f.fromFreshRSS(&o); why != "" {
			imp.notes = append(imp.notes, fmt.Sprintf("%s (%s): %s", f.Name, canon.Redact(f.URL), why))
			continue
		}
		imp.feeds = append(imp.feeds, f)
		imp.walk(o.Children, folders)
	}
}

// name gives f a name not used yet: pressfeed's own attribute, else a slug
// of its title or host.
func (imp *opmlImport) name(f *importedFeed, o *outline) {
	name := o.name()
	if name == "" {
		name = slug(firstOf(f.Title, hostOf(f.URL)))
	}
	if name == "" {
		name = "feed"
	}
	f.Name = name
	for i := 2; imp.used[f.Name]; i++ {
		f.Name = fmt.Sprintf("%s-%d", name, i)
	}
	imp.used[f.Name] = true
	if n := o.name(); n != "" && o.Title == "" && o.Text == n {
		f.Title = "" // exported without a title: text repeats the name
	}
}

// write prints the comments for the feeds left out (also on stderr), then
// the [[feeds]] blocks, then the notes.
func (imp *opmlImport) write(w, stderr io.Writer) error {
	for _, line := range imp.leftOut {
		fmt.Fprintln(stderr, "import-opml:", line)
		if _, err := fmt.Fprintf(w, "# %s\n", line); err != nil {
			return err
		}
	}
	if len(imp.feeds) == 0 {
		return nil
	}
	if len(imp.leftOut) > 0 {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	enc := toml.NewEncoder(w)
	enc.Indent = "" // blocks to paste at the top level of config.toml
	if err := enc.Encode(struct {
		Feeds []importedFeed `toml:"feeds"`
	}{imp.feeds}); err != nil {
		return err
	}
	return writeImportNotes(w, imp.notes)
}

// leaveOut says why the feed at rawURL, found in an OPML file, is not
// imported: a file: feed (someone else's file could name any file on this
// host), or a host that is localhost or a literal address no feed should
// be at (loopback, private, link-local, special-purpose: what the fetcher
// refuses unless fetch.allow_networks lists it), or a numeric host that
// is no plain IP address (127.1, 0x7f000001, 2130706433: resolvers read
// these as IPv4 addresses). It returns "" for a feed to import, and the
// URL as it may be shown, with its password masked.
func leaveOut(rawURL string) (shown, why string) {
	const noFiles = "file: feeds from an OPML file are not imported"
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.HasPrefix(strings.ToLower(rawURL), "file:") {
			return commentSafe(rawURL), noFiles
		}
		return "", "" // config validation says what is wrong with it
	}
	shown = commentSafe(u.Redacted())
	if u.Scheme == "file" {
		return shown, noFiles
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	const notImported = "feeds at loopback, private or special-purpose addresses are not imported"
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return shown, host + " is loopback: " + notImported
	}
	if a, err := netip.ParseAddr(host); err == nil {
		var be *fetcher.BlockedError
		if err := fetcher.CheckAddr(a, nil); errors.As(err, &be) {
			if be.Embedded.IsValid() {
				return shown, fmt.Sprintf("%s is %s of %s, which is %s: %s", host, be.Via, be.Embedded, be.Reason, notImported)
			}
			return shown, fmt.Sprintf("%s is %s: %s", host, be.Reason, notImported)
		}
		return "", ""
	}
	if i := strings.LastIndexByte(host, '.'); numericLabel(host[i+1:]) {
		return shown, host + " is a numeric address in a form resolvers read as IPv4: " + notImported
	}
	return "", ""
}

// commentSafe replaces the characters a TOML comment may not hold (control
// characters other than tab; a newline would end the comment).
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// numericLabel reports whether a last host label is a number, decimal or
// 0x hexadecimal: no top-level domain is, so the host is an address.
func numericLabel(s string) bool {
	if s == "" {
		return false
	}
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		return strings.Trim(h, "0123456789abcdef") == ""
	}
	return strings.Trim(s, "0123456789") == ""
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
