// Package decode turns the bytes of a fetched feed into a document gofeed
// can parse: Body finds the charset (byte order mark, Content-Type, XML
// declaration, byte patterns) and converts to UTF-8, then repairs what
// would make one bad byte lose the whole feed (invalid UTF-8, characters
// XML 1.0 forbids, raw or referenced, "--" in comments, a declaration
// naming another encoding). CloseTruncated, StripDoctype and
// RepairJSONFeed are the repairs tried once when a parse fails.
//
// Invariants: nothing here panics on input or takes more than linear time;
// Body returns its input itself, not a copy, when it is already clean (the
// common case); which characters XML allows is plaintext.IsXMLChar's rule.
package decode

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/pressfeed/pressfeed/plaintext"
)

// ErrCharset is wrapped when a document declares a charset pressfeed cannot decode. Its text is the one
// operators have always seen in fetch errors.
var ErrCharset = errors.New("fetcher: unsupported charset")

// Body returns body as UTF-8 ready for gofeed, given the response's Content-Type header ("" for files).
// The charset comes from a byte order mark, else the Content-Type charset parameter, else the XML declaration's
// encoding (or a <meta charset> is not needed: feeds only), else UTF-8. UTF-16 LE/BE (with BOM, or declared),
// windows-1258 (and the other WHATWG encodings, via golang.org/x/text/encoding/htmlindex) are converted to UTF-8.
// Then, so that one bad byte never loses a whole feed:
//   - invalid UTF-8 sequences become U+FFFD;
//   - characters XML 1.0 forbids (C0 controls other than tab, CR, LF; U+FFFE, U+FFFF; surrogates) are removed,
//     both raw and as numeric character references (&#0; &#11; &#x1F; &#xFFFE; &#xD800; …);
//   - the XML declaration's encoding pseudo-attribute is rewritten to UTF-8 (or dropped), so gofeed does not decode
//     a second time;
//   - a BOM is removed.
//
// JSON documents (first non-space byte '{') get the UTF-8 repair and BOM removal only.
// The result is not NFC-normalised (that happens per string later). Body never panics, runs in linear
// time, and returns body itself (no copy) when it is already clean UTF-8 without BOM, declaration charset other
// than UTF-8, or forbidden characters: that is the common case, measure it.
//
// Details the summary above leaves out:
//   - Without a BOM, a document whose first four bytes hold NULs in the pattern of UTF-16 or UTF-32 text
//     ("\x00<\x00?", "<\x00\x00\x00", …; XML 1.0 appendix F) is read in that encoding whatever its labels say.
//     Conversely a UTF-16 or UTF-32 label on a document without that pattern is a lie (its declaration was
//     readable as ASCII) and is taken to mean UTF-8.
//   - When the header and the declaration disagree and one of them says UTF-8, the bytes decide: valid UTF-8 is
//     read as UTF-8, anything else with the other label. See charset.
//   - Characters XML forbids are removed everywhere, JSON included (C0 controls are invalid raw JSON too, and
//     gorilla/feeds cannot write them back out); numeric references too, except inside CDATA sections and
//     comments, where XML does not parse them. References whose value exceeds U+10FFFF name no character and
//     are removed too.
//   - "--" inside a comment, which encoding/xml rejects even when not strict, becomes "- -".
//   - An XML declaration that gofeed's encoding/xml would act on wrongly (an encoding other than UTF-8, or a
//     version other than 1.0, which encoding/xml rejects outright) becomes `<?xml version="1.0"
//     encoding="UTF-8"?>` at the start of the document and is dropped anywhere else: encoding/xml honours
//     `<?xml … encoding=…?>` wherever it appears, switching charset mid-document.
func Body(body []byte, contentType string) ([]byte, error) {
	enc, n := sniff(body) // a byte order mark or a UTF-16/32 byte pattern wins over every label
	body = body[n:]
	var valid bool
	switch enc {
	case unicode.UTF8:
		enc, valid = nil, utf8.Valid(body)
	case nil:
		valid = utf8.Valid(body)
		var err error
		if enc, err = charset(body, contentType, valid); err != nil {
			return nil, err
		}
	}
	if enc != nil {
		u, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, fmt.Errorf("decode %v: %w", enc, err)
		}
		return repair(u), nil
	}
	if valid && !bytes.HasPrefix(body, bom) && clean(body) {
		return body, nil
	}
	out := repair(body)
	if bytes.Equal(out, body) { // e.g. a forbidden reference inside CDATA, which stays
		return body, nil
	}
	return out, nil
}

var bom = []byte("\uFEFF")

var (
	utf16BE = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf32BE = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	utf32LE = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
)

// sniff returns the encoding given by body's byte order mark and the mark's length, or, without a mark, the
// encoding whose pattern of NUL bytes the first four bytes show (XML 1.0 appendix F; a UTF-8 feed cannot
// contain NUL), with length 0. It returns nil when neither applies.
func sniff(body []byte) (encoding.Encoding, int) {
	switch {
	case bytes.HasPrefix(body, bom):
		return unicode.UTF8, len(bom)
	case bytes.HasPrefix(body, []byte{0x00, 0x00, 0xFE, 0xFF}):
		return utf32BE, 4
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE, 0x00, 0x00}): // not UTF-16LE and U+0000: XML forbids that
		return utf32LE, 4
	case bytes.HasPrefix(body, []byte{0xFE, 0xFF}):
		return utf16BE, 2
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
		return utf16LE, 2
	}
	if len(body) < 4 {
		return nil, 0
	}
	b0, b1, b2, b3 := body[0], body[1], body[2], body[3]
	switch {
	case b0 == 0 && b1 == 0 && b2 == 0 && b3 != 0:
		return utf32BE, 0
	case b0 != 0 && b1 == 0 && b2 == 0 && b3 == 0:
		return utf32LE, 0
	case b0 == 0 && b1 != 0 && b2 == 0:
		return utf16BE, 0
	case b0 != 0 && b1 == 0 && b2 != 0 && b3 == 0:
		return utf16LE, 0
	}
	return nil, 0
}

// label is a charset name found in a header or declaration.
type label struct {
	name  string            // as written; "" when there was none
	enc   encoding.Encoding // nil when name is unknown or names UTF-8
	known bool              // enc, or UTF-8
}

func (l label) isUTF8() bool { return l.known && l.enc == nil }

// lookup resolves a charset name the way browsers do (WHATWG labels: "latin1" and "us-ascii" are
// windows-1252, "gb2312" is GBK, …).
func lookup(name string) label {
	name = strings.TrimSpace(name)
	l := label{name: name}
	switch {
	case name == "":
		return l
	case strings.EqualFold(name, "utf-8"): // the common case, without allocating
		l.known = true
		return l
	case isWideLabel(name):
		// sniff found no UTF-16/32 pattern, so the bytes are ASCII-compatible: the label is wrong.
		l.known = true
		return l
	}
	enc, err := htmlindex.Get(name)
	if err != nil {
		return l
	}
	switch canonical, _ := htmlindex.Name(enc); canonical {
	case "utf-8":
		l.known = true
	case "replacement":
		// ISO-2022-KR, HZ-GB-2312 and a few others: WHATWG decodes them as a single U+FFFD.
	default:
		l.enc, l.known = enc, true
	}
	return l
}

// isWideLabel reports whether name is a UTF-16 or UTF-32 label, including the spellings Python accepts
// ("utf16", "utf_32", "u16").
func isWideLabel(name string) bool {
	var buf [16]byte // name in lower case without '-', '_' and ' '
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == ' ':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if n == len(buf) {
			return false
		}
		buf[n] = c
		n++
	}
	switch s := string(buf[:n]); {
	case strings.HasPrefix(s, "utf16"), strings.HasPrefix(s, "utf32"):
		return true
	case s == "u16", s == "u32", s == "ucs2", s == "ucs4", s == "iso10646ucs2", s == "iso10646ucs4",
		s == "unicode", s == "unicodefeff", s == "unicodefffe", s == "csunicode":
		return true
	}
	return false
}

// charset picks the encoding of body, which has no byte order mark and no UTF-16/32 pattern; nil means
// UTF-8. valid reports whether body is valid UTF-8.
//
// RFC 7303 §3 lets the Content-Type charset override the XML declaration, and that is the rule, with three
// exceptions for how press sites really serve feeds:
//   - A Content-Type without charset (RFC 7303 says text/xml then means us-ascii) counts as saying nothing,
//     so the declaration decides.
//   - When the header and the declaration disagree and one of them says UTF-8, the bytes decide: a body that
//     is not valid UTF-8 is read with the other label (a windows-1258 feed behind a server that stamps
//     charset=utf-8 on everything), a valid one as UTF-8 (a UTF-8 feed behind a server whose default is
//     charset=iso-8859-1). Legacy text with accented letters is practically never valid UTF-8 by chance.
//   - An unknown header label counts as saying nothing.
//
// JSON documents are UTF-8 (RFC 8259 §8.1): their header is not consulted. A label nobody knows is no
// problem when the bytes are valid UTF-8; otherwise charset returns an error wrapping ErrCharset.
func charset(body []byte, contentType string, valid bool) (encoding.Encoding, error) {
	if IsJSON(body) {
		return nil, nil
	}
	hdr := lookup(headerCharset(contentType))
	decl := label{name: "utf-8", known: true}
	if e := declEncoding(body); !bytes.EqualFold(e, []byte("utf-8")) { // converting allocates
		decl = lookup(string(e))
	}
	pick := hdr
	switch {
	case hdr.name == "":
		pick = decl
	case decl.name == "":
	case !hdr.known:
		pick = decl
	case hdr.isUTF8() && !valid && !decl.isUTF8():
		pick = decl // which may be a name we do not know: then the error names it
	case hdr.enc != nil && decl.isUTF8() && valid:
		pick = decl
	}
	switch {
	case pick.enc != nil:
		return pick.enc, nil
	case pick.known || pick.name == "" || valid:
		return nil, nil
	}
	name := pick.name
	if len(name) > 40 {
		name = name[:40] + "…"
	}
	return nil, fmt.Errorf("%w %q", ErrCharset, name)
}

// IsJSON reports whether the first byte of body that is not white space is '{'.
func IsJSON(body []byte) bool {
	i := skipSpace(body, 0)
	return i < len(body) && body[i] == '{'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && IsXMLSpace(b[i]) {
		i++
	}
	return i
}

func IsXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// headerCharset returns the charset parameter of a Content-Type header, or "". It is lenient where
// mime.ParseMediaType is strict: `text/xml;charset = "us-ascii"` and `charset='gb2312'` are common.
func headerCharset(contentType string) string {
	_, params, _ := strings.Cut(contentType, ";")
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "charset") {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		return strings.TrimSpace(v)
	}
	return ""
}

// declEncoding returns the encoding pseudo-attribute of the XML declaration that opens body (after white
// space, which XML forbids there but feeds have), or nil.
func declEncoding(body []byte) []byte {
	i := skipSpace(body, 0)
	if !isXMLDeclAt(body, i) {
		return nil
	}
	end := bytes.Index(body[i:], []byte("?>"))
	if end < 0 {
		return nil
	}
	return lenientEncoding(body[i+len("<?xml") : i+end])
}

// isXMLDeclAt reports whether b[i:] starts a processing instruction whose target is exactly "xml" as
// encoding/xml reads names: up to the first ASCII byte that is not a letter, digit, '_', ':', '.' or '-'
// (so "<?xml!version='0'?>" counts).
func isXMLDeclAt(b []byte, i int) bool {
	const p = "<?xml"
	if len(b)-i <= len(p) || string(b[i:i+len(p)]) != p {
		return false
	}
	switch c := b[i+len(p)]; {
	case c >= utf8.RuneSelf, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return false
	case c == '_' || c == ':' || c == '.' || c == '-':
		return false
	}
	return true
}

// lenientEncoding returns the value of the encoding pseudo-attribute in the content of an XML declaration,
// allowing white space around '=' as the XML grammar does, or nil.
func lenientEncoding(content []byte) []byte {
	const name = "encoding"
	for i := 0; ; {
		k := bytes.Index(content[i:], []byte(name))
		if k < 0 {
			return nil
		}
		k += i
		i = k + len(name)
		if k > 0 && !IsXMLSpace(content[k-1]) {
			continue
		}
		j := skipSpace(content, i)
		if j == len(content) || content[j] != '=' {
			continue
		}
		j = skipSpace(content, j+1)
		if j == len(content) || content[j] != '"' && content[j] != '\'' {
			continue
		}
		end := bytes.IndexByte(content[j+1:], content[j])
		if end < 0 {
			return nil
		}
		return content[j+1 : j+1+end]
	}
}

// procInst returns the value of param (ending in '=') in the content of a processing instruction exactly
// as encoding/xml's procInst finds it (the first `param=` directly followed by a quote), or nil: gofeed's
// parser acts on that, not on what the XML grammar says.
func procInst(param string, content []byte) []byte {
	i := 0
	var sep byte
	for i < len(content) {
		sub := content[i:]
		k := bytes.Index(sub, []byte(param))
		if k < 0 || len(param)+k >= len(sub) {
			return nil
		}
		i += len(param) + k + 1
		if c := sub[len(param)+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return nil
	}
	j := bytes.IndexByte(content[i:], sep)
	if j < 0 {
		return nil
	}
	return content[i : i+j]
}

// declNeedsFix reports whether an XML declaration with this content (between "<?xml" and "?>") would make
// encoding/xml decode a second time, fail, or make Body pick another charset when run again.
func declNeedsFix(content []byte) bool {
	if v := procInst("version=", content); v != nil && string(v) != "1.0" {
		return true // encoding/xml: unsupported version
	}
	for _, e := range [...][]byte{procInst("encoding=", content), lenientEncoding(content)} {
		if e != nil && !bytes.EqualFold(e, []byte("utf-8")) {
			return true
		}
	}
	return false
}

// xmlDecl replaces an opening XML declaration that needs fixing.
const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>`

// fast marks the bytes clean must look at: C0 controls other than tab, LF and CR, '&', and 0xEF, which
// leads U+FFFE, U+FFFF and U+FEFF.
var fast = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n' && c != '\r'
	}
	t['&'], t[0xEF] = true, true
	return t
}()

// clean reports whether body, valid UTF-8 without BOM, can go to gofeed as it is: no character XML forbids,
// raw or referenced, no "--" inside a comment, and no XML declaration that needs fixing. It errs on the side
// of false, since repair then decides exactly.
func clean(body []byte) bool {
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !fast[c] {
			continue
		}
		switch c {
		case '&':
			if i+1 < len(body) && body[i+1] == '#' {
				end, v := refAt(body, i)
				if end > 0 && !plaintext.IsXMLChar(v) {
					return false
				}
			}
		case 0xEF:
			if i+2 < len(body) && body[i+1] == 0xBF && (body[i+2] == 0xBE || body[i+2] == 0xBF) {
				return false
			}
		default:
			return false
		}
	}
	// Comments: "--" inside one is fatal to encoding/xml. Without tracking CDATA, any "--" not followed by
	// '>' after the first "<!--" sends the body to repair, which knows.
	if k := bytes.Index(body, []byte("<!--")); k >= 0 {
		for rest := body[k+len("<!--"):]; ; {
			j := bytes.Index(rest, []byte("--"))
			if j < 0 {
				break
			}
			if j+2 == len(rest) || rest[j+2] != '>' {
				return false
			}
			rest = rest[j+3:]
		}
	}
	// XML declarations: the opening one, and any other, which encoding/xml also obeys. Each check reads up to
	// the next "?>", which many "<?xml" may share: past a few, repair (linear) decides.
	for i, n := 0, 0; ; n++ {
		k := bytes.Index(body[i:], []byte("<?xml"))
		if k < 0 {
			return true
		}
		if n == 4 {
			return false
		}
		i += k
		if isXMLDeclAt(body, i) {
			end := bytes.Index(body[i:], []byte("?>"))
			if end < 0 {
				return true // never closed, so never acted on, here or later
			}
			if declNeedsFix(body[i+len("<?xml") : i+end]) {
				return false
			}
		}
		i += len("<?xml")
	}
}

// refAt parses the numeric character reference "&#…;" or "&#x…;" starting at b[i], returning the index
// just past its ';' and its value (capped above utf8.MaxRune), or end 0 when there is none. An upper-case X is
// accepted: XML rejects it, encoding/xml leaves it as text, and gofeed later unescapes it anyway.
func refAt(b []byte, i int) (end int, v rune) {
	j := i + 2 // past "&#"
	base := rune(10)
	if j < len(b) && (b[j] == 'x' || b[j] == 'X') {
		base, j = 16, j+1
	}
	start := j
	for ; j < len(b); j++ {
		d := digit(b[j])
		if d >= base {
			break
		}
		if v <= utf8.MaxRune {
			v = v*base + d
		}
	}
	if j == start || j == len(b) || b[j] != ';' {
		return 0, 0
	}
	return j + 1, v
}

// digit returns the value of a hex digit, or 16.
func digit(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return 16
}

// Where repair is in the markup. XML parses references everywhere but in CDATA sections and comments.
const (
	inText      = iota // character data, tags, attribute values
	inCDATA            // after "<![CDATA[", until "]]>"
	inComment          // after "<!--", until "-->"
	inPI               // after "<?", until "?>"
	inDirective        // after "<!" and a byte other than '-' or '[', until a '>' outside quotes and nesting
)

// repairer writes the repaired document. Every decision it takes looks at what it has already written
// (never at its input), and nothing it removes later reaches back before a byte that triggered a decision
// (';', '[', '-', '?', '>'), and nothing is removed inside a comment: so running it again on its own output
// changes nothing, even where a removal joins two pieces into something new ("&#&#0;x1F;" loses both
// references).
type repairer struct {
	out    []byte
	mode   int
	start  int  // in out: where the current comment's text or processing instruction begins
	sig    int  // in out: the first byte that is not white space, or -1
	json   bool // out[sig] == '{': no markup, references removed everywhere
	dashes bool // in a comment, out ends with "--": the next character must be '>'
	ret    int  // the mode a comment returns to: text, or the directive it is nested in
	bang   bool // in text, out ends with "<!": the next character says comment, CDATA or directive
	// In a directive, as encoding/xml reads one: the open quote (0 if none), the depth of nested '<', and
	// after a '<', 1 + how many bytes of "!--" (which starts a nested comment) have followed it, or 0.
	quote      byte
	depth, ltN int
}

// trigger marks the ASCII bytes repairer.ascii must see; runs of other ASCII bytes are copied at once.
var trigger = func() (t [utf8.RuneSelf]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n' && c != '\r'
	}
	for _, c := range ";[-?>!<'\"" {
		t[c] = true
	}
	return t
}()

// repair returns src, which is in UTF-8 but may have invalid bytes, repaired as Body describes.
func repair(src []byte) []byte {
	r := repairer{out: make([]byte, 0, len(src)+len(xmlDecl)), sig: -1}
	for i := 0; i < len(src); {
		if r.sig >= 0 && !r.dashes && !r.bang && r.ltN == 0 { // copy plain text as it is, up to the next byte that needs a look
			j := i
			for j < len(src) {
				if c := src[j]; c < utf8.RuneSelf {
					if trigger[c] {
						break
					}
					j++
					continue
				}
				ru, n := utf8.DecodeRune(src[j:])
				if ru == utf8.RuneError && n == 1 || !plaintext.IsXMLChar(ru) {
					break
				}
				j += n
			}
			r.out = append(r.out, src[i:j]...)
			if i = j; i == len(src) {
				break
			}
		}
		n := 1
		if src[i] >= utf8.RuneSelf {
			_, n = utf8.DecodeRune(src[i:])
		}
		r.char(src[i : i+n])
		i += n
	}
	return r.out
}

var replacement = []byte("\uFFFD")

// char writes the character (or invalid byte) b, or drops it, and follows the markup.
func (r *repairer) char(b []byte) {
	if b[0] < utf8.RuneSelf {
		r.ascii(b[0])
		return
	}
	switch ru, n := utf8.DecodeRune(b); {
	case ru == utf8.RuneError && n == 1:
		b = replacement
	case !plaintext.IsXMLChar(ru):
		return // U+FFFE, U+FFFF (surrogates are invalid UTF-8 already)
	case ru == 0xFEFF && len(r.out) == 0:
		return // a byte order mark, or a second one
	}
	if r.sig < 0 {
		r.sig, r.json = len(r.out), false
	}
	if r.dashes {
		r.breakDashes()
	}
	switch {
	case r.bang:
		r.startDirective()
	case r.mode == inDirective && r.ltN > 0:
		r.ltN, r.depth = 0, r.depth+1
	}
	r.out = append(r.out, b...)
}

// startDirective enters a directive: "<!" was followed by a byte that starts neither a comment nor CDATA.
// encoding/xml takes that first byte as it is, even a '<' or a quote: "<!<!-->" is a whole directive.
func (r *repairer) startDirective() {
	r.bang = false
	r.mode, r.quote, r.depth, r.ltN = inDirective, 0, 0, 0
}

// directive follows c, an ASCII character just written inside a directive, as encoding/xml does: quotes hide
// '<' and '>', a '<' nests unless "!--" follows it (a comment, which returns to the directive), and a '>'
// outside quotes and nesting ends the directive.
func (r *repairer) directive(c byte) {
	if r.ltN > 0 {
		if c == "!--"[r.ltN-1] {
			if r.ltN++; r.ltN == 4 {
				r.ltN = 0
				r.mode, r.ret, r.start = inComment, inDirective, len(r.out)
			}
			return
		}
		r.ltN, r.depth = 0, r.depth+1 // and c is read as any other byte
	}
	switch {
	case r.quote == 0 && c == '>' && r.depth == 0:
		r.mode = inText
	case c == r.quote:
		r.quote = 0
	case r.quote != 0:
	case c == '\'' || c == '"':
		r.quote = c
	case c == '>':
		r.depth--
	case c == '<':
		r.ltN = 1
	}
}

// ascii writes c, or drops it if XML forbids it, and follows the markup.
func (r *repairer) ascii(c byte) {
	if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
		return
	}
	if r.sig < 0 && !IsXMLSpace(c) {
		r.sig, r.json = len(r.out), c == '{'
	}
	if r.mode == inComment && !r.json {
		r.comment(c)
		return
	}
	r.out = append(r.out, c)
	if r.json {
		if c == ';' {
			r.dropRef()
		}
		return
	}
	if r.bang {
		if r.bang = false; c != '-' && c != '[' {
			r.startDirective()
			return
		}
	}
	switch r.mode {
	case inDirective:
		r.directive(c) // references stay: encoding/xml does not read them there, and dropping one could join
		// the bytes around it into something that would then be read differently
	case inText:
		switch {
		case c == '!' && len(r.out) >= 2 && r.out[len(r.out)-2] == '<':
			r.bang = true
		case c == ';':
			r.dropRef()
		case c == '[' && bytes.HasSuffix(r.out, []byte("<![CDATA[")):
			r.mode = inCDATA
		case c == '-' && bytes.HasSuffix(r.out, []byte("<!--")):
			r.mode, r.start, r.ret = inComment, len(r.out), inText
		case c == '?' && bytes.HasSuffix(r.out, []byte("<?")):
			r.mode, r.start = inPI, len(r.out)-2
		}
	case inCDATA:
		if c == '>' && bytes.HasSuffix(r.out, []byte("]]>")) {
			r.mode = inText
		}
	case inPI:
		switch {
		case c == ';':
			r.dropRef()
		case c == '>' && bytes.HasSuffix(r.out, []byte("?>")) && len(r.out)-2 >= r.start+2:
			r.endPI()
		}
	}
}

// comment writes c, an ASCII character inside a comment. encoding/xml, strict or not, rejects "--" there
// unless it ends the comment (and gofeed with it the whole feed: `<!-- ------ -->` is common), so such a "--"
// becomes "- -". Comments are discarded by gofeed; nothing else changes there, references included.
func (r *repairer) comment(c byte) {
	if r.dashes {
		if c == '>' {
			r.out = append(r.out, c)
			r.mode, r.dashes = r.ret, false
			return
		}
		r.breakDashes()
	}
	r.out = append(r.out, c)
	// both dashes after "<!--": encoding/xml does not let "<!--->" close the comment
	r.dashes = c == '-' && len(r.out)-2 >= r.start && r.out[len(r.out)-2] == '-'
}

// breakDashes turns the "--" that out ends with into "- -": "--->" then still ends the comment.
func (r *repairer) breakDashes() {
	r.out = append(r.out[:len(r.out)-1], ' ', '-')
	r.dashes = false
}

// dropRef removes the numeric character reference that the ';' just written ends, if it names a character
// XML forbids. It looks back over hex digits only, which a later call never crosses again (they are followed
// by this ';' or removed), so the work stays linear.
func (r *repairer) dropRef() {
	o := r.out
	semi := len(o) - 1
	k := semi
	for k > 0 && digit(o[k-1]) < 16 {
		k--
	}
	if k == semi || k < 2 {
		return
	}
	p := k - 1 // '#', or 'x' after '#'
	if o[p] == 'x' || o[p] == 'X' {
		p--
	}
	if p < 1 || o[p] != '#' || o[p-1] != '&' {
		return
	}
	end, v := refAt(o, p-1)
	if end != len(o) || plaintext.IsXMLChar(v) {
		return // "&#1F;" is no reference; "&#233;" names é
	}
	r.out = o[:p-1]
	if r.sig >= len(r.out) {
		r.sig, r.json = -1, false
	}
}

// endPI handles the processing instruction that the '>' just written closes. encoding/xml obeys every
// `<?xml … ?>`: an opening one that needs fixing is replaced by xmlDecl, any other such one is dropped.
func (r *repairer) endPI() {
	r.mode = inText
	pi := r.out[r.start:]
	if !isXMLDeclAt(pi, 0) || !declNeedsFix(pi[len("<?xml"):len(pi)-2]) {
		return
	}
	r.out = r.out[:r.start]
	if r.start == r.sig {
		r.out = append(r.out, xmlDecl...)
	}
}

// CloseTruncated returns a copy of the XML document b with the end tags of
// its outer containers (rss, channel, feed, rdf:RDF) appended, or the '>'
// of its last end tag ("</rss" at the end of the file). It returns false
// when anything else is open or the document ends in text, a start tag,
// CDATA or a comment: an item cut in half is never completed, so a
// truncated document brings only its whole items.
func CloseTruncated(b []byte) ([]byte, bool) {
	fixed := bytes.TrimRight(b, " \t\r\n")
	if i := bytes.LastIndex(fixed, []byte("</")); i >= 0 && bytes.IndexByte(fixed[i:], '>') < 0 && isName(fixed[i+2:]) {
		fixed = append(bytes.Clone(fixed), '>')
	}
	d := xml.NewDecoder(bytes.NewReader(fixed))
	d.Strict = false // bare '&' and unknown entities, as gofeed's own parser allows
	var open []string
	textAfter := false // non-space text after the last tag
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open = append(open, rawName(t.Name))
			textAfter = false
		case xml.EndElement:
			// Pop up to the element it closes; an end tag that closes
			// nothing open is gofeed's problem, not truncation.
			name := rawName(t.Name)
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == name {
					open = open[:i]
					break
				}
			}
			textAfter = false
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				textAfter = true
			}
		}
	}
	if textAfter || len(open) == 0 && len(fixed) == len(b) {
		return nil, false
	}
	out := bytes.Clone(fixed)
	for i := len(open) - 1; i >= 0; i-- {
		local := open[i][strings.IndexByte(open[i], ':')+1:]
		if local != "rss" && local != "channel" && local != "feed" && local != "RDF" {
			return nil, false
		}
		out = append(out, "</"+open[i]+">"...)
	}
	return out, true
}

func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// isName reports whether b is an XML name in ASCII, or a name that
// starts with a non-ASCII letter: what may follow "</".
func isName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':', c >= 0x80:
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// StripDoctype returns a copy of the XML document b without its document
// type declaration, or false when it has none. gofeed never expands the
// entities a DTD declares, so dropping it loses nothing, but a long
// internal subset hides the root element from gofeed's feed-type detection.
func StripDoctype(b []byte) ([]byte, bool) {
	i := bytes.Index(b, []byte("<!DOCTYPE"))
	if i < 0 || bytes.Contains(b[:i], []byte("<rss")) || bytes.Contains(b[:i], []byte("<feed")) {
		return nil, false
	}
	end := bytes.IndexByte(b[i:], '>')
	if open := bytes.IndexByte(b[i:], '['); open >= 0 && (end < 0 || open < end) {
		// An internal subset: it ends at "]" and optional space, then '>'.
		j := bytes.Index(b[i+open:], []byte("]"))
		for j >= 0 {
			k := i + open + j + 1
			for k < len(b) && IsXMLSpace(b[k]) {
				k++
			}
			if k < len(b) && b[k] == '>' {
				end = k - i
				break
			}
			next := bytes.Index(b[i+open+j+1:], []byte("]"))
			if next < 0 {
				j = -1
				break
			}
			j += next + 1
		}
		if j < 0 {
			return nil, false
		}
	}
	if end < 0 {
		return nil, false
	}
	return slices.Concat(b[:i], b[i+end+1:]), true
}

// RepairJSONFeed returns a copy of the JSON Feed b with the members that
// publishers commonly get the type of wrong put into the shape JSON Feed
// 1.1 gives them (tags as one comma-separated string, authors or
// attachments as one object, author as a bare name), or false when there is
// nothing of the kind: gofeed rejects the whole feed for one such member.
func RepairJSONFeed(b []byte) ([]byte, bool) {
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // numbers pass through untouched
	if err := d.Decode(&doc); err != nil {
		return nil, false
	}
	changed := fixAuthors(doc)
	items, _ := doc["items"].([]any)
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		if fixAuthors(m) {
			changed = true
		}
		switch v := m["tags"].(type) {
		case string:
			tags := []any{}
			for t := range strings.SplitSeq(v, ",") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
			m["tags"], changed = tags, true
		case []any:
			kept := v[:0]
			for _, t := range v {
				if s, ok := t.(string); ok {
					kept = append(kept, s)
				}
			}
			if len(kept) != len(v) {
				m["tags"], changed = kept, true
			}
		}
		if obj, ok := m["attachments"].(map[string]any); ok {
			m["attachments"], changed = []any{obj}, true
		}
	}
	if !changed {
		return nil, false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

// fixAuthors gives m's author and authors members the types JSON Feed
// says, and reports whether it changed anything.
func fixAuthors(m map[string]any) bool {
	changed := false
	if s, ok := m["author"].(string); ok {
		m["author"], changed = map[string]any{"name": s}, true
	}
	switch v := m["authors"].(type) {
	case map[string]any:
		m["authors"], changed = []any{v}, true
	case string:
		m["authors"], changed = []any{map[string]any{"name": v}}, true
	}
	return changed
}
