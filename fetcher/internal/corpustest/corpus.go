// Package corpustest reads the shared test corpus (shared/corpus beside
// the repository; see its SOURCES.md) for the tests of fetcher and of the
// packages below it, each of which names the corpus relative to its own
// folder.
package corpustest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Folders are the folders of the corpus that hold feed
// documents (see its SOURCES.md); the others hold licences, tables and
// schemas.
var Folders = []string{"feedparser", "gofeed", "w3c-feedvalidator", "rsparser", "fastfeedparser", "adversarial"}

// Doc is one feed document of the corpus, as served.
type Doc struct {
	Folder, Rel string // top folder; path below the corpus root
	Body        []byte
	ContentType string // what a sensible server would send
}

// Docs returns every feed document of the corpus at root. Expected-result
// files (gofeed's and fastfeedparser's JSON beside each XML) are left out;
// the adversarial documents, which are not feeds, are wrapped in one.
func Docs(tb testing.TB, root string) []Doc {
	tb.Helper()
	var docs []Doc
	for _, folder := range Folders {
		dir := filepath.Join(root, folder)
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if expectedResult(p) {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			if folder == "adversarial" {
				b = wrapAdversarial(b)
			}
			docs = append(docs, Doc{Folder: folder, Rel: filepath.ToSlash(rel), Body: b, ContentType: contentType(folder, p, b)})
			return nil
		})
		if err != nil {
			tb.Fatalf("read corpus: %v", err)
		}
	}
	if len(docs) < 4400 {
		tb.Fatalf("found %d corpus documents under %s, want the whole corpus", len(docs), root)
	}
	return docs
}

// expectedResult reports whether p is another parser's expected output for
// a feed document rather than a document.
func expectedResult(p string) bool {
	if filepath.Ext(p) != ".json" {
		return false
	}
	stem := strings.TrimSuffix(p, ".json")
	if strings.HasSuffix(stem, "_expected") || strings.HasSuffix(stem, ".expected") {
		return true
	}
	_, err := os.Stat(stem + ".xml")
	return err == nil
}

// contentType is what a sensible server would send for the file: the
// Content-Type a feedparser test simulates in its "Header:" line, else one
// by extension or, without one, by the first byte.
func contentType(folder, p string, b []byte) string {
	if folder == "feedparser" {
		if ct := Header(b); ct != "" {
			return ct
		}
	}
	switch filepath.Ext(p) {
	case ".json":
		return "application/feed+json"
	case ".rss", ".txt":
		return "application/rss+xml"
	case ".atom":
		return "application/atom+xml"
	case ".rdf":
		return "application/rdf+xml"
	case ".xml":
		return "application/xml"
	}
	if t := bytes.TrimLeft(b, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		return "application/feed+json"
	}
	return "application/xml"
}

// wrapAdversarial puts a hostile document into an RSS item: an XML bomb
// keeps its prolog (the DTD) and its root goes into the description; other
// bytes (the UTF-8 stress test) go into CDATA.
func wrapAdversarial(b []byte) []byte {
	const open = `<rss version="2.0"><channel><title>adversarial</title><link>https://bao.example/</link><description>d</description><item><title>adversarial document</title><link>https://bao.example/a</link><description>`
	const close = `</description></item></channel></rss>`
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("<")) {
		return slices.Concat([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+open+`<![CDATA[`), b, []byte(`]]>`+close))
	}
	// The root starts at the first '<' that opens neither a declaration,
	// a processing instruction nor a comment.
	i := 0
	for {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return slices.Concat([]byte(open), b, []byte(close))
		}
		i += j
		if i+1 < len(b) && b[i+1] != '!' && b[i+1] != '?' {
			break
		}
		if bytes.HasPrefix(b[i:], []byte("<!DOCTYPE")) {
			// Skip the internal subset, which holds '<' of its own.
			if end := bytes.Index(b[i:], []byte("]>")); end >= 0 && bytes.Contains(b[i:i+end], []byte("[")) {
				i += end + 2
				continue
			}
		}
		i++
	}
	return slices.Concat(b[:i], []byte(open), b[i:], []byte(close))
}

// Header returns the Content-Type that a feedparser test file simulates in
// its "Header:" line, or "".
func Header(raw []byte) string {
	s := strings.ReplaceAll(string(raw), "\x00", "") // the UTF-16 and UTF-32 files
	for line := range strings.Lines(s) {
		h, ok := strings.CutPrefix(strings.TrimSpace(line), "Header:")
		if !ok {
			continue
		}
		h = strings.TrimSpace(h)
		if len(h) > len("content-type:") && strings.EqualFold(h[:len("content-type:")], "content-type:") {
			return strings.TrimSpace(h[len("content-type:"):])
		}
	}
	return ""
}
