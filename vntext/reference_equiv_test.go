package vntext

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// checkSameAsReference fails t unless Normalize and TitleKey of s, and SimHash of s with lead,
// equal what the reference implementations (reference_test.go) return.
func checkSameAsReference(t testing.TB, s, lead string) {
	t.Helper()
	if got, want := Normalize(s), refNormalize(s); got != want {
		t.Fatalf("Normalize(%+q) = %+q; reference %+q", s, got, want)
	}
	if got, want := TitleKey(s), refTitleKey(s); got != want {
		t.Fatalf("TitleKey(%+q) = %+q; reference %+q", s, got, want)
	}
	// SimHash relies on this to skip normalising the start of the lead again.
	for _, l := range []string{s, lead} {
		if p := leadPrefix(stripTag(Normalize(l)), LeadWords); Normalize(p) != p {
			t.Fatalf("the start of the normalised lead %+q is not normalised: %+q", l, p)
		}
	}
	if got, want := SimHash(s, lead), refSimHash(s, lead); got != want {
		t.Fatalf("SimHash(%+q, %+q) = %016x; reference %016x", s, lead, got, want)
	}
	if got, want := SimHash(lead, s), refSimHash(lead, s); got != want {
		t.Fatalf("SimHash(%+q, %+q) = %016x; reference %016x", lead, s, got, want)
	}
	if got, want := SimHash(s, ""), refSimHash(s, ""); got != want {
		t.Fatalf("SimHash(%+q, \"\") = %016x; reference %016x", s, got, want)
	}
	if got, want := SimHash("", s), refSimHash("", s); got != want {
		t.Fatalf("SimHash(\"\", %+q) = %016x; reference %016x", s, got, want)
	}
}

// equivCorpus returns the texts the equivalence tests start from: every line of
// testdata/neardup.txt, its headlines and leads, and the lines and sentences of every
// file of testdata and of the shared seed directory, when there is one.
func equivCorpus(t testing.TB) []string {
	t.Helper()
	var texts []string
	paths, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := filepath.Glob("/work/shared/seed/*")
	paths = append(paths, seed...)
	if len(paths) == 0 {
		t.Fatal("no text in testdata")
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			texts = append(texts, line)
			for part := range strings.SplitSeq(line, "|") {
				texts = append(texts, part, strings.TrimSpace(part))
			}
			for sentence := range strings.SplitSeq(line, ". ") {
				texts = append(texts, sentence, sentence+".")
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(texts)
	return slices.Compact(texts)
}

// oddPieces are what feeds send besides Vietnamese in NFC: combining marks, invalid UTF-8,
// U+FFFD, zero-width and other format characters, white space of every kind, upper case,
// punctuation, digits, outlets' tags and other scripts.
var oddPieces = []string{
	"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031B", "\u030C", "\u0331", "\u0308",
	"\u0344", "\u0345", "\u0CD5", "\u093C", "\u20DD",
	"\xff", "\xe1\xbb", "\xc3", "\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf",
	"\uFFFD", "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD",
	" ", "  ", "\t", "\n", "\u00A0", "\u2002", "\u3000", "\u0085", "\u2028",
	".", ",", ":", "!", "?", "-", "–", "—", "…", "“", "”", "(", ")", "/", "%", "&", "‿", "⁀", "‐",
	"0", "1", "9", "٣", "²", "½", "Ⅻ",
	"A", "O", "U", "Y", "E", "Đ", "đ", "Ò", "Ủ", "ỳ", "ẹ", "Ơ", "ư", "İ", "ǰ", "J", "ß", "ẞ", "Σ", "ς",
	"hòa", "HÒA", "thủy", "THỦY", "khỏe", "qúy", "quý", "Hoà", "oa", "uy", "oe", "Ọe", "ÙY",
	"(PLO) - ", "TTO - ", "(NLĐO)–", "SGGPO — ", "(VTV) ", "(Ý) - ", " (ÁÂ)-",
	"东京", "서울", "Ёж", "ᭁ", "𝐀", "🇻🇳",
}

// mutate returns s changed the ways feeds change text: decomposed, upper- or lower-cased,
// with odd pieces inserted or bytes cut.
func mutate(rng *rand.Rand, s string) string {
	switch rng.IntN(8) {
	case 0:
		s = norm.NFD.String(s)
	case 1:
		s = strings.ToUpper(s)
	case 2:
		s = strings.ToLower(s)
	case 3:
		s = norm.NFKD.String(s)
	}
	for range rng.IntN(6) {
		i := 0
		if len(s) > 0 {
			i = rng.IntN(len(s) + 1)
		}
		switch rng.IntN(4) {
		case 0: // cut a byte, maybe inside a rune
			if i < len(s) {
				s = s[:i] + s[i+1:]
			}
		default:
			s = s[:i] + oddPieces[rng.IntN(len(oddPieces))] + s[i:]
		}
	}
	return s
}

// TestReferenceEquivalence compares Normalize, TitleKey and SimHash with the reference
// implementations on the test texts as they are, in NFD, NFKD, upper and lower case, with
// every odd piece added, and mutated at random.
func TestReferenceEquivalence(t *testing.T) {
	texts := equivCorpus(t)
	forms := []func(string) string{
		norm.NFKC.String, norm.NFKD.String, strings.ToUpper, strings.ToLower,
		func(s string) string { return norm.NFD.String(strings.ToUpper(s)) },
	}
	for i, s := range texts {
		lead := texts[(i+1)%len(texts)]
		checkSameAsReference(t, s, lead)
		checkSameAsReference(t, norm.NFD.String(s), norm.NFD.String(lead))
		f := forms[i%len(forms)]
		checkSameAsReference(t, f(s), f(lead))
		if i%4 == 0 {
			checkSameAsReference(t, s, "(PLO) - "+lead)
			checkSameAsReference(t, s, strings.Repeat(lead+" ", 3))
		}
	}
	// Every odd piece before, inside and after a text.
	base := "Thành ủy lan tỏa hòa bình, thủy lợi"
	for _, p := range oddPieces {
		for _, s := range []string{p, p + base, base + p, "Thành" + p + " ủy", "h" + p + "òa", "hò" + p + "a", "thủ" + p + "y", p + p} {
			checkSameAsReference(t, s, s)
			checkSameAsReference(t, norm.NFD.String(s), s)
		}
	}
	n := 3000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range n {
		s := mutate(rng, texts[rng.IntN(len(texts))])
		lead := mutate(rng, texts[rng.IntN(len(texts))])
		checkSameAsReference(t, s, lead)
	}
	// Random strings of pieces reach the tone-placement cases sooner than texts do.
	pieces := strings.Fields("a A o O u U y Y e E i h H q Q k t n g đ Đ J İ ò Ó ủ Ụ ỳ ẹ à Ả ă Ơ ư ộ qu Qu")
	pieces = append(pieces, oddPieces...)
	var b strings.Builder
	for range n {
		b.Reset()
		for range rng.IntN(60) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		b.Reset()
		for range rng.IntN(120) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		checkSameAsReference(t, s, b.String())
	}
}

// TestReferenceEquivalenceLong compares SimHash and TitleKey with the reference on headlines
// and leads far longer than any buffer the implementation keeps on the stack.
func TestReferenceEquivalenceLong(t *testing.T) {
	texts := equivCorpus(t)
	all := strings.Join(texts, " ")
	for _, n := range []int{0, 1, 2, 63, 64, 65, 255, 256, 257, 1000, 4096, len(all)} {
		s := all[:min(n, len(all))]
		checkSameAsReference(t, s, s)
		checkSameAsReference(t, strings.Repeat("a ", n), strings.Repeat("Hòa ", n))
		checkSameAsReference(t, strings.Repeat("từ ", n), strings.Repeat("b", n))
	}
	// Many title words, each counted: more than fit any counter narrower than int.
	for _, w := range []string{"a b ", "hòa bình ", "x ", "ủy "} {
		for _, n := range []int{62, 63, 64, 65, 127, 128, 129, 1000, 10000} {
			title := strings.Repeat(w, n)
			checkSameAsReference(t, title, title)
		}
	}
}

// TestIsLatinNFCReference compares isLatinNFC with the reference on every rune and on every
// string of up to two bytes and of three bytes starting with a lead byte.
func TestIsLatinNFCReference(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		var b [4]byte
		s := string(b[:utf8.EncodeRune(b[:], r)])
		if isLatinNFC(s) != refIsLatinNFC(s) {
			t.Fatalf("isLatinNFC(%+q) = %v", s, isLatinNFC(s))
		}
	}
	var b [3]byte
	for i := range 1 << 16 {
		b[0], b[1] = byte(i>>8), byte(i)
		for _, s := range []string{string(b[:1]), string(b[:2]), string(b[1:2])} {
			if isLatinNFC(s) != refIsLatinNFC(s) {
				t.Fatalf("isLatinNFC(%+q) = %v", s, isLatinNFC(s))
			}
		}
	}
	for i := range 1 << 24 {
		b[0], b[1], b[2] = byte(i>>16), byte(i>>8), byte(i)
		if b[0] < 0xC0 && i&0xFFF != 0 {
			continue // a sample of strings starting with ASCII or a continuation byte
		}
		s := string(b[:])
		if isLatinNFC(s) != refIsLatinNFC(s) {
			t.Fatalf("isLatinNFC(%+q) = %v", s, isLatinNFC(s))
		}
	}
}

// FuzzReferenceEquivalence compares Normalize, TitleKey and SimHash with the reference
// implementations on any headline and lead.
func FuzzReferenceEquivalence(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "(PLO) - "+s)
	}
	f.Add(wireTitleSeed, wireLeadSeed)
	for _, p := range readPairs(f)[:20] {
		f.Add(p.a.title, p.a.lead)
	}
	f.Fuzz(func(t *testing.T, title, lead string) {
		checkSameAsReference(t, title, lead)
		checkSameAsReference(t, norm.NFD.String(title), norm.NFD.String(lead))
	})
}

// TestReferenceEveryRune compares Normalize and TitleKey with the reference on every rune of
// the Basic Multilingual Plane and a sample of the others, alone, after an upper-case letter
// (which a mark may have to recompose with once lower-cased) and between two vowels.
func TestReferenceEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r > 0xFFFF && r%7 != 0 || 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		c := string(r)
		for _, s := range []string{c, "J" + c, "Đ" + c + " ", "hò" + c + "a"} {
			if got, want := Normalize(s), refNormalize(s); got != want {
				t.Fatalf("Normalize(%+q) = %+q; reference %+q", s, got, want)
			}
			if got, want := TitleKey(s), refTitleKey(s); got != want {
				t.Fatalf("TitleKey(%+q) = %+q; reference %+q", s, got, want)
			}
		}
	}
}
