package main

import (
	"log/slog"
	"testing"
)

// TestServiceBeforeThePoller: the parts that start before the scheduler
// (deliveries left pending by the last run send at once) and the watchdog
// can ask for feed states and health without a scheduler.
func TestServiceBeforeThePoller(t *testing.T) {
	s := &service{log: slog.New(slog.DiscardHandler)}
	if st := s.feedStates(); st != nil {
		t.Errorf("feedStates = %v, want nil (read the stored ones)", st)
	}
	s.started.Store(1) // long before the start-up grace
	if err := s.pollerHealthy(); err == nil {
		t.Error("pollerHealthy = nil without a scheduler")
	}
}
