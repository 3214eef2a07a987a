package vntext

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

type copyLine struct{ story, title, lead string }

type labelledPair struct {
	a, b copyLine
	same bool
}

// readPairs reads testdata/neardup.txt: every pair of lines inside a cluster,
// labelled same story or not.
func readPairs(t testing.TB) []labelledPair {
	t.Helper()
	f, err := os.Open("testdata/neardup.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pairs []labelledPair
	var cluster []copyLine
	flush := func() {
		for i := range cluster {
			for j := i + 1; j < len(cluster); j++ {
				pairs = append(pairs, labelledPair{cluster[i], cluster[j], cluster[i].story == cluster[j].story})
			}
		}
		cluster = nil
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "#"):
		default:
			parts := strings.Split(line, "|")
			if len(parts) != 3 {
				t.Fatalf("neardup.txt:%d: want STORY | headline | lead", n)
			}
			cluster = append(cluster, copyLine{strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	flush()
	return pairs
}

type score struct{ tp, fp, fn, tn int }

func (s score) precision() float64 { return float64(s.tp) / float64(max(s.tp+s.fp, 1)) }
func (s score) recall() float64    { return float64(s.tp) / float64(max(s.tp+s.fn, 1)) }

func evaluate(t *testing.T, pairs []labelledPair, withLead bool) score {
	var s score
	for _, p := range pairs {
		la, lb := p.a.lead, p.b.lead
		if !withLead {
			la, lb = "", ""
		}
		d, got := NearDuplicate(p.a.title, la, SimHash(p.a.title, la), p.b.title, lb, SimHash(p.b.title, lb))
		switch {
		case got && p.same:
			s.tp++
		case got && !p.same:
			s.fp++
			t.Logf("false merge (distance %d): %q / %q", d, p.a.title, p.b.title)
		case !got && p.same:
			s.fn++
			if testing.Verbose() {
				t.Logf("missed (distance %d): %q / %q", d, p.a.title, p.b.title)
			}
		default:
			s.tn++
		}
	}
	return s
}

// TestNearDuplicateLabelled measures the wire-copy rule on the labelled set:
// different stories must not merge (precision ≥ 0.99), and most copies must.
func TestNearDuplicateLabelled(t *testing.T) {
	pairs := readPairs(t)
	pos := 0
	for _, p := range pairs {
		if p.same {
			pos++
		}
	}
	if len(pairs) < 150 || pos < 50 || len(pairs)-pos < 75 {
		t.Fatalf("labelled set has %d pairs, %d same story: want ≥ 150 pairs with ≥ 50 of each kind", len(pairs), pos)
	}
	for _, tc := range []struct {
		name       string
		withLead   bool
		minRecall  float64
		minPrecise float64
	}{
		{"headline and lead", true, 0.85, 0.99},
		{"headline only", false, 0, 0.99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := evaluate(t, pairs, tc.withLead)
			t.Logf("%d pairs (%d same story): precision %.3f, recall %.3f (tp %d fp %d fn %d tn %d)",
				len(pairs), pos, s.precision(), s.recall(), s.tp, s.fp, s.fn, s.tn)
			if s.precision() < tc.minPrecise {
				t.Errorf("precision %.3f, want ≥ %.2f", s.precision(), tc.minPrecise)
			}
			if s.recall() < tc.minRecall {
				t.Errorf("recall %.3f, want ≥ %.2f", s.recall(), tc.minRecall)
			}
		})
	}
}

func TestSimHashForms(t *testing.T) {
	title := "Hoà giải thành công tranh chấp đất đai tại quận 7"
	lead := "Sáng nay, Tòa án nhân dân quận 7 đã hòa giải thành công vụ tranh chấp kéo dài 10 năm."
	h := SimHash(title, lead)
	if h == 0 {
		t.Fatal("SimHash = 0 for a headline")
	}
	same := []struct{ name, title, lead string }{
		{"NFD", nfd(title), nfd(lead)},
		{"new tone placement", strings.ReplaceAll(title, "Hoà", "Hòa"), lead},
		{"case and punctuation", strings.ToUpper(title) + "!", lead + " "},
		{"lead past LeadWords", title, lead + strings.Repeat(" thêm chữ", LeadWords)},
	}
	for _, tt := range same {
		if tt.name == "lead past LeadWords" {
			long := lead + strings.Repeat(" thêm", LeadWords)
			if SimHash(title, long) != SimHash(title, long+" khác hẳn") {
				t.Errorf("%s: words after the first %d change the fingerprint", tt.name, LeadWords)
			}
			continue
		}
		if got := SimHash(tt.title, tt.lead); got != h {
			t.Errorf("%s: SimHash = %016x, want %016x", tt.name, got, h)
		}
	}
	if SimHash("", " \t") != 0 {
		t.Error("SimHash of no words is not 0")
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Việt Nam thắng Thái Lan 2-1", []string{"2", "1"}},
		{"ngập 3.000 ngôi nhà, 3,000 hộ", []string{"3000", "3000"}},
		{"tăng 7,4% trong quý III", []string{"74"}},
		{"lúc 07h05", []string{"7", "5"}},
		{"không có số", nil},
		{"số 0, số 00", []string{"0", "0"}},
		{"cuối câu 12.", []string{"12"}},
	}
	for _, tt := range tests {
		if got := numbers(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("numbers(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if !sameNumbers("thắng 2-1", "1-2 chiến thắng") || sameNumbers("giảm 500 đồng", "giảm 300 đồng") || sameNumbers("bão số 3", "bão số 3 và số 4") {
		t.Error("SameNumbers disagrees with its contract")
	}
}

func TestStripTag(t *testing.T) {
	tests := []struct{ in, want string }{
		{"(PLO) - Sáng 7/9, tâm bão", "Sáng 7/9, tâm bão"},
		{"TTO - Chiều 7/9", "Chiều 7/9"},
		{"(NLĐO)– Sáng 28/8", "Sáng 28/8"},
		{"SGGPO — Ngày 6/6", "Ngày 6/6"},
		{"(VTV) Sáng nay", "Sáng nay"},
		{"UBND TP.HCM vừa quyết định", "UBND TP.HCM vừa quyết định"},
		{"TP.HCM - Sáng nay", "TP.HCM - Sáng nay"},
		{"(Hà Nội) - x", "(Hà Nội) - x"},
		{"A - một chữ cái", "A - một chữ cái"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := stripTag(tt.in); got != tt.want {
			t.Errorf("stripTag(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLeadPrefix(t *testing.T) {
	if got := leadPrefix("  một hai  ba bốn", 2); got != "  một hai" {
		t.Errorf("leadPrefix = %q", got)
	}
	if got := leadPrefix("một hai", 5); got != "một hai" {
		t.Errorf("leadPrefix = %q", got)
	}
}

func BenchmarkSimHash(b *testing.B) {
	title := "Thủ tướng yêu cầu hoàn thành cao tốc Bắc - Nam trong năm 2025"
	lead := "Thủ tướng Chính phủ vừa ký công điện yêu cầu các bộ, ngành và địa phương tập trung nguồn lực, bảo đảm hoàn thành 3.000 km cao tốc Bắc - Nam trong năm 2025."
	for b.Loop() {
		SimHash(title, lead)
	}
}

// FuzzNearDuplicate checks what the wire-copy rule promises for any
// headline and lead a feed may send: SimHash ignores Unicode composition,
// stripTag only cuts a prefix, Numbers are digit strings, and NearDuplicate
// is symmetric and true for an item and itself.
func FuzzNearDuplicate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "(PLO) - "+s)
	}
	f.Add(wireTitleSeed, wireLeadSeed)
	f.Fuzz(func(t *testing.T, title, lead string) {
		h := SimHash(title, lead)
		if utf8.ValidString(title) && utf8.ValidString(lead) {
			if got := SimHash(norm.NFD.String(title), norm.NFD.String(lead)); got != h {
				t.Errorf("SimHash of NFD %016x, of the text %016x", got, h)
			}
		}
		if s := stripTag(lead); !strings.HasSuffix(lead, s) {
			t.Errorf("stripTag(%q) = %q, not a suffix", lead, s)
		}
		for _, n := range numbers(title) {
			if n == "" || strings.Trim(n, "0123456789") != "" || (len(n) > 1 && n[0] == '0') {
				t.Errorf("numbers(%q) has %q", title, n)
			}
		}
		h2 := SimHash(lead, title)
		d1, ok1 := NearDuplicate(title, lead, h, lead, title, h2)
		d2, ok2 := NearDuplicate(lead, title, h2, title, lead, h)
		if d1 != d2 || ok1 != ok2 {
			t.Errorf("NearDuplicate not symmetric: %d %v / %d %v", d1, ok1, d2, ok2)
		}
		if _, ok := NearDuplicate(title, lead, h, title, lead, h); ok != (h != 0) {
			t.Errorf("NearDuplicate(x, x) = %v with SimHash %016x", ok, h)
		}
	})
}

const (
	wireTitleSeed = "Giá xăng RON 95 giảm 500 đồng mỗi lít từ 15h chiều nay"
	wireLeadSeed  = "TTO - Liên Bộ Công Thương - Tài chính vừa điều chỉnh giá bán lẻ xăng dầu. Từ 15h chiều nay, mỗi lít xăng RON 95 giảm 500 đồng."
)

// Two outlets carry one wire story: the headline edited, the lead tagged.
// Next week's price change reads the same but for its numbers.
func ExampleNearDuplicate() {
	title := "Giá xăng RON 95 giảm 500 đồng mỗi lít từ 15h chiều nay"
	lead := "Liên Bộ Công Thương - Tài chính vừa điều chỉnh giá bán lẻ xăng dầu. Từ 15h chiều nay, mỗi lít xăng RON 95 giảm 500 đồng."
	copyTitle := "Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay"
	copyLead := "TTO - " + lead
	nextTitle := "Giá xăng RON 95 giảm 300 đồng mỗi lít từ 15h chiều nay"
	nextLead := strings.ReplaceAll(lead, "500", "300")

	h := SimHash(title, lead)
	_, same := NearDuplicate(title, lead, h, copyTitle, copyLead, SimHash(copyTitle, copyLead))
	_, next := NearDuplicate(title, lead, h, nextTitle, nextLead, SimHash(nextTitle, nextLead))
	fmt.Println(same, next)
	// Output: true false
}

// TestIsSpace checks isSpace against unicode.IsSpace for every rune.
func TestIsSpace(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if isSpace(r) != unicode.IsSpace(r) {
			t.Errorf("isSpace(%U) = %v", r, isSpace(r))
		}
	}
}
