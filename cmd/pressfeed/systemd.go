package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// notifier tells systemd about the daemon's state over $NOTIFY_SOCKET
// (sd_notify(3)). Without the variable every call does nothing.
type notifier struct {
	log *slog.Logger
}

func newNotifier(log *slog.Logger) notifier {
	return notifier{log: log.With("component", "systemd")}
}

func (n notifier) send(state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		n.log.Warn("notify failed", "state", state, "err", err)
	}
}

// ready says that the store is open and the listener bound, or that a
// reload is over.
func (n notifier) ready() { n.send(sd.SdNotifyReady) }

// stopping says that the daemon is on its way out.
func (n notifier) stopping() { n.send(sd.SdNotifyStopping) }

// reloading says that a reload begins; ready must follow. systemd 253 and
// later want MONOTONIC_USEC with it (Type=notify-reload); 252 ignores it.
func (n notifier) reloading() {
	n.send(fmt.Sprintf("%s\nMONOTONIC_USEC=%d", sd.SdNotifyReloading, monotonicUsec()))
}

// monotonicUsec reads CLOCK_MONOTONIC in microseconds, the clock systemd
// compares MONOTONIC_USEC with.
func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Sec*1e6 + ts.Nsec/1e3
}

// watchdog sends WATCHDOG=1 at half the interval systemd asked for
// ($WATCHDOG_USEC), but only while healthy returns nil: a daemon whose
// scheduler or store is stuck stops pinging, and systemd restarts it. It
// returns once ctx is done, at once when the watchdog is off.
func (n notifier) watchdog(ctx context.Context, healthy func(context.Context) error) {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("watchdog setting ignored", "err", err)
		return
	}
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := healthy(ctx); err != nil {
			if !failing && ctx.Err() == nil {
				n.log.Error("watchdog ping withheld", "err", err)
			}
			failing = true
			continue
		}
		if failing {
			n.log.Info("watchdog ping resumed")
			failing = false
		}
		n.send(sd.SdNotifyWatchdog)
	}
}
