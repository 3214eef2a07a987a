package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPruneFullFile fills a file with small records and the near index to
// Options.MaxSize, first seen in an order unrelated to their IDs, and
// checks that Prune still deletes every item (in key order, which empties
// pages) and that Add works again.
func TestPruneFullFile(t *testing.T) {
	ck := &clock{now: t0}
	db, _ := openTest(t, Options{Now: ck.Now, MaxSize: 1 << 20, NearDuplicates: true})
	ctx := context.Background()
	body := strings.Repeat("Nội dung bài báo dài để làm đầy tệp. ", 40)
	stored := 0
	for i := range 10000 {
		ck.advance(time.Second)
		_, err := db.Add(ctx, "bao-a", []Incoming{{
			Item: Item{Title: fmt.Sprintf("Tin số %d trong ngày", i), Content: body, Published: ck.now},
			GUID: fmt.Sprint(i), HashKey: fmt.Sprint(i),
		}}, nil)
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		stored++
	}
	if stored == 10000 {
		t.Fatal("the file never filled")
	}
	ck.advance(time.Hour)
	if n, err := db.Prune(ctx, ck.now); err != nil || n != stored {
		t.Fatalf("prune = %d, %v; want %d", n, err, stored)
	}
	for _, b := range [][]byte{bucketItems, bucketByTime, bucketBySeen, bucketSketches} {
		if got := countBucket(t, db, b); got != 0 {
			t.Errorf("%s has %d entries after pruning everything", b, got)
		}
	}
	if got := countBucket(t, db, bucketTombs); got != stored {
		t.Errorf("tombs = %d, want %d", got, stored)
	}
	if r := mustAdd(t, db, "bao-a", incoming("Tin mới sau khi dọn dẹp", "after", "", ck.now)); r.Added != 1 {
		t.Errorf("add after prune = %+v", r)
	}
	if r := mustAdd(t, db, "bao-a", Incoming{Item: Item{Title: "Tin số 1 trong ngày", Published: ck.now}, GUID: "1", HashKey: "1"}); r.Known != 1 {
		t.Errorf("pruned item again = %+v, want known by its tomb", r)
	}
}
