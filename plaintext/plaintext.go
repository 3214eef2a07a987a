// Package plaintext makes the plain-text fields of items and feeds (titles,
// summaries, authors, categories, feed titles, OPML text) from what a source
// wrote, and keeps them plain.
//
// A source field arrives with its format's own escaping (XML, JSON) undone
// once by the parser. What is left is either plain text (a JSON Feed title,
// an Atom person's name, a configured title, a field pressfeed stored) or
// text that may hold HTML (an RSS title, an Atom text construct). From
// decodes the HTML layer of the second once, and never the first. Then the
// result is defused: a '<' that would open markup in a reader that renders
// the field as HTML is written "&lt;", so that a field escaped twice at the
// source (`&amp;lt;img …&amp;gt;` in RSS) comes out as the text it was,
// `&lt;img …&gt;`, not as an element.
package plaintext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// Kind says what a source field holds once its format's escaping is undone.
type Kind uint8

const (
	// Text is plain text: JSON Feed titles, summaries, tags and author
	// names, Atom person names, configured titles, stored fields.
	Text Kind = iota
	// HTML may hold elements and character references: RSS titles,
	// descriptions and authors, Atom text constructs (gofeed reports
	// type="text" and type="html" alike, both decoded once from the XML).
	HTML
)

// From returns the plain text of src, a field of kind k: for HTML, its
// elements removed (and the text of those that show none, such as script
// and style) and its character references decoded once; then valid UTF-8 in
// NFC with only the characters XML 1.0 allows, white space collapsed, and
// defused: each '<' followed by a letter, '/', '!' or '?' (what HTML reads
// as the start of a tag, an end tag, a comment or a declaration) is written
// "&lt;", and the next '>' after it "&gt;". The result never holds such a
// '<'. From(From(s, k), Text) == From(s, k).
func From(src string, k Kind) string {
	if k == HTML && strings.ContainsAny(src, "<&") {
		src = htmlText(src)
	}
	return Defuse(collapseSpace(clean(src)))
}

// htmlText returns the text of the HTML s: text tokens, character
// references decoded; block elements separate words.
func htmlText(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	hidden := false // inside an element whose text is not shown
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if !hidden {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch a := atom.Lookup(name); {
			case hiddenText[a]:
				hidden = tt == html.StartTagToken
			case blockText[a]:
				b.WriteByte(' ') // block elements separate words
			}
		}
	}
}

// hiddenText marks the elements whose text a browser does not show.
var hiddenText = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Object: true, atom.Noembed: true, atom.Noframes: true}

// blockText marks the elements whose start and end separate words (as in
// the fetcher's sanitiser).
var blockText = map[atom.Atom]bool{atom.Br: true, atom.P: true, atom.Div: true, atom.Li: true, atom.Td: true,
	atom.Tr: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.Blockquote: true}

// Defused reports whether s holds no '<' that HTML would read as markup:
// none followed by a letter, '/', '!' or '?'.
func Defused(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0; {
		if opensMarkup(s[i+1:]) {
			return false
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return true
}

// opensMarkup reports whether rest, what follows a '<', starts with a
// letter, '/', '!' or '?'.
func opensMarkup(rest string) bool {
	if rest == "" {
		return false
	}
	if c := rest[0]; c < utf8.RuneSelf {
		return c == '/' || c == '!' || c == '?' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsLetter(r)
}

// Defuse returns s with each '<' that opens markup (see Defused) written
// "&lt;" and the next '>' after it "&gt;", the last step of From. Text that
// is plain but for that (the sanitiser's, which is clean and collapsed
// already) needs only this step.
func Defuse(s string) string {
	if Defused(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	open := false // a '<' was defused and no '>' has followed
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<' && opensMarkup(s[i+1:]):
			b.WriteString("&lt;")
			open = true
		case c == '>' && open:
			b.WriteString("&gt;")
			open = false
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// clean returns s as valid UTF-8 in NFC holding only characters XML 1.0
// allows (https://www.w3.org/TR/xml/#charsets).
func clean(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return norm.NFC.String(strings.Map(xmlRune, strings.ToValidUTF8(s, "\uFFFD")))
		}
	}
	if ascii {
		return s
	}
	for _, r := range s {
		if r == utf8.RuneError || xmlRune(r) < 0 {
			// U+FFFD itself is allowed; ToValidUTF8 keeps it and
			// replaces what is not UTF-8.
			return norm.NFC.String(strings.Map(xmlRune, strings.ToValidUTF8(s, "\uFFFD")))
		}
	}
	return norm.NFC.String(s)
}

// xmlRune returns r when XML 1.0 allows it, else -1.
func xmlRune(r rune) rune {
	if IsXMLChar(r) {
		return r
	}
	return -1
}

// IsXMLChar reports whether XML 1.0 allows r, the Char production of
// https://www.w3.org/TR/xml/#charsets: tab, newlines and U+0020 on, but
// not surrogates, U+FFFE or U+FFFF. It is the one rule that the decoder,
// the sanitiser, plain text and the publisher apply.
func IsXMLChar(r rune) bool {
	switch {
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\r'
	case r <= 0xD7FF:
		return true
	case r < 0xE000:
		return false // surrogates
	case r <= 0xFFFD:
		return true
	case r < 0x10000:
		return false // U+FFFE, U+FFFF
	}
	return r <= utf8.MaxRune
}

// collapseSpace returns strings.Join(strings.Fields(s), " "), and s itself
// or a part of it when only its ends need trimming.
func collapseSpace(s string) string {
	s = strings.TrimSpace(s)
	prevSpace := false // s starts with no space
	for i := 0; i < len(s); i++ {
		c := s[i]
		var space bool
		switch {
		case c < utf8.RuneSelf:
			if c == ' ' {
				if prevSpace {
					return strings.Join(strings.Fields(s), " ")
				}
				prevSpace = true
				continue
			}
			space = c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
		case c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3:
			// The first byte of every white space character beyond
			// ASCII (U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
			// U+2029, U+202F, U+205F, U+3000).
			r, _ := utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			return strings.Join(strings.Fields(s), " ")
		}
		prevSpace = false
	}
	return s
}
