package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressfeed/pressfeed/store"
)

// fetchOutputConfig writes a config with feeds a (RSS), b (Atom) and c
// (404), and returns its path and the store path.
func fetchOutputConfig(t *testing.T) (cfgPath, dbPath string) {
	t.Helper()
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)
	dir := t.TempDir()
	cfgPath = writeConfig(t, dir, freeAddr(t), map[string]string{
		"a": serveDoc(t, "application/rss+xml", rssA()),
		"b": serveDoc(t, "application/atom+xml; charset=utf-8", atomB()),
		"c": gone.URL + "/rss",
	})
	return cfgPath, filepath.Join(dir, "data", "pressfeed.db")
}

// TestFetchOutput: fetch writes one line per feed and the summary to
// stdout, nothing of it to stderr, with singular and plural right.
func TestFetchOutput(t *testing.T) {
	cfgPath, _ := fetchOutputConfig(t)
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-config", cfgPath, "fetch"}, &stdout, &stderr); err != nil {
		t.Fatalf("fetch: %v\n%s", err, stderr.String())
	}
	for _, want := range [][]string{{"a\tok\t"}, {"b\tok\t"}, {"c\tfailed\t"}, {"fetched 3 feeds: ", " new items, ", "1 failed"}} {
		if !logHas(stdout.String(), want...) {
			t.Errorf("stdout has no line with %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stderr.String(), "fetched") || strings.Contains(stderr.String(), "\tok\t") {
		t.Errorf("stderr carries the report:\n%s", stderr.String())
	}

	stdout.Reset()
	if err := run(context.Background(), []string{"-config", cfgPath, "fetch", "a"}, &stdout, &stderr); err != nil {
		t.Fatalf("fetch a: %v", err)
	}
	if !strings.Contains(stdout.String(), "fetched 1 feed: 0 new items, 0 merged, 0 failed\n") {
		t.Errorf("one feed fetched, summary:\n%s", stdout.String())
	}
}

// TestFetchOutputOnTerminal: with a progress bar (stderr on a terminal),
// every feed still gets its line on stdout, the bar stays on the progress
// writer and is cleared at the end.
func TestFetchOutputOnTerminal(t *testing.T) {
	cfgPath, dbPath := fetchOutputConfig(t)
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dbPath, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stdout, bar bytes.Buffer
	if err := fetchOnce(context.Background(), cfg, db, []string{"a"}, slog.New(slog.DiscardHandler), &stdout, &bar); err != nil {
		t.Fatal(err)
	}
	if got, want := stdout.String(), "a\tok\t3 new"; !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "fetched 1 feed: 3 new items, 0 merged, 0 failed\n") {
		t.Errorf("stdout = %q, want the line of a (%q…) and the summary", got, want)
	}
	if !strings.Contains(bar.String(), "1/1 feeds, 3 new, 0 failed") || !strings.HasSuffix(bar.String(), "\r\033[K") {
		t.Errorf("progress = %q, want the bar at 1/1, then cleared", bar.String())
	}
	stdout.Reset()
	bar.Reset()
	if err := fetchOnce(context.Background(), cfg, db, nil, slog.New(slog.DiscardHandler), &stdout, &bar); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a\tnot modified", "b\tok\t", "c\tfailed\t", "fetched 3 feeds: "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout on a terminal lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestFetchUnknownFeedFirst: fetch with a name not in the config fails
// before it opens the store or prints a summary, and names the near miss.
func TestFetchUnknownFeedFirst(t *testing.T) {
	cfgPath, dbPath := fetchOutputConfig(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-config", cfgPath, "fetch", "a", "cc"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `no feed named "cc"; did you mean "c"?`) {
		t.Errorf("fetch a cc = %v, want no feed named \"cc\", did you mean \"c\"", err)
	}
	if stdout.Len() > 0 || stderr.Len() > 0 {
		t.Errorf("printed before failing: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Errorf("store %s exists (%v): opened before the names were checked", dbPath, err)
	}
}
