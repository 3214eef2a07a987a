package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWatchdogOnlyWhileHealthy: WATCHDOG=1 goes out at half of
// $WATCHDOG_USEC while the health check passes, none while it fails, and
// again once it passes.
func TestWatchdogOnlyWhileHealthy(t *testing.T) {
	sock := listenNotify(t)
	t.Setenv("NOTIFY_SOCKET", sock.path)
	t.Setenv("WATCHDOG_USEC", "40000") // a ping every 20 ms
	t.Setenv("WATCHDOG_PID", "")
	var sick atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	n := newNotifier(slog.New(slog.DiscardHandler))
	go func() {
		defer close(done)
		n.watchdog(ctx, func(context.Context) error {
			if sick.Load() {
				return errors.New("fetcher: no progress for 5m")
			}
			return nil
		})
	}()
	defer func() { cancel(); <-done }()

	sock.expect(t, "WATCHDOG=1", 2*time.Second)
	sick.Store(true)
	time.Sleep(60 * time.Millisecond) // a ping already on its way may still arrive
	drain(sock)
	time.Sleep(200 * time.Millisecond) // ten intervals
	if m := drain(sock); len(m) > 0 {
		t.Errorf("pings while unhealthy: %q", m)
	}
	sick.Store(false)
	sock.expect(t, "WATCHDOG=1", 2*time.Second)
}

// TestWatchdogOff: without $WATCHDOG_USEC, watchdog returns at once.
func TestWatchdogOff(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "")
	done := make(chan struct{})
	go func() {
		newNotifier(slog.New(slog.DiscardHandler)).watchdog(context.Background(), func(context.Context) error { return nil })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("watchdog runs although systemd asked for none")
	}
}

// TestReloadingCarriesMonotonicTime: RELOADING=1 comes with MONOTONIC_USEC,
// as systemd 253 and later want.
func TestReloadingCarriesMonotonicTime(t *testing.T) {
	sock := listenNotify(t)
	t.Setenv("NOTIFY_SOCKET", sock.path)
	newNotifier(slog.New(slog.DiscardHandler)).reloading()
	m := sock.expect(t, "RELOADING=1", 2*time.Second)
	if !strings.Contains(m, "\nMONOTONIC_USEC=") || strings.Contains(m, "MONOTONIC_USEC=0") {
		t.Errorf("message = %q, want RELOADING=1 and a MONOTONIC_USEC", m)
	}
}

func drain(s *notifySocket) []string {
	var out []string
	for {
		select {
		case m := <-s.msgs:
			out = append(out, m)
		default:
			return out
		}
	}
}

// TestFindConfig: $CONFIGURATION_DIRECTORY (each of its folders) first,
// then ./config.toml; /etc/pressfeed/config.toml is the last resort.
func TestFindConfig(t *testing.T) {
	empty, withFile, cwd := t.TempDir(), t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(withFile, "config.toml"), filepath.Join(cwd, "config.toml")} {
		if err := os.WriteFile(p, []byte(minimalFeed), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(cwd)
	tests := []struct{ name, confDir, want string }{
		{"configuration directory", withFile, filepath.Join(withFile, "config.toml")},
		{"second of two folders", empty + ":" + withFile, filepath.Join(withFile, "config.toml")},
		{"working directory", empty, "config.toml"},
		{"unset", "", "config.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CONFIGURATION_DIRECTORY", tt.confDir)
			if got, err := findConfig(); got != tt.want || err != nil {
				t.Errorf("findConfig() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// Neither: the error lists the three places looked at, and check
	// exits with it as a config error.
	if err := os.Remove(filepath.Join(cwd, "config.toml")); err != nil {
		t.Fatal(err)
	}
	systemConfig = filepath.Join(empty, "etc", "config.toml")
	t.Cleanup(func() { systemConfig = "/etc/pressfeed/config.toml" })
	for _, tt := range []struct{ confDir, first string }{
		{empty, filepath.Join(empty, "config.toml") + " ($CONFIGURATION_DIRECTORY)"},
		{"", "$CONFIGURATION_DIRECTORY/config.toml (not set)"},
	} {
		t.Setenv("CONFIGURATION_DIRECTORY", tt.confDir)
		want := "no config file found; looked at " + tt.first + ", ./config.toml, " + systemConfig + "; name one with -config FILE"
		got, err := findConfig()
		var ce *configError
		if got != "" || !errors.As(err, &ce) || err.Error() != want {
			t.Errorf("findConfig() with no file anywhere = %q, %v; want a config error %q", got, err, want)
		}
		var stderr bytes.Buffer
		if code := exitCode(run(context.Background(), []string{"check"}, io.Discard, &stderr), &stderr); code != exitConfig || !strings.Contains(stderr.String(), want) {
			t.Errorf("check with no config: exit %d, %q; want %d and %q", code, stderr.String(), exitConfig, want)
		}
	}
}

// TestEveryCommandHasHelp: "pressfeed COMMAND -h" prints that command's
// usage and exits 0, for every command in the dispatch table.
func TestEveryCommandHasHelp(t *testing.T) {
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			code := exitCode(run(context.Background(), []string{name, "-h"}, &out, &out), &out)
			if code != 0 || !strings.Contains(out.String(), "usage: pressfeed [-config FILE] "+name) {
				t.Errorf("pressfeed %s -h: exit %d, output %q", name, code, out.String())
			}
		})
	}
}
