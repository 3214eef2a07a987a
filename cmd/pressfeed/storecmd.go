package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
