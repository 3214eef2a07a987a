package publisher

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// firstDoc returns the first page of output name in format f as a reader
// would get it now.
func firstDoc(tb testing.TB, h *handler, name string, f format) *document {
	tb.Helper()
	g, err := h.current(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return g.doc(h.outputs[name], f)
}

// addNews stores one new item from tuoitre (tags tong-hop and thoi-su),
// newer than the fixture's, and returns its store id.
func addNews(tb testing.TB, db *store.DB, guid string, published time.Time) string {
	tb.Helper()
	link := "https://tuoitre.vn/" + guid + ".htm"
	add(tb, db, "tuoitre", nil, incoming(guid, "", store.Item{Title: "Tin mới " + guid, Link: link, Published: published}))
	var id string
	err := db.Walk(context.Background(), time.Time{}, "", func(it *store.Item) bool {
		if it.Link == link {
			id = it.ID
			return false
		}
		return true
	})
	if err != nil || id == "" {
		tb.Fatalf("stored item %s not found: %v", guid, err)
	}
	return id
}

// startRun runs h.run until the test ends.
func startRun(t *testing.T, h *handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run = %v", err)
		}
	})
}

// currentOutputs are the outputs the tests of currency serve: one that
// every fixture feed reaches, and filtered ones the new items reach or not.
var currentOutputs = []Output{
	{Name: "all"},
	{Name: "thoisu", Tags: []string{"thoi-su"}},       // tuoitre: gets the new items
	{Name: "kinhte", Tags: []string{"kinh-te"}},       // sggp: does not
	{Name: "vnexpress", Feeds: []string{"vnexpress"}}, // does not
}

// checkGeneration checks that every document of g was rendered from one
// state of the store: the three formats of an output list the same items,
// and every item of a filtered output is in "all" (whose limit holds every
// item the tests store). It returns the ids of "all".
func checkGeneration(t *testing.T, h *handler, g *generation) []string {
	t.Helper()
	all := parseIDs(t, formatAtom, g.doc(h.outputs["all"], formatAtom).body)
	for _, o := range h.order {
		ids := parseIDs(t, formatAtom, g.doc(o, formatAtom).body)
		for f := range numFormats {
			if got := parseIDs(t, f, g.doc(o, f).body); !slices.Equal(got, ids) {
				t.Errorf("generation %d: %s%s lists %q, %s.atom %q", g.version, o.Name, formats[f].ext, got, o.Name, ids)
			}
		}
		for _, id := range ids {
			if !slices.Contains(all, id) {
				t.Errorf("generation %d: %s lists %s, all does not", g.version, o.Name, id)
			}
		}
	}
	return all
}

// TestCurrentWithoutReaders: within a second of a store change, every output
// in every format shows it, rendered by Run with no request asking, and a
// reader holding the old ETag gets the new page, never a 304.
func TestCurrentWithoutReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, db, _ := newFixtureHandler(t, Options{Outputs: currentOutputs, MaxStale: time.Second})
		startRun(t, h)
		synctest.Wait()
		g0 := h.gen.Load()
		if g0 == nil || g0.version != db.Version() {
			t.Fatal("Run rendered nothing at start")
		}
		old := make(map[string]string) // path → ETag a reader holds
		for _, o := range h.order {
			for f := range numFormats {
				path := "/feeds/" + o.Name + formats[f].ext
				old[path] = get(h, http.MethodGet, path).Header().Get("ETag")
			}
		}
		time.Sleep(10 * time.Minute) // a quiet spell
		if h.gen.Load() != g0 {
			t.Error("a new generation without a store change")
		}

		for i, guid := range []string{"tt-q1", "tt-q2", "tt-q3"} {
			renders := h.generations.Load()
			id := addNews(t, db, guid, time.Date(2025, 6, 1, 10, i, 0, 0, ict))
			time.Sleep(time.Second)
			g := h.gen.Load()
			if g.version != db.Version() {
				t.Fatalf("%s: 1 s after the change, generation %d, store %d", guid, g.version, db.Version())
			}
			if n := h.generations.Load() - renders; n != 1 {
				t.Errorf("%s: %d generations for one change, want 1", guid, n)
			}
			all := checkGeneration(t, h, g)
			if len(all) == 0 || all[0] != id {
				t.Errorf("%s: all lists %q, want %s first", guid, all, id)
			}
			for _, o := range h.order {
				for f := range numFormats {
					d := g.doc(o, f)
					has := strings.Contains(string(d.body), id)
					if want := o.Name == "all" || o.Name == "thoisu"; has != want {
						t.Errorf("%s: %s%s has the new item: %v, want %v", guid, o.Name, formats[f].ext, has, want)
					}
				}
			}
			time.Sleep(10 * time.Minute) // the reader polls rarely
			for path, etag := range old {
				w := get(h, http.MethodGet, path, "If-None-Match", etag)
				o, _, _ := h.lookup(strings.TrimPrefix(path, "/feeds/"))
				changed := o.Name == "all" || o.Name == "thoisu"
				switch {
				case changed && w.Code != http.StatusOK:
					t.Errorf("%s: %s with the ETag of the page before: status %d, want 200", guid, path, w.Code)
				case changed && !strings.Contains(w.Body.String(), id):
					t.Errorf("%s: %s lacks the new item", guid, path)
				case !changed && w.Code != http.StatusNotModified:
					t.Errorf("%s: %s unchanged: status %d, want 304", guid, path, w.Code)
				}
				old[path] = w.Header().Get("ETag")
			}
		}
	})
}

// TestCurrentBurst: a burst of commits makes one generation once it
// settles, and a steady ingest is rendered at least every second.
func TestCurrentBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, db, _ := newFixtureHandler(t, Options{Outputs: currentOutputs, MaxStale: time.Second})
		startRun(t, h)
		synctest.Wait()
		before := h.generations.Load()
		for i := range 5 {
			addNews(t, db, "tt-burst-"+string(rune('a'+i)), time.Date(2025, 6, 1, 10, i, 0, 0, ict))
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Second)
		if n := h.generations.Load() - before; n != 1 {
			t.Errorf("%d generations for a burst of five commits, want 1", n)
		}
		if g := h.gen.Load(); g.version != db.Version() {
			t.Errorf("after the burst: generation %d, store %d", g.version, db.Version())
		}

		// A commit every 100 ms for 5 s never settles; still no change
		// stays out of the served generation for a second.
		type commit struct {
			id string
			at time.Time
		}
		var commits []commit
		for i := range 50 {
			id := addNews(t, db, "tt-steady-"+strings.Repeat("x", i+1), time.Date(2025, 6, 1, 11, i, 0, 0, ict))
			commits = append(commits, commit{id, time.Now()})
			time.Sleep(100 * time.Millisecond)
			body := string(h.gen.Load().doc(h.outputs["all"], formatJSON).body)
			for _, c := range commits {
				if time.Since(c.at) >= time.Second && !strings.Contains(body, c.id) {
					t.Fatalf("the served generation lacks %s, stored %s ago", c.id, time.Since(c.at))
				}
			}
		}
		time.Sleep(time.Second)
		if g := h.gen.Load(); g.version != db.Version() {
			t.Errorf("1 s after the last commit: generation %d, store %d", g.version, db.Version())
		}
	})
}

// TestCurrentSteadyIngest: while commits never stop, a request never gets a
// page missing a change made MaxStale ago.
func TestCurrentSteadyIngest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, db, _ := newFixtureHandler(t, Options{Outputs: currentOutputs, MaxStale: time.Second})
		startRun(t, h)
		synctest.Wait()
		type commit struct {
			id string
			at time.Time
		}
		var commits []commit
		for i := range 60 {
			id := addNews(t, db, "tt-ingest-"+strings.Repeat("y", i+1), time.Date(2025, 6, 1, 11, i, 0, 0, ict))
			commits = append(commits, commit{id, time.Now()})
			time.Sleep(100 * time.Millisecond)
			body := get(h, http.MethodGet, "/feeds/all.rss").Body.String()
			for _, c := range commits {
				if time.Since(c.at) >= time.Second && !strings.Contains(body, c.id) {
					t.Fatalf("all.rss lacks %s, stored %s ago", c.id, time.Since(c.at))
				}
			}
		}
	})
}

// TestCurrentRendererBehind: when the served generation misses a change made
// MaxStale ago and no render catches up (Run absent, or its render slow), a
// request waits for the render under way, or renders, rather than serve
// the old page or a 304 for it.
func TestCurrentRendererBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, db, _ := newFixtureHandler(t, Options{Outputs: currentOutputs, MaxStale: time.Second})
		old := get(h, http.MethodGet, "/feeds/all.atom").Header().Get("ETag")

		// Within MaxStale the page before may be served.
		id := addNews(t, db, "tt-behind-1", time.Date(2025, 6, 1, 10, 0, 0, 0, ict))
		if w := get(h, http.MethodGet, "/feeds/all.atom", "If-None-Match", old); w.Code != http.StatusNotModified {
			t.Errorf("within MaxStale: status %d, want 304 for the page before", w.Code)
		}
		// Past it, no Run: the request renders.
		time.Sleep(time.Hour)
		w := get(h, http.MethodGet, "/feeds/all.atom", "If-None-Match", old)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), id) {
			t.Fatalf("an hour after the change: status %d, new item %v; want 200 with it", w.Code, strings.Contains(w.Body.String(), id))
		}
		old = w.Header().Get("ETag")

		// A render under way (h.rendering held) that takes longer than
		// MaxStale: the request waits for it.
		id = addNews(t, db, "tt-behind-2", time.Date(2025, 6, 1, 10, 1, 0, 0, ict))
		h.rendering <- struct{}{}
		time.Sleep(2 * time.Second)
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- get(h, http.MethodGet, "/feeds/all.atom", "If-None-Match", old) }()
		synctest.Wait()
		select {
		case w := <-done:
			t.Fatalf("served while the render was under way: status %d", w.Code)
		default:
		}
		<-h.rendering
		w = <-done
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), id) {
			t.Errorf("after the render: status %d, new item %v; want 200 with it", w.Code, strings.Contains(w.Body.String(), id))
		}
		old = w.Header().Get("ETag")

		// The render under way read the store just before a commit that
		// the waiting request saw: the request gets that render's
		// generation, which misses only a change made less than MaxStale
		// ago, and renders nothing more.
		id = addNews(t, db, "tt-behind-3", time.Date(2025, 6, 1, 10, 2, 0, 0, ict))
		h.rendering <- struct{}{}
		time.Sleep(2 * time.Second)
		go func() { done <- get(h, http.MethodGet, "/feeds/all.atom", "If-None-Match", old) }()
		synctest.Wait()
		g, err := h.renderGeneration(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		behind := &generation{version: g.version - 1, docs: g.docs} // as if read before the last commit
		behind.fresh.Store(int64(h.clock()))
		h.gen.Store(behind)
		n := h.generations.Load()
		<-h.rendering
		w = <-done
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), id) {
			t.Errorf("status %d, new item %v; want 200 with it", w.Code, strings.Contains(w.Body.String(), id))
		}
		if got := h.generations.Load() - n; got != 0 {
			t.Errorf("%d more generations rendered for the waiting request, want 0", got)
		}

		// Without MaxStale every request after a change sees it.
		strict, db2, _ := newFixtureHandler(t, Options{})
		before := get(strict, http.MethodGet, "/feeds/all.atom").Header().Get("ETag")
		id = addNews(t, db2, "tt-strict", time.Date(2025, 6, 1, 10, 0, 0, 0, ict))
		if w := get(strict, http.MethodGet, "/feeds/all.atom", "If-None-Match", before); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), id) {
			t.Errorf("MaxStale 0: status %d right after a change, want 200 with the new item", w.Code)
		}
	})
}

// TestGenerationAtomic stores items while readers take generations: every
// generation they see has every output and format from one state of the
// store, and the versions they see never go back.
func TestGenerationAtomic(t *testing.T) {
	h, db, _ := newFixtureHandler(t, Options{Outputs: currentOutputs})
	if _, err := h.current(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	seen := make(map[*generation]bool)
	wg.Go(func() {
		var last uint64
		for ctx.Err() == nil {
			g, err := h.current(ctx)
			if err != nil {
				if ctx.Err() == nil {
					t.Error(err)
				}
				return
			}
			if g.version < last {
				t.Errorf("generation %d after %d", g.version, last)
			}
			last = g.version
			if !seen[g] {
				seen[g] = true
				checkGeneration(t, h, g)
			}
		}
	})
	for i := range 20 {
		addNews(t, db, "tt-atomic-"+strings.Repeat("z", i+1), time.Date(2025, 6, 1, 10, i, 0, 0, ict))
	}
	cancel()
	wg.Wait()
	if len(seen) < 2 {
		t.Errorf("readers saw %d generations over 20 commits", len(seen))
	}
}

// pingHub is a WebSub hub that, on each publish request, fetches the topic
// from the handler as a real hub would and keeps what it got.
type pingHub struct {
	h       http.Handler
	mu      sync.Mutex
	fetched map[string][]string // topic URL → bodies fetched, one per ping
}

func (hb *pingHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("hub.mode") != "publish" {
		http.Error(w, "bad publish request", http.StatusBadRequest)
		return
	}
	topic := r.Form.Get("hub.url")
	u, err := url.Parse(topic)
	if err != nil {
		http.Error(w, "bad topic", http.StatusBadRequest)
		return
	}
	rec := httptest.NewRecorder()
	hb.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.Path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	hb.mu.Lock()
	hb.fetched[topic] = append(hb.fetched[topic], string(body))
	hb.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// waitPings waits (5 s at most) until every topic has n pings, the last
// fetch of each showing id; it returns the pings per topic and whether
// the last fetch of each showed id.
func (hb *pingHub) waitPings(topics []string, n int, id string) (pings map[string]int, shown map[string]bool) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		hb.mu.Lock()
		pings, shown = make(map[string]int), make(map[string]bool)
		ok := true
		for _, tp := range topics {
			bodies := hb.fetched[tp]
			pings[tp] = len(bodies)
			shown[tp] = len(bodies) > 0 && strings.Contains(bodies[len(bodies)-1], id)
			ok = ok && pings[tp] >= n && shown[tp]
		}
		hb.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return pings, shown
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebSubEveryChange: with no reader, each change is pinged to the hub,
// the last one before a quiet spell included, and the hub fetching the
// topic then gets the page with the change; outputs the change does not
// touch are not pinged. At start every topic is pinged once: a change
// stored while no publisher ran (a crash between a commit and its ping)
// reaches the hubs too.
func TestWebSubEveryChange(t *testing.T) {
	hb := &pingHub{fetched: make(map[string][]string)}
	srv := httptest.NewServer(hb)
	defer srv.Close()
	h, db, _ := newFixtureHandler(t, Options{Outputs: currentOutputs, WebSubHubs: []string{srv.URL + "/hub"}, MaxStale: time.Second})
	hb.h = h
	h.retryBase = 10 * time.Millisecond
	var changed, unchanged []string
	for _, o := range h.order {
		for f := range numFormats {
			if o.Name == "all" || o.Name == "thoisu" {
				changed = append(changed, o.selfLinks[f])
			} else {
				unchanged = append(unchanged, o.selfLinks[f])
			}
		}
	}
	before := addNews(t, db, "tt-ping-0", time.Date(2025, 6, 1, 9, 0, 0, 0, ict))
	startRun(t, h)
	pings, shown := hb.waitPings(changed, 1, before)
	for _, tp := range changed {
		if pings[tp] != 1 || !shown[tp] {
			t.Errorf("at start: %d pings for %s, the fetch showing the change made before: %v; want 1, true", pings[tp], tp, shown[tp])
		}
	}
	pings, _ = hb.waitPings(unchanged, 1, "")
	for _, tp := range unchanged {
		if pings[tp] != 1 {
			t.Errorf("at start: %d pings for %s, want 1", pings[tp], tp)
		}
	}
	for i, guid := range []string{"tt-ping-1", "tt-ping-2"} {
		id := addNews(t, db, guid, time.Date(2025, 6, 1, 10, i, 0, 0, ict))
		pings, shown := hb.waitPings(changed, i+2, id)
		for _, tp := range changed {
			if pings[tp] != i+2 || !shown[tp] {
				t.Errorf("after %s: %d pings for %s, the last fetch showing it: %v; want %d, true", guid, pings[tp], tp, shown[tp], i+2)
			}
		}
	}
	hb.mu.Lock()
	defer hb.mu.Unlock()
	for _, tp := range unchanged {
		if n := len(hb.fetched[tp]); n != 1 {
			t.Errorf("%d pings for %s, which no change touched; want the one at start", n, tp)
		}
	}
}
