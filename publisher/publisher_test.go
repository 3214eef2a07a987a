package publisher

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

func TestFormats(t *testing.T) {
	outputs := []Output{
		{Name: "all"},
		{Name: "two", Limit: 2},
		{Name: "thoisu", Tags: []string{"thoi-su"}},
		{Name: "kinhte", Tags: []string{"kinh-te"}},
		{Name: "vnexpress", Feeds: []string{"vnexpress"}},
		{Name: "hcm", Include: []string{"ho chi minh"}},
		{Name: "xang-exact", Include: []string{"xăng"}},
		{Name: "xang-any", Include: []string{"xang"}},
		{Name: "no-xang", Exclude: []string{"xăng"}},
		{Name: "mixed", Tags: []string{"tong-hop"}, Include: []string{"xang", "gạo"}, Exclude: []string{"RON 95"}},
		{Name: "none", Include: []string{"bóng đá"}},
	}
	h, _, ids := newFixtureHandler(t, Options{Outputs: outputs})
	tests := []struct {
		output string
		titles []string // newest first
	}{
		{"all", []string{titleXang, titleMetro, titleWorld, titleRice}},
		{"two", []string{titleXang, titleMetro}},
		{"thoisu", []string{titleXang, titleMetro}}, // tuoitre carried the metro story too
		{"kinhte", []string{titleMetro, titleRice}}, // so did sggp
		{"vnexpress", []string{titleMetro, titleWorld}},
		{"hcm", []string{titleMetro}},
		{"xang-exact", []string{titleXang}}, // "xăng" does not match "xang"
		{"xang-any", []string{titleXang, titleWorld}},
		{"no-xang", []string{titleMetro, titleWorld, titleRice}},
		{"mixed", []string{titleWorld}}, // rice is not tong-hop; "RON 95" is in the xăng summary
		{"none", nil},
	}
	for _, tt := range tests {
		var want []string
		for _, title := range tt.titles {
			want = append(want, ids[title])
		}
		for f := range numFormats {
			path := "/feeds/" + tt.output + formats[f].ext
			t.Run(path, func(t *testing.T) {
				w := get(h, http.MethodGet, path)
				if w.Code != http.StatusOK {
					t.Fatalf("status = %d, want 200; body %q", w.Code, w.Body)
				}
				if got := w.Header().Get("Content-Type"); got != formats[f].contentType {
					t.Errorf("Content-Type = %q, want %q", got, formats[f].contentType)
				}
				if got := parseIDs(t, f, w.Body.Bytes()); !slices.Equal(got, want) {
					t.Errorf("ids = %q, want %q", got, want)
				}
			})
		}
	}
}

func TestHeaders(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{})
	w := get(h, http.MethodGet, "/feeds/all.atom")
	want := map[string]string{
		"Vary":                    "Accept-Encoding",
		"Cache-Control":           "max-age=60",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox",
		"Last-Modified":           "Sun, 01 Jun 2025 02:20:00 GMT", // the correction
		"Content-Encoding":        "",
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if etag := w.Header().Get("ETag"); !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
		t.Errorf("ETag = %q, want a quoted hash", etag)
	}
}

func TestNotFound(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{})
	for _, path := range []string{"/feeds/nope.atom", "/feeds/all.xml", "/feeds/all", "/feeds/.atom", "/feeds/all.atom.gz", "/feeds/", "/nope"} {
		if w := get(h, http.MethodGet, path); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", path, w.Code)
		}
	}
	if w := get(h, http.MethodPost, "/feeds/all.atom"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status = %d, want 405", w.Code)
	}
}

func TestConditionalGET(t *testing.T) {
	h, db, _ := newFixtureHandler(t, Options{})
	first := get(h, http.MethodGet, "/feeds/all.rss")
	etag := first.Header().Get("ETag")
	lastMod := first.Header().Get("Last-Modified")
	tests := []struct {
		name   string
		header []string
		code   int
	}{
		{"same etag", []string{"If-None-Match", etag}, http.StatusNotModified},
		{"weak etag", []string{"If-None-Match", "W/" + etag}, http.StatusNotModified},
		{"etag in a list", []string{"If-None-Match", `"abc", ` + etag}, http.StatusNotModified},
		{"star", []string{"If-None-Match", "*"}, http.StatusNotModified},
		{"other etag", []string{"If-None-Match", `"abc"`}, http.StatusOK},
		{"gzip etag for identity", []string{"If-None-Match", strings.TrimSuffix(etag, `"`) + `-gz"`}, http.StatusOK},
		{"not modified since", []string{"If-Modified-Since", lastMod}, http.StatusNotModified},
		{"modified since", []string{"If-Modified-Since", "Sun, 01 Jun 2025 02:19:59 GMT"}, http.StatusOK},
		{"etag wins over date", []string{"If-None-Match", `"abc"`, "If-Modified-Since", lastMod}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(h, http.MethodGet, "/feeds/all.rss", tt.header...)
			if w.Code != tt.code {
				t.Fatalf("status = %d, want %d", w.Code, tt.code)
			}
			if tt.code == http.StatusNotModified {
				if w.Body.Len() != 0 {
					t.Errorf("304 has a body of %d bytes", w.Body.Len())
				}
				if got := w.Header().Get("ETag"); got != etag {
					t.Errorf("304 ETag = %q, want %q", got, etag)
				}
			}
		})
	}

	head := get(h, http.MethodHead, "/feeds/all.rss")
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag {
		t.Errorf("HEAD: status %d, %d body bytes, ETag %q; want 200, none, %q", head.Code, head.Body.Len(), head.Header().Get("ETag"), etag)
	}

	add(t, db, "vnexpress", nil, incoming("4890003", "", store.Item{
		Title: "Tin mới", Link: "https://vnexpress.net/tin-moi-4890003.html", Published: time.Date(2025, 6, 1, 10, 0, 0, 0, ict),
	}))
	after := get(h, http.MethodGet, "/feeds/all.rss", "If-None-Match", etag)
	if after.Code != http.StatusOK {
		t.Fatalf("after a new item: status = %d, want 200", after.Code)
	}
	if got := after.Header().Get("ETag"); got == etag {
		t.Errorf("after a new item: ETag unchanged (%s)", got)
	}
}

func TestGzip(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{})
	plain := get(h, http.MethodGet, "/feeds/all.json")
	tests := []struct {
		accept string
		gzip   bool
	}{
		{"gzip", true},
		{"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
		{"GZIP", true},
		{"*", true},
		{"gzip;q=0", false},
		{"*;q=0", false},
		{"deflate, br", false},
		{"identity", false},
		{"gzip;q=nonsense", false},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			w := get(h, http.MethodGet, "/feeds/all.json", "Accept-Encoding", tt.accept)
			if got := w.Header().Get("Content-Encoding") == "gzip"; got != tt.gzip {
				t.Fatalf("gzipped = %v, want %v", got, tt.gzip)
			}
			if !tt.gzip {
				return
			}
			if w.Header().Get("ETag") == plain.Header().Get("ETag") {
				t.Errorf("gzip ETag %s equals the identity ETag", w.Header().Get("ETag"))
			}
			if w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary = %q", w.Header().Get("Vary"))
			}
			zr, err := gzip.NewReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain.Body.Bytes()) {
				t.Errorf("gunzipped body differs from the identity body")
			}
		})
	}
	gz := get(h, http.MethodGet, "/feeds/all.json", "Accept-Encoding", "gzip")
	etag := gz.Header().Get("ETag")
	if w := get(h, http.MethodGet, "/feeds/all.json", "Accept-Encoding", "gzip", "If-None-Match", etag); w.Code != http.StatusNotModified {
		t.Errorf("gzip If-None-Match: status = %d, want 304", w.Code)
	}
}

func TestRenderOnce(t *testing.T) {
	h, db, _ := newFixtureHandler(t, Options{})
	first := get(h, http.MethodGet, "/feeds/all.atom")
	second := get(h, http.MethodGet, "/feeds/all.atom", "Accept-Encoding", "gzip")
	get(h, http.MethodHead, "/feeds/all.atom")
	if n := h.generations.Load(); n != 1 {
		t.Errorf("generations = %d after three requests with no change, want 1", n)
	}
	if second.Header().Get("Content-Encoding") != "gzip" {
		t.Fatal("second request not gzipped")
	}

	// Another handler over the same store renders the same bytes.
	other, err := newHandler(db, Options{BaseURL: "http://127.0.0.1:8080", Feeds: fixtureFeeds})
	if err != nil {
		t.Fatal(err)
	}
	again := get(other, http.MethodGet, "/feeds/all.atom")
	if !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) || again.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Errorf("a second render differs: ETag %s vs %s", again.Header().Get("ETag"), first.Header().Get("ETag"))
	}

	// A store change makes the next request render again, once, however
	// many requests come at the same time.
	add(t, db, "tuoitre", nil, incoming("tt-3", "", store.Item{
		Title: "Tin mới", Link: "https://tuoitre.vn/tin-moi.htm", Published: time.Date(2025, 6, 1, 10, 0, 0, 0, ict),
	}))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if w := get(h, http.MethodGet, "/feeds/all.atom"); w.Code != http.StatusOK {
				t.Errorf("status = %d", w.Code)
			}
		})
	}
	wg.Wait()
	if n := h.generations.Load(); n != 2 {
		t.Errorf("generations = %d after one change, want 2", n)
	}
	if got := get(h, http.MethodGet, "/feeds/all.atom").Header().Get("ETag"); got == first.Header().Get("ETag") {
		t.Errorf("ETag unchanged after a change: %s", got)
	}
}

// TestForbiddenCharacters stores text XML forbids, which the store should
// have refused; every document must still parse.
func TestForbiddenCharacters(t *testing.T) {
	db := openDB(t, nil)
	add(t, db, "vnexpress", nil, incoming("bad", "", store.Item{
		Title:     "Tab\tvertical\vtab \ufffe noncharacter ]]> end",
		Link:      "https://vnexpress.net/bad\v.html",
		Summary:   "summary \x00 nul \x1f unit ]]>",
		Content:   "<p>content \v ]]> <![CDATA[ x ]]></p>",
		Author:    "A\uffffB",
		Published: time.Date(2025, 6, 1, 8, 0, 0, 0, ict),
	}))
	h, err := newHandler(db, Options{Feeds: []Feed{{Name: "vnexpress", Title: "Vn\vExpress", URL: "https://vnexpress.net/rss"}}})
	if err != nil {
		t.Fatal(err)
	}
	for f := range numFormats {
		t.Run(formats[f].name, func(t *testing.T) {
			w := get(h, http.MethodGet, "/feeds/all"+formats[f].ext)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d", w.Code)
			}
			body := w.Body.Bytes()
			if len(parseIDs(t, f, body)) != 1 {
				t.Fatalf("want one item")
			}
			if f != formatJSON {
				// encoding/xml rejects forbidden characters and malformed documents.
				d := xml.NewDecoder(bytes.NewReader(body))
				for {
					if _, err := d.Token(); err == io.EOF {
						break
					} else if err != nil {
						t.Fatalf("not well-formed: %v", err)
					}
				}
			}
			for _, bad := range []string{"\v", "\ufffe", "\uffff", "\x00", "\x1f"} {
				if bytes.Contains(body, []byte(bad)) {
					t.Errorf("body holds %q", bad)
				}
			}
			if !bytes.Contains(body, []byte("noncharacter")) || !bytes.Contains(body, []byte("AB")) {
				t.Errorf("text around the forbidden characters is lost:\n%s", body)
			}
		})
	}
}

func TestMultiMember(t *testing.T) {
	h, _, ids := newFixtureHandler(t, Options{})
	id := ids[titleMetro]
	const attribution = `<p>Cũng đăng trên: <a href="https://tuoitre.vn/metro-so-1-chay-chinh-thuc.htm">Tuổi Trẻ Online</a>, SGGP</p>`
	categories := []string{"VnExpress", "Tuổi Trẻ Online", "SGGP", "tong-hop", "thoi-su", "kinh-te"}

	t.Run("rss", func(t *testing.T) {
		var doc rssParsed
		if err := xml.Unmarshal(get(h, http.MethodGet, "/feeds/all.rss").Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if got := doc.Channel.AtomLinks; len(got) != 1 || got[0].Rel != "self" || got[0].Href != "http://127.0.0.1:8080/feeds/all.rss" {
			t.Errorf("atom:link = %+v, want one self link", got)
		}
		for _, it := range doc.Channel.Items {
			if it.Author != "" {
				t.Errorf("%s: <author>%s</author>: RSS author is an e-mail address", it.GUID.ID, it.Author)
			}
			if it.GUID.ID != id {
				continue
			}
			if !slices.Equal(it.Categories, categories) {
				t.Errorf("categories = %q, want %q", it.Categories, categories)
			}
			if it.Source == nil || it.Source.URL != "https://vnexpress.net/rss/tin-moi-nhat.rss" || it.Source.Title != "VnExpress" {
				t.Errorf("source = %+v", it.Source)
			}
			if it.Creator != "Minh Anh" {
				t.Errorf("dc:creator = %q", it.Creator)
			}
			if !strings.HasSuffix(it.Description, attribution) {
				t.Errorf("description = %q, want it to end with %q", it.Description, attribution)
			}
			return
		}
		t.Errorf("no item %s", id)
	})

	t.Run("atom", func(t *testing.T) {
		var doc atomParsed
		if err := xml.Unmarshal(get(h, http.MethodGet, "/feeds/all.atom").Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.ID != "urn:pressfeed:output:all" {
			t.Errorf("feed id = %q", doc.ID)
		}
		wantLinks := []atomLinkParsed{{"http://127.0.0.1:8080/feeds/all.atom", "self"}, {"http://127.0.0.1:8080/", "alternate"}}
		if !slices.Equal(doc.Links, wantLinks) {
			t.Errorf("links = %+v, want %+v", doc.Links, wantLinks)
		}
		found := false
		for _, e := range doc.Entries {
			for _, l := range e.Links {
				if l.Href == "" {
					t.Errorf("%s: empty link", e.ID)
				}
			}
			if e.Title.Type != "text" || e.Content.Type != "html" || e.Summary.Type != "text" {
				t.Errorf("%s: title, content, summary types %q, %q, %q", e.ID, e.Title.Type, e.Content.Type, e.Summary.Type)
			}
			switch e.ID {
			case ids[titleRice]:
				if len(e.Links) != 0 {
					t.Errorf("entry without a link has links %+v", e.Links)
				}
				if e.Source == nil || e.Source.ID != "urn:pressfeed:feed:sggp" || len(e.Source.Links) != 0 {
					t.Errorf("file:// source = %+v, want a urn id and no link", e.Source)
				}
				if e.Updated != "2025-06-01T02:20:00Z" || e.Published != "2025-06-01T06:00:00+07:00" {
					t.Errorf("corrected entry: updated %s, published %s", e.Updated, e.Published)
				}
			case id:
				found = true
				var terms []string
				for _, c := range e.Categories {
					terms = append(terms, c.Term)
				}
				if !slices.Equal(terms, categories) {
					t.Errorf("categories = %q, want %q", terms, categories)
				}
				wantSource := []atomLinkParsed{{"https://vnexpress.net/rss/tin-moi-nhat.rss", "self"}}
				if e.Source == nil || e.Source.ID != wantSource[0].Href || e.Source.Title != "VnExpress" || !slices.Equal(e.Source.Links, wantSource) {
					t.Errorf("source = %+v", e.Source)
				}
				if !strings.HasSuffix(e.Content.Text, attribution) {
					t.Errorf("content = %q, want it to end with %q", e.Content.Text, attribution)
				}
			}
		}
		if !found {
			t.Errorf("no entry %s", id)
		}
	})

	t.Run("json", func(t *testing.T) {
		var doc jsonParsed
		if err := json.Unmarshal(get(h, http.MethodGet, "/feeds/all.json").Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Version != "https://jsonfeed.org/version/1.1" || doc.FeedURL != "http://127.0.0.1:8080/feeds/all.json" || doc.HomePageURL != "http://127.0.0.1:8080/" {
			t.Errorf("version %q, feed_url %q, home_page_url %q", doc.Version, doc.FeedURL, doc.HomePageURL)
		}
		found := false
		for _, it := range doc.Items {
			if it.ContentHTML == "" {
				t.Errorf("%s: no content_html", *it.ID)
			}
			if it.Author != nil {
				t.Errorf("%s: deprecated author %s", *it.ID, it.Author)
			}
			switch *it.ID {
			case ids[titleRice]:
				if it.URL != "" || it.DateModified == "" {
					t.Errorf("corrected item: url %q, date_modified %q", it.URL, it.DateModified)
				}
				if it.Summary != `Kim ngạch xuất khẩu gạo & nông sản tăng "mạnh" <20%>.` {
					t.Errorf("summary = %q, want plain text", it.Summary)
				}
			case id:
				found = true
				if !slices.Equal(it.Tags, categories) {
					t.Errorf("tags = %q, want %q", it.Tags, categories)
				}
				if len(it.Authors) != 1 || it.Authors[0].Name != "Minh Anh" {
					t.Errorf("authors = %s", it.Authors)
				}
				if !strings.HasSuffix(it.ContentHTML, attribution) {
					t.Errorf("content_html = %q, want it to end with %q", it.ContentHTML, attribution)
				}
				if it.DateModified != "2025-06-01T02:10:00Z" {
					t.Errorf("date_modified %q, want when the last outlet joined", it.DateModified)
				}
			}
		}
		if !found {
			t.Errorf("no item %s", id)
		}
	})
}

// TestEmptyStore checks the documents of an empty output: no items, an
// ETag, and a plausible date, the handler's start (feed validators call
// 1970-01-01 "implausible"), the same on every render.
func TestEmptyStore(t *testing.T) {
	db := openDB(t, nil)
	started := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	now := started.Add(800 * time.Millisecond)
	h, err := newHandler(db, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour) // later renders keep the start
	for f := range numFormats {
		t.Run(formats[f].name, func(t *testing.T) {
			w := get(h, http.MethodGet, "/feeds/all"+formats[f].ext)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d", w.Code)
			}
			if ids := parseIDs(t, f, w.Body.Bytes()); len(ids) != 0 {
				t.Errorf("ids = %q", ids)
			}
			if w.Header().Get("ETag") == "" {
				t.Error("no ETag")
			}
			body := w.Body.String()
			if strings.Contains(body, "1970") {
				t.Errorf("%s without items is dated 1970:\n%s", formats[f].name, body)
			}
			again, err := h.encode(h.order[0], f, nil, nil, page{self: h.order[0].selfLinks[f]})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, w.Body.Bytes()) {
				t.Errorf("%s without items differs an hour later:\n%s\n%s", formats[f].name, body, again)
			}
			switch f {
			case formatAtom:
				if !strings.Contains(body, "<updated>2026-03-04T05:06:07Z</updated>") {
					t.Errorf("atom without items:\n%s", body)
				}
				if !strings.Contains(body, "<author>") { // RFC 4287 4.1.1: no entry names one
					t.Errorf("atom without items has no author:\n%s", body)
				}
			case formatRSS:
				for _, want := range []string{"<pubDate>Wed, 04 Mar 2026 05:06:07 +0000</pubDate>",
					"<lastBuildDate>Wed, 04 Mar 2026 05:06:07 +0000</lastBuildDate>"} {
					if !strings.Contains(body, want) {
						t.Errorf("rss without items has no %s:\n%s", want, body)
					}
				}
			case formatJSON:
				if !strings.Contains(body, `"items": []`) {
					t.Errorf("json without items:\n%s", body)
				}
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	var schedErr error
	db := openDB(t, nil)
	h, err := newHandler(db, Options{Healthy: func() error { return schedErr }})
	if err != nil {
		t.Fatal(err)
	}
	if w := get(h, http.MethodGet, "/healthz"); w.Code != http.StatusOK || w.Body.String() != "ok\n" {
		t.Errorf("healthy: %d %q", w.Code, w.Body)
	}
	if w := get(h, http.MethodHead, "/healthz"); w.Code != http.StatusOK {
		t.Errorf("HEAD: %d", w.Code)
	}
	schedErr = errors.New("scheduler stopped:\nno poll for 2h")
	if w := get(h, http.MethodGet, "/healthz"); w.Code != http.StatusServiceUnavailable || w.Body.String() != "scheduler stopped: no poll for 2h\n" {
		t.Errorf("scheduler down: %d %q", w.Code, w.Body)
	}
}

// TestStoreDown closes the store under the handler: feeds answer 503 and the
// failure is logged once, not per request.
func TestStoreDown(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "pressfeed.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h, err := newHandler(db, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		w := get(h, http.MethodGet, "/feeds/all.rss")
		if w.Code != http.StatusServiceUnavailable || w.Body.String() != "temporarily unavailable\n" {
			t.Errorf("feed: %d %q", w.Code, w.Body)
		}
	}
	if n := strings.Count(logs.String(), "read items"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
	if w := get(h, http.MethodGet, "/healthz"); w.Code != http.StatusServiceUnavailable || !strings.HasPrefix(w.Body.String(), "store: ") {
		t.Errorf("healthz: %d %q", w.Code, w.Body)
	}
}

func TestNewHandlerErrors(t *testing.T) {
	db := openDB(t, nil)
	feeds := []Feed{{Name: "vnexpress", Tags: []string{"tong-hop"}}}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"duplicate output", Options{Outputs: []Output{{Name: "a"}, {Name: "a"}}}, `duplicate output name "a"`},
		{"bad keyword", Options{Outputs: []Output{{Name: "a", Include: []string{"..."}}}}, `output "a": include`},
		{"bad exclude", Options{Outputs: []Output{{Name: "a", Exclude: []string{" "}}}}, `output "a": exclude`},
		{"bad name", Options{Outputs: []Output{{Name: "a/b"}}}, `output "a/b": name`},
		{"no name", Options{Outputs: []Output{{Title: "x"}}}, `output "": name`},
		{"negative limit", Options{Outputs: []Output{{Name: "a", Limit: -1}}}, "negative"},
		{"unknown tag", Options{Feeds: feeds, Outputs: []Output{{Name: "a", Tags: []string{"thoi-su"}}}}, `no feed has tag "thoi-su"`},
		{"unknown feed", Options{Feeds: feeds, Outputs: []Output{{Name: "a", Feeds: []string{"tuoitre"}}}}, `unknown feed "tuoitre"`},
		{"duplicate feed", Options{Feeds: append(feeds, feeds...)}, `duplicate feed name "vnexpress"`},
		{"relative base URL", Options{BaseURL: "/pressfeed"}, "base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHandler(db, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewHandler: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := NewHandler(db, Options{Feeds: feeds, BaseURL: "https://tin.example.vn/"}); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestXMLText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"clean", "Hồ Chí Minh", "Hồ Chí Minh"},
		{"NFD to NFC", "Ho\u0302\u0300 Chi\u0301 Minh", "Hồ Chí Minh"},
		{"C0 controls", "a\x00b\x0bc\x1fd", "abcd"},
		{"tab and newlines stay", "a\tb\nc\rd", "a\tb\nc\rd"},
		{"noncharacters", "a\ufffeb\uffffc", "abc"},
		{"replacement character stays", "a\ufffdb", "a\ufffdb"},
		{"invalid UTF-8", "a\xffb\xc3", "ab"},
		{"astral", "a😀b", "a😀b"},
		{"mark after a removed control", "o\x0b\u0302", "ô"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := xmlText(tt.in); got != tt.want {
				t.Errorf("xmlText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestCanceledRequest: a client that hangs up does not fail the shared render.
func TestCanceledRequest(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/feeds/all.atom", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", w.Code)
	}
}

// TestLastModified: a merge changes the document without a newer item date;
// Last-Modified still moves, so If-Modified-Since alone does not hide it.
func TestLastModified(t *testing.T) {
	c := &clock{}
	db := openDB(t, c)
	seedFixture(t, db, c)
	h, err := newHandler(db, Options{Feeds: fixtureFeeds})
	if err != nil {
		t.Fatal(err)
	}
	before := get(h, http.MethodGet, "/feeds/all.json")
	if got, want := before.Header().Get("Last-Modified"), "Sun, 01 Jun 2025 02:20:00 GMT"; got != want {
		t.Fatalf("Last-Modified = %q, want %q", got, want)
	}
	c.t = time.Date(2025, 6, 1, 3, 0, 0, 0, time.UTC)
	res := add(t, db, "vnexpress", nil, incoming("4890009", "xuất khẩu gạo tăng mạnh trong 5 tháng", store.Item{
		Title: titleRice, Link: "https://vnexpress.net/xuat-khau-gao-4890009.html", Published: time.Date(2025, 6, 1, 6, 30, 0, 0, ict),
	}))
	if res.Merged != 1 {
		t.Fatalf("add: %+v, want one merge", res)
	}
	w := get(h, http.MethodGet, "/feeds/all.json", "If-Modified-Since", before.Header().Get("Last-Modified"))
	if w.Code != http.StatusOK {
		t.Fatalf("If-Modified-Since after a merge: status = %d, want 200", w.Code)
	}
	if got, want := w.Header().Get("Last-Modified"), "Sun, 01 Jun 2025 03:00:00 GMT"; got != want {
		t.Errorf("Last-Modified = %q, want %q", got, want)
	}
	if !strings.Contains(w.Body.String(), `Cũng đăng trên: <a href=\"https://vnexpress.net/xuat-khau-gao-4890009.html\">VnExpress</a>`) {
		t.Errorf("no attribution for the merge:\n%s", w.Body)
	}
}
