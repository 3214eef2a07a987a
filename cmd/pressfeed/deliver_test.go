package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/deliver"
	"github.com/pressfeed/pressfeed/deliver/delivertest"
	"github.com/pressfeed/pressfeed/store"
)

// pressFeeds serves outlets whose every fetch publishes five new stories,
// up to 15; every fifth story is urgent ("khẩn").
type pressFeeds struct {
	mu   sync.Mutex
	next map[string]int
}

func (pf *pressFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	outlet := strings.TrimPrefix(r.URL.Path, "/")
	pf.mu.Lock()
	pf.next[outlet] = min(pf.next[outlet]+5, 15)
	n := pf.next[outlet]
	pf.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>https://%s.example/</link><description>x</description>`, outlet, outlet)
	for i := n - 1; i >= max(0, n-30); i-- {
		kind := "thường"
		if i%5 == 0 {
			kind = "khẩn"
		}
		fmt.Fprintf(&b, `<item><title>Tin %s %s số %d về giao thông thành phố</title><link>https://%s.example/tin-%d.html?utm_source=rss</link><guid>%s-%d</guid><description>Nội dung tin số %d của %s.</description></item>`,
			kind, outlet, i, outlet, i, outlet, i, i, outlet)
	}
	b.WriteString(`</channel></rss>`)
	w.Header().Set("Content-Type", "application/rss+xml")
	io.WriteString(w, b.String())
}

// flakyReceiver answers a third of the requests with 500, at random, and
// records the batches it acknowledged and the Telegram messages it took.
type flakyReceiver struct {
	mu       sync.Mutex
	rng      *rand.Rand
	acked    map[string][]string // webhook batch id → item ids
	resent   []string            // batch ids acknowledged twice with other items
	messages []string            // Telegram texts acknowledged
}

func (fr *flakyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if err != nil || fr.rng.IntN(3) == 0 {
		http.Error(w, "busy", http.StatusInternalServerError)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/sendMessage") {
		var m struct{ Text string }
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fr.messages = append(fr.messages, m.Text)
		io.WriteString(w, `{"ok":true}`)
		return
	}
	if r.Header.Get("X-Pressfeed-Signature") != deliver.Signature("khoá", body) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	var doc struct{ Items []struct{ ID string } }
	if err := json.Unmarshal(body, &doc); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ids []string
	for _, it := range doc.Items {
		ids = append(ids, it.ID)
	}
	id := r.Header.Get("X-Pressfeed-Delivery")
	if prev, ok := fr.acked[id]; ok && !slices.Equal(prev, ids) {
		fr.resent = append(fr.resent, id)
	}
	fr.acked[id] = ids
}

// TestDeliveriesSurviveKills runs the daemon with a webhook, a Telegram
// channel and an e-mail digest, SIGKILLs it four times while the receivers
// fail a third of the requests, and checks the end: every stored item
// acknowledged by the webhook in exactly one batch, a Telegram message for
// every urgent story (a repeat only where a kill fell between Telegram's
// answer and its record), one digest at its time, and the report adding up
// to the stories stored.
func TestDeliveriesSurviveKills(t *testing.T) {
	feeds := httptest.NewServer(&pressFeeds{next: map[string]int{}})
	defer feeds.Close()
	fr := &flakyReceiver{rng: rand.New(rand.NewPCG(7, 11)), acked: map[string][]string{}}
	recv := httptest.NewServer(fr)
	defer recv.Close()
	smtpd := delivertest.StartSMTP(t, "bientap", "mật khẩu")

	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	// The digest time: the first minute that starts at least 20 s from now.
	digestAt := time.Now().In(loc).Add(20 * time.Second).Truncate(time.Minute).Add(time.Minute)
	dir := t.TempDir()
	addr := freeAddr(t)
	extra := fmt.Sprintf(`[[outputs]]
name = "all"
[[outputs]]
name = "khan"
include = ["khẩn"]
[[deliver]]
name = "hook"
output = "all"
kind = "webhook"
url = "%[1]s/hook"
secret = "khoá"
[[deliver]]
name = "kenh"
output = "khan"
kind = "telegram"
bot_token = "123:ABC"
chat_id = "@kenh"
api_url = "%[1]s"
[[deliver]]
name = "thu"
output = "all"
kind = "email"
smtp = "smtp://bientap:m%%E1%%BA%%ADt%%20kh%%E1%%BA%%A9u@%[2]s"
from = "pressfeed@baochi.example"
to = ["bientap@baochi.example"]
at = ["%[3]s"]
`, recv.URL, smtpd.Addr, digestAt.Format("15:04"))
	var b strings.Builder
	dbPath := filepath.Join(dir, "data", "pressfeed.db")
	fmt.Fprintf(&b, "[server]\nlisten = %q\nbase_url = \"http://%s\"\n[store]\npath = %q\n", addr, addr, dbPath)
	b.WriteString("[fetch]\ntimeout = \"5s\"\nallow_networks = [\"127.0.0.0/8\"]\n")
	for _, o := range []string{"bao-a", "bao-b", "bao-c"} {
		fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = \"%s/%s\"\ninterval = \"10s\"\n", o, feeds.URL, o)
	}
	b.WriteString(extra)
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	kills := 0
	for range 4 {
		p := startProc(t, addr, nil, "-config", cfgPath, "run")
		time.Sleep(time.Duration(1500+rand.IntN(1500)) * time.Millisecond)
		p.signal(t, syscall.SIGKILL)
		p.wait(t, 10*time.Second)
		kills++
	}
	p := startProc(t, addr, nil, "-config", cfgPath, "run")
	waitListening(t, p)
	// Let the feeds publish past the digest time, then let every delivery drain.
	deadline := time.Now().Add(3 * time.Minute)
	for len(smtpd.Messages()) == 0 || !drained(t, p) {
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not drained by %s; stderr:\n%s", deadline, p.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.stderr.String())
	}

	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var stored, urgent []string
	seenBy := map[string]time.Time{}
	if err := db.Walk(context.Background(), time.Time{}, "", func(it *store.Item) bool {
		stored = append(stored, it.ID)
		seenBy[it.Title] = it.Seen
		if strings.Contains(it.Title, "khẩn") {
			urgent = append(urgent, it.Title)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	fr.mu.Lock()
	defer fr.mu.Unlock()
	batchesOf := map[string][]string{}
	for id, items := range fr.acked {
		for _, it := range items {
			batchesOf[it] = append(batchesOf[it], id)
		}
	}
	for _, id := range stored {
		if n := len(batchesOf[id]); n != 1 {
			t.Errorf("item %s acknowledged in %d batches %q; want exactly one", id, n, batchesOf[id])
		}
	}
	if len(batchesOf) != len(stored) || len(fr.resent) > 0 {
		t.Errorf("webhook acknowledged %d items for %d stored; batches resent with other items: %q", len(batchesOf), len(stored), fr.resent)
	}
	repeats := 0
	for _, title := range urgent {
		n := 0
		for _, m := range fr.messages {
			if strings.Contains(m, ">"+title+"<") {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no Telegram message for %q", title)
		}
		repeats += max(0, n-1)
	}
	if repeats > kills || len(fr.messages) != len(urgent)+repeats {
		t.Errorf("%d Telegram messages for %d urgent stories (%d repeats, %d kills)", len(fr.messages), len(urgent), repeats, kills)
	}

	msgs := smtpd.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d digests, want one", len(msgs))
	}
	digest, err := msgs[0].Text()
	if err != nil {
		t.Fatal(err)
	}
	for title, seen := range seenBy {
		if seen.Before(digestAt) && !strings.Contains(digest, title) {
			t.Errorf("digest at %s lacks %q, first seen %s", digestAt.Format("15:04"), title, seen)
		}
	}

	out, err := runCapture(t, "-config", cfgPath, "report", "-from", "2000-01-01", "-to", "2100-01-01", "-format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	led := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		var n int
		if _, err := fmt.Sscanf(strings.Split(line, ",")[1], "%d", &n); err != nil {
			t.Fatal(err)
		}
		led += n
	}
	if led != len(stored) {
		t.Errorf("report: %d stories led in all, %d stored:\n%s", led, len(stored), out)
	}
	t.Logf("%d stories, %d webhook batches, %d Telegram messages (%d urgent), 1 digest, %d kills", len(stored), len(fr.acked), len(fr.messages), len(urgent), kills)
}

// drained reports whether the webhook and the Telegram channel have
// nothing pending (a digest keeps what arrived after it for the next one).
func drained(t *testing.T, p *proc) bool {
	code, body := p.get(t, "/status.json")
	if code != http.StatusOK {
		return false
	}
	var s struct {
		Deliveries []struct {
			Name    string
			Pending int
		}
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	for _, d := range s.Deliveries {
		if d.Name != "thu" && d.Pending > 0 {
			return false
		}
	}
	return len(s.Deliveries) == 3
}
