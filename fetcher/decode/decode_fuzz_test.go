package decode

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pressfeed/pressfeed/fetcher/internal/corpustest"
)

func FuzzDecodeBody(f *testing.F) {
	for _, rel := range []string{
		"feedparser/encoding/utf-16le-bom.xml",
		"feedparser/encoding/utf-16be-autodetect.xml",
		"feedparser/encoding/utf-32le-autodetect.xml",
		"feedparser/encoding/euc-kr.xml",
		"feedparser/encoding/bozo_invalid-bytes-with-bom.xml",
		"feedparser/encoding/http_text_xml_charset_overrides_encoding.xml",
		"feedparser/encoding/encoding_attribute_crash.xml",
		"feedparser/illformed/chardet/tis620.xml",
	} {
		b, err := os.ReadFile(filepath.Join(corpus, rel))
		if err != nil {
			continue // the corpus is optional; the inline seeds below are not
		}
		f.Add(b, corpustest.Header(b))
	}
	for _, s := range []struct{ body, contentType string }{
		{rssHead + "Việt Nam" + rssTail, ""},
		{`<?xml version="1.0" encoding="windows-1258"?><rss>Vi` + "\xea\xf2" + `t Nam</rss>`, "text/xml; charset=utf-8"},
		{"<rss>H\xf4\xcc Ch\xed Minh</rss>", "text/xml; charset=windows-1258"},
		{"\xef\xbb\xbf<rss>a\x00&#0;&#x1F;&#xFFFE;&#xD800;<![CDATA[&#1;\x01]]>\uFFFE</rss>", ""},
		{"<rss>&#&#0;x1F;<!-- <![CDATA[ -->&#11;<?xml version='1.1'?></rss>", ""},
		{"<rss><!-- a -- b ---><!---->&#1;<!--->--></rss>", ""},
		{"<rss><!<!-->&#0;<!D<![CDATA[>>&#1;<!<!<!-- -- -->&#2;<!x '>' \"<!--\" <a<!---->>&#3;</rss>", ""},
		{`<?xml version="1.1" encoding = 'utf-16'?><rss a="&#1;"/>`, "application/xml; charset=\"bogus\""},
		{"\xff\xfe<\x00r\x00s\x00s\x00>\x00\x00\xd8", ""},
		{"\x00<\x00r\x00s\x00s\x00>", "text/xml; charset=utf-16"},
		{"{\"title\":\"a\x01\xff<![CDATA[&#1;\"}", "application/feed+json"},
		{`<?xml version="1.0" encoding="VISCII"?><rss>Vi` + "\xd6" + `t</rss>`, ""},
	} {
		f.Add([]byte(s.body), s.contentType)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		in := bytes.Clone(body)
		out, err := Body(body, contentType)
		if !bytes.Equal(body, in) {
			t.Fatalf("Body modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrCharset) {
				t.Fatalf("Body(%q, %q): %v, which is not an ErrCharset", body, contentType, err)
			}
			return
		}
		checkOutput(t, body, out)
	})
}

// checkOutput checks what Body returned for in: valid UTF-8 without BOM, nothing XML forbids (raw or
// referenced outside CDATA), no XML declaration encoding/xml would act on, and unchanged by a second run.
func checkOutput(tb testing.TB, in, out []byte) {
	tb.Helper()
	if !utf8.Valid(out) {
		tb.Fatalf("Body(%.200q) = %.200q: invalid UTF-8", in, out)
	}
	if bytes.HasPrefix(out, []byte("\uFEFF")) {
		tb.Fatalf("Body(%.200q) = %.200q: starts with a BOM", in, out)
	}
	for i, r := range string(out) {
		if !testXMLChar(r) {
			tb.Fatalf("Body(%.200q) = %.200q: %U at %d", in, out, r, i)
		}
	}
	if ref := testForbiddenRef(out); ref != "" {
		tb.Fatalf("Body(%.200q) = %.200q: reference %s", in, out, ref)
	}
	if !testIsJSON(out) {
		if err := testXMLOracle(out); err != nil {
			tb.Fatalf("Body(%.200q) = %.200q: encoding/xml: %v", in, out, err)
		}
	}
	again, err := Body(out, "")
	if err != nil || !bytes.Equal(again, out) {
		tb.Fatalf("Body(%.200q) = %.200q; again = %.200q, %v", in, out, again, err)
	}
	if len(out) > 0 && len(again) > 0 && &again[0] != &out[0] {
		tb.Fatalf("Body(%.200q) copied its clean input", out)
	}
	if len(out) > 0 && len(out) <= len(in) && &in[len(in)-len(out)] == &out[0] {
		// The fast path said "clean" (of the input, or what follows its BOM): the repair must agree.
		if r := repair(out); !bytes.Equal(r, out) {
			tb.Fatalf("Body(%.200q) returned (part of) its input, but repair gives %.200q", in, r)
		}
	}
}

// testXMLChar is the Char production of XML 1.0 §2.2, written out again.
func testXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || 0x20 <= r && r <= 0xD7FF || 0xE000 <= r && r <= 0xFFFD ||
		0x10000 <= r && r <= 0x10FFFF
}

func testIsJSON(b []byte) bool {
	s := strings.TrimLeft(string(b), " \t\r\n")
	return strings.HasPrefix(s, "{")
}

// testForbiddenRef returns the first numeric character reference in b that names something other than an
// XML Char and is not inside a CDATA section, comment or directive, reading b forward as encoding/xml does;
// JSON has no markup.
func testForbiddenRef(b []byte) string {
	s := string(b)
	json := testIsJSON(b)
	const (
		text = iota
		cdata
		comment
		pi
		directive
	)
	mode, ret := text, text
	var quote byte // in a directive
	depth := 0
	for i := 0; i < len(s); {
		rest := s[i:]
		if !json {
			next, skip := mode, 0
			switch mode {
			case text:
				switch {
				case strings.HasPrefix(rest, "<![CDATA["):
					next, skip = cdata, 9
				case strings.HasPrefix(rest, "<!--"):
					next, skip, ret = comment, 4, text
				case strings.HasPrefix(rest, "<?"):
					next, skip = pi, 2
				case strings.HasPrefix(rest, "<!") && len(rest) > 2 && rest[2] != '-' && rest[2] != '[':
					// "<!" and one byte taken as it is, whatever it is
					next, skip, quote, depth = directive, 3, 0, 0
				}
			case directive:
				c := rest[0]
				switch {
				case quote == 0 && c == '>' && depth == 0:
					next, skip = text, 1
				case c == quote:
					quote = 0
				case quote != 0:
				case c == '"' || c == '\'':
					quote = c
				case c == '>':
					depth--
				case strings.HasPrefix(rest, "<!--"):
					next, skip, ret = comment, 4, directive
				case c == '<':
					depth++
				}
				if skip == 0 {
					i++
					continue
				}
			case cdata:
				if strings.HasPrefix(rest, "]]>") {
					next, skip = text, 3
				} else {
					i++
					continue
				}
			case comment:
				if strings.HasPrefix(rest, "-->") {
					next, skip = ret, 3
				} else {
					i++
					continue
				}
			case pi:
				if strings.HasPrefix(rest, "?>") {
					next, skip = text, 2
				}
			}
			if skip > 0 {
				mode, i = next, i+skip
				continue
			}
		}
		if strings.HasPrefix(rest, "&#") {
			digits, base := rest[2:], 10
			if strings.HasPrefix(digits, "x") || strings.HasPrefix(digits, "X") {
				digits, base = digits[1:], 16
			}
			if end := strings.IndexByte(digits, ';'); end > 0 && testAllDigits(digits[:end], base) {
				// ParseUint fails only by overflow now, and a reference beyond U+10FFFF names no Char.
				v, err := strconv.ParseUint(digits[:end], base, 32)
				if err != nil || v > 0x10FFFF || !testXMLChar(rune(v)) {
					return rest[:len(rest)-len(digits)+end+1]
				}
			}
		}
		i++
	}
	return ""
}

func testAllDigits(s string, base int) bool {
	for _, c := range s {
		switch {
		case '0' <= c && c <= '9':
		case base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
		default:
			return false
		}
	}
	return true
}

// testXMLOracle tokenizes b as gofeed does (encoding/xml, not strict) and reports the errors Body
// exists to prevent: a character XML forbids, invalid UTF-8, an XML declaration that makes encoding/xml
// decode again or give up. Other syntax errors end the check.
func testXMLOracle(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	var charset error
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		charset = errors.New("asked to decode " + strconv.Quote(label))
		return r, nil
	}
	for {
		_, err := d.RawToken()
		if charset != nil {
			return charset
		}
		if err == nil {
			continue
		}
		for _, bad := range []string{"illegal character code", "invalid UTF-8", "unsupported version", `invalid sequence "--"`} {
			if strings.Contains(err.Error(), bad) {
				return err
			}
		}
		return nil
	}
}
