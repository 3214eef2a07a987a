package store

import (
	bolt "go.etcd.io/bbolt"
)

// Stats describes the file, for benchmarks, metrics and health.
type Stats struct {
	Commits  int   // write transactions committed over the file's life
	FileSize int64 // bytes on disk
	Items    int   // stored items
}

// Stats returns the current figures of the file.
func (db *DB) Stats() (Stats, error) {
	var s Stats
	err := db.bolt.View(func(tx *bolt.Tx) error {
		// A read transaction sees the meta page of the last commit, whose
		// id bbolt increments once per write transaction.
		s.Commits = tx.ID()
		s.FileSize = tx.Size()
		s.Items = tx.Bucket(bucketItems).Stats().KeyN
		return nil
	})
	return s, err
}
