package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/store"
)

// corpusFolders are the folders of ../../shared/corpus that hold feed
// documents (see its SOURCES.md); the others hold licences, tables and
// schemas.
var corpusFolders = []string{"feedparser", "gofeed", "w3c-feedvalidator", "rsparser", "fastfeedparser", "adversarial"}

// corpusDoc is one feed document of the corpus, as served.
type corpusDoc struct {
	folder, rel string // top folder; path below the corpus root
	body        []byte
	contentType string
}

// corpusDocs returns every feed document of the corpus. Expected-result
// files (gofeed's and fastfeedparser's JSON beside each XML) are left out;
// the adversarial documents, which are not feeds, are wrapped in one.
func corpusDocs(tb testing.TB) []corpusDoc {
	tb.Helper()
	var docs []corpusDoc
	for _, folder := range corpusFolders {
		root := filepath.Join(decCorpus, folder)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
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
			rel, err := filepath.Rel(decCorpus, p)
			if err != nil {
				return err
			}
			if folder == "adversarial" {
				b = wrapAdversarial(b)
			}
			docs = append(docs, corpusDoc{folder: folder, rel: filepath.ToSlash(rel), body: b, contentType: corpusContentType(folder, p, b)})
			return nil
		})
		if err != nil {
			tb.Fatalf("read corpus: %v", err)
		}
	}
	if len(docs) < 4400 {
		tb.Fatalf("found %d corpus documents under %s, want the whole corpus", len(docs), decCorpus)
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

// corpusContentType is what a sensible server would send for the file: the
// Content-Type a feedparser test simulates in its "Header:" line, else one
// by extension or, without one, by the first byte.
func corpusContentType(folder, p string, b []byte) string {
	if folder == "feedparser" {
		if ct := decTestHeader(b); ct != "" {
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

// corpusCount is one row of the corpus table.
type corpusCount struct {
	docs, pressfeed, gofeed int
	gained, lost            []string
}

// TestCorpus pushes every feed document of the corpus through the real
// fetch path (HTTP, decode and repair, parse, normalise) and, beside it,
// through plain gofeed: pressfeed must ingest at least as many documents as
// gofeed in every folder and more overall, and every string it hands on
// must be valid UTF-8, NFC and valid XML.
func TestCorpus(t *testing.T) {
	docs := corpusDocs(t)
	byPath := make(map[string]*corpusDoc, len(docs))
	for i := range docs {
		byPath["/"+docs[i].rel] = &docs[i]
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := byPath[r.URL.Path]
		if d == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", d.contentType)
		w.Write(d.body)
	}))
	defer ts.Close()
	opts := testOptions()
	opts.Timeout = 30 * time.Second // the daemon's default
	opts.setDefaults()
	now := opts.Now().UTC()

	type outcome struct {
		ours, theirs bool
		took         time.Duration
		err          error
	}
	outcomes := make([]outcome, len(docs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range jobs {
				d := &docs[i]
				start := time.Now()
				res, err := fetch(context.Background(), &opts, Feed{Name: d.rel, URL: ts.URL + "/" + path.Clean(d.rel)}, store.FeedState{})
				took := time.Since(start)
				_, gerr := gofeed.NewParser().Parse(bytes.NewReader(d.body))
				outcomes[i] = outcome{ours: err == nil, theirs: gerr == nil, took: took, err: err}
				if err == nil {
					checkIncoming(t, d.rel, res, now)
				}
			}
		})
	}
	for i := range docs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	counts := map[string]*corpusCount{}
	total := &corpusCount{}
	var slowest time.Duration
	var slowestDoc string
	for i, o := range outcomes {
		d := &docs[i]
		c := counts[d.folder]
		if c == nil {
			c = &corpusCount{}
			counts[d.folder] = c
		}
		for _, c := range []*corpusCount{c, total} {
			c.docs++
			if o.ours {
				c.pressfeed++
			}
			if o.theirs {
				c.gofeed++
			}
			if o.ours && !o.theirs {
				c.gained = append(c.gained, d.rel)
			}
			if o.theirs && !o.ours {
				c.lost = append(c.lost, d.rel+": "+o.err.Error())
			}
		}
		if o.took > slowest {
			slowest, slowestDoc = o.took, d.rel
		}
	}

	var table strings.Builder
	fmt.Fprintf(&table, "| folder | documents | pressfeed ingests | plain gofeed parses | pressfeed only | gofeed only |\n|---|---:|---:|---:|---:|---:|\n")
	for _, folder := range corpusFolders {
		c := counts[folder]
		fmt.Fprintf(&table, "| %s | %d | %d | %d | %d | %d |\n", folder, c.docs, c.pressfeed, c.gofeed, len(c.gained), len(c.lost))
	}
	fmt.Fprintf(&table, "| **all** | %d | %d | %d | %d | %d |\n", total.docs, total.pressfeed, total.gofeed, len(total.gained), len(total.lost))
	fmt.Fprintf(&table, "\nslowest document through the fetch path: %s (%s)\n", slowestDoc, slowest.Round(time.Millisecond))
	t.Logf("corpus through the fetch path:\n%s", table.String())
	if p := os.Getenv("PRESSFEED_CORPUS_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(table.String()), 0o644); err != nil {
			t.Errorf("write corpus report: %v", err)
		}
	}

	for _, folder := range corpusFolders {
		c := counts[folder]
		if c.pressfeed < c.gofeed {
			t.Errorf("%s: pressfeed ingests %d documents, plain gofeed parses %d", folder, c.pressfeed, c.gofeed)
		}
	}
	if total.pressfeed <= total.gofeed {
		t.Errorf("overall: pressfeed ingests %d documents, plain gofeed parses %d; want more", total.pressfeed, total.gofeed)
	}
	for _, l := range total.lost {
		t.Logf("plain gofeed parses but pressfeed does not: %s", l)
	}
	if testing.Verbose() {
		for i, o := range outcomes {
			if !o.ours {
				t.Logf("not ingested: %s: %v", docs[i].rel, o.err)
			}
		}
	}
}

// checkIncoming checks what the fetch path hands on: text valid UTF-8, NFC
// and valid XML characters, titles within their cap, links absolute
// http(s), dates not in the future.
func checkIncoming(t *testing.T, name string, res Result, now time.Time) {
	t.Helper()
	check := func(field, s string) {
		if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
			t.Errorf("%s: %s %+q is not UTF-8 NFC", name, field, s)
			return
		}
		for _, r := range s {
			if !decTestXMLChar(r) {
				t.Errorf("%s: %s holds %U, which XML forbids", name, field, r)
				return
			}
		}
	}
	check("feed title", res.Title)
	if len(res.Items) > maxItems {
		t.Errorf("%s: %d items, want at most %d", name, len(res.Items), maxItems)
	}
	for _, in := range res.Items {
		for field, s := range map[string]string{"title": in.Title, "link": in.Link, "summary": in.Summary,
			"content": in.Content, "author": in.Author, "guid": in.GUID, "title key": in.TitleKey, "link key": in.LinkKey} {
			check(field, s)
		}
		if utf8.RuneCountInString(in.Title) > maxTitleRunes {
			t.Errorf("%s: title of %d runes", name, utf8.RuneCountInString(in.Title))
		}
		if in.Link != "" && !strings.HasPrefix(in.Link, "http://") && !strings.HasPrefix(in.Link, "https://") {
			t.Errorf("%s: link %q not absolute http(s)", name, in.Link)
		}
		if in.Published.After(now.Add(time.Hour)) {
			t.Errorf("%s: item dated %v, in the future", name, in.Published)
		}
	}
}

// BenchmarkFetchPathLargest runs the largest corpus documents through
// decode, repair, parse (with the truncation retry) and normalise: the
// worst case of a fetch's parsing time, which gofeed cannot cancel.
func BenchmarkFetchPathLargest(b *testing.B) {
	docs := corpusDocs(b)
	slices.SortFunc(docs, func(x, y corpusDoc) int { return len(y.body) - len(x.body) })
	opts := testOptions()
	opts.setDefaults()
	for _, d := range docs[:6] {
		b.Run(path.Base(d.rel), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", d.contentType)
				w.Write(d.body)
			}))
			defer srv.Close()
			b.SetBytes(int64(len(d.body)))
			b.ReportAllocs()
			failed := 0
			for b.Loop() {
				// Documents that fail (rose.json: a JSON type error) cost
				// their parse all the same.
				if _, err := fetch(context.Background(), &opts, Feed{Name: d.rel, URL: srv.URL}, store.FeedState{}); err != nil {
					failed++
				}
			}
			b.ReportMetric(float64(failed)/float64(b.N), "failed/op")
		})
	}
}
