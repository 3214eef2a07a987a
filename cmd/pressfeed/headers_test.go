package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// TestServedHeaders sends one request of each kind to the handler the
// daemon serves (the publisher, with the admin route, wrapped in WithHeaders): every response
// carries nosniff and a Content-Security-Policy, whoever wrote it (the
// publisher, the admin route, or the mux's own path-cleaning redirect,
// 404 and 405), and no answer names the database file.
func TestServedHeaders(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "data", "pressfeed.db")
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pub, err := publisher.NewHandler(db, publisher.Options{BaseURL: "http://127.0.0.1:8080",
		Admin: newAdmin(db, slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	h := publisher.WithHeaders(pub) // as the daemon serves it
	tok, err := os.ReadFile(tokenPath(dbPath))
	if err != nil {
		t.Fatal(err)
	}
	token := "Bearer " + strings.TrimSpace(string(tok))

	const pageCSP = "style-src 'unsafe-inline'" // the status page's own policy
	tests := []struct {
		name, method, target, remote, auth string
		wantCode                           int
		wantCSP                            string // a part of the policy
	}{
		{"feed", "GET", "/feeds/all.rss", "", "", 200, "default-src 'none'"},
		{"path-cleaning redirect", "GET", "//feeds/all.rss", "", "", http.StatusTemporaryRedirect, "default-src 'none'"},
		{"redirect of dot segments", "GET", "/feeds/../feeds/all.atom", "", "", http.StatusTemporaryRedirect, "default-src 'none'"},
		{"HEAD redirect", "HEAD", "//feeds/all.json", "", "", http.StatusTemporaryRedirect, "default-src 'none'"},
		{"unknown output", "GET", "/feeds/nope.rss", "", "", 404, "default-src 'none'"},
		{"unknown route", "GET", "/nope", "", "", 404, "default-src 'none'"},
		{"bad query", "GET", "/feeds/all.rss?limit=x", "", "", 400, "default-src 'none'"},
		{"wrong method", "POST", "/feeds/all.rss", "", "", 405, "default-src 'none'"},
		{"status page", "GET", "/", "", "", 200, pageCSP},
		{"healthz", "GET", "/healthz", "", "", 200, "default-src 'none'"},
		{"admin from afar", "GET", backupRoute, "203.0.113.7:5000", token, 404, "default-src 'none'"},
		{"admin without token", "GET", backupRoute, "127.0.0.1:5000", "", 403, "default-src 'none'"},
		{"admin, wrong token", "GET", backupRoute, "127.0.0.1:5000", "Bearer 00", 403, "default-src 'none'"},
		{"admin with token", "GET", backupRoute, "127.0.0.1:5000", token, 200, "default-src 'none'"},
		{"admin, wrong method", "POST", backupRoute, "127.0.0.1:5000", token, 404, "default-src 'none'"},
		{"admin redirect", "GET", "/admin//backup", "127.0.0.1:5000", token, http.StatusTemporaryRedirect, "default-src 'none'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.remote != "" {
				r.RemoteAddr = tt.remote
			}
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantCode {
				t.Fatalf("%s %s: %d, want %d", tt.method, tt.target, w.Code, tt.wantCode)
			}
			hd := w.Result().Header
			if got := hd.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want one nosniff", got)
			}
			csp := hd.Values("Content-Security-Policy")
			if len(csp) != 1 || !strings.Contains(csp[0], tt.wantCSP) {
				t.Errorf("Content-Security-Policy = %q, want one holding %q", csp, tt.wantCSP)
			}
			if strings.HasPrefix(hd.Get("Content-Type"), "text/html") && len(csp) == 1 && !strings.Contains(csp[0], "default-src 'none'") {
				t.Errorf("HTML body under the policy %q, want default-src 'none'", csp[0])
			}
			if tt.wantCode >= 300 && tt.wantCode < 400 && hd.Get("Location") == "" {
				t.Errorf("redirect without Location")
			}
			if tt.wantCode != 200 || tt.target != backupRoute {
				if body := w.Body.String(); strings.Contains(body, dir) || strings.Contains(body, "pressfeed.db") {
					t.Errorf("body %q names the database file", body)
				}
			}
		})
	}
}
