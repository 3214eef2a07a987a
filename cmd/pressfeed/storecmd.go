package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// The commands that read a store (backup, compact, feeds, explain, and
// any later one) never create it (SPEC "Command line"): an empty store
// made by a cron job that forgot $STATE_DIRECTORY would be read, backed up
// and reported as if it were the real one.

// noStoreError is a command finding no store where the config points.
type noStoreError struct {
	path  string // store.path as configured
	where string // what a relative path was taken relative to; "" for an absolute one
}

func (e *noStoreError) Error() string {
	if e.where == "" {
		return "no store at " + e.path
	}
	return fmt.Sprintf("no store at %s (%s)", e.path, e.where)
}

// Unwrap makes errors.Is(err, fs.ErrNotExist) hold.
func (e *noStoreError) Unwrap() error { return fs.ErrNotExist }

// missingStore returns the *noStoreError for cfg: the configured path and,
// when it is relative, the folder it was looked up in and why.
func missingStore(cfg *config) error {
	p := cfg.Store.Path
	if filepath.IsAbs(p) {
		return &noStoreError{path: p}
	}
	if dir := os.Getenv("STATE_DIRECTORY"); dir != "" {
		return &noStoreError{path: p, where: fmt.Sprintf("relative to %s from $STATE_DIRECTORY", strings.Split(dir, ":")[0])}
	}
	wd, err := os.Getwd()
	if err != nil {
		wd = "?"
	}
	return &noStoreError{path: p, where: fmt.Sprintf("relative to the working directory %s; $STATE_DIRECTORY is not set", wd)}
}

// storeExists returns nil when a file is at the store path of cfg, else
// the *noStoreError naming where it looked.
func storeExists(cfg *config) error {
	_, err := os.Stat(cfg.storePath())
	if errors.Is(err, fs.ErrNotExist) {
		return missingStore(cfg)
	}
	return err
}

// openExisting opens the store of cfg with opts for a command that reads
// it. It never creates a file or folder: with no store at the path it
// fails with a *noStoreError naming the path it looked at. When another
// process holds the store it fails with store.ErrLocked, as store.Open does.
func openExisting(cfg *config, opts store.Options) (*store.DB, error) {
	if err := storeExists(cfg); err != nil {
		return nil, err
	}
	opts.NoCreate = true
	db, err := store.Open(cfg.storePath(), opts)
	if errors.Is(err, fs.ErrNotExist) { // removed since the check
		return nil, missingStore(cfg)
	}
	return db, err
}

// openForReading opens the store of cfg for a command that reads it, or a
// copy from the running daemon when the daemon holds it (see backup.go).
// done closes it and removes the copy. Like openExisting, it never
// creates a store.
func openForReading(ctx context.Context, cfg *config, logger *slog.Logger) (db *store.DB, done func() error, err error) {
	opts := cfg.storeOptions(logger)
	opts.LockTimeout = 300 * time.Millisecond
	db, err = openExisting(cfg, opts)
	if err == nil {
		return db, db.Close, nil
	}
	if !errors.Is(err, store.ErrLocked) {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "pressfeed-read-")
	if err != nil {
		return nil, nil, err
	}
	cp := filepath.Join(dir, "copy.db")
	err = writeFileAtomic(cp, func(w io.Writer) error {
		_, err := copyFromDaemon(ctx, cfg, w)
		return err
	}, nil)
	if err == nil {
		db, err = store.Open(cp, opts)
	}
	if err != nil {
		return nil, nil, errors.Join(err, os.RemoveAll(dir))
	}
	return db, func() error { return errors.Join(db.Close(), os.RemoveAll(dir)) }, nil
}
