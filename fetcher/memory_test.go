package fetcher

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHostileFeedsMemory polls a mix of hostile feeds (a gzip bomb
// inflating to 1 GiB, an endless body, a 4 MiB entity bomb, a document of
// 12,000 items, refused) beside a healthy one, three rounds, while
// sampling the Go heap: the heap in use must stay within a bound set by
// max_body, not by what the hostile servers send.
func TestHostileFeedsMemory(t *testing.T) {
	const maxBody = 4 << 20
	bigDoc := func() string {
		titles := make([]string, 12000)
		for i := range titles {
			titles[i] = fmt.Sprintf("Tin số %d", i)
		}
		return rssDoc(titles...)
	}()
	bomb := entityBomb(1)
	bombItem := "<item><title>&lol9;&lol9;</title><description>" + strings.Repeat("&lol9;&lol8;", 340) + "</description></item>"
	bomb = strings.Replace(bomb, "</channel>", strings.Repeat(bombItem, min((maxBody-len(bomb))/len(bombItem)-1, maxItems-2))+"</channel>", 1)
	var healthyN counter
	_, ts := newHitServer(t, map[string]http.HandlerFunc{
		"/gzip-bomb":   serveGzipBomb(gzipBomb(t, 16<<20, 64)), // 1 GiB inflated
		"/endless":     serveEndless,
		"/entity-bomb": serveBytes("application/rss+xml", []byte(bomb)),
		"/many-items":  serveBytes("application/rss+xml", []byte(bigDoc[:min(len(bigDoc), maxBody)])),
		"/healthy": func(w http.ResponseWriter, r *http.Request) {
			titles := make([]string, healthyN.next())
			for i := range titles {
				titles[i] = fmt.Sprintf("Tin lành mạnh lần thứ %d trong ngày", i)
			}
			serveRSS(titles...)(w, r)
		},
	})
	opts := testOptions()
	for _, name := range []string{"gzip-bomb", "endless", "entity-bomb", "many-items", "healthy"} {
		opts.Feeds = append(opts.Feeds, Feed{Name: name, URL: ts.URL + "/" + name})
	}
	opts.MaxBody = maxBody
	opts.Timeout = 20 * time.Second
	opts.PerHost = 8
	p := NewPoller(openStore(t), opts)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tk.C:
			}
		}
	})
	for round := range 3 {
		reps := onceReports(t, p)
		for name, want := range map[string]string{"gzip-bomb": "too_large", "endless": "too_large"} {
			if reps[name].Class != want {
				t.Errorf("round %d: %s: class %q (%v), want %q", round, name, reps[name].Class, reps[name].Err, want)
			}
		}
		if r := reps["healthy"]; r.Err != nil || r.Result.Added != 1 {
			t.Errorf("round %d: healthy feed %+v, want one new item", round, r)
		}
		if r := reps["many-items"]; r.Class != "too_many_items" || r.Result.Added != 0 {
			t.Errorf("round %d: many items: %+v, want refused as too_many_items", round, r)
		}
		if r := reps["entity-bomb"]; r.Err != nil {
			t.Errorf("entity bomb: %v, want parsed with entities left unexpanded", r.Err)
		}
	}
	close(stop)
	wg.Wait()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	after := ms.HeapInuse
	t.Logf("heap in use: %.1f MiB before, peak %.1f MiB, %.1f MiB after GC (max_body %d MiB, 1 GiB gzip bomb, endless body)",
		mib(base), mib(peak.Load()), mib(after), maxBody>>20)
	// Each fetch holds at most max_body and its repaired copy; parsing a
	// document costs about 11× its size in short-lived garbage. The sum
	// over the feeds fetched at once, not the 1 GiB the bomb inflates to,
	// bounds the heap.
	if limit := base + 40*maxBody; peak.Load() > limit {
		t.Errorf("peak heap in use %.1f MiB, want under %.1f MiB", mib(peak.Load()), mib(limit))
	}
	if after > base+16<<20 {
		t.Errorf("heap in use after the polls %.1f MiB, before %.1f MiB: something is kept", mib(after), mib(base))
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
