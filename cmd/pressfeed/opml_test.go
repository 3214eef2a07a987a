package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/pressfeed/pressfeed/plaintext"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const opmlConfig = `
[[feeds]]
name = "tuoi-tre-thoi-su"
url = "https://tuoitre.vn/rss/thoi-su.rss"
title = "Tuổi Trẻ – Thời sự & <Chính trị>"
tags = ["tong-hop", "thoi-su"]

[[feeds]]
name = "vnexpress"
url = "https://vnexpress.net/rss/tin-moi-nhat.rss?a=1&b=2"

[[feeds]]
name = "noi-bo"
url = "https://editor:s3cret@intranet.example/feed.xml"
title = "Nội bộ \"tòa soạn\""
tags = ["noi-bo"]
`

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestOPMLRoundTrip: export-opml then import-opml gives back every feed's
// name, URL and tags, and its title as plain text: a title that reads as
// markup ("<Chính trị>") comes back defused, as OPML text holds none.
func TestOPMLRoundTrip(t *testing.T) {
	cfg, err := loadConfig(writeFile(t, opmlConfig))
	if err != nil {
		t.Fatal(err)
	}
	var opml bytes.Buffer
	if err := exportOPML(&opml, cfg, true); err != nil {
		t.Fatal(err)
	}
	var blocks bytes.Buffer
	if err := importOPML(&blocks, io.Discard, bytes.NewReader(opml.Bytes())); err != nil {
		t.Fatalf("import: %v\n%s", err, opml.String())
	}
	// The blocks paste into a config that loads.
	back, err := loadConfig(writeFile(t, blocks.String()))
	if err != nil {
		t.Fatalf("imported blocks do not load: %v\n%s", err, blocks.String())
	}
	if len(back.Feeds) != len(cfg.Feeds) {
		t.Fatalf("got %d feeds back, want %d:\n%s", len(back.Feeds), len(cfg.Feeds), blocks.String())
	}
	for i, want := range cfg.Feeds {
		got := back.Feeds[i]
		want.Title = plaintext.From(want.Title, plaintext.Text)
		if got.Name != want.Name || got.URL != want.URL || got.Title != want.Title || !slices.Equal(got.Tags, want.Tags) {
			t.Errorf("feed %d = %q %q %q %q; want %q %q %q %q", i, got.Name, got.URL, got.Title, got.Tags,
				want.Name, want.URL, want.Title, want.Tags)
		}
	}
}

// TestExportOPMLMasksPasswords: without -with-credentials the password of
// a feed URL is masked; the document matches its golden file.
func TestExportOPMLMasksPasswords(t *testing.T) {
	cfg, err := loadConfig(writeFile(t, opmlConfig))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := exportOPML(&out, cfg, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "s3cret") {
		t.Errorf("export shows the password:\n%s", out.String())
	}
	golden(t, "export.golden.opml", out.Bytes())
}

// TestImportOPMLFromReaders: an OPML file from another feed reader (folders,
// no names, duplicate titles, entities) gives valid [[feeds]] blocks: names
// from titles without diacritics, made unique; folders and categories as tags.
func TestImportOPMLFromReaders(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "import-readers.opml"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := importOPML(&out, io.Discard, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	golden(t, "import-readers.golden.toml", out.Bytes())
	if _, err := loadConfig(writeFile(t, out.String())); err != nil {
		t.Errorf("imported blocks do not load: %v", err)
	}
}

func TestImportOPMLErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not xml", "hello", "import-opml: not an OPML file: it holds no XML element (empty, or not XML)"},
		{"empty", "", "import-opml: not an OPML file: it holds no XML element"},
		{"json", `{"feeds": ["https://a.example/rss"]}`, "not an OPML file: it holds no XML element"},
		{"a feed", `<?xml version="1.0"?><rss version="2.0"><channel/></rss>`, "not an OPML file: its root element is <rss>, not <opml> (a feed"},
		{"a web page", "<!DOCTYPE html>\n<html><body>x</body></html>", "not an OPML file: its root element is <html>, not <opml> (a web page)"},
		{"cut short", `<opml version="2.0"><body><outline text="x" xmlUrl="https://a.example/rss">`, "ends before </opml>"},
		{"syntax error", "<opml version=\"2.0\"><body>\n<outline text=\"x\" xmlUrl=\"https://a.example/rss\"/><!-- a -- b --></body></opml>", "import-opml: XML syntax error on line 2"},
		{"no feeds", `<opml version="2.0"><body><outline text="x"/></body></opml>`, "no feed outlines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := importOPML(&bytes.Buffer{}, io.Discard, strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "EOF") {
				t.Errorf("importOPML(%q) = %v, want an error with %q (and no EOF)", tt.in, err, tt.want)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Tuổi Trẻ – Thời sự", "tuoi-tre-thoi-su"},
		{"Đà Nẵng", "da-nang"},
		{"  --VnExpress!! ", "vnexpress"},
		{"数字", ""},
		{strings.Repeat("ab ", 40), strings.TrimRight(strings.Repeat("ab-", 20), "-")},
	}
	for _, tt := range tests {
		got := slug(tt.in)
		if got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got != "" && !nameRE.MatchString(got) {
			t.Errorf("slug(%q) = %q, which config.toml refuses as a name", tt.in, got)
		}
	}
}

// FuzzImportOPML: whatever the file, import-opml never panics, and what it
// writes decodes as TOML with unique names that config.toml accepts and
// no feed that leaveOut keeps out.
func FuzzImportOPML(f *testing.F) {
	f.Add([]byte(`<opml version="2.0"><body><outline text="Tin" xmlUrl="https://a.example/rss"/></body></opml>`))
	f.Add([]byte(`<opml><body><outline text="Thời sự"><outline text="" xmlUrl="x" category="/a/b,,c"/><outline text="" xmlUrl="y"/></outline></body></opml>`))
	f.Add([]byte(`<opml xmlns:p="urn:pressfeed:opml"><body><outline p:name="Bad Name" text="ok" xmlUrl="z"/></body></opml>`))
	f.Add([]byte(`<opml><body><outline text="a" xmlUrl="file:///etc/passwd&#10;[[feeds]]"/><outline text="b" xmlUrl="http://[::ffff:127.0.0.1]/"/><outline text="c" xmlUrl="http://127.1/"/></body></opml>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		if err := importOPML(&out, io.Discard, bytes.NewReader(in)); err != nil {
			return
		}
		var doc struct{ Feeds []importedFeed }
		if _, err := toml.Decode(out.String(), &doc); err != nil {
			t.Fatalf("output is not TOML: %v\n%s", err, out.String())
		}
		seen := map[string]bool{}
		for _, fd := range doc.Feeds {
			if !nameRE.MatchString(fd.Name) || seen[fd.Name] {
				t.Errorf("bad or duplicate name %q", fd.Name)
			}
			seen[fd.Name] = true
			if _, why := leaveOut(fd.URL); why != "" {
				t.Errorf("imported %q, which is left out: %s", fd.URL, why)
			}
			for _, tag := range fd.Tags {
				if !nameRE.MatchString(tag) {
					t.Errorf("bad tag %q", tag)
				}
			}
		}
	})
}
