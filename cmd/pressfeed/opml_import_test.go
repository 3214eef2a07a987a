package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestImportOPMLLeavesOut: file: feeds and feeds whose host is localhost
// or a literal loopback, private or special-purpose address stay out of the
// pasteable blocks: each is a TOML comment saying why, and a line on
// stderr; the other feeds are imported as before.
func TestImportOPMLLeavesOut(t *testing.T) {
	kept := []string{
		"https://tuoitre.vn/rss/thoi-su.rss",
		"http://203.162.4.190/rss",
		"https://[2001:4860:4860::8888]/rss",
		"https://1password.example/rss",
	}
	leftOut := []struct{ url, shown, why string }{
		{"file:///etc/passwd", "file:///etc/passwd", "file: feeds from an OPML file are not imported"},
		{"FILE:///root/.ssh/id_ed25519", "file:///root/.ssh/id_ed25519", "file: feeds from an OPML file are not imported"},
		{"http://localhost:8080/rss", "", "localhost is loopback"},
		{"http://LOCALHOST./rss", "", "localhost is loopback"},
		{"http://admin.localhost/rss", "", "admin.localhost is loopback"},
		{"http://127.0.0.1:9090/metrics", "", "127.0.0.1 is loopback"},
		{"http://10.0.0.5/rss", "", "10.0.0.5 is private"},
		{"http://169.254.169.254/latest/meta-data/", "", "169.254.169.254 is link-local"},
		{"http://100.100.100.200/latest/meta-data/", "", "100.100.100.200 is shared address space"},
		{"http://[::1]/rss", "", "::1 is loopback"},
		{"http://[fd00::1]/rss", "", "fd00::1 is unique local"},
		{"http://[::ffff:192.168.1.1]/rss", "", "::ffff:192.168.1.1 is IPv4-mapped of 192.168.1.1, which is private"},
		{"http://[64:ff9b::7f00:1]/rss", "", "64:ff9b::7f00:1 is NAT64 of 127.0.0.1, which is loopback"},
		{"http://0.0.0.0:8080/", "", "0.0.0.0 is in 0.0.0.0/8"},
		{"http://127.1/rss", "", "127.1 is a numeric address"},
		{"http://0x7f000001/rss", "", "0x7f000001 is a numeric address"},
		{"http://2130706433/rss", "", "2130706433 is a numeric address"},
		{"http://reader:s3cret@10.1.2.3/rss", "http://reader:xxxxx@10.1.2.3/rss", "10.1.2.3 is private"},
	}
	var opml strings.Builder
	opml.WriteString(`<opml version="2.0"><body><outline text="Thời sự">`)
	for i, u := range kept {
		fmt.Fprintf(&opml, `<outline type="rss" text="Kept %d" xmlUrl="%s"/>`, i, u)
	}
	for i, l := range leftOut {
		fmt.Fprintf(&opml, `<outline type="rss" text="Left %d" xmlUrl="%s"/>`, i, l.url)
	}
	opml.WriteString(`</outline></body></opml>`)
	path := filepath.Join(t.TempDir(), "subs.opml")
	if err := os.WriteFile(path, []byte(opml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"import-opml", path}, &stdout, &stderr); err != nil {
		t.Fatalf("import-opml: %v\n%s", err, stderr.String())
	}
	out := stdout.String()

	var doc struct{ Feeds []importedFeed }
	if _, err := toml.Decode(out, &doc); err != nil {
		t.Fatalf("output is not TOML: %v\n%s", err, out)
	}
	var got []string
	for _, f := range doc.Feeds {
		got = append(got, f.URL)
	}
	if strings.Join(got, " ") != strings.Join(kept, " ") {
		t.Errorf("imported %q, want %q\n%s", got, kept, out)
	}
	if _, err := loadConfig(writeFile(t, out)); err != nil {
		t.Errorf("the blocks do not load: %v\n%s", err, out)
	}
	if strings.Contains(out+stderr.String(), "s3cret") {
		t.Errorf("a password is shown:\n%s%s", out, stderr.String())
	}
	for _, l := range leftOut {
		shown := l.shown
		if shown == "" {
			shown = l.url
		}
		comment := "# left out: " + shown + " ("
		i := strings.Index(out, comment)
		if i < 0 {
			t.Errorf("no %q comment in:\n%s", comment, out)
			continue
		}
		line, _, _ := strings.Cut(out[i:], "\n")
		if !strings.Contains(line, l.why) || !strings.HasSuffix(line, ")") {
			t.Errorf("comment %q, want it to say %q", line, l.why)
		}
		if !strings.Contains(stderr.String(), "import-opml: left out: "+shown+" ("+strings.TrimPrefix(line, comment)) {
			t.Errorf("stderr does not say %q:\n%s", line, stderr.String())
		}
	}
	if want := "# left out: file:///etc/passwd (file: feeds from an OPML file are not imported)\n"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// TestImportOPMLAllLeftOut: an OPML file holding only feeds that are left
// out gives comments and no blocks, and succeeds.
func TestImportOPMLAllLeftOut(t *testing.T) {
	in := `<opml version="2.0"><body><outline text="a" xmlUrl="file:///etc/shadow"/><outline text="b" xmlUrl="http://[::1]/"/></body></opml>`
	var out, errOut bytes.Buffer
	if err := importOPML(&out, &errOut, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	want := "# left out: file:///etc/shadow (file: feeds from an OPML file are not imported)\n" +
		"# left out: http://[::1]/ (::1 is loopback: feeds at loopback, private or special-purpose addresses are not imported)\n"
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
	}
	if n := strings.Count(errOut.String(), "\n"); n != 2 {
		t.Errorf("stderr has %d lines, want 2:\n%s", n, errOut.String())
	}
}

// TestImportOPMLUnparseableFile: a file: URL that does not even parse (a
// newline through a character reference) is left out too, and its comment
// stays one line.
func TestImportOPMLUnparseableFile(t *testing.T) {
	in := `<opml version="2.0"><body><outline text="a" xmlUrl="file:///etc/passwd&#10;[[feeds]]&#10;name = &quot;x&quot;"/><outline text="b" xmlUrl="https://a.example/rss"/></body></opml>`
	var out bytes.Buffer
	if err := importOPML(&out, io.Discard, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	want := "# left out: file:///etc/passwd?[[feeds]]?name = \"x\" (file: feeds from an OPML file are not imported)\n\n" +
		"[[feeds]]\nname = \"b\"\nurl = \"https://a.example/rss\"\ntitle = \"b\"\n"
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
	}
	var doc struct{ Feeds []importedFeed }
	if _, err := toml.Decode(out.String(), &doc); err != nil || len(doc.Feeds) != 1 || doc.Feeds[0].URL != "https://a.example/rss" {
		t.Errorf("decoded %+v, %v; want the one https feed", doc.Feeds, err)
	}
}
