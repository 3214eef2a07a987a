package publisher

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// ict is Vietnam's time zone, as sources write it.
var ict = time.FixedZone("ICT", 7*3600)

// clock is the store's fake clock: Now returns t, which tests move.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// openDB opens a store in a fresh folder; cleanup checks the file, then closes it.
func openDB(tb testing.TB, c *clock) *store.DB {
	tb.Helper()
	opts := store.Options{}
	if c != nil {
		opts.Now = c.now
	}
	db, err := store.Open(filepath.Join(tb.TempDir(), "pressfeed.db"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Check(); err != nil {
			tb.Errorf("check: %v", err)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

func add(tb testing.TB, db *store.DB, feed string, st *store.FeedState, items ...store.Incoming) store.Result {
	tb.Helper()
	res, err := db.Add(context.Background(), feed, items, st)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// incoming returns an item keyed by its GUID, link and title.
func incoming(guid, titleKey string, it store.Item) store.Incoming {
	return store.Incoming{Item: it, GUID: guid, LinkKey: it.Link, HashKey: "h-" + guid, TitleKey: titleKey, Dated: true}
}

// fixtureFeeds are the configured feeds of the fixture: one with a title,
// one named by its own stored title, one read from a file.
var fixtureFeeds = []Feed{
	{Name: "vnexpress", Title: "VnExpress", URL: "https://vnexpress.net/rss/tin-moi-nhat.rss", Tags: []string{"tong-hop"}},
	{Name: "tuoitre", URL: "https://tuoitre.vn/rss/tin-moi-nhat.rss", Tags: []string{"tong-hop", "thoi-su"}},
	{Name: "sggp", Title: "SGGP", URL: "file:///srv/pressfeed/sggp.xml", Tags: []string{"kinh-te"}},
}

// Fixture titles, newest first by published time.
const (
	titleXang  = "Giá xăng giảm từ 15 giờ chiều nay"           // tuoitre, 08:50
	titleMetro = "TP Hồ Chí Minh khai trương tuyến metro số 1" // vnexpress, 08:30; also tuoitre and sggp
	titleWorld = "Giá xang dầu thế giới đi lên"                // vnexpress, 07:45; "xang" without its breve
	titleRice  = "Xuất khẩu gạo tăng mạnh trong 5 tháng"       // sggp, 06:00; corrected
	titleRice0 = "Xuất khẩu gạo tăng mạnh"                     // its first headline
	metroKey   = "tp hồ chí minh khai trương tuyến metro số 1" // normalised title
	riceKey    = "xuất khẩu gạo tăng mạnh"                     // normalised title
	fixtureN   = 4                                             // stories in the fixture
)

// seedFixture stores the fixture: four stories from three feeds, one carried
// by all three, one corrected. It returns the item ids by title.
func seedFixture(tb testing.TB, db *store.DB, c *clock) map[string]string {
	tb.Helper()
	c.t = time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	add(tb, db, "vnexpress", &store.FeedState{Title: "VnExpress - Tin mới nhất"},
		incoming("4890001", metroKey, store.Item{
			Title:     titleMetro,
			Link:      "https://vnexpress.net/tp-hcm-khai-truong-metro-so-1-4890001.html",
			Summary:   "Tuyến metro Bến Thành – Suối Tiên chở khách từ sáng nay.",
			Content:   "<p>Tuyến metro <b>Bến Thành – Suối Tiên</b> chở khách từ sáng nay.</p>",
			Author:    "Minh Anh",
			Published: time.Date(2025, 6, 1, 8, 30, 0, 0, ict),
		}),
		incoming("4890002", "giá xang dầu thế giới đi lên", store.Item{
			Title:     titleWorld,
			Link:      "https://vnexpress.net/gia-xang-dau-the-gioi-4890002.html",
			Summary:   "Giá dầu Brent tăng 2% trong phiên sáng.",
			Published: time.Date(2025, 6, 1, 7, 45, 0, 0, ict),
		}))
	c.t = c.t.Add(5 * time.Minute)
	add(tb, db, "tuoitre", &store.FeedState{Title: "Tuổi Trẻ Online"},
		incoming("tt-1", "giá xăng giảm từ 15 giờ chiều nay", store.Item{
			Title:     titleXang,
			Link:      "https://tuoitre.vn/gia-xang-giam-tu-15-gio-chieu-nay.htm",
			Summary:   "Giá xăng RON 95 giảm 500 đồng mỗi lít.",
			Published: time.Date(2025, 6, 1, 8, 50, 0, 0, ict),
		}),
		incoming("tt-2", metroKey, store.Item{
			Title:     titleMetro,
			Link:      "https://tuoitre.vn/metro-so-1-chay-chinh-thuc.htm",
			Summary:   "Metro số 1 chính thức vận hành.",
			Published: time.Date(2025, 6, 1, 8, 40, 0, 0, ict),
		}))
	c.t = c.t.Add(5 * time.Minute)
	add(tb, db, "sggp", nil,
		incoming("sggp-1", riceKey, store.Item{
			Title:     titleRice0,
			Summary:   `Kim ngạch xuất khẩu gạo & nông sản tăng "mạnh" <20%>.`,
			Published: time.Date(2025, 6, 1, 6, 0, 0, 0, ict),
		}),
		incoming("sggp-2", metroKey, store.Item{
			Title:     titleMetro,
			Published: time.Date(2025, 6, 1, 8, 35, 0, 0, ict),
		}))
	c.t = c.t.Add(10 * time.Minute)
	if res := add(tb, db, "sggp", nil, incoming("sggp-1", "xuất khẩu gạo tăng mạnh trong 5 tháng", store.Item{
		Title:     titleRice,
		Summary:   `Kim ngạch xuất khẩu gạo & nông sản tăng "mạnh" <20%>.`,
		Published: time.Date(2025, 6, 1, 6, 0, 0, 0, ict),
	})); res.Corrected != 1 {
		tb.Fatalf("correction: %+v", res)
	}
	items, err := db.Latest(context.Background(), 100, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if len(items) != fixtureN {
		tb.Fatalf("fixture has %d stories, want %d", len(items), fixtureN)
	}
	ids := make(map[string]string)
	for _, it := range items {
		ids[it.Title] = it.ID
	}
	return ids
}

func newFixtureHandler(tb testing.TB, opts Options) (*handler, *store.DB, map[string]string) {
	tb.Helper()
	c := &clock{}
	db := openDB(tb, c)
	ids := seedFixture(tb, db, c)
	if opts.BaseURL == "" {
		opts.BaseURL = "http://127.0.0.1:8080"
	}
	if opts.Feeds == nil {
		opts.Feeds = fixtureFeeds
	}
	h, err := newHandler(db, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return h, db, ids
}

// get serves one request; header holds name, value pairs.
func get(h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// What tests read back from the documents.

type rssParsed struct {
	Version string `xml:"version,attr"`
	Channel struct {
		Title     string `xml:"title"`
		AtomLinks []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"http://www.w3.org/2005/Atom link"`
		Items []struct {
			Title       string `xml:"title"`
			Link        string `xml:"link"`
			Description string `xml:"description"`
			GUID        struct {
				IsPermaLink string `xml:"isPermaLink,attr"`
				ID          string `xml:",chardata"`
			} `xml:"guid"`
			Creator    string   `xml:"http://purl.org/dc/elements/1.1/ creator"`
			Author     string   `xml:"author"`
			Categories []string `xml:"category"`
			Source     *struct {
				URL   string `xml:"url,attr"`
				Title string `xml:",chardata"`
			} `xml:"source"`
			PubDate string `xml:"pubDate"`
		} `xml:"item"`
	} `xml:"channel"`
}

type atomLinkParsed struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
}

type atomParsed struct {
	XMLName xml.Name         `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string           `xml:"id"`
	Title   string           `xml:"title"`
	Updated string           `xml:"updated"`
	Links   []atomLinkParsed `xml:"link"`
	Entries []struct {
		ID    string `xml:"id"`
		Title struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"title"`
		Updated   string           `xml:"updated"`
		Published string           `xml:"published"`
		Links     []atomLinkParsed `xml:"link"`
		Summary   struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"summary"`
		Content struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"content"`
		Categories []struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
		Source *struct {
			ID    string           `xml:"id"`
			Title string           `xml:"title"`
			Links []atomLinkParsed `xml:"link"`
		} `xml:"source"`
	} `xml:"entry"`
}

type jsonParsed struct {
	Version     string `json:"version"`
	Title       string `json:"title"`
	HomePageURL string `json:"home_page_url"`
	FeedURL     string `json:"feed_url"`
	Items       []struct {
		ID            *string         `json:"id"`
		URL           string          `json:"url"`
		Title         string          `json:"title"`
		ContentHTML   string          `json:"content_html"`
		Summary       string          `json:"summary"`
		DatePublished string          `json:"date_published"`
		DateModified  string          `json:"date_modified"`
		Author        json.RawMessage `json:"author"`
		Authors       []struct {
			Name string `json:"name"`
		} `json:"authors"`
		Tags []string `json:"tags"`
	} `json:"items"`
}

// parseIDs parses a document of format f and returns its item ids in order.
// RSS and Atom must be well-formed XML, JSON valid JSON with an id per item.
func parseIDs(t *testing.T, f format, body []byte) []string {
	t.Helper()
	var ids []string
	switch f {
	case formatRSS:
		var doc rssParsed
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("rss: %v\n%s", err, body)
		}
		for _, it := range doc.Channel.Items {
			if it.GUID.IsPermaLink != "false" {
				t.Errorf("guid isPermaLink = %q, want false", it.GUID.IsPermaLink)
			}
			ids = append(ids, it.GUID.ID)
		}
	case formatAtom:
		var doc atomParsed
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("atom: %v\n%s", err, body)
		}
		for _, e := range doc.Entries {
			ids = append(ids, e.ID)
		}
	case formatJSON:
		var doc jsonParsed
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("json: %v\n%s", err, body)
		}
		for i, it := range doc.Items {
			if it.ID == nil || *it.ID == "" {
				t.Fatalf("json item %d has no id", i)
			}
			ids = append(ids, *it.ID)
		}
	default:
		panic(fmt.Sprint("unknown format ", f))
	}
	return ids
}
