package sanitize_test

import (
	"fmt"
	"net/url"

	"github.com/pressfeed/pressfeed/fetcher/sanitize"
)

// An item's HTML loses what the allowlist does not keep, its relative
// links become absolute against the item's link, its tags are balanced and
// its text comes in NFC; WithText gives the text for the summary too.
func ExampleWithText() {
	base, _ := url.Parse("https://bao.example.vn/thoi-su/tin-1.html")
	raw := "<p onclick=\"x()\">Tp. Ho\u0302\u0300 Chí Minh<script>alert(1)</script> <b><a href=\"/tin-2.html\">tiếp"
	clean, text := sanitize.WithText(base, raw)
	fmt.Println(clean)
	fmt.Printf("%q\n", text)
	// Output:
	// <p>Tp. Hồ Chí Minh <b><a href="https://bao.example.vn/tin-2.html" rel="nofollow">tiếp</a></b></p>
	// " Tp. Hồ Chí Minh tiếp"
}
