package vntext

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fuzzSeeds are headlines and fragments that reach every branch of Normalize and TitleKey.
var fuzzSeeds = []string{
	"",
	"Gia xang giam",
	"Thành phố Hồ Chí Minh tăng cường sử dụng các phương thức truyền thông trên không gian mạng",
	"Ban Chỉ đạo 35 Thành ủy lan tỏa thông tin tích cực",
	"HÒA BÌNH, thủy lợi, khỏe mạnh, qúy, quý, hoàn, tuyên, khuya",
	"ho\u0300a thu\u0309y khoe\u0309 Đ\u0300",
	"“Thở phào” – giá xăng giảm… TP.HCM: 110.000",
	"J\u030C \u0130\u0300 东京 서울",
	"a\xffb \xe1\xbb",
	"\u0301o\u0300a\u0302",
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(checkNormalize)
}

func FuzzTitleKey(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(checkTitleKey)
}

func FuzzFold(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(checkFold)
}

func FuzzMatches(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(checkMatches)
}

// TestInvariants checks the fuzz targets' invariants on random strings of Vietnamese letters,
// marks and punctuation, which reach the tone-placement cases far sooner than random bytes.
func TestInvariants(t *testing.T) {
	pieces := strings.Fields("a A o O u U y Y e E i h H q Q k t n g đ Đ J İ ò Ó ủ Ụ ỳ ẹ à Ả ă Ơ ư ộ " +
		"\u0300 \u0301 \u0303 \u0309 \u0323 \u0302 \u0306 \u031B \u030C \u0331 . : , – … “ ” 1 9 东 서 \xff \xe1\xbb")
	pieces = append(pieces, " ", "  ", "\u00a0")
	n := 10000
	if testing.Short() {
		n = 2000
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range n {
		b.Reset()
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		checkNormalize(t, s)
		checkTitleKey(t, s)
		checkFold(t, s)
		checkMatches(t, s)
		if t.Failed() {
			return
		}
	}
}

// checkNormalize checks that Normalize returns valid UTF-8 in NFC, is idempotent, and does not
// depend on the normalisation form of its input.
func checkNormalize(t *testing.T, s string) {
	got := Normalize(s)
	if !utf8.ValidString(got) {
		t.Errorf("Normalize(%+q) = %+q, not valid UTF-8", s, got)
	}
	if !norm.NFC.IsNormalString(got) {
		t.Errorf("Normalize(%+q) = %+q, not NFC", s, got)
	}
	if again := Normalize(got); again != got {
		t.Errorf("Normalize(%+q) = %+q, but Normalize(%+q) = %+q", s, got, got, again)
	}
	if nfd := Normalize(norm.NFD.String(s)); nfd != got {
		t.Errorf("Normalize(%+q) = %+q, but Normalize of its NFD = %+q", s, got, nfd)
	}
}

// checkTitleKey checks that TitleKey returns valid UTF-8 in NFC, is idempotent and does not
// depend on whether its input was normalised.
func checkTitleKey(t *testing.T, s string) {
	got := TitleKey(s)
	if !utf8.ValidString(got) {
		t.Errorf("TitleKey(%+q) = %+q, not valid UTF-8", s, got)
	}
	if !norm.NFC.IsNormalString(got) {
		t.Errorf("TitleKey(%+q) = %+q, not NFC", s, got)
	}
	if again := TitleKey(got); again != got {
		t.Errorf("TitleKey(%+q) = %+q, but TitleKey(%+q) = %+q", s, got, got, again)
	}
	if n := TitleKey(Normalize(s)); n != got {
		t.Errorf("TitleKey(%+q) = %+q, but TitleKey(Normalize(%+q)) = %+q", s, got, s, n)
	}
}

// checkFold checks that Fold returns valid UTF-8, is idempotent and ignores normalisation.
func checkFold(t *testing.T, s string) {
	got := Fold(s)
	if !utf8.ValidString(got) {
		t.Errorf("Fold(%+q) = %+q, not valid UTF-8", s, got)
	}
	if again := Fold(got); again != got {
		t.Errorf("Fold(%+q) = %+q, but Fold(%+q) = %+q", s, got, got, again)
	}
	if n := Fold(Normalize(s)); n != got {
		t.Errorf("Fold(%+q) = %+q, but Fold(Normalize(%+q)) = %+q", s, got, s, n)
	}
}

// checkMatches checks that a phrase fails to parse only when it holds no word, and that
// otherwise it matches the text it was typed from, and its Fold matches that text too
// unless a word of the text is only marks (Fold drops such a word).
func checkMatches(t *testing.T, s string) {
	k, err := ParseKeyword(s)
	if err != nil {
		if key := TitleKey(s); key != "" {
			t.Errorf("ParseKeyword(%+q): %v, but TitleKey is %+q", s, err, key)
		}
		return
	}
	text := Split(s)
	if !k.Matches(text) {
		t.Errorf("ParseKeyword(%+q).Matches(Split(%+q)) = false", s, s)
	}
	for _, w := range text.words {
		if w.folded == "" {
			return
		}
	}
	if f, err := ParseKeyword(Fold(s)); err == nil && !f.Matches(text) {
		t.Errorf("ParseKeyword(Fold(%+q)).Matches(Split(%+q)) = false", s, s)
	}
}
