package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// Two outlets carry one wire story: the headline edited, the lead the same.
const (
	wireTitleA = "Giá xăng RON 95 giảm 500 đồng mỗi lít từ 15h chiều nay"
	wireTitleB = "Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay"
	wireLead   = "Liên Bộ Công Thương - Tài chính vừa điều chỉnh giá bán lẻ xăng dầu. Từ 15h chiều nay, mỗi lít xăng RON 95 giảm 500 đồng, xăng E5 RON 92 giảm 420 đồng, dầu diesel giảm 310 đồng."
)

func wireRSS(outlet, title, lead string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%[1]s</title><link>https://%[1]s.example/</link><description>%[1]s</description>`+
		`<item><title>%[2]s</title><link>https://%[1]s.example/xang-dau.html</link><guid>%[1]s-1</guid><pubDate>Fri, 27 Nov 2026 08:00:00 +0700</pubDate><description>%[3]s</description></item>`+
		`</channel></rss>`, outlet, title, lead)
}

// adminConfig writes a config with the store at dbPath and returns its path.
func adminConfig(t *testing.T, dir, addr, dbPath string, feeds [][2]string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[server]\nlisten = %q\nbase_url = \"http://%s\"\n[store]\npath = %q\n", addr, addr, dbPath)
	b.WriteString("[fetch]\ninterval = \"1h\"\ntimeout = \"5s\"\nallow_networks = [\"127.0.0.0/8\"]\n[log]\nlevel = \"info\"\n")
	for _, f := range feeds {
		fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = %q\n", f[0], f[1])
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pressfeed runs the binary to completion and returns its exit code,
// stdout and stderr; it fails the test if that takes longer than within.
func pressfeed(t *testing.T, within time.Duration, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("pressfeed %q still running after %s", args, time.Since(start))
	}
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return code, stdout.String(), stderr.String()
}

// TestStoreCommandsWhileDaemonRuns walks the store commands through a
// daemon's life: while it runs, a second process is refused within seconds
// naming the locked file, backup and explain go through the daemon and
// compact refuses; once it stopped, all three work on the file. The backup
// opens and serves in a daemon of its own.
func TestStoreCommandsWhileDaemonRuns(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	dbPath := filepath.Join(dir, "data", "pressfeed.db")
	feeds := [][2]string{
		{"sggp", serveDoc(t, "application/rss+xml", wireRSS("sggp", wireTitleA, wireLead))},
		{"tuoitre", serveDoc(t, "application/rss+xml", wireRSS("tuoitre", wireTitleB, "TTO - "+wireLead))},
	}
	cfg := adminConfig(t, dir, addr, dbPath, feeds)
	// One feed at a time, so the leader is known: sggp first.
	if code, out, errOut := pressfeed(t, 20*time.Second, "-config", cfg, "fetch", "sggp"); code != 0 {
		t.Fatalf("fetch sggp: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := pressfeed(t, 20*time.Second, "-config", cfg, "fetch", "tuoitre"); code != 0 || !strings.Contains(out+errOut, "1 merged") {
		t.Fatalf("fetch tuoitre: exit %d, want its copy merged\n%s%s", code, out, errOut)
	}

	p := startProc(t, addr, nil, "-config", cfg, "run")
	waitListening(t, p)
	p.waitTitle(t, wireTitleA)
	if titles := p.titles(t); len(titles) != 1 {
		t.Errorf("served titles %q, want the one merged story", titles)
	}

	// A second process on the same file.
	start := time.Now()
	code, out, errOut := pressfeed(t, 10*time.Second, "-config", cfg, "fetch")
	if code != exitFailure || !strings.Contains(errOut, "locked") || !strings.Contains(errOut, dbPath) {
		t.Errorf("fetch while the daemon runs: exit %d, stderr %q; want 1, naming the locked file %s\n%s", code, errOut, dbPath, out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second process took %s to give up", d)
	}

	// backup through the daemon.
	copyPath := filepath.Join(dir, "backup", "copy.db")
	if err := os.MkdirAll(filepath.Dir(copyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = pressfeed(t, 20*time.Second, "-config", cfg, "backup", copyPath)
	if code != 0 || !strings.Contains(out, "1 items") || !strings.Contains(out, "running daemon") {
		t.Fatalf("backup while running: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if n, err := store.Verify(copyPath); err != nil || n != 1 {
		t.Errorf("Verify(backup) = %d, %v", n, err)
	}

	// explain through the daemon, by a copy's link in another form.
	code, out, errOut = pressfeed(t, 20*time.Second, "-config", cfg, "explain", "http://www.tuoitre.example/xang-dau.html?utm_source=rss")
	if code != 0 {
		t.Fatalf("explain: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("explain:\n%s", out)
	for _, want := range []string{store.IDPrefix, wireTitleA, "sggp", "first (minted the id)", "tuoitre", "near duplicate (similarity", wireTitleB, "guid tuoitre tuoitre-1", "link https://tuoitre.example/xang-dau.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}

	// report through the daemon: one story, led by sggp, carried by both.
	code, out, errOut = pressfeed(t, 20*time.Second, "-config", cfg, "report", "-from", "2000-01-01", "-to", "2100-01-01", "-format", "csv")
	if want := "group,stories_led,stories_carried,shared_stories\nsggp,1,1,1\ntuoitre,0,1,1\n"; code != 0 || out != want {
		t.Errorf("report while running: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}

	// The backup route wants loopback and the token.
	if code, _ := p.get(t, backupRoute); code != http.StatusForbidden {
		t.Errorf("GET %s without the token: %d, want 403", backupRoute, code)
	}
	if code, _, errOut := pressfeed(t, 10*time.Second, "-config", cfg, "compact"); code != exitFailure || !strings.Contains(errOut, "locked") {
		t.Errorf("compact while running: exit %d, %q; want 1, locked", code, errOut)
	}

	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("daemon exit %d\n%s", code, p.stderr.String())
	}

	// Daemon stopped: the commands use the file.
	code, out, errOut = pressfeed(t, 20*time.Second, "-config", cfg, "backup", copyPath)
	if code != 0 || !strings.Contains(out, "from "+dbPath) {
		t.Errorf("backup while stopped: exit %d, %q %q", code, out, errOut)
	}
	code, out, errOut = pressfeed(t, 20*time.Second, "-config", cfg, "compact")
	if code != 0 || !strings.Contains(out, "compacted "+dbPath) || !strings.Contains(out, "→") {
		t.Errorf("compact: exit %d, %q %q", code, out, errOut)
	}
	items, _ := store.Verify(dbPath)
	if items != 1 {
		t.Errorf("after compact %d items, want 1", items)
	}
	code, out, errOut = pressfeed(t, 20*time.Second, "-config", cfg, "explain", "https://sggp.example/xang-dau.html")
	if code != 0 || !strings.Contains(out, "near duplicate") {
		t.Errorf("explain while stopped: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := pressfeed(t, 20*time.Second, "-config", cfg, "explain", "https://nowhere.example/"); code != exitFailure || !strings.Contains(errOut, "no stored item") {
		t.Errorf("explain of an unknown link: exit %d, %q", code, errOut)
	}

	// The backup serves in a daemon of its own.
	addr2 := freeAddr(t)
	dir2 := t.TempDir()
	cfg2 := adminConfig(t, dir2, addr2, copyPath, nil)
	p2 := startProc(t, addr2, nil, "-config", cfg2, "run")
	waitListening(t, p2)
	p2.waitTitle(t, wireTitleA)
	p2.signal(t, syscall.SIGTERM)
	if code := p2.wait(t, 15*time.Second); code != 0 {
		t.Errorf("daemon on the backup: exit %d\n%s", code, p2.stderr.String())
	}
}

// waitListening waits until the daemon answers HTTP.
func waitListening(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("daemon exited before it listened on %s:\n%s", p.base, p.stderr.String())
		default:
		}
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not listening after 15s: %v\n%s", err, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBackupRoute checks who may fetch the store copy.
func TestBackupRoute(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "p.db")
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := newAdmin(db, slog.New(slog.DiscardHandler))
	tok, err := os.ReadFile(tokenPath(dbPath))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(tokenPath(dbPath)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, %v; want 0600", st.Mode(), err)
	}
	token := "Bearer " + strings.TrimSpace(string(tok))
	tests := []struct {
		name, remote, auth, forwarded string
		want                          int
	}{
		{"loopback with token", "127.0.0.1:5000", token, "", http.StatusOK},
		{"IPv6 loopback with token", "[::1]:5000", token, "", http.StatusOK},
		{"loopback without token", "127.0.0.1:5000", "", "", http.StatusForbidden},
		{"loopback, wrong token", "127.0.0.1:5000", "Bearer 00", "", http.StatusForbidden},
		{"remote with token", "203.0.113.7:5000", token, "", http.StatusNotFound},
		{"through a proxy", "127.0.0.1:5000", token, "203.0.113.7", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, backupRoute, nil)
			r.RemoteAddr = tt.remote
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if tt.forwarded != "" {
				r.Header.Set("X-Forwarded-For", tt.forwarded)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d", w.Code, tt.want)
			}
			if tt.want != http.StatusOK {
				return
			}
			if got := w.Header().Get("Content-Length"); got != fmt.Sprint(w.Body.Len()) {
				t.Errorf("Content-Length %s for %d bytes", got, w.Body.Len())
			}
			cp := filepath.Join(t.TempDir(), "copy.db")
			if err := os.WriteFile(cp, w.Body.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := store.Verify(cp); err != nil {
				t.Errorf("copy: %v", err)
			}
		})
	}
}
