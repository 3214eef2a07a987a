package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"

	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/internal/canon"
)

// tryFlags declares the flags of "try": a format and selectors that
// override the configured feed's, or describe a URL the config lacks.
func tryFlags(fs *flag.FlagSet) {
	fs.String("format", "", "feed, html, sitemap or json (default: the feed's, else html when -item is given, else feed)")
	for _, k := range []string{"item", "title", "link", "summary", "date", "image"} {
		fs.String(k, "", "select."+k)
	}
	fs.String("date-format", "", "select.date_format: a Go layout such as 02/01/2006 15:04")
}

// runTry fetches one feed once and prints the items it would store,
// storing nothing: no store is opened or created. The feed is one named in
// the config, or a URL (a config is then optional).
func runTry(ctx context.Context, inv *invocation) error {
	if err := inv.wantArgs(1, 1); err != nil {
		return err
	}
	cfg, err := inv.config()
	arg := inv.args[0]
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) || !isURL(arg) {
			return err
		}
		if cfg, err = defaultTryConfig(); err != nil {
			return err
		}
	}
	fd, err := tryFeed(cfg, arg, inv.flags)
	if err != nil {
		return err
	}
	opts := cfg.fetcherOptions(slog.New(slog.DiscardHandler), version())
	var feed fetcher.Feed
	for _, f := range opts.Feeds {
		if f.Name == fd.Name {
			feed = f
		}
	}
	if feed.Name == "" { // a URL the config lacks
		feed = fetcher.Feed{Name: fd.Name, URL: fd.URL, Location: cfg.location}
	}
	feed.Format, feed.Select = fd.Format, scrape.Select(fd.Select)
	w := inv.stdout
	fmt.Fprintf(w, "%s (%s) %s\n", feed.Name, feed.Format, canon.Redact(feed.URL))
	tr, err := fetcher.Try(ctx, opts, feed)
	for _, c := range tr.Counts {
		if c.In > 0 || c.Key != "select.item" && c.Key != "url" {
			fmt.Fprintf(w, "  %-16s found in %d of %d items\n", c.Key, c.Found, c.In)
		} else {
			fmt.Fprintf(w, "  %-16s found %d\n", c.Key, c.Found)
		}
	}
	if err != nil {
		return fmt.Errorf("try %s: %w", feed.Name, err)
	}
	loc := feed.Location
	if loc == nil {
		loc = cfg.location
	}
	if tr.Title != "" {
		fmt.Fprintf(w, "title: %s\n", tr.Title)
	}
	fmt.Fprintf(w, "%d items (nothing stored):\n", len(tr.Items))
	for i, it := range tr.Items {
		fmt.Fprintf(w, "%3d. %s\n", i+1, it.Title)
		fmt.Fprintf(w, "     link: %s\n", orNone(it.Link))
		stored := it.Published.In(loc).Format("2006-01-02 15:04 -07:00")
		switch {
		case !it.Dated && it.DateRaw != "":
			fmt.Fprintf(w, "     date: %q not understood → first seen, %s\n", it.DateRaw, stored)
		case !it.Dated:
			fmt.Fprintf(w, "     date: none → first seen, %s\n", stored)
		default:
			fmt.Fprintf(w, "     date: %s → %s\n", orNone(it.DateRaw), stored)
		}
	}
	return nil
}

// tryFeed returns the feed "try" fetches: the configured one named arg,
// else one for the URL arg, with the flags' format and selectors applied.
func tryFeed(cfg *config, arg string, fl *flag.FlagSet) (feedConfig, error) {
	var fd feedConfig
	found := false
	for _, f := range cfg.Feeds {
		if f.Name == arg || f.URL == arg {
			fd, found = f, true
			break
		}
	}
	if !found {
		if !isURL(arg) {
			return fd, &usageError{fmt.Sprintf("try: no feed named %q in %s, and not an http(s) URL", arg, cfg.path)}
		}
		fd = feedConfig{Name: "try", URL: arg, Format: scrape.FormatFeed}
	}
	set := map[string]string{}
	fl.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	s := &fd.Select
	for k, dst := range map[string]*string{"item": &s.Item, "title": &s.Title, "link": &s.Link, "summary": &s.Summary,
		"date": &s.Date, "date-format": &s.DateFormat, "image": &s.Image} {
		if v, ok := set[k]; ok {
			*dst = v
		}
	}
	switch {
	case set["format"] != "":
		fd.Format = set["format"]
	case set["item"] != "" && fd.Format == scrape.FormatFeed:
		fd.Format = scrape.FormatHTML
	}
	if err := scrape.Check(fd.Format, scrape.Select(fd.Select)); err != nil {
		return fd, &usageError{"try: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return fd, nil
}

// defaultTryConfig is the configuration "try" uses when there is no config
// file: the defaults.
func defaultTryConfig() (*config, error) {
	cfg := defaultConfig()
	cfg.Outputs = []outputConfig{defaultOutput()}
	cfg.path = "(defaults)"
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
