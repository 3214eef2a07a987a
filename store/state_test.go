package store

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestFeedStateRhythmRoundTrip: a state with a learnt rhythm and the delay
// chosen last comes back unchanged after the store is closed and opened
// again, and a state written before these fields existed still decodes.
func TestFeedStateRhythmRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rhythm := make([]byte, 377)
	for i := range rhythm {
		rhythm[i] = byte(i * 7)
	}
	want := FeedState{ETag: `"x"`, NextPoll: t0.Add(time.Hour), Rhythm: rhythm,
		PollInterval: 17 * time.Minute, PollReason: "learnt: busy hour"}
	old := []byte(`{"etag":"\"o\"","next_poll":"2026-01-02T03:04:05Z","failures":2,"ttl":600000000000}`)
	if err := db.SaveStates(context.Background(), map[string]FeedState{"new": want}); err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketFeeds).Put([]byte("old"), old) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path, Options{})
	got, err := db.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g := got["new"]
	if !bytes.Equal(g.Rhythm, want.Rhythm) || g.PollInterval != want.PollInterval || g.PollReason != want.PollReason ||
		!g.NextPoll.Equal(want.NextPoll) {
		t.Errorf("state after reopening = %+v; want %+v", g, want)
	}
	o := got["old"]
	if o.ETag != `"o"` || o.Failures != 2 || o.TTL != 10*time.Minute || o.Rhythm != nil || o.PollReason != "" {
		t.Errorf("state written before rhythms = %+v", o)
	}
	// The rhythm costs its base64 text in the stored JSON, nothing more.
	b, err := json.Marshal(FeedState{Rhythm: rhythm})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 4*377/3+30 {
		t.Errorf("a state holding only a rhythm takes %d bytes", len(b))
	}
}
