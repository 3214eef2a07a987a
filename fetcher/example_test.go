package fetcher_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/store"
)

// A poller fetches a feed once, stores its items, and finds nothing new the
// second time.
func ExamplePoller_Once() {
	dir, err := os.MkdirTemp("", "pressfeed-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	feed := filepath.Join(dir, "feed.xml")
	doc := `<rss version="2.0"><channel><title>Báo Thử</title><link>https://bao.example/</link><description>d</description>
<item><title>Mưa lớn gây ngập ở Thủ Đức</title><link>https://bao.example/mua.html</link><pubDate>27/11/2026 10:00</pubDate></item>
</channel></rss>`
	if err := os.WriteFile(feed, []byte(doc), 0o600); err != nil {
		fmt.Println(err)
		return
	}
	db, err := store.Open(filepath.Join(dir, "pressfeed.db"), store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	p := fetcher.NewPoller(db, fetcher.Options{
		Feeds:    []fetcher.Feed{{Name: "bao-thu", URL: "file://" + feed}},
		Location: hcm, // dates without a zone are in the feed's zone
	})
	report := func(r fetcher.Report) {
		fmt.Printf("%s: %d new, not modified %v, err %v\n", r.Feed, r.Result.Added, r.NotModified, r.Err)
	}
	for range 2 {
		if err := p.Once(context.Background(), nil, report); err != nil {
			fmt.Println(err)
		}
	}
	items, _ := db.Latest(context.Background(), 1, nil)
	fmt.Println(items[0].Title, items[0].Published.Format(time.RFC3339))
	// Output:
	// bao-thu: 1 new, not modified false, err <nil>
	// bao-thu: 0 new, not modified true, err <nil>
	// Mưa lớn gây ngập ở Thủ Đức 2026-11-27T03:00:00Z
}
