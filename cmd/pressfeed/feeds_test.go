package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

const feedsConfig = `
[server]
listen = %q
[store]
path = %q
[[feeds]]
name = "ok-feed"
url = "https://a.example/rss"
[[feeds]]
name = "bad-feed"
url = "https://b.example/rss"
[[feeds]]
name = "new-feed"
url = "https://c.example/rss"
[[feeds]]
name = "flaky-feed"
url = "https://d.example/rss"
`

func feedsTestConfig(t *testing.T, listen string) (cfgPath, dbPath string) {
	t.Helper()
	dbPath = filepath.Join(t.TempDir(), "p.db")
	return writeFile(t, fmt.Sprintf(feedsConfig, listen, dbPath)), dbPath
}

// TestFeedsFromStore: with the daemon stopped, feeds reads the states from
// the store file: one row per configured feed, failures and their errors,
// in the health words of /status.json (publisher.Health), and the next
// polls as the stored schedule the daemon resumes, not as a countdown.
func TestFeedsFromStore(t *testing.T) {
	cfgPath, dbPath := feedsTestConfig(t, "127.0.0.1:1")
	db, err := store.Open(dbPath, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh") // fetch.timezone's default
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	nextPoll := now.Add(10 * time.Minute).Truncate(time.Second)
	states := map[string]store.FeedState{
		"ok-feed":    {LastFetch: now.Add(-5 * time.Minute), LastSuccess: now.Add(-5 * time.Minute), Items: 42, NextPoll: nextPoll},
		"bad-feed":   {LastFetch: now.Add(-time.Hour), LastSuccess: now.Add(-50 * time.Hour), Failures: 3, LastError: "fetch bad-feed: status 503\nService Unavailable", Items: 7},
		"flaky-feed": {LastFetch: now.Add(-time.Hour), LastSuccess: now.Add(-2 * time.Hour), Failures: 1, LastError: "timeout", NextPoll: now.Add(-time.Minute)},
	}
	for name, want := range map[string]string{"ok-feed": "ok", "bad-feed": "down", "flaky-feed": "failing", "new-feed": "never"} {
		if got := publisher.Health(states[name]); got != want {
			t.Fatalf("publisher.Health(%s) = %q, want %q: the table below assumes it", name, got, want)
		}
	}
	err = db.SaveStates(context.Background(), states)
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"feeds", "-config", cfgPath}, &out, &out); err != nil {
		t.Fatalf("feeds: %v\n%s", err, out.String())
	}
	for _, want := range [][]string{
		{"NEXT POLL (STORED SCHEDULE)"},
		{"ok-feed", "ok", "5m ago", "42", nextPoll.In(loc).Format("15:04")},
		{"bad-feed", "down (3)", "2d2h ago", "7", "at daemon start", "fetch bad-feed: status 503 Service Unavailable"},
		{"flaky-feed", "failing (1)", "2h0m ago", "at daemon start", "timeout"},
		{"new-feed", "never fetched", "never", "0", "at daemon start"},
		{"4 feeds: 1 ok, 1 failing, 1 down, 1 never fetched (from the store " + dbPath + ")"},
	} {
		if !logHas(out.String(), want...) {
			t.Errorf("no line with %q in:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "in 10m") || strings.Contains(out.String(), " due ") {
		t.Errorf("a stopped daemon's schedule shown as running:\n%s", out.String())
	}
}

// TestFeedsWhileDaemonRuns: when the daemon holds the store, feeds asks its
// /status.json (a list or an object of feeds), and says so plainly when
// that is not available.
func TestFeedsWhileDaemonRuns(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		want       []string
		wantErr    string
	}{
		{"list", `{"feeds":[{"name":"new-feed"},{"name":"ok-feed","items":9,"last_success":"2020-01-01T00:00:00Z"}]}`, 200,
			[]string{"ok-feed", "ok", "9"}, ""},
		{"object", `{"feeds":{"bad-feed":{"failures":2,"last_error":"timeout"}}}`, 200,
			[]string{"bad-feed", "failing (2)", "timeout"}, ""},
		{"health verdict", `{"feeds":[{"name":"bad-feed","health":"down","failures":9,"last_error":"gone"}]}`, 200,
			[]string{"bad-feed", "down (9)", "gone"}, ""},
		{"no status route", "404 page not found", 404, nil, "the running daemon holds the store"},
		{"not json", "<html>", 200, nil, "the running daemon holds the store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/status.json" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer ts.Close()
			cfgPath, dbPath := feedsTestConfig(t, strings.TrimPrefix(ts.URL, "http://"))
			db, err := store.Open(dbPath, store.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close() // holds the lock, as the daemon does
			var out bytes.Buffer
			err = run(context.Background(), []string{"feeds", "-config", cfgPath}, &out, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("feeds = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !logHas(out.String(), tt.want...) || !strings.Contains(out.String(), "from the running daemon") {
				t.Errorf("no line with %q (from the running daemon) in:\n%s", tt.want, out.String())
			}
		})
	}
}

// TestFeedsWithoutStore: with no store file and no daemon answering, feeds
// says where it looked and creates nothing.
func TestFeedsWithoutStore(t *testing.T) {
	cfgPath, dbPath := feedsTestConfig(t, "127.0.0.1:1")
	err := run(context.Background(), []string{"feeds", "-config", cfgPath}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no store at "+dbPath) {
		t.Errorf("feeds = %v, want an error naming %s", err, dbPath)
	}
	if _, serr := os.Stat(dbPath); serr == nil {
		t.Errorf("feeds created %s", dbPath)
	}
}

func TestStatusURL(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080/status.json"},
		{"0.0.0.0:80", "http://127.0.0.1:80/status.json"},
		{":8080", "http://127.0.0.1:8080/status.json"},
		{"[::]:8080", "http://[::1]:8080/status.json"},
	}
	for _, tt := range tests {
		if got := statusURL(tt.listen); got != tt.want {
			t.Errorf("statusURL(%q) = %q, want %q", tt.listen, got, tt.want)
		}
	}
}

func TestDiffFeeds(t *testing.T) {
	old := []feedConfig{{Name: "a", URL: "u"}, {Name: "b", URL: "u"}, {Name: "c", URL: "u", Tags: []string{"x"}}}
	cur := []feedConfig{{Name: "a", URL: "u"}, {Name: "c", URL: "u", Tags: []string{"y"}}, {Name: "d", URL: "u"}}
	added, removed, changed := diffFeeds(old, cur)
	if strings.Join(added, ",") != "d" || strings.Join(removed, ",") != "b" || strings.Join(changed, ",") != "c" {
		t.Errorf("diffFeeds = added %q, removed %q, changed %q; want d, b, c", added, removed, changed)
	}
}
