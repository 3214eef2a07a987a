package canon

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLink(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"tracking, fragment, host case", "https://X.Example/a?utm_source=rss&id=7#top", "https://x.example/a?id=7"},
		{"http and https alike", "http://vnexpress.net/tin-1.html", "https://vnexpress.net/tin-1.html"},
		{"www dropped", "https://www.vnexpress.net/tin-1.html", "https://vnexpress.net/tin-1.html"},
		{"every www dropped", "https://www.www.vnexpress.net/tin-1.html", "https://vnexpress.net/tin-1.html"},
		{"trailing slash", "https://tuoitre.vn/thoi-su/", "https://tuoitre.vn/thoi-su"},
		{"root", "https://tuoitre.vn/", "https://tuoitre.vn"},
		{"default port", "https://tuoitre.vn:443/a", "https://tuoitre.vn/a"},
		{"other port kept", "http://tuoitre.vn:8080/a", "https://tuoitre.vn:8080/a"},
		{"scheme case", "HTTPS://tuoitre.vn/a", "https://tuoitre.vn/a"},
		{"fbclid and zalo params", "https://nld.com.vn/a.htm?fbclid=XYZ&zarsrc=30&gidzl=abc", "https://nld.com.vn/a.htm"},
		{"every listed parameter", "https://a.example/x?utm_campaign=c&fbclid=1&gclid=2&dclid=3&msclkid=4&zarsrc=5&gidzl=6&_ga=7&_gl=8&mc_cid=9&mc_eid=10&igshid=11&yclid=12&ref_src=13&_hsenc=14&_hsmi=15&utm=16&p=1", "https://a.example/x?p=1"},
		{"utm in any case", "https://nld.com.vn/a.htm?UTM_Medium=x&p=2", "https://nld.com.vn/a.htm?p=2"},
		{"long utm name", "https://a.example/x?utm_source_platform=x&p=2", "https://a.example/x?p=2"},
		{"query sorted", "https://a.example/s?b=2&a=1", "https://a.example/s?a=1&b=2"},
		{"trailing dot in host", "https://a.example./x", "https://a.example/x"},
		{"path case kept", "https://a.example/Tin-Moi", "https://a.example/Tin-Moi"},
		{"escaped Vietnamese path", "https://a.example/th%E1%BB%9Di-s%E1%BB%B1", "https://a.example/th%E1%BB%9Di-s%E1%BB%B1"},
		{"IPv6 literal", "http://[::1]:80/a", "https://[::1]/a"},
		{"space before a stripped query", "http://a.example/x ?utm_source=y", "https://a.example/x"},
		{"space in a value before a stripped parameter", "http://a.example/x?p=1 &fbclid=2#f", "https://a.example/x?p=1"},
		{"space inside a path kept", "http://a.example/x y/z", "https://a.example/x%20y/z"},
		{"a page parameter that looks like one", "https://a.example/x?ref=home&gclid_x=1", "https://a.example/x?gclid_x=1&ref=home"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Link(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Link(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			again, err := Link(got)
			if err != nil || again != got {
				t.Errorf("Link(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
	for _, bad := range []string{"javascript:alert(1)", "mailto:a@b.c", "ftp://a.example/x", "data:text/html,hi", "",
		"/news/1", "//a.example/x", "urn:pressfeed:item:abc", "http://a..example/", "http:///x"} {
		if got, err := Link(bad); err == nil {
			t.Errorf("Link(%q) = %q, want an error", bad, got)
		}
	}
}

func TestStrip(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no query", "https://www.Bao.example/tin/1.html", "https://www.Bao.example/tin/1.html"},
		{"nothing to strip", "http://bao.example/a?id=7&b=2#top", "http://bao.example/a?id=7&b=2#top"},
		{"utm and fbclid", "https://bao.example/a.html?utm_source=rss&fbclid=IwAR0x", "https://bao.example/a.html"},
		{"others kept in order", "http://www.bao.example/a?z=1&utm_medium=feed&a=2&gclid=x#s", "http://www.bao.example/a?z=1&a=2#s"},
		{"escaped name", "https://bao.example/a?%75tm_source=x&p=1", "https://bao.example/a?p=1"},
		{"upper case", "https://bao.example/a?ZARSRC=30&GidZl=q", "https://bao.example/a"},
		{"empty parts dropped with a tracker", "https://bao.example/a?&&_ga=1&&p=2&", "https://bao.example/a?p=2"},
		{"question mark in the fragment", "https://bao.example/a#x?utm_source=y", "https://bao.example/a#x?utm_source=y"},
		{"name without value", "https://bao.example/a?fbclid&p", "https://bao.example/a?p"},
		{"bad escape kept", "https://bao.example/a?%zz=1&utm_source=2", "https://bao.example/a?%zz=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Strip(tt.in); got != tt.want {
				t.Errorf("Strip(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	link := "https://vnexpress.net/tin-1.html?id=2"
	if n := testing.AllocsPerRun(100, func() { Strip(link) }); n != 0 {
		t.Errorf("Strip of a clean link allocates %v times, want 0", n)
	}
}

// Strip and Link agree: a link and its stripped form have the same key.
func FuzzLink(f *testing.F) {
	for _, s := range []string{"https://X.Example/a?utm_source=rss&id=7#top", "http://www.a.b:80/x/?q=1&q=2",
		"https://[::1]:8080/a", "https://a.example/%zz", "//a.example/x", "http://www./", "http://www.a/",
		"https://a.example/x?fbclid=1&&p=%41#f?utm_x=1", "https://a.example/x?%75tm_a=1",
		"http://0/ ?%75tm", "http://a.example/x?p=1\u00a0&q= &utm_x=1#f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := Strip(in)
		if Strip(s) != s {
			t.Fatalf("Strip(%q) = %q, Strip of that = %q; not idempotent", in, s, Strip(s))
		}
		if len(s) > len(in) {
			t.Fatalf("Strip(%q) = %q, longer", in, s)
		}
		got, err := Link(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "https://") || (utf8.ValidString(in) && !utf8.ValidString(got)) {
			t.Fatalf("Link(%q) = %q", in, got)
		}
		again, err := Link(got)
		if err != nil || again != got {
			t.Fatalf("Link(%q) = %q, %v; not idempotent from %q", got, again, err, in)
		}
		if k, err := Link(s); err != nil || k != got {
			t.Fatalf("Link(Strip(%q)) = %q, %v; want %q, the key of the link itself", in, k, err, got)
		}
	})
}

// TestValidHost checks what counts as a host: no empty label, no white
// space.
func TestValidHost(t *testing.T) {
	for h, want := range map[string]bool{
		"example.vn": true, "example.vn.": true, "::1": true, "10.0.0.1": true,
		"": false, ".": false, "a..b": false, ".example.vn": false,
		"\u00a0": false, "\u00a0.": false, "ex ample.vn": false, "example.vn\t": false,
	} {
		if got := ValidHost(h); got != want {
			t.Errorf("ValidHost(%q) = %v, want %v", h, got, want)
		}
	}
}
