package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenNoCreate: with NoCreate, Open of a missing file fails with
// fs.ErrNotExist and leaves no file or folder behind; an existing store
// opens as usual.
func TestOpenNoCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "p.db")
	db, err := Open(path, Options{NoCreate: true})
	if err == nil {
		db.Close()
		t.Fatal("Open(NoCreate) of a missing file succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(NoCreate) = %v, want fs.ErrNotExist", err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("folder holds %v (%v), want nothing created", entries, err)
	}

	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{NoCreate: true})
	if err != nil {
		t.Fatalf("Open(NoCreate) of an existing store: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
