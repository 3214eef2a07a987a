package sanitize

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestNFCStable checks the table behind cleanNFC: every character it marks
// is NFC alone and starts a segment; every string of marked characters
// tried (each pair within Vietnamese's blocks, random longer ones) is NFC;
// and Text gives for every BMP character, alone and after a base
// letter, what the previous Text gave.
func TestNFCStable(t *testing.T) {
	var stable []rune
	for r := rune(0); r < nfcStableEnd; r++ {
		s := string(r)
		marked := r >= 0x80 && nfcStable[r>>6]&(1<<(r&63)) != 0 || r < 0x80
		if !marked {
			continue
		}
		stable = append(stable, r)
		if p := norm.NFC.PropertiesString(s); !p.BoundaryBefore() || p.CCC() != 0 || !norm.NFC.IsNormalString(s) {
			t.Errorf("%U marked, but class %d, boundary %v, NFC %v", r, p.CCC(), p.BoundaryBefore(), norm.NFC.IsNormalString(s))
		}
	}
	var viet []rune // Basic Latin to Latin Extended-B, combining marks, Latin Extended Additional
	for _, r := range stable {
		if r < 0x370 || r >= 0x1E00 && r < 0x1F00 {
			viet = append(viet, r)
		}
	}
	for _, a := range viet {
		for _, b := range viet {
			s := string([]rune{a, b})
			if !norm.NFC.IsNormalString(s) {
				t.Fatalf("%+q: marked characters, not NFC", s)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		rs := make([]rune, 2+rng.IntN(5))
		for i := range rs {
			rs[i] = stable[rng.IntN(len(stable))]
		}
		s := string(rs)
		if cleanNFC(s) && !norm.NFC.IsNormalString(s) {
			t.Fatalf("%+q: cleanNFC, not NFC", s)
		}
	}
	for r := rune(0); r < 0x10000; r++ {
		for _, s := range []string{string(r), "a" + string(r), "e\u0302" + string(r), string(r) + "\u0301"} {
			if got, want := Text(s), refCleanText(s); got != want {
				t.Fatalf("Text(%+q) = %+q, want %+q", s, got, want)
			}
			if cleanNFC(s) && Text(s) != s {
				t.Fatalf("cleanNFC(%+q), but Text changes it", s)
			}
		}
	}
	for _, s := range []string{"\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xe2\x82", "\xc3", "a\x00", "\x0b", "\U0001F600", "\ufffe"} {
		if cleanNFC(s) {
			t.Errorf("cleanNFC(%+q) = true", s)
		}
	}
}

// TestSpaceAt compares spaceAt with unicode.IsSpace for every character.
func TestSpaceAt(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		b := []byte("x" + string(r))
		n, space := spaceAt(b, 1)
		if n != utf8.RuneLen(r) || space != unicode.IsSpace(r) {
			t.Fatalf("spaceAt(%U) = %d, %v", r, n, space)
		}
	}
}

// TestSanitizeTextCut compares the text with the previous pipeline's where
// it stops, after maxTextBytes: words of every length, white space of
// every kind, split by tags, ending on either side of the limit.
func TestSanitizeTextCut(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "một", "Thành", " ", "  ", "\n", " \t", "\u00a0", "\u3000", "</b><b>", "<p>", "<br>", "&nbsp;", " <i> ", "x"}
	for range 200 {
		var b strings.Builder
		for b.Len() < maxTextBytes+rng.IntN(200)-100 {
			if rng.IntN(3) == 0 {
				b.WriteString(strings.Repeat("chữ", rng.IntN(40)))
			}
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		for range 10 {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			in := b.String()
			if d := sanitizeDiff(in, testBase); d != "" {
				t.Fatal(d)
			}
		}
	}
}

// TestPlainPath checks what plainPath promises: url.Parse returns a plain
// path as &url.URL{Path: s}, and String writes it back unchanged.
func TestPlainPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const alphabet = "/-._~aZ09"
	check := func(s string) {
		u, err := url.Parse(s)
		if err != nil || !reflect.DeepEqual(u, &url.URL{Path: s}) || u.String() != s {
			t.Fatalf("url.Parse(%q) = %#v, %v; String %q", s, u, err, u.String())
		}
	}
	for range 100000 {
		b := []byte{'/'}
		for range rng.IntN(12) {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		if s := string(b); plainPath(s) {
			check(s)
		}
	}
	for c := range 256 {
		if s := "/a" + string(rune(c)) + "b"; plainPath(s) {
			check(s)
		}
	}
	for _, s := range []string{"", "a/b", "//host/x", "/a b", "/a:b", "/a%20", "/a?b", "/a#b", "/ả"} {
		if plainPath(s) {
			t.Errorf("plainPath(%q) = true", s)
		}
	}
}

// TestCleanTextTwice checks what attr relies on to skip cleaning the URLs
// AbsoluteURL returns: Text gives what it returns unchanged.
func TestCleanTextTwice(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	pieces := []string{"a", "e", "ệ", "\u0301", "\u0323", "\u0302", "\u1100", "\u1161", "\ufb2c", "\u05bc", "\x00", "\x0b", "\xff", "\xe1\xbb", "\ufffe", "\U0001F600", "%E1%BB%87", "/", "?q=", "#"}
	for range 200000 {
		s := randomJoin(rng, pieces, 8)
		once := Text(s)
		if twice := Text(once); twice != once || !cleanNFC(once) && !norm.NFC.IsNormalString(once) {
			t.Fatalf("Text(%+q) = %+q, then %+q", s, once, twice)
		}
	}
}
