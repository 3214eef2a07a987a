package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
)

// FreshRSS describes web scraping sources in OPML with outlines of type
// "HTML+XPath" and attributes in its own namespace
// (https://freshrss.org/docs/en/developers/OPML.html). import-opml turns
// them into format = "html" feeds and export-opml writes those back, so
// that an operator can move either way.
const (
	frssNS        = "https://freshrss.org/opml"
	frssHTMLXPath = "HTML+XPath"
)

// frssKeys pairs FreshRSS's attributes with our [feeds.select] keys.
var frssKeys = []struct{ attr, key string }{
	{"xPathItem", "item"},
	{"xPathItemTitle", "title"},
	{"xPathItemContent", "summary"},
	{"xPathItemUri", "link"},
	{"xPathItemTimestamp", "date"},
	{"xPathItemThumbnail", "image"},
}

// importedSelect is the [feeds.select] table import-opml writes.
type importedSelect struct {
	Item       string `toml:"item"`
	Title      string `toml:"title"`
	Link       string `toml:"link"`
	Summary    string `toml:"summary,omitempty"`
	Date       string `toml:"date,omitempty"`
	DateFormat string `toml:"date_format,omitempty"`
	Image      string `toml:"image,omitempty"`
}

func (s *importedSelect) field(key string) *string {
	switch key {
	case "item":
		return &s.Item
	case "title":
		return &s.Title
	case "link":
		return &s.Link
	case "summary":
		return &s.Summary
	case "date":
		return &s.Date
	}
	return &s.Image
}

// frssAttr returns the FreshRSS attribute local of o, under the FreshRSS
// namespace or a bare "frss" prefix.
func (o *outline) frssAttr(local string) string {
	for _, a := range o.Attrs {
		if a.Name.Local == local && (a.Name.Space == frssNS || a.Name.Space == "frss") {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// fromFreshRSS makes f an html feed when o is a FreshRSS HTML+XPath
// outline. Each expression stays XPath: one that pressfeed would read as
// CSS (a bare step such as "h2") is put in parentheses. It returns why the
// outline cannot be followed, or "".
func (f *importedFeed) fromFreshRSS(o *outline) string {
	if !strings.EqualFold(o.Type, frssHTMLXPath) {
		return ""
	}
	sel := &importedSelect{}
	for _, k := range frssKeys {
		v := o.frssAttr(k.attr)
		if v != "" && !scrape.IsXPath(v) {
			v = "(" + v + ")"
		}
		*sel.field(k.key) = v
	}
	if tf := o.frssAttr("xPathItemTimeFormat"); tf != "" && sel.Date != "" {
		layout, err := phpToGoLayout(tf)
		if err != nil {
			return fmt.Sprintf("frss:xPathItemTimeFormat %q: %v", tf, err)
		}
		sel.DateFormat = layout
	}
	f.Format, f.Select = scrape.FormatHTML, sel
	if err := scrape.Check(scrape.FormatHTML, scrape.Select(*sel)); err != nil {
		return strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return ""
}

// phpLetters maps the letters of PHP's DateTime::createFromFormat to Go
// layout elements. Letters with no Go equivalent are missing.
var phpLetters = map[byte]string{
	'd': "02", 'j': "2", 'm': "01", 'n': "1", 'Y': "2006", 'y': "06",
	'H': "15", 'G': "15", 'h': "03", 'g': "3", 'i': "04", 's': "05",
	'D': "Mon", 'l': "Monday", 'M': "Jan", 'F': "January", 'A': "PM", 'a': "pm",
	'P': "-07:00", 'p': "Z07:00", 'O': "-0700", 'T': "MST", 'e': "MST", 'v': "000", 'u': "000000",
}

// phpToGoLayout translates a PHP DateTime::createFromFormat format
// ("d/m/Y H:i") into a Go layout ("02/01/2006 15:04"). "!" and "|", which
// reset fields in PHP, are dropped; a backslash makes the next character
// literal. A letter with no Go equivalent (U, the Unix time; z, the day of
// the year; S, an English suffix) or a literal digit, which Go would read
// as part of the layout, is an error.
func phpToGoLayout(php string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(php); i++ {
		c := php[i]
		switch {
		case c == '!' || c == '|':
		case c == '\\' && i+1 < len(php):
			i++
			if php[i] >= '0' && php[i] <= '9' {
				return "", fmt.Errorf("literal digit %q cannot be said in a Go layout", php[i])
			}
			b.WriteByte(php[i])
		case phpLetters[c] != "":
			b.WriteString(phpLetters[c])
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return "", fmt.Errorf("%q has no Go layout equivalent", c)
		case c >= '0' && c <= '9':
			return "", fmt.Errorf("literal digit %q cannot be said in a Go layout", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// writeImportNotes writes the outlines import-opml left out as TOML
// comments after the blocks.
func writeImportNotes(w io.Writer, notes []string) error {
	for _, n := range notes {
		if _, err := fmt.Fprintf(w, "\n# import-opml left out %s\n", strings.ReplaceAll(n, "\n", " ")); err != nil {
			return err
		}
	}
	return nil
}
