package sanitize

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// cleanNFC reports whether Text returns s as it is, judging by a quick
// test that may say no when it would: true when s is valid UTF-8 made of
// ASCII characters XML allows and of characters below U+3000 that nfcStable
// marks. Such a string is NFC: by the quick check of UAX #15 (section 9,
// "Detecting Normalization Forms"), a string whose characters all have
// canonical combining class 0 and NFC_Quick_Check=Yes is in NFC, whatever
// their order (nothing can reorder or compose with a character that starts
// a new segment and combines with nothing before it).
func cleanNFC[S string | []byte](s S) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		n := stableAt(s, i)
		if n == 0 {
			return false
		}
		i += n
	}
	return true
}

// stableAt returns the length of the character that starts at s[i], not
// ASCII, when it is valid UTF-8 below nfcStableEnd and nfcStable marks it;
// otherwise 0.
func stableAt[S string | []byte](s S, i int) int {
	c := s[i]
	var r rune
	var n int
	switch {
	case c >= 0xC2 && c <= 0xDF: // U+0080–U+07FF
		if i+1 >= len(s) || s[i+1]&0xC0 != 0x80 {
			return 0
		}
		r, n = rune(c&0x1F)<<6|rune(s[i+1]&0x3F), 2
	case c >= 0xE0 && c <= 0xE2: // U+0800–U+2FFF
		if i+2 >= len(s) || s[i+1]&0xC0 != 0x80 || s[i+2]&0xC0 != 0x80 || c == 0xE0 && s[i+1] < 0xA0 {
			return 0
		}
		r, n = rune(c&0x0F)<<12|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F), 3
	default: // beyond U+2FFF, or not UTF-8
		return 0
	}
	if nfcStable[r>>6]&(1<<(r&63)) == 0 {
		return 0
	}
	return n
}

// nfcStableEnd bounds the characters nfcStable covers: the scripts of
// Vietnamese and of most European languages, punctuation and symbols.
const nfcStableEnd = 0x3000

// nfcStable marks, one bit per character below nfcStableEnd, those whose
// canonical combining class is 0 and whose NFC_Quick_Check is Yes (neither
// No nor Maybe): norm's BoundaryBefore (class 0, not Maybe) and, for No,
// a character alone that NFC changes. XML allows all of U+0080–U+2FFF.
var nfcStable = func() (set [nfcStableEnd / 64]uint64) {
	var buf [utf8.UTFMax]byte
	for r := rune(0); r < nfcStableEnd; r++ {
		s := buf[:utf8.EncodeRune(buf[:], r)]
		if norm.NFC.Properties(s).BoundaryBefore() && norm.NFC.IsNormal(s) {
			set[r>>6] |= 1 << (r & 63)
		}
	}
	return set
}()

// appendCleanEscaped appends s escaped as appendEscaped does and reports
// true when cleanNFC(s) holds; otherwise it reports false, and what it
// appended past len(b) is to be dropped. One pass does both.
func appendCleanEscaped(b, s []byte) ([]byte, bool) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch asciiClass[c] {
			case asciiEscaped:
				b = append(b, s[start:i]...)
				b = append(b, htmlEscapes[c]...)
				start = i + 1
			case asciiForbidden:
				return b, false
			}
			i++
			continue
		}
		n := stableAt(s, i)
		if n == 0 {
			return b, false
		}
		i += n
	}
	return append(b, s[start:]...), true
}

// asciiClass sorts ASCII for appendCleanEscaped: characters XML forbids,
// characters to escape, and the rest.
var asciiClass = func() (c [utf8.RuneSelf]uint8) {
	for b := range c {
		switch {
		case htmlEscapes[b] != "":
			c[b] = asciiEscaped
		case b < 0x20 && b != '\t' && b != '\n':
			c[b] = asciiForbidden
		}
	}
	return c
}()

const (
	asciiPlain = iota
	asciiEscaped
	asciiForbidden
)
