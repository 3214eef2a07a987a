package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSmallRun runs the simulator on 40 feeds over three weeks: it prints
// the three schedules, and the adaptive one polls no feed more often than
// min_interval at no more requests than fixed polling.
func TestSmallRun(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-feeds", "40", "-warmup", "2", "-weeks", "1"}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"fixed 15m0s", "entry frequency (factor", "pressfeed adaptive", "bound:"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	for _, target := range []string{"requests ≤ fixed:", "no poll gap under min_interval:"} {
		i := strings.Index(s, target)
		if i < 0 {
			t.Errorf("output lacks %q:\n%s", target, s)
			continue
		}
		if verdict, _, _ := strings.Cut(s[i:], ";"); !strings.Contains(verdict, "(met)") {
			t.Errorf("target missed: %s", strings.TrimSpace(verdict))
		}
	}
	if err := run([]string{"-dailies", "0.9", "-portals", "0.5"}, &out); err == nil {
		t.Error("a population over 100% ran")
	}
}
