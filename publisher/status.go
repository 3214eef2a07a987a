package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/store"
)

// statusDays is how many days the status page charts.
const statusDays = 14

// feedStates returns the live feed states when the daemon gave a source of
// them and it has them, else the stored ones.
func (h *handler) feedStates(ctx context.Context) (map[string]store.FeedState, error) {
	if h.states != nil {
		if st := h.states(); st != nil {
			return st, nil
		}
	}
	return h.db.FeedStates(ctx)
}

// dayStats counts items per feed over the last statusDays days, by the day
// (in the handler's location) of their published time. An item counts once
// for every feed that carried it (merged or not), so a feed's counts say
// what it published; total counts each item once.
type dayStats struct {
	version uint64
	at      time.Time                   // when counted
	first   time.Time                   // start of the oldest day counted
	perDay  map[string]*[statusDays]int // feed → items per day, oldest first
	last24h map[string]int              // feed → items published in the 24 hours before at
	top     []TopStory                  // today's stories carried by the most outlets, most first
	total   int                         // distinct items published in those 24 hours
}

// statsMaxAge bounds how stale the counts may get while the store changes
// continuously; the page refreshes every minute.
const statsMaxAge = 15 * time.Second

// dayStats returns the counts, recounting when the store changed (at most
// every statsMaxAge) or a day passed.
func (h *handler) dayStats(ctx context.Context) (*dayStats, error) {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	now := h.now()
	v := h.db.Version()
	if s := h.stats; s != nil && now.Sub(s.at) < time.Hour && startOfDay(now, h.loc).Equal(startOfDay(s.at, h.loc)) &&
		(s.version == v || now.Sub(s.at) < statsMaxAge) {
		return s, nil
	}
	today := startOfDay(now, h.loc)
	s := &dayStats{
		version: v,
		at:      now,
		first:   today.AddDate(0, 0, -(statusDays - 1)),
		perDay:  make(map[string]*[statusDays]int),
		last24h: make(map[string]int),
	}
	since := now.Add(-24 * time.Hour)
	err := h.db.Walk(ctx, time.Time{}, "", func(it *store.Item) bool {
		if it.Published.Before(s.first) && it.Published.Before(since) {
			return false
		}
		day := dayIndex(s.first, it.Published.In(h.loc))
		recent := !it.Published.Before(since) && !it.Published.After(now)
		if !it.Published.Before(today) {
			s.noteTop(h, it)
		}
		if recent {
			s.total++
		}
		for j, m := range it.Members {
			if slices.ContainsFunc(it.Members[:j], func(o store.Member) bool { return o.Feed == m.Feed }) {
				continue // a feed that carried the story twice published it once
			}
			if day >= 0 && day < statusDays {
				c := s.perDay[m.Feed]
				if c == nil {
					c = new([statusDays]int)
					s.perDay[m.Feed] = c
				}
				c[day]++
			}
			if recent {
				s.last24h[m.Feed]++
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	h.stats = s
	return s, nil
}

func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// dayIndex returns the day of t counted from first (a start of day), by
// calendar date so that days with a zone change still count as one.
func dayIndex(first, t time.Time) int {
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	fy, fm, fd := first.Date()
	return int(day.Sub(time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// Status is the data of the status page and /status.json.
type Status struct {
	Generated time.Time    `json:"generated"`
	Totals    StatusTotals `json:"totals"`
	Days      []string     `json:"days"` // the dates charted, oldest first (YYYY-MM-DD)
	Feeds     []FeedStatus `json:"feeds"`
	// Deliveries are the configured deliveries; TopStories today's stories
	// (published since midnight) carried by the most outlets.
	Deliveries []DeliveryStatus `json:"deliveries"`
	TopStories []TopStory       `json:"top_stories"`
}

// StatusTotals sums the feeds. Each count is defined once:
//
//   - a story is an item: what the merged feeds show once, however many
//     outlets carried it;
//   - a feed's counts (FeedStatus.Items24h, Items, PerDay) are the stories
//     it carried, merged or not, by published time;
//   - Copies24h is the sum of the feeds' Items24h, so Copies24h -
//     Items24h is how many copies merging saved in the last 24 hours.
//
// Items24h <= Copies24h; each feed's Items24h <= its Items, which is the
// sum of its PerDay.
type StatusTotals struct {
	Feeds     int `json:"feeds"`
	OK        int `json:"ok"`
	Failing   int `json:"failing"`    // failed the last fetch, not yet down
	Down      int `json:"down"`       // failed downThreshold fetches in a row, or never succeeded
	Never     int `json:"never"`      // not fetched yet
	Items     int `json:"items"`      // stories stored, of any date
	Items24h  int `json:"items_24h"`  // stories published in the 24 hours before Generated
	Copies24h int `json:"copies_24h"` // the sum of the feeds' items_24h
}

// FeedStatus is one configured feed's health.
type FeedStatus struct {
	Name        string    `json:"name"`
	Title       string    `json:"title"`
	URL         string    `json:"url"` // password masked
	Tags        []string  `json:"tags"`
	Health      string    `json:"health"` // ok, failing, down, never
	LastFetch   time.Time `json:"last_fetch,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastNew     time.Time `json:"last_new,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	ErrorClass  string    `json:"error_class,omitempty"` // the fetcher's class: timeout, http, parse, …
	ErrorWords  string    `json:"error_words,omitempty"` // ErrorClass in Vietnamese words
	Failures    int       `json:"failures"`
	NextPoll    time.Time `json:"next_poll,omitzero"`
	Items       int       `json:"items"`     // stories this feed carried in the days charted: the sum of PerDay
	Items24h    int       `json:"items_24h"` // stories this feed carried, published in the 24 hours before Status.Generated
	PerDay      []int     `json:"per_day"`   // stories this feed carried per day of Status.Days

	// The delay to NextPoll when the scheduler chose it, and why: "pinned",
	// "fixed interval", "learning", "learnt: busy hour", "learnt: quiet
	// hour", "learnt: burst", "min_interval: busy hour", "max_interval:
	// quiet", "publisher asked (Retry-After)" (or Cache-Control, <ttl>),
	// "backoff", "gone (410): daily".
	PollInterval string `json:"poll_interval,omitempty"` // e.g. "14m32s"
	PollSeconds  int64  `json:"poll_interval_seconds,omitempty"`
	PollReason   string `json:"poll_reason,omitempty"`
}

// downThreshold is how many failures in a row make a feed "down".
const downThreshold = 3

func health(st store.FeedState) string {
	switch {
	case st.LastFetch.IsZero() && st.LastSuccess.IsZero():
		return "never"
	case st.Failures == 0:
		return "ok"
	case st.Failures >= downThreshold || st.LastSuccess.IsZero():
		return "down"
	}
	return "failing"
}

// status gathers the status of every configured feed.
func (h *handler) status(ctx context.Context) (*Status, error) {
	states, err := h.feedStates(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := h.dayStats(ctx)
	if err != nil {
		return nil, err
	}
	count, err := h.db.Count()
	if err != nil {
		return nil, err
	}
	deliveries, err := h.deliveryStatus(ctx)
	if err != nil {
		return nil, err
	}
	s := &Status{Generated: ds.at.UTC(), Feeds: make([]FeedStatus, 0, len(h.feedList)), Deliveries: deliveries,
		TopStories: append([]TopStory{}, ds.top...)}
	for i := range statusDays {
		s.Days = append(s.Days, ds.first.AddDate(0, 0, i).Format(time.DateOnly))
	}
	s.Totals.Feeds = len(h.feedList)
	s.Totals.Items = count
	s.Totals.Items24h = ds.total
	for _, f := range h.feedList {
		fs := feedStatus(f, states[f.Name], ds)
		s.Totals.Copies24h += fs.Items24h
		switch fs.Health {
		case "ok":
			s.Totals.OK++
		case "failing":
			s.Totals.Failing++
		case "down":
			s.Totals.Down++
		default:
			s.Totals.Never++
		}
		s.Feeds = append(s.Feeds, fs)
	}
	return s, nil
}

// feedStatus returns the status of feed f in state st, with its counts
// from ds.
func feedStatus(f *Feed, st store.FeedState, ds *dayStats) FeedStatus {
	title := plain(f.Title)
	if title == "" {
		title = plain(st.Title)
	}
	if title == "" {
		title = plain(f.Name)
	}
	fs := FeedStatus{
		Name: f.Name, Title: title, URL: canon.Redact(f.URL), Tags: f.Tags,
		Health:      health(st),
		LastFetch:   st.LastFetch,
		LastSuccess: st.LastSuccess,
		LastNew:     st.LastNew,
		LastError:   xmlText(st.LastError),
		ErrorClass:  xmlText(st.ErrorClass),
		Failures:    st.Failures,
		NextPoll:    st.NextPoll,
		PollReason:  xmlText(st.PollReason),
		Items24h:    ds.last24h[f.Name],
		PerDay:      make([]int, statusDays),
	}
	if fs.Tags == nil {
		fs.Tags = []string{}
	}
	if d := st.PollInterval.Round(time.Second); d > 0 {
		fs.PollInterval, fs.PollSeconds = d.String(), int64(d/time.Second)
	}
	if c := ds.perDay[f.Name]; c != nil {
		copy(fs.PerDay, c[:])
	}
	for _, n := range fs.PerDay {
		fs.Items += n
	}
	if fs.LastError != "" {
		fs.ErrorWords = errorWords(fs.ErrorClass)
	}
	return fs
}

func (h *handler) serveStatusJSON(w http.ResponseWriter, r *http.Request) {
	s, err := h.status(r.Context())
	if err != nil {
		h.log.Error("status", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetIndent("", "  ")
	if err := e.Encode(s); err != nil {
		h.log.Error("encode status", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b.Bytes()))
}

// The status page: one card per feed, sick feeds first, readable on a phone,
// with no script and no external asset. It refreshes itself every minute.

type pageFeed struct {
	FeedStatus
	Colour, Label     string
	Since             string // "failing since …" or ""
	ErrorDetail       string // LastError without the feed's URL
	LastSuccessText   string
	Bars              []pageBar
	ChartW, ChartH    int
	ChartMax, Summary string
}

type pageBar struct {
	X, Y, W, H int
	Title      string
}

type pageData struct {
	Status  *Status
	Feeds   []pageFeed
	Outputs []pageOutput
	Now     string
	Refresh int
}

type pageOutput struct{ Name, Title, Atom, RSS, JSON string }

var healthColours = map[string][2]string{
	"ok":      {"#1a7f37", "khỏe"},
	"failing": {"#bf8700", "đang lỗi"},
	"down":    {"#cf222e", "hỏng"},
	"never":   {"#6e7781", "chưa tải"},
}

var healthOrder = map[string]int{"down": 0, "failing": 1, "never": 2, "ok": 3}

func (h *handler) serveStatusPage(w http.ResponseWriter, r *http.Request) {
	s, err := h.status(r.Context())
	if err != nil {
		h.log.Error("status", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	now := s.Generated
	d := pageData{Status: s, Now: now.In(h.loc).Format("2006-01-02 15:04 MST"), Refresh: 60}
	for _, o := range h.order {
		d.Outputs = append(d.Outputs, pageOutput{Name: o.Name, Title: o.Title,
			Atom: o.selfLinks[formatAtom], RSS: o.selfLinks[formatRSS], JSON: o.selfLinks[formatJSON]})
	}
	for _, fs := range s.Feeds {
		c := healthColours[fs.Health]
		pf := pageFeed{FeedStatus: fs, Colour: c[0], Label: c[1], LastSuccessText: ago(now, fs.LastSuccess)}
		if f := h.feeds[fs.Name]; f != nil && fs.LastError != "" {
			pf.ErrorDetail = errorDetail(fs.LastError, f.Name, f.URL)
		}
		if fs.Health == "failing" || fs.Health == "down" {
			if fs.LastSuccess.IsZero() {
				pf.Since = "chưa lần nào thành công"
			} else {
				pf.Since = "lỗi từ " + fs.LastSuccess.In(h.loc).Format("2006-01-02 15:04") + fmt.Sprintf(" (%d lần liên tiếp)", fs.Failures)
			}
		}
		pf.chart(s.Days)
		d.Feeds = append(d.Feeds, pf)
	}
	// Sick feeds first, then by name; stable for equal health.
	sortFeeds(d.Feeds)
	var b bytes.Buffer
	tmpl, err := statusTemplate.Clone()
	if err != nil {
		h.log.Error("render status page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	// Times on the page are in the operator's zone, like its header.
	tmpl.Funcs(template.FuncMap{"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(h.loc).Format("2006-01-02 15:04 MST")
	}})
	if err := tmpl.Execute(&b, d); err != nil {
		h.log.Error("render status page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", cspPage)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b.Bytes()))
}

func sortFeeds(fs []pageFeed) {
	// insertion sort: tens to thousands of feeds, already mostly in order
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && less(&fs[j], &fs[j-1]); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func less(a, b *pageFeed) bool {
	if oa, ob := healthOrder[a.Health], healthOrder[b.Health]; oa != ob {
		return oa < ob
	}
	return a.Name < b.Name
}

// chart lays out the bars of the items-per-day chart.
func (pf *pageFeed) chart(days []string) {
	const barW, gap, height = 10, 2, 32
	pf.ChartW, pf.ChartH = len(pf.PerDay)*(barW+gap)-gap, height
	peak, sum := 0, 0
	for _, n := range pf.PerDay {
		peak = max(peak, n)
		sum += n
	}
	pf.ChartMax = fmt.Sprint(peak)
	pf.Summary = fmt.Sprintf("%d tin trong %d ngày, nhiều nhất %d/ngày", sum, len(pf.PerDay), peak)
	for i, n := range pf.PerDay {
		hgt := 1 // a hairline marks an empty day
		if peak > 0 && n > 0 {
			hgt = max(2, n*height/peak)
		}
		pf.Bars = append(pf.Bars, pageBar{X: i * (barW + gap), Y: height - hgt, W: barW, H: hgt,
			Title: fmt.Sprintf("%s: %d", days[i], n)})
	}
}

// ago says how long before now t was, in Vietnamese.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "chưa bao giờ"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "vừa xong"
	case d < time.Hour:
		return fmt.Sprintf("%d phút trước", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d giờ trước", int(d.Hours()))
	}
	return fmt.Sprintf("%d ngày trước", int(d.Hours()/24))
}

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join": func(ss []string) string { return strings.Join(ss, ", ") },
}).Parse(`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{{.Refresh}}">
<title>pressfeed – tình trạng nguồn tin</title>
<style>
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:12px;background:#f6f8fa;color:#1f2328}
h1{font-size:1.25em;margin:0 0 8px}
.totals{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 12px;padding:0;list-style:none}
.totals li{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:6px 10px}
.totals b{display:block;font-size:1.3em}
.feeds{list-style:none;margin:0;padding:0;display:grid;gap:8px;grid-template-columns:repeat(auto-fill,minmax(300px,1fr))}
.feed{background:#fff;border:1px solid #d0d7de;border-left-width:6px;border-radius:6px;padding:8px 10px;overflow-wrap:anywhere}
.feed h2{font-size:1em;margin:0 0 4px;display:flex;align-items:center;gap:6px}
.dot{display:inline-block;width:12px;height:12px;border-radius:50%;flex:none}
.feed dl{display:grid;grid-template-columns:auto 1fr;gap:0 8px;margin:4px 0;font-size:.9em}
.feed dt{color:#656d76}.feed dd{margin:0}
.err{color:#cf222e}
.outputs{font-size:.9em;margin:12px 0 0}
h2.section{font-size:1.1em;margin:16px 0 6px}
.top{margin:0;padding-left:1.4em}.top li{margin:2px 0}
.deliveries{border-collapse:collapse;background:#fff;font-size:.9em}.deliveries td,.deliveries th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
svg{display:block;margin-top:4px}
small{color:#656d76}
</style>
</head>
<body>
<h1>pressfeed</h1>
<p><small>Cập nhật {{.Now}} · tự làm mới mỗi {{.Refresh}} giây</small></p>
<ul class="totals" id="totals">
<li><b>{{.Status.Totals.Feeds}}</b>nguồn</li>
<li style="border-color:#1a7f37"><b>{{.Status.Totals.OK}}</b>khỏe</li>
<li style="border-color:#bf8700"><b>{{.Status.Totals.Failing}}</b>đang lỗi</li>
<li style="border-color:#cf222e"><b>{{.Status.Totals.Down}}</b>hỏng</li>
<li><b>{{.Status.Totals.Never}}</b>chưa tải</li>
<li id="total-items"><b>{{.Status.Totals.Items}}</b>tin lưu</li>
<li id="total-items-24h" title="mỗi tin một lần, dù nhiều báo cùng đăng"><b>{{.Status.Totals.Items24h}}</b>tin 24 giờ qua</li>
<li id="total-copies-24h" title="tổng số tin 24 giờ qua của các nguồn: tin nhiều báo cùng đăng được tính cho mỗi báo"><b>{{.Status.Totals.Copies24h}}</b>lượt đăng 24 giờ qua</li>
</ul>
<ul class="feeds" id="feeds">
{{range .Feeds}}<li class="feed" id="feed-{{.Name}}" data-health="{{.Health}}" style="border-left-color:{{.Colour}}">
<h2><span class="dot" style="background:{{.Colour}}" title="{{.Label}}"></span>{{.Title}}</h2>
<small>{{.Name}}{{with .Tags}} · {{join .}}{{end}}</small>
<dl>
<dt>Tình trạng</dt><dd>{{.Label}}{{with .Since}} · {{.}}{{end}}</dd>
<dt>Thành công</dt><dd>{{date .LastSuccess}} ({{.LastSuccessText}})</dd>
{{if .LastError}}<dt>Lỗi cuối</dt><dd class="err"><details><summary>{{.ErrorWords}}</summary><small>{{.ErrorDetail}}</small></details></dd>
{{end}}{{if .PollInterval}}<dt>Chu kỳ tải</dt><dd class="poll">{{.PollInterval}} · {{.PollReason}} · lần tới {{date .NextPoll}}</dd>
{{end}}<dt>24 giờ qua</dt><dd class="items-24h">{{.Items24h}} tin</dd>
<dt>{{len .PerDay}} ngày qua</dt><dd class="items">{{.Items}} tin</dd>
</dl>
<svg width="{{.ChartW}}" height="{{.ChartH}}" viewBox="0 0 {{.ChartW}} {{.ChartH}}" role="img" aria-label="{{.Summary}}"><title>{{.Summary}}</title>{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="#0969da"><title>{{.Title}}</title></rect>{{end}}</svg>
<small>{{.Summary}}</small>
</li>
{{else}}<li class="feed">Chưa cấu hình nguồn nào.</li>
{{end}}</ul>
{{with .Status.TopStories}}<h2 class="section">Tin nhiều báo cùng đăng hôm nay</h2>
<ol class="top" id="top-stories">{{range .}}<li>{{if .Link}}<a href="{{.Link}}">{{.Title}}</a>{{else}}{{.Title}}{{end}} <small>{{len .Outlets}} báo: {{join .Outlets}}</small></li>
{{end}}</ol>
{{end}}{{with .Status.Deliveries}}<h2 class="section">Chuyển tin</h2>
<table class="deliveries" id="deliveries"><tr><th>Kênh</th><th>Loại</th><th>Tin tổng hợp</th><th>Chờ gửi</th><th>Đã gửi</th><th>Tình trạng</th></tr>
{{range .}}<tr data-health="{{.Health}}"><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Output}}</td><td>{{.Pending}}</td><td>{{.Sent}}</td><td>{{if .LastError}}<span class="err">lỗi {{.Failures}} lần liên tiếp: {{.LastError}}</span>{{else}}khỏe{{end}}</td></tr>
{{end}}</table>
{{end}}<p class="outputs">Tin tổng hợp:{{range .Outputs}} <b>{{.Title}}</b> (<a href="{{.Atom}}">Atom</a>, <a href="{{.RSS}}">RSS</a>, <a href="{{.JSON}}">JSON</a>){{end}} · <a href="status.json">status.json</a> · <a href="opml">OPML</a></p>
</body>
</html>
`))
