package publisher

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseQuery feeds raw query strings to the parser: it never panics,
// every error is one line, and an accepted query renders links that parse
// back to the same query.
func FuzzParseQuery(f *testing.F) {
	f.Add("")
	f.Add("q=ho+chi+minh&limit=10")
	f.Add("limit=1000&q=x%C4%83ng")
	f.Add("before=gAAAAGg7rRgAAAAAdXJuOnByZXNzZmVlZDppdGVtOms1ZWpyeW1pdWw3M256Y2Vtb3FwM2VodA&limit=2")
	f.Add("before=AAAA&limit=-1")
	f.Add("q=%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		qr, err := parseQuery(raw)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) {
				t.Fatalf("error %q is not one clean line", msg)
			}
			return
		}
		if qr.limit < 0 || qr.limit > maxLimit {
			t.Fatalf("limit %d accepted", qr.limit)
		}
		again, err := parseQuery(qr.values(qr.before).Encode())
		if err != nil {
			t.Fatalf("canonical form of %q does not parse: %v", raw, err)
		}
		if again.q != qr.q || again.limit != qr.limit || !again.before.published.Equal(qr.before.published) || again.before.id != qr.before.id {
			t.Fatalf("round trip of %q: %+v, want %+v", raw, again, qr)
		}
	})
}
