package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestWalk(t *testing.T) {
	c := &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	db, _ := openTest(t, Options{Now: c.Now})
	base := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	var in []Incoming
	for i := range 5 {
		in = append(in, incoming(fmt.Sprintf("Tin số %d về chuyện %c", i, 'a'+i), fmt.Sprint(i),
			fmt.Sprintf("https://bao.example/%d", i), base.Add(time.Duration(i)*time.Hour)))
	}
	// Two items published at the same instant: ties go by id.
	in = append(in, incoming("Tin cùng giờ", "tie", "https://bao.example/tie", base.Add(2*time.Hour)))
	mustAdd(t, db, "bao", in...)
	all, err := db.Latest(context.Background(), 100, nil)
	if err != nil || len(all) != 6 {
		t.Fatalf("Latest: %d items, %v", len(all), err)
	}
	walk := func(published time.Time, id string, stop int) []string {
		t.Helper()
		var ids []string
		err := db.Walk(context.Background(), published, id, func(it *Item) bool {
			ids = append(ids, it.ID)
			return len(ids) < stop
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	var want []string
	for _, it := range all {
		want = append(want, it.ID)
	}
	if got := walk(time.Time{}, "", 100); !slices.Equal(got, want) {
		t.Errorf("Walk from the top = %v, want Latest's order %v", got, want)
	}
	for i, it := range all {
		if got := walk(it.Published, it.ID, 100); !slices.Equal(got, want[i+1:]) {
			t.Errorf("Walk after item %d = %v, want %v", i, got, want[i+1:])
		}
	}
	if got := walk(time.Time{}, "", 2); !slices.Equal(got, want[:2]) {
		t.Errorf("Walk stopped after 2 = %v, want %v", got, want[:2])
	}
	// A position between items, and one past every item.
	if got := walk(base.Add(90*time.Minute), "", 100); !slices.Equal(got, want[len(want)-2:]) {
		t.Errorf("Walk from 09:30 = %v, want %v", got, want[len(want)-2:])
	}
	if got := walk(base.Add(48*time.Hour), "", 100); !slices.Equal(got, want) {
		t.Errorf("Walk from the future = %v, want all", got)
	}
	if got := walk(base.Add(-time.Hour), "", 100); len(got) != 0 {
		t.Errorf("Walk from before the oldest = %v, want none", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Walk(ctx, time.Time{}, "", func(*Item) bool { return true }); err == nil {
		t.Error("Walk with a canceled context succeeded")
	}
}
