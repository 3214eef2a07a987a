package fetcher

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pressfeed/pressfeed/fetcher/decode"
)

// Bounds on the shape of one document, checked by checkShape before gofeed
// sees it. gofeed recurses once per level of nesting (a deep enough
// document ends the process with a stack overflow, which no recover
// catches), decodes every item before any cap on its result applies, and
// spends a few hundred bytes of heap per element, attribute or JSON value:
// 8 MiB of `<item/>` cost 500 MB, of `{},` items 860 MB, of bare
// attributes 590 MB. Within these bounds the costliest 8 MiB documents we
// could build peak under 80 MiB while parsed, and text alone costs about
// 6× its size (see README, "Limits").
const (
	maxDocDepth = 256 // nesting of elements (XML), or of arrays and objects (JSON)
	// maxDocNodes bounds the elements and attributes of an XML document,
	// the values of a JSON one: maxItems items of 40 each. An item of a
	// press feed has 10 to 25 (title, link, guid, date, categories,
	// enclosure and its attributes, media elements).
	maxDocNodes = 40_000
)

// Errors of documents refused for their shape.
var (
	ErrTooDeep      = errors.New("fetcher: document nested too deep")
	ErrTooManyItems = errors.New("fetcher: document has too many items")
	ErrTooManyNodes = errors.New("fetcher: document has too many elements")
)

// checkShape refuses a document nesting deeper than maxDocDepth, holding more
// than maxItems items or more than maxDocNodes elements and attributes (JSON:
// values). It reads the document once, in linear time, and allocates
// nothing: it must cost little beside the parse it guards.
//
// Items are XML elements named item or entry, whatever their namespace
// prefix and depth (RSS <item>, RSS 1.0 items, Atom <entry>), and the
// elements of the "items" array of a JSON Feed. The scan follows
// encoding/xml's tokenizer as gofeed runs it (not strict): comments, CDATA
// sections, processing instructions and the DTD hold no elements, and a
// quoted attribute value may hold '>'. On input encoding/xml rejects, the
// scan may count more than the parser would have, never less before the
// point where the parser stops.
func checkShape(b []byte) error {
	if decode.IsJSON(b) {
		return checkJSONShape(b)
	}
	return checkXMLShape(b)
}

func checkXMLShape(b []byte) error {
	// The open elements' local names, as offsets into b: not strict,
	// encoding/xml closes every element above the one an end tag names
	// (sloppy HTML such as <br> inside a description), so the depth
	// follows the names, not a count of tags.
	var open [maxDocDepth + 1]struct{ lo, hi int }
	depth, nodes, items := 0, 0, 0
	i := 0
	for {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 || i+j+1 >= len(b) {
			return nil
		}
		i += j + 1
		switch b[i] {
		case '/': // an end tag: a name, spaces, '>'
			start := i + 1
			for i = start; i < len(b) && xmlNameByte(b[i]); i++ {
			}
			name := localName(b[start:i])
			k := depth - 1
			for k >= 0 && !bytes.Equal(b[open[k].lo:open[k].hi], name) {
				k--
			}
			depth = max(k, 0) // no match: every element closes, and encoding/xml fails
			i = skipPast(b, i, ">")
		case '?':
			i = skipPast(b, i+1, "?>")
		case '!':
			switch {
			case bytes.HasPrefix(b[i:], []byte("!--")):
				i = skipPast(b, i+3, "-->")
			case bytes.HasPrefix(b[i:], []byte("![CDATA[")):
				i = skipPast(b, i+8, "]]>")
			default:
				i = skipDirective(b, i+1)
			}
		default:
			start := i
			for i < len(b) && xmlNameByte(b[i]) {
				i++
			}
			nameEnd := i
			name := localName(b[start:i])
			if bytes.EqualFold(name, []byte("item")) || bytes.EqualFold(name, []byte("entry")) {
				if items++; items > maxItems {
					return fmt.Errorf("%w (over %d)", ErrTooManyItems, maxItems)
				}
			}
			var attrs int
			var empty bool
			i, attrs, empty = skipTag(b, i, maxDocNodes-nodes)
			if nodes += 1 + attrs; nodes > maxDocNodes {
				return fmt.Errorf("%w (over %d elements and attributes)", ErrTooManyNodes, maxDocNodes)
			}
			if !empty {
				if depth >= maxDocDepth {
					return fmt.Errorf("%w (over %d levels)", ErrTooDeep, maxDocDepth)
				}
				open[depth].lo, open[depth].hi = nameEnd-len(name), nameEnd
				depth++
			}
		}
	}
}

// skipPast returns the index just past the first end in b at or after i,
// or len(b).
func skipPast(b []byte, i int, end string) int {
	if i >= len(b) {
		return len(b)
	}
	j := bytes.Index(b[i:], []byte(end))
	if j < 0 {
		return len(b)
	}
	return i + j + len(end)
}

// skipTag reads the attributes of a start tag from i, just after its name,
// as encoding/xml does when not strict (values may be unquoted, or absent),
// and returns the index past the tag, the attributes it counted and
// whether the tag closed itself. It stops early, at i, once it has counted
// more than limit attributes.
func skipTag(b []byte, i, limit int) (next, attrs int, empty bool) {
	for attrs <= limit {
		i = skipXMLSpace(b, i)
		if i >= len(b) {
			return len(b), attrs, false
		}
		switch b[i] {
		case '>':
			return i + 1, attrs, false
		case '/':
			return i + 1, attrs, true // encoding/xml wants '>' next, or fails
		}
		start := i
		for i < len(b) && xmlNameByte(b[i]) {
			i++
		}
		if i == start {
			i++ // not a name: encoding/xml fails here; step on
			continue
		}
		attrs++
		if i = skipXMLSpace(b, i); i >= len(b) || b[i] != '=' {
			continue // not strict: a name alone is an attribute
		}
		if i = skipXMLSpace(b, i+1); i >= len(b) {
			return len(b), attrs, false
		}
		if q := b[i]; q == '"' || q == '\'' {
			j := bytes.IndexByte(b[i+1:], q)
			if j < 0 {
				return len(b), attrs, false
			}
			i += j + 2
			continue
		}
		for i < len(b) && unquotedValueByte(b[i]) {
			i++
		}
	}
	return i, attrs, false
}

// skipDirective skips a <!…> declaration (DOCTYPE and its internal
// subset) from i, just after "<!", the way encoding/xml reads one: nested
// '<' and '>' counted, quotes and comments skipped. Its first byte is taken
// as is, as encoding/xml does.
func skipDirective(b []byte, i int) int {
	var inquote byte
	depth := 0
	for i++; i < len(b); i++ {
		c := b[i]
		if inquote == 0 && c == '>' && depth == 0 {
			return i + 1
		}
	handle:
		switch {
		case c == inquote:
			inquote = 0
		case inquote != 0:
		case c == '\'' || c == '"':
			inquote = c
		case c == '>':
			depth--
		case c == '<':
			m := 0
			for m < 3 && i+1+m < len(b) && b[i+1+m] == "!--"[m] {
				m++
			}
			if m == 3 {
				i = skipPast(b, i+4, "-->") - 1
				continue
			}
			// Not a comment: the '<' nests, and the byte that broke
			// the match is read as any other (encoding/xml's HandleB).
			depth++
			i += 1 + m
			if i >= len(b) {
				return len(b)
			}
			c = b[i]
			goto handle
		}
	}
	return len(b)
}

func skipXMLSpace(b []byte, i int) int {
	for i < len(b) && decode.IsXMLSpace(b[i]) {
		i++
	}
	return i
}

// xmlNameByte reports whether c can be part of a name as encoding/xml
// reads one (any byte of a multi-byte character can).
func xmlNameByte(c byte) bool {
	return c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// unquotedValueByte reports whether c continues an unquoted attribute
// value, as encoding/xml reads one when not strict.
func unquotedValueByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == ':' || c == '-'
}

// localName returns the local part of an element name as encoding/xml
// splits it: after the colon when there is one between two non-empty parts.
func localName(name []byte) []byte {
	if k := bytes.IndexByte(name, ':'); k > 0 && k < len(name)-1 {
		return name[k+1:]
	}
	return name
}

// checkJSONShape is checkShape for a JSON document. Values are counted
// wherever they are; items are the elements of an "items" array (in any
// case or escaped: encoding/json matches keys so) of the outermost object.
// Malformed JSON is left to the parser, which validates the whole document
// before it decodes any of it.
func checkJSONShape(b []byte) error {
	var inObject [maxDocDepth + 1]bool // per open container: an object, not an array
	depth, nodes, items := 0, 0, 0
	key := false       // the next string is a key
	itemsNext := false // the value about to start is the root's "items"
	inItems := false   // the array open at depth 2 is the root's "items"
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			key = false
			continue
		case ',':
			key = depth > 0 && inObject[depth]
			continue
		case '}', ']':
			if depth > 0 {
				if depth == 2 {
					inItems = false
				}
				depth--
			}
			key = false
			continue
		}
		if c == '"' {
			end := jsonStringEnd(b, i+1)
			if key {
				itemsNext = depth == 1 && jsonItemsKey(b[i+1:max(end-1, i+1)])
				key = false
				i = end - 1
				continue
			}
			i = end - 1
		}
		// A value starts here.
		if nodes++; nodes > maxDocNodes {
			return fmt.Errorf("%w (over %d values)", ErrTooManyNodes, maxDocNodes)
		}
		if inItems && depth == 2 {
			if items++; items > maxItems {
				return fmt.Errorf("%w (over %d)", ErrTooManyItems, maxItems)
			}
		}
		startsItems := itemsNext
		itemsNext = false
		switch c {
		case '{', '[':
			if depth++; depth > maxDocDepth {
				return fmt.Errorf("%w (over %d levels)", ErrTooDeep, maxDocDepth)
			}
			inObject[depth] = c == '{'
			key = c == '{'
			if depth == 2 && c == '[' && startsItems {
				inItems = true
			}
		case '"':
		default: // a number, true, false, null: one value
			for i+1 < len(b) && jsonScalarByte(b[i+1]) {
				i++
			}
		}
	}
	return nil
}

// jsonStringEnd returns the index past the closing quote of the string
// whose contents start at i, or len(b).
func jsonStringEnd(b []byte, i int) int {
	for i < len(b) {
		j := bytes.IndexAny(b[i:], `"\`)
		if j < 0 {
			return len(b)
		}
		i += j
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // an escape: skip the byte it escapes
	}
	return len(b)
}

// jsonItemsKey reports whether a key's raw text may name "items":
// encoding/json matches keys without regard to case, and after decoding
// escapes, which are taken to match.
func jsonItemsKey(k []byte) bool {
	return bytes.EqualFold(k, []byte("items")) || bytes.IndexByte(k, '\\') >= 0 && len(k) <= 6*5
}

func jsonScalarByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '+' || c == '-'
}
