package vntext

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestParseKeyword(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"one word", "xăng", "xăng"},
		{"phrase", "Hồ Chí Minh", "Hồ Chí Minh"},
		{"kept as given, normalised", nfd("  Hòa bình! "), "  Hoà bình! "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKeyword(tt.in)
			if err != nil || k.String() != tt.want {
				t.Errorf("ParseKeyword(%+q) = %+q, %v; want %+q", tt.in, k.String(), err, tt.want)
			}
		})
	}
}

func TestParseKeywordNoWord(t *testing.T) {
	for _, in := range []string{"", "   ", "“…” –", "\xff"} {
		t.Run(in, func(t *testing.T) {
			k, err := ParseKeyword(in)
			if err == nil {
				t.Fatalf("ParseKeyword(%+q) = %q, nil; want an error", in, k)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
				t.Errorf("ParseKeyword(%+q) error %q does not name the phrase", in, err)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	const hcm = "Thành phố Hồ Chí Minh tăng cường sử dụng các phương thức truyền thông"
	tests := []struct {
		name, keyword, text string
		want                bool
	}{
		// SPEC, "Keywords".
		{"no diacritics", "ho chi minh", hcm, true},
		{"some diacritics", "ho chí minh", hcm, true},
		{"all diacritics", "Hồ Chí Minh", hcm, true},
		{"case", "HỒ CHÍ MINH", hcm, true},
		{"wrong diacritic", "hò chí minh", hcm, false},
		{"d matches đ", "dang", "Đảng bộ Thành phố", true},
		{"d matches d", "dang", "Đang cập nhật", true},
		{"đ matches đ only", "đảng", "Đảng bộ Thành phố", true},
		{"đ does not match d", "đang", "Dang dở công trình", false},
		{"xang matches xăng", "xang", "Giá xăng giảm", true},
		{"xăng does not match xang", "xăng", "Giá xang giảm", false},
		{"xăng matches xăng", "xăng", "Giá XĂNG giảm", true},

		// Whole words, consecutive, in order.
		{"not a prefix", "chi", "Nghị quyết chính thức", false},
		{"not a suffix", "minh", "thông minh", true},
		{"not inside a word", "hcm", "TPHCM", false},
		{"consecutive", "ho minh", hcm, false},
		{"in order", "minh chi ho", hcm, false},
		{"at the start", "thanh pho", hcm, true},
		{"at the end", "thông", hcm, true},
		{"longer than the text", "ho chi minh thanh pho", "Hồ Chí Minh", false},
		{"repeated first word", "ho ho chi", "hồ hồ hồ chí", true},

		// Punctuation separates words, in keywords and text alike.
		{"TP.HCM matches TP.HCM", "TP.HCM", "TP.HCM: mưa lớn", true},
		{"tp hcm matches TP.HCM", "tp hcm", "TP.HCM: mưa lớn", true},
		{"TP.HCM matches TP HCM", "TP.HCM", "Mưa lớn ở TP HCM", true},
		{"across punctuation", "mưa lớn", "TP.HCM: mưa, lớn", true},
		{"hyphenated", "covid 19", "Ca mắc Covid-19 giảm", true},

		// Composition and tone placement never matter.
		{"nfd text", "hồ chí minh", nfd(hcm), true},
		{"nfd keyword", nfd("hồ chí minh"), hcm, true},
		{"hòa matches hoà", "hòa bình", "Hoà bình lập lại", true},
		{"hoà matches hòa", "hoà bình", "Hòa bình lập lại", true},
		{"thủy matches thuỷ", "thủy lợi", "Công trình thuỷ lợi", true},
		{"hoa matches hòa", "hoa binh", "HÒA BÌNH", true},
		{"hoà does not match hoa", "hoà", "Hoa hậu Việt Nam", false},

		{"empty text", "xăng", "", false},
		{"other scripts", "東京", "Olympic 東京 2020", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKeyword(tt.keyword)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Matches(Split(tt.text)); got != tt.want {
				t.Errorf("ParseKeyword(%q).Matches(Split(%q)) = %v; want %v", tt.keyword, tt.text, got, tt.want)
			}
		})
	}
}

func TestMatchesZero(t *testing.T) {
	if (Keyword{}).Matches(Split("a b")) {
		t.Error("Keyword{}.Matches(Split(\"a b\")) = true; want false")
	}
	k, err := ParseKeyword("a")
	if err != nil {
		t.Fatal(err)
	}
	if k.Matches(Text{}) {
		t.Error("ParseKeyword(\"a\").Matches(Text{}) = true; want false")
	}
}

// TestMatchesSeed matches keywords against the sentences of a real article.
func TestMatchesSeed(t *testing.T) {
	data, err := os.ReadFile("testdata/hcm-truyen-thong-khong-gian-mang.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := Split(string(data))
	tests := []struct {
		keyword string
		want    bool
	}{
		{"ho chi minh", true},
		{"thanh uy", true},
		{"thành ủy", true},
		{"thành uỷ", true},
		{"thanh ủy", true},
		{"lan toa", true},
		{"lan toả", true},
		{"quy i 2024", true},
		{"quý I/2024", true},
		{"qui", false},
		{"mac lenin", true},
		{"110.000 bai viet", true},
		{"ban chi dao 35", true},
		{"ban chi dao 36", false},
		{"chính luận", true},
		{"chinh luan bao ve", true},
		{"chinh", true},
		{"tich", true},
		{"tic", false},
		{"tư tưởng hồ chí minh", true},
		{"tu tuong ho chi minh", true},
		{"tứ tưởng", false},
		{"hoà bình", false},
	}
	for _, tt := range tests {
		t.Run(tt.keyword, func(t *testing.T) {
			k, err := ParseKeyword(tt.keyword)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Matches(text); got != tt.want {
				t.Errorf("ParseKeyword(%q).Matches(seed) = %v; want %v", tt.keyword, got, tt.want)
			}
		})
	}
}

func TestSplitAllocs(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"gia xang giam", 1},      // the words
		{"Gia xang giam", 2},      // the key, the words
		{"Giá xăng giảm manh", 3}, // the key, the words, their folds
		{strings.Repeat("Giá xăng giảm ", 100), 3},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, func() { Split(tt.in) }); got != tt.want {
			t.Errorf("Split(%.20q) allocates %v times; want %v", tt.in, got, tt.want)
		}
	}
}

func BenchmarkMatches(b *testing.B) {
	text := Split("Thành phố Hồ Chí Minh tăng cường sử dụng các phương thức truyền thông trên không gian mạng để tuyên truyền thông tin tích cực")
	var keywords []Keyword
	for _, phrase := range []string{"ho chi minh", "tuyên truyền", "xăng", "giá vàng", "thong tin tich cuc", "mạng xã hội"} {
		k, err := ParseKeyword(phrase)
		if err != nil {
			b.Fatal(err)
		}
		keywords = append(keywords, k)
	}
	b.Run("keywords", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			for _, k := range keywords {
				if k.Matches(text) {
					n++
				}
			}
		}
		if n == 0 {
			b.Fatal("no keyword matched")
		}
	})
	b.Run("split", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			text = Split("Thành phố Hồ Chí Minh tăng cường sử dụng các phương thức truyền thông trên không gian mạng để tuyên truyền thông tin tích cực")
		}
	})
}
