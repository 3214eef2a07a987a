package decode

import "testing"

func TestCloseTruncated(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // "" when CloseTruncated must decline
	}{
		{"last end tag without >", "<rss><channel><title>t</title></channel></rss", "<rss><channel><title>t</title></channel></rss>"},
		{"trailing space", "<rss><channel></channel></rss \n", "<rss><channel></channel></rss>"},
		{"cut after an item", `<rss version="2.0"><channel><title>t</title><item><title>a</title></item>`, `<rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>`},
		{"cut inside an item", `<rss version="2.0"><channel><title>t</title><item><title>a</title>`, ""},
		{"cut inside text", `<rss><channel><item><title>cut off`, ""},
		{"atom cut after an entry", `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>a</title></entry>`, `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>a</title></entry></feed>`},
		{"prefixed names", `<rdf:RDF xmlns:rdf="x"><channel></channel></rdf:RDF`, `<rdf:RDF xmlns:rdf="x"><channel></channel></rdf:RDF>`},
		{"bare ampersand", "<rss><channel><link>http://a/?a=1&b=2</link></channel>", "<rss><channel><link>http://a/?a=1&b=2</link></channel></rss>"},
		{"complete document", "<rss><channel></channel></rss>", ""},
		{"cut inside a start tag", `<rss><channel><item title="a`, ""},
		{"cut inside CDATA", "<rss><channel><title><![CD", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CloseTruncated([]byte(tt.in))
			if tt.want == "" {
				if ok {
					t.Errorf("CloseTruncated(%q) = %q, want declined", tt.in, got)
				}
				return
			}
			if !ok || string(got) != tt.want {
				t.Errorf("CloseTruncated(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestStripDoctype(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"internal subset", `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "]x"> <!ENTITY b "y">] ><rss>&a;</rss>`, `<?xml version="1.0"?><rss>&a;</rss>`},
		{"public id", `<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss/>`, `<rss/>`},
		{"none", `<rss/>`, ""},
		{"unterminated", `<!DOCTYPE rss [<!ENTITY a "b">`, ""},
		{"after the root", `<rss><!DOCTYPE x></rss>`, ""},
	}
	for _, tt := range tests {
		got, ok := StripDoctype([]byte(tt.in))
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("%s: StripDoctype(%q) = %q, %v; want %q", tt.name, tt.in, got, ok, tt.want)
		}
	}
}

func TestRepairJSONFeed(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"tags as a string", `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","tags":"a, b,,c","n":1.50}]}`,
			`{"items":[{"id":"1","n":1.50,"tags":["a","b","c"]}],"title":"t","version":"https://jsonfeed.org/version/1.1"}` + "\n"},
		{"authors as an object, author a name", `{"authors":{"name":"A"},"items":[{"id":"1","author":"Bé & <Ba>","attachments":{"url":"u"}}]}`,
			`{"authors":[{"name":"A"}],"items":[{"attachments":[{"url":"u"}],"author":{"name":"Bé & <Ba>"},"id":"1"}]}` + "\n"},
		{"nothing to repair", `{"items":[{"id":"1","tags":["a"]}]}`, ""},
		{"not JSON", `{"items":[`, ""},
	}
	for _, tt := range tests {
		got, ok := RepairJSONFeed([]byte(tt.in))
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("%s: RepairJSONFeed = %s, %v; want %s", tt.name, got, ok, tt.want)
		}
	}
}
