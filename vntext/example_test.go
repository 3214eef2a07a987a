package vntext_test

import (
	"fmt"

	"github.com/pressfeed/pressfeed/vntext"
)

func Example() {
	// Two outlets print the same headline with different tone placement and punctuation.
	a := vntext.TitleKey("Ban Chỉ đạo 35 Thành ủy: lan tỏa thông tin tích cực")
	b := vntext.TitleKey("Ban Chỉ đạo 35 Thành uỷ lan toả thông tin tích cực…")
	fmt.Println(a == b, a)

	// Keywords are parsed once, at startup; each item's text is split once.
	var include []vntext.Keyword
	for _, phrase := range []string{"ho chi minh", "xăng"} {
		k, err := vntext.ParseKeyword(phrase)
		if err != nil {
			fmt.Println(err)
			return
		}
		include = append(include, k)
	}
	// A headline typed without the breve of "xăng": only the keyword without it would match.
	text := vntext.Split("Thành phố Hồ Chí Minh: giá xang dầu ổn định")
	for _, k := range include {
		fmt.Printf("%s: %v\n", k, k.Matches(text))
	}

	_, err := vntext.ParseKeyword("“…”")
	fmt.Println(err)
	// Output:
	// true ban chỉ đạo 35 thành uỷ lan toả thông tin tích cực
	// ho chi minh: true
	// xăng: false
	// vntext: keyword "“…”" holds no word
}
