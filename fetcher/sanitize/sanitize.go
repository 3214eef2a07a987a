package sanitize

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/plaintext"
)

// HTML returns raw as safe, well-formed HTML: sanitised by the allowlist
// of policy.go (bluemonday's UGCPolicy and pressfeed's additions), with
// relative links made absolute against base (or dropped), tags balanced
// and every character one that XML allows. Input past MaxContent bytes is
// ignored; the HTML written stops, its open elements closed, once it is
// four times the input and 4 KiB long (at most MaxContent).
func HTML(base *url.URL, raw string) string {
	out, _ := sanitize(raw, base, false)
	return out
}

// WithText is HTML, and also returns the text of that HTML, runs of white
// space made one space (a block element starts with one; the ends are the
// caller's to trim), at least its first TextRunes runes. The text holds the HTML's
// character references decoded and the raw text of textarea, xmp and
// plaintext elements: a caller showing it as markup defuses it first
// (plaintext.Defuse).
func WithText(base *url.URL, raw string) (clean, text string) {
	return sanitize(raw, base, true)
}

// sanitize returns raw sanitised (see HTML) and, with withText, its text
// (see WithText). One pass over the markup does it all.
func sanitize(raw string, base *url.URL, withText bool) (out, text string) {
	out, text, _ = sanitizeCut(raw, base, withText)
	return out, text
}

// sanitizeCut is sanitize, and reports whether the output reached its limit
// and stopped there.
func sanitizeCut(raw string, base *url.URL, withText bool) (out, text string, cut bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", false
	}
	if len(raw) > MaxContent {
		raw = plaintext.Truncate(raw[:MaxContent], MaxContent)
	}
	t := tidiers.Get().(*tidier)
	t.reset(base, withText)
	t.limit = outputLimit(len(raw))
	t.run(raw)
	out, text, cut = strings.TrimSpace(string(t.out)), string(t.text), t.cut
	if t.seam {
		// Each run is NFC, but "A" and a combining acute across a tag
		// (A<b>\u0301</b>) compose once joined.
		text = norm.NFC.String(text)
	}
	if cap(t.out) <= maxPooled && cap(t.pending) <= maxPooled && cap(t.attrs) <= 64 && cap(t.policy.skipEnds) <= 64 {
		tidiers.Put(t) // not the buffers of an outsized document
	}
	return out, text, cut
}

// outputLimit is how much HTML sanitize writes for n bytes of input: at
// most MaxContent, and at most four times the input and 4 KiB. Markup can
// grow: a relative link becomes absolute, and a long base (a feed's
// <link> is its own) turned 8 MB of <a href="b"> into 918 MB of content
// in one document. Escaping (& to &amp;) and absolute links in press text
// stay far below four times.
func outputLimit(n int) int {
	return min(MaxContent, 4*n+4<<10)
}

// tidiers keeps tidiers with their buffers between items: fresh buffers
// cost more (allocated, zeroed, grown, collected) than the work on a
// typical item's HTML.
var tidiers = sync.Pool{New: func() any { return new(tidier) }}

// maxPooled bounds the buffers kept in tidiers.
const maxPooled = 64 << 10

// reset readies t for a document, keeping its buffers' storage.
func (t *tidier) reset(base *url.URL, withText bool) {
	*t = tidier{
		base:     base,
		withText: withText,
		out:      t.out[:0],
		text:     t.text[:0],
		attrs:    t.attrs[:0],
		pending:  t.pending[:0],
		policy:   allowlist{skipEnds: t.policy.skipEnds[:0]},
		open:     t.open[:0],
		names:    t.names[:0],
	}
}

// tidier writes HTML again, sanitised and balanced. Its allowlist keeps
// what bluemonday kept, token by token; of that, a start tag that HTML
// closes implicitly (a <p> before a block, an <li> before the next) is
// closed, an end tag with nothing open to close is dropped, and what is
// open at the end is closed. It makes href and src absolute, keeps every
// character one that XML allows and in NFC, and collects the text.
//
// It gives what the previous pipeline gave (bluemonday's output read again
// by the tidier): that pipeline's second tokenizer saw the tokens
// bluemonday kept, except that text on either side of what bluemonday
// dropped (a tag, a comment) was one text token; so text is collected in
// pending until the next tag kept.
type tidier struct {
	base     *url.URL
	withText bool
	limit    int  // run stops once out is this long
	cut      bool // and it did
	out      []byte
	text     []byte
	space    bool // text ends with white space (or is empty)
	seam     bool // a run of text starting with a combining mark joined the text
	pre      bool // the last token opened a <pre>
	attrs    []html.Attribute
	pending  []byte // text not yet written
	policy   allowlist
	open     []atom.Atom
	names    []string // of open elements whose atom is 0
}

// run reads raw and writes t.out and t.text.
func (t *tidier) run(raw string) {
	z := html.NewTokenizer(strings.NewReader(raw))
	for {
		if len(t.out) >= t.limit {
			// Enough: what is open is closed, and the text seen since
			// the last tag kept goes with the rest.
			t.pending, t.cut = t.pending[:0], true
			for len(t.open) > 0 {
				t.pop()
			}
			return
		}
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			t.flushText()
			for len(t.open) > 0 {
				t.pop()
			}
			return
		case html.TextToken:
			if t.policy.text() {
				// Text runs on across what the policy drops, as it did in
				// bluemonday's output.
				t.pending = append(t.pending, z.Text()...)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			t.attrs = t.attrs[:0]
			if _, ok := policyElements[string(name)]; !ok {
				hasAttr = false // the policy drops the element whatever its attributes
			}
			if cap(t.attrs) < 8 {
				t.attrs = make([]html.Attribute, 0, 8) // room for rel="nofollow" too
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				// An attribute that the policy allows on no element goes
				// whatever its value.
				if key, ok := policyAttrNames[string(k)]; ok {
					t.attrs = append(t.attrs, html.Attribute{Key: key, Val: string(v)})
				}
			}
			keep, attrs := t.policy.start(name, t.attrs, tt == html.SelfClosingTagToken)
			if keep {
				t.flushText()
				t.startTag(name, attrs)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if t.policy.end(name) {
				t.flushText()
				t.endTag(name)
			}
		}
	}
}

// flushText writes the text read since the last tag kept.
func (t *tidier) flushText() {
	if len(t.pending) == 0 {
		return
	}
	raw := t.pending
	t.pending = t.pending[:0] // raw keeps the bytes: nothing is read until the next token
	pre := t.pre
	t.pre = false
	s := raw
	if pre {
		s = trimPreNewline(s)
	}
	// When raw is clean (Text returns it as it is), trimming before
	// cleaning changes nothing, and one pass checks and escapes.
	out, clean := appendCleanEscaped(t.out, s)
	if !clean {
		s = []byte(Text(string(raw)))
		if pre {
			s = trimPreNewline(s)
		}
		out = appendEscaped(t.out, s)
	}
	t.out = out
	t.addText(s)
}

// trimPreNewline returns the text that starts a <pre> without its first
// newline: HTML drops it, and keeps a second one.
func trimPreNewline(s []byte) []byte {
	if len(s) > 0 && s[0] == '\n' && (len(s) == 1 || s[1] != '\n') {
		return s[1:]
	}
	return s
}

// startTag writes the start tag of an element the policy keeps.
func (t *tidier) startTag(name []byte, attrs []html.Attribute) {
	a := atom.Lookup(name)
	if blockText[a] {
		t.addSpace()
	}
	t.pre = false
	t.implicitEnds(a)
	if len(t.open) >= maxDepth-2 && !voidElements[a] {
		return // too deep: the element goes, its text stays
	}
	t.tableParents(a)
	t.out = append(t.out, '<')
	t.out = append(t.out, name...)
	if formatting[a] { // HTML's parser sorts these elements' attributes
		slices.SortFunc(attrs, func(x, y html.Attribute) int {
			return cmp.Or(strings.Compare(x.Key, y.Key), strings.Compare(x.Val, y.Val))
		})
	}
	for _, at := range attrs {
		t.attr(at.Key, at.Val)
	}
	if voidElements[a] {
		t.out = append(t.out, "/>"...)
		return
	}
	t.out = append(t.out, '>')
	t.push(a, name)
	t.pre = a == atom.Pre || a == atom.Listing
}

// endTag closes an element the policy keeps.
func (t *tidier) endTag(name []byte) {
	t.pre = false
	a := atom.Lookup(name)
	if blockText[a] {
		t.addSpace()
	}
	switch {
	case a == atom.Br: // "</br>" is read as <br>
		t.addSpace()
		t.out = append(t.out, "<br/>"...)
		return
	case a == atom.P && t.find(pRule) < 0: // and "</p>" as <p></p>
		t.out = append(t.out, "<p></p>"...)
		return
	}
	t.closeTo(a, string(name))
}

// attr writes the attribute k="v", with href and src made absolute (mailto
// links stay); it drops a URL that cannot be.
func (t *tidier) attr(k, v string) {
	if (k == "href" || k == "src") && !(k == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "mailto:")) {
		abs, err := AbsoluteURL(t.base, v)
		if err != nil || abs == "" {
			return
		}
		// AbsoluteURL returns Text's output, which Text returns
		// unchanged (it is valid UTF-8, holds only XML characters and is
		// NFC): no second pass.
		v = abs
	} else {
		v = Text(v)
	}
	t.out = append(t.out, ' ')
	t.out = append(t.out, k...)
	t.out = append(t.out, `="`...)
	t.out = appendEscaped(t.out, v)
	t.out = append(t.out, '"')
}

// addText appends s, valid UTF-8, to the text, white space collapsed to
// single spaces. It stops after maxTextBytes: the summary takes at most
// TextRunes runes, and more bytes than that many runes can take tell that
// it is cut. It stops where collapsing one character at a time would: after
// the first run of other characters (up to white space or the end of s)
// that takes the text past maxTextBytes, or at the end of s.
//
// Text that needs no collapsing is copied in runs: a run ends at white
// space other than one ' ' after a character that is not white space.
func (t *tidier) addText(s []byte) {
	if !t.withText {
		return
	}
	if len(s) > 0 && s[0] >= utf8.RuneSelf && len(t.text) > 0 && !norm.NFC.Properties(s).BoundaryBefore() {
		t.seam = true
	}
	sp := t.space // the text, with s[start:i] appended, ends with white space
	start := 0
	for i := 0; i < len(s); {
		if textClass[s[i]] == textPlain {
			for i++; i < len(s) && textClass[s[i]] == textPlain; i++ {
			}
			sp = false
			continue
		}
		n, space := 1, true
		if textClass[s[i]] == textLead {
			n, space = spaceAt(s, i)
		}
		switch {
		case !space:
			sp = false
		case s[i] == ' ' && !sp:
			sp = true // kept in the run
		default:
			if !t.appendRun(s[start:i]) {
				return
			}
			if !sp {
				t.text = append(t.text, ' ')
				sp = true
			}
			start = i + n
		}
		i += n
	}
	t.space = sp
	if t.appendRun(s[start:]) && len(t.text) > maxTextBytes {
		t.withText = false
	}
}

// appendRun appends run, in which every ' ' but a first follows a character
// that is not white space, and reports whether the text goes on. It stops
// the text where collapsing one character at a time would have checked the
// length: before each ' ' that ends a word and after run when run ends with
// a word.
func (t *tidier) appendRun(run []byte) bool {
	n := len(t.text)
	if n+len(run) <= maxTextBytes {
		t.text = append(t.text, run...)
		return true
	}
	for j := 1; j < len(run); j++ {
		if run[j] == ' ' && n+j > maxTextBytes {
			t.text = append(t.text, run[:j]...)
			t.withText = false
			return false
		}
	}
	t.text = append(t.text, run...)
	if len(run) > 0 && run[len(run)-1] != ' ' {
		t.withText = false
		return false
	}
	return true
}

// textClass sorts the bytes of UTF-8 text for addText: white space,
// the first byte of a character that may be white space, and the rest
// (other characters, and continuation bytes, which never start one).
var textClass = func() (c [256]uint8) {
	for b, space := range asciiSpace {
		if space {
			c[b] = textSpace
		}
	}
	c[0xC2], c[0xE1], c[0xE2], c[0xE3] = textLead, textLead, textLead, textLead
	return c
}()

const (
	textPlain = iota
	textSpace
	textLead
)

// addSpace is addText(" ").
func (t *tidier) addSpace() {
	if !t.withText {
		return
	}
	if !t.space {
		t.text = append(t.text, ' ')
		t.space = true
	}
	if len(t.text) > maxTextBytes {
		t.withText = false
	}
}

// spaceAt returns the length of the character at s[i], which is valid
// UTF-8, and whether unicode.IsSpace holds for it. Beyond ASCII that is
// U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and
// U+3000 (Unicode's White_Space), whose UTF-8 starts with C2, E1, E2 or E3.
func spaceAt(s []byte, i int) (n int, space bool) {
	switch c := s[i]; {
	case c < utf8.RuneSelf:
		return 1, asciiSpace[c]
	case c < 0xE0:
		return 2, c == 0xC2 && (s[i+1] == 0x85 || s[i+1] == 0xA0)
	case c < 0xF0:
		switch c {
		case 0xE1:
			return 3, s[i+1] == 0x9A && s[i+2] == 0x80
		case 0xE2:
			c1, c2 := s[i+1], s[i+2]
			return 3, c1 == 0x80 && (c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF) || c1 == 0x81 && c2 == 0x9F
		case 0xE3:
			return 3, s[i+1] == 0x80 && s[i+2] == 0x80
		}
		return 3, false
	}
	return 4, false
}

// maxTextBytes is where the text stops: more than TextRunes runes.
const maxTextBytes = TextRunes * utf8.UTFMax

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
		t.out = append(t.out, "<tbody>"...)
		t.push(atom.Tbody, nil)
		in = atom.Tbody
	}
	if a != atom.Tr && in != 0 && in != atom.Tr {
		t.out = append(t.out, "<tr>"...)
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
	t.out = append(t.out, "</"...)
	if a == 0 {
		t.out = append(t.out, t.names[len(t.names)-1]...)
		t.names = t.names[:len(t.names)-1]
	} else {
		t.out = append(t.out, a.String()...)
	}
	t.out = append(t.out, '>')
}

// appendEscaped appends s escaped as html.Render escapes text and
// attribute values.
func appendEscaped[S string | []byte](b []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		if esc := htmlEscapes[s[i]]; esc != "" {
			b = append(b, s[start:i]...)
			b = append(b, esc...)
			start = i + 1
		}
	}
	return append(b, s[start:]...)
}

var htmlEscapes = [256]string{'&': "&amp;", '\'': "&#39;", '<': "&lt;", '>': "&gt;", '"': "&#34;", '\r': "&#13;"}

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
