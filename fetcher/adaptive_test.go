package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// morningTransport serves, for every host, a feed whose one item a day
// is published at 08:00 ICT, and records when each host was asked.
type morningTransport struct {
	mu    sync.Mutex
	times map[string][]time.Time
}

func (m *morningTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	now := time.Now()
	m.mu.Lock()
	m.times[r.URL.Host] = append(m.times[r.URL.Host], now)
	m.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Sáng</title><link>https://sang.example/</link><description>d</description>`)
	y, mo, d := now.In(ict).Date()
	day := time.Date(y, mo, d, 8, 0, 0, 0, ict)
	if day.After(now) {
		day = day.AddDate(0, 0, -1)
	}
	for i := range 10 {
		at := day.AddDate(0, 0, -i)
		fmt.Fprintf(&b, `<item><title>Bản tin sáng ngày %s</title><link>https://sang.example/%d.html</link><guid>%d</guid><pubDate>%s</pubDate></item>`,
			at.Format("02/01/2006"), at.Unix(), at.Unix(), at.Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/rss+xml"}},
		Body: io.NopCloser(strings.NewReader(b.String())), Request: r}, nil
}

func (m *morningTransport) requests(host string) []time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]time.Time(nil), m.times[host]...)
}

// hitsAfter counts the days from first (a day's 08:00) for which some
// request came within 5 minutes after that day's 08:00: fixed polling at
// 15 minutes does on about a third of the days.
func hitsAfter(reqs []time.Time, first time.Time, days int) int {
	hits := 0
	for d := range days {
		at := first.AddDate(0, 0, d)
		for _, r := range reqs {
			if r.After(at) && r.Sub(at) <= 5*time.Minute {
				hits++
				break
			}
		}
	}
	return hits
}

// TestAdaptivePollerLearnsMorning runs the poller for three weeks on a
// fake clock with adaptive polling on: a feed publishing at 08:00 ends up
// polled within 5 minutes after 08:00, at no more requests than fixed polling; a feed
// with its own interval publishing the same is polled at that interval
// all along. The store is then closed and opened again: what was learnt
// is there, and a new poller goes on polling just after 08:00.
func TestAdaptivePollerLearnsMorning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pressfeed.db")
	synctest.Test(t, func(t *testing.T) {
		tr := &morningTransport{times: map[string][]time.Time{}}
		opts := Options{Interval: 15 * time.Minute, Adaptive: true, MinInterval: 2 * time.Minute, MaxInterval: 2 * time.Hour,
			Location: ict, Client: &http.Client{Transport: tr},
			Feeds: []Feed{
				{Name: "morning", URL: "https://morning.example/rss"},
				{Name: "pinned", URL: "https://pinned.example/rss", Interval: 10 * time.Minute},
			}}
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		p := NewPoller(db, opts)
		done := make(chan error)
		go func() { done <- p.Run(ctx) }()
		time.Sleep(3 * week)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		learnt := p.States()

		y, mo, d := start.Add(2 * week).In(ict).Date()
		week3 := time.Date(y, mo, d, 8, 0, 0, 0, ict)
		morning := tr.requests("morning.example")
		if hits := hitsAfter(morning, week3, 7); hits < 6 {
			t.Errorf("third week: polled within 5 min after 08:00 on %d of 7 days; want at least 6", hits)
		}
		n := 0
		for _, r := range morning {
			if !r.Before(start.Add(2 * week)) {
				n++
			}
		}
		if budget := int(week / opts.Interval); n > budget*105/100 {
			t.Errorf("third week: %d requests; fixed polling makes %d", n, budget)
		}
		pinned := tr.requests("pinned.example")
		for i := 1; i < len(pinned); i++ {
			if gap := pinned[i].Sub(pinned[i-1]); gap < 9*time.Minute || gap > 11*time.Minute {
				t.Fatalf("pinned feed asked again after %s; want 10m ±10%%", gap)
			}
		}
		if st := learnt["pinned"]; st.PollReason != ReasonPinned || st.Rhythm != nil {
			t.Errorf("pinned feed: reason %q, rhythm of %d bytes; want %q and none", st.PollReason, len(st.Rhythm), ReasonPinned)
		}
		learntReasons := map[string]bool{ReasonBusy: true, ReasonQuietHour: true, ReasonMin: true, ReasonMax: true, ReasonBurst: true}
		if st := learnt["morning"]; len(st.Rhythm) != rhythmSize || st.PollInterval <= 0 || !learntReasons[st.PollReason] {
			t.Errorf("morning feed: rhythm of %d bytes, interval %s, reason %q", len(st.Rhythm), st.PollInterval, st.PollReason)
		}

		// Restart: close the file, open it again.
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db, err = store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		stored, err := db.FeedStates(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored["morning"].Rhythm, learnt["morning"].Rhythm) || len(stored["morning"].Rhythm) == 0 {
			t.Fatalf("stored rhythm differs from the one learnt")
		}
		restart := time.Now()
		ctx, cancel = context.WithCancel(context.Background())
		p = NewPoller(db, opts)
		go func() { done <- p.Run(ctx) }()
		time.Sleep(3 * 24 * time.Hour)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		y, mo, d = restart.Add(24 * time.Hour).In(ict).Date()
		next := time.Date(y, mo, d, 8, 0, 0, 0, ict)
		if hits := hitsAfter(tr.requests("morning.example"), next, 2); hits < 2 {
			t.Errorf("after a restart: polled within 5 min after 08:00 on %d of 2 days", hits)
		}
		if err := db.Check(); err != nil {
			t.Error(err)
		}
	})
}

// TestPlanReasons: the delay after a successful fetch and why, for each
// kind of feed, and never under what the publisher asked.
func TestPlanReasons(t *testing.T) {
	now := time.Date(2026, 6, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		adaptive bool
		feed     Feed
		res      result
		lo, hi   time.Duration
		why      string
	}{
		{"fixed", false, Feed{Name: "a"}, result{}, 13 * time.Minute, 17 * time.Minute, ReasonFixed},
		{"pinned", true, Feed{Name: "a", Interval: time.Hour}, result{}, 54 * time.Minute, 66 * time.Minute, ReasonPinned},
		{"new adaptive feed", true, Feed{Name: "a"}, result{}, 13 * time.Minute, 17 * time.Minute, ReasonLearning},
		{"cache-control", true, Feed{Name: "a"}, result{Lifetime: 3 * time.Hour}, 3 * time.Hour, 3 * time.Hour, ReasonCache},
		{"ttl", true, Feed{Name: "a"}, result{TTL: 5 * time.Hour, Lifetime: time.Hour}, 5 * time.Hour, 5 * time.Hour, ReasonTTL},
		{"ttl under the pin", true, Feed{Name: "a", Interval: time.Hour}, result{TTL: 30 * time.Minute}, 54 * time.Minute, 66 * time.Minute, ReasonPinned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPoller(nil, Options{Adaptive: tt.adaptive, Feeds: []Feed{tt.feed}})
			p.states = map[string]store.FeedState{}
			var st store.FeedState
			p.plan(tt.feed, store.FeedState{}, &st, now, tt.res, 0)
			if st.PollInterval < tt.lo || st.PollInterval > tt.hi || st.PollReason != tt.why || !st.NextPoll.Equal(now.Add(st.PollInterval)) {
				t.Errorf("plan: %s (%q), next %s; want %s–%s (%q)", st.PollInterval, st.PollReason, st.NextPoll, tt.lo, tt.hi, tt.why)
			}
		})
	}
}

// TestFailureReasons: after a failed fetch the state says why the next
// poll is when it is: the site's Retry-After when that is the longer,
// else backoff; once a day for a feed that is gone.
func TestFailureReasons(t *testing.T) {
	tr := &statusTransport{times: map[string][]time.Time{}, serve: map[string]func(int) (int, http.Header, string){
		"throttled.example": func(int) (int, http.Header, string) {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"10800"}}, ""
		},
		"broken.example": func(int) (int, http.Header, string) { return http.StatusInternalServerError, nil, "" },
		"gone.example":   func(int) (int, http.Header, string) { return http.StatusGone, nil, "" },
	}}
	opts := Options{Interval: 15 * time.Minute, Adaptive: true, Client: &http.Client{Transport: tr}}
	for _, h := range []string{"throttled", "broken", "gone"} {
		opts.Feeds = append(opts.Feeds, Feed{Name: h, URL: "https://" + h + ".example/rss"})
	}
	p := NewPoller(openStore(t), opts)
	if err := p.Once(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		feed   string
		lo, hi time.Duration
		why    string
	}{
		{"throttled", 3 * time.Hour, 3 * time.Hour, ReasonRetryAfter},
		{"broken", 13 * time.Minute, 17 * time.Minute, ReasonBackoff},
		{"gone", goneInterval, goneInterval, ReasonGone},
	}
	states := p.States()
	for _, tt := range tests {
		st := states[tt.feed]
		if st.PollInterval < tt.lo || st.PollInterval > tt.hi || st.PollReason != tt.why {
			t.Errorf("%s: next poll in %s (%q); want %s–%s (%q)", tt.feed, st.PollInterval, st.PollReason, tt.lo, tt.hi, tt.why)
		}
	}
}
