package sanitize

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/fetcher/decode"
	"github.com/pressfeed/pressfeed/fetcher/internal/corpustest"
)

// sanitizeInputs returns the HTML that the differential tests feed to both
// sanitising pipelines: the description and content of every item gofeed
// parses in the corpus (decoded and repaired as fetching does), then the
// OWASP vectors of publisher/xss_test.go.
func sanitizeInputs(t *testing.T) []string {
	t.Helper()
	var in []string
	for _, d := range corpustest.Docs(t, "../../../shared/corpus") {
		clean, err := decode.Body(d.Body, d.ContentType)
		if err != nil {
			continue
		}
		doc, err := parseRepaired(clean)
		if err != nil {
			continue
		}
		for _, it := range doc.Items {
			if it == nil {
				continue
			}
			for _, s := range []string{it.Description, it.Content} {
				if s != "" {
					in = append(in, s)
				}
			}
		}
	}
	if len(in) < 4000 {
		t.Fatalf("%d HTML fields in the corpus, want the whole corpus", len(in))
	}
	return append(in, xssVectors(t)...)
}

// parseRepaired parses a decoded document with gofeed, then once more
// after the repair that fetching tries when that fails.
func parseRepaired(clean []byte) (*gofeed.Feed, error) {
	doc, err := gofeed.NewParser().Parse(bytes.NewReader(clean))
	if err == nil {
		return doc, nil
	}
	fix := decode.CloseTruncated
	switch {
	case decode.IsJSON(clean):
		fix = decode.RepairJSONFeed
	case errors.Is(err, gofeed.ErrFeedTypeNotDetected):
		fix = decode.StripDoctype
	}
	if fixed, ok := fix(clean); ok {
		return gofeed.NewParser().Parse(bytes.NewReader(fixed))
	}
	return nil, err
}

// xssVectors reads the HTML of the OWASP vectors from publisher/xss_test.go,
// so that both tables stay one.
func xssVectors(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../publisher/xss_test.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs2, ok := n.(*ast.ValueSpec)
		if !ok || len(vs2.Names) != 1 || vs2.Names[0].Name != "xssVectors" || len(vs2.Values) != 1 {
			return true
		}
		for _, e := range vs2.Values[0].(*ast.CompositeLit).Elts {
			elts := e.(*ast.CompositeLit).Elts
			lit, ok := elts[len(elts)-1].(*ast.BasicLit)
			if !ok {
				t.Fatalf("xssVectors: element %T", elts[len(elts)-1])
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, s)
		}
		return false
	})
	if len(vs) < 40 {
		t.Fatalf("%d OWASP vectors in publisher/xss_test.go", len(vs))
	}
	return vs
}

// sanitizeDiff compares sanitize with referenceSanitize on in, against
// base, and returns "" or what differs. Where sanitize stopped at its
// output limit (which the previous pipeline did not have), what it wrote
// before the end tags that close it must begin what the previous pipeline
// writes, and its text must begin that text.
func sanitizeDiff(in string, base *url.URL) string {
	for _, withText := range []bool{true, false} {
		out, text, cut := sanitizeCut(in, base, withText)
		wantOut, wantText := referenceSanitize(in, base, withText)
		// The previous pipeline joined NFC runs of text without composing
		// across them ("A", then a combining acute after a tag); its text
		// is compared in NFC, which is what sanitize promises.
		wantText = norm.NFC.String(wantText)
		if cut && strings.HasPrefix(wantOut, trailingEndTags.ReplaceAllString(out, "")) &&
			strings.HasPrefix(wantText, strings.TrimRight(text, " ")) && len(out) < len(wantOut) {
			continue
		}
		if out != wantOut {
			// Where the previous pipeline's output is not its own fixed
			// point (an attribute it rewrites into a value it then
			// refuses), sanitize gives the fixed point: its output
			// sanitised once more.
			if again, _ := referenceSanitize(wantOut, base, withText); out == again && text == wantText {
				continue
			}
		}
		if out != wantOut || text != wantText {
			return "sanitize(" + strconv.Quote(in) + ", " + strconv.FormatBool(withText) + ") =\n" +
				strconv.Quote(out) + ", " + strconv.Quote(text) + "\nwant\n" +
				strconv.Quote(wantOut) + ", " + strconv.Quote(wantText)
		}
	}
	return ""
}

// trailingEndTags matches the end tags that close a cut output.
var trailingEndTags = regexp.MustCompile(`(</[a-z0-9]+>)+$`)

// TestSanitizeCut checks the output limit on markup that grows: relative
// links against a long base. The output stops near four times the input
// and 4 KiB, closed and sanitised, where the previous pipeline's is many
// times longer; markup that grows less is not cut.
func TestSanitizeCut(t *testing.T) {
	base, err := url.Parse("https://bao.example/" + strings.Repeat("p", 1900) + "/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in  string
		cut bool
	}{
		{strings.Repeat(`<a href="b">x</a>`, 470), true},
		{"<ul>" + strings.Repeat(`<li><a href="b"><img src="c">`, 300), true},
		{strings.Repeat(`<p>a &amp; b &lt; c <a href="https://bao.example/tin">tin</a></p>`, 2000), false},
	}
	for _, tt := range tests {
		out, text, cut := sanitizeCut(tt.in, base, true)
		wantOut, _ := referenceSanitize(tt.in, base, true)
		limit := min(256<<10, 4*len(tt.in)+4<<10)
		switch {
		case cut != tt.cut:
			t.Errorf("%.40q…: cut %v, want %v (output of %d bytes, previous pipeline's %d)", tt.in, cut, tt.cut, len(out), len(wantOut))
		case !cut && out != wantOut:
			t.Errorf("%.40q…: output of %d bytes, want the previous pipeline's %d", tt.in, len(out), len(wantOut))
		case cut && (len(out) < limit || len(out) > limit+8<<10 || len(wantOut) < 10*limit):
			t.Errorf("%.40q…: output of %d bytes for a limit of %d; previous pipeline's %d", tt.in, len(out), limit, len(wantOut))
		}
		if d := sanitizeDiff(tt.in, base); d != "" {
			t.Errorf("%.40q…: %.300s", tt.in, d)
		}
		if text == "" {
			t.Errorf("%.40q…: no text", tt.in)
		}
		checkSanitizedAt(t, tt.in, base)
	}
}

// TestSanitizeReference requires sanitize to give byte for byte what the
// previous pipeline (bluemonday, then the tidier) gives, output and text,
// for every HTML field of the corpus and every OWASP vector, with and
// without a base URL.
func TestSanitizeReference(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole corpus")
	}
	inputs := sanitizeInputs(t)
	var (
		mu      sync.Mutex
		differs int
		wg      sync.WaitGroup
	)
	next := make(chan string)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for in := range next {
				for _, base := range []*url.URL{testBase, nil} {
					if d := sanitizeDiff(in, base); d != "" {
						mu.Lock()
						if differs++; differs <= 10 {
							t.Error(d)
						}
						mu.Unlock()
					}
				}
			}
		})
	}
	for _, in := range inputs {
		next <- in
	}
	close(next)
	wg.Wait()
	t.Logf("%d HTML fields, %d differ", len(inputs), differs)
}

// FuzzSanitizeReference requires sanitize to give what the previous
// pipeline gives for any input, with and without a base URL; its output to
// be one that the previous pipeline keeps as it is (nothing in it that
// bluemonday and the tidier would remove or change); and FuzzSanitize's
// invariants.
func FuzzSanitizeReference(f *testing.F) {
	for _, s := range append(slices.Clip(sanitizeSeeds),
		"e\u0301\u0323 \u1100\u1161 \u0915\u093c a\u0300\u0301 \ufb2c\u05bc <img alt=\"a\u0301\">",
		`<a href="/ti%E1%BA%BFng?q=Vi%E1%BB%87t#d\u00f2ng" title="Ti\u1ebfng">x</a>`,
		"e<!-- c -->\u0301<x>\u0301</x><script>s</script>x", "<a>no href</a><img alt=x><area href=/y rel=\"a nofollow\">",
		"</iframe><iframe>hidden</iframe>still hidden", "<p><title>t</title><style>s</style><script/>after",
		`<del cite="/why" datetime="2024-01-02">x</del><q cite="http://a b/">y</q><td nowrap scope=x>z`,
		"<pre><b>\nx</b></pre><pre><!---->\ny</pre>", "<bdo>x</bdo><bdo dir=rtl>y</bdo><details open>z",
	) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, base := range []*url.URL{testBase, nil} {
			if d := sanitizeDiff(in, base); d != "" {
				t.Fatal(d)
			}
		}
		out, _ := sanitize(in, testBase, false)
		if again, _ := referenceSanitize(out, testBase, false); again != out {
			t.Fatalf("sanitize(%q) = %q, which the previous pipeline makes %q", in, out, again)
		}
		checkSanitized(t, in)
	})
}
