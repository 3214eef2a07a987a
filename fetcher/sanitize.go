package fetcher

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var (
	policyOnce sync.Once
	policy     *bluemonday.Policy
)

// htmlPolicy allows the markup of news articles: text, links, images,
// lists, tables, quotes. No scripts, event handlers, styles, frames, forms
// or non-http(s) URLs.
func htmlPolicy() *bluemonday.Policy {
	policyOnce.Do(func() {
		p := bluemonday.UGCPolicy()
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireParseableURLs(true)
		p.AllowRelativeURLs(true) // made absolute by sanitizeHTML
		p.AllowAttrs("title").Globally()
		p.AllowElements("figure", "figcaption", "picture")
		policy = p
	})
	return policy
}

// sanitize returns raw as safe, well-formed HTML: sanitised, with relative
// links made absolute against base (or dropped), tags balanced and every
// character one that XML allows. With withText it also returns the text of
// the HTML, white space collapsed: one pass over the markup gives both.
func sanitize(raw string, base *url.URL, withText bool) (out, text string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ""
	}
	if len(raw) > maxContent {
		raw = truncateRunes(raw[:maxContent], maxContent)
	}
	t := tidier{base: base, withText: withText}
	t.out.Grow(len(raw) + len(raw)/8)
	t.run(htmlPolicy().Sanitize(raw))
	return strings.TrimSpace(t.out.String()), t.text.String()
}

// tidier writes sanitised HTML again, balanced: a start tag that HTML
// closes implicitly (a <p> before a block, an <li> before the next) is
// closed, an end tag with nothing open to close is dropped, and what is
// open at the end is closed. It makes href and src absolute, keeps every
// character one that XML allows and in NFC, and collects the text.
type tidier struct {
	base     *url.URL
	withText bool
	out      strings.Builder
	text     strings.Builder
	space    bool // text ends with white space (or is empty)
	pre      bool // the last token opened a <pre>
	attrs    []html.Attribute
	open     []atom.Atom
	names    []string // of open elements whose atom is 0
}

func (t *tidier) run(safe string) {
	z := html.NewTokenizer(strings.NewReader(safe))
	for {
		switch tt := z.Next(); tt {
		case html.ErrorToken:
			for len(t.open) > 0 {
				t.pop()
			}
			return
		case html.TextToken:
			s := cleanText(string(z.Text()))
			if t.pre && strings.HasPrefix(s, "\n") && !strings.HasPrefix(s, "\n\n") {
				s = s[1:] // HTML drops the newline that starts a <pre>, and keeps a second one
			}
			t.pre = false
			escapeTo(&t.out, s)
			t.addText(s)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if blockText[a] {
				t.addText(" ")
			}
			t.pre = false
			t.implicitEnds(a)
			if len(t.open) >= maxDepth-2 && !voidElements[a] {
				continue // too deep: the element goes, its text stays
			}
			t.tableParents(a)
			t.out.WriteByte('<')
			t.out.Write(name)
			t.attrs = t.attrs[:0]
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				t.attrs = append(t.attrs, html.Attribute{Key: string(k), Val: string(v)})
			}
			if formatting[a] { // HTML's parser sorts these elements' attributes
				slices.SortFunc(t.attrs, func(x, y html.Attribute) int {
					return cmp.Or(strings.Compare(x.Key, y.Key), strings.Compare(x.Val, y.Val))
				})
			}
			for _, at := range t.attrs {
				t.attr(at.Key, at.Val)
			}
			if voidElements[a] {
				t.out.WriteString("/>")
				continue
			}
			t.out.WriteByte('>')
			t.push(a, name)
			t.pre = a == atom.Pre || a == atom.Listing
		case html.EndTagToken:
			t.pre = false
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if blockText[a] {
				t.addText(" ")
			}
			switch {
			case a == atom.Br: // "</br>" is read as <br>
				t.addText(" ")
				t.out.WriteString("<br/>")
				continue
			case a == atom.P && t.find(pRule) < 0: // and "</p>" as <p></p>
				t.out.WriteString("<p></p>")
				continue
			}
			t.closeTo(a, string(name))
		}
	}
}

// attr writes the attribute k="v", with href and src made absolute (mailto
// links stay); it drops a URL that cannot be.
func (t *tidier) attr(k, v string) {
	if k == "href" || k == "src" {
		if !(k == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "mailto:")) {
			abs, err := absoluteURL(t.base, v)
			if err != nil || abs == "" {
				return
			}
			v = abs
		}
	}
	t.out.WriteByte(' ')
	t.out.WriteString(k)
	t.out.WriteString(`="`)
	escapeTo(&t.out, cleanText(v))
	t.out.WriteByte('"')
}

// addText appends s to the text, white space collapsed to single spaces.
// It stops after maxTextBytes: the summary takes at most maxSummary runes,
// and more bytes than that many runes can take tell that it is cut.
func (t *tidier) addText(s string) {
	if !t.withText {
		return
	}
	start := 0 // of the run of other characters that s[i] ends
	for i := 0; i < len(s); {
		c, n, space := s[i], 1, false
		if c < utf8.RuneSelf {
			space = asciiSpace[c]
		} else {
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			if start < i {
				t.text.WriteString(s[start:i])
				t.space = false
				if t.text.Len() > maxTextBytes {
					t.withText = false
					return
				}
			}
			if !t.space {
				t.text.WriteByte(' ')
				t.space = true
			}
			start = i + n
		}
		i += n
	}
	if start < len(s) {
		t.text.WriteString(s[start:])
		t.space = false
	}
	if t.text.Len() > maxTextBytes {
		t.withText = false
	}
}

// maxTextBytes is where the text stops: more than maxSummary runes.
const maxTextBytes = maxSummary * utf8.UTFMax

// implicitEnds closes what a start tag of a closes in HTML: an open <p>
// (when a starts a block), the previous <li>, <dt> or <dd>, table cells and
// rows, and an <a> inside an <a>.
func (t *tidier) implicitEnds(a atom.Atom) {
	for _, r := range implicitRules[a] {
		if i := t.find(r); i >= 0 {
			for len(t.open) > i {
				t.pop()
			}
		}
	}
}

// find returns the index in t.open of the innermost element that r closes,
// or -1 when none is open or an element in r.stops is open inside it.
func (t *tidier) find(r implicitRule) int {
	for i := len(t.open) - 1; i >= 0; i-- {
		switch o := t.open[i]; {
		case r.closes[o]:
			return i
		case r.stops[o]:
			return -1
		}
	}
	return -1
}

// push opens the element a, named name.
func (t *tidier) push(a atom.Atom, name []byte) {
	t.open = append(t.open, a)
	if a == 0 {
		t.names = append(t.names, string(name))
	}
}

// tableParents opens the <tbody> and <tr> that HTML inserts around a row or
// cell written straight into a table or a table section.
func (t *tidier) tableParents(a atom.Atom) {
	if a != atom.Tr && a != atom.Td && a != atom.Th {
		return
	}
	var in atom.Atom
	for i := len(t.open) - 1; i >= 0 && in == 0; i-- {
		switch o := t.open[i]; o {
		case atom.Table, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr:
			in = o
		}
	}
	if in == atom.Table {
		t.out.WriteString("<tbody>")
		t.push(atom.Tbody, nil)
		in = atom.Tbody
	}
	if a != atom.Tr && in != 0 && in != atom.Tr {
		t.out.WriteString("<tr>")
		t.push(atom.Tr, nil)
	}
}

// closeTo closes the innermost open element a (named name when a is 0) and
// every element opened after it; nothing when none is open.
func (t *tidier) closeTo(a atom.Atom, name string) {
	n := len(t.names)
	for i := len(t.open) - 1; i >= 0; i-- {
		o := t.open[i]
		if o == 0 {
			n--
		}
		if o == a && (a != 0 || t.names[n] == name) {
			for len(t.open) > i {
				t.pop()
			}
			return
		}
	}
}

// pop writes the end tag of the innermost open element.
func (t *tidier) pop() {
	a := t.open[len(t.open)-1]
	t.open = t.open[:len(t.open)-1]
	t.out.WriteString("</")
	if a == 0 {
		t.out.WriteString(t.names[len(t.names)-1])
		t.names = t.names[:len(t.names)-1]
	} else {
		t.out.WriteString(a.String())
	}
	t.out.WriteByte('>')
}

// escapeTo writes s escaped as html.Render escapes text and attribute
// values.
func escapeTo(b *strings.Builder, s string) {
	for len(s) > 0 {
		i := strings.IndexAny(s, "&'<>\"\r")
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		switch s[i] {
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&#39;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\r':
			b.WriteString("&#13;")
		}
		s = s[i+1:]
	}
}

// maxDepth bounds the elements open at once (browsers stop at 512): it
// keeps the work per tag bounded however deep a hostile document nests.
const maxDepth = 128

// formatting marks HTML's formatting elements.
var formatting = atomSet(atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr, atom.S,
	atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U)

var asciiSpace = [utf8.RuneSelf]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

var voidElements = atomSet(atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
	atom.Keygen, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr)

// blockText marks the elements whose start and end separate words in the
// text (here and in plainText).
var blockText = atomSet(atom.Br, atom.P, atom.Div, atom.Li, atom.Td, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4,
	atom.Blockquote)

type implicitRule struct{ closes, stops map[atom.Atom]bool }

// scopeBounds are the elements that HTML's scopes stop at (simplified):
// what is open outside them is out of reach of a tag inside.
var scopeBounds = []atom.Atom{atom.Table, atom.Td, atom.Th, atom.Caption, atom.Object, atom.Template, atom.Button}

// pRule finds the <p> that a block start tag closes.
var pRule = implicitRule{atomSet(atom.P), atomSet(scopeBounds...)}

// implicitRules: the start tag of the key closes the innermost open element
// in closes, unless an element in stops is open inside it (HTML's scopes,
// simplified).
var implicitRules = func() map[atom.Atom][]implicitRule {
	scope, p := scopeBounds, pRule
	rules := map[atom.Atom][]implicitRule{}
	for _, a := range []atom.Atom{atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center,
		atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure,
		atom.Footer, atom.Header, atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Section,
		atom.Summary, atom.Ul, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Listing,
		atom.Form, atom.Table, atom.Hr, atom.Xmp} {
		rules[a] = []implicitRule{p}
	}
	rules[atom.Li] = []implicitRule{{atomSet(atom.Li), atomSet(append(scope, atom.Ul, atom.Ol)...)}, p}
	dtdd := implicitRule{atomSet(atom.Dt, atom.Dd), atomSet(append(scope, atom.Dl)...)}
	rules[atom.Dt], rules[atom.Dd] = []implicitRule{dtdd, p}, []implicitRule{dtdd, p}
	cell := implicitRule{atomSet(atom.Td, atom.Th), atomSet(atom.Tr, atom.Table)}
	rules[atom.Td], rules[atom.Th] = []implicitRule{cell}, []implicitRule{cell}
	rules[atom.Tr] = []implicitRule{{atomSet(atom.Tr), atomSet(atom.Table, atom.Tbody, atom.Thead, atom.Tfoot)}}
	section := []implicitRule{{atomSet(atom.Tbody, atom.Thead, atom.Tfoot), atomSet(atom.Table)}}
	rules[atom.Tbody], rules[atom.Thead], rules[atom.Tfoot] = section, section, section
	rules[atom.A] = []implicitRule{{atomSet(atom.A), atomSet(scope...)}}
	return rules
}()

func atomSet(as ...atom.Atom) map[atom.Atom]bool {
	m := make(map[atom.Atom]bool, len(as))
	for _, a := range as {
		m[a] = true
	}
	return m
}
