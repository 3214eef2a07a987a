package plaintext

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	long := strings.Repeat("Việt Nam ", 200)
	got := Truncate(long, 512)
	if n := utf8.RuneCountInString(got); n != 512 || !utf8.ValidString(got) {
		t.Errorf("Truncate: %d runes, valid %v", n, utf8.ValidString(got))
	}
	w := TruncateWords(long, 50)
	if n := utf8.RuneCountInString(w); n > 50 || !strings.HasSuffix(w, "…") || strings.HasSuffix(w, " …") {
		t.Errorf("TruncateWords = %q (%d runes)", w, n)
	}
}

// TestRuneOffset compares runeOffset with rune-by-rune decoding on valid
// and invalid UTF-8.
func TestRuneOffset(t *testing.T) {
	want := func(s string, n int) int {
		i := 0
		for range n {
			if i == len(s) {
				return -1
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		if i == len(s) {
			return -1
		}
		return i
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"a", "ệ", "é", "\u0301", "\xe1", "\xe1\xbb", "\xc3", "\x80", "\xed\xa0\x80", "\xe0\x80\x80", "\xf0\x9f\x98\x80", "\xef\xbf\xbd", "\xc0\xaf"}
	for range 100000 {
		s := randomJoin(rng, pieces, 12)
		for n := range len(s) + 2 {
			if got, w := runeOffset(s, n), want(s, n); got != w {
				t.Fatalf("runeOffset(%+q, %d) = %d, want %d", s, n, got, w)
			}
		}
	}
}

// TestTruncateWordsWalk compares TruncateWords with its form before it
// walked the runes once.
func TestTruncateWordsWalk(t *testing.T) {
	want := func(s string, n int) string {
		if runeOffset(s, n) < 0 {
			return s
		}
		cut := Truncate(s, n-1)
		if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > len(cut)/2 {
			cut = cut[:i]
		}
		return strings.TrimRightFunc(cut, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
	}
	rng := rand.New(rand.NewPCG(9, 10))
	pieces := []string{"a", "ệ", " ", ".", "\u3000", "\xe1", "\xc3", "\x80", "\xf0\x9f\x98\x80", "bc"}
	for range 50000 {
		s := randomJoin(rng, pieces, 14)
		for n := -1; n < len(s)+2; n++ {
			if got, w := TruncateWords(s, n), want(s, n); got != w {
				t.Fatalf("TruncateWords(%+q, %d) = %+q, want %+q", s, n, got, w)
			}
		}
	}
}

// randomJoin returns up to n-1 pieces drawn at random and joined.
func randomJoin(rng *rand.Rand, pieces []string, n int) string {
	var b strings.Builder
	for range rng.IntN(n) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// TestIsXMLChar compares IsXMLChar with the Char production of XML 1.0
// §2.2, written out again, for every rune and some that are none.
func TestIsXMLChar(t *testing.T) {
	want := func(r rune) bool {
		return r == 0x9 || r == 0xA || r == 0xD || 0x20 <= r && r <= 0xD7FF || 0xE000 <= r && r <= 0xFFFD ||
			0x10000 <= r && r <= 0x10FFFF
	}
	for r := rune(-2); r <= utf8.MaxRune+2; r++ {
		if got := IsXMLChar(r); got != want(r) {
			t.Fatalf("IsXMLChar(%U) = %v", r, got)
		}
	}
}
