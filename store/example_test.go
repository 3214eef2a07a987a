package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// Two outlets carry the same story under different links and GUIDs; the
// store keeps it once, led by the first, and names both.
func Example() {
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

	ctx := context.Background()
	published := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	story := func(guid, link string) store.Incoming {
		return store.Incoming{
			Item:     store.Item{Title: "Khởi công tuyến metro số 2", Link: link, Published: published},
			GUID:     guid,
			LinkKey:  "https://bao-a.example/metro-2.html", // the canonical link of both
			TitleKey: "khởi công tuyến metro số 2",
		}
	}
	r1, _ := db.Add(ctx, "bao-a", []store.Incoming{story("a-1", "https://www.bao-a.example/metro-2.html")}, nil)
	r2, _ := db.Add(ctx, "bao-b", []store.Incoming{story("b-9", "http://bao-a.example/metro-2.html?utm_source=rss")}, nil)
	r3, _ := db.Add(ctx, "bao-b", []store.Incoming{story("b-9", "http://bao-a.example/metro-2.html?utm_source=rss")}, nil)
	fmt.Printf("added %d, merged %d, then known %d\n", r1.Added, r2.Merged, r3.Known)

	items, _ := db.Latest(ctx, 10, nil)
	for _, it := range items {
		fmt.Println(it.Title, "—", len(it.Members), "outlets, led by", it.Leader())
	}
	// Output:
	// added 1, merged 1, then known 1
	// Khởi công tuyến metro số 2 — 2 outlets, led by bao-a
}
