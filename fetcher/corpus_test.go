package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/fetcher/internal/corpustest"
	"github.com/pressfeed/pressfeed/plaintext"
	"github.com/pressfeed/pressfeed/store"
)

// corpusDir is the shared, read-only test corpus; it sits beside the
// repository, in CI too.
const corpusDir = "../../shared/corpus"

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
	docs := corpustest.Docs(t, corpusDir)
	byPath := make(map[string]*corpustest.Doc, len(docs))
	for i := range docs {
		byPath["/"+docs[i].Rel] = &docs[i]
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := byPath[r.URL.Path]
		if d == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", d.ContentType)
		w.Write(d.Body)
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
				res, err := fetch(context.Background(), &opts, Feed{Name: d.Rel, URL: ts.URL + "/" + path.Clean(d.Rel)}, store.FeedState{})
				took := time.Since(start)
				_, gerr := gofeed.NewParser().Parse(bytes.NewReader(d.Body))
				outcomes[i] = outcome{ours: err == nil, theirs: gerr == nil, took: took, err: err}
				if err == nil {
					checkIncoming(t, d.Rel, res, now)
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
		c := counts[d.Folder]
		if c == nil {
			c = &corpusCount{}
			counts[d.Folder] = c
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
				c.gained = append(c.gained, d.Rel)
			}
			if o.theirs && !o.ours {
				c.lost = append(c.lost, d.Rel+": "+o.err.Error())
			}
		}
		if o.took > slowest {
			slowest, slowestDoc = o.took, d.Rel
		}
	}

	var table strings.Builder
	fmt.Fprintf(&table, "| folder | documents | pressfeed ingests | plain gofeed parses | pressfeed only | gofeed only |\n|---|---:|---:|---:|---:|---:|\n")
	for _, folder := range corpustest.Folders {
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

	for _, folder := range corpustest.Folders {
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
				t.Logf("not ingested: %s: %v", docs[i].Rel, o.err)
			}
		}
	}
}

// checkIncoming checks what the fetch path hands on: text valid UTF-8, NFC
// and valid XML characters, titles within their cap, links absolute
// http(s), dates not in the future.
func checkIncoming(t *testing.T, name string, res result, now time.Time) {
	t.Helper()
	check := func(field, s string) {
		if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
			t.Errorf("%s: %s %+q is not UTF-8 NFC", name, field, s)
			return
		}
		for _, r := range s {
			if !plaintext.IsXMLChar(r) {
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
	docs := corpustest.Docs(b, corpusDir)
	slices.SortFunc(docs, func(x, y corpustest.Doc) int { return len(y.Body) - len(x.Body) })
	opts := testOptions()
	opts.setDefaults()
	for _, d := range docs[:6] {
		b.Run(path.Base(d.Rel), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", d.ContentType)
				w.Write(d.Body)
			}))
			defer srv.Close()
			b.SetBytes(int64(len(d.Body)))
			b.ReportAllocs()
			failed := 0
			for b.Loop() {
				// Documents that fail (rose.json: a JSON type error) cost
				// their parse all the same.
				if _, err := fetch(context.Background(), &opts, Feed{Name: d.Rel, URL: srv.URL}, store.FeedState{}); err != nil {
					failed++
				}
			}
			b.ReportMetric(float64(failed)/float64(b.N), "failed/op")
		})
	}
}
