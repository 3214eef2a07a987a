package publisher_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

func ExampleNewHandler() {
	dir, err := os.MkdirTemp("", "pressfeed-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "pressfeed.db"), store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	// The fetcher stores what it fetched...
	link := "https://vnexpress.net/tp-hcm-khai-truong-metro-so-1-4890001.html"
	_, err = db.Add(context.Background(), "vnexpress", []store.Incoming{{
		Item:    store.Item{Title: "TP Hồ Chí Minh khai trương tuyến metro số 1", Link: link, Published: time.Now()},
		GUID:    "4890001",
		LinkKey: link,
	}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}

	// ...and the publisher serves it as merged feeds.
	h, err := publisher.NewHandler(db, publisher.Options{
		BaseURL: "https://tin.example.vn",
		Outputs: []publisher.Output{{Name: "tphcm", Title: "Tin TP.HCM", Include: []string{"ho chi minh"}}},
		Feeds:   []publisher.Feed{{Name: "vnexpress", Title: "VnExpress", URL: "https://vnexpress.net/rss/tin-moi-nhat.rss"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/feeds/tphcm.json", nil))
	var feed struct {
		FeedURL string `json:"feed_url"`
		Items   []struct {
			Title string   `json:"title"`
			Tags  []string `json:"tags"`
		} `json:"items"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &feed); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(feed.FeedURL)
	for _, it := range feed.Items {
		fmt.Println(it.Title, it.Tags)
	}
	// Output:
	// 200 application/feed+json; charset=utf-8
	// https://tin.example.vn/feeds/tphcm.json
	// TP Hồ Chí Minh khai trương tuyến metro số 1 [VnExpress]
}
