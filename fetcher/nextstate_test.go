package fetcher

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

func TestSucceeded(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	failing := store.FeedState{Failures: 3, LastError: "timeout", ErrorClass: "timeout", ErrorSince: now.Add(-time.Hour),
		NotBefore: now.Add(-time.Minute), Gone: true, ETag: `"a"`, Title: "Báo"}
	tests := []struct {
		name          string
		prev          store.FeedState
		res           result
		asked         string
		wantMovedTo   string
		wantMovedFrom string
	}{
		{"health reset", failing, result{TTL: time.Hour}, "https://a.example/rss", "", ""},
		{"a move learnt", store.FeedState{}, result{MovedTo: "https://b.example/rss"}, "https://a.example/rss",
			"https://b.example/rss", "https://a.example/rss"},
		{"a move kept", store.FeedState{MovedFrom: "https://a.example/rss", MovedTo: "https://b.example/rss"}, result{},
			"https://b.example/rss", "https://b.example/rss", "https://a.example/rss"},
		{"a move ended", store.FeedState{MovedFrom: "https://a.example/rss", MovedTo: "https://b.example/rss"}, result{},
			"https://a.example/rss", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := succeeded(tt.prev, now, tt.res, tt.asked, "https://a.example/rss")
			if st.Failures != 0 || st.LastError != "" || st.ErrorClass != "" || !st.ErrorSince.IsZero() ||
				!st.NotBefore.IsZero() || st.Gone || !st.LastSuccess.Equal(now) || !st.LastFetch.Equal(now) {
				t.Errorf("health not reset: %+v", st)
			}
			if st.TTL != tt.res.TTL || st.MovedTo != tt.wantMovedTo || st.MovedFrom != tt.wantMovedFrom {
				t.Errorf("ttl %s, moved %q from %q; want %s, %q from %q", st.TTL, st.MovedTo, st.MovedFrom,
					tt.res.TTL, tt.wantMovedTo, tt.wantMovedFrom)
			}
			if st.ETag != tt.prev.ETag || st.Title != tt.prev.Title {
				t.Errorf("validators or title changed: %+v", st)
			}
		})
	}
}

func TestFailed(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	interval := 15 * time.Minute
	since := now.Add(-2 * time.Hour)
	tests := []struct {
		name       string
		prev       store.FeedState
		err        error
		wantNext   time.Duration // from now, before ±10% jitter (exact for gone and Retry-After)
		wantReason string
		wantBefore time.Duration // NotBefore from now; 0: unset
		wantGone   bool
		wantSince  time.Time
	}{
		{"first failure", store.FeedState{}, errors.New("timeout"), interval, ReasonBackoff, 0, false, now},
		{"third failure keeps its start", store.FeedState{Failures: 2, ErrorSince: since}, errors.New("timeout"),
			4 * interval, ReasonBackoff, 0, false, since},
		{"410 gone", store.FeedState{}, &StatusError{Code: http.StatusGone}, goneInterval, ReasonGone, 0, true, now},
		{"429 asks for longer than the backoff", store.FeedState{},
			&StatusError{Code: http.StatusTooManyRequests, RetryAfter: 6 * time.Hour},
			6 * time.Hour, ReasonRetryAfter, 6 * time.Hour, false, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := failed(tt.prev, now, interval, tt.err, "x")
			if st.Failures != tt.prev.Failures+1 || st.LastError != tt.err.Error() || st.ErrorClass != "x" ||
				!st.LastFetch.Equal(now) || !st.ErrorSince.Equal(tt.wantSince) {
				t.Errorf("failure not counted: %+v", st)
			}
			lo, hi := tt.wantNext, tt.wantNext
			if tt.wantReason == ReasonBackoff {
				lo, hi = tt.wantNext*9/10, tt.wantNext*11/10
			}
			if got := st.NextPoll.Sub(now); got < lo || got > hi || st.PollInterval != got || st.PollReason != tt.wantReason {
				t.Errorf("next poll in %s (%s, %q); want %s to %s, %q", got, st.PollInterval, st.PollReason, lo, hi, tt.wantReason)
			}
			var before time.Duration
			if !st.NotBefore.IsZero() {
				before = st.NotBefore.Sub(now)
			}
			if before != tt.wantBefore || st.Gone != tt.wantGone {
				t.Errorf("not before +%s, gone %v; want +%s, %v", before, st.Gone, tt.wantBefore, tt.wantGone)
			}
		})
	}
}
