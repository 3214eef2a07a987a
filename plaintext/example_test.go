package plaintext_test

import (
	"fmt"

	"github.com/pressfeed/pressfeed/plaintext"
)

// An RSS title is HTML once the XML is decoded: tags go, references are
// decoded once. A title escaped twice at the source stays the text it
// was. A JSON Feed title is plain text: nothing is decoded, and what reads
// as a tag is defused. The publisher applies From with Text again to what
// is stored, which changes nothing stored by this version.
func ExampleFrom() {
	rss := plaintext.From("<b>Giá xăng</b> &amp; dầu", plaintext.HTML)
	twice := plaintext.From("&lt;img src=x onerror=alert(1)&gt;", plaintext.HTML)
	json := plaintext.From("a <b & c", plaintext.Text)
	fmt.Println(rss)
	fmt.Println(twice)
	fmt.Println(json)
	fmt.Println(plaintext.From(twice, plaintext.Text) == twice)
	// Output:
	// Giá xăng & dầu
	// &lt;img src=x onerror=alert(1)&gt;
	// a &lt;b & c
	// true
}
