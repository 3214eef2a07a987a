package main

// Tests of what a hostile or ruinous feed can cost the running daemon: a
// process killed while it parses a feed does not fetch that feed again at
// once when it restarts, and the documents that used to crash it or swell
// its memory are refused while a healthy feed beside them is served.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// limitsConfig writes a config for a daemon on addr whose store is in dir,
// with feeds (name, URL) and the given max_body, and returns its path.
func limitsConfig(t *testing.T, dir, addr, maxBody string, feeds [][2]string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[server]\nlisten = %q\nbase_url = \"http://%s\"\n[store]\npath = %q\n", addr, addr, filepath.Join(dir, "data", "pressfeed.db"))
	fmt.Fprintf(&b, "[fetch]\ninterval = \"1h\"\ntimeout = \"60s\"\nmax_body = %q\nallow_networks = [\"127.0.0.0/8\"]\n[log]\nlevel = \"info\"\n", maxBody)
	for _, f := range feeds {
		fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = %q\n", f[0], f[1])
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// oneItemFeed serves an RSS document of one item titled title.
func oneItemFeed(t *testing.T, title string) string {
	return serveDoc(t, "application/rss+xml", `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo</title>`+
		`<link>https://bao.example/</link><description>d</description><item><title>`+title+`</title>`+
		`<link>https://bao.example/`+strconv.Itoa(len(title))+`.html</link><guid>g-`+strconv.Itoa(len(title))+`</guid>`+
		`<pubDate>Fri, 27 Nov 2026 10:00:00 +0700</pubDate><description>Nội dung</description></item></channel></rss>`)
}

// slowDocument is a valid RSS document of 1000 items of about 40 KB each:
// 40 MB that take gofeed and normalisation seconds.
func slowDocument() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo chậm</title><link>https://cham.example/</link><description>d</description>`)
	para := strings.Repeat("&lt;p&gt;Thành phố triển khai kế hoạch giao thông mới trong năm nay, người dân đồng tình. &lt;/p&gt;", 400)
	for i := range 1000 {
		fmt.Fprintf(&b, `<item><title>Tin chậm số %d về kế hoạch giao thông</title><link>https://cham.example/%d.html</link><guid>c-%d</guid>`+
			`<pubDate>Fri, 27 Nov 2026 08:00:00 +0700</pubDate><description>%s</description></item>`, i, i, i, para)
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

// feedStatus is a feed's entry in /status.json.
type feedStatus struct {
	Name       string    `json:"name"`
	Health     string    `json:"health"`
	ErrorClass string    `json:"error_class"`
	LastError  string    `json:"last_error"`
	Failures   int       `json:"failures"`
	NextPoll   time.Time `json:"next_poll"`
}

// waitServing waits until the process answers HTTP.
func (p *proc) waitServing(t *testing.T) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := c.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-p.done:
			t.Fatalf("pressfeed exited; stderr:\n%s", p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pressfeed not serving after 15 s: %v; stderr:\n%s", err, p.stderr.String())
		}
	}
}

func (p *proc) feedStatus(t *testing.T) map[string]feedStatus {
	t.Helper()
	code, body := p.get(t, "/status.json")
	if code != http.StatusOK {
		t.Fatalf("GET /status.json: %d %s", code, body)
	}
	var s struct {
		Feeds []feedStatus `json:"feeds"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("/status.json: %v", err)
	}
	out := make(map[string]feedStatus)
	for _, f := range s.Feeds {
		out[f.Name] = f
	}
	return out
}

// TestCrashedParseSetAside kills the daemon with SIGKILL while it parses a
// large, valid, slow document (the feed was marked in flight in the store
// before the parse: the kill comes once the store file has changed after
// the response was sent), then starts it again beside a new healthy feed:
// the feed that was being parsed is set aside (not asked again, its health
// says why, a warning names it), the healthy feeds are fetched and served.
func TestCrashedParseSetAside(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	healthyA := oneItemFeed(t, "Tin lành mạnh của báo A hôm nay")
	healthyB := oneItemFeed(t, "Tin lành mạnh của báo B sau khi khởi động lại")
	doc := slowDocument()
	release := make(chan struct{})
	answered := make(chan struct{})
	var slowHits atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slowHits.Add(1) > 1 {
			http.Error(w, "asked again", http.StatusInternalServerError)
			return
		}
		select {
		case <-release: // once the healthy feed is stored: the next write to the store is the mark
		case <-time.After(30 * time.Second):
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(doc)
		close(answered)
	}))
	t.Cleanup(slow.Close)

	feeds := [][2]string{{"healthy-a", healthyA}, {"slow", slow.URL}}
	cfg := limitsConfig(t, dir, addr, "64MiB", feeds)
	p1 := startProc(t, addr, nil, "-config", cfg)
	p1.waitServing(t)
	p1.waitTitle(t, "Tin lành mạnh của báo A hôm nay")
	dbPath := filepath.Join(dir, "data", "pressfeed.db")
	close(release)
	select {
	case <-answered:
	case <-time.After(30 * time.Second):
		t.Fatalf("the slow feed was not answered; stderr:\n%s", p1.stderr.String())
	}
	// The body is read, then the feed marked in the marks file beside the
	// store, then the parse starts and ends seconds later, when the mark
	// goes.
	marks := dbPath + ".parsing"
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile(marks)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if last := lines[len(lines)-1]; strings.HasPrefix(last, "+") && strings.HasSuffix(last, `"slow"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow feed was not marked within 20 s of its response (marks %q); stderr:\n%s", b, p1.stderr.String())
		}
	}
	time.Sleep(100 * time.Millisecond) // well into the parse
	p1.signal(t, syscall.SIGKILL)
	if code := p1.wait(t, 10*time.Second); code != -1 {
		t.Fatalf("exit code %d after SIGKILL, want -1 (killed)", code)
	}
	if logHas(p1.stderr.String(), "feed=slow") {
		t.Fatalf("the slow feed was done with before the kill: the test missed its parse\n%s", p1.stderr.String())
	}

	// Restart, with a new healthy feed beside.
	cfg = limitsConfig(t, dir, addr, "64MiB", append(feeds, [2]string{"healthy-b", healthyB}))
	p2 := startProc(t, addr, nil, "-config", cfg)
	p2.waitServing(t)
	p2.waitTitle(t, "Tin lành mạnh của báo B sau khi khởi động lại")
	p2.waitLog(t, "level=WARN", `msg="feed was being processed when pressfeed stopped; set aside"`, "feed=slow")
	if titles := strings.Join(p2.titles(t), "\n"); !strings.Contains(titles, "Tin lành mạnh của báo A hôm nay") {
		t.Errorf("the item stored before the kill is gone; served:\n%s", titles)
	}
	st := p2.feedStatus(t)["slow"]
	if st.ErrorClass != "interrupted" || st.Failures != 1 || st.Health != "down" ||
		!strings.Contains(st.LastError, "being processed when pressfeed stopped") {
		t.Errorf("slow feed status %+v, want down, interrupted, 1 failure, saying why", st)
	}
	if wait := time.Until(st.NextPoll); wait < 50*time.Minute {
		t.Errorf("slow feed next poll in %s, want it set aside for the failure backoff (1h ±10%%)", wait.Round(time.Second))
	}
	if n := slowHits.Load(); n != 1 {
		t.Errorf("the slow feed was asked %d times, want once: not again after the restart", n)
	}
	p2.signal(t, syscall.SIGTERM)
	if code := p2.wait(t, 15*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, p2.stderr.String())
	}
	// A clean stop leaves no mark, and no marks file.
	if b, err := os.ReadFile(marks); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after a clean stop the marks file holds %q (%v), want no file", b, err)
	}
}

// fillTo repeats unit between head and tail, as often as fits in size bytes.
func fillTo(size int, head, unit, tail string) string {
	return head + strings.Repeat(unit, (size-len(head)-len(tail))/len(unit)) + tail
}

// serveGzip serves doc gzip-encoded, as a hostile server would: a few KB
// on the wire.
func serveGzip(t *testing.T, contentType, doc string) string {
	t.Helper()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := io.WriteString(zw, doc); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	body := z.Bytes()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// peakRSS returns the peak resident set size of process pid (VmHWM).
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// TestHostileFeedsDaemon runs the daemon, at the default max_body, on the
// documents that crashed it (an extension element nested 2,000,000 deep)
// or swelled its memory past 350 MB each (2.8 M JSON Feed items, 1.2 M
// RSS items, 1 M Atom entries, a title nested 2.8 M levels), each just
// under 8 MiB and served gzip-encoded, beside a healthy feed: each is
// refused with its class, the healthy feed is served, the daemon stays up
// and its peak resident memory stays under 300 MiB.
func TestHostileFeedsDaemon(t *testing.T) {
	const maxBody = 8 << 20
	rss := `<rss version="2.0"><channel><title>t</title>`
	hostile := []struct{ name, class, url string }{
		{"deep", "too_deep", serveGzip(t, "application/rss+xml", `<rss version="2.0"><channel><title>t</title><item xmlns:a="urn:a"><title>x</title><a:b>`+
			strings.Repeat("<c>", 2_000_000)+`</a:b></item></channel></rss>`)},
		{"json-items", "too_many_items", serveGzip(t, "application/feed+json", fillTo(maxBody, `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[`, "{},", "{}]}"))},
		{"rss-items", "too_many_items", serveGzip(t, "application/rss+xml", fillTo(maxBody, rss, "<item/>", "</channel></rss>"))},
		{"atom-entries", "too_many_items", serveGzip(t, "application/atom+xml", fillTo(maxBody, `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>`, "<entry/>", "</feed>"))},
		{"deep-title", "too_deep", serveGzip(t, "application/rss+xml", fillTo(maxBody, `<rss version="2.0"><channel><title>`, "<a>", "</title></channel></rss>"))},
	}
	feeds := [][2]string{{"healthy", oneItemFeed(t, "Tin lành mạnh bên cạnh các nguồn độc hại")}}
	for _, h := range hostile {
		feeds = append(feeds, [2]string{h.name, h.url})
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startProc(t, addr, nil, "-config", limitsConfig(t, dir, addr, "8MiB", feeds))
	p.waitServing(t)
	p.waitTitle(t, "Tin lành mạnh bên cạnh các nguồn độc hại")
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st := p.feedStatus(t)
		done := true
		for _, h := range hostile {
			done = done && st[h.name].ErrorClass != ""
		}
		if done {
			for _, h := range hostile {
				if got := st[h.name]; got.ErrorClass != h.class {
					t.Errorf("%s: class %q (%s), want %q", h.name, got.ErrorClass, got.LastError, h.class)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hostile feeds not all fetched within 60 s: %+v\nstderr:\n%s", st, p.stderr.String())
		}
	}
	select {
	case <-p.done:
		t.Fatalf("the daemon stopped; stderr:\n%s", p.stderr.String())
	default:
	}
	if code, body := p.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	p.waitTitle(t, "Tin lành mạnh bên cạnh các nguồn độc hại")
	hwm := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("peak RSS (VmHWM) %.1f MiB after fetching %d hostile documents of up to 8 MiB", float64(hwm)/(1<<20), len(hostile))
	if hwm > 300<<20 {
		t.Errorf("peak RSS %.1f MiB, want under 300 MiB", float64(hwm)/(1<<20))
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}
