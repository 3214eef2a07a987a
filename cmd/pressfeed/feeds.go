package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// feedHealth is one row of the feeds table. Its JSON names are those of
// store.FeedState, plus the feed's name, as /status.json writes them.
type feedHealth struct {
	Name        string    `json:"name"`
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error"`
	Failures    int       `json:"failures"`
	Items       int       `json:"items"`
	NextPoll    time.Time `json:"next_poll"`
	Health      string    `json:"health"` // publisher.Health: never, ok, failing, down ("" from an older daemon)
}

// feedsSource is where the feeds table came from.
type feedsSource struct {
	desc string // "the store data/pressfeed.db", "the running daemon (http://…)"
	// stored is true when the table comes from the store with the daemon
	// stopped: its next polls are the schedule the daemon resumes when it
	// starts, not times that will pass by themselves.
	stored bool
	loc    *time.Location // for stored next polls
}

// runFeeds prints the health of every configured feed. The daemon holds the
// store's lock while it runs; then the table comes from its /status.json.
func runFeeds(ctx context.Context, inv *invocation) error {
	if err := inv.wantArgs(0, 0); err != nil {
		return err
	}
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	rows, source, err := feedsHealth(ctx, cfg)
	if err != nil {
		return err
	}
	return writeFeeds(inv.stdout, rows, source, time.Now())
}

// feedsHealth reads the feed states from the store, or from the running
// daemon when it holds the store.
func feedsHealth(ctx context.Context, cfg *config) (rows []feedHealth, source feedsSource, err error) {
	url := statusURL(cfg.Server.Listen)
	fromDaemon := func(why string) ([]feedHealth, feedsSource, error) {
		rows, err := fetchStatus(ctx, url)
		if err != nil {
			return nil, feedsSource{}, fmt.Errorf("%s, and the daemon's %s is not available: %w", why, url, err)
		}
		return orderByConfig(rows, cfg), feedsSource{desc: "the running daemon (" + url + ")"}, nil
	}
	opts := cfg.storeOptions(slog.New(slog.DiscardHandler))
	opts.LockTimeout = 500 * time.Millisecond
	db, err := openExisting(cfg, opts)
	if errors.Is(err, store.ErrLocked) {
		return fromDaemon("the running daemon holds the store " + cfg.storePath())
	}
	if err != nil {
		return nil, feedsSource{}, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	states, err := db.FeedStates(ctx)
	if err != nil {
		return nil, feedsSource{}, err
	}
	for _, f := range cfg.Feeds {
		st := states[f.Name]
		rows = append(rows, feedHealth{Name: f.Name, LastSuccess: st.LastSuccess, LastError: st.LastError,
			Failures: st.Failures, Items: st.Items, NextPoll: st.NextPoll, Health: publisher.Health(st)})
	}
	return rows, feedsSource{desc: "the store " + cfg.storePath(), stored: true, loc: cfg.location}, nil
}

// statusURL is where the daemon listening on listen serves /status.json; a
// wildcard address is reached on loopback.
func statusURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/status.json"
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::", "[::]":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/status.json"
}

// fetchStatus reads the feeds of /status.json: "feeds" is a list of
// objects with a name, or an object keyed by feed name.
func fetchStatus(ctx context.Context, url string) ([]feedHealth, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var doc struct {
		Feeds json.RawMessage `json:"feeds"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	var rows []feedHealth
	if err := json.Unmarshal(doc.Feeds, &rows); err == nil {
		return rows, nil
	}
	var byName map[string]feedHealth
	if err := json.Unmarshal(doc.Feeds, &byName); err != nil {
		return nil, fmt.Errorf("GET %s: no feeds list in the answer", url)
	}
	for name, r := range byName {
		r.Name = name
		rows = append(rows, r)
	}
	return rows, nil
}

// orderByConfig puts rows in the order of cfg's feeds; feeds the daemon
// knows but the file does not (edited since) come last, by name.
func orderByConfig(rows []feedHealth, cfg *config) []feedHealth {
	pos := make(map[string]int, len(cfg.Feeds))
	for i, f := range cfg.Feeds {
		pos[f.Name] = i
	}
	rank := func(r feedHealth) int {
		if i, ok := pos[r.Name]; ok {
			return i
		}
		return len(pos)
	}
	slices.SortStableFunc(rows, func(a, b feedHealth) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	return rows
}

// writeFeeds prints the table: one line per feed, then a summary. The
// status words are publisher.Health's, as /status.json writes them.
func writeFeeds(w io.Writer, rows []feedHealth, source feedsSource, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	next := "NEXT POLL"
	if source.stored {
		next = "NEXT POLL (STORED SCHEDULE)"
	}
	fmt.Fprintf(tw, "FEED\tSTATUS\tLAST SUCCESS\tITEMS\t%s\tLAST ERROR\n", next)
	count := map[string]int{}
	for _, r := range rows {
		health := r.health()
		count[health]++
		status := health
		switch health {
		case "never":
			status = "never fetched"
		case "failing", "down":
			status = fmt.Sprintf("%s (%d)", health, r.Failures)
		}
		lastErr := "-"
		if r.Failures > 0 && r.LastError != "" {
			lastErr = oneLineText(r.LastError, 80)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Name, status, ago(r.LastSuccess, now), r.Items,
			source.nextPoll(r.NextPoll, now), lastErr)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %d ok, %d failing, %d down, %d never fetched (from %s)\n",
		plural(len(rows), "feed", "feeds"), count["ok"], count["failing"], count["down"], count["never"], source.desc)
	return err
}

// health is the row's verdict: the daemon's or publisher.Health's, else
// (a daemon that sends none) read from the counts the same way, without
// the distinction between failing and down that needs the full state.
func (r *feedHealth) health() string {
	switch {
	case r.Health != "":
		return r.Health
	case r.LastSuccess.IsZero() && r.LastError == "":
		return "never"
	case r.Failures > 0:
		return "failing"
	}
	return "ok"
}

// nextPoll shows when a feed is polled next. From the running daemon it is
// a countdown; from the store of a stopped daemon, the schedule the daemon
// resumes when it starts: a feed due by now is polled at start, a later
// one at its stored time.
func (s feedsSource) nextPoll(t, now time.Time) string {
	if !s.stored {
		return until(t, now)
	}
	if t.IsZero() || !t.After(now) {
		return "at daemon start"
	}
	loc := s.loc
	if loc == nil {
		loc = time.Local
	}
	t = t.In(loc)
	if t.Format(time.DateOnly) == now.In(loc).Format(time.DateOnly) {
		return t.Format("15:04 MST")
	}
	return t.Format("2006-01-02 15:04 MST")
}

// plural writes n with the singular or plural noun: "1 feed", "3 feeds".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return roughly(now.Sub(t)) + " ago"
}

func until(t, now time.Time) string {
	if t.IsZero() || !t.After(now) {
		return "due"
	}
	return "in " + roughly(t.Sub(now))
}

// roughly rounds d for people: 42s, 17m, 3h5m, 2d4h.
func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	d = d.Round(time.Hour)
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// oneLineText collapses s to one line of at most n runes.
func oneLineText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
