package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// TestWithHeaders puts a ServeMux in front of a Handler, as the daemon
// does: the mux's own answers (path-cleaning redirects with their HTML
// bodies, 404, 405) carry nosniff and the policy too, and the status page
// keeps its own policy.
func TestWithHeaders(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{})
	mux := http.NewServeMux()
	mux.Handle("/", &Handler{h})
	mux.HandleFunc("GET /admin/x", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") })
	front := WithHeaders(mux)
	tests := []struct {
		method, target string
		code           int
		csp            string
	}{
		{"GET", "/feeds/all.rss", 200, cspDocument},
		{"GET", "//feeds/all.rss", http.StatusTemporaryRedirect, cspDocument},
		{"GET", "/admin//x", http.StatusTemporaryRedirect, cspDocument},
		{"GET", "/admin/x", 200, cspDocument},
		{"POST", "/feeds/all.rss", http.StatusMethodNotAllowed, cspDocument},
		{"GET", "/feeds/nope.atom", 404, cspDocument},
		{"GET", "/feeds/all.atom?limit=-1", 400, cspDocument},
		{"GET", "/", 200, cspPage},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := get(front, tt.method, tt.target)
			if w.Code != tt.code {
				t.Fatalf("code %d, want %d", w.Code, tt.code)
			}
			hd := w.Result().Header
			if got := hd.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := hd.Values("Content-Security-Policy"); len(got) != 1 || got[0] != tt.csp {
				t.Errorf("Content-Security-Policy = %q, want %q", got, tt.csp)
			}
			if tt.code == http.StatusTemporaryRedirect && !strings.HasPrefix(hd.Get("Content-Type"), "text/html") {
				t.Errorf("redirect body %q, want the mux's HTML", hd.Get("Content-Type"))
			}
		})
	}
}

// TestHealthNamesNoFile fills the store to its MaxSize: /healthz says the
// store is full, and names no file.
func TestHealthNamesNoFile(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "pressfeed.db"), store.Options{MaxSize: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := newHandler(db, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("Nội dung bài báo dài để làm đầy tệp. ", 40)
	var full error
	for i := 0; i < 5000 && full == nil; i++ {
		in := incoming(fmt.Sprint("g", i), fmt.Sprintf("tin số %d", i), store.Item{
			Title: fmt.Sprintf("Tin số %d", i), Link: fmt.Sprintf("https://a.example/%d", i), Content: body,
			Published: time.Date(2025, 6, 1, 8, 0, i, 0, time.UTC)})
		_, full = db.Add(context.Background(), "a", []store.Incoming{in}, &store.FeedState{})
	}
	if !errors.Is(full, store.ErrFull) || !strings.Contains(full.Error(), dir) {
		t.Fatalf("filling the store: %v, want ErrFull naming the file", full)
	}
	w := get(h, http.MethodGet, "/healthz")
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != "store: database is full\n" {
		t.Errorf("healthz: %d %q, want 503 %q", w.Code, w.Body, "store: database is full\n")
	}
}
