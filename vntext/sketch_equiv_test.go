package vntext

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// checkSketchSameAsReference fails t unless NewSketch(title, lead) equals
// refNewSketch(title, lead) (reference_sketch_test.go) in every field,
// nil slices included, and in its stored form.
func checkSketchSameAsReference(t testing.TB, title, lead string) {
	t.Helper()
	got, want := NewSketch(title, lead), refNewSketch(title, lead)
	if g, w := got.AppendBinary(nil), want.AppendBinary(nil); !bytes.Equal(g, w) {
		t.Fatalf("NewSketch(%+q, %+q) stored as\n%x\nreference\n%x", title, lead, g, w)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NewSketch(%+q, %+q) =\n%+v\nreference\n%+v", title, lead, got, want)
	}
}

// seedTexts returns the paragraphs of the seed article (testdata, and the
// shared seed directory when there is one).
func seedTexts(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := filepath.Glob("/work/shared/seed/*")
	var out []string
	for _, p := range append(paths, seed...) {
		if strings.HasSuffix(p, "neardup.txt") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no seed article in testdata")
	}
	return out
}

// firstWords returns the first n words of s (split at white space), joined
// by single spaces, and whether s has that many.
func firstWords(s string, n int) (string, bool) {
	ws := strings.Fields(s)
	if len(ws) < n {
		return s, false
	}
	return strings.Join(ws[:n], " "), true
}

// TestSketchSameAsReference compares NewSketch with the reference on every
// pair of the labelled sets, on the seed article's sentences and
// paragraphs alone and joined into leads of kilobytes, in NFD and with
// tone marks decomposed as windows-1258 writes them, and on leads cut
// around the 80 words a Sketch reads.
func TestSketchSameAsReference(t *testing.T) {
	for _, p := range loadNearSet(t) {
		checkSketchSameAsReference(t, p.ta, p.la)
		checkSketchSameAsReference(t, p.tb, p.lb)
		checkSketchSameAsReference(t, p.ta, p.la+" "+p.lb+" "+p.la)
		checkSketchSameAsReference(t, "", p.lb)
		checkSketchSameAsReference(t, p.la, "")
	}
	for _, p := range readPairs(t) {
		checkSketchSameAsReference(t, p.a.title, p.a.lead)
		checkSketchSameAsReference(t, p.b.title, p.a.lead+" "+p.b.lead)
	}
	paras := seedTexts(t)
	var texts []string
	for _, p := range paras {
		texts = append(texts, p)
		for s := range strings.SplitSeq(p, ". ") {
			texts = append(texts, s, s+".")
		}
	}
	whole := strings.Join(paras, " ")
	texts = append(texts, whole, strings.Join(paras, "\n\n"), strings.Join(paras[1:], " "))
	// Leads of 1 to 200 words, so that the 80th canonical word falls on
	// every kind of word and phrase the article has.
	for n := 1; n <= 200; n++ {
		if n%10 != 0 && (n < 70 || n > 95) {
			continue
		}
		if s, ok := firstWords(whole, n); ok {
			texts = append(texts, s)
		}
	}
	for _, s := range texts {
		for _, form := range []string{s, norm.NFD.String(s), windows1258(s), strings.ToUpper(s), strings.ToLower(s)} {
			checkSketchSameAsReference(t, paras[0], form)
			checkSketchSameAsReference(t, form, form)
			checkSketchSameAsReference(t, "", "(PLO)- "+form)
			checkSketchSameAsReference(t, "", "TTO - "+form)
		}
	}
}

// windows1258 returns s with its tone marks decomposed as windows-1258
// text decodes: the base letter (with its hat or horn, precomposed) and
// a combining tone mark.
func windows1258(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		b.WriteRune(r)
	}
	d := []rune(b.String())
	var out []rune
	for i := 0; i < len(d); i++ {
		r := d[i]
		// Recompose the hat, breve and horn with the letter; keep the tone apart.
		if i+1 < len(d) && (d[i+1] == 0x302 || d[i+1] == 0x306 || d[i+1] == 0x31B) {
			r = []rune(norm.NFC.String(string([]rune{r, d[i+1]})))[0]
			i++
		}
		out = append(out, r)
	}
	return string(out)
}

// TestSketchEdgesSameAsReference compares NewSketch with the reference on
// the edges of its reading: empty and ASCII texts, tags, leads of exactly
// 79, 80 and 81 canonical words and more, phrases and number words that
// straddle the 80th word, and pieces of text of every length around
// pieceLen and tagLen.
func TestSketchEdgesSameAsReference(t *testing.T) {
	phrase := []string{"thành phố hồ chí minh", "Thành phố Hồ Chí Minh", "TP HCM", "đồng bằng sông cửu long",
		"15h30", "năm người", "năm nay", "30 đến 50", "từ 30 tới 50", "hai", "một", "5.000", "3,5", "007",
		"Ngân hàng Nhà nước", "tăng", "giảm", "(PLO)-", "TTO -", "ủy ban nhân dân", "hòa", "thủy", "khỏe"}
	filler := strings.Fields("giá xăng dầu trong nước được điều chỉnh theo kỳ từ chiều nay")
	texts := []string{"", " ", "\n\t ", "a", "A", "Giá", "(PLO)-", "(PLO)- ", "TTO -", "TTO - Giá xăng",
		"(Dân trí) - Sáng nay", "VOV.VN - Sáng nay", "(VTC News) – Sáng nay", "SGGP - Giá 5.000 đồng/kg.",
		"Price of fuel rises by 500 dong a litre from this afternoon, the ministry said.",
		strings.Repeat("ASCII only words here. ", 40)}
	for n := 76; n <= 84; n++ {
		for _, p := range phrase {
			for _, k := range []int{n - 5, n - 2, n - 1, n} {
				ws := make([]string, 0, n+10)
				for i := range k {
					ws = append(ws, filler[i%len(filler)])
				}
				ws = append(ws, p)
				for i := 0; len(ws) < n+10; i++ {
					ws = append(ws, filler[i%len(filler)])
				}
				texts = append(texts, strings.Join(ws, " "))
			}
		}
	}
	for _, n := range []int{79, 80, 81, 200} {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = fmt.Sprintf("từ%c", 'a'+i%26)
		}
		texts = append(texts, strings.Join(ws, " "))
	}
	// Tags and words cut at every length around where a wordReader cuts,
	// read in pieces of pieceLen and of a word or a few.
	var tagged, short []string
	for _, tag := range []string{"", "(PLO)- ", "TTO - ", "(NLĐO) – ", "  (Dân trí) -  ", "(Báo Thanh Niên) - ",
		"(Cổng thông tin điện tử) — ", "Báo Lao Động – ", "VOV.VN -", strings.Repeat(" ", 70) + "TTO - ",
		"(Aaaaaaaaaaaaaaaaaa Bbbbbbbbbbbbbbbbb C) - ", "Aaaaaaaaaaaaaaaaaaaaaaaaaa Bb.C - "} { // closing at byte 39, dash at 29
		for n := tagLen - 8; n <= pieceLen+8; n++ {
			if tagLen+8 < n && n < pieceLen-16 {
				continue
			}
			for _, sep := range []string{" ", "\u00a0", " - ", ". "} {
				s := tag + strings.Repeat("x", n) + sep + "Hòa thủy 1.000 hai (PLO) - TP HCM"
				tagged = append(tagged, s, norm.NFD.String(s))
				if n <= tagLen+8 {
					short = append(short, s)
				}
			}
		}
	}
	for _, s := range append(texts, tagged...) {
		checkSketchSameAsReference(t, "", s)
		checkSketchSameAsReference(t, s, s)
		checkSketchSameAsReference(t, s, "")
	}
	defer func(n int) { pieceLen = n }(pieceLen)
	for _, pieceLen = range []int{1, 5, 17} {
		for _, s := range short {
			checkSketchSameAsReference(t, "", s)
		}
	}
}

// TestSketchMutatedSameAsReference compares NewSketch with the reference on
// long leads changed the ways feeds change text (mutate: NFD, NFKD, case,
// combining marks, invalid UTF-8, odd spaces, tags, other scripts).
func TestSketchMutatedSameAsReference(t *testing.T) {
	paras := seedTexts(t)
	rng := rand.New(rand.NewPCG(2026, 12))
	for range 1000 {
		lead := strings.Join(paras[rng.IntN(len(paras)):], " ")
		if rng.IntN(2) == 0 {
			lead, _ = firstWords(lead, 70+rng.IntN(30))
		}
		checkSketchSameAsReference(t, mutate(rng, paras[0]), mutate(rng, lead))
	}
}

// TestNormalizePieces checks what wordReader relies on: Normalize of a
// text cut after an ASCII space is Normalize of each part, joined.
func TestNormalizePieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 13))
	texts := seedTexts(t)
	for _, s := range texts {
		texts = append(texts, norm.NFD.String(s), windows1258(s))
	}
	for range 300 {
		texts = append(texts, mutate(rng, texts[rng.IntN(len(texts))]))
	}
	texts = append(texts, "a "+strings.Repeat("\u0301", 40)+" "+strings.Repeat("\u0323", 40), "ho\u0300 a", "hò a", "h ò a")
	for _, s := range texts {
		checkNormalizePieces(t, rng, s)
	}
}

// checkNormalizePieces cuts s after some of its spaces: the first 8 and
// one in 8 of the others.
func checkNormalizePieces(t testing.TB, rng *rand.Rand, s string) {
	t.Helper()
	whole := Normalize(s)
	seen := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			continue
		}
		if seen++; seen > 8 && rng.IntN(8) != 0 {
			continue
		}
		if a, b := Normalize(s[:i+1]), Normalize(s[i+1:]); a+b != whole {
			t.Fatalf("Normalize(%+q) = %+q; cut after byte %d: %+q + %+q", s, whole, i, a, b)
		}
	}
}

// TestClassOf checks classOf against unicode for every rune.
func TestClassOf(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := classOf(r), unicodeClass(r); got != want {
			t.Fatalf("classOf(%U) = %04b, want %04b", r, got, want)
		}
		if classOf(r)&classCased != 0 && 0x1EA0 <= r && r <= 0x1EFF && unicode.ToLower(r) != r|1 {
			t.Fatalf("unicode.ToLower(%U) = %U, want %U", r, unicode.ToLower(r), r|1)
		}
	}
}

// TestNumberSameAsReference compares wordReader.number with the reference
// canonNumber on numbers of every shape tokenize cuts.
func TestNumberSameAsReference(t *testing.T) {
	var r wordReader
	parts := []string{"0", "00", "5", "05", "1", "12", "123", "1234", ".", ","}
	var gen func(s string, depth int)
	gen = func(s string, depth int) {
		if s != "" && s[0] != '.' && s[0] != ',' && s[len(s)-1] != '.' && s[len(s)-1] != ',' &&
			!strings.Contains(s, "..") && !strings.Contains(s, ",,") && !strings.Contains(s, ".,") && !strings.Contains(s, ",.") {
			if got, want := r.number(s), refCanonNumber(s); got != want {
				t.Fatalf("number(%q) = %q, want %q", s, got, want)
			}
		}
		if depth == 0 {
			return
		}
		for _, p := range parts {
			gen(s+p, depth-1)
		}
	}
	gen("", 4)
}

// FuzzNewSketchSameAsReference compares NewSketch with the reference on
// any headline and lead, and the lead in NFD, and checks that Normalize of
// the lead may be cut after a space (TestNormalizePieces).
func FuzzNewSketchSameAsReference(f *testing.F) {
	f.Add("Giá xăng RON 95 giảm 500 đồng/lít", "(PLO)- Từ 15h chiều nay, mỗi lít xăng giảm 500 đồng.")
	f.Add("", "")
	f.Add("TP HCM", "TTO - Thành phố Hồ Chí Minh có năm người, hai xe, 30 đến 50 cm.")
	for _, p := range loadNearSet(f)[:8] {
		f.Add(p.ta, p.la+" "+p.lb)
	}
	f.Fuzz(func(t *testing.T, title, lead string) {
		checkSketchSameAsReference(t, title, lead)
		checkSketchSameAsReference(t, title, norm.NFD.String(lead))
		checkNormalizePieces(t, rand.New(rand.NewPCG(uint64(len(lead)), 0)), lead)
	})
}

// TestDecodeRune checks decodeRune against utf8.DecodeRuneInString on
// every string of up to three bytes that starts with a byte it decodes
// inline, and on ASCII, in every position.
func TestDecodeRune(t *testing.T) {
	check := func(s string) {
		for i := range len(s) {
			r, n := decodeRune(s, i)
			if wr, wn := utf8.DecodeRuneInString(s[i:]); r != wr || n != wn {
				t.Fatalf("decodeRune(%+q, %d) = %U, %d; want %U, %d", s, i, r, n, wr, wn)
			}
		}
	}
	for c := range 256 {
		check(string([]byte{byte(c)}))
		for c1 := range 256 {
			check(string([]byte{byte(c), byte(c1)}))
			if c == 0xE1 || c >= 0xC0 && c1 >= 0x80 && c1 < 0xC0 {
				for c2 := range 256 {
					check(string([]byte{byte(c), byte(c1), byte(c2)}))
				}
			}
		}
	}
}

// TestNewSketchConcurrent computes sketches from several goroutines at
// once, as the store's writers do: they share nothing (run with -race).
func TestNewSketchConcurrent(t *testing.T) {
	pairs := loadNearSet(t)
	want := make([][]byte, len(pairs))
	for i, p := range pairs {
		s := refNewSketch(p.ta, p.la+" "+p.lb)
		want[i] = s.AppendBinary(nil)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range pairs {
				p := pairs[(i+g*97)%len(pairs)]
				s := NewSketch(p.ta, p.la+" "+p.lb)
				if !bytes.Equal(s.AppendBinary(nil), want[(i+g*97)%len(pairs)]) {
					errs <- fmt.Sprintf("goroutine %d: NewSketch(%q, …) differs from the reference", g, p.ta)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
