package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// WriteTo writes a consistent copy of the whole file to w from one read
// transaction (bbolt's Tx.WriteTo), while writers go on. It returns the
// number of bytes written.
func (db *DB) WriteTo(w io.Writer) (int64, error) { return db.WriteSnapshot(w, nil) }

// WriteSnapshot is WriteTo that first tells size, when not nil, how many
// bytes the copy will have (for a Content-Length).
func (db *DB) WriteSnapshot(w io.Writer, size func(int64)) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if size != nil {
			size(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: copy %s: %w", db.path, err)
	}
	return n, nil
}

// Size returns the size of a consistent copy of the file.
func (db *DB) Size() (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Size()
		return nil
	})
	return n, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// Verify opens the store file at path read-only, runs bbolt's consistency
// check on it and returns the number of items it holds.
func Verify(path string) (items int, err error) {
	b, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: defaultLockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return 0, fmt.Errorf("%w: %s is held by another process", ErrLocked, path)
	}
	if err != nil {
		return 0, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = b.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if tx.Bucket(bucketItems) == nil || tx.Bucket(bucketMeta) == nil {
			return errors.Join(append(errs, errors.New("not a pressfeed store: buckets missing"))...)
		}
		items = tx.Bucket(bucketItems).Stats().KeyN
		return errors.Join(errs...)
	})
	if err != nil {
		err = fmt.Errorf("store: check %s: %w", path, err)
	}
	return items, errors.Join(err, b.Close())
}

// Compact rewrites the store at path into a new file holding only live
// pages, then renames it over path (bbolt files never shrink by
// themselves). The store must not be open: Compact fails with ErrLocked
// when a process holds it. It returns the file sizes before and after.
func Compact(ctx context.Context, path string, opts Options) (before, after int64, err error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = defaultLockTimeout
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("store: compact: %w", err)
	}
	before = st.Size()
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return before, 0, fmt.Errorf("%w: %s is held by another process (stop pressfeed first)", ErrLocked, path)
	}
	if err != nil {
		return before, 0, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, src.Close()) }()
	if err := ctx.Err(); err != nil {
		return before, 0, err
	}
	tmp := path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return before, 0, fmt.Errorf("store: compact: %w", err)
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return before, 0, fmt.Errorf("store: compact: %w", err)
	}
	// Compact commits every 64 MiB; dst is synced on Close.
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		return before, 0, errors.Join(fmt.Errorf("store: compact %s: %w", path, err), dst.Close(), os.Remove(tmp))
	}
	if err := dst.Sync(); err != nil {
		return before, 0, errors.Join(err, dst.Close(), os.Remove(tmp))
	}
	if err := dst.Close(); err != nil {
		return before, 0, errors.Join(err, os.Remove(tmp))
	}
	if _, err := Verify(tmp); err != nil {
		return before, 0, errors.Join(err, os.Remove(tmp))
	}
	// Renaming over the file the src handle (and its lock) still holds is
	// safe: nothing writes through src, and a process opening path from now
	// on sees the new file.
	if err := os.Rename(tmp, path); err != nil {
		return before, 0, fmt.Errorf("store: compact: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return before, 0, err
	}
	st, err = os.Stat(path)
	if err != nil {
		return before, 0, err
	}
	return before, st.Size(), nil
}
