package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/internal/cpu"
	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
	"github.com/pressfeed/pressfeed/vntext"
)

// configError is a problem with the configuration file: the daemon exits 78
// on it, and systemd does not restart it.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

type config struct {
	Server  serverConfig    `toml:"server"`
	Store   storeConfig     `toml:"store"`
	Fetch   fetchConfig     `toml:"fetch"`
	Dedup   dedupConfig     `toml:"dedup"`
	Log     logConfig       `toml:"log"`
	Feeds   []feedConfig    `toml:"feeds"`
	Outputs []outputConfig  `toml:"outputs"`
	Deliver []deliverConfig `toml:"deliver"`

	path     string         // the file it came from
	location *time.Location // Fetch.Timezone, loaded
}

type serverConfig struct {
	Listen     string   `toml:"listen"`
	BaseURL    string   `toml:"base_url"`
	WebSubHubs []string `toml:"websub_hubs"`
}

type storeConfig struct {
	Path      string   `toml:"path"`
	Retention duration `toml:"retention"`
}

type fetchConfig struct {
	Interval      duration `toml:"interval"`
	Adaptive      bool     `toml:"adaptive"`
	MinInterval   duration `toml:"min_interval"`
	MaxInterval   duration `toml:"max_interval"`
	Timeout       duration `toml:"timeout"`
	Concurrency   int      `toml:"concurrency"`
	PerHost       int      `toml:"per_host"`
	MaxBody       size     `toml:"max_body"`
	UserAgent     string   `toml:"user_agent"`
	Timezone      string   `toml:"timezone"`
	AllowNetworks []string `toml:"allow_networks"`
}

type dedupConfig struct {
	TitleWindow    duration `toml:"title_window"`
	NearDuplicates bool     `toml:"near_duplicates"`
}

type logConfig struct {
	Level string `toml:"level"`
}

type feedConfig struct {
	Name     string   `toml:"name"`
	URL      string   `toml:"url"`
	Title    string   `toml:"title"`
	Tags     []string `toml:"tags"`
	Interval duration `toml:"interval"`
	Timezone string   `toml:"timezone"`

	Format  string            `toml:"format"`  // "" is "feed"
	Select  selectConfig      `toml:"select"`  // for format html and json
	Headers map[string]string `toml:"headers"` // never printed nor logged

	location *time.Location
}

type outputConfig struct {
	Name        string   `toml:"name"`
	Title       string   `toml:"title"`
	Description string   `toml:"description"`
	Limit       int      `toml:"limit"`
	Tags        []string `toml:"tags"`
	Feeds       []string `toml:"feeds"`
	Include     []string `toml:"include"`
	Exclude     []string `toml:"exclude"`
}

// defaultConfig is the only place defaults live; config.toml repeats them
// as documentation.
func defaultConfig() config {
	return config{
		Server: serverConfig{Listen: "127.0.0.1:8080", BaseURL: publisher.DefaultBaseURL},
		Store:  storeConfig{Path: "data/pressfeed.db", Retention: duration(720 * time.Hour)},
		Fetch: fetchConfig{
			Interval: duration(fetcher.DefaultInterval), Timeout: duration(fetcher.DefaultTimeout),
			Adaptive: true, MinInterval: duration(fetcher.DefaultMinInterval), MaxInterval: duration(fetcher.DefaultMaxInterval),
			Concurrency: fetcher.DefaultConcurrency, PerHost: fetcher.DefaultPerHost, MaxBody: fetcher.DefaultMaxBody,
			UserAgent: "pressfeed/VERSION (+BASE_URL)", Timezone: "Asia/Ho_Chi_Minh",
		},
		Dedup: dedupConfig{TitleWindow: duration(store.DefaultTitleWindow), NearDuplicates: true},
		Log:   logConfig{Level: "info"},
	}
}

func defaultOutput() outputConfig {
	o := publisher.DefaultOutput
	return outputConfig{Name: o.Name, Title: o.Title, Description: o.Description, Limit: publisher.DefaultLimit}
}

// duration is a TOML string such as "15m".
type duration time.Duration

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (want e.g. \"15m\", \"36h\"): %q", b)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", b)
	}
	*d = duration(v)
	return nil
}

func (d duration) String() string { return time.Duration(d).String() }

// size is a byte count: an integer, or a string with a unit ("4MiB", "500KB").
type size int64

func (s *size) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v <= 0 {
			return fmt.Errorf("size must be positive, got %d", v)
		}
		*s = size(v)
		return nil
	case string:
		n, err := parseSize(v)
		if err != nil {
			return err
		}
		*s = size(n)
		return nil
	}
	return fmt.Errorf("size must be an integer or a string such as \"8MiB\", got %T", v)
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("not a size (want e.g. \"8MiB\", \"500KB\" or bytes): %q", s)
	}
	return n * mult, nil
}

// systemConfig is the last place findConfig looks.
var systemConfig = "/etc/pressfeed/config.toml"

// findConfig returns the config file to use when -config is not given:
// $CONFIGURATION_DIRECTORY/config.toml, ./config.toml, systemConfig. With
// none of them there, its *configError lists where it looked.
func findConfig() (string, error) {
	var cands, looked []string
	if dir := os.Getenv("CONFIGURATION_DIRECTORY"); dir != "" {
		// systemd may list several folders, separated by colons.
		for _, d := range strings.Split(dir, ":") {
			cands = append(cands, filepath.Join(d, "config.toml"))
			looked = append(looked, filepath.Join(d, "config.toml")+" ($CONFIGURATION_DIRECTORY)")
		}
	} else {
		looked = append(looked, "$CONFIGURATION_DIRECTORY/config.toml (not set)")
	}
	cands = append(cands, "config.toml", systemConfig)
	looked = append(looked, "./config.toml", systemConfig)
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", &configError{fmt.Errorf("no config file found; looked at %s; name one with -config FILE",
		strings.Join(looked, ", "))}
}

// loadConfig decodes and validates the file at path. Every error is a
// *configError naming the file and the key.
func loadConfig(path string) (*config, error) {
	cfg := defaultConfig()
	md, err := toml.DecodeFile(path, &cfg)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			where := fmt.Sprintf("line %d", pe.Position.Line)
			if pe.LastKey != "" {
				where += ", key " + pe.LastKey
			}
			return nil, &configError{fmt.Errorf("config %s: %s: %s", path, where, pe.Message)}
		}
		return nil, &configError{fmt.Errorf("config %s: %w", path, err)}
	}
	if keys := md.Undecoded(); len(keys) > 0 {
		return nil, &configError{unknownKeys(path, keys)}
	}
	if len(cfg.Outputs) == 0 {
		cfg.Outputs = []outputConfig{defaultOutput()}
	}
	// The default bounds of adaptive polling give way to an interval set
	// outside them (a file written before they existed); bounds set in the
	// file must hold it.
	if !md.IsDefined("fetch", "min_interval") {
		cfg.Fetch.MinInterval = min(cfg.Fetch.MinInterval, cfg.Fetch.Interval)
	}
	if !md.IsDefined("fetch", "max_interval") {
		cfg.Fetch.MaxInterval = max(cfg.Fetch.MaxInterval, cfg.Fetch.Interval)
	}
	cfg.path = path
	if err := cfg.validate(); err != nil {
		return nil, &configError{fmt.Errorf("config %s: %w", path, err)}
	}
	return &cfg, nil
}

// namePattern is what the names of feeds, outputs and deliveries, and
// tags, are made of: they appear in URLs (/feeds/NAME.atom), in the
// store's keys and in messages. nameRE is the one check of it in this
// command; slug makes names that pass it.
const namePattern = "[a-z0-9-]+"

var nameRE = regexp.MustCompile("^" + namePattern + "$")

// badFunc records a problem with the value at key; validate joins them.
type badFunc func(key, format string, args ...any)

// validate checks every value and fills in derived ones. Its errors name
// the key.
func (c *config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		sep := ": "
		if strings.HasPrefix(format, "(") {
			sep = " " // "fetch.timeout (30s) must be shorter than …"
		}
		errs = append(errs, fmt.Errorf("%s%s%s", key, sep, fmt.Sprintf(format, args...)))
	}
	c.validateServer(bad)
	c.validateFetch(bad)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	names, tags := c.validateFeeds(bad)
	outs := c.validateOutputs(bad, names, tags)
	c.validateDeliveries(bad, outs)
	return errors.Join(errs...)
}

// validateServer checks [server] and [store].
func (c *config) validateServer(bad badFunc) {
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		bad("server.listen", "want host:port, got %q", c.Server.Listen)
	}
	if err := checkHTTPURL(c.Server.BaseURL); err != nil {
		bad("server.base_url", "%v", err)
	}
	c.Server.BaseURL = strings.TrimRight(c.Server.BaseURL, "/")
	for i, h := range c.Server.WebSubHubs {
		if err := checkHTTPURL(h); err != nil {
			bad(fmt.Sprintf("server.websub_hubs[%d]", i), "%v", err)
		}
	}
	if strings.TrimSpace(c.Store.Path) == "" {
		bad("store.path", "must not be empty")
	}
	if r := time.Duration(c.Store.Retention); r != 0 && r < time.Hour {
		bad("store.retention", "must be at least 1h (or 0 to keep items forever), got %s", r)
	}
}

// validateFetch checks [fetch] and loads its time zone into c.location.
func (c *config) validateFetch(bad badFunc) {
	f := &c.Fetch
	if f.Timeout <= 0 {
		bad("fetch.timeout", "must be positive")
	}
	if f.Interval < duration(10*time.Second) {
		bad("fetch.interval", "must be at least 10s, got %s", f.Interval)
	} else if f.Timeout >= f.Interval {
		bad("fetch.timeout", "(%s) must be shorter than fetch.interval (%s)", f.Timeout, f.Interval)
	}
	switch {
	case f.MinInterval < duration(10*time.Second):
		bad("fetch.min_interval", "must be at least 10s, got %s", f.MinInterval)
	case f.MinInterval > f.Interval:
		bad("fetch.min_interval", "(%s) must not be longer than fetch.interval (%s)", f.MinInterval, f.Interval)
	}
	if f.MaxInterval < f.Interval {
		bad("fetch.max_interval", "(%s) must not be shorter than fetch.interval (%s)", f.MaxInterval, f.Interval)
	}
	if f.Concurrency < 1 || f.Concurrency > 1024 {
		bad("fetch.concurrency", "must be 1 to 1024, got %d", f.Concurrency)
	}
	if f.PerHost < 1 {
		bad("fetch.per_host", "must be at least 1, got %d", f.PerHost)
	}
	if f.MaxBody < 1024 || f.MaxBody > 1<<30 {
		bad("fetch.max_body", "must be 1KiB to 1GiB, got %d bytes", f.MaxBody)
	}
	if strings.TrimSpace(f.UserAgent) == "" {
		bad("fetch.user_agent", "must not be empty")
	}
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil || f.Timezone == "" {
		bad("fetch.timezone", "unknown time zone %q", f.Timezone)
	}
	c.location = loc
	for i, n := range f.AllowNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			bad(fmt.Sprintf("fetch.allow_networks[%d]", i), "not a CIDR prefix: %q", n)
		}
	}
}

// validateFeeds checks the [[feeds]] blocks and returns the feed names
// and the tags they use.
func (c *config) validateFeeds(bad badFunc) (names, tags map[string]bool) {
	names, tags = map[string]bool{}, map[string]bool{}
	for i := range c.Feeds {
		fd := &c.Feeds[i]
		key := uniqueName(bad, "feeds", "feed", i, fd.Name, names)
		if err := checkFeedURL(fd.URL); err != nil {
			bad(key+".url", "%v", err)
		}
		for j, t := range fd.Tags {
			if !nameRE.MatchString(t) {
				bad(fmt.Sprintf("%s.tags[%d]", key, j), "must match %s, got %q", namePattern, t)
			}
			tags[t] = true
		}
		if fd.Interval != 0 && fd.Interval <= c.Fetch.Timeout {
			bad(key+".interval", "(%s) must be longer than fetch.timeout (%s)", fd.Interval, c.Fetch.Timeout)
		}
		checkSource(bad, key, fd)
		fd.location = c.location
		if fd.Timezone != "" {
			l, err := time.LoadLocation(fd.Timezone)
			if err != nil {
				bad(key+".timezone", "unknown time zone %q", fd.Timezone)
			}
			fd.location = l
		}
	}
	return names, tags
}

// validateOutputs checks the [[outputs]] blocks against the feed names and
// tags, fills in their defaults, and returns the output names.
func (c *config) validateOutputs(bad badFunc, names, tags map[string]bool) map[string]bool {
	outs := map[string]bool{}
	for i := range c.Outputs {
		o := &c.Outputs[i]
		key := uniqueName(bad, "outputs", "output", i, o.Name, outs)
		if strings.TrimSpace(o.Title) == "" {
			o.Title = o.Name
		}
		if o.Limit == 0 {
			o.Limit = 100
		}
		if o.Limit < 1 || o.Limit > 1000 {
			bad(key+".limit", "must be 1 to 1000, got %d", o.Limit)
		}
		for j, t := range o.Tags {
			if !tags[t] {
				bad(fmt.Sprintf("%s.tags[%d]", key, j), "no feed has tag %q", t)
			}
		}
		for j, n := range o.Feeds {
			if !names[n] {
				bad(fmt.Sprintf("%s.feeds[%d]", key, j), "no feed named %q", n)
			}
		}
		for field, list := range map[string][]string{"include": o.Include, "exclude": o.Exclude} {
			for j, k := range list {
				if _, err := vntext.ParseKeyword(k); err != nil {
					bad(fmt.Sprintf("%s.%s[%d]", key, field, j), "%v", err)
				}
			}
		}
	}
	return outs
}

// uniqueName checks the name of entry i of a [[section]] (valid and not
// seen before), records it in seen, and returns the key that names the
// entry in messages: "feeds[3] (vnexpress)".
func uniqueName(bad badFunc, section, kind string, i int, name string, seen map[string]bool) string {
	key := fmt.Sprintf("%s[%d]", section, i)
	if name != "" {
		key = fmt.Sprintf("%s[%d] (%s)", section, i, name)
	}
	switch {
	case !nameRE.MatchString(name):
		bad(key+".name", "must match %s, got %q", namePattern, name)
	case seen[name]:
		bad(key+".name", "duplicate %s name %q", kind, name)
	}
	seen[name] = true
	return key
}

// checkHTTPURL checks an absolute http(s) URL; its errors quote the URL
// with any password masked.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return invalidURL(s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL, got %q", u.Redacted())
	}
	return nil
}

// invalidURL is the error for s, which url.Parse refused with err: the
// value with its password masked, and why.
func invalidURL(s string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the URL, password and all
	}
	return fmt.Errorf("invalid URL %q: %v", canon.Redact(s), err)
}

func checkFeedURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return invalidURL(s, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("no host in %q", u.Redacted())
		}
	case "file":
		if (u.Host != "" && u.Host != "localhost") || u.Path == "" || !filepath.IsAbs(u.Path) {
			return fmt.Errorf("want file:///absolute/path, got %q", s)
		}
	default:
		return fmt.Errorf("want http://, https:// or file://, got %q", u.Redacted())
	}
	return nil
}

// storePath returns the database path: relative paths are relative to
// $STATE_DIRECTORY when systemd sets it.
func (c *config) storePath() string {
	p := c.Store.Path
	if dir := os.Getenv("STATE_DIRECTORY"); dir != "" && !filepath.IsAbs(p) {
		return filepath.Join(strings.Split(dir, ":")[0], p)
	}
	return p
}

func (c *config) userAgent(version string) string {
	return strings.NewReplacer("VERSION", version, "BASE_URL", c.Server.BaseURL).Replace(c.Fetch.UserAgent)
}

func (c *config) storeOptions(log *slog.Logger) store.Options {
	return store.Options{TitleWindow: time.Duration(c.Dedup.TitleWindow), NearDuplicates: c.Dedup.NearDuplicates, Logger: log,
		Background: cpu.Run, Writer: cpu.RunWriter}
}

func (c *config) fetcherOptions(log *slog.Logger, version string) fetcher.Options {
	o := fetcher.Options{
		Background:  cpu.Run,
		Interval:    time.Duration(c.Fetch.Interval),
		Adaptive:    c.Fetch.Adaptive,
		MinInterval: time.Duration(c.Fetch.MinInterval),
		MaxInterval: time.Duration(c.Fetch.MaxInterval),
		Timeout:     time.Duration(c.Fetch.Timeout),
		Concurrency: c.Fetch.Concurrency,
		PerHost:     c.Fetch.PerHost,
		MaxBody:     int64(c.Fetch.MaxBody),
		UserAgent:   c.userAgent(version),
		Location:    c.location,
		Logger:      log,
	}
	for _, n := range c.Fetch.AllowNetworks {
		o.AllowNetworks = append(o.AllowNetworks, netip.MustParsePrefix(n))
	}
	for _, f := range c.Feeds {
		o.Feeds = append(o.Feeds, fetcher.Feed{
			Name: f.Name, URL: f.URL, Title: f.Title,
			Interval: time.Duration(f.Interval), Location: f.location,
			Format: f.Format, Select: scrape.Select(f.Select), Headers: f.Headers,
		})
	}
	return o
}

func (c *config) publisherOptions(log *slog.Logger) publisher.Options {
	o := publisher.Options{BaseURL: c.Server.BaseURL, Logger: log, Background: cpu.Run}
	for _, f := range c.Feeds {
		o.Feeds = append(o.Feeds, publisher.Feed{Name: f.Name, Title: f.Title, URL: f.URL, Tags: f.Tags,
			Format: f.Format, Select: scrape.Select(f.Select)})
	}
	for _, out := range c.Outputs {
		o.Outputs = append(o.Outputs, publisher.Output{
			Name: out.Name, Title: out.Title, Description: out.Description, Limit: out.Limit,
			Tags: out.Tags, Feeds: out.Feeds, Include: out.Include, Exclude: out.Exclude,
		})
	}
	for _, d := range c.Deliver {
		o.Deliveries = append(o.Deliveries, publisher.Delivery{Name: d.Name, Output: d.Output, Kind: d.Kind})
	}
	return o
}

// checkFeedNames fails unless every name is a configured feed's, saying
// which name is unknown and, for a near miss, which feed was meant.
func (c *config) checkFeedNames(names []string) error {
	known := make([]string, len(c.Feeds))
	for i, f := range c.Feeds {
		known[i] = f.Name
	}
	for _, n := range names {
		if slices.Contains(known, n) {
			continue
		}
		if m := closest(n, known); m != "" {
			return fmt.Errorf("fetch: no feed named %q; did you mean %q?", n, m)
		}
		return fmt.Errorf("fetch: no feed named %q in %s", n, c.path)
	}
	return nil
}

// closest returns the candidate nearest to word by edit distance, if one
// is near enough to be a typo of it (two edits; one for words under four
// letters), else "".
func closest(word string, cands []string) string {
	limit := 2
	if len([]rune(word)) < 4 {
		limit = 1
	}
	best, bestD := "", limit+1
	for _, c := range cands {
		if d := editDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b,
// in runes: insertions, deletions, substitutions and swaps of two
// neighbours ("titel" is one edit from "title") each count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
