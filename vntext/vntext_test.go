package vntext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// nfd returns s in NFD, as some feeds (often those produced on macOS) send their text.
func nfd(s string) string { return norm.NFD.String(s) }

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"ascii", "Gia xang giam, TP.HCM", "Gia xang giam, TP.HCM"},
		{"nfc kept", "Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"},
		{"nfd composed", nfd("Thành phố Hồ Chí Minh"), "Thành phố Hồ Chí Minh"},
		{"đ and Đ", "Đảng đấu tranh", "Đảng đấu tranh"},
		{"đ and Đ, nfd", nfd("Đảng đấu tranh"), "Đảng đấu tranh"},

		// The mark on the first vowel of a final "oa", "oe", "uy" moves to the second.
		{"hòa", "hòa", "hoà"},
		{"hoà kept", "hoà", "hoà"},
		{"hòa nfd", "ho\u0300a", "hoà"},
		{"hoà nfd", "hoa\u0300", "hoà"},
		{"thủy", "thủy", "thuỷ"},
		{"thuỷ kept", "thuỷ", "thuỷ"},
		{"khỏe", "khỏe", "khoẻ"},
		{"khoẻ kept", "khoẻ", "khoẻ"},
		{"every tone", "tòa tóa tõa tỏa tọa", "toà toá toã toả toạ"},
		{"every tone, uy", "thùy thúy thũy thủy thụy", "thuỳ thuý thuỹ thuỷ thuỵ"},
		{"upper case", "HÒA BÌNH", "HOÀ BÌNH"},
		{"upper case nfd", nfd("HÒA BÌNH"), "HOÀ BÌNH"},
		{"title case", "Hòa Bình", "Hoà Bình"},
		{"mixed case pair", "hÒa", "hOà"},
		{"no onset", "òa khóc", "oà khóc"},
		{"no onset, uy", "Ủy ban nhân dân", "Uỷ ban nhân dân"},
		{"onset đ", "đọa đày", "đoạ đày"},
		{"onset ngh, ng", "ngòa ngỏe", "ngoà ngoẻ"},
		{"qu onset", "qúy", "quý"},
		{"in a sentence", "Ban chỉ đạo lan tỏa thông tin tích cực, hòa bình.", "Ban chỉ đạo lan toả thông tin tích cực, hoà bình."},
		{"hyphen separates", "hòa-bình", "hoà-bình"},

		// Placement is fixed when anything follows the pair, or the pair is not one of the three.
		{"hoàn", "hoàn", "hoàn"},
		{"quý", "quý", "quý"},
		{"quỳ", "quỳ", "quỳ"},
		{"tuyên", "tuyên", "tuyên"},
		{"khuya", "khuya", "khuya"},
		{"thuyền", "thuyền", "thuyền"},
		{"hoạch", "kế hoạch", "kế hoạch"},
		{"khoét", "khoét", "khoét"},
		{"mùa", "mùa", "mùa"},
		{"của", "của", "của"},
		{"gửi", "gửi", "gửi"},
		{"ngoài", "ngoài", "ngoài"},
		{"digit follows", "hòa2", "hòa2"},
		{"digit before", "2hòa", "2hòa"},
		{"after an invalid byte", "\xffhòa", "\uFFFDhoà"},
		{"mark on both", "hòà", "hòà"},
		{"two marks on first", "hộa", "hộa"},
		{"mark on onset", "ḿòa", "ḿòa"},
		{"vowel before pair", "aòa", "aòa"},
		{"other scripts", "東京 Олимпиада 서울", "東京 Олимпиада 서울"},

		{"invalid byte", "a\xffb", "a\uFFFDb"},
		{"truncated sequence, one per byte", "hòa \xe1\xbb", "hoà \uFFFD\uFFFD"},
		{"valid U+FFFD kept", "a\uFFFDb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%+q) = %+q; want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// TestNormalizePlacements checks, for every onset, pair, tone mark and case, that both
// placements of the mark normalise to the placement on the second vowel, in NFC and NFD.
func TestNormalizePlacements(t *testing.T) {
	onsets := []string{"", "b", "ch", "đ", "Đ", "gh", "kh", "ng", "ngh", "NGH", "q", "th", "tr", "x"}
	pairs := []string{"oa", "oe", "uy", "OA", "Oe", "UY"}
	for _, onset := range onsets {
		for _, pair := range pairs {
			for _, tone := range "\u0300\u0301\u0303\u0309\u0323" {
				first := onset + pair[:1] + string(tone) + pair[1:]
				second := onset + pair + string(tone)
				want := norm.NFC.String(second)
				for _, tt := range []struct{ in, want string }{
					{first, want}, {second, want}, {norm.NFC.String(first), want}, {want, want},
					{first + ", và", want + ", và"}, {"Bà " + first, "Bà " + want},
				} {
					if got := Normalize(tt.in); got != tt.want {
						t.Errorf("Normalize(%+q) = %+q; want %+q", tt.in, got, tt.want)
					}
				}
				// With anything after the pair, the mark stays where it is.
				for _, in := range []string{first + "n", first + "a", first + "\u0302", first + "1"} {
					if got, want := Normalize(in), norm.NFC.String(in); got != want {
						t.Errorf("Normalize(%+q) = %+q; want %+q", in, got, want)
					}
				}
			}
		}
	}
}

// TestTones checks splitTone and withTone against the Unicode composition of each vowel with
// each tone mark, and that splitTone knows no other rune.
func TestTones(t *testing.T) {
	type split struct {
		base byte
		tone int
	}
	want := map[rune]split{}
	for _, base := range "aAeEyYoOuU" {
		for tone, mark := range []rune{'\u0300', '\u0301', '\u0303', '\u0309', '\u0323'} {
			c := []rune(norm.NFC.String(string(base) + string(mark)))
			if len(c) != 1 {
				t.Fatalf("%q+%U does not compose", base, mark)
			}
			if strings.ContainsRune("oOuU", base) {
				want[c[0]] = split{byte(base), tone}
			} else if got := withTone(byte(base), tone); got != c[0] {
				t.Errorf("withTone(%q, %d) = %q; want %q", base, tone, got, c[0])
			}
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		base, tone := splitTone(r)
		if got := (split{base, tone}); got != want[r] {
			t.Errorf("splitTone(%q) = %q, %d; want %q, %d", r, got.base, got.tone, want[r].base, want[r].tone)
		}
	}
}

// TestIsLatinNFC checks what isLatinNFC relies on: every non-ASCII rune it accepts is in NFC
// and cannot combine with the rune before it.
func TestIsLatinNFC(t *testing.T) {
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF || !isLatinNFC(string(r)) {
			continue
		}
		if s := string(r); norm.NFC.String(s) != s || !norm.NFC.PropertiesString(s).BoundaryBefore() {
			t.Errorf("isLatinNFC accepts %U, which is not in NFC or combines backwards", r)
		}
	}
	if isLatinNFC("a\xffb") {
		t.Error("isLatinNFC accepts invalid UTF-8")
	}
}

// TestLowerWord checks lowerWord against unicode's tables for every rune.
func TestLowerWord(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		wantWord := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
		want := r
		if wantWord {
			want = unicode.ToLower(r)
		}
		if got, word := lowerWord(r); got != want || word != wantWord {
			t.Errorf("lowerWord(%U) = %U, %v; want %U, %v", r, got, word, want, wantWord)
		}
	}
}

// TestLowerKeepsNFC checks what TitleKey relies on: the lower case of an upper-case letter
// in NFC is in NFC and cannot combine with the rune before it, so lower-casing undoes NFC
// only where a mark follows.
func TestLowerKeepsNFC(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		l := unicode.ToLower(r)
		if l == r || norm.NFC.String(string(r)) != string(r) {
			continue
		}
		if s := string(l); norm.NFC.String(s) != s || !norm.NFC.PropertiesString(s).BoundaryBefore() {
			t.Errorf("lower case of %U is %U, which is not in NFC or combines backwards", r, l)
		}
	}
}

func TestNormalizeAllocs(t *testing.T) {
	for _, s := range []string{
		"Gia xang giam manh",
		"Thành phố Hồ Chí Minh tăng cường hoà bình, thuỷ lợi",
	} {
		if n := testing.AllocsPerRun(100, func() { Normalize(s) }); n != 0 {
			t.Errorf("Normalize(%q) allocates %v times; want 0", s, n)
		}
	}
}

func TestTitleKey(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"only punctuation", " “…” – ", ""},
		{"ascii", "Gia Xang Giam", "gia xang giam"},
		{"already a key", "giá xăng giảm", "giá xăng giảm"},
		{"diacritics kept", "Giá Xăng giảm", "giá xăng giảm"},
		{"Đ lower-cased", "ĐÀ NẴNG", "đà nẵng"},
		{"nfd", nfd("Đà Nẵng"), "đà nẵng"},
		{"tone placement", "HÒA BÌNH", "hoà bình"},
		{"curly quotes, dash, ellipsis", "“Thở phào” – giá xăng giảm…", "thở phào giá xăng giảm"},
		{"colon and comma", "TP.HCM: mưa lớn, ngập sâu", "tp hcm mưa lớn ngập sâu"},
		{"spaces, tab, newline, nbsp", "  Hà \t Nội\n\u00a0mưa  ", "hà nội mưa"},
		{"digits", "Năm 2024: hơn 110.000 bài viết", "năm 2024 hơn 110 000 bài viết"},
		{"symbols", "Giá vàng +2% | $2.400/oz", "giá vàng 2 2 400 oz"},
		{"other scripts", "Tokyo 東京: Олимпиада", "tokyo 東京 олимпиада"},
		{"invalid byte", "giá\xffxăng", "giá xăng"},
		{"soft hyphen and zero width space separate", "Thành\u00adphố\u200bmới", "thành phố mới"},
		// "J\u030C" is NFC, but its lower case composes to "ǰ".
		{"lower case recomposed", "J\u030C", "ǰ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TitleKey(tt.in); got != tt.want {
				t.Errorf("TitleKey(%+q) = %+q; want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// TestTitleKeyStories checks TitleKey on headlines as Vietnamese outlets print the same
// story, and on headlines of different stories that differ only in diacritics.
func TestTitleKeyStories(t *testing.T) {
	const seedTitle = "Thành phố Hồ Chí Minh tăng cường sử dụng các phương thức truyền thông trên không gian mạng để tuyên truyền thông tin tích cực"
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"seed title, nfd copy", seedTitle, nfd(seedTitle), true},
		{"seed title, upper case and punctuation",
			seedTitle, "THÀNH PHỐ HỒ CHÍ MINH tăng cường sử dụng các phương thức truyền thông trên không gian mạng để tuyên truyền thông tin tích cực.", true},
		{"tone placement",
			"Ban Chỉ đạo 35 Thành ủy lan tỏa thông tin tích cực", "Ban Chỉ đạo 35 Thành uỷ lan toả thông tin tích cực", true},
		{"quotes and dash",
			"Giá xăng giảm – người dân “thở phào”", "Giá xăng giảm - người dân \"thở phào\"", true},
		{"spacing and ellipsis",
			"Hà Nội: mưa lớn,  nhiều tuyến phố ngập…", "Hà Nội  mưa lớn nhiều tuyến phố ngập", true},
		{"Đ and nfd",
			"Đà Nẵng khai mạc lễ hội pháo hoa quốc tế", nfd("ĐÀ NẴNG khai mạc lễ hội pháo hoa quốc tế"), true},
		{"xăng is not xang", "Giá xăng tăng", "Giá xang tăng", false},
		{"hoà is not hoa", "Hoà bình lập lại", "Hoa bình lập lại", false},
		{"words differ", "Thủ tướng thăm Đà Nẵng", "Thủ tướng thăm Hà Nội", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := TitleKey(tt.a), TitleKey(tt.b)
			if got := ka == kb; got != tt.same {
				t.Errorf("TitleKey(%q) == TitleKey(%q) is %v (%q, %q); want %v", tt.a, tt.b, got, ka, kb, tt.same)
			}
		})
	}
}

func TestTitleKeyAllocs(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"gia xang giam", 0},
		{"thành phố hồ chí minh hoà bình", 0},
		{"Thành phố Hồ Chí Minh: hoà bình", 1},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, func() { TitleKey(tt.in) }); got != tt.want {
			t.Errorf("TitleKey(%q) allocates %v times; want %v", tt.in, got, tt.want)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"ascii", "Ho Chi Minh", "ho chi minh"},
		{"Hồ Chí Minh", "Hồ Chí Minh", "ho chi minh"},
		{"nfd", nfd("Hồ Chí Minh"), "ho chi minh"},
		{"đ and Đ", "ĐÀ NẴNG đi", "da nang di"},
		{"both tone placements", "hòa hoà thủy thuỷ", "hoa hoa thuy thuy"},
		{"every vowel", "ă â ê ô ơ ư ắ ầ ể ỗ ợ ự ý", "a a e o o u a a e o o u y"},
		{"punctuation kept", "TP.HCM: “xăng”", "tp.hcm: “xang”"},
		{"other scripts", "Ölfarbe 東京 서울 Ёж", "olfarbe 東京 서울 еж"},
		{"invalid byte", "xă\xffng", "xa\uFFFDng"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%+q) = %+q; want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// TestFoldRunes checks Fold of every rune against x/text's removal of nonspacing marks from
// the canonical decomposition, composed again, the reference for foldLatin's table.
func TestFoldRunes(t *testing.T) {
	removeMn := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)))
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF || r >= 0xAC00 && r <= 0xD7A3 {
			continue // surrogates are not runes; Fold keeps Hangul syllables composed
		}
		want, _, err := transform.String(removeMn, string(r))
		if err != nil {
			t.Fatal(err)
		}
		// Fold's result is NFC, as every string compared with it.
		want = norm.NFC.String(strings.ReplaceAll(strings.ToLower(want), "đ", "d"))
		if got := Fold(string(r)); got != want {
			t.Errorf("Fold(%U) = %+q; want %+q", r, got, want)
		}
	}
}

// TestFoldWordRunes checks what Split relies on: Fold maps no word rune to a space.
func TestFoldWordRunes(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if isWordRune(r) && strings.Contains(Fold(string(r)), " ") {
			t.Errorf("Fold(%+q) = %+q; want no space", r, Fold(string(r)))
		}
	}
}

func TestFoldAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Fold("ho chi minh") }); n != 0 {
		t.Errorf("Fold of lower-case ASCII allocates %v times; want 0", n)
	}
}

var sink string

func BenchmarkNormalize(b *testing.B) {
	for _, bb := range benchTitles {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Normalize(bb.s)
			}
		})
	}
}

func BenchmarkTitleKey(b *testing.B) {
	for _, bb := range benchTitles {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = TitleKey(bb.s)
			}
		})
	}
}

// benchTitles are headlines in the forms feeds send them.
var benchTitles = []struct{ name, s string }{
	{"ascii", "Gia xang giam manh, nguoi dan tho phao"},
	{"nfc", "Thành phố Hồ Chí Minh tăng cường sử dụng các phương thức truyền thông trên không gian mạng"},
	{"tone on first", "Ban Chỉ đạo 35 Thành ủy lan tỏa thông tin tích cực về hòa bình"},
	{"nfd", nfd("Thành phố Hồ Chí Minh tăng cường sử dụng các phương thức truyền thông trên không gian mạng")},
	{"key", "thành phố hồ chí minh tăng cường sử dụng các phương thức truyền thông trên không gian mạng"},
	{"long", strings.Repeat("Giá xăng giảm – người dân “thở phào”. ", 20)},
}

// TestLowerLatin checks lowerLatin against lowerWord for every two-byte string.
func TestLowerLatin(t *testing.T) {
	for i := range 1 << 16 {
		s := string([]byte{byte(i >> 8), byte(i)})
		c, l, lower, ok := lowerLatin(s)
		if !ok {
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		want, word := lowerWord(r)
		if size != 2 || !word || string([]byte{c, l}) != string(want) || lower != (want != r) {
			t.Errorf("lowerLatin(%+q) = %+q, %v; lowerWord: %+q, %v", s, []byte{c, l}, lower, want, word)
		}
	}
}
