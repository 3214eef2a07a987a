package publisher_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/plaintext"
	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// plainField is one plain-text field of a document, as a reader reads it
// once the format's own escaping (XML, JSON) is undone.
type plainField struct{ name, text string }

// plainFields decodes a document of the format ext (".rss", ".atom",
// ".json", ".opml") and returns its plain-text fields: feed title and
// description, item titles, summaries (Atom, JSON Feed), author names,
// categories and source names. It fails on a document that does not parse.
func plainFields(t testing.TB, ext string, body []byte) []plainField {
	t.Helper()
	var out []plainField
	addAll := func(name string, ss ...string) {
		for _, s := range ss {
			out = append(out, plainField{name, s})
		}
	}
	switch ext {
	case ".rss":
		var doc struct {
			Channel struct {
				Title       string `xml:"title"`
				Description string `xml:"description"`
				Items       []struct {
					Title      string   `xml:"title"`
					Creator    string   `xml:"http://purl.org/dc/elements/1.1/ creator"`
					Author     string   `xml:"author"`
					Categories []string `xml:"category"`
					Source     string   `xml:"source"`
				} `xml:"item"`
			} `xml:"channel"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("rss: %v\n%s", err, body)
		}
		addAll("channel title", doc.Channel.Title)
		addAll("channel description", doc.Channel.Description)
		for _, it := range doc.Channel.Items {
			addAll("title", it.Title)
			addAll("dc:creator", it.Creator)
			addAll("author", it.Author)
			addAll("category", it.Categories...)
			addAll("source", it.Source)
		}
	case ".atom":
		var doc struct {
			Title    string `xml:"title"`
			Subtitle string `xml:"subtitle"`
			Entries  []struct {
				Title   string `xml:"title"`
				Summary struct {
					Type string `xml:"type,attr"`
					Text string `xml:",chardata"`
				} `xml:"summary"`
				Authors []string `xml:"author>name"`
				Terms   []struct {
					Term  string `xml:"term,attr"`
					Label string `xml:"label,attr"`
				} `xml:"category"`
				Source struct {
					Title string `xml:"title"`
				} `xml:"source"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("atom: %v\n%s", err, body)
		}
		addAll("feed title", doc.Title)
		addAll("subtitle", doc.Subtitle)
		for _, e := range doc.Entries {
			addAll("title", e.Title)
			if e.Summary.Type != "" && e.Summary.Type != "text" {
				t.Errorf("atom summary type %q, want text", e.Summary.Type)
			}
			addAll("summary", e.Summary.Text)
			addAll("author", e.Authors...)
			for _, c := range e.Terms {
				addAll("category", c.Term, c.Label)
			}
			addAll("source", e.Source.Title)
		}
	case ".json":
		var doc struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			Authors     []struct {
				Name string `json:"name"`
			} `json:"authors"`
			Items []struct {
				Title   string `json:"title"`
				Summary string `json:"summary"`
				Authors []struct {
					Name string `json:"name"`
				} `json:"authors"`
				Tags []string `json:"tags"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("json: %v\n%s", err, body)
		}
		addAll("feed title", doc.Title)
		addAll("description", doc.Description)
		for _, a := range doc.Authors {
			addAll("feed author", a.Name)
		}
		for _, it := range doc.Items {
			addAll("title", it.Title)
			addAll("summary", it.Summary)
			for _, a := range it.Authors {
				addAll("author", a.Name)
			}
			addAll("tag", it.Tags...)
		}
	case ".opml":
		var doc struct {
			Title    string `xml:"head>title"`
			Outlines []struct {
				Text     string `xml:"text,attr"`
				Title    string `xml:"title,attr"`
				Category string `xml:"category,attr"`
			} `xml:"body>outline"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("opml: %v\n%s", err, body)
		}
		addAll("opml title", doc.Title)
		for _, o := range doc.Outlines {
			addAll("outline text", o.Text)
			addAll("outline title", o.Title)
			addAll("outline category", o.Category)
		}
	default:
		t.Fatalf("unknown format %q", ext)
	}
	return out
}

// opensMarkup returns the offset of the first '<' in s followed by a
// letter, '/' or '!', which a reader rendering the field as HTML reads as
// a tag, an end tag or a comment; -1 when there is none.
func opensMarkup(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '<' || i+1 == len(s) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(s[i+1:]); unicode.IsLetter(r) || r == '/' || r == '!' {
			return i
		}
	}
	return -1
}

// checkNoMarkup fails on a plain field of body that holds markup.
func checkNoMarkup(t testing.TB, ext string, body []byte) []plainField {
	t.Helper()
	fields := plainFields(t, ext, body)
	for _, f := range fields {
		if i := opensMarkup(f.text); i >= 0 {
			t.Errorf("%s %s %q holds markup at %d", ext, f.name, f.text, i)
		}
	}
	return fields
}

// hostileTitle is a title escaped twice at the source: in RSS,
// <title>&amp;lt;img src=x onerror=alert(1)&amp;gt;</title>. It is the text
// defusedTitle, which a reader rendering titles as HTML shows as
// "<img src=x onerror=alert(1)>", and never an element.
const (
	hostileTitle = "&lt;img src=x onerror=alert(1)&gt;" // once the XML is decoded
	defusedTitle = "&lt;img src=x onerror=alert(1)&gt;"
)

// escapeXML escapes s once for XML character data.
func escapeXML(t testing.TB, s string) string {
	t.Helper()
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func jsonString(t testing.TB, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sourceDocs returns one document per source format, each with the feed
// title, item title, author and summary given (the text each field holds
// once the format's own escaping is undone), and what each field is
// expected to read in pressfeed's outputs.
func sourceDocs(t testing.TB, feedTitle, title, author, summary string, guid int) map[string]string {
	t.Helper()
	x := func(s string) string { return escapeXML(t, s) }
	j := func(s string) string { return jsonString(t, s) }
	id := strconv.Itoa(guid)
	return map[string]string{
		"rss": `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>` +
			`<title>` + x(feedTitle) + `</title><link>https://bao.example/</link><description>d</description>` +
			`<item><title>` + x(title) + `</title><guid isPermaLink="false">rss-` + id + `</guid>` +
			`<dc:creator>` + x(author) + `</dc:creator><description>` + x(summary) + `</description></item></channel></rss>`,
		"atom-html": `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">` +
			`<title type="html">` + x(feedTitle) + `</title><id>urn:a</id><updated>2026-11-27T08:00:00Z</updated>` +
			`<entry><title type="html">` + x(title) + `</title><id>urn:a:` + id + `</id><updated>2026-11-27T08:00:00Z</updated>` +
			`<author><name>` + x(author) + `</name></author><summary type="html">` + x(summary) + `</summary></entry></feed>`,
		"atom-text": `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">` +
			`<title type="text">` + x(feedTitle) + `</title><id>urn:t</id><updated>2026-11-27T08:00:00Z</updated>` +
			`<entry><title type="text">` + x(title) + `</title><id>urn:t:` + id + `</id><updated>2026-11-27T08:00:00Z</updated>` +
			`<author><name>` + x(author) + `</name></author><summary type="text">` + x(summary) + `</summary></entry></feed>`,
		"json": `{"version":"https://jsonfeed.org/version/1.1","title":` + j(feedTitle) + `,"items":[{"id":"json-` + id +
			`","title":` + j(title) + `,"authors":[{"name":` + j(author) + `}],"summary":` + j(summary) +
			`,"content_text":"Nội dung.","date_published":"2026-11-27T08:00:00Z"}]}`,
	}
}

// TestPlainFieldsEscapedTwice: a title, feed title and author escaped twice
// at the source, in RSS, Atom (type="html" and type="text") and JSON Feed
// (escaped once there: JSON has no XML layer), come out of every output
// format and the OPML as the text the source meant, "&lt;img …&gt;",
// never as an element; an HTML summary holding escaped markup likewise.
func TestPlainFieldsEscapedTwice(t *testing.T) {
	names := []string{"rss", "atom-html", "atom-text", "json"}
	docs := make(map[string]string)
	for i, n := range names {
		// HTML with escaped markup; in JSON Feed, whose summary is plain
		// text, the text escaped once.
		summary := "<p>Tóm tắt " + escapeXML(t, "<script>alert(1)</script>") + "</p>"
		if n == "json" {
			summary = "Tóm tắt " + escapeXML(t, "<script>alert(1)</script>")
		}
		docs[n] = sourceDocs(t, "Báo "+n+" "+hostileTitle, "Tin "+n+" "+hostileTitle, "Tác giả "+hostileTitle, summary, i)[n]
	}
	// JSON Feed fields are plain text: markup written there as it is is
	// text too, and is defused.
	docs["json-raw"] = sourceDocs(t, "Báo json-raw <img src=x onerror=alert(1)>", "Tin json-raw <img src=x onerror=alert(1)>",
		"Tác giả <img src=x onerror=alert(1)>", "Tóm tắt <script>alert(1)</script>", 9)["json"]
	names = append(names, "json-raw")

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := docs[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, d)
	}))
	defer srv.Close()

	db, err := store.Open(filepath.Join(t.TempDir(), "pressfeed.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ff []fetcher.Feed
	var pf []publisher.Feed
	for _, n := range names {
		ff = append(ff, fetcher.Feed{Name: n, URL: srv.URL + "/" + n})
		pf = append(pf, publisher.Feed{Name: n, URL: srv.URL + "/" + n})
	}
	p := fetcher.NewPoller(db, fetcher.Options{Feeds: ff, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err := p.Once(context.Background(), nil, func(r fetcher.Report) {
		if r.Err != nil || r.Result.Added != 1 {
			t.Errorf("fetch %s: %d added, %v; want 1", r.Feed, r.Result.Added, r.Err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	h, err := publisher.NewHandler(db, publisher.Options{Feeds: pf})
	if err != nil {
		t.Fatal(err)
	}

	wantTitles, wantFeeds := []string{}, []string{}
	for _, n := range names {
		wantTitles = append(wantTitles, "Tin "+n+" "+defusedTitle)
		wantFeeds = append(wantFeeds, "Báo "+n+" "+defusedTitle)
	}
	wantSummary := "Tóm tắt &lt;script&gt;alert(1)&lt;/script&gt;"
	for _, ext := range []string{".rss", ".atom", ".json", ".opml"} {
		t.Run(ext, func(t *testing.T) {
			path, h := "/feeds/all"+ext, h
			if ext == ".opml" {
				// The OPML names feeds by their configured titles, as
				// export-opml does: configure the sources' own.
				titled := slices.Clone(pf)
				for i := range titled {
					titled[i].Title = "Báo " + titled[i].Name + " " + hostileTitle
				}
				var err error
				if h, err = publisher.NewHandler(db, publisher.Options{Feeds: titled}); err != nil {
					t.Fatal(err)
				}
				path = "/opml"
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			got := make(map[string][]string)
			for _, f := range checkNoMarkup(t, ext, w.Body.Bytes()) {
				got[f.name] = append(got[f.name], f.text)
			}
			want := map[string][]string{}
			also := map[string][]string{} // allowed beside want, not required
			switch ext {
			case ".rss":
				want = map[string][]string{"title": wantTitles, "source": wantFeeds, "category": wantFeeds, "dc:creator": {"Tác giả " + defusedTitle}}
			case ".atom":
				want = map[string][]string{"title": wantTitles, "source": wantFeeds, "category": wantFeeds, "author": {"Tác giả " + defusedTitle}, "summary": {wantSummary}}
				also["author"] = wantFeeds // an entry without a byline names the outlet that leads it
			case ".json":
				want = map[string][]string{"title": wantTitles, "tag": wantFeeds, "author": {"Tác giả " + defusedTitle}, "summary": {wantSummary}}
			case ".opml":
				want = map[string][]string{"outline text": wantFeeds, "outline title": wantFeeds}
			}
			for field, ws := range want {
				for _, w := range ws {
					if !slices.Contains(got[field], w) {
						t.Errorf("no %s %q among %q", field, w, got[field])
					}
				}
				for _, g := range got[field] {
					if g != "" && !slices.Contains(ws, g) && !slices.Contains(also[field], g) {
						t.Errorf("%s %q, want one of %q", field, g, ws)
					}
				}
			}
		})
	}
}

// TestSummaryRawText: the text of textarea, xmp and plaintext, which HTML
// does not parse as markup, and escaped markup in an item's HTML reach the
// plain summary as text that holds no markup; the item's HTML shows them as
// text too.
func TestSummaryRawText(t *testing.T) {
	tests := []struct{ name, html, summary string }{
		{"textarea", `<p>Mã nhúng:</p><textarea><img src=x onerror=alert(1)></textarea>`,
			"Mã nhúng: &lt;img src=x onerror=alert(1)&gt;"},
		{"xmp", `<p>Ví dụ</p><xmp><script>alert(1)</script></xmp>`,
			"Ví dụ &lt;script&gt;alert(1)&lt;/script&gt;"},
		{"plaintext", `<p>Cuối</p><plaintext><svg onload=alert(1)><b>đậm`,
			"Cuối &lt;svg onload=alert(1)&gt;&lt;b&gt;đậm"},
		{"escaped markup", `<p>Thẻ &lt;iframe src=//x&gt; bị chặn &lt;!-- x --&gt;</p>`,
			"Thẻ &lt;iframe src=//x&gt; bị chặn &lt;!-- x --&gt;"},
	}
	docs := make(map[string]string)
	for i, tt := range tests {
		docs[tt.name] = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Báo</title><link>https://bao.example/</link><description>d</description>` +
			`<item><title>Bài số ` + strconv.Itoa(i) + ` về ` + tt.name + `</title><guid isPermaLink="false">g` + strconv.Itoa(i) + `</guid><description>` +
			escapeXML(t, tt.html) + `</description></item></channel></rss>`
	}
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "pressfeed.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ff []fetcher.Feed
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name+".xml")
		if err := os.WriteFile(path, []byte(docs[tt.name]), 0o644); err != nil {
			t.Fatal(err)
		}
		ff = append(ff, fetcher.Feed{Name: tt.name, URL: "file://" + path})
	}
	p := fetcher.NewPoller(db, fetcher.Options{Feeds: ff})
	if err := p.Once(context.Background(), nil, func(r fetcher.Report) {
		if r.Err != nil || r.Result.Added != 1 {
			t.Errorf("fetch %s: %d added, %v; want 1", r.Feed, r.Result.Added, r.Err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	h, err := publisher.NewHandler(db, publisher.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".atom", ".json"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/feeds/all"+ext, nil))
		var summaries []string
		for _, f := range checkNoMarkup(t, ext, w.Body.Bytes()) {
			if f.name == "summary" {
				summaries = append(summaries, f.text)
			}
		}
		for _, tt := range tests {
			if !slices.Contains(summaries, tt.summary) {
				t.Errorf("%s %s: no summary %q among %q", ext, tt.name, tt.summary, summaries)
			}
		}
	}
}

// FuzzPlainFields: whatever text a source or the store holds, no plain field
// of any output, decoded once as its format says, holds markup. Each run
// makes items of the fuzzed text as ingest does (plaintext.From, read as
// HTML and as plain text, the kinds of RSS, Atom and JSON Feed fields) and
// as an older version may have stored it (as it is); the text is also the
// stored title of one feed, the configured title of another, and the
// output's title and description. It renders RSS, Atom and JSON Feed and
// the OPML and reads each back. (FuzzPlainIngest in package fetcher runs
// the same text through the parsers and normalisation.)
func FuzzPlainFields(f *testing.F) {
	seeds := []string{
		"&amp;lt;img src=x onerror=alert(1)&amp;gt;", hostileTitle, "&lt;b&gt;Hi&lt;/b&gt;", "a <b", "<b>Hi</b>",
		"&amp;amp;lt;script&amp;amp;gt;", "<textarea><img src=x onerror=alert(1)></textarea>", "<xmp><svg onload=alert(1)></xmp>",
		"<plaintext><b>", "&#60;img src=x&#62;", "&LT;svg/onload=alert(1)&GT;", "<ệ>", "<!-- x -->", "</title><script>",
		"Tuổi Trẻ – Thời sự & <Chính trị>", "giá <10 triệu>", "a\u0000<\u0338b <\xffc",
	}
	for _, v := range xssVectors {
		seeds = append(seeds, v.html)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	db, err := store.Open(filepath.Join(f.TempDir(), "pressfeed.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	published := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4<<10 {
			return
		}
		h, err := publisher.NewHandler(db, publisher.Options{
			Feeds: []publisher.Feed{
				{Name: "nguon", URL: "https://bao.example/rss"},
				{Name: "cau-hinh", Title: s, URL: "https://cau-hinh.example/rss", Tags: []string{"tong-hop"}},
			},
			Outputs: []publisher.Output{{Name: "all", Title: s, Description: s}},
		})
		if err != nil {
			t.Fatal(err)
		}
		members := []store.Member{{Feed: "nguon"}, {Feed: "cau-hinh"}, {Feed: "khong-cau-hinh"}}
		var items []store.Item
		for i, text := range []string{plaintext.From(s, plaintext.HTML), plaintext.From(s, plaintext.Text), s} {
			items = append(items, store.Item{
				ID: "urn:pressfeed:item:" + strconv.Itoa(i), Title: text, Summary: text, Author: text,
				Content: "<p>x</p>", Published: published, Members: members,
			})
		}
		states := map[string]store.FeedState{"nguon": {Title: s}, "khong-cau-hinh": {Title: s}}
		for _, ext := range []string{".rss", ".atom", ".json"} {
			body, err := h.RenderItems("all", ext, items, states)
			if err != nil {
				t.Fatal(err)
			}
			checkNoMarkup(t, ext, body)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/opml", nil))
		if w.Code != http.StatusOK {
			t.Fatalf("opml: %d %s", w.Code, w.Body)
		}
		checkNoMarkup(t, ".opml", w.Body.Bytes())
	})
}
