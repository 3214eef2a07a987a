// Command schedsim compares polling schedules on simulated press feeds: no
// network, no store, a fixed seed. 400 feeds publish on hour-of-week rates
// drawn from the patterns of Vietnamese outlets (dailies busy 06:00–22:00
// ICT with morning, noon and evening peaks; government portals posting a
// few times a week in office hours; a few feeds that publish in bursts).
// After a warm-up in which the adaptive schedules learn, two weeks are
// measured: the delay from each publication to the first poll after it,
// and the requests made.
//
// Three schedules run on the same publications at the same request budget:
// fixed polling at -interval, Miniflux's entry-frequency rule (interval =
// 1 week / (entries in the last week × factor), within the same bounds; the
// factor is raised until it makes no more requests than fixed polling), and
// pressfeed's own scheduler, the fetcher.Rhythm code the poller runs.
//
//	go run ./bench/schedsim
package main

import (
	"container/heap"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/pressfeed/pressfeed/fetcher"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "schedsim:", err)
		os.Exit(1)
	}
}

const week = 7 * 24 * time.Hour

var ict = time.FixedZone("ICT", 7*3600)

// start is a Monday, 00:00 ICT.
var start = time.Date(2026, 6, 1, 0, 0, 0, 0, ict)

type config struct {
	feeds       int
	seed        uint64
	warmup      int // weeks
	measure     int // weeks
	sched       fetcher.Schedule
	dailyShare  float64
	portalShare float64
	dailyMin    float64 // items a day of the quietest daily
	dailyMax    float64 // and of the busiest
}

func run(args []string, out io.Writer) error {
	c := config{}
	fs := flag.NewFlagSet("schedsim", flag.ContinueOnError)
	fs.IntVar(&c.feeds, "feeds", 400, "feeds simulated")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed")
	fs.IntVar(&c.warmup, "warmup", 4, "weeks of learning before the measurement")
	fs.IntVar(&c.measure, "weeks", 2, "weeks measured")
	fs.DurationVar(&c.sched.Interval, "interval", 15*time.Minute, "fixed interval (fetch.interval)")
	fs.DurationVar(&c.sched.Min, "min", 2*time.Minute, "fetch.min_interval")
	fs.DurationVar(&c.sched.Max, "max", 2*time.Hour, "fetch.max_interval")
	fs.Float64Var(&c.dailyShare, "dailies", 0.65, "share of dailies among the feeds")
	fs.Float64Var(&c.portalShare, "portals", 0.30, "share of government portals; the rest burst")
	fs.Float64Var(&c.dailyMin, "daily-min", 3, "items a day of the quietest daily feed")
	fs.Float64Var(&c.dailyMax, "daily-max", 300, "items a day of the busiest daily feed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.dailyShare < 0 || c.portalShare < 0 || c.dailyShare+c.portalShare > 1 || c.dailyMin <= 0 || c.dailyMax < c.dailyMin {
		return fmt.Errorf("bad population: -dailies %v -portals %v -daily-min %v -daily-max %v", c.dailyShare, c.portalShare, c.dailyMin, c.dailyMax)
	}
	feeds := population(c)
	end := time.Duration(c.warmup+c.measure) * week
	for i := range feeds {
		feeds[i].pubs = feeds[i].publish(rand.New(rand.NewPCG(c.seed, uint64(1000+i))), end+24*time.Hour)
	}
	from, to := time.Duration(c.warmup)*week, end
	items := 0
	for _, f := range feeds {
		items += countIn(f.pubs, from, to)
	}
	fmt.Fprintf(out, "schedsim: %d feeds (%d dailies, %d portals, %d bursty), seed %d, %d weeks of warm-up, %d measured; %d items published in the measured weeks\n",
		len(feeds), countKind(feeds, daily), countKind(feeds, portal), countKind(feeds, bursty), c.seed, c.warmup, c.measure, items)
	fmt.Fprintf(out, "interval %s, min_interval %s, max_interval %s (all times ICT)\n\n", c.sched.Interval, c.sched.Min, c.sched.Max)

	fixed := simulate(c, feeds, &fixedPolicy{c.sched.Interval, rand.New(rand.NewPCG(c.seed, 7))})

	// The entry-frequency factor that spends fixed polling's requests:
	// requests fall as the factor falls, so bisect.
	lo, hi := 0.01, 100.0
	var ef result
	for range 30 {
		mid := math.Sqrt(lo * hi)
		r := simulate(c, feeds, &entryFrequency{sched: c.sched, factor: mid})
		if r.requests <= fixed.requests {
			lo, ef = mid, r
		} else {
			hi = mid
		}
	}
	efFactor := lo
	ours := simulate(c, feeds, newPressfeed(c, len(feeds)))

	bound := oracle(c, feeds)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "schedule\trequests\tmean delay\tmedian\tp90\tdailies\tportals\tbursty\tvs fixed\tvs entry-freq\tshortest gap\t")
	for _, r := range []struct {
		name string
		res  result
	}{
		{"fixed " + c.sched.Interval.String(), fixed},
		{fmt.Sprintf("entry frequency (factor %.2f)", efFactor), ef},
		{"pressfeed adaptive", ours},
	} {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f×\t%.2f×\t%s\t\n", r.name, r.res.requests,
			mins(r.res.mean()), mins(r.res.quantile(0.5)), mins(r.res.quantile(0.9)),
			mins(r.res.meanKind(daily)), mins(r.res.meanKind(portal)), mins(r.res.meanKind(bursty)),
			float64(r.res.mean())/float64(fixed.mean()), float64(r.res.mean())/float64(ef.mean()),
			r.res.minGap.Round(time.Second))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nbound: polls in proportion to sqrt of the true hourly rates (not learnt), same budget and bounds, bursts spread over the week: mean delay %s (%.2f× fixed)\n",
		mins(bound), float64(bound)/float64(fixed.mean()))
	vsFixed := float64(ours.mean()) / float64(fixed.mean())
	vsEF := float64(ours.mean()) / float64(ef.mean())
	fmt.Fprintf(out, "\ntargets: mean delay ≤ 0.50× fixed: %.2f× %s; ≤ 0.75× entry frequency: %.2f× %s; requests ≤ fixed: %d vs %d %s; no poll gap under min_interval: %s %s\n",
		vsFixed, verdict(vsFixed <= 0.5), vsEF, verdict(vsEF <= 0.75),
		ours.requests, fixed.requests, verdict(ours.requests <= fixed.requests),
		ours.minGap.Round(time.Second), verdict(ours.minGap >= c.sched.Min))
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(MISSED)"
}

func mins(d time.Duration) string { return fmt.Sprintf("%.2f min", d.Minutes()) }

// Feeds and their publications.

type kind int

const (
	daily kind = iota
	portal
	bursty
)

type feed struct {
	kind kind
	rate [7 * 24]float64 // items per hour by hour of the week (ICT)
	// bursty feeds: bursts a week, items per burst
	burstsPerWeek float64
	burstItems    int
	pubs          []time.Duration // since start, sorted
}

func countKind(fs []feed, k kind) int {
	n := 0
	for _, f := range fs {
		if f.kind == k {
			n++
		}
	}
	return n
}

// dailyShape is a newsroom's day in ICT: quiet at night, busy 06:00–22:00
// with peaks in the morning, at noon and in the evening.
var dailyShape = [24]float64{
	0.05, 0.03, 0.03, 0.03, 0.05, 0.3, // 00–05
	1.0, 1.8, 2.0, 1.6, 1.2, 1.3, // 06–11
	1.5, 1.1, 1.0, 1.0, 1.1, 1.5, // 12–17
	1.7, 1.6, 1.2, 0.9, 0.6, 0.15, // 18–23
}

// population draws the feeds.
func population(c config) []feed {
	rng := rand.New(rand.NewPCG(c.seed, 1))
	nDaily := int(float64(c.feeds) * c.dailyShare)
	nPortal := int(float64(c.feeds) * c.portalShare)
	fs := make([]feed, c.feeds)
	for i := range fs {
		f := &fs[i]
		switch {
		case i < nDaily:
			f.kind = daily
			// 3 to 300 items a day, log-uniform: a small outlet's
			// section to a big one's "newest" feed; weekends at
			// 50–90%; each outlet's peaks shifted by up to an hour.
			perDay := math.Exp(math.Log(c.dailyMin) + rng.Float64()*math.Log(c.dailyMax/c.dailyMin))
			weekend := 0.5 + 0.4*rng.Float64()
			shift := rng.IntN(3) - 1
			sum := 0.0
			for _, v := range dailyShape {
				sum += v
			}
			for d := range 7 {
				for h := range 24 {
					v := dailyShape[(h-shift+24)%24] * perDay / sum
					if d >= 5 {
						v *= weekend
					}
					f.rate[d*24+h] = v
				}
			}
		case i < nDaily+nPortal:
			f.kind = portal
			// 1 to 10 posts a week, office hours Monday to Friday.
			perWeek := 1 + 9*rng.Float64()
			office := []float64{0, 0, 0, 0, 0, 0, 0, 0.3, 1, 1, 1, 0.8, 0.2, 0.3, 1, 1, 1, 0.5, 0.1, 0, 0, 0, 0, 0}
			sum := 0.0
			for _, v := range office {
				sum += v
			}
			for d := range 5 {
				for h := range 24 {
					f.rate[d*24+h] = office[h] * perWeek / 5 / sum
				}
			}
		default:
			f.kind = bursty
			// A daily's rhythm at 3–10 items a day, and 2–5 bursts a
			// week of 6–15 items within 40 minutes (a breaking story,
			// a live event).
			perDay := 3 + 7*rng.Float64()
			sum := 0.0
			for _, v := range dailyShape {
				sum += v
			}
			for d := range 7 {
				for h := range 24 {
					f.rate[d*24+h] = dailyShape[h] * perDay / sum
				}
			}
			f.burstsPerWeek = 2 + 3*rng.Float64()
			f.burstItems = 6 + rng.IntN(10)
		}
	}
	return fs
}

// publish draws the feed's publication times up to end: a Poisson process
// on its hourly rates, each day's volume varied by ±30%, plus bursts.
func (f *feed) publish(rng *rand.Rand, end time.Duration) []time.Duration {
	var out []time.Duration
	dayFactor := 1.0
	for h := time.Duration(0); h < end; h += time.Hour {
		if h%(24*time.Hour) == 0 {
			dayFactor = math.Exp(0.3 * rng.NormFloat64())
		}
		how := int(h/time.Hour) % (7 * 24)
		n := poisson(rng, f.rate[how]*dayFactor)
		for range n {
			out = append(out, h+time.Duration(rng.Float64()*float64(time.Hour)))
		}
	}
	if f.burstsPerWeek > 0 {
		nb := poisson(rng, f.burstsPerWeek*float64(end)/float64(week))
		for range nb {
			// Bursts start in the day, 07:00–22:00.
			day := time.Duration(rng.IntN(int(end/(24*time.Hour)))) * 24 * time.Hour
			at := day + 7*time.Hour + time.Duration(rng.Float64()*float64(15*time.Hour))
			for range f.burstItems {
				out = append(out, at+time.Duration(rng.Float64()*float64(40*time.Minute)))
			}
		}
	}
	slices.Sort(out)
	for len(out) > 0 && out[len(out)-1] >= end {
		out = out[:len(out)-1]
	}
	return out
}

func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func countIn(pubs []time.Duration, from, to time.Duration) int {
	i, _ := slices.BinarySearch(pubs, from)
	j, _ := slices.BinarySearch(pubs, to)
	return j - i
}

// oracle returns the mean delay that polling in proportion to the square
// root of each feed's true hourly rate would give, within the bounds, at
// fixed polling's budget: what a scheduler that knew the rates and nothing
// more could reach on Poisson publications.
func oracle(c config, feeds []feed) time.Duration {
	budget := float64(len(feeds)) * float64(week) / float64(c.sched.Interval)
	lo, hi := c.sched.Min.Hours(), c.sched.Max.Hours()
	eval := func(k float64) (polls, delay, items float64) {
		for _, f := range feeds {
			for h := range f.rate {
				r := f.rate[h] + f.burstsPerWeek*float64(f.burstItems)/float64(len(f.rate))
				iv := hi
				if r > 0 {
					iv = min(max(k/math.Sqrt(r), lo), hi)
				}
				polls += 1 / iv
				delay += r * iv / 2
				items += r
			}
		}
		return polls, delay, items
	}
	a, b := 1e-9, 1e9
	for range 200 {
		mid := math.Sqrt(a * b)
		if p, _, _ := eval(mid); p > budget {
			a = mid
		} else {
			b = mid
		}
	}
	_, d, n := eval(b)
	return time.Duration(d / n * float64(time.Hour))
}

// The simulation.

// policy decides each feed's next poll.
type policy interface {
	// polled is called at each poll of feed i at now (since start), the
	// previous one having been at last (-1: none), with n items new since
	// then; it returns the delay until the next poll.
	polled(i int, now, last time.Duration, n int) time.Duration
}

type result struct {
	requests int
	delays   []time.Duration // per measured publication
	kinds    []kind
	minGap   time.Duration
}

func (r *result) mean() time.Duration {
	var sum float64
	for _, d := range r.delays {
		sum += float64(d)
	}
	return time.Duration(sum / float64(max(len(r.delays), 1)))
}

func (r *result) meanKind(k kind) time.Duration {
	var sum float64
	n := 0
	for i, d := range r.delays {
		if r.kinds[i] == k {
			sum += float64(d)
			n++
		}
	}
	return time.Duration(sum / float64(max(n, 1)))
}

func (r *result) quantile(q float64) time.Duration {
	s := slices.Clone(r.delays)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

type event struct {
	at   time.Duration
	feed int
}

type events []event

func (e events) Len() int           { return len(e) }
func (e events) Less(i, j int) bool { return e[i].at < e[j].at }
func (e events) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)        { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// simulate runs p over the feeds: the first polls are spread over the first
// interval, as feeds added together drift apart.
func simulate(c config, feeds []feed, p policy) result {
	from := time.Duration(c.warmup) * week
	to := from + time.Duration(c.measure)*week
	res := result{minGap: time.Duration(math.MaxInt64)}
	rng := rand.New(rand.NewPCG(c.seed, 3))
	q := make(events, len(feeds))
	last := make([]time.Duration, len(feeds))
	seen := make([]int, len(feeds)) // publications already picked up
	for i := range feeds {
		q[i] = event{time.Duration(rng.Float64() * float64(c.sched.Interval)), i}
		last[i] = -1
	}
	heap.Init(&q)
	for q.Len() > 0 {
		ev := heap.Pop(&q).(event)
		i, now := ev.feed, ev.at
		f := &feeds[i]
		if last[i] >= 0 && now >= from && now < to {
			res.minGap = min(res.minGap, now-last[i])
		}
		if now >= from && now < to {
			res.requests++
		}
		n := 0
		for seen[i] < len(f.pubs) && f.pubs[seen[i]] <= now {
			if pub := f.pubs[seen[i]]; pub >= from && pub < to && last[i] >= 0 {
				res.delays = append(res.delays, now-pub)
				res.kinds = append(res.kinds, f.kind)
			}
			seen[i]++
			n++
		}
		if last[i] < 0 {
			n = 0 // the first fetch brings a backlog
		}
		d := p.polled(i, now, last[i], n)
		last[i] = now
		if next := now + d; next < to+24*time.Hour {
			heap.Push(&q, event{next, i})
		}
	}
	return res
}

// fixedPolicy polls every interval ±10%, as pressfeed does with adaptive
// off.
type fixedPolicy struct {
	interval time.Duration
	rng      *rand.Rand
}

func (p *fixedPolicy) polled(int, time.Duration, time.Duration, int) time.Duration {
	return time.Duration(float64(p.interval) * (0.9 + 0.2*p.rng.Float64()))
}

// entryFrequency is Miniflux's SCHEDULER_SERVICE=entry_frequency rule
// (internal/model/feed.go, ScheduleNextCheck): interval = 7 days /
// (weeklyCount × factor), within [min, max]; max when no entry came in the
// last week. weeklyCount counts entries first stored in the last 7 days.
type entryFrequency struct {
	sched  fetcher.Schedule
	factor float64
	found  map[int][]time.Duration // per feed: when entries were found, one element per entry
}

func (p *entryFrequency) polled(i int, now, _ time.Duration, n int) time.Duration {
	if p.found == nil {
		p.found = make(map[int][]time.Duration)
	}
	f := p.found[i]
	for range n {
		f = append(f, now)
	}
	k := 0
	for k < len(f) && f[k] <= now-week {
		k++
	}
	f = f[k:]
	p.found[i] = f
	if len(f) == 0 {
		return p.sched.Max
	}
	d := time.Duration(float64(week) / (float64(len(f)) * p.factor))
	return min(max(d, p.sched.Min), p.sched.Max)
}

// pressfeedPolicy is the poller's own code: each feed's fetcher.Rhythm
// observes every poll, fetcher.RefRate is recomputed over every feed each
// fetcher.RefRateEvery, and Rhythm.Next picks the delay.
type pressfeedPolicy struct {
	sched  fetcher.Schedule
	rs     []fetcher.Rhythm
	ptrs   []*fetcher.Rhythm
	ref    float64
	refAt  time.Duration
	rng    *rand.Rand
	hasRef bool
}

func newPressfeed(c config, n int) *pressfeedPolicy {
	p := &pressfeedPolicy{sched: c.sched, rs: make([]fetcher.Rhythm, n), rng: rand.New(rand.NewPCG(c.seed, 11))}
	for i := range p.rs {
		p.ptrs = append(p.ptrs, &p.rs[i])
	}
	return p
}

func (p *pressfeedPolicy) polled(i int, now, last time.Duration, n int) time.Duration {
	at := start.Add(now)
	since := time.Time{}
	if last >= 0 {
		since = start.Add(last)
	}
	p.rs[i].Observe(since, at, n, ict)
	if !p.hasRef || now-p.refAt >= fetcher.RefRateEvery {
		p.ref, p.refAt, p.hasRef = fetcher.RefRate(p.ptrs, p.sched), now, true
	}
	d, _ := p.rs[i].Next(at, ict, p.sched, p.ref, p.rng.Float64())
	return d
}
