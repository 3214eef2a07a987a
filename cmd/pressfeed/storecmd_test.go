package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStoreCommandsWithoutStore runs each command that reads a store in an
// empty folder, as a cron job that forgot $STATE_DIRECTORY would: each
// exits 1 naming the path it looked at and what a relative path was
// relative to, and no file or folder appears anywhere it might have
// written.
func TestStoreCommandsWithoutStore(t *testing.T) {
	absDB := filepath.Join(t.TempDir(), "abs", "pressfeed.db")
	commands := [][]string{{"backup", "copy.db"}, {"compact"}, {"feeds"}, {"explain", "urn:pressfeed:item:x"}}
	tests := []struct {
		name     string
		dbPath   string
		stateDir bool // set $STATE_DIRECTORY to an empty folder
		want     func(work, state string) string
	}{
		{"relative, no STATE_DIRECTORY", "data/pressfeed.db", false, func(work, _ string) string {
			return fmt.Sprintf("pressfeed: no store at data/pressfeed.db (relative to the working directory %s; $STATE_DIRECTORY is not set)\n", work)
		}},
		{"relative, STATE_DIRECTORY", "data/pressfeed.db", true, func(_, state string) string {
			return fmt.Sprintf("pressfeed: no store at data/pressfeed.db (relative to %s from $STATE_DIRECTORY)\n", state)
		}},
		{"absolute", absDB, true, func(_, _ string) string {
			return "pressfeed: no store at " + absDB + "\n"
		}},
	}
	for _, tt := range tests {
		for _, args := range commands {
			t.Run(tt.name+"/"+args[0], func(t *testing.T) {
				work, state := t.TempDir(), t.TempDir()
				// Nothing listens at listen: no daemon to ask either.
				cfg := writeFile(t, fmt.Sprintf("[server]\nlisten = %q\n[store]\npath = %q\n%s", freeAddr(t), tt.dbPath, minimalFeed))
				env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work}
				if tt.stateDir {
					env = append(env, "STATE_DIRECTORY="+state)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, binary, append([]string{"-config", cfg}, args...)...)
				cmd.Dir, cmd.Env = work, append(env, "PWD="+work)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				code := cmd.ProcessState.ExitCode()
				if err != nil && code < 0 {
					t.Fatal(err)
				}
				if want := tt.want(work, state); code != exitFailure || stderr.String() != want {
					t.Errorf("exit %d, stderr %q; want exit 1, %q", code, stderr.String(), want)
				}
				if stdout.Len() > 0 {
					t.Errorf("stdout %q, want nothing", stdout.String())
				}
				for _, dir := range []string{work, state, filepath.Dir(absDB)} {
					entries, err := os.ReadDir(dir)
					if err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
					for _, e := range entries {
						t.Errorf("%s created %s", args[0], filepath.Join(dir, e.Name()))
					}
				}
			})
		}
	}
}

// TestMissingStoreMessage checks the message openExisting gives, in
// process, for each way store.path is resolved.
func TestMissingStoreMessage(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	cfg := &config{}
	cfg.Store.Path = "data/p.db"

	t.Setenv("STATE_DIRECTORY", "")
	_, err := openExisting(cfg, cfg.storeOptions(nil))
	if want := "no store at data/p.db (relative to the working directory " + work + "; $STATE_DIRECTORY is not set)"; err == nil || err.Error() != want {
		t.Errorf("openExisting = %v, want %q", err, want)
	}
	t.Setenv("STATE_DIRECTORY", "/nonexistent/state:/other")
	_, err = openExisting(cfg, cfg.storeOptions(nil))
	if want := "no store at data/p.db (relative to /nonexistent/state from $STATE_DIRECTORY)"; err == nil || err.Error() != want {
		t.Errorf("openExisting = %v, want %q", err, want)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("openExisting created %v", entries)
	}

	// A store that is there opens.
	cfg.Store.Path = filepath.Join(work, "p.db")
	if err := os.WriteFile(cfg.Store.Path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := openExisting(cfg, cfg.storeOptions(nil))
	if err != nil {
		t.Fatalf("openExisting of an existing file: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(db.Path(), "p.db") {
		t.Errorf("opened %s", db.Path())
	}
}
