package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// growingFeeds serves four outlets that carry the same stories: every
// request publishes new stories, and each document lists the newest 40.
type growingFeeds struct {
	mu     sync.Mutex
	next   int           // number of the next story
	served map[int]bool  // stories served since the last reset
	sent   chan struct{} // one value per document served
	srv    *httptest.Server
}

func newGrowingFeeds(t *testing.T) *growingFeeds {
	g := &growingFeeds{served: make(map[int]bool), sent: make(chan struct{}, 64)}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *growingFeeds) serve(w http.ResponseWriter, r *http.Request) {
	outlet := strings.TrimPrefix(r.URL.Path, "/")
	g.mu.Lock()
	g.next += 3
	first := max(0, g.next-40)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>https://%s.example/</link><description>x</description>`, outlet, outlet)
	for n := g.next - 1; n >= first; n-- {
		g.served[n] = true
		// Every outlet links the story on bao-a's site, each in its own form.
		link := fmt.Sprintf("https://bao-a.example/tin-%d.html", n)
		switch outlet {
		case "bao-b":
			link = fmt.Sprintf("http://www.bao-a.example/tin-%d.html?utm_source=rss", n)
		case "bao-c":
			link = fmt.Sprintf("https://bao-a.example/tin-%d.html/", n)
		case "bao-d":
			link = fmt.Sprintf("https://BAO-A.example/tin-%d.html#top", n)
		}
		fmt.Fprintf(&b, `<item><title>Tin số %d: thành phố triển khai kế hoạch giao thông</title><link>%s</link><guid>%s-%d</guid>`+
			`<pubDate>Fri, 27 Nov 2026 08:00:00 +0700</pubDate><description>&lt;p&gt;%s&lt;/p&gt;</description></item>`,
			n, link, outlet, n, strings.Repeat("Nội dung chi tiết của bài báo. ", 30))
	}
	b.WriteString(`</channel></rss>`)
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, b.String())
	select {
	case g.sent <- struct{}{}:
	default:
	}
}

// takeServed returns the stories served since the last call.
func (g *growingFeeds) takeServed() map[int]bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.served
	g.served = make(map[int]bool)
	return s
}

var storyNumber = regexp.MustCompile(`^Tin số (\d+):`)

// TestCrashSafety runs `pressfeed fetch` against feeds that grow on every
// request and SIGKILLs it at random moments until 32 runs died mid-run, 5
// of them between commits. After each kill the
// store must open, pass bbolt's check, still hold every story it held
// before and every story a completed fetch was served, and hold each story
// once, with each outlet once among its members.
func TestCrashSafety(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()
	feeds := newGrowingFeeds(t)
	dbPath := filepath.Join(dir, "data", "pressfeed.db")
	cfg := adminConfig(t, dir, freeAddr(t), dbPath, [][2]string{
		{"bao-a", feeds.srv.URL + "/bao-a"}, {"bao-b", feeds.srv.URL + "/bao-b"},
		{"bao-c", feeds.srv.URL + "/bao-c"}, {"bao-d", feeds.srv.URL + "/bao-d"},
	})
	ctx := context.Background()

	// Whole runs first, until the documents are nearly full.
	var runTime time.Duration
	for range 6 {
		t0 := time.Now()
		if out, err := exec.Command(binary, "-config", cfg, "fetch").CombinedOutput(); err != nil {
			t.Fatalf("whole fetch: %v\n%s", err, out)
		}
		runTime = max(runTime, time.Since(t0))
	}
	feeds.takeServed()
	for len(feeds.sent) > 0 {
		<-feeds.sent
	}

	kept := make(map[int]string) // story → item id, once stored
	killed, completed, grew, killedAfterCommit := 0, 0, 0, 0
	// pauseMax adapts: longer after a kill that came before any commit,
	// shorter after a run that completed, so the kills gather around the
	// commits whatever the machine's speed.
	const kills, killsAfterCommit, maxRounds = 32, 5, 150
	rounds := 0
	pauseMax := runTime
	start := time.Now()
	for round := 0; killed < kills || killedAfterCommit < killsAfterCommit; round++ {
		if round == maxRounds {
			t.Fatalf("only %d kills mid-run (%d after a commit) in %d rounds (a whole run takes %s)", killed, killedAfterCommit, round, runTime)
		}
		rounds++
		cmd := exec.Command(binary, "-config", cfg, "fetch")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Most of a run is start-up and fetching; the commits come last. A
		// quarter of the kills land anywhere in the run, the rest in the
		// parsing and the commits: within a run's time after the first or
		// second document was served.
		var wait <-chan time.Time
		if rng.IntN(4) == 0 {
			wait = time.After(time.Duration(rng.Int64N(int64(runTime))))
		} else {
			after := 1 + rng.IntN(2)
			pause := time.Duration(rng.Int64N(int64(pauseMax)))
			ch := make(chan time.Time, 1)
			go func() {
				for range after {
					select {
					case <-feeds.sent:
					case <-time.After(5 * time.Second):
					}
				}
				time.Sleep(pause)
				ch <- time.Now()
			}()
			wait = ch
		}
		var exitErr error
		select {
		case exitErr = <-done:
			completed++
		case <-wait:
			// The run may have ended just now: then there is nothing to kill.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatal(err)
			}
			exitErr = <-done
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				killed++
			} else {
				completed++
			}
		}
		served := feeds.takeServed()
		for len(feeds.sent) > 0 {
			<-feeds.sent
		}
		ok := cmd.ProcessState.ExitCode() == 0

		db, err := store.Open(dbPath, store.Options{NearDuplicates: true})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		if err := db.Check(); err != nil {
			t.Fatalf("round %d: check: %v", round, err)
		}
		items, err := db.Latest(ctx, 1_000_000, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		now := make(map[int]string)
		for _, it := range items {
			m := storyNumber.FindStringSubmatch(it.Title)
			if m == nil {
				t.Fatalf("round %d: unexpected item %q", round, it.Title)
			}
			n, _ := strconv.Atoi(m[1])
			if prev, dup := now[n]; dup {
				t.Errorf("round %d: story %d stored twice: %s and %s", round, n, prev, it.ID)
			}
			now[n] = it.ID
			outlets := make(map[string]bool)
			for _, mem := range it.Members {
				if outlets[mem.Feed] {
					t.Errorf("round %d: story %d lists %s twice", round, n, mem.Feed)
				}
				outlets[mem.Feed] = true
			}
		}
		for n, id := range kept {
			if now[n] != id {
				t.Errorf("round %d: story %d (%s) lost or renamed: now %q", round, n, id, now[n])
			}
		}
		if ok {
			for n := range served {
				if _, in := now[n]; !in {
					t.Errorf("round %d: fetch completed (%v) but story %d it was served is not stored", round, exitErr, n)
				}
			}
		}
		switch {
		case ok:
			pauseMax = pauseMax * 9 / 10
		case len(now) == len(kept):
			pauseMax = pauseMax * 6 / 5
		}
		if len(now) > len(kept) {
			grew++
			if !ok {
				killedAfterCommit++
			}
		}
		for n, id := range now {
			kept[n] = id
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%d rounds in %s (a whole run takes up to %s): %d killed mid-run (%d of them after a commit), %d completed, %d stored new stories; %d stories stored, none lost or duplicated",
		rounds, time.Since(start).Round(time.Millisecond), runTime.Round(time.Millisecond), killed, killedAfterCommit, completed, grew, len(kept))
}

// TestDiskFullKeepsServing fills the store to its MaxSize under a
// publisher: feeds are still served, /healthz says the store is full, and
// after pruning ingest resumes and health recovers.
func TestDiskFullKeepsServing(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "p.db")
	cfg, err := loadConfig(adminConfig(t, dir, "127.0.0.1:0", dbPath, nil))
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	opts := cfg.storeOptions(logger)
	opts.MaxSize = 1 << 20
	db, err := store.Open(dbPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := publisher.NewHandler(db, cfg.publisherOptions(logger))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code, w.Body.String()
	}
	ctx := context.Background()
	body := strings.Repeat("Nội dung bài báo dài để làm đầy tệp. ", 40)
	var full error
	for i := 0; i < 10000 && full == nil; i++ {
		_, full = db.Add(ctx, "bao-a", []store.Incoming{{
			Item: store.Item{Title: fmt.Sprintf("Tin số %d trong ngày", i), Content: body, Published: time.Now()},
			GUID: fmt.Sprint(i), HashKey: fmt.Sprint(i),
		}}, nil)
	}
	if !errors.Is(full, store.ErrFull) {
		t.Fatalf("filling the store: %v, want ErrFull", full)
	}
	if code, body := get("/feeds/all.json"); code != http.StatusOK || !strings.Contains(body, " trong ngày") {
		t.Errorf("feed while full: %d %.200s", code, body)
	}
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "full") {
		t.Errorf("/healthz while full: %d %q, want 503 saying the store is full", code, body)
	}
	if !strings.Contains(logs.String(), "store full") {
		t.Errorf("no log line for the full store:\n%s", logs.String())
	}
	if _, err := db.Prune(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Add(ctx, "bao-a", []store.Incoming{{Item: store.Item{Title: "Tin mới sau khi dọn dẹp", Published: time.Now()}, GUID: "after", HashKey: "after"}}, nil); err != nil {
		t.Fatalf("add after prune: %v", err)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after prune: %d %q", code, body)
	}
}
