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
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones on hosts without a zoneinfo database

	"github.com/pressfeed/pressfeed/fetcher"
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

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const usage = `usage: pressfeed [-config FILE] [command] [args]

commands:
  run            run the daemon (default)
  check          validate the config and print a summary
  fetch [FEED…]  fetch every feed (or those named) once, store, exit
  version        print the version

-config FILE may stand before or after the command. Without it, pressfeed reads
$CONFIGURATION_DIRECTORY/config.toml, else ./config.toml, else /etc/pressfeed/config.toml.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
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
		fmt.Fprintf(w, "pressfeed: %v\n\n%s", err, usage)
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
	cmd, configPath, rest, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, "pressfeed", version())
		return nil
	}
	if cmd != "run" && cmd != "check" && cmd != "fetch" {
		return &usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	if cmd != "fetch" && len(rest) > 0 {
		return &usageError{fmt.Sprintf("%s takes no arguments, got %q", cmd, strings.Join(rest, " "))}
	}
	if configPath == "" {
		configPath = findConfig()
	}
	cfg, err := loadConfig(configPath)
	if err != nil {
		return err
	}
	if cmd == "check" {
		return check(cfg, stdout)
	}
	logger := newLogger(cfg.Log.Level, stderr)
	fetcher.Version = version()
	db, err := store.Open(cfg.storePath(), cfg.storeOptions(logger))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }() // closes last; its error is kept
	if cmd == "fetch" {
		return fetchOnce(ctx, cfg, db, rest, logger, stderr)
	}
	return serveDaemon(ctx, cfg, db, logger)
}

// parseArgs splits args into the command, the -config value and the
// command's other arguments. -config may stand before or after the command.
func parseArgs(args []string, stderr io.Writer) (cmd, configPath string, rest []string, err error) {
	fs := flag.NewFlagSet("pressfeed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&configPath, "config", "", "config file")
	help := func(fs *flag.FlagSet) error {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", "", nil, help(fs)
		}
		return "", "", nil, &usageError{err.Error()}
	}
	rest = fs.Args()
	cmd = "run"
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	sub := flag.NewFlagSet(cmd, flag.ContinueOnError)
	sub.SetOutput(io.Discard)
	sub.StringVar(&configPath, "config", configPath, "config file")
	if err := sub.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", "", nil, help(sub)
		}
		return "", "", nil, &usageError{err.Error()}
	}
	return cmd, configPath, sub.Args(), nil
}

// version returns the module version and VCS revision of this build.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
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
	fmt.Fprintf(w, "  store:   %s (retention %s)\n", cfg.storePath(), cfg.Store.Retention)
	fmt.Fprintf(w, "  listen:  %s, base URL %s\n", cfg.Server.Listen, cfg.Server.BaseURL)
	fmt.Fprintf(w, "  polling: every %s, timeout %s, %d at once\n", cfg.Fetch.Interval, cfg.Fetch.Timeout, cfg.Fetch.Concurrency)
	return nil
}

// serveDaemon runs the poller and the publisher until ctx is done or one
// of them fails.
func serveDaemon(ctx context.Context, cfg *config, db *store.DB, logger *slog.Logger) error {
	poller := fetcher.NewPoller(db, cfg.fetcherOptions(logger, version()))
	popts := cfg.publisherOptions(logger)
	popts.Healthy = poller.Healthy
	handler, err := publisher.NewHandler(db, popts)
	if err != nil {
		return &configError{err}
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- poller.Run(ctx) }()
	go func() { errc <- serve(ctx, srv, ln, shutdownGrace) }()
	logger.Info("started", "version", version(), "listen", ln.Addr().String(), "feeds", len(cfg.Feeds),
		"store", db.Path())

	err = <-errc // nil after SIGTERM, else the part that failed
	logger.Info("stopping", "cause", context.Cause(ctx), "err", err)
	cancel()
	return errors.Join(err, <-errc)
}

// serve serves on ln until ctx is done, then drains for at most grace.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeoutCause(context.Background(), grace, errors.New("grace period over"))
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = context.Cause(sctx)
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// fetchOnce runs one pass over the feeds named (all when none) and prints
// one line per feed, or a progress bar on a terminal.
func fetchOnce(ctx context.Context, cfg *config, db *store.DB, names []string, logger *slog.Logger, w io.Writer) error {
	opts := cfg.fetcherOptions(logger, version())
	opts.Logger = slog.New(slog.DiscardHandler) // the lines below report each feed
	poller := fetcher.NewPoller(db, opts)
	total := len(names)
	if total == 0 {
		total = len(cfg.Feeds)
	}
	tty := isTerminal(w)
	done, failed, added, merged := 0, 0, 0, 0
	err := poller.Once(ctx, names, func(r fetcher.Report) {
		done++
		added += r.Result.Added
		merged += r.Result.Merged
		if r.Err != nil {
			failed++
		}
		if tty {
			const width = 30
			bar := strings.Repeat("█", done*width/max(total, 1)) + strings.Repeat("·", width-done*width/max(total, 1))
			fmt.Fprintf(w, "\r%s %d/%d feeds, %d new, %d failed ", bar, done, total, added, failed)
			if r.Err != nil {
				fmt.Fprintf(w, "\n%s: %s: %v\n", r.Feed, r.Class, r.Err)
			}
			return
		}
		switch {
		case r.Err != nil:
			fmt.Fprintf(w, "%s\tfailed\t%s: %v\n", r.Feed, r.Class, r.Err)
		case r.NotModified:
			fmt.Fprintf(w, "%s\tnot modified\n", r.Feed)
		default:
			fmt.Fprintf(w, "%s\tok\t%d new, %d merged, %d corrected, %d known\t%s\n", r.Feed,
				r.Result.Added, r.Result.Merged, r.Result.Corrected, r.Result.Known, r.Duration.Round(time.Millisecond))
		}
	})
	if tty {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "fetched %d feeds: %d new items, %d merged, %d failed\n", done, added, merged, failed)
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
