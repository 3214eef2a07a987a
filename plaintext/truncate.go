package plaintext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Truncate returns the first n runes of s, or s when it has no more.
func Truncate(s string, n int) string {
	if i := runeOffset(s, n); i >= 0 {
		return s[:i]
	}
	return s
}

// runeOffset returns the byte offset of the rune after the first n runes of
// s, or -1 when s has no more than n runes. It reads no further than that.
func runeOffset(s string, n int) int {
	if len(s) <= n {
		return -1 // n runes take at least n bytes
	}
	i := 0
	for range n {
		if i == len(s) {
			return -1
		}
		switch c := s[i]; {
		case c < utf8.RuneSelf:
			i++
		case c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80:
			i += 2 // a valid two-byte sequence, as DecodeRuneInString reads it
		case c >= 0xE1 && c <= 0xEC && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80:
			i += 3 // a valid three-byte sequence, U+1000–U+CFFF (Vietnamese letters with two marks among them)
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	if i == len(s) {
		return -1
	}
	return i
}

// TruncateWords cuts s to at most n runes at a word boundary, marking the
// cut with "…".
func TruncateWords(s string, n int) string {
	var cut string
	if n < 1 {
		if runeOffset(s, n) < 0 {
			return s
		}
		cut = Truncate(s, n-1)
	} else {
		// One walk finds both the end of the first n-1 runes and whether
		// an (n+1)th follows the nth.
		i := runeOffset(s, n-1)
		if i < 0 {
			return s
		}
		if _, size := utf8.DecodeRuneInString(s[i:]); i+size == len(s) {
			return s
		}
		cut = s[:i]
	}
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRightFunc(cut, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}
