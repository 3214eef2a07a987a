// Command pressfeed polls press feeds, keeps every new item once in a bbolt
// file and republishes merged RSS, Atom and JSON feeds over HTTP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones on hosts without a zoneinfo database

	"github.com/pressfeed/pressfeed/deliver"
	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/internal/cpu"
	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// Exit codes (SPEC "Command line").
const (
	exitFailure = 1
	exitUsage   = 2
	exitConfig  = 78 // EX_CONFIG: systemd's RestartPreventExitStatus
)

// shutdownGrace bounds the HTTP drain after SIGTERM.
const shutdownGrace = 10 * time.Second

// drainLimit bounds the whole shutdown after the first signal: the unit's
// TimeoutStopSec is longer, so pressfeed exits before systemd kills it.
const drainLimit = 18 * time.Second

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// command is one subcommand of pressfeed.
type command struct {
	run     func(ctx context.Context, inv *invocation) error
	args    string // synopsis of its arguments, e.g. "FILE"
	summary string // one line for the usage text
}

// commands maps each command name to its implementation; "run" is the
// default. One line per command.
var commands = map[string]command{
	"run":         {runDaemon, "", "run the daemon (default)"},
	"check":       {runCheck, "", "validate the config and print a summary"},
	"fetch":       {runFetch, "[FEED…]", "fetch every feed (or those named) once, store, exit"},
	"feeds":       {runFeeds, "", "per-feed health: last success, last error, items, next poll"},
	"export-opml": {runExportOPML, "[-with-credentials]", "the configured feeds as OPML on stdout"},
	"import-opml": {runImportOPML, "FILE", "[[feeds]] TOML blocks for the feeds of an OPML file, on stdout"},
	"version":     {runVersion, "", "print the version and commit"},
	"backup":      {runBackup, "FILE", "consistent copy of the database, also while the daemon runs"},
	"compact":     {runCompact, "", "rewrite the database file smaller (daemon stopped)"},
	"explain":     {runExplain, "ID-or-URL", "an item, its members, and which key merged each one"},
	"report":      {runReport, "[-from DATE] [-to DATE] [-by GROUP] [-output NAME] [-format F]", "stories first seen in a range, grouped"},
	"try":         {runTry, "[flags] FEED-or-URL", "fetch once and print the items it would store, storing nothing"},
}

// usage returns the text printed by -h and after a usage error.
func usage() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		if n != "run" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	names = append([]string{"run"}, names...)
	var b strings.Builder
	b.WriteString("usage: pressfeed [-config FILE] [command] [args]\n\ncommands:\n")
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(&b, "  %-32s %s\n", strings.TrimSpace(n+" "+c.args), c.summary)
	}
	b.WriteString(`
-config FILE may stand before or after the command. Without it, pressfeed reads
$CONFIGURATION_DIRECTORY/config.toml, else ./config.toml, else /etc/pressfeed/config.toml.
"pressfeed COMMAND -h" describes one command.
`)
	return b.String()
}

// commandUsage is the -h text of one command.
func commandUsage(name string, c command, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: pressfeed [-config FILE] %s\n\n%s\n", strings.TrimSpace(name+" "+c.args), c.summary)
	fs.SetOutput(&b)
	fmt.Fprintln(&b, "\nflags:")
	fs.PrintDefaults()
	return b.String()
}

func main() {
	cpu.ReserveReaderProc()
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		cancel(fmt.Errorf("received %v", sig))
		// A drain that hangs must not outlive the unit's stop timeout.
		time.AfterFunc(drainLimit, func() {
			fmt.Fprintf(os.Stderr, "pressfeed: shutdown took longer than %s, exiting\n", drainLimit)
			os.Exit(exitFailure)
		})
		sig = <-sigs
		fmt.Fprintf(os.Stderr, "pressfeed: second signal (%v), exiting at once\n", sig)
		os.Exit(exitFailure)
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on w and returns the exit status for it.
func exitCode(err error, w io.Writer) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	var ce *configError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(w, "pressfeed: %v\n\n%s", err, usage())
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintln(w, "pressfeed:", err)
		return exitConfig
	}
	fmt.Fprintln(w, "pressfeed:", err)
	return exitFailure
}

// run parses args and runs one command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	inv, err := parseArgs(args, stdout, stderr)
	if err != nil {
		return err
	}
	return inv.cmd.run(ctx, inv)
}

// invocation is one parsed command line: what a command needs to run.
type invocation struct {
	name       string
	cmd        command
	flags      *flag.FlagSet // the command's flags, parsed; commands may add their own with Define
	configPath string        // -config, or "" for the default lookup
	args       []string      // the command's arguments after its flags
	stdout     io.Writer
	stderr     io.Writer
	level      slog.LevelVar // the log level, changed by a reload
}

// commandFlags lets a command declare its own flags before parsing.
var commandFlags = map[string]func(fs *flag.FlagSet){
	"report": defineReportFlags,
	"export-opml": func(fs *flag.FlagSet) {
		fs.Bool("with-credentials", false, "keep user names and passwords in feed URLs")
	},
	"try": tryFlags,
}

// parseArgs splits args into the command, the -config value and the
// command's other arguments. -config may stand before or after the command.
func parseArgs(args []string, stdout, stderr io.Writer) (*invocation, error) {
	inv := &invocation{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("pressfeed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&inv.configPath, "config", "", "config file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage())
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	rest := fs.Args()
	inv.name = "run"
	if len(rest) > 0 {
		inv.name, rest = rest[0], rest[1:]
	}
	c, ok := commands[inv.name]
	if !ok {
		return nil, &usageError{fmt.Sprintf("unknown command %q", inv.name)}
	}
	inv.cmd = c
	sub := flag.NewFlagSet(inv.name, flag.ContinueOnError)
	sub.SetOutput(io.Discard)
	sub.StringVar(&inv.configPath, "config", inv.configPath, "config file (default: $CONFIGURATION_DIRECTORY/config.toml, ./config.toml, /etc/pressfeed/config.toml)")
	if define := commandFlags[inv.name]; define != nil {
		define(sub)
	}
	if err := sub.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, commandUsage(inv.name, c, sub))
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	inv.flags = sub
	inv.args = sub.Args()
	return inv, nil
}

// wantArgs fails with a usage error unless the command got min to max
// arguments (max < 0: no limit).
func (inv *invocation) wantArgs(min, max int) error {
	n := len(inv.args)
	switch {
	case max == 0 && n > 0:
		return &usageError{fmt.Sprintf("%s takes no arguments, got %q", inv.name, strings.Join(inv.args, " "))}
	case n < min || (max >= 0 && n > max):
		return &usageError{fmt.Sprintf("%s: want %s, got %d arguments", inv.name, inv.cmd.args, n)}
	}
	return nil
}

// config loads the config file named by -config, else the first found by
// findConfig, and remembers which one it was.
func (inv *invocation) config() (*config, error) {
	if inv.configPath == "" {
		p, err := findConfig()
		if err != nil {
			return nil, err
		}
		inv.configPath = p
	}
	return loadConfig(inv.configPath)
}

// logger returns the logger for cfg: slog text lines on stderr.
func (inv *invocation) logger(cfg *config) *slog.Logger {
	inv.level.Set(logLevel(cfg.Log.Level))
	return newLogger(&inv.level, inv.stderr)
}

// openStore opens the store of cfg to add items: with its deliveries
// routed (package deliver), so that every item stored from now on reaches
// them.
func (inv *invocation) openStore(ctx context.Context, cfg *config, logger *slog.Logger) (*store.DB, *deliver.Router, error) {
	router := &deliver.Router{}
	opts := cfg.storeOptions(logger)
	opts.Enqueue = router.Enqueue
	db, err := store.Open(cfg.storePath(), opts)
	if err != nil {
		return nil, nil, err
	}
	h, err := publisher.NewHandler(db, cfg.publisherOptions(logger))
	if err == nil {
		err = routeDeliveries(ctx, db, cfg, h, router)
	}
	if err != nil {
		return nil, nil, errors.Join(err, db.Close())
	}
	return db, router, nil
}

func runVersion(ctx context.Context, inv *invocation) error {
	if err := inv.wantArgs(0, 0); err != nil {
		return err
	}
	fmt.Fprintln(inv.stdout, "pressfeed", version())
	return nil
}

func runCheck(ctx context.Context, inv *invocation) error {
	if err := inv.wantArgs(0, 0); err != nil {
		return err
	}
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	return check(cfg, inv.stdout)
}

func runFetch(ctx context.Context, inv *invocation) (err error) {
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	if err := cfg.checkFeedNames(inv.args); err != nil {
		return err // before the store is opened and anything printed
	}
	logger := inv.logger(cfg)
	db, _, err := inv.openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }() // closes last; its error is kept
	var progress io.Writer
	if isTerminal(inv.stderr) {
		progress = inv.stderr
	}
	return fetchOnce(ctx, cfg, db, inv.args, logger, inv.stdout, progress)
}

func runDaemon(ctx context.Context, inv *invocation) (err error) {
	if err := inv.wantArgs(0, 0); err != nil {
		return err
	}
	// SIGHUP is caught from the start: its default action would kill the
	// daemon if a reload came before the listener is up.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	cfg, err := inv.config()
	if err != nil {
		return err
	}
	logger := inv.logger(cfg)
	db, router, err := inv.openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }() // closes last; its error is kept
	s := &service{configPath: inv.configPath, db: db, router: router, log: logger, level: &inv.level, notify: newNotifier(logger)}
	return s.run(ctx, cfg, hup)
}

// version returns the module version and VCS revision of this build:
// "v1.2.0" from go install …@v1.2.0, "v0.0.0-20261127150353-2c8c6b8ab5bc+dirty"
// from a git checkout (Go 1.24 and later), "dev+2c8c6b8ab5bc" where only
// the revision is known, "dev" without either.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	dirty := false
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12 && !strings.Contains(v, s.Value[:12]):
			v += "+" + s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true" && !strings.Contains(v, "dirty"):
			dirty = true
		}
	}
	if dirty {
		v += "+dirty"
	}
	return v
}

// logLevel parses a [log] level; config validation has checked it.
func logLevel(s string) slog.Level {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return lv
}

// newLogger returns a slog text logger on w at level.
func newLogger(level slog.Leveler, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if os.Getenv("JOURNAL_STREAM") != "" {
		// journald stamps every line itself.
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func check(cfg *config, w io.Writer) error {
	fmt.Fprintf(w, "config %s: ok\n", cfg.path)
	fmt.Fprintf(w, "  feeds:   %d\n", len(cfg.Feeds))
	for _, o := range cfg.Outputs {
		fmt.Fprintf(w, "  output:  %s → /feeds/%s.{rss,atom,json} (limit %d)\n", o.Name, o.Name, o.Limit)
	}
	for _, d := range cfg.Deliver {
		fmt.Fprintf(w, "  deliver: %s: output %s, %s\n", d.Name, d.Output, d.describe())
	}
	fmt.Fprintf(w, "  store:   %s (retention %s)\n", cfg.storePath(), cfg.Store.Retention)
	fmt.Fprintf(w, "  listen:  %s, base URL %s\n", cfg.Server.Listen, cfg.Server.BaseURL)
	fmt.Fprintf(w, "  polling: every %s, timeout %s, %d at once\n", cfg.Fetch.Interval, cfg.Fetch.Timeout, cfg.Fetch.Concurrency)
	return nil
}

// fetchOnce runs one pass over the feeds named (all when none) and prints
// one line per feed on w, then a summary. progress, when not nil (stderr on
// a terminal), shows a progress bar that each feed's line clears first.
func fetchOnce(ctx context.Context, cfg *config, db *store.DB, names []string, logger *slog.Logger, w, progress io.Writer) error {
	if err := cfg.checkFeedNames(names); err != nil {
		return err
	}
	opts := cfg.fetcherOptions(logger, version())
	opts.Logger = slog.New(slog.DiscardHandler) // the lines below report each feed
	poller := fetcher.NewPoller(db, opts)
	total := len(names)
	if total == 0 {
		total = len(cfg.Feeds)
	}
	var sum fetchSummary
	err := poller.Once(ctx, names, func(r fetcher.Report) {
		sum.add(r)
		if progress != nil {
			fmt.Fprint(progress, "\r\033[K") // the bar gives way to the line
		}
		writeFetchLine(w, r)
		if progress != nil {
			const width = 30
			n := sum.done * width / max(total, 1)
			fmt.Fprintf(progress, "%s%s %d/%d feeds, %d new, %d failed",
				strings.Repeat("█", n), strings.Repeat("·", width-n), sum.done, total, sum.added, sum.failed)
		}
	})
	if progress != nil {
		fmt.Fprint(progress, "\r\033[K")
	}
	fmt.Fprintf(w, "fetched %s: %s, %d merged, %d failed\n",
		plural(sum.done, "feed", "feeds"), plural(sum.added, "new item", "new items"), sum.merged, sum.failed)
	return err
}

// fetchSummary counts the feeds a fetch pass reported.
type fetchSummary struct{ done, failed, added, merged int }

func (s *fetchSummary) add(r fetcher.Report) {
	s.done++
	s.added += r.Result.Added
	s.merged += r.Result.Merged
	if r.Err != nil {
		s.failed++
	}
}

// writeFetchLine writes the line of one fetched feed: name, outcome, detail.
func writeFetchLine(w io.Writer, r fetcher.Report) {
	switch {
	case r.Err != nil:
		fmt.Fprintf(w, "%s\tfailed\t%s: %v\n", r.Feed, r.Class, r.Err)
	case r.Deferred:
		fmt.Fprintf(w, "%s\tdeferred\tthe site asked not to be asked yet (Retry-After)\n", r.Feed)
	case r.NotModified:
		fmt.Fprintf(w, "%s\tnot modified\n", r.Feed)
	default:
		fmt.Fprintf(w, "%s\tok\t%d new, %d merged, %d corrected, %d known\t%s\n", r.Feed,
			r.Result.Added, r.Result.Merged, r.Result.Corrected, r.Result.Known, r.Duration.Round(time.Millisecond))
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
