package publisher

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

func TestBadQuery(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{})
	tests := []struct{ name, query, reason string }{
		{"limit zero", "limit=0", "limit: want an integer from 1 to 1000"},
		{"limit too big", "limit=1001", "limit: want an integer from 1 to 1000"},
		{"limit not a number", "limit=ten", "limit: want an integer"},
		{"limit twice", "limit=1&limit=2", "limit: given more than once"},
		{"cursor not base64", "before=!!", "before: not a cursor"},
		{"cursor too short", "before=AAAA", "before: not a cursor"},
		{"cursor bad nanoseconds", "before=" + badNanos(), "before: not a cursor"},
		{"malformed", "q=%zz", "malformed query string"},
		{"keyword without words", "q=" + url.QueryEscape("!!!"), "q:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for f := range numFormats {
				w := get(h, http.MethodGet, "/feeds/all"+formats[f].ext+"?"+tt.query)
				body := w.Body.String()
				if w.Code != http.StatusBadRequest || !strings.HasPrefix(body, tt.reason) || strings.Count(body, "\n") != 1 {
					t.Errorf("%s: %d %q; want 400 and one line starting %q", formats[f].name, w.Code, body, tt.reason)
				}
				if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("400 without nosniff: %q", got)
				}
			}
		})
	}
}

func badNanos() string {
	b := append(make([]byte, 8), 0x77, 0x35, 0x94, 0x00) // 2e9 ns
	b[0] = 0x80
	return base64.RawURLEncoding.EncodeToString(append(b, "urn:pressfeed:item:x"...))
}

func storeItem(title string, published time.Time) store.Item {
	return store.Item{Title: title, Link: "https://vnexpress.net/" + url.PathEscape(title) + ".html", Published: published}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{
		{time.Date(2025, 6, 1, 1, 30, 0, 123, time.UTC), "urn:pressfeed:item:abc"},
		{time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), "x"},
		{time.Date(2999, 12, 31, 23, 59, 59, 999999999, time.UTC), "urn:pressfeed:item:ạ"},
	} {
		got, err := parseCursor(c.String())
		if err != nil || !got.published.Equal(c.published) || got.id != c.id {
			t.Errorf("parseCursor(%q) = %v, %v; want %v", c.String(), got, err, c)
		}
	}
}

// nextLink returns the rel="next" link and the self link of a document.
func nextLink(t *testing.T, f format, body []byte) (self, next string) {
	t.Helper()
	switch f {
	case formatRSS:
		var doc rssParsed
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, l := range doc.Channel.AtomLinks {
			switch l.Rel {
			case "self":
				self = l.Href
			case "next":
				next = l.Href
			}
		}
	case formatAtom:
		var doc atomParsed
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, l := range doc.Links {
			switch l.Rel {
			case "self":
				self = l.Href
			case "next":
				next = l.Href
			}
		}
	default:
		var doc struct {
			FeedURL string `json:"feed_url"`
			NextURL string `json:"next_url"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		self, next = doc.FeedURL, doc.NextURL
	}
	return self, next
}

// TestPaging follows next links from the first page to the last in every
// format, with and without a keyword, and checks every item comes once, in
// order, and that each document links itself.
func TestPaging(t *testing.T) {
	h, _, ids := newFixtureHandler(t, Options{Outputs: []Output{{Name: "all"}, {Name: "two", Limit: 2}}})
	all := []string{ids[titleXang], ids[titleMetro], ids[titleWorld], ids[titleRice]}
	tests := []struct {
		name, start string
		want        []string
		pages       int
	}{
		{"limit 1", "/feeds/all{ext}?limit=1", all, 4},
		{"limit 3", "/feeds/all{ext}?limit=3", all, 2},
		{"output limit", "/feeds/two{ext}", all, 2},
		{"keyword", "/feeds/all{ext}?limit=1&q=xang", []string{ids[titleXang], ids[titleWorld]}, 2},
		{"keyword with diacritics", "/feeds/all{ext}?q=x%C4%83ng", []string{ids[titleXang]}, 1},
		{"keyword, one page", "/feeds/all{ext}?q=ho+chi+minh&limit=1000", []string{ids[titleMetro]}, 1},
		{"no match", "/feeds/all{ext}?q=b%C3%B3ng+%C4%91%C3%A1", nil, 1},
	}
	for _, tt := range tests {
		for f := range numFormats {
			t.Run(tt.name+"/"+formats[f].name, func(t *testing.T) {
				var got []string
				path := strings.Replace(tt.start, "{ext}", formats[f].ext, 1)
				pages := 0
				for path != "" {
					pages++
					if pages > 10 {
						t.Fatal("more than 10 pages")
					}
					w := get(h, http.MethodGet, path)
					if w.Code != http.StatusOK {
						t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
					}
					got = append(got, parseIDs(t, f, w.Body.Bytes())...)
					self, next := nextLink(t, f, w.Body.Bytes())
					if want := "http://127.0.0.1:8080" + path; self != want && !sameURL(self, want) {
						t.Errorf("self = %q, want %q", self, want)
					}
					path = strings.TrimPrefix(next, "http://127.0.0.1:8080")
					if next != "" && path == next {
						t.Fatalf("next link %q is not below the base URL", next)
					}
				}
				if !slices.Equal(got, tt.want) || pages != tt.pages {
					t.Errorf("items over %d pages = %v; want %v over %d", pages, got, tt.want, tt.pages)
				}
			})
		}
	}
}

// TestPagingScanBudget follows next links as TestPaging does with pages
// that may read only one or two items: a page may then hold fewer items
// than its limit, or none, but following its next links still gives every
// item once, in order, and a keyword matching nothing still ends.
func TestPagingScanBudget(t *testing.T) {
	h, _, ids := newFixtureHandler(t, Options{Outputs: []Output{{Name: "all"}}})
	all := []string{ids[titleXang], ids[titleMetro], ids[titleWorld], ids[titleRice]}
	tests := []struct {
		start string
		want  []string
	}{
		{"/feeds/all.json?limit=3", all},
		{"/feeds/all.json?limit=1&q=xang", []string{ids[titleXang], ids[titleWorld]}},
		{"/feeds/all.json?q=xang", []string{ids[titleXang], ids[titleWorld]}},
		{"/feeds/all.json?q=b%C3%B3ng+%C4%91%C3%A1", nil},
	}
	for _, budget := range []int{1, 2, 3} {
		h.maxScan = budget
		for _, tt := range tests {
			var got []string
			path, pages, empty := tt.start, 0, 0
			for path != "" {
				if pages++; pages > 10 {
					t.Fatal("more than 10 pages")
				}
				w := get(h, http.MethodGet, path)
				if w.Code != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
				}
				page := parseIDs(t, formatJSON, w.Body.Bytes())
				if len(page) == 0 {
					empty++
				}
				got = append(got, page...)
				_, next := nextLink(t, formatJSON, w.Body.Bytes())
				path = strings.TrimPrefix(next, "http://127.0.0.1:8080")
			}
			if !slices.Equal(got, tt.want) || pages > (len(all)+budget-1)/budget+1 {
				t.Errorf("budget %d, %s: items over %d pages = %v; want %v", budget, tt.start, pages, got, tt.want)
			}
			if budget == 1 && tt.start == "/feeds/all.json?limit=1&q=xang" && empty == 0 {
				t.Errorf("budget 1, %s: no page without items over %d pages; the budget was not applied", tt.start, pages)
			}
		}
	}
}

// sameURL compares URLs with their query parameters in any order.
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return ua.Scheme+ua.Host+ua.Path == ub.Scheme+ub.Host+ub.Path && ua.Query().Encode() == ub.Query().Encode()
}

// TestPageStable checks a cursor keeps its place when new items arrive: the
// second page still starts after the last item of the first.
func TestPageStable(t *testing.T) {
	h, db, ids := newFixtureHandler(t, Options{})
	w := get(h, http.MethodGet, "/feeds/all.json?limit=2")
	_, next := nextLink(t, formatJSON, w.Body.Bytes())
	add(t, db, "vnexpress", nil, incoming("late", "tin mới", storeItem("Tin mới đến sau", time.Date(2025, 6, 1, 9, 0, 0, 0, ict))))
	w = get(h, http.MethodGet, strings.TrimPrefix(next, "http://127.0.0.1:8080"))
	if got, want := parseIDs(t, formatJSON, w.Body.Bytes()), []string{ids[titleWorld], ids[titleRice]}; !slices.Equal(got, want) {
		t.Errorf("second page after a new item = %v, want %v", got, want)
	}
	// The first page, from the cache, now starts with the new item and has a next link.
	w = get(h, http.MethodGet, "/feeds/all.json")
	if got := parseIDs(t, formatJSON, w.Body.Bytes()); len(got) != fixtureN+1 || got[1] != ids[titleXang] {
		t.Errorf("first page = %v", got)
	}
}

// TestQueryNotCached checks paged documents are rendered per request and do
// not replace the cached first page, and still answer conditional GET.
func TestQueryNotCached(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{})
	first := get(h, http.MethodGet, "/feeds/all.atom")
	n := h.renders.Load()
	q := get(h, http.MethodGet, "/feeds/all.atom?limit=1", "Accept-Encoding", "gzip")
	if q.Code != http.StatusOK || q.Header().Get("Content-Encoding") != "gzip" || q.Header().Get("ETag") == "" {
		t.Fatalf("query: %d %v", q.Code, q.Header())
	}
	if again := get(h, http.MethodGet, "/feeds/all.atom?limit=1", "Accept-Encoding", "gzip",
		"If-None-Match", q.Header().Get("ETag")); again.Code != http.StatusNotModified {
		t.Errorf("conditional query: %d, want 304", again.Code)
	}
	if w := get(h, http.MethodGet, "/feeds/all.atom"); w.Body.String() != first.Body.String() {
		t.Error("first page changed after a query")
	}
	if got := h.renders.Load() - n; got != 2 {
		t.Errorf("%d renders for two queries and a cached page, want 2", got)
	}
}
