package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// reportRow counts the stories of one group. A story is led by a group
// when its leader belongs to it, carried when any of its outlets does, and
// shared when it is carried and two or more outlets carried it. For the
// time groups (day, week, month) a story belongs to the period in which it
// was first seen, so led and carried are the same count there.
type reportRow struct {
	Group   string `json:"group"`
	Led     int    `json:"stories_led"`
	Carried int    `json:"stories_carried"`
	Shared  int    `json:"shared_stories"`
}

// reportSpec is what `pressfeed report` counts.
type reportSpec struct {
	from, to time.Time // first seen in [from, to)
	by       string    // outlet, day, week, month, tag
	loc      *time.Location
	tags     map[string][]string    // feed name → its configured tags (by tag)
	keep     func(*store.Item) bool // the output's filter; nil keeps every item
}

// reportGroups are the values -by takes.
var reportGroups = []string{"outlet", "day", "week", "month", "tag"}

// untagged names the group of feeds without a tag in a report by tag.
const untagged = "(no tag)"

// tally adds one story to the rows of its groups.
func (s *reportSpec) tally(rows map[string]*reportRow, it *store.Item) {
	row := func(g string) *reportRow {
		r := rows[g]
		if r == nil {
			r = &reportRow{Group: g}
			rows[g] = r
		}
		return r
	}
	outlets := make([]string, 0, len(it.Members))
	for _, m := range it.Members {
		if !slices.Contains(outlets, m.Feed) {
			outlets = append(outlets, m.Feed)
		}
	}
	shared := len(outlets) >= 2
	count := func(leading, carrying []string) {
		for _, g := range carrying {
			r := row(g)
			r.Carried++
			if shared {
				r.Shared++
			}
			if slices.Contains(leading, g) {
				r.Led++
			}
		}
	}
	switch s.by {
	case "outlet":
		count([]string{it.Leader()}, outlets)
	case "tag":
		groupsOf := func(feed string) []string {
			if ts := s.tags[feed]; len(ts) > 0 {
				return ts
			}
			return []string{untagged}
		}
		var carrying []string
		for _, f := range outlets {
			for _, g := range groupsOf(f) {
				if !slices.Contains(carrying, g) {
					carrying = append(carrying, g)
				}
			}
		}
		count(groupsOf(it.Leader()), carrying)
	default:
		g := []string{period(it.Seen.In(s.loc), s.by)}
		count(g, g)
	}
}

// period names the day ("2026-12-07"), ISO week ("2026-W49") or month
// ("2026-12") of t.
func period(t time.Time, by string) string {
	switch by {
	case "week":
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case "month":
		return t.Format("2006-01")
	}
	return t.Format("2006-01-02")
}

// report walks every stored item and counts those first seen in the
// range: an item published long before it was first seen can still fall
// in it, so no part of the walk can be skipped.
func report(ctx context.Context, db *store.DB, s *reportSpec) ([]reportRow, error) {
	rows := make(map[string]*reportRow)
	err := db.Walk(ctx, time.Time{}, "", func(it *store.Item) bool {
		if it.Seen.Before(s.from) || !it.Seen.Before(s.to) {
			return true
		}
		if s.keep == nil || s.keep(it) {
			s.tally(rows, it)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	out := make([]reportRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b reportRow) int {
		if s.by == "outlet" || s.by == "tag" {
			if c := b.Led - a.Led; c != 0 {
				return c
			}
			if c := b.Carried - a.Carried; c != 0 {
				return c
			}
		}
		return strings.Compare(a.Group, b.Group)
	})
	return out, nil
}

// parseReportDate reads a -from or -to value: a day (2006-01-02) in loc,
// or an RFC 3339 time. A day given to -to counts whole (end is true).
func parseReportDate(v string, loc *time.Location, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (2006-01-02) or an RFC 3339 time", v)
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// defineReportFlags declares the flags of `pressfeed report`.
func defineReportFlags(fs *flag.FlagSet) {
	fs.String("from", "", "first day (2006-01-02, in fetch.timezone) or RFC 3339 time; default: 6 days before -to")
	fs.String("to", "", "last day, counted whole, or RFC 3339 time; default: today")
	fs.String("by", "outlet", "group by "+strings.Join(reportGroups, ", "))
	fs.String("output", "", "only the stories of this output")
	fs.String("format", "table", "table, csv or json")
}

// reportSpecOf builds the report's parameters from the command line.
func reportSpecOf(inv *invocation, cfg *config, now time.Time) (*reportSpec, string, error) {
	flagValue := func(name string) string { return inv.flags.Lookup(name).Value.String() }
	s := &reportSpec{by: flagValue("by"), loc: cfg.location, tags: make(map[string][]string)}
	if !slices.Contains(reportGroups, s.by) {
		return nil, "", &usageError{fmt.Sprintf("report: -by %q: want one of %s", s.by, strings.Join(reportGroups, ", "))}
	}
	format := flagValue("format")
	if !slices.Contains([]string{"table", "csv", "json"}, format) {
		return nil, "", &usageError{fmt.Sprintf("report: -format %q: want table, csv or json", format)}
	}
	var err error
	today := now.In(s.loc)
	s.to = time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, s.loc)
	if v := flagValue("to"); v != "" {
		if s.to, err = parseReportDate(v, s.loc, true); err != nil {
			return nil, "", &usageError{"report: -to " + err.Error()}
		}
	}
	s.from = s.to.AddDate(0, 0, -7)
	if v := flagValue("from"); v != "" {
		if s.from, err = parseReportDate(v, s.loc, false); err != nil {
			return nil, "", &usageError{"report: -from " + err.Error()}
		}
	}
	if !s.from.Before(s.to) {
		return nil, "", &usageError{fmt.Sprintf("report: -from (%s) must come before -to (%s)",
			s.from.Format(time.RFC3339), s.to.Format(time.RFC3339))}
	}
	for _, f := range cfg.Feeds {
		s.tags[f.Name] = f.Tags
	}
	return s, format, nil
}

// runReport implements `pressfeed report`: stories first seen in a range,
// grouped. It reads the store, or a copy from the running daemon.
func runReport(ctx context.Context, inv *invocation) (err error) {
	if err := inv.wantArgs(0, 0); err != nil {
		return err
	}
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	s, format, err := reportSpecOf(inv, cfg, time.Now())
	if err != nil {
		return err
	}
	db, done, err := openForReading(ctx, cfg, inv.logger(cfg))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done()) }()
	if name := inv.flags.Lookup("output").Value.String(); name != "" {
		h, err := publisher.NewHandler(db, cfg.publisherOptions(slog.New(slog.DiscardHandler)))
		if err != nil {
			return err
		}
		keep, ok := h.Keep(name)
		if !ok {
			return &usageError{fmt.Sprintf("report: -output %q: no such output", name)}
		}
		s.keep = keep
	}
	rows, err := report(ctx, db, s)
	if err != nil {
		return err
	}
	return writeReport(inv.stdout, rows, s, format)
}

// writeReport prints the rows as a table (with totals), CSV or JSON.
func writeReport(w io.Writer, rows []reportRow, s *reportSpec, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		records := [][]string{{"group", "stories_led", "stories_carried", "shared_stories"}}
		for _, r := range rows {
			records = append(records, []string{r.Group, strconv.Itoa(r.Led), strconv.Itoa(r.Carried), strconv.Itoa(r.Shared)})
		}
		return cw.WriteAll(records)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			From   time.Time   `json:"from"`
			To     time.Time   `json:"to"`
			By     string      `json:"by"`
			Groups []reportRow `json:"groups"`
		}{s.from, s.to, s.by, rows})
	}
	fmt.Fprintf(w, "stories first seen from %s to %s, by %s\n\n",
		s.from.In(s.loc).Format("2006-01-02 15:04"), s.to.In(s.loc).Format("2006-01-02 15:04 MST"), s.by)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "group\tled\tcarried\tshared")
	var led int
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", r.Group, r.Led, r.Carried, r.Shared)
		led += r.Led
	}
	if s.by == "outlet" {
		fmt.Fprintf(tw, "(all outlets)\t%d\t\t\n", led)
	}
	return tw.Flush()
}
