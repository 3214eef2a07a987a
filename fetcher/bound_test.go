package fetcher

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/pressfeed/pressfeed/fetcher/decode"
)

// Hostile documents: the shapes that crashed the daemon or swelled its
// memory, n elements, items or levels each (millions in the wild, a few
// thousand in tests and fuzz seeds).

func deepExtensionDoc(n int) string {
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item xmlns:a="urn:a"><title>x</title><a:b>` +
		strings.Repeat("<c>", n) + `</a:b></item></channel></rss>`
}

func deepTitleDoc(n int) string {
	return `<rss version="2.0"><channel><title>` + strings.Repeat("<a>", n) + `</title></channel></rss>`
}

func manyItemsDoc(n int) string {
	return `<rss version="2.0"><channel><title>t</title>` + strings.Repeat("<item/>", n) + `</channel></rss>`
}

func manyEntriesDoc(n int) string {
	return `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>` + strings.Repeat("<entry/>", n) + `</feed>`
}

func manyJSONItemsDoc(n int) string {
	return `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[` + strings.Repeat("{},", n-1) + `{}]}`
}

func wideItemDoc(n int) string {
	return `<rss version="2.0"><channel><title>t</title><item xmlns:a="urn:a"><title>x</title>` +
		strings.Repeat("<a:b/>", n) + `</item></channel></rss>`
}

func manyAttrsDoc(n int) string {
	return `<rss version="2.0"><channel><title>t</title><item` + strings.Repeat(" a", n) + `><title>x</title></item></channel></rss>`
}

func nested(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

func TestCheckShape(t *testing.T) {
	items := func(n int, item string) string {
		return `<rss version="2.0"><channel>` + strings.Repeat(item, n) + `</channel></rss>`
	}
	sloppy := `<item><title>x</title><description><p>a<br>b<br>c<img src=x><hr></p></description></item>`
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"plain feed", rssDoc("Tin một", "Tin hai"), nil},
		{"deep extension", deepExtensionDoc(maxDocDepth), ErrTooDeep},
		{"deep title", deepTitleDoc(maxDocDepth), ErrTooDeep},
		{"nested to the bound", nested("<a>", "</a>", maxDocDepth), nil},
		{"nested past the bound", nested("<a>", "</a>", maxDocDepth+1), ErrTooDeep},
		{"prefixed, past the bound", nested("<x:a>", "</x:a>", maxDocDepth+1), ErrTooDeep},
		{"self-closing elements do not nest", `<rss>` + strings.Repeat("<a/>", 3*maxDocDepth) + `</rss>`, nil},
		// encoding/xml, not strict, closes every element above the one an
		// end tag names: sloppy HTML does not add up.
		{"unclosed HTML in items", items(200, sloppy), nil},
		{"end tag naming no open element", `<rss>` + strings.Repeat("<a></b>", 3*maxDocDepth) + `</rss>`, nil},
		{"markup in comments", `<rss><!--` + strings.Repeat("<a>", 1000) + `--></rss>`, nil},
		{"markup in CDATA", `<rss><description><![CDATA[` + strings.Repeat("<a>", 1000) + `]]></description></rss>`, nil},
		{"markup in a processing instruction", `<?pi ` + strings.Repeat("<a>", 1000) + `?><rss/>`, nil},
		{"markup in the DTD", `<!DOCTYPE rss [<!ELEMENT rss ANY><!ATTLIST a b CDATA "<a>>">` +
			`<!-- > <a> -->` + strings.Repeat("<!ENTITY e 'x'>", 300) + `]><rss>` + strings.Repeat("<a/>", 10) + `</rss>`, nil},
		{"'>' in quoted attribute values", `<rss>` + strings.Repeat(`<a b="x>y" c='>'/>`, 300) + `</rss>`, nil},
		{"elements after the DTD count", `<!DOCTYPE rss [<!ENTITY e "x">]>` + nested("<a>", "</a>", maxDocDepth+1), ErrTooDeep},
		{"items at the cap", items(maxItems, "<item/>"), nil},
		{"items past the cap", items(maxItems+1, "<item/>"), ErrTooManyItems},
		{"prefixed items past the cap", items(maxItems+1, "<rss:item/>"), ErrTooManyItems},
		{"upper-case items past the cap", items(maxItems+1, "<ITEM></ITEM>"), ErrTooManyItems},
		{"entries past the cap", manyEntriesDoc(maxItems + 1), ErrTooManyItems},
		{"RSS 1.0 items past the cap", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">` +
			strings.Repeat(`<item rdf:about="x"><title>t</title></item>`, maxItems+1) + `</rdf:RDF>`, ErrTooManyItems},
		{"wide item", wideItemDoc(maxDocNodes), ErrTooManyNodes},
		{"attributes", manyAttrsDoc(maxDocNodes), ErrTooManyNodes},
		{"quoted attributes", `<rss><item` + strings.Repeat(` a="&gt;"`, maxDocNodes) + `/></rss>`, ErrTooManyNodes},
		{"elements at the bound", `<r>` + strings.Repeat("<a/>", maxDocNodes-1) + `</r>`, nil},

		{"JSON feed", `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","tags":["a","b"]}]}`, nil},
		{"JSON items at the cap", manyJSONItemsDoc(maxItems), nil},
		{"JSON items past the cap", manyJSONItemsDoc(maxItems + 1), ErrTooManyItems},
		{"JSON items, key in capitals", strings.Replace(manyJSONItemsDoc(maxItems+1), `"items"`, `"ITEMS"`, 1), ErrTooManyItems},
		{"JSON items, key escaped", strings.Replace(manyJSONItemsDoc(maxItems+1), `"items"`, `"\u0069tems"`, 1), ErrTooManyItems},
		{"JSON arrays elsewhere are not items", `{"x":[` + strings.Repeat("1,", maxItems+1) + `1],"items":[]}`, nil},
		{"JSON nested items are not items", `{"items":[{"items":[` + strings.Repeat("{},", maxItems+1) + `{}]}]}`, nil},
		{"JSON nested to the bound", nested("[", "]", maxDocDepth), nil},
		{"JSON nested past the bound", `{"a":` + nested("[", "]", maxDocDepth) + `}`, ErrTooDeep},
		{"JSON brackets in strings", `{"title":"` + strings.Repeat(`[{\"`, 1000) + `","items":[]}`, nil},
		{"JSON values past the bound", `{"items":[{"tags":[` + strings.Repeat(`"",`, maxDocNodes) + `""]}]}`, ErrTooManyNodes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkShape([]byte(tt.doc))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("checkShape = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestCheckShapeClasses checks that each refusal has its class, and that
// parseDocument refuses before gofeed sees the document.
func TestCheckShapeClasses(t *testing.T) {
	for _, tt := range []struct{ doc, class string }{
		{deepExtensionDoc(2000), "too_deep"},
		{manyItemsDoc(maxItems + 1), "too_many_items"},
		{wideItemDoc(maxDocNodes + 1), "too_many_elements"},
	} {
		_, _, err := parseDocument([]byte(tt.doc))
		if got := classify(fmt.Errorf("fetch x: %w", err)); got != tt.class {
			t.Errorf("classify(%v) = %q, want %q", err, got, tt.class)
		}
	}
}

// xmlShape is what encoding/xml, as gofeed runs it, makes of b: the
// deepest nesting, the elements and attributes, the items, up to where it
// stops (an error or the end), and whether it read to the end.
func xmlShape(b []byte) (depth, nodes, items int, whole bool) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.CharsetReader = charset.NewReaderLabel
	open := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return depth, nodes, items, err == io.EOF
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open++
			depth = max(depth, open)
			nodes += 1 + len(t.Attr)
			if strings.EqualFold(t.Name.Local, "item") || strings.EqualFold(t.Name.Local, "entry") {
				items++
			}
		case xml.EndElement:
			open--
		}
		if depth > maxDocDepth || nodes > maxDocNodes || items > maxItems {
			return depth, nodes, items, false
		}
	}
}

// jsonShape is what encoding/json makes of a valid JSON document: its
// deepest nesting, its values, the elements of the root's "items".
func jsonShape(b []byte) (depth, nodes, items int) {
	d := json.NewDecoder(bytes.NewReader(b))
	open := 0
	var inObject []bool
	key := false
	lastKey := ""
	itemsAt := -1 // the depth of the root's items array while open
	for {
		tok, err := d.Token()
		if err != nil {
			return depth, nodes, items
		}
		if s, ok := tok.(string); ok && key {
			lastKey, key = s, false
			continue
		}
		if dl, ok := tok.(json.Delim); ok && (dl == '}' || dl == ']') {
			if open == itemsAt {
				itemsAt = -1
			}
			open--
			inObject = inObject[:len(inObject)-1]
			key = open > 0 && inObject[open-1]
			continue
		}
		nodes++
		if itemsAt >= 0 && open == itemsAt {
			items++
		}
		if dl, ok := tok.(json.Delim); ok {
			open++
			depth = max(depth, open)
			inObject = append(inObject, dl == '{')
			if dl == '[' && open == 2 && strings.EqualFold(lastKey, "items") && inObject[0] {
				itemsAt = open
			}
			key = dl == '{'
			lastKey = ""
			continue
		}
		key = open > 0 && inObject[open-1]
	}
}

// FuzzCheckShape checks checkShape against the parsers gofeed runs: any
// document that takes encoding/xml (not strict) or encoding/json past a
// bound before it stops is refused; one that they read whole within the
// bounds is not.
func FuzzCheckShape(f *testing.F) {
	for _, s := range []string{
		rssDoc("Tin một", "Tin hai"), deepExtensionDoc(maxDocDepth), deepTitleDoc(maxDocDepth - 3),
		manyItemsDoc(maxItems + 1), manyEntriesDoc(maxItems), manyJSONItemsDoc(maxItems + 1),
		nested("<a>", "</a>", maxDocDepth+1), nested("[", "]", maxDocDepth+1), `{"a":` + nested("[", "]", maxDocDepth) + `}`,
		`<rss><item><description><p>a<br>b<img src=x></p></description></item></rss>`,
		`<!DOCTYPE rss [<!ENTITY e "x"><!-- <a> -->]><rss><a b="x>y" c=d e/></rss>`,
		`<?xml version="1.0"?><rss><!-- <a> --><![CDATA[<a>]]><?pi <a>?><x:a></x:a></rss>`,
		`{"ITEMS":[{},{}],"x":{"items":[1,2]},"title":"[{\"\\"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		err := checkShape(b)
		if err != nil && !errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrTooManyItems) && !errors.Is(err, ErrTooManyNodes) {
			t.Fatalf("checkShape: %v", err)
		}
		var depth, nodes, items int
		whole := true
		if decode.IsJSON(b) {
			if !json.Valid(b) {
				return // gofeed validates a JSON document before decoding any of it
			}
			depth, nodes, items = jsonShape(b)
			if bytes.IndexByte(b, '\\') >= 0 {
				whole = false // escaped keys may be taken for "items"
			}
		} else {
			depth, nodes, items, whole = xmlShape(b)
		}
		over := depth > maxDocDepth || nodes > maxDocNodes || items > maxItems
		if over && err == nil {
			t.Fatalf("depth %d, %d nodes, %d items, but checkShape let it through", depth, nodes, items)
		}
		if whole && !over && err != nil {
			t.Fatalf("depth %d, %d nodes, %d items, read whole, but checkShape: %v", depth, nodes, items, err)
		}
	})
}

// BenchmarkCheckShape runs the pre-pass over the document of
// BenchmarkParseDocument: compare the two.
func BenchmarkCheckShape(b *testing.B) {
	doc := benchDocument(b, 50)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkShape(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// fillTo repeats unit between head and tail, as often as fits in size bytes.
func fillTo(size int, head, unit, tail string) string {
	return head + strings.Repeat(unit, (size-len(head)-len(tail))/len(unit)) + tail
}

// TestHostileDocuments fetches the documents that crashed the daemon or
// swelled its memory, each just under max_body, served gzip-encoded after
// a healthy version of the feed: each is refused with its class, the
// items stored before are kept, and less than 6× max_body is allocated
// while it is fetched (gofeed allocated from 760 MB to 1.8 GB for them).
// Reading the body allocates about 2.5× its size (io.ReadAll's chunks and
// final copy), twice that under the race detector; the check allocates
// nothing.
func TestHostileDocuments(t *testing.T) {
	const maxBody = 8 << 20
	rss := `<rss version="2.0"><channel><title>t</title>`
	tests := []struct {
		name, contentType string
		doc               func() string // built in its subtest: one at a time in memory
		class             string
	}{
		{"2,000,000-deep extension", "application/rss+xml", func() string { return deepExtensionDoc(2_000_000) }, "too_deep"},
		{"title nested 2.8 M levels", "application/rss+xml", func() string {
			return fillTo(maxBody, `<rss version="2.0"><channel><title>`, "<a>", "</title></channel></rss>")
		}, "too_deep"},
		{"JSON Feed of 2.8 M items", "application/feed+json", func() string {
			return fillTo(maxBody, `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[`, "{},", "{}]}")
		}, "too_many_items"},
		{"1.2 M items", "application/rss+xml", func() string { return fillTo(maxBody, rss, "<item/>", "</channel></rss>") }, "too_many_items"},
		{"1 M Atom entries", "application/atom+xml", func() string {
			return fillTo(maxBody, `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>`, "<entry/>", "</feed>")
		}, "too_many_items"},
		{"1 M sibling extension elements", "application/rss+xml", func() string {
			return fillTo(maxBody, rss+`<item xmlns:a="urn:a"><title>x</title>`, "<a:b/>", "</item></channel></rss>")
		}, "too_many_elements"},
		{"4 M attributes", "application/rss+xml", func() string { return fillTo(maxBody, rss+`<item`, " a", "><title>x</title></item></channel></rss>") }, "too_many_elements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.doc()
			if len(doc) > maxBody {
				t.Fatalf("document of %d bytes, over max_body", len(doc))
			}
			var zbuf bytes.Buffer
			zw := gzip.NewWriter(&zbuf)
			if _, err := io.WriteString(zw, doc); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			var hostile atomic.Bool
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !hostile.Load() {
					serveRSS("Tin thật của báo trước khi bị tấn công")(w, r)
					return
				}
				w.Header().Set("Content-Type", tt.contentType)
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(zbuf.Bytes())
			}))
			defer ts.Close()
			db := openStore(t)
			opts := testOptions(Feed{Name: "bao", URL: ts.URL})
			opts.MaxBody = maxBody
			opts.Timeout = 30 * time.Second
			p := NewPoller(db, opts)
			if r := onceReports(t, p)["bao"]; r.Err != nil || r.Result.Added != 1 {
				t.Fatalf("healthy fetch: %+v", r)
			}
			hostile.Store(true)
			var r Report
			alloc, peak := memUse(func() { r = onceReports(t, p)["bao"] })
			if r.Class != tt.class || r.Result.Added != 0 {
				t.Errorf("class %q (%v), want %q, nothing added", r.Class, r.Err, tt.class)
			}
			if n, err := db.Count(); err != nil || n != 1 {
				t.Errorf("%d items stored (%v), want the 1 stored before", n, err)
			}
			if st := p.States()["bao"]; st.ErrorClass != tt.class {
				t.Errorf("state: class %q, want %q", st.ErrorClass, tt.class)
			}
			t.Logf("%d bytes, %d gzip-encoded: %.1f MiB allocated, heap in use grew by at most %.1f MiB", len(doc), zbuf.Len(), mib(alloc), mib(peak))
			if alloc > 6*maxBody {
				t.Errorf("%.1f MiB allocated fetching it, want under %d MiB", mib(alloc), 6*maxBody>>20)
			}
		})
	}
}

// memUse runs fn and returns how much it allocated in all, and by how much
// the heap in use grew while it ran (sampled every millisecond; garbage
// counts until the collector runs).
func memUse(fn func()) (alloc, peak uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, total := ms.HeapInuse, ms.TotalAlloc
	var high atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > high.Load() {
				high.Store(ms.HeapInuse - base)
			}
			select {
			case <-stop:
				return
			case <-tk.C:
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc - total, high.Load()
}
