package fetcher

import (
	"encoding/binary"
	"math"
	"time"
)

// Adaptive polling: when each feed publishes, and when to look next.
//
// A feed's Rhythm counts the new items it brought per hour of the week (in
// the feed's zone), each fetch spreading what it found evenly over the time
// since the previous successful fetch; fetches that bring nothing (304s,
// unchanged bodies) add observed time and no items, which is how the model
// learns that a feed is quiet at night. Counts and observed time decay with
// a half-life of two weeks, so a rhythm that changes is followed.
//
// The rate of hour h is (items_h + prior·ref) / (weeks observed + prior):
// a new feed starts at ref, the rate at which a feed is polled every
// Interval, and the prior fades as data comes in. The rate is smoothed with
// its neighbouring hours and pulled a quarter of the way to the same hour on
// the other days of the week.
//
// The next poll follows the classic optimum for the expected delay of a new
// item under a fixed request budget: the poll density is proportional to
// sqrt(rate), that is, an interval of Interval·sqrt(ref/rate(t)) at time t,
// bounded by MinInterval and MaxInterval. ref is shared by every adaptive
// feed of a poller (RefRate) and chosen so that they make, together, as many
// requests a week as fixed polling at Interval would. The next poll is the
// time at which the poll density integrated from now reaches one, so a feed
// about to enter its busy hours is looked at as they start. Several new items
// within the last hour, well above the learnt rate, shorten the interval at
// once (a burst); a learnt rate that has produced nothing for longer than
// it should is discounted until the feed publishes again.

const (
	weekHours = 7 * 24
	week      = 7 * 24 * time.Hour

	// rhythmHalfLife is how fast old weeks fade.
	rhythmHalfLife = 14 * 24 * time.Hour
	// priorWeeks is the weight of the prior, in weeks of observation.
	priorWeeks = 1.0 / 7
	// maxObserveGap bounds the time one fetch may speak for: after a longer
	// gap (the daemon was down) what a fetch brings is a backlog, not a
	// rhythm, and it is not counted.
	maxObserveGap = 6 * time.Hour
	// burstWindow is the time constant of the recent-items count.
	burstWindow = 30 * time.Minute
	// countScale is the fixed point of the stored counts (1/256 item).
	countScale = 256
	// rhythmVersion is the first byte of an encoded Rhythm.
	rhythmVersion = 1
	rhythmSize    = 1 + 3*4 + 3*8 + 4 + 2*weekHours
	// maxUnix bounds the times a Rhythm holds (unix seconds, year 36812).
	maxUnix = 1 << 40
)

// RefRateEvery is how often the poller works out RefRate again over its
// feeds: rhythms move by the day, and it costs some milliseconds for
// hundreds of feeds.
const RefRateEvery = time.Hour

// Schedule bounds adaptive polling.
type Schedule struct {
	Interval time.Duration // the fixed interval whose request budget adaptive polling keeps
	Min, Max time.Duration // never more often than Min, never less often than Max
}

// Why the next poll is when it is; shown on the status page.
const (
	ReasonPinned     = "pinned"
	ReasonFixed      = "fixed interval"
	ReasonLearning   = "learning"
	ReasonBusy       = "learnt: busy hour"
	ReasonQuietHour  = "learnt: quiet hour"
	ReasonBurst      = "learnt: burst"
	ReasonMin        = "min_interval: busy hour"
	ReasonMax        = "max_interval: quiet"
	ReasonRetryAfter = "publisher asked (Retry-After)"
	ReasonCache      = "publisher asked (Cache-Control)"
	ReasonTTL        = "publisher asked (<ttl>)"
	ReasonBackoff    = "backoff"
	ReasonGone       = "gone (410): daily"
)

// Rhythm is what pressfeed has learnt of when one feed publishes. The zero
// value is a feed nothing is known about. It holds no pointers and encodes
// to rhythmSize bytes (MarshalBinary).
type Rhythm struct {
	Items    [weekHours]uint16 // decayed new items per hour of the week, in 1/countScale
	Weeks    float32           // decayed observed time in weeks, the prior included
	Prior    float32           // what is left of the prior's weight, in weeks
	Recent   float32           // new items, decaying with burstWindow
	Seen     int64             // unix seconds: the end of the last observation
	LastNew  int64             // unix seconds: the last fetch that brought something new
	RecentAt int64             // unix seconds: when Recent was last brought up to date
	Day      int32             // the day (unix days) counts were last decayed to
}

// MarshalBinary encodes r in rhythmSize bytes.
func (r *Rhythm) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, rhythmSize)
	b = append(b, rhythmVersion)
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r.Weeks))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r.Prior))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r.Recent))
	b = binary.LittleEndian.AppendUint64(b, uint64(r.Seen))
	b = binary.LittleEndian.AppendUint64(b, uint64(r.LastNew))
	b = binary.LittleEndian.AppendUint64(b, uint64(r.RecentAt))
	b = binary.LittleEndian.AppendUint32(b, uint32(r.Day))
	for _, n := range r.Items {
		b = binary.LittleEndian.AppendUint16(b, n)
	}
	return b, nil
}

// DecodeRhythm decodes what MarshalBinary wrote. Anything else (nothing, an
// older or damaged encoding, values out of range) gives the zero Rhythm: a
// feed then learns again from its prior.
func DecodeRhythm(b []byte) Rhythm {
	var r Rhythm
	if len(b) != rhythmSize || b[0] != rhythmVersion {
		return Rhythm{}
	}
	b = b[1:]
	f32 := func() float32 {
		v := math.Float32frombits(binary.LittleEndian.Uint32(b))
		b = b[4:]
		return v
	}
	i64 := func() int64 {
		v := int64(binary.LittleEndian.Uint64(b))
		b = b[8:]
		return v
	}
	r.Weeks, r.Prior, r.Recent = f32(), f32(), f32()
	r.Seen, r.LastNew, r.RecentAt = i64(), i64(), i64()
	r.Day = int32(binary.LittleEndian.Uint32(b))
	b = b[4:]
	for i := range r.Items {
		r.Items[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	if !r.valid() {
		return Rhythm{}
	}
	return r
}

// valid reports whether r holds values Observe could have made.
func (r *Rhythm) valid() bool {
	fin := func(v float32, hi float32) bool {
		return !math.IsNaN(float64(v)) && v >= 0 && v <= hi
	}
	return fin(r.Weeks, 1000) && fin(r.Prior, 1) && r.Prior <= r.Weeks && fin(r.Recent, 1e9) &&
		r.Seen >= 0 && r.Seen < maxUnix && r.LastNew >= 0 && r.LastNew < maxUnix &&
		r.RecentAt >= 0 && r.RecentAt < maxUnix && r.Day >= 0
}

// fresh reports whether r has never observed anything.
func (r *Rhythm) fresh() bool { return r.Seen == 0 }

// decayTo ages counts and observed time to the day of now; counts decay in
// whole days, so that fixed-point values do not stall under tiny factors.
func (r *Rhythm) decayTo(now time.Time) {
	day := int32(now.Unix() / 86400)
	if day <= r.Day {
		return
	}
	if r.Day > 0 {
		f := math.Exp2(-float64(day-r.Day) * 24 * float64(time.Hour) / float64(rhythmHalfLife))
		for i, n := range r.Items {
			r.Items[i] = uint16(math.Round(float64(n) * f))
		}
		r.Weeks = float32(float64(r.Weeks) * f)
		r.Prior = float32(float64(r.Prior) * f)
	}
	r.Day = day
}

// recentAt returns the recent-items count decayed to now.
func (r *Rhythm) recentAt(now time.Time) float64 {
	if r.RecentAt == 0 {
		return 0
	}
	dt := float64(now.Unix() - r.RecentAt)
	if dt < 0 {
		dt = 0
	}
	return float64(r.Recent) * math.Exp(-dt/burstWindow.Seconds())
}

// hourOfWeek returns t's hour of the week in loc, Monday 00:00 being 0.
func hourOfWeek(t time.Time, loc *time.Location) int {
	t = t.In(loc)
	return (int(t.Weekday())+6)%7*24 + t.Hour()
}

// Observe records a successful fetch at now, the previous one having been
// at since, that brought n items new to the feed. The first fetch of a feed
// (since zero) and a fetch after a long gap bring a backlog: they start the
// observation without counting. An observation that goes back in time is
// ignored.
func (r *Rhythm) Observe(since, now time.Time, n int, loc *time.Location) {
	if now.Unix() <= 0 || now.Unix() >= maxUnix {
		return // not a time a fetch can happen at
	}
	if r.fresh() {
		r.Weeks, r.Prior = priorWeeks, priorWeeks
		r.LastNew = now.Unix() // silence counts from the start of the observation
	}
	r.decayTo(now)
	if since.Unix() < r.Seen {
		since = time.Unix(r.Seen, 0)
	}
	gap := now.Sub(since)
	if since.IsZero() || r.Seen == 0 || gap > maxObserveGap || gap <= 0 {
		if now.Unix() > r.Seen {
			r.Seen = now.Unix()
		}
		return
	}
	r.Seen = now.Unix()
	r.Weeks = float32(min(float64(r.Weeks)+gap.Hours()/(7*24), 1000))
	if n <= 0 {
		return
	}
	r.LastNew = now.Unix()
	r.Recent = float32(min(r.recentAt(now)+float64(n), 1e9))
	r.RecentAt = now.Unix()
	// Spread the n items evenly over (since, now], hour by hour.
	per := float64(n) * countScale / gap.Seconds()
	for t := since; t.Before(now); {
		end := t.Truncate(time.Hour).Add(time.Hour)
		if end.After(now) {
			end = now
		}
		h := hourOfWeek(t, loc)
		add := math.Round(per * end.Sub(t).Seconds())
		r.Items[h] = uint16(min(float64(r.Items[h])+add, math.MaxUint16))
		t = end
	}
}

// rates returns the feed's learnt rate (items per hour) for every hour of
// the week, smoothed, for the reference rate ref.
func (r *Rhythm) rates(ref float64) [weekHours]float64 {
	var raw, out [weekHours]float64
	if r.fresh() || r.Weeks <= 0 {
		for i := range out {
			out[i] = ref
		}
		return out
	}
	w := float64(r.Weeks)
	p := r.priorShare() * ref
	for i, n := range r.Items {
		raw[i] = float64(n)/countScale/w + p
	}
	// Neighbouring hours: a story due at 08:00 may come at 07:50 or 08:10.
	var day [24]float64
	for i := range raw {
		s := 0.2*raw[(i+weekHours-1)%weekHours] + 0.6*raw[i] + 0.2*raw[(i+1)%weekHours]
		out[i] = s
		day[i%24] += s / 7
	}
	// The same hour on other days: newsrooms keep a daily routine.
	for i := range out {
		out[i] = 0.75*out[i] + 0.25*day[i%24]
	}
	return out
}

// silence returns the factor (≤ 1) by which a learnt rate that has gone
// unanswered is discounted: when the rates predicted more than two items
// since the last new one (or the start of the observation) and none came,
// they are divided by what was expected over two. A feed that stops
// publishing thus drifts to MaxInterval within a day or so, and comes back
// at its first new item.
func (r *Rhythm) silence(ref float64, now time.Time, loc *time.Location) float64 {
	data, prior := r.expected(now, loc)
	e := data + prior*ref
	if e <= 2 {
		return 1
	}
	return 2 / e
}

// expected returns the items the learnt rates predict between the last new
// item and now, as data + prior·ref: the part of the counts, and the
// factor of the reference rate. At most two weeks are looked at.
func (r *Rhythm) expected(now time.Time, loc *time.Location) (data, prior float64) {
	if r.LastNew <= 0 || now.Unix() <= r.LastNew {
		return 0, 0
	}
	start := time.Unix(r.LastNew, 0)
	hours := min(now.Sub(start).Hours(), 2*weekHours)
	rates := r.rates(0)
	for i := 0; float64(i) < hours; i++ {
		f := min(hours-float64(i), 1)
		data += f * rates[hourOfWeek(start.Add(time.Duration(i)*time.Hour), loc)]
	}
	return data, hours * r.priorShare()
}

// priorShare returns the weight of the prior in the rates: the rate of
// every hour is the data's plus priorShare·ref.
func (r *Rhythm) priorShare() float64 {
	if r.fresh() || r.Weeks <= 0 {
		return 1
	}
	return float64(r.Prior) / float64(r.Weeks)
}

// intervalFor returns the interval of the rate rt: Interval·sqrt(ref/rt),
// within [Min, Max].
func (s Schedule) intervalFor(rt, ref float64) time.Duration {
	if rt <= 0 || ref <= 0 {
		return s.Max
	}
	d := float64(s.Interval) * math.Sqrt(ref/rt)
	if d >= float64(s.Max) || math.IsNaN(d) {
		return s.Max
	}
	return max(time.Duration(d), s.Min)
}

// Next returns the delay until the next poll of a feed with rhythm r, the
// rate a poller-wide budget gives Interval (ref, from RefRate; 0: this
// feed's own budget), and why. u in [0, 1) draws the ±10% jitter. The delay
// is within [s.Min, s.Max].
func (r *Rhythm) Next(now time.Time, loc *time.Location, s Schedule, ref, u float64) (time.Duration, string) {
	s = s.normalised()
	if loc == nil {
		loc = time.UTC
	}
	if ref <= 0 || math.IsNaN(ref) || math.IsInf(ref, 0) {
		ref = RefRate([]*Rhythm{r}, s) // this feed's own budget
	}
	rates := r.rates(ref)
	q := r.silence(ref, now, loc)
	burst := 0.0
	if recent := r.recentAt(now); recent >= 3 {
		burst = recent / burstWindow.Hours()
		if burst < 3*rates[hourOfWeek(now, loc)]*q {
			burst = 0
		}
	}
	// Walk hour by hour until the integrated poll density reaches one.
	left := 1.0
	t := now
	var d time.Duration
	for d == 0 {
		end := t.Truncate(time.Hour).Add(time.Hour)
		rt := rates[hourOfWeek(t, loc)] * q
		if burst > 0 && t.Sub(now) < time.Hour {
			rt = max(rt, burst*math.Exp(-t.Sub(now).Hours()/burstWindow.Hours()))
		}
		iv := s.intervalFor(rt, ref)
		seg := end.Sub(t)
		if need := time.Duration(left * float64(iv)); need <= seg {
			d = t.Add(need).Sub(now)
			break
		}
		left -= float64(seg) / float64(iv)
		t = end
		if t.Sub(now) >= s.Max {
			d = s.Max
		}
	}
	why := ReasonQuietHour
	switch {
	case burst > 0:
		why = ReasonBurst
	case r.fresh() || float64(r.Weeks-r.Prior) < priorWeeks:
		why = ReasonLearning
	case d >= s.Max-time.Second: // the walk sums floats
		why = ReasonMax
	case d <= s.Min:
		why = ReasonMin
	case d < s.Interval:
		why = ReasonBusy
	}
	if math.IsNaN(u) {
		u = 0.5
	}
	d = time.Duration(float64(d) * (0.9 + 0.2*min(max(u, 0), 1)))
	return min(max(d, s.Min), s.Max), why
}

// normalised returns s with defaults for zero fields and Min ≤ Interval ≤ Max.
func (s Schedule) normalised() Schedule {
	if s.Interval <= 0 {
		s.Interval = DefaultInterval
	}
	if s.Min <= 0 {
		s.Min = min(DefaultMinInterval, s.Interval)
	}
	if s.Max <= 0 {
		s.Max = max(DefaultMaxInterval, s.Interval)
	}
	s.Min = min(s.Min, s.Interval)
	s.Max = max(s.Max, s.Interval)
	return s
}

// RefRate returns the reference rate (items per hour polled every
// s.Interval) at which the feeds with rhythms rs, polled on their learnt
// rates, make together as many requests a week as fixed polling at
// s.Interval: len(rs)·week/Interval. It is what Next takes as ref. The
// silence discount and bursts are left out: they are departures from the
// rhythm, and a feed that has gone quiet gives its requests back rather
// than spending them on the others.
func RefRate(rs []*Rhythm, s Schedule) float64 {
	s = s.normalised()
	if len(rs) == 0 {
		return 1
	}
	budget := float64(len(rs)) * float64(week) / float64(s.Interval)
	type feedRates struct {
		items [weekHours]float64 // data part, items per hour
		prior float64            // the rate is items + prior·ref
	}
	fr := make([]feedRates, len(rs))
	for i, r := range rs {
		fr[i].items = r.rates(0)
		fr[i].prior = r.priorShare()
	}
	polls := func(ref float64) float64 {
		n := 0.0
		for i := range fr {
			for h := range weekHours {
				rt := fr[i].items[h] + fr[i].prior*ref
				n += float64(time.Hour) / float64(s.intervalFor(rt, ref))
			}
		}
		return n
	}
	// polls falls as ref grows: bisect on a log scale.
	lo, hi := -20.0, 20.0
	for range 40 {
		mid := (lo + hi) / 2
		if polls(math.Exp(mid)) > budget {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Exp(hi)
}
