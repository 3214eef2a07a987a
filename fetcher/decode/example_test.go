package decode_test

import (
	"fmt"

	"github.com/pressfeed/pressfeed/fetcher/decode"
)

// A feed in windows-1252 whose declaration says so, with a character XML
// forbids referenced in its title, comes out as UTF-8 that gofeed parses
// as it is: the declaration says UTF-8, the reference is gone.
func ExampleBody() {
	body := []byte("<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss><channel><title>Caf\xe9&#11;</title></channel></rss>")
	clean, err := decode.Body(body, "application/rss+xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(clean))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?><rss><channel><title>Café</title></channel></rss>
}
