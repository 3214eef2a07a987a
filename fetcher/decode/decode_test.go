package decode

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/fetcher/internal/corpustest"
)

// corpus is the shared, read-only test corpus (see its SOURCES.md); it sits beside the repository, in CI too.
const corpus = "../../../shared/corpus"

func readCorpus(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(corpus, rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

const rssHead = `<rss version="2.0"><channel><title>t</title><item><title>`
const rssTail = `</title></item></channel></rss>`

func TestDecodeBodyCleanIsNotCopied(t *testing.T) {
	tests := []struct{ name, in, contentType string }{
		{"plain", rssHead + "Việt Nam" + rssTail, ""},
		{"utf-8 declaration, header", `<?xml version="1.0" encoding="utf-8"?>` + rssHead + "Hồ Chí Minh" + rssTail,
			"application/rss+xml; charset=UTF-8"},
		{"declaration without encoding", `<?xml version="1.0" standalone="yes"?><feed/>`, "text/xml"},
		{"allowed references", rssHead + "&amp; &#233; &#x1EA1; &#9; &#x10FFFF; &#1F; &#; &#x; &#11" + rssTail, ""},
		{"stylesheet", "<?xml version='1.0'?>\n<?xml-stylesheet href='a.xsl'?><rss/>", ""},
		{"tab CR LF, C1, nonchars allowed by XML", "<rss>\t\r\n\u0085\u009f\uFDD0\U0010FFFF\uFFFD</rss>", ""},
		{"zero width no-break space inside", "<rss>a\uFEFFb</rss>", ""},
		{"forbidden reference in CDATA", rssHead + "<![CDATA[&#1;]]>" + rssTail, ""},
		{"json", `{"version":"https://jsonfeed.org/version/1.1","title":"Việt &#233;"}`, "application/feed+json"},
		{"json with an xml declaration inside", `{"title":"<?xml version='1.0' encoding='latin1'?>"}`, ""},
		{"empty", "", ""},
		{"header charset utf8, a WHATWG label for UTF-8", "<rss>é</rss>", `text/xml; charset="utf8"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got, err := Body(in, tt.contentType)
			if err != nil || string(got) != tt.in {
				t.Fatalf("Body(%q) = %q, %v; want the input", tt.in, got, err)
			}
			if len(in) > 0 && &got[0] != &in[0] {
				t.Errorf("Body(%q) copied a clean body", tt.in)
			}
		})
	}
}

func TestDecodeBodyCleanAfterBOMIsNotCopied(t *testing.T) {
	in := []byte("\uFEFF<?xml version='1.0' encoding='utf-8'?><rss>Việt Nam</rss>")
	got, err := Body(in, "text/xml; charset=windows-1258")
	if err != nil || string(got) != string(in[3:]) || &got[0] != &in[3] {
		t.Errorf("Body(%q) = %q, %v; want the input after its BOM, not a copy", in, got, err)
	}
}

func TestDecodeBodyRepair(t *testing.T) {
	const d = xmlDecl
	tests := []struct{ name, in, want string }{
		// invalid UTF-8: each byte that starts no valid sequence becomes U+FFFD
		{"invalid byte", "<rss>a\xffb</rss>", "<rss>a\uFFFDb</rss>"},
		{"truncated sequence", "<rss>\xe1\xbb</rss>", "<rss>\uFFFD\uFFFD</rss>"},
		{"encoded surrogate", "<rss>\xed\xa0\x80</rss>", "<rss>\uFFFD\uFFFD\uFFFD</rss>"},
		{"overlong", "<rss>\xc0\xaf</rss>", "<rss>\uFFFD\uFFFD</rss>"},
		{"latin-1 byte in UTF-8", "<rss>Espa\xf1a</rss>", "<rss>Espa\uFFFDa</rss>"},

		// characters XML 1.0 forbids, raw
		{"NUL", "<rss>a\x00b</rss>", "<rss>ab</rss>"},
		{"C0 controls", "<rss>\x01\x08\x0b\x0c\x0e\x1f</rss>", "<rss></rss>"},
		{"tab CR LF stay", "<rss>\t\r\n</rss>", "<rss>\t\r\n</rss>"},
		{"U+FFFE U+FFFF", "<rss>a\uFFFEb\uFFFFc</rss>", "<rss>abc</rss>"},
		{"in attribute", "<rss a=\"x\x0by\"/>", "<rss a=\"xy\"/>"},
		{"in CDATA", "<rss><![CDATA[a\x0bb\uFFFE]]></rss>", "<rss><![CDATA[ab]]></rss>"},
		{"in comment", "<rss><!--\x00--></rss>", "<rss><!----></rss>"},

		// ... and as numeric character references
		{"&#0;", "<rss>a&#0;b</rss>", "<rss>ab</rss>"},
		{"&#11;", "<rss>a&#11;b</rss>", "<rss>ab</rss>"},
		{"&#x1F;", "<rss>a&#x1F;b</rss>", "<rss>ab</rss>"},
		{"&#x1f; lower case", "<rss>a&#x1f;b</rss>", "<rss>ab</rss>"},
		{"&#X1F; upper-case X", "<rss>a&#X1F;b</rss>", "<rss>ab</rss>"},
		{"&#xFFFE;", "<rss>a&#xFFFE;b&#65535;c</rss>", "<rss>abc</rss>"},
		{"surrogates", "<rss>&#xD800;&#xdfff;&#55296;</rss>", "<rss></rss>"},
		{"leading zeros", "<rss>&#0000000000000000011;&#x000000000000001;</rss>", "<rss></rss>"},
		{"beyond U+10FFFF", "<rss>&#x110000;&#99999999999999999999999;</rss>", "<rss></rss>"},
		{"allowed ones stay", "<rss>&#9;&#10;&#13;&#32;&#xD7FF;&#xE000;&#xFFFD;&#x10000;&#1114111;</rss>",
			"<rss>&#9;&#10;&#13;&#32;&#xD7FF;&#xE000;&#xFFFD;&#x10000;&#1114111;</rss>"},
		{"not references", "<rss>&#1F; &#; &#x; &#11 &amp;#11; &#x1G;</rss>", "<rss>&#1F; &#; &#x; &#11 &amp;#11; &#x1G;</rss>"},
		{"in attribute value", `<rss a="&#1;" b='&#x0;'/>`, `<rss a="" b=''/>`},
		{"in CDATA stays", "<rss><![CDATA[&#1;]]>&#1;</rss>", "<rss><![CDATA[&#1;]]></rss>"},
		{"CDATA in comment starts nothing", "<rss><!-- <![CDATA[ -->&#1;]]></rss>", "<rss><!-- <![CDATA[ -->]]></rss>"},
		{"CDATA in PI starts nothing", "<rss><?pi <![CDATA[ ?>&#1;]]></rss>", "<rss><?pi <![CDATA[ ?>]]></rss>"},
		{"comment in CDATA starts nothing", "<rss><![CDATA[<!--]]>&#1;--></rss>", "<rss><![CDATA[<!--]]>--></rss>"},
		{"<!--> opens a comment only", "<rss><!-->&#1;<![CDATA[-->&#1;]]></rss>", "<rss><!-->&#1;<![CDATA[-->]]></rss>"},
		{"references in comments stay", "<rss><!-- &#1; &#&#0;x1F; --></rss>", "<rss><!-- &#1; &#&#0;x1F; --></rss>"},
		{"-- in comment", "<rss><!-- a -- b --><a/></rss>", "<rss><!-- a - - b --><a/></rss>"},
		{"dashes in comment", "<rss><!-- ------ --><a/></rss>", "<rss><!-- - - - - - - --><a/></rss>"},
		{"---> ends a comment", "<rss><!-- a ---><a/>-- &#1;</rss>", "<rss><!-- a - --><a/>-- </rss>"},
		{"<!----> is a comment", "<rss><!----><!---->&#1;</rss>", "<rss><!----><!----></rss>"},
		{"<!---> is no end", "<rss><!---><a/>--></rss>", "<rss><!---><a/>--></rss>"},
		{"-- before non-ASCII", "<rss><!--a--é--></rss>", "<rss><!--a- -é--></rss>"},
		{"-- before a dropped character", "<rss><!--a--\x01>&#1;</rss>", "<rss><!--a--></rss>"},
		{"-- in text", "<rss>a -- b</rss>", "<rss>a -- b</rss>"},
		{"removal joins references", "<rss>&#&#0;x1F;|&&#0;#0;|&#x&#11;1&#0;F;</rss>", "<rss>||</rss>"},
		{"raw removal joins a reference", "<rss>&#\x01x1F;</rss>", "<rss></rss>"},
		{"removal joins CDATA", "<rss><![CDA&#0;TA[&#1;]]></rss>", "<rss><![CDATA[&#1;]]></rss>"},
		// encoding/xml takes the byte after "<!" as the directive's first, so "<!<!-->" is a whole directive
		{"directive that looks like a comment", "<rss><!<!-->&#0;</rss>", "<rss><!<!--></rss>"},
		{"CDATA nested in a directive is none", "<rss><!D<![CDATA[>>&#1;</rss>", "<rss><!D<![CDATA[>></rss>"},
		{"comment nested in a directive", "<rss><!D <!-- -- -->&#1;>&#1;</rss>", "<rss><!D <!-- - - -->&#1;></rss>"},
		{"quotes hide '>' in a directive", "<rss><!D '>'&#1;>&#1;</rss>", "<rss><!D '>'&#1;></rss>"},

		// byte order marks
		{"BOM", "\xef\xbb\xbf<rss/>", "<rss/>"},
		{"two BOMs", "\xef\xbb\xbf\xef\xbb\xbf<rss/>", "<rss/>"},
		{"BOM behind a reference", "\xef\xbb\xbf&#0;\xef\xbb\xbf<rss/>", "<rss/>"},
		{"BOM and invalid bytes", "\xef\xbb\xbf<rss>\xd1\xa8 Espa\xf1a</rss>", "<rss>Ѩ Espa\uFFFDa</rss>"},

		// XML declarations
		{"declaration encoding", `<?xml version="1.0" encoding="iso-8859-1"?><rss/>`, d + "<rss/>"},
		{"declaration with spaces", "  <?xml version='1.0' encoding = 'windows-1258' standalone='yes' ?>\n<rss/>", "  " + d + "\n<rss/>"},
		{"declaration version 1.1", `<?xml version="1.1" encoding="utf-8"?><rss/>`, d + "<rss/>"},
		{"declaration bogus", `<?xml version="1.0" encoding="bogus"?><rss/>`, d + "<rss/>"},
		{"declaration utf8 without dash", `<?xml version="1.0" encoding="utf8"?><rss/>`, d + "<rss/>"},
		{"declaration utf-16 on UTF-8 bytes", `<?xml version="1.0" encoding="utf-16"?><rss/>`, d + "<rss/>"},
		{"declaration never closed", `<?xml version="1.0" encoding="bogus"`, `<?xml version="1.0" encoding="bogus"`},
		{"declaration target ends at any non-name byte", `<?xml!version="0"?><rss/>`, d + "<rss/>"},
		{"not a declaration", `<?xml-stylesheet encoding="latin1"?><?xml:x encoding="latin1"?><?XML encoding="latin1"?><rss/>`,
			`<?xml-stylesheet encoding="latin1"?><?xml:x encoding="latin1"?><?XML encoding="latin1"?><rss/>`},
		{"later declaration dropped", `<?xml version="1.0"?><rss><?xml version="1.0" encoding="bogus"?>a</rss>`,
			`<?xml version="1.0"?><rss>a</rss>`},
		{"later harmless declaration kept", `<rss><?xml version="1.0" encoding="UTF-8"?>a</rss>`,
			`<rss><?xml version="1.0" encoding="UTF-8"?>a</rss>`},
		{"dropping joins a reference", "<rss>&#<?xml encoding='x'?>1;</rss>", "<rss></rss>"},
		{"declaration in CDATA kept", `<rss><![CDATA[<?xml version="1.0" encoding="latin1"?>]]></rss>`,
			`<rss><![CDATA[<?xml version="1.0" encoding="latin1"?>]]></rss>`},
		{"declaration hidden behind one in CDATA", `<rss><![CDATA[<?xml encoding='utf-8' ]]><?xml version="1.0" encoding="latin1"?></rss>`,
			`<rss><![CDATA[<?xml encoding='utf-8' ]]></rss>`},
		{"reference in declaration", `<?xml version="1.0" encoding="utf-8&#0;"?><rss/>`, `<?xml version="1.0" encoding="utf-8"?><rss/>`},

		// JSON: no markup
		{"json BOM", "\xef\xbb\xbf{\"title\":\"x\"}", `{"title":"x"}`},
		{"json invalid byte", "{\"title\":\"a\xffb\"}", "{\"title\":\"a\uFFFDb\"}"},
		{"json control", "{\"title\":\"a\x01b\"}", `{"title":"ab"}`},
		{"json reference, even in CDATA", `{"a":"<![CDATA[&#1;"}`, `{"a":"<![CDATA["}`},
		{"json declaration stays", `{"a":"<?xml version='1.1'?>"}`, `{"a":"<?xml version='1.1'?>"}`},
		{"json behind a removed reference", `&#0;{"a":"<![CDATA[&#1;"}`, `{"a":"<![CDATA["}`},
		{"not json: a control first", "\x01<rss><![CDATA[&#1;]]></rss>", "<rss><![CDATA[&#1;]]></rss>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Body([]byte(tt.in), "")
			if err != nil || string(got) != tt.want {
				t.Errorf("Body(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			again, err := Body(got, "")
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("Body(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestDecodeBodyCharset(t *testing.T) {
	const d = xmlDecl
	decl := func(enc string) string { return `<?xml version="1.0" encoding="` + enc + `"?>` }
	tests := []struct{ name, in, contentType, want string }{
		{"declaration", decl("windows-1258") + "<rss>Vi\xea\xf2t</rss>", "", d + "<rss>Vi\u00ea\u0323t</rss>"},
		{"header", "<rss>Vi\xea\xf2t</rss>", "text/xml; charset=windows-1258", "<rss>Vi\u00ea\u0323t</rss>"},
		{"header, quoted and spaced", "<rss>\xe9</rss>", `text/xml;charset = "ISO-8859-1"`, "<rss>é</rss>"},
		{"header, single quotes", "<rss>\xe9</rss>", `text/xml; charset='latin1'`, "<rss>é</rss>"},
		{"header without charset: the declaration", decl("windows-1258") + "<rss>\xf4\xcc</rss>", "text/xml", d + "<rss>ô\u0300</rss>"},
		{"header beats declaration (RFC 7303)", decl("iso-8859-2") + "<rss>\xe9\xb1</rss>", "text/xml; charset=windows-1252",
			d + "<rss>é±</rss>"},
		{"header UTF-8, bytes not: the declaration", decl("windows-1258") + "<rss>Vi\xea\xf2t</rss>", "text/xml; charset=utf-8",
			d + "<rss>Vi\u00ea\u0323t</rss>"},
		{"header UTF-8, bytes too: the header", decl("windows-1258") + "<rss>Việt</rss>", "text/xml; charset=utf-8",
			d + "<rss>Việt</rss>"},
		{"declaration UTF-8, header not, bytes UTF-8", decl("utf-8") + "<rss>Việt</rss>", "text/xml; charset=iso-8859-1",
			decl("utf-8") + "<rss>Việt</rss>"},
		{"declaration UTF-8, header not, bytes not", decl("utf-8") + "<rss>\xe9</rss>", "text/xml; charset=iso-8859-1",
			decl("utf-8") + "<rss>é</rss>"},
		{"unknown header: the declaration", decl("windows-1258") + "<rss>\xd0</rss>", "text/xml; charset=bogus", d + "<rss>Đ</rss>"},
		{"UTF-16 header on ASCII bytes", "<rss>é</rss>", "text/xml; charset=utf-16", "<rss>é</rss>"},
		{"UTF-32 declaration on ASCII bytes", decl("UTF-32") + "<rss>é</rss>", "", d + "<rss>é</rss>"},
		{"unknown, but valid UTF-8", decl("x-viet-vni") + "<rss>Việt</rss>", "", d + "<rss>Việt</rss>"},
		{"unknown header, but valid UTF-8", "<rss>Việt</rss>", "text/xml; charset=x-bogus", "<rss>Việt</rss>"},
		{"json ignores the header", "{\"a\":\"\xe9\"}", "application/json; charset=iso-8859-1", "{\"a\":\"\uFFFD\"}"},
		{"gb2312 is GBK", "<rss>\xc4\xe3\xba\xc3</rss>", "text/xml; charset=gb2312", "<rss>你好</rss>"},
		{"decoded controls removed", decl("windows-1258") + "<rss>\x0b\x00a&#1;</rss>", "", d + "<rss>a</rss>"},

		{"UTF-16LE BOM", "\xff\xfe<\x00r\x00s\x00s\x00/\x00>\x00", "", "<rss/>"},
		{"UTF-16BE BOM", "\xfe\xff\x00<\x00a\x1e\xc7\x00/\x00>", "text/xml; charset=iso-8859-1", "<aệ/>"},
		{"UTF-16LE, no BOM", "<\x00a\x00/\x00>\x00", "", "<a/>"},
		{"UTF-16BE, no BOM, declared", "\x00<\x00?\x00x\x00m\x00l\x00 \x00e\x00n\x00c\x00o\x00d\x00i\x00n\x00g\x00=\x00'\x00u\x001\x006\x00'\x00?\x00>\x00<\x00a\x00/\x00>",
			"", d + "<a/>"},
		{"UTF-16 unpaired surrogate", "\xff\xfe<\x00\x00\xd8>\x00", "", "<\uFFFD>"},
		{"UTF-16 odd length", "\xff\xfe<\x00>\x00a", "", "<>\uFFFD"},
		{"UTF-32BE BOM", "\x00\x00\xfe\xff\x00\x00\x00<\x00\x00\x00>", "", "<>"},
		{"UTF-32LE, no BOM", "<\x00\x00\x00>\x00\x00\x00", "", "<>"},
		{"UTF-16 JSON", "\xff\xfe{\x00}\x00", "", "{}"},
		{"UTF-8 BOM beats the header", "\xef\xbb\xbf<rss>é</rss>", "text/xml; charset=windows-1258", "<rss>é</rss>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Body([]byte(tt.in), tt.contentType)
			if err != nil || string(got) != tt.want {
				t.Errorf("Body(%q, %q) = %q, %v; want %q", tt.in, tt.contentType, got, err, tt.want)
			}
		})
	}
}

func TestDecodeBodyCharsetError(t *testing.T) {
	tests := []struct{ name, in, contentType, charset string }{
		{"unknown declaration", "<?xml version='1.0' encoding='VISCII'?><rss>Vi\xd6t</rss>", "", "VISCII"},
		{"unknown header", "<rss>\xd6</rss>", "text/xml; charset=tcvn3", "tcvn3"},
		{"header UTF-8, declaration unknown", "<?xml version='1.0' encoding='VISCII'?><rss>\xd6</rss>", "text/xml; charset=utf-8", "VISCII"},
		{"replacement encoding", "<?xml version='1.0' encoding='iso-2022-kr'?><rss>\x8e</rss>", "", "iso-2022-kr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Body([]byte(tt.in), tt.contentType)
			if !errors.Is(err, ErrCharset) || !strings.Contains(err.Error(), strconv.Quote(tt.charset)) {
				t.Errorf("Body(%q, %q) = %q, %v; want an ErrCharset naming %q", tt.in, tt.contentType, got, err, tt.charset)
			}
		})
	}
}

func TestDecodeHeaderCharset(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"text/xml", ""},
		{"text/xml;", ""},
		{"text/xml; qs=0.9", ""},
		{"text/xml; charset:iso-8859-1", ""},
		{"text/xml; charset=UTF-8", "UTF-8"},
		{`text/xml;charset= "us-ascii"`, "us-ascii"},
		{"text/xml;charset = us-ascii", "us-ascii"},
		{"application/atom+xml; charset='gb2312'", "gb2312"},
		{"text/xml; format=flowed; Charset=windows-1258 ", "windows-1258"},
	}
	for _, tt := range tests {
		if got := headerCharset(tt.in); got != tt.want {
			t.Errorf("headerCharset(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// whatwg1258 reads the WHATWG index: byte 0x80+pointer → code point.
func whatwg1258(t *testing.T) map[byte]rune {
	t.Helper()
	f := readCorpus(t, "charsets/whatwg-index-windows-1258.txt")
	m := make(map[byte]rune)
	sc := bufio.NewScanner(bytes.NewReader(f))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		ptr, err1 := strconv.Atoi(fields[0])
		cp, err2 := strconv.ParseUint(strings.TrimPrefix(fields[1], "0x"), 16, 32)
		if err1 != nil || err2 != nil || ptr < 0 || ptr > 127 {
			t.Fatalf("bad index line %q", sc.Text())
		}
		m[byte(0x80+ptr)] = rune(cp)
	}
	if len(m) != 128 {
		t.Fatalf("index has %d entries; want 128", len(m))
	}
	return m
}

// TestDecodeWindows1258 checks the decoder against the WHATWG index byte by byte. The nine bytes Microsoft
// leaves undefined (0x81, 0x8A, …), which WHATWG passes through as C1 controls, x/text decodes as U+FFFD:
// both are allowed in XML, and neither is text.
func TestDecodeWindows1258(t *testing.T) {
	index := whatwg1258(t)
	var undefined []string
	for b := 0x80; b <= 0xFF; b++ {
		in := []byte("<rss>x</rss>")
		in[5] = byte(b)
		got, err := Body(in, "text/xml; charset=windows-1258")
		want := "<rss>" + string(index[byte(b)]) + "</rss>"
		if index[byte(b)] == rune(b) && string(got) == "<rss>\uFFFD</rss>" {
			undefined = append(undefined, strconv.FormatInt(int64(b), 16))
			continue
		}
		if err != nil || string(got) != want {
			t.Errorf("byte %#x: Body = %q, %v; want %q", b, got, err, want)
		}
	}
	t.Logf("undefined bytes decoded as U+FFFD rather than C1 controls: %v", undefined)
}

// TestDecodeWindows1258Vietnamese decodes Vietnamese as windows-1258 writes it: base letters (some with
// circumflex, breve or horn precomposed) followed by combining tone marks.
func TestDecodeWindows1258Vietnamese(t *testing.T) {
	index := whatwg1258(t)
	tests := []struct {
		in    string // windows-1258 bytes
		runes []rune // what they decode to, not normalised
		nfc   string
	}{
		// ê (0xEA) + COMBINING DOT BELOW (0xF2)
		{"Vi\xea\xf2t Nam", []rune{'V', 'i', 0xEA, 0x323, 't', ' ', 'N', 'a', 'm'}, "Việt Nam"},
		// ô (0xF4) + COMBINING GRAVE (0xCC); í is precomposed (0xED)
		{"H\xf4\xcc Ch\xed Minh", []rune{'H', 0xF4, 0x300, ' ', 'C', 'h', 0xED, ' ', 'M', 'i', 'n', 'h'}, "Hồ Chí Minh"},
		// Đ (0xD0), ư (0xFD), ơ (0xF5) + COMBINING GRAVE (0xCC); ô (0xF4) + COMBINING ACUTE (0xEC)
		{"\xd0\xfd\xf5\xccng ph\xf4\xec", []rune{0x110, 0x1B0, 0x1A1, 0x300, 'n', 'g', ' ', 'p', 'h', 0xF4, 0x301}, "Đường phố"},
		// u + COMBINING HOOK ABOVE (0xD2); đ (0xF0); a + COMBINING TILDE (0xDE)
		{"Thu\xd2 \xf0\xf4, Nga\xde", []rune{'T', 'h', 'u', 0x309, ' ', 0x111, 0xF4, ',', ' ', 'N', 'g', 'a', 0x303}, "Thủ đô, Ngã"},
		// a + COMBINING ACUTE (0xEC); ă (0xE3); ₫ (0xFE)
		{"ca\xec 5\xfe \xe3n", []rune{'c', 'a', 0x301, ' ', '5', 0x20AB, ' ', 0x103, 'n'}, "cá 5₫ ăn"},
	}
	for _, tt := range tests {
		t.Run(tt.nfc, func(t *testing.T) {
			for i := 0; i < len(tt.in); i++ {
				if b := tt.in[i]; b >= 0x80 && !strings.ContainsRune(string(tt.runes), index[b]) {
					t.Fatalf("test data: byte %#x is %U in the WHATWG index, not among the expected runes", b, index[b])
				}
			}
			doc := `<?xml version="1.0" encoding="windows-1258"?><rss>` + tt.in + `</rss>`
			got, err := Body([]byte(doc), "")
			if err != nil {
				t.Fatal(err)
			}
			text, ok := strings.CutPrefix(string(got), xmlDecl+"<rss>")
			text, ok2 := strings.CutSuffix(text, "</rss>")
			if !ok || !ok2 {
				t.Fatalf("Body(%q) = %q", doc, got)
			}
			if string([]rune(text)) != string(tt.runes) {
				t.Errorf("decoded %q = %U; want %U", tt.in, []rune(text), tt.runes)
			}
			if nfc := norm.NFC.String(text); nfc != tt.nfc || nfc != norm.NFC.String(tt.nfc) {
				t.Errorf("NFC(%q) = %q; want %q", text, nfc, tt.nfc)
			}
		})
	}
}

func TestDecodeWindows1258RoundTrip(t *testing.T) {
	feed := testFeed(4 << 10)
	in := corpustest.CP1258(t, feed)
	got, err := Body(in, "application/rss+xml; charset=windows-1258")
	if err != nil {
		t.Fatal(err)
	}
	want := feed // the header wins, and the declaration already says UTF-8
	if nfc := norm.NFC.String(string(got)); nfc != want {
		t.Errorf("NFC(Body(windows-1258 feed)) differs from the feed:\n%.300q\n%.300q", nfc, want)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if title := norm.NFC.String(f.Items[0].Title); !strings.HasPrefix(title, "Việt Nam") {
		t.Errorf("first title %q", title)
	}
}

// testFeed returns an RSS feed of at least size bytes in the shape of a Vietnamese press feed:
// precomposed Vietnamese, escaped HTML in descriptions.
func testFeed(size int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>Tin tức mới nhất - Báo Điện tử</title><link>https://bao.example.vn/</link>
<description>Tin tức thời sự, kinh tế, thể thao, giải trí</description>
`)
	for i := 0; b.Len() < size; i++ {
		n := strconv.Itoa(i)
		b.WriteString("<item>\n<title>Việt Nam đẩy mạnh chuyển đổi số, Hồ Chí Minh dẫn đầu (" + n + ")</title>\n" +
			"<link>https://bao.example.vn/thoi-su/viet-nam-day-manh-chuyen-doi-so-" + n + ".html?utm_source=rss&amp;utm_medium=feed</link>\n" +
			"<guid isPermaLink=\"false\">bao-" + n + "</guid>\n" +
			"<description>&lt;a href=&quot;https://bao.example.vn/" + n + "&quot;&gt;&lt;img src=&quot;https://img.example.vn/" + n +
			".jpg&quot; /&gt;&lt;/a&gt;&lt;br /&gt;Thủ tướng Chính phủ yêu cầu các bộ, ngành và địa phương tiếp tục " +
			"đẩy mạnh cải cách hành chính, phát triển kinh tế số &amp; xã hội số; người dân được hưởng lợi.</description>\n" +
			"<pubDate>Thu, 27 Nov 2026 08:30:00 +0700</pubDate>\n</item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}

func testParses(b []byte) error {
	_, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	return err
}

// TestDecodeCorpusFeedparserEncoding runs feedparser's encoding tests through gofeed with and without
// Body: every file that parsed before must still parse, and more should.
func TestDecodeCorpusFeedparserEncoding(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus, "feedparser", "encoding", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no corpus files under %s: ../shared must sit beside the repository", corpus)
	}
	var without, withHeader, withoutHeader int
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		rawErr := testParses(raw)
		if rawErr == nil {
			without++
		}
		for _, run := range []struct {
			contentType string
			count       *int
		}{{corpustest.Header(raw), &withHeader}, {"", &withoutHeader}} {
			out, err := Body(raw, run.contentType)
			if err != nil {
				t.Errorf("%s: Body(…, %q): %v", name, run.contentType, err)
				continue
			}
			checkOutput(t, raw, out)
			if err := testParses(out); err != nil {
				if rawErr == nil {
					t.Errorf("%s: parses, but not after Body(…, %q): %v", name, run.contentType, err)
				} else {
					t.Logf("%s: fails with and without Body(…, %q): %v", name, run.contentType, err)
				}
				continue
			}
			*run.count++
		}
	}
	t.Logf("feedparser/encoding: %d files; gofeed parses %d as they are, %d after Body with their simulated Content-Type, %d after Body with none",
		len(files), without, withHeader, withoutHeader)
	if withHeader < without || withoutHeader < without {
		t.Errorf("Body made things worse")
	}
}

// TestDecodeCorpusFeedparserText checks decoded text against feedparser's own expectations.
func TestDecodeCorpusFeedparserText(t *testing.T) {
	tests := []struct{ file, feedTitle, itemDescription string }{
		{"http_text_xml_charset_2.xml", "", "This is a \u00a3\u201ctest.\u201d"},                    // windows-1252 header
		{"http_text_xml_charset_overrides_encoding_2.xml", "", "This is a \u00a3\u201ctest.\u201d"}, // over iso-8859-1
		{"euc-kr.xml", "\ub144", ""},
		{"euc-kr-item.xml", "", "\ub144"},
		{"euc-kr-attribute.xml", "", "<img alt=\"\ub144\" />"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readCorpus(t, filepath.Join("feedparser", "encoding", tt.file))
			out, err := Body(raw, corpustest.Header(raw))
			if err != nil {
				t.Fatal(err)
			}
			f, err := gofeed.NewParser().Parse(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if tt.feedTitle != "" && f.Title != tt.feedTitle {
				t.Errorf("feed title = %q; want %q", f.Title, tt.feedTitle)
			}
			if tt.itemDescription != "" {
				if len(f.Items) == 0 || f.Items[0].Description != tt.itemDescription {
					t.Errorf("first item description = %q; want %q", testFirstDescription(f), tt.itemDescription)
				}
			}
		})
	}
}

func testFirstDescription(f *gofeed.Feed) string {
	if len(f.Items) == 0 {
		return "(no items)"
	}
	return f.Items[0].Description
}

// TestDecodeCorpusChardet: legacy encodings with no label at all cannot be decoded, but one bad byte
// must not lose the feed: they parse, with U+FFFD where the text was.
func TestDecodeCorpusChardet(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus, "feedparser", "illformed", "chardet", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no corpus files under %s: ../shared must sit beside the repository", corpus)
	}
	without := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if testParses(raw) == nil {
			without++
		}
		out, err := Body(raw, "")
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		checkOutput(t, raw, out)
		if err := testParses(out); err != nil {
			t.Errorf("%s: parse after Body: %v", filepath.Base(path), err)
		}
	}
	t.Logf("illformed/chardet: %d files; gofeed parses %d as they are, all after Body", len(files), without)
}

// TestDecodeCorpusMislabelledUTF16: a real feed that declares UTF-16 but is written in UTF-8.
func TestDecodeCorpusMislabelledUTF16(t *testing.T) {
	raw := readCorpus(t, "fastfeedparser/benchmark_data/9e0834333e854116")
	if err := testParses(raw); err == nil {
		t.Log("gofeed now parses 9e0834333e854116 by itself")
	}
	out, err := Body(raw, "application/rss+xml")
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, raw, out)
	f, err := gofeed.NewParser().Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) == 0 {
		t.Error("no items")
	}
}

// TestDecodeCorpusUTF8Test puts Markus Kuhn's malformed UTF-8 samples into a feed.
func TestDecodeCorpusUTF8Test(t *testing.T) {
	text := readCorpus(t, "adversarial/utf8/UTF-8-test.txt")
	text = bytes.ReplaceAll(text, []byte("&"), []byte("&amp;"))
	text = bytes.ReplaceAll(text, []byte("<"), []byte("&lt;"))
	raw := []byte(rssHead + "x</title><description>" + string(text) + "</description><title>y" + rssTail)
	if err := testParses(raw); err == nil {
		t.Error("gofeed parses UTF-8-test.txt by itself: the test no longer tests anything")
	}
	out, err := Body(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, raw, out)
	f, err := gofeed.NewParser().Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Items[0].Description; !strings.Contains(d, "σμε") || !utf8.ValidString(d) {
		t.Errorf("description lost its text: %.200q", d)
	}
}

// TestDecodeBodyGofeed: what Body repairs, gofeed then parses (see PITFALLS.md).
func TestDecodeBodyGofeed(t *testing.T) {
	for _, in := range []string{
		rssHead + "a\xffb" + rssTail,
		rssHead + "a&#11;b&#0;&#xFFFE;" + rssTail,
		rssHead + "a\uFFFEb" + rssTail,
		`<?xml version="1.1"?>` + rssHead + "a" + rssTail,
		`<?xml version="1.0" encoding="utf-16"?>` + rssHead + "a" + rssTail,
		rssHead + `a<?xml version="1.0" encoding="bogus"?>` + rssTail,
		`<rss version="2.0"><channel><title a="&#1;">t</title></channel></rss>`,
		"\xef\xbb\xbf{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"x\x01\"}",
		"\xff\xfe" + testUTF16LE(rssHead+"Việt"+rssTail),
	} {
		if testParses([]byte(in)) == nil {
			t.Errorf("gofeed parses %q by itself", in)
		}
		out, err := Body([]byte(in), "")
		if err != nil {
			t.Errorf("Body(%q): %v", in, err)
			continue
		}
		if err := testParses(out); err != nil {
			t.Errorf("after Body(%q) = %q: %v", in, out, err)
		}
	}
}

func testUTF16LE(s string) string {
	var b []byte
	for _, r := range s { // BMP only
		b = append(b, byte(r), byte(r>>8))
	}
	return string(b)
}

// TestDecodeBodyLinear: pathological inputs take time proportional to their size (a quadratic pass would take
// minutes at 1 MiB).
func TestDecodeBodyLinear(t *testing.T) {
	const n = 1 << 20
	for name, in := range map[string][]byte{
		"digits":        []byte("&#" + strings.Repeat("0", n) + "1;"),
		"hex letters":   []byte("&#x" + strings.Repeat("a;", n/2)),
		"open PIs":      bytes.Repeat([]byte("<?xml "), n/6),
		"PIs, one end":  append(bytes.Repeat([]byte("<?xml "), n/6), "?>"...),
		"nested refs":   []byte(strings.Repeat("&#", n/8) + strings.Repeat("0;", n/8)),
		"declaration":   []byte(`<?xml version="1.0" ` + strings.Repeat(`encoding `, n/9)),
		"markup starts": bytes.Repeat([]byte("<![CDATA[<!--<?"), n/15),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Body(in, "")
			if err != nil {
				t.Fatal(err)
			}
			checkOutput(t, in, out)
		})
	}
}

func BenchmarkDecodeBody(b *testing.B) {
	feed := testFeed(100 << 10)
	cp1258 := corpustest.CP1258(b, feed)
	oneBad := []byte(feed)
	oneBad[len(oneBad)/2] = 0xFF
	for _, bm := range []struct {
		name, contentType string
		body              []byte
	}{
		{"utf-8-clean", "application/rss+xml; charset=utf-8", []byte(feed)},
		{"utf-8-one-bad-byte", "application/rss+xml; charset=utf-8", oneBad},
		{"windows-1258", "application/rss+xml; charset=windows-1258", cp1258},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Body(bm.body, bm.contentType); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
