package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestOutbox follows items through the outbox of two deliveries: entries
// written with the items, batches formed once and kept until acknowledged
// (across a reopen), a merge that brings an item into a delivery's rule.
func TestOutbox(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	clk := &clock{now: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	// "hook" wants every item; "tuoitre" only items tuoitre carried.
	enqueue := func(it, before *Item) []string {
		var names []string
		if before == nil {
			names = append(names, "hook")
		}
		if it.HasFeed("tuoitre") && (before == nil || !before.HasFeed("tuoitre")) {
			names = append(names, "tuoitre")
		}
		return names
	}
	opts := Options{Now: clk.Now, Enqueue: enqueue}
	db, err := Open(path, opts) // closed below, then opened again
	if err != nil {
		t.Fatal(err)
	}
	states, err := db.Deliveries(ctx, []string{"hook", "tuoitre"}, clk.now)
	if err != nil || !states["hook"].Since.Equal(clk.now) || states["hook"].Pending != 0 {
		t.Fatalf("Deliveries = %+v, %v", states, err)
	}
	pub := clk.now.Add(-time.Hour)
	for i := range 5 {
		mustAdd(t, db, "sggp", incoming(fmt.Sprintf("Tin số %d của SGGP", i), fmt.Sprintf("s%d", i), fmt.Sprintf("https://sggp.example/%d", i), pub))
		clk.advance(time.Second)
	}
	// tuoitre carries story 0 (same link): it joins; it is not new.
	mustAdd(t, db, "tuoitre", incoming("Tin số 0 của SGGP", "t0", "https://sggp.example/0", pub))

	ids := func(b *Batch) []string {
		var titles []string
		for _, id := range b.Items {
			it, err := db.Get(ctx, id)
			if err != nil || it == nil {
				t.Fatalf("Get(%s) = %v, %v", id, it, err)
			}
			titles = append(titles, it.Title)
		}
		return titles
	}
	n := 0
	newID := func() string { n++; return fmt.Sprintf("b%d", n) }

	b, err := db.NextBatch(ctx, "hook", 3, newID, clk.now)
	if err != nil || b == nil || b.ID != "b1" {
		t.Fatalf("NextBatch = %+v, %v", b, err)
	}
	if got, want := ids(b), []string{"Tin số 0 của SGGP", "Tin số 1 của SGGP", "Tin số 2 của SGGP"}; !slices.Equal(got, want) {
		t.Errorf("first batch %q, want %q", got, want)
	}
	// Not acknowledged: the same batch again, also after a reopen.
	if err := db.Failed(ctx, "hook", errors.New("503 Service Unavailable")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path, opts)
	again, err := db.NextBatch(ctx, "hook", 3, newID, clk.now)
	if err != nil || again.ID != "b1" || !slices.Equal(again.Items, b.Items) || again.Retries != 1 {
		t.Fatalf("after a failure and a reopen NextBatch = %+v, %v; want batch b1 again with 1 retry", again, err)
	}
	states, err = db.DeliveryStates(ctx)
	if err != nil || states["hook"].Pending != 2 || states["hook"].Failures != 1 || states["hook"].LastError == "" {
		t.Errorf("states = %+v, %v", states, err)
	}
	if err := db.Ack(ctx, "hook", "b0", 3, clk.now); !errors.Is(err, ErrNoBatch) {
		t.Errorf("Ack of another batch: %v, want ErrNoBatch", err)
	}
	if err := db.Ack(ctx, "hook", "b1", 3, clk.now); err != nil {
		t.Fatal(err)
	}
	b, err = db.NextBatch(ctx, "hook", 3, newID, clk.now)
	if err != nil || b.ID != "b2" || len(b.Items) != 2 {
		t.Fatalf("second batch %+v, %v; want b2 with the 2 items left", b, err)
	}
	if err := db.Ack(ctx, "hook", "b2", 2, clk.now); err != nil {
		t.Fatal(err)
	}
	if b, err := db.NextBatch(ctx, "hook", 3, newID, clk.now); b != nil || err != nil {
		t.Errorf("NextBatch with nothing pending = %+v, %v; want nil", b, err)
	}
	states, _ = db.DeliveryStates(ctx)
	if st := states["hook"]; st.Sent != 5 || st.Failures != 0 || st.LastError != "" || st.Pending != 0 {
		t.Errorf("hook state %+v; want 5 sent, no failure, nothing pending", st)
	}

	// tuoitre's delivery has the one story tuoitre joined.
	b, err = db.NextBatch(ctx, "tuoitre", 0, newID, clk.now)
	if err != nil || b == nil || !slices.Equal(ids(b), []string{"Tin số 0 của SGGP"}) {
		t.Fatalf("tuoitre batch %+v, %v", b, err)
	}

	// A delivery no longer configured loses its outbox; configured again, it starts afresh.
	mustAdd(t, db, "tuoitre", incoming("Tin riêng của Tuổi Trẻ", "t1", "https://tuoitre.example/1", pub))
	clk.advance(time.Hour)
	if _, err := db.Deliveries(ctx, []string{"hook"}, clk.now); err != nil {
		t.Fatal(err)
	}
	states, err = db.Deliveries(ctx, []string{"hook", "tuoitre"}, clk.now)
	if st := states["tuoitre"]; err != nil || st.Pending != 0 || st.Batch != nil || !st.Since.Equal(clk.now) {
		t.Errorf("tuoitre configured again: %+v, %v; want a fresh state since now", st, err)
	}
}
