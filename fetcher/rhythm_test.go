package fetcher

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

var ict = time.FixedZone("ICT", 7*3600)

// rhythmRun polls one feed with the pure scheduling code on plain time
// values: every poll observes the items published since the previous one
// and asks Next for the delay to the following poll.
type rhythmRun struct {
	r     Rhythm
	s     Schedule
	loc   *time.Location
	rng   *rand.Rand
	now   time.Time
	last  time.Time // previous poll
	polls []time.Time
	why   string
	delay time.Duration
}

func newRhythmRun(start time.Time, s Schedule) *rhythmRun {
	return &rhythmRun{s: s, loc: ict, rng: rand.New(rand.NewPCG(1, 2)), now: start}
}

// until polls until end; pubs returns how many items were published in
// (from, to].
func (rr *rhythmRun) until(end time.Time, pubs func(from, to time.Time) int) {
	for rr.now.Before(end) {
		n := 0
		if !rr.last.IsZero() {
			n = pubs(rr.last, rr.now)
		}
		rr.r.Observe(rr.last, rr.now, n, rr.loc)
		rr.polls = append(rr.polls, rr.now)
		rr.delay, rr.why = rr.r.Next(rr.now, rr.loc, rr.s, 0, rr.rng.Float64())
		rr.last = rr.now
		rr.now = rr.now.Add(rr.delay)
	}
}

var testSchedule = Schedule{Interval: 15 * time.Minute, Min: 2 * time.Minute, Max: 2 * time.Hour}

// Monday 1 June 2026, 00:00 ICT.
var rhythmStart = time.Date(2026, 6, 1, 0, 0, 0, 0, ict)

// dailyAt returns a publication function of one item a day at hh:mm ICT.
func dailyAt(hh, mm int) func(from, to time.Time) int {
	return func(from, to time.Time) int {
		n := 0
		for d := from.In(ict).Truncate(24 * time.Hour).Add(-24 * time.Hour); !d.After(to); d = d.Add(24 * time.Hour) {
			y, m, dd := d.In(ict).Date()
			p := time.Date(y, m, dd, hh, mm, 0, 0, ict)
			if p.After(from) && !p.After(to) {
				n++
			}
		}
		return n
	}
}

// TestRhythmPollsAtPublishingHour: a feed that publishes only at 08:00 is,
// after four weeks of learning, polled within 5 minutes after 08:00 on
// most days of the fifth week (fixed polling at 15 minutes: a third), at
// no more requests than fixed polling.
func TestRhythmPollsAtPublishingHour(t *testing.T) {
	rr := newRhythmRun(rhythmStart, testSchedule)
	learn := rhythmStart.Add(4 * week)
	rr.until(learn, dailyAt(8, 0))
	before := len(rr.polls)
	rr.until(learn.Add(week), dailyAt(8, 0))
	hits := 0
	for d := range 7 {
		at := learn.AddDate(0, 0, d).Add(8 * time.Hour)
		for _, p := range rr.polls[before:] {
			if p.After(at) && p.Sub(at) <= 5*time.Minute {
				hits++
				break
			}
		}
	}
	if hits < 6 {
		t.Errorf("polled within 5 min after 08:00 on %d of 7 days; want at least 6", hits)
	}
	polls := len(rr.polls) - before
	if budget := int(week / testSchedule.Interval); polls > budget*105/100 {
		t.Errorf("%d polls in the measured week; fixed polling makes %d", polls, budget)
	}
	// Away from 08:00 it polls rarely.
	night := 0
	for _, p := range rr.polls[before:] {
		if h := p.In(ict).Hour(); h >= 13 && h < 20 {
			night++
		}
	}
	if night > 7*7*60/30 {
		t.Errorf("%d polls between 13:00 and 20:00 in a week, where nothing is ever published", night)
	}
}

// TestRhythmQuietDriftsToMax: a feed that published every ten minutes for
// two weeks (on its own budget: every interval), then stopped, is polled
// every max_interval within two days.
func TestRhythmQuietDriftsToMax(t *testing.T) {
	rr := newRhythmRun(rhythmStart, testSchedule)
	busy := func(from, to time.Time) int {
		return int(to.Sub(rhythmStart)/(10*time.Minute) - from.Sub(rhythmStart)/(10*time.Minute))
	}
	quietFrom := rhythmStart.Add(2 * week)
	rr.until(quietFrom, busy)
	if rr.delay > testSchedule.Interval*11/10 {
		t.Fatalf("busy feed polled every %s; want at most %s", rr.delay, testSchedule.Interval*11/10)
	}
	rr.until(quietFrom.Add(48*time.Hour), func(from, to time.Time) int { return 0 })
	if rr.delay < testSchedule.Max*9/10 || rr.why != ReasonMax {
		t.Errorf("after two quiet days: next poll in %s (%s); want %s -10%% (%s)", rr.delay, rr.why, testSchedule.Max, ReasonMax)
	}
	// It comes back when the feed does.
	rr.until(rr.now.Add(time.Minute), func(from, to time.Time) int { return 3 })
	if rr.delay >= testSchedule.Max {
		t.Errorf("feed publishing again still polled every %s (%s)", rr.delay, rr.why)
	}
}

// TestRhythmBurstShortens: a feed learnt at two items a day brings three
// items on each of several polls within half an hour: within that hour its
// interval shortens.
func TestRhythmBurstShortens(t *testing.T) {
	rr := newRhythmRun(rhythmStart, testSchedule)
	twice := func(from, to time.Time) int { return dailyAt(9, 30)(from, to) + dailyAt(15, 45)(from, to) }
	at := rhythmStart.Add(3*week + 11*time.Hour) // Monday 11:00: nothing usual until 15:45
	rr.until(at, twice)
	calm := rr.delay
	burstEnd := rr.now.Add(time.Hour)
	rr.until(rr.now.Add(30*time.Minute), func(from, to time.Time) int { return 3 })
	if rr.now.After(burstEnd) || rr.why != ReasonBurst || rr.delay >= calm/2 {
		t.Errorf("after a burst: next poll in %s (%s) at %s; before it %s; want under half, reason %q, before %s",
			rr.delay, rr.why, rr.now.Format(time.Kitchen), calm, ReasonBurst, burstEnd.Format(time.Kitchen))
	}
	if rr.delay < testSchedule.Min {
		t.Errorf("burst polled after %s, under min_interval", rr.delay)
	}
}

// TestRhythmNewFeedFixedInterval: with nothing learnt, a feed is polled at
// the fixed interval.
func TestRhythmNewFeedFixedInterval(t *testing.T) {
	var r Rhythm
	for _, u := range []float64{0, 0.5, 0.999} {
		d, why := r.Next(rhythmStart, ict, testSchedule, 0, u)
		want := time.Duration(float64(testSchedule.Interval) * (0.9 + 0.2*u))
		if math.Abs(float64(d-want)) > float64(time.Second) || why != ReasonLearning {
			t.Errorf("new feed, u=%v: %s (%s); want %s (%s)", u, d, why, want, ReasonLearning)
		}
	}
	r.Observe(time.Time{}, rhythmStart, 50, ict) // a backlog, not a rhythm
	if r.Items != ([weekHours]uint16{}) {
		t.Errorf("the first fetch's items were counted")
	}
}

// TestRefRateKeepsBudget: four feeds publishing every 10 minutes, hour,
// 6 hours and 3 days, scheduled together on a shared reference rate, make
// as many polls a week as fixed polling would, the busiest far more than
// the quietest.
func TestRefRateKeepsBudget(t *testing.T) {
	pers := []time.Duration{10 * time.Minute, time.Hour, 6 * time.Hour, 72 * time.Hour}
	rs := make([]Rhythm, len(pers))
	next := make([]time.Time, len(pers))
	last := make([]time.Time, len(pers))
	count := make([]int, len(pers))
	rng := rand.New(rand.NewPCG(3, 4))
	measure := rhythmStart.Add(3 * week)
	ref, refAt := 0.0, time.Time{}
	for i := range next {
		next[i] = rhythmStart
	}
	for {
		i := 0
		for j := range next {
			if next[j].Before(next[i]) {
				i = j
			}
		}
		now := next[i]
		if !now.Before(measure.Add(week)) {
			break
		}
		if now.Sub(refAt) >= time.Hour {
			ptrs := []*Rhythm{&rs[0], &rs[1], &rs[2], &rs[3]}
			ref, refAt = RefRate(ptrs, testSchedule), now
		}
		n := 0
		if !last[i].IsZero() {
			n = int(now.Sub(rhythmStart)/pers[i] - last[i].Sub(rhythmStart)/pers[i])
		}
		rs[i].Observe(last[i], now, n, ict)
		if !now.Before(measure) {
			count[i]++
		}
		d, _ := rs[i].Next(now, ict, testSchedule, ref, rng.Float64())
		last[i], next[i] = now, now.Add(d)
	}
	polls := 0
	for _, c := range count {
		polls += c
	}
	budget := len(pers) * int(week/testSchedule.Interval)
	if polls < budget*85/100 || polls > budget*103/100 {
		t.Errorf("%d polls in a week (per feed %v); fixed polling makes %d", polls, count, budget)
	}
	if count[0] < 4*count[3] {
		t.Errorf("polls per feed %v: the busiest feed is not polled far more than the quietest", count)
	}
}

func TestRhythmEncoding(t *testing.T) {
	rr := newRhythmRun(rhythmStart, testSchedule)
	rr.until(rhythmStart.Add(2*week), dailyAt(8, 0))
	b, err := rr.r.MarshalBinary()
	if err != nil || len(b) != rhythmSize {
		t.Fatalf("MarshalBinary: %d bytes, %v; want %d", len(b), err, rhythmSize)
	}
	if got := DecodeRhythm(b); got != rr.r {
		t.Errorf("DecodeRhythm(MarshalBinary(r)) = %+v; want %+v", got, rr.r)
	}
	for _, bad := range [][]byte{nil, {}, b[:len(b)-1], append([]byte{9}, b[1:]...)} {
		if got := DecodeRhythm(bad); got != (Rhythm{}) {
			t.Errorf("DecodeRhythm(% x…) = non-zero rhythm", bad[:min(len(bad), 4)])
		}
	}
}

// FuzzRhythmNext: whatever the stored rhythm, the observations and the
// bounds, the next poll is within [Min, Max] of the normalised schedule, and
// what Observe leaves encodes and decodes unchanged.
func FuzzRhythmNext(f *testing.F) {
	rr := newRhythmRun(rhythmStart, testSchedule)
	rr.until(rhythmStart.Add(week), dailyAt(8, 0))
	good, _ := rr.r.MarshalBinary()
	f.Add(good, rhythmStart.Unix(), int64(600), 3, int64(15*time.Minute), int64(2*time.Minute), int64(2*time.Hour), 0.0, 0.5)
	f.Add([]byte{}, int64(0), int64(0), 0, int64(0), int64(0), int64(0), -1.0, 2.0)
	f.Add(good, int64(1<<40), int64(-5), -7, int64(time.Second), int64(time.Hour), int64(time.Minute), math.Inf(1), math.NaN())
	f.Fuzz(func(t *testing.T, b []byte, now, gap int64, n int, iv, lo, hi int64, ref, u float64) {
		r := DecodeRhythm(b)
		s := Schedule{Interval: time.Duration(iv), Min: time.Duration(lo), Max: time.Duration(hi)}
		ns := s.normalised()
		if ns.Max > 30*24*time.Hour || ns.Interval > 30*24*time.Hour {
			return // bounds a config refuses; Next stays linear in Max
		}
		at := time.Unix(now%(1<<35), 0)
		since := at.Add(-time.Duration(gap % int64(12*time.Hour)))
		r.Observe(since, at, n%10000, ict)
		enc, _ := r.MarshalBinary()
		if got := DecodeRhythm(enc); got != r {
			t.Fatalf("observed rhythm does not round-trip: %+v → %+v", r, got)
		}
		d, why := r.Next(at, ict, s, ref, u)
		if d < ns.Min || d > ns.Max || why == "" {
			t.Fatalf("Next = %s (%q); want within [%s, %s]", d, why, ns.Min, ns.Max)
		}
	})
}

// FuzzPlan: whatever the stored state and what the publisher asked, the
// poller's next delay after a success is within [MinInterval, MaxInterval]
// unless Cache-Control, Expires or <ttl> asked for longer, and then it is
// what they asked (at most a day).
func FuzzPlan(f *testing.F) {
	rr := newRhythmRun(rhythmStart, testSchedule)
	rr.until(rhythmStart.Add(week), dailyAt(8, 0))
	good, _ := rr.r.MarshalBinary()
	f.Add(good, rhythmStart.Unix(), int64(900), 2, int64(0), int64(0))
	f.Add([]byte{1, 2}, int64(1), int64(-1), -1, int64(3*time.Hour), int64(-5))
	f.Add(good, rhythmStart.Unix(), int64(60), 100, int64(time.Minute), int64(48*time.Hour))
	feed := Feed{Name: "a"}
	p := NewPoller(nil, Options{Adaptive: true, Location: ict, Feeds: []Feed{feed}})
	p.states = map[string]store.FeedState{}
	s := p.schedule().normalised()
	f.Fuzz(func(t *testing.T, b []byte, now, sinceSec int64, n int, lifetime, ttl int64) {
		at := time.Unix(now%(1<<35), 0)
		prev := store.FeedState{Rhythm: b, LastSuccess: at.Add(-time.Duration(sinceSec%86400) * time.Second)}
		res := result{Lifetime: time.Duration(max(lifetime, 0)), TTL: time.Duration(max(ttl, 0))}
		var st store.FeedState
		p.plan(feed, prev, &st, at, res, n%1000)
		floor := min(max(res.Lifetime, res.TTL), maxLifetime)
		d := st.PollInterval
		switch {
		case floor > s.Max && d != floor:
			t.Fatalf("delay %s; the publisher asked for %s", d, floor)
		case d < max(s.Min, floor) || d > max(s.Max, floor):
			t.Fatalf("delay %s (%q); want within [%s, %s] and not under %s", d, st.PollReason, s.Min, s.Max, floor)
		case !st.NextPoll.Equal(at.Add(d)):
			t.Fatalf("next poll %s, %s after %s", st.NextPoll, d, at)
		}
	})
}
