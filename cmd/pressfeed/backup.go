package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// The daemon holds the bbolt file lock, so no second process can open the
// store while it runs. `pressfeed backup` and `pressfeed explain` then ask
// the daemon for a consistent copy (store.DB.WriteTo, one read transaction)
// at backupRoute on its listener. The route answers only loopback clients
// that present the token the daemon writes next to the database at start
// (readable only by its user): a reverse proxy on the same host does not
// open it to the world.
const backupRoute = "/admin/backup"

// tokenPath is where the daemon keeps the backup token for the store at
// dbPath.
func tokenPath(dbPath string) string { return dbPath + ".admin-token" }

// newAdmin returns the handler of backupRoute for the store db, which the
// publisher mounts (publisher.Options.Admin). When the token cannot be
// written, it logs why and returns nil: no backup route.
func newAdmin(db *store.DB, log *slog.Logger) http.Handler {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		log.Error("backup route disabled", "err", err)
		return nil
	}
	token := hex.EncodeToString(b[:])
	err := writeFileAtomic(tokenPath(db.Path()), func(w io.Writer) error {
		_, err := io.WriteString(w, token+"\n")
		return err
	}, nil)
	if err != nil {
		log.Error("backup route disabled", "err", err)
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveBackup(w, r, db, token, log) })
}

func serveBackup(w http.ResponseWriter, r *http.Request, db *store.DB, token string, log *slog.Logger) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); r.Method != http.MethodGet || err != nil || ip == nil || !ip.IsLoopback() || r.Header.Get("X-Forwarded-For") != "" {
		http.NotFound(w, r)
		return
	}
	got := r.Header.Get("Authorization")
	if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+token)) != 1 {
		// No file path in the answer: it is no business of the client's
		// where the store lives.
		http.Error(w, "forbidden: send the daemon's admin token (pressfeed backup does)", http.StatusForbidden)
		return
	}
	// A large file takes longer than the server's write timeout.
	if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
		log.Warn("backup: no write deadline control", "err", err)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	start := time.Now()
	n, err := db.WriteSnapshot(w, func(size int64) {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	})
	if err != nil {
		// The length announced does not match: the client sees a short body.
		log.Error("backup failed", "remote", r.RemoteAddr, "bytes", n, "err", err)
		return
	}
	log.Info("backup sent", "bytes", n, "duration", time.Since(start).Round(time.Millisecond))
}

// loopbackURL is the URL of path on the daemon listening on listen; a
// wildcard address is reached on loopback.
func loopbackURL(listen, path string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + path
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::", "[::]":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + path
}

// copyFromDaemon writes the running daemon's copy of the store to w.
func copyFromDaemon(ctx context.Context, cfg *config, w io.Writer) (int64, error) {
	dbPath := cfg.storePath()
	tok, err := os.ReadFile(tokenPath(dbPath))
	if err != nil {
		return 0, fmt.Errorf("the running daemon holds %s; its backup token: %w", dbPath, err)
	}
	url := loopbackURL(cfg.Server.Listen, backupRoute)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+string(trimNewline(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("the running daemon holds %s, and its %s is not available: %w", dbPath, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("GET %s: %d of %d bytes", url, n, resp.ContentLength)
	}
	return n, nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// snapshot writes a consistent copy of the store of cfg to w: from the
// file when no process holds it, else from the running daemon. It says
// which on the returned source. With no store at the path it fails.
func snapshot(ctx context.Context, cfg *config, logger *slog.Logger, w io.Writer) (source string, n int64, err error) {
	opts := cfg.storeOptions(logger)
	opts.LockTimeout = 300 * time.Millisecond
	db, err := openExisting(cfg, opts)
	if errors.Is(err, store.ErrLocked) {
		n, err := copyFromDaemon(ctx, cfg, w)
		return "the running daemon (" + loopbackURL(cfg.Server.Listen, backupRoute) + ")", n, err
	}
	if err != nil {
		return "", 0, err
	}
	n, err = db.WriteTo(w)
	return cfg.storePath(), n, errors.Join(err, db.Close())
}

// runBackup implements `pressfeed backup FILE`.
func runBackup(ctx context.Context, inv *invocation) error {
	if err := inv.wantArgs(1, 1); err != nil {
		return err
	}
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	logger := inv.logger(cfg)
	dst, err := filepath.Abs(inv.args[0])
	if err != nil {
		return err
	}
	if src, err := filepath.Abs(cfg.storePath()); err == nil && src == dst {
		return &usageError{"backup: FILE is the database itself"}
	}
	// No copy of a store that is not there: an empty backup looks fine
	// until the day it is needed.
	if err := storeExists(cfg); err != nil {
		return err
	}
	var source string
	var size int64
	items := 0
	err = writeFileAtomic(dst, func(w io.Writer) error {
		var err error
		source, size, err = snapshot(ctx, cfg, logger, w)
		return err
	}, func(tmp string) error {
		var err error
		items, err = store.Verify(tmp)
		return err
	})
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dst, err)
	}
	fmt.Fprintf(inv.stdout, "backup %s: %s, %d items, checked (from %s)\n", dst, byteSize(size), items, source)
	return nil
}

// runCompact implements `pressfeed compact`.
func runCompact(ctx context.Context, inv *invocation) error {
	if err := inv.wantArgs(0, 0); err != nil {
		return err
	}
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	path := cfg.storePath()
	if err := storeExists(cfg); err != nil {
		return err
	}
	before, after, err := store.Compact(ctx, path, cfg.storeOptions(inv.logger(cfg)))
	if err != nil {
		return err
	}
	fmt.Fprintf(inv.stdout, "compacted %s: %s → %s\n", path, byteSize(before), byteSize(after))
	return nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
