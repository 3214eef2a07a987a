package sanitize

// This file keeps the sanitising pipeline as it was before the tidier took
// over the allowlist (bluemonday's Sanitize, then the tidier's tokenizer pass
// over its output), with the AbsoluteURL and Text of that time, renamed
// with a ref prefix: the oracle that TestSanitizeReference,
// FuzzSanitizeReference and TestPolicyTables compare sanitize with.

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
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/plaintext"
)

var (
	refPolicyOnce sync.Once
	refPolicy     *bluemonday.Policy
)

// refHTMLPolicy allows the markup of news articles: text, links, images,
// lists, tables, quotes. No scripts, event handlers, styles, frames, forms
// or non-http(s) URLs.
func refHTMLPolicy() *bluemonday.Policy {
	refPolicyOnce.Do(func() {
		p := bluemonday.UGCPolicy()
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireParseableURLs(true)
		p.AllowRelativeURLs(true) // made absolute by sanitizeHTML
		p.AllowAttrs("title").Globally()
		p.AllowElements("figure", "figcaption", "picture")
		refPolicy = p
	})
	return refPolicy
}

// referenceSanitize returns raw as safe, well-formed HTML: sanitised, with relative
// links made absolute against base (or dropped), tags balanced and every
// character one that XML allows. With withText it also returns the text of
// the HTML, white space collapsed: one pass over the markup gives both.
func referenceSanitize(raw string, base *url.URL, withText bool) (out, text string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ""
	}
	if len(raw) > MaxContent {
		raw = plaintext.Truncate(raw[:MaxContent], MaxContent)
	}
	t := refTidier{base: base, withText: withText}
	t.out.Grow(len(raw) + len(raw)/8)
	t.run(refHTMLPolicy().Sanitize(raw))
	return strings.TrimSpace(t.out.String()), t.text.String()
}

// refTidier writes sanitised HTML again, balanced: a start tag that HTML
// closes implicitly (a <p> before a block, an <li> before the next) is
// closed, an end tag with nothing open to close is dropped, and what is
// open at the end is closed. It makes href and src absolute, keeps every
// character one that XML allows and in NFC, and collects the text.
type refTidier struct {
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

func (t *refTidier) run(safe string) {
	z := html.NewTokenizer(strings.NewReader(safe))
	for {
		switch tt := z.Next(); tt {
		case html.ErrorToken:
			for len(t.open) > 0 {
				t.pop()
			}
			return
		case html.TextToken:
			s := refCleanText(string(z.Text()))
			if t.pre && strings.HasPrefix(s, "\n") && !strings.HasPrefix(s, "\n\n") {
				s = s[1:] // HTML drops the newline that starts a <pre>, and keeps a second one
			}
			t.pre = false
			refEscapeTo(&t.out, s)
			t.addText(s)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if refBlockText[a] {
				t.addText(" ")
			}
			t.pre = false
			t.implicitEnds(a)
			if len(t.open) >= refMaxDepth-2 && !refVoidElements[a] {
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
			if refFormatting[a] { // HTML's parser sorts these elements' attributes
				slices.SortFunc(t.attrs, func(x, y html.Attribute) int {
					return cmp.Or(strings.Compare(x.Key, y.Key), strings.Compare(x.Val, y.Val))
				})
			}
			for _, at := range t.attrs {
				t.attr(at.Key, at.Val)
			}
			if refVoidElements[a] {
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
			if refBlockText[a] {
				t.addText(" ")
			}
			switch {
			case a == atom.Br: // "</br>" is read as <br>
				t.addText(" ")
				t.out.WriteString("<br/>")
				continue
			case a == atom.P && t.find(refPRule) < 0: // and "</p>" as <p></p>
				t.out.WriteString("<p></p>")
				continue
			}
			t.closeTo(a, string(name))
		}
	}
}

// attr writes the attribute k="v", with href and src made absolute (mailto
// links stay); it drops a URL that cannot be.
func (t *refTidier) attr(k, v string) {
	if k == "href" || k == "src" {
		if !(k == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "mailto:")) {
			abs, err := refAbsoluteURL(t.base, v)
			if err != nil || abs == "" {
				return
			}
			v = abs
		}
	}
	t.out.WriteByte(' ')
	t.out.WriteString(k)
	t.out.WriteString(`="`)
	refEscapeTo(&t.out, refCleanText(v))
	t.out.WriteByte('"')
}

// addText appends s to the text, white space collapsed to single spaces.
// It stops after refMaxTextBytes: the summary takes at most TextRunes runes,
// and more bytes than that many runes can take tell that it is cut.
func (t *refTidier) addText(s string) {
	if !t.withText {
		return
	}
	start := 0 // of the run of other characters that s[i] ends
	for i := 0; i < len(s); {
		c, n, space := s[i], 1, false
		if c < utf8.RuneSelf {
			space = refAsciiSpace[c]
		} else {
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			if start < i {
				t.text.WriteString(s[start:i])
				t.space = false
				if t.text.Len() > refMaxTextBytes {
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
	if t.text.Len() > refMaxTextBytes {
		t.withText = false
	}
}

// refMaxTextBytes is where the text stops: more than TextRunes runes.
const refMaxTextBytes = TextRunes * utf8.UTFMax

// implicitEnds closes what a start tag of a closes in HTML: an open <p>
// (when a starts a block), the previous <li>, <dt> or <dd>, table cells and
// rows, and an <a> inside an <a>.
func (t *refTidier) implicitEnds(a atom.Atom) {
	for _, r := range refImplicitRules[a] {
		if i := t.find(r); i >= 0 {
			for len(t.open) > i {
				t.pop()
			}
		}
	}
}

// find returns the index in t.open of the innermost element that r closes,
// or -1 when none is open or an element in r.stops is open inside it.
func (t *refTidier) find(r refImplicitRule) int {
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
func (t *refTidier) push(a atom.Atom, name []byte) {
	t.open = append(t.open, a)
	if a == 0 {
		t.names = append(t.names, string(name))
	}
}

// tableParents opens the <tbody> and <tr> that HTML inserts around a row or
// cell written straight into a table or a table section.
func (t *refTidier) tableParents(a atom.Atom) {
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
func (t *refTidier) closeTo(a atom.Atom, name string) {
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
func (t *refTidier) pop() {
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

// refEscapeTo writes s escaped as html.Render escapes text and attribute
// values.
func refEscapeTo(b *strings.Builder, s string) {
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

// refMaxDepth bounds the elements open at once (browsers stop at 512): it
// keeps the work per tag bounded however deep a hostile document nests.
const refMaxDepth = 128

// refFormatting marks HTML's refFormatting elements.
var refFormatting = refAtomSet(atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr, atom.S,
	atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U)

var refAsciiSpace = [utf8.RuneSelf]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

var refVoidElements = refAtomSet(atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
	atom.Keygen, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr)

// refBlockText marks the elements whose start and end separate words in the
// text (here and in plainText).
var refBlockText = refAtomSet(atom.Br, atom.P, atom.Div, atom.Li, atom.Td, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4,
	atom.Blockquote)

type refImplicitRule struct{ closes, stops map[atom.Atom]bool }

// refScopeBounds are the elements that HTML's scopes stop at (simplified):
// what is open outside them is out of reach of a tag inside.
var refScopeBounds = []atom.Atom{atom.Table, atom.Td, atom.Th, atom.Caption, atom.Object, atom.Template, atom.Button}

// refPRule finds the <p> that a block start tag closes.
var refPRule = refImplicitRule{refAtomSet(atom.P), refAtomSet(refScopeBounds...)}

// refImplicitRules: the start tag of the key closes the innermost open element
// in closes, unless an element in stops is open inside it (HTML's scopes,
// simplified).
var refImplicitRules = func() map[atom.Atom][]refImplicitRule {
	scope, p := refScopeBounds, refPRule
	rules := map[atom.Atom][]refImplicitRule{}
	for _, a := range []atom.Atom{atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center,
		atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure,
		atom.Footer, atom.Header, atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Section,
		atom.Summary, atom.Ul, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Listing,
		atom.Form, atom.Table, atom.Hr, atom.Xmp} {
		rules[a] = []refImplicitRule{p}
	}
	rules[atom.Li] = []refImplicitRule{{refAtomSet(atom.Li), refAtomSet(append(scope, atom.Ul, atom.Ol)...)}, p}
	dtdd := refImplicitRule{refAtomSet(atom.Dt, atom.Dd), refAtomSet(append(scope, atom.Dl)...)}
	rules[atom.Dt], rules[atom.Dd] = []refImplicitRule{dtdd, p}, []refImplicitRule{dtdd, p}
	cell := refImplicitRule{refAtomSet(atom.Td, atom.Th), refAtomSet(atom.Tr, atom.Table)}
	rules[atom.Td], rules[atom.Th] = []refImplicitRule{cell}, []refImplicitRule{cell}
	rules[atom.Tr] = []refImplicitRule{{refAtomSet(atom.Tr), refAtomSet(atom.Table, atom.Tbody, atom.Thead, atom.Tfoot)}}
	section := []refImplicitRule{{refAtomSet(atom.Tbody, atom.Thead, atom.Tfoot), refAtomSet(atom.Table)}}
	rules[atom.Tbody], rules[atom.Thead], rules[atom.Tfoot] = section, section, section
	rules[atom.A] = []refImplicitRule{{refAtomSet(atom.A), refAtomSet(scope...)}}
	return rules
}()

func refAtomSet(as ...atom.Atom) map[atom.Atom]bool {
	m := make(map[atom.Atom]bool, len(as))
	for _, a := range as {
		m[a] = true
	}
	return m
}

// refAbsoluteURL resolves ref against base and returns it when it is http(s).
func refAbsoluteURL(base *url.URL, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", nil
	}
	u, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || !canon.ValidHost(u.Hostname()) {
		return "", ErrNotHTTP
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return refCleanText(u.String()), nil
}

// refCleanText returns s as NFC, without characters XML 1.0 forbids, and with
// invalid UTF-8 replaced. Tone-mark placement is the publisher's and stays.
func refCleanText(s string) string {
	clean, ascii := true, true
	for i := 0; i < len(s) && clean; {
		if c := s[i]; c < utf8.RuneSelf {
			clean = c >= 0x20 || c == '\t' || c == '\n' || c == '\r'
			i++
			continue
		}
		ascii = false
		r, n := utf8.DecodeRuneInString(s[i:])
		clean = !(r == utf8.RuneError && n == 1) && plaintext.IsXMLChar(r)
		i += n
	}
	if clean && ascii {
		return s // ASCII is NFC
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if !plaintext.IsXMLChar(r) {
				return -1
			}
			return r
		}, strings.ToValidUTF8(s, "\uFFFD"))
	}
	return norm.NFC.String(s)
}
