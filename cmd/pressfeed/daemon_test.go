package main

// Tests that run the real binary as systemd would: a unixgram socket as
// $NOTIFY_SOCKET, signals for reload and stop, exit codes.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the pressfeed binary built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pressfeed-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "pressfeed")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain: the go command is not on PATH:", err)
		return 1
	}
	// -buildvcs=auto: stamp the commit from a git checkout even where GOFLAGS turns it off.
	build := exec.Command(goCmd, "build", "-buildvcs=auto", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "TestMain: go build:", err)
		return 1
	}
	return m.Run()
}

// lockedBuffer collects a child's stderr while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// notifySocket is what systemd listens on for sd_notify messages.
type notifySocket struct {
	path string
	msgs chan string
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &notifySocket{path: path, msgs: make(chan string, 1024)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(s.msgs)
				return
			}
			s.msgs <- string(buf[:n])
		}
	}()
	return s
}

// expect waits for a message holding the line want, skipping others (such
// as WATCHDOG=1), and returns it.
func (s *notifySocket) expect(t *testing.T, want string, within time.Duration) string {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				t.Fatalf("notify socket closed while waiting for %s", want)
			}
			for _, line := range strings.Split(m, "\n") {
				if line == want {
					return m
				}
			}
		case <-timeout:
			t.Fatalf("no %s on the notify socket within %s", want, within)
		}
	}
}

// proc is a running pressfeed.
type proc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{}
	base   string
}

// startProc starts the binary with args and extra environment variables.
// The test's cleanup kills it if it is still running.
func startProc(t *testing.T, addr string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "STATE_DIRECTORY", "CONFIGURATION_DIRECTORY":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, env...)
	p := &proc{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{}), base: "http://" + addr}
	cmd.Stderr = p.stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("pressfeed still running after %s; stderr:\n%s", within, p.stderr.String())
		return -1
	}
}

func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		select {
		case <-p.done:
			t.Fatalf("signal %v: pressfeed had already exited (%v); stderr:\n%s", sig, p.cmd.ProcessState, p.stderr.String())
		default:
			t.Fatalf("signal %v: %v", sig, err)
		}
	}
}

// get returns the status and body of GET path.
func (p *proc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// titles returns the titles of /feeds/all.json.
func (p *proc) titles(t *testing.T) []string {
	t.Helper()
	code, body := p.get(t, "/feeds/all.json")
	if code != http.StatusOK {
		t.Fatalf("GET /feeds/all.json: %d %s", code, body)
	}
	var doc jsonDocument
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("/feeds/all.json: %v", err)
	}
	var out []string
	for _, it := range doc.Items {
		out = append(out, it.Title)
	}
	return out
}

// waitTitle polls /feeds/all.json until an item titled title appears.
func (p *proc) waitTitle(t *testing.T, title string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := p.titles(t)
		for _, g := range got {
			if g == title {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no item %q in /feeds/all.json after 15s; have %q; stderr:\n%s", title, got, p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLog waits until one line of the process's stderr holds every part:
// the lines reach the test through a pipe, a little after the process
// wrote them.
func (p *proc) waitLog(t *testing.T, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !logHas(p.stderr.String(), parts...) {
		if time.Now().After(deadline) {
			t.Errorf("no log line with %q within 5s:\n%s", parts, p.stderr.String())
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// probe requests paths in turn until stopped, then returns the number of
// requests and the failures (an error or a status other than 200).
func probe(base string, paths ...string) (stop func() (int, []string)) {
	done := make(chan struct{})
	result := make(chan struct {
		n   int
		bad []string
	}, 1)
	go func() {
		c := &http.Client{Timeout: 5 * time.Second}
		n := 0
		var bad []string
		for {
			select {
			case <-done:
				result <- struct {
					n   int
					bad []string
				}{n, bad}
				return
			default:
			}
			path := paths[n%len(paths)]
			n++
			resp, err := c.Get(base + path)
			if err != nil {
				bad = append(bad, path+": "+err.Error())
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				bad = append(bad, fmt.Sprintf("%s: %s", path, resp.Status))
			}
		}
	}()
	return func() (int, []string) {
		close(done)
		r := <-result
		return r.n, r.bad
	}
}

// daemonConfig writes a config for a daemon on addr with feeds (name →
// URL) and returns its path. extra is appended as is.
func daemonConfig(t *testing.T, dir, addr string, feeds [][2]string, extra string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[server]\nlisten = %q\nbase_url = \"http://%s\"\n", addr, addr)
	b.WriteString("[store]\npath = \"data/pressfeed.db\"\n")
	b.WriteString("[fetch]\ninterval = \"1h\"\ntimeout = \"5s\"\nallow_networks = [\"127.0.0.0/8\"]\n[log]\nlevel = \"info\"\n")
	for _, f := range feeds {
		fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = %q\ntags = [\"tin-%s\"]\n", f[0], f[1], f[0])
	}
	b.WriteString(extra)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path+".tmp", []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil { // as an editor saves: never half a file
		t.Fatal(err)
	}
	return path
}

// TestDaemonUnderSystemd runs the daemon as systemd does and walks it
// through its life: READY once serving, WATCHDOG while healthy, a reload
// that adds a feed (RELOADING, READY, the new feed's items served), a
// broken reload that is refused while serving goes on, and a SIGTERM that
// sends STOPPING and exits 0 in time. Its log never shows a feed password.
func TestDaemonUnderSystemd(t *testing.T) {
	state := t.TempDir()
	confDir := t.TempDir()
	addr := freeAddr(t)
	a := serveDoc(t, "application/rss+xml", rssA())
	c := serveDoc(t, "application/feed+json", jsonC())
	// A feed with credentials that refuses connections: its failure is logged.
	secret := "http://editor:s3cret-pw@127.0.0.1:1/private.rss"
	feeds := [][2]string{{"a", a}, {"locked", secret}}
	daemonConfig(t, confDir, addr, feeds, "")
	sock := listenNotify(t)

	p := startProc(t, addr, []string{
		"NOTIFY_SOCKET=" + sock.path,
		"WATCHDOG_USEC=300000", // a ping every 150 ms; no WATCHDOG_PID: the pid is not known before start
		"STATE_DIRECTORY=" + state,
		"CONFIGURATION_DIRECTORY=" + confDir,
	}) // no -config: found in $CONFIGURATION_DIRECTORY

	sock.expect(t, "READY=1", 15*time.Second)
	if code, body := p.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after READY: %d %s", code, body)
	}
	sock.expect(t, "WATCHDOG=1", 5*time.Second)
	p.waitTitle(t, s1)
	if _, err := os.Stat(filepath.Join(state, "data", "pressfeed.db")); err != nil {
		t.Errorf("store not under $STATE_DIRECTORY: %v", err)
	}

	// Requests during both reloads all succeed: no gap.
	stopProbe := probe(p.base, "/feeds/all.json", "/healthz")

	// Reload adding feed c: its items appear without a restart.
	daemonConfig(t, confDir, addr, append(feeds, [2]string{"c", c}), "")
	p.signal(t, syscall.SIGHUP)
	msg := sock.expect(t, "RELOADING=1", 5*time.Second)
	if !strings.Contains(msg, "MONOTONIC_USEC=") {
		t.Errorf("RELOADING message %q has no MONOTONIC_USEC", msg)
	}
	sock.expect(t, "READY=1", 5*time.Second)
	p.waitTitle(t, s4)
	p.waitLog(t, "level=INFO", "msg=reloaded", "feeds=3", "added=[c]", "removed=[]")

	// A broken file is refused; the daemon keeps serving the old config.
	if err := os.WriteFile(filepath.Join(confDir, "config.toml"), []byte("[server]\nlisten = \"x\"\nfrobnicate = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(p.titles(t))
	p.signal(t, syscall.SIGHUP)
	sock.expect(t, "RELOADING=1", 5*time.Second)
	sock.expect(t, "READY=1", 5*time.Second)
	p.waitLog(t, "level=ERROR", `msg="reload refused, the running config stays"`, "frobnicate")
	if got := len(p.titles(t)); got != before {
		t.Errorf("after a broken reload all.json has %d items, want %d", got, before)
	}
	if code, body := p.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after a broken reload: %d %s", code, body)
	}
	sock.expect(t, "WATCHDOG=1", 5*time.Second)
	n, bad := stopProbe()
	t.Logf("%d requests during the reloads", n)
	if n == 0 || len(bad) > 0 {
		t.Errorf("during the reloads: %d requests, failures %q", n, bad)
	}

	start := time.Now()
	p.signal(t, syscall.SIGTERM)
	sock.expect(t, "STOPPING=1", 5*time.Second)
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, p.stderr.String())
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	logs := p.stderr.String()
	if strings.Contains(logs, "s3cret-pw") {
		t.Errorf("the log shows a feed password:\n%s", logs)
	}
	for _, want := range [][]string{
		{"level=INFO", "msg=started", "feeds=2"},
		{"level=INFO", "msg=fetched", "feed=a", "added=3"},
		{"level=WARN", `msg="fetch failed"`, "feed=locked", "err="},
		{"level=INFO", "msg=stopping", "cause="},
		{"level=INFO", "msg=stopped"},
	} {
		if !logHas(logs, want...) {
			t.Errorf("no log line with %q:\n%s", want, logs)
		}
	}
}

// TestDaemonSecondSignal: while a drain waits for a slow client, a second
// SIGTERM ends the process at once with exit 1.
func TestDaemonSecondSignal(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := daemonConfig(t, dir, addr, [][2]string{{"a", serveDoc(t, "application/rss+xml", rssA())}}, "")
	sock := listenNotify(t)
	p := startProc(t, addr, []string{"NOTIFY_SOCKET=" + sock.path, "STATE_DIRECTORY=" + dir}, "run", "-config", cfg)
	sock.expect(t, "READY=1", 15*time.Second)

	// A request whose headers never end keeps Shutdown waiting.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /feeds/all.json HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	p.signal(t, syscall.SIGTERM)
	sock.expect(t, "STOPPING=1", 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	select {
	case <-p.done:
		t.Fatalf("exited before the second signal; the drain did not wait for the slow client:\n%s", p.stderr.String())
	default:
	}
	start := time.Now()
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 2*time.Second); code != exitFailure {
		t.Errorf("exit code after a second SIGTERM = %d, want %d", code, exitFailure)
	}
	t.Logf("exited %s after the second signal", time.Since(start).Round(time.Millisecond))
	p.waitLog(t, "second signal")
}

// TestDaemonExitCodes: a config that does not load exits 78 (systemd does
// not restart it) and sends no READY; a bad command line exits 2.
func TestDaemonExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[fetch]\ninterval = \"soon\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    int
		wantErr string
	}{
		{"bad config", []string{"-config", bad}, exitConfig, "fetch.interval"},
		{"missing config", []string{"-config", filepath.Join(dir, "none.toml")}, exitConfig, "no such file"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "usage: pressfeed"},
		{"import-opml without file", []string{"import-opml"}, exitUsage, "import-opml: want FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := listenNotify(t)
			p := startProc(t, "127.0.0.1:1", []string{"NOTIFY_SOCKET=" + sock.path, "STATE_DIRECTORY=" + dir}, tt.args...)
			if code := p.wait(t, 10*time.Second); code != tt.want || !strings.Contains(p.stderr.String(), tt.wantErr) {
				t.Errorf("pressfeed %q: exit %d, stderr %q; want %d and %q", tt.args, code, p.stderr.String(), tt.want, tt.wantErr)
			}
			select {
			case m := <-sock.msgs:
				t.Errorf("got %q on the notify socket from a process that never started", m)
			default:
			}
		})
	}
}

// TestVersionNamesTheCommit: built from a git checkout, version prints
// the commit the build info recorded.
func TestVersionNamesTheCommit(t *testing.T) {
	out, err := exec.Command(binary, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(string(out))
	head, gitErr := exec.Command("git", "rev-parse", "HEAD").Output()
	if gitErr != nil {
		// Not a git checkout (a source archive): no commit to show.
		if got != "pressfeed dev" {
			t.Errorf("version outside a checkout = %q, want %q", got, "pressfeed dev")
		}
		return
	}
	rev := strings.TrimSpace(string(head))[:12]
	if !strings.HasPrefix(got, "pressfeed ") || !strings.Contains(got, rev) {
		t.Errorf("version = %q, want the commit %s in it", got, rev)
	}
}

// logHas reports whether one line of logs holds every part.
func logHas(logs string, parts ...string) bool {
	for _, line := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
