package deliver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// fixture is a store with deliveries routed, and the publisher presenting
// its items.
type fixture struct {
	db     *store.DB
	h      *publisher.Handler
	router *Router
	ds     []Delivery
}

func newFixture(t *testing.T, ds []Delivery, configured time.Time) *fixture {
	t.Helper()
	f := &fixture{router: &Router{}, ds: ds}
	db, err := store.Open(filepath.Join(t.TempDir(), "p.db"), store.Options{Enqueue: f.router.Enqueue})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Error(err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	f.db = db
	f.h, err = publisher.NewHandler(db, publisher.Options{
		Feeds:   []publisher.Feed{{Name: "sggp", Title: "Sài Gòn Giải Phóng"}, {Name: "tuoitre", Title: "Tuổi Trẻ"}},
		Outputs: []publisher.Output{{Name: "all"}, {Name: "xang", Include: []string{"giá xăng"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	states, err := db.Deliveries(context.Background(), names, configured)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.router.Configure(ds, f.h.Keep, states); err != nil {
		t.Fatal(err)
	}
	return f
}

// add stores n stories from feed, titled prefix and a number.
func (f *fixture) add(t *testing.T, feed, prefix string, n int) []string {
	t.Helper()
	var items []store.Incoming
	var titles []string
	for i := range n {
		title := fmt.Sprintf("%s số %d", prefix, i)
		link := fmt.Sprintf("https://%s.example/%s/%d?utm_source=rss", feed, strings.ReplaceAll(prefix, " ", "-"), i)
		items = append(items, store.Incoming{
			Item:    store.Item{Title: title, Link: link, Summary: "Tóm tắt <" + title + "> & chi tiết", Content: "<p>Nội dung</p>", Published: time.Now().Add(-time.Hour)},
			LinkKey: link, HashKey: "h" + link, TitleKey: strings.ToLower(title), Dated: true,
		})
		titles = append(titles, title)
	}
	if _, err := f.db.Add(context.Background(), feed, items, &store.FeedState{}); err != nil {
		t.Fatal(err)
	}
	return titles
}

func (f *fixture) run(t *testing.T, opts Options) (stop func()) {
	t.Helper()
	opts.Deliveries, opts.Presenter = f.ds, f.h
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 2 * time.Second}
	}
	opts.Poll, opts.RetryBase, opts.RetryMax = 20*time.Millisecond, 20*time.Millisecond, 100*time.Millisecond
	if opts.TelegramGap == 0 {
		opts.TelegramGap = time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, f.db, opts) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receiver is a webhook receiver that fails about a third of the requests
// (500, 429 with Retry-After, or no answer in time) and records the batches
// it acknowledged.
type receiver struct {
	secret string
	mu     sync.Mutex
	rng    *rand.Rand
	acked  map[string][]string // batch id → item titles
	seen   int                 // requests
	bad    []string            // what was wrong with a request
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.seen++
	if err != nil {
		rc.bad = append(rc.bad, err.Error())
		return
	}
	id := r.Header.Get("X-Pressfeed-Delivery")
	if got, want := r.Header.Get("X-Pressfeed-Signature"), Signature(rc.secret, body); got != want {
		rc.bad = append(rc.bad, fmt.Sprintf("signature %q, want %q", got, want))
	}
	var doc struct {
		Delivery, Output string
		Items            []struct {
			ID, Title, URL string
			ContentHTML    string `json:"content_html"`
		}
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Delivery != "hook" || doc.Output != "all" || id == "" {
		rc.bad = append(rc.bad, fmt.Sprintf("body %s, id %q: %v", body, id, err))
	}
	if len(doc.Items) == 0 || len(doc.Items) > webhookBatch {
		rc.bad = append(rc.bad, fmt.Sprintf("batch of %d items", len(doc.Items)))
	}
	switch rc.rng.IntN(6) {
	case 0:
		http.Error(w, "busy", http.StatusInternalServerError)
		return
	case 1:
		w.Header().Set("Retry-After", "0")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	var titles []string
	for _, it := range doc.Items {
		if it.URL == "" || it.ContentHTML == "" || !strings.HasPrefix(it.ID, store.IDPrefix) {
			rc.bad = append(rc.bad, fmt.Sprintf("item %+v", it))
		}
		titles = append(titles, it.Title)
	}
	if prev, ok := rc.acked[id]; ok && !slices.Equal(prev, titles) {
		rc.bad = append(rc.bad, fmt.Sprintf("batch %s resent with other items: %q then %q", id, prev, titles))
	}
	rc.acked[id] = titles
}

func (rc *receiver) items() map[string][]string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	byItem := make(map[string][]string)
	for id, titles := range rc.acked {
		for _, title := range titles {
			byItem[title] = append(byItem[title], id)
		}
	}
	return byItem
}

// TestWebhookExactlyOnce stores items before and while the sender runs,
// against a receiver that fails a third of the requests: every item is
// acknowledged in exactly one batch, never two.
func TestWebhookExactlyOnce(t *testing.T) {
	rc := &receiver{secret: "bí mật", rng: rand.New(rand.NewPCG(1, 2)), acked: map[string][]string{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	f := newFixture(t, []Delivery{{Name: "hook", Output: "all", Kind: Webhook, URL: srv.URL, Secret: rc.secret}}, time.Now().Add(-time.Minute))
	want := f.add(t, "sggp", "Tin sáng", 120)
	stop := f.run(t, Options{})
	want = append(want, f.add(t, "tuoitre", "Tin chiều", 30)...)
	// Recorded as sent, not only answered: a stop between the receiver's
	// answer and the record would rightly send the batch again.
	waitFor(t, "every item acknowledged and recorded", func() bool {
		states, err := f.db.DeliveryStates(context.Background())
		return err == nil && states["hook"].Sent == len(want)
	})
	stop()
	for title, ids := range rc.items() {
		if len(ids) != 1 {
			t.Errorf("%q acknowledged in batches %q; want exactly one", title, ids)
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, b := range rc.bad {
		t.Error(b)
	}
	states, err := f.db.DeliveryStates(context.Background())
	if st := states["hook"]; err != nil || st.Sent != len(want) || st.Pending != 0 || st.Batch != nil {
		t.Errorf("state %+v, %v; want %d sent, none pending", st, err, len(want))
	}
	t.Logf("%d items in %d batches over %d requests", len(want), len(rc.acked), rc.seen)
}

// TestRouting checks which items reach which delivery: only items of the
// delivery's output, only items first seen after it was configured, a
// story joined by a second outlet not again, a correction not again.
func TestRouting(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]string{} // delivery → titles
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var doc struct {
			Delivery string
			Items    []struct{ Title string }
		}
		if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
			t.Error(err)
		}
		mu.Lock()
		for _, it := range doc.Items {
			got[doc.Delivery] = append(got[doc.Delivery], it.Title)
		}
		mu.Unlock()
	}))
	defer srv.Close()
	ds := []Delivery{
		{Name: "all", Output: "all", Kind: Webhook, URL: srv.URL},
		{Name: "xang", Output: "xang", Kind: Webhook, URL: srv.URL},
	}
	f := newFixture(t, ds, time.Now().Add(time.Hour)) // configured "later": nothing is new enough
	f.add(t, "sggp", "Tin cũ", 2)
	f = newFixture(t, ds, time.Now().Add(-time.Minute))
	f.add(t, "sggp", "Giá xăng giảm", 2)
	f.add(t, "sggp", "Tin khác", 1)
	f.add(t, "tuoitre", "Giá xăng giảm", 1) // a copy: same title, joins story 0
	stop := f.run(t, Options{})
	defer stop()
	waitFor(t, "both deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got["all"]) == 3 && len(got["xang"]) == 2
	})
	time.Sleep(100 * time.Millisecond) // nothing more comes
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got["all"])
	slices.Sort(got["xang"])
	if want := []string{"Giá xăng giảm số 0", "Giá xăng giảm số 1", "Tin khác số 0"}; !slices.Equal(got["all"], want) {
		t.Errorf("all got %q, want %q", got["all"], want)
	}
	if want := []string{"Giá xăng giảm số 0", "Giá xăng giảm số 1"}; !slices.Equal(got["xang"], want) {
		t.Errorf("xang got %q, want %q", got["xang"], want)
	}
}

// TestTelegram sends one message per story to a Bot API stand-in that
// answers 429 with retry_after once: the headline as a link, the lead and
// the outlets, in Telegram's HTML, escaped.
func TestTelegram(t *testing.T) {
	var mu sync.Mutex
	var msgs []map[string]any
	limited := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bot123:ABC/sendMessage" {
			t.Errorf("path %s", r.URL.Path)
		}
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Error(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !limited {
			limited = true
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
			return
		}
		msgs = append(msgs, m)
		io.WriteString(w, `{"ok":true,"result":{}}`)
	}))
	defer srv.Close()
	f := newFixture(t, []Delivery{{Name: "kenh", Output: "all", Kind: Telegram, BotToken: "123:ABC", ChatID: "@kenh", APIURL: srv.URL}}, time.Now().Add(-time.Minute))
	f.add(t, "sggp", "Giá xăng <giảm> & tăng", 3)
	f.add(t, "tuoitre", "Giá xăng <giảm> & tăng", 1) // joins story 0
	stop := f.run(t, Options{})
	waitFor(t, "three messages", func() bool { mu.Lock(); defer mu.Unlock(); return len(msgs) == 3 })
	stop()
	for _, m := range msgs {
		text, _ := m["text"].(string)
		if m["chat_id"] != "@kenh" || m["parse_mode"] != "HTML" {
			t.Errorf("message %v", m)
		}
		for _, want := range []string{`<b><a href="https://sggp.example/`, "Giá xăng &lt;giảm&gt; &amp; tăng số", "Tóm tắt &lt;Giá xăng", "<i>Sài Gòn Giải Phóng"} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "utm_source") {
			t.Errorf("text carries a tracking parameter:\n%s", text)
		}
	}
}

func TestTelegramTextFits(t *testing.T) {
	it := &store.Item{Title: "Tiêu đề", Link: "https://a.example/x?a=1&b=2", Summary: strings.Repeat("Chữ <b> & ", 1000)}
	text := telegramText(it, []string{"SGGP", "Tuổi Trẻ"})
	plain := strings.NewReplacer("<b>", "", "</b>", "", "<i>", "", "</i>", "", `<a href="https://a.example/x?a=1&amp;b=2">`, "", "</a>", "", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(text)
	if n := len([]rune(plain)); n > telegramMax {
		t.Errorf("message of %d characters, want at most %d", n, telegramMax)
	}
	if !strings.HasSuffix(text, "<i>SGGP, Tuổi Trẻ</i>") || !strings.Contains(text, "…") {
		t.Errorf("text does not end with the outlets after a cut lead:\n%s", text[len(text)-200:])
	}
}

// TestSecretsStayOut sends to receivers that refuse connections: the
// failures recorded and logged name the host, never a webhook's secret
// path, its signing secret or a bot token.
func TestSecretsStayOut(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	addr := ln.Listener.Addr().String()
	ln.Close() // nothing listens there any more
	ds := []Delivery{
		{Name: "hook", Output: "all", Kind: Webhook, URL: "http://" + addr + "/hooks/T0-SECRET-PATH", Secret: "SIGNING-SECRET"},
		{Name: "kenh", Output: "all", Kind: Telegram, BotToken: "123:BOT-TOKEN", ChatID: "@kenh", APIURL: "http://" + addr},
	}
	f := newFixture(t, ds, time.Now().Add(-time.Minute))
	f.add(t, "sggp", "Tin", 1)
	var logs strings.Builder
	var mu sync.Mutex
	stop := f.run(t, Options{Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))})
	waitFor(t, "both to fail", func() bool {
		states, err := f.db.DeliveryStates(context.Background())
		return err == nil && states["hook"].Failures > 0 && states["kenh"].Failures > 0
	})
	stop()
	states, err := f.db.DeliveryStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, text := range []string{states["hook"].LastError, states["kenh"].LastError, logs.String()} {
		for _, secret := range []string{"SECRET-PATH", "SIGNING-SECRET", "BOT-TOKEN"} {
			if strings.Contains(text, secret) {
				t.Errorf("%q shows %s", text, secret)
			}
		}
		if !strings.Contains(text, addr) {
			t.Errorf("%q does not name the receiver %s", text, addr)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
