package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestParsingMarks checks the in-flight marks kept beside the file: a mark
// shows as FeedState.Parsing, in this process and in the next one after a
// crash; a committed state without a mark ends it, as UnmarkParsing does;
// the file stays small however many marks come and go, and goes at Close
// when no mark is left; a store only read never has one.
func TestParsingMarks(t *testing.T) {
	ctx := context.Background()
	ck := &clock{now: t0}
	db, path := openTest(t, Options{Now: ck.Now})
	marks := path + ".parsing"
	at := t0.Add(time.Minute)
	if err := db.MarkParsing("bao", at); err != nil {
		t.Fatal(err)
	}
	parsing := func(db *DB, feed string) time.Time {
		t.Helper()
		states, err := db.FeedStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return states[feed].Parsing
	}
	if got := parsing(db, "bao"); !got.Equal(at) {
		t.Errorf("Parsing = %v, want %v", got, at)
	}

	// A crash: the store file and the marks file as they are.
	dir := t.TempDir()
	crashed := filepath.Join(dir, "pressfeed.db")
	f, err := os.Create(crashed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crashed+".parsing", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := parsing(openAt(t, crashed, Options{Now: ck.Now}), "bao"); !got.Equal(at) {
		t.Errorf("after a crash, Parsing = %v, want %v", got, at)
	}

	// A state committed without a mark ends it: SaveStates', Add's.
	if err := db.SaveStates(ctx, map[string]FeedState{"bao": {ETag: `"e1"`}}); err != nil {
		t.Fatal(err)
	}
	if got := parsing(db, "bao"); !got.IsZero() {
		t.Errorf("after SaveStates, Parsing = %v, want none", got)
	}
	if err := db.MarkParsing("tin", at); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Add(ctx, "tin", []Incoming{incoming("Tin sáng nay", "g1", "https://tin.example/1", t0)}, &FeedState{}); err != nil {
		t.Fatal(err)
	}
	if got := parsing(db, "tin"); !got.IsZero() {
		t.Errorf("after Add with the state, Parsing = %v, want none", got)
	}

	// Many marks come and go: the file is rewritten, holding the marks
	// left.
	if err := db.MarkParsing("dai", at); err != nil {
		t.Fatal(err)
	}
	for range 3000 {
		if err := db.MarkParsing("bao-ngay", at); err != nil {
			t.Fatal(err)
		}
		if err := db.UnmarkParsing("bao-ngay"); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(marks); err != nil || fi.Size() > parsingCompactAt+200 {
		t.Errorf("marks file after 3000 marks: %v, %v; want at most %d bytes", fi.Size(), err, parsingCompactAt+200)
	}
	if got := parsing(db, "dai"); !got.Equal(at) {
		t.Errorf("a mark across rewrites: Parsing = %v, want %v", got, at)
	}

	// Close removes the file once no mark is left; a store only read
	// never creates one.
	for _, mark := range []bool{true, false} {
		p := filepath.Join(t.TempDir(), "pressfeed.db")
		other, err := Open(p, Options{Now: ck.Now})
		if err != nil {
			t.Fatal(err)
		}
		if mark {
			if err := errors.Join(other.MarkParsing("bao", at), other.UnmarkParsing("bao")); err != nil {
				t.Fatal(err)
			}
		}
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(p + ".parsing"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("marked %v: after Close, marks file: %v; want none", mark, err)
		}
	}
}
