package main

import (
	"os"
	"strings"
	"testing"
)

func TestSourceConfig(t *testing.T) {
	const page = "[[feeds]]\nname = \"p\"\nurl = \"https://p.example/tin-tuc\"\n"
	tests := []struct{ name, body, want string }{ // want: in the error; "" for none
		{"feed by default", minimalFeed, ""},
		{"html", page + "format = \"html\"\n[feeds.select]\nitem = \"div.list article\"\ntitle = \"h3 a\"\nlink = \"h3 a @href\"\ndate = \"span.time\"\ndate_format = \"02/01/2006 15:04\"\n", ""},
		{"html xpath", page + "format = \"html\"\n[feeds.select]\nitem = \"//article\"\ntitle = \"./h3\"\nlink = \"./h3/a/@href\"\n", ""},
		{"sitemap", page + "format = \"sitemap\"\n", ""},
		{"json", page + "format = \"json\"\n[feeds.select]\nitem = \"data.items\"\ntitle = \"title\"\nlink = \"url\"\n", ""},
		{"headers", page + "headers = { Cookie = \"a=b\", Referer = \"https://p.example/\", Accept-Language = \"vi\" }\n", ""},
		{"unknown format", page + "format = \"rss\"\n", "feeds[0] (p).format: must be feed, html, sitemap or json, got \"rss\""},
		{"html without select", page + "format = \"html\"\n", "feeds[0] (p).select.item: required for format \"html\""},
		{"bad css", page + "format = \"html\"\n[feeds.select]\nitem = \"div[\"\ntitle = \"a\"\nlink = \"a @href\"\n", "feeds[0] (p).select.item: scrape: bad selector: CSS"},
		{"bad xpath", page + "format = \"html\"\n[feeds.select]\nitem = \"//div\"\ntitle = \"./a[\"\nlink = \"a @href\"\n", "feeds[0] (p).select.title: scrape: bad selector: XPath"},
		{"sitemap with select", page + "format = \"sitemap\"\n[feeds.select]\ntitle = \"a\"\n", "feeds[0] (p).select: format \"sitemap\" takes no selectors"},
		{"unknown select key", page + "format = \"html\"\n[feeds.select]\nitems = \"li\"\n", `line 6: unknown key feeds.select.items; did you mean "feeds.select.item"?`},
		{"reserved header", page + "headers = { Host = \"x\" }\n", "feeds[0] (p).headers: Host is set by pressfeed itself"},
		{"bad header value", page + "headers = { Cookie = \"a\\nb\" }\n", "feeds[0] (p).headers: the value of Cookie holds characters a header cannot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(writeFile(t, tt.body))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("loadConfig = %v; want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("loadConfig = %v; want an error saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "a\nb") {
				t.Errorf("error %q shows a header's value", err)
			}
		})
	}
}

// TestShippedSourceExamples: the commented examples of sources with no
// feed in config.toml are valid once uncommented.
func TestShippedSourceExamples(t *testing.T) {
	b, err := os.ReadFile("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "# [[feeds]] # Thành ủy")
	j := strings.Index(s, "\n\n# Outputs")
	if i < 0 || j < i {
		t.Fatal("config.toml: no commented examples of sources before # Outputs")
	}
	var out strings.Builder
	for _, line := range strings.Split(s[i:j], "\n") {
		if rest, ok := strings.CutPrefix(line, "# "); ok {
			out.WriteString(rest)
		}
		out.WriteByte('\n')
	}
	cfg, err := loadConfig(writeFile(t, out.String()))
	if err != nil {
		t.Fatalf("the uncommented examples: %v\n%s", err, out.String())
	}
	formats := map[string]bool{}
	for _, f := range cfg.Feeds {
		formats[f.Format] = true
	}
	if !formats["html"] || !formats["sitemap"] || !formats["json"] {
		t.Errorf("examples cover formats %v; want html, sitemap and json", formats)
	}
}
