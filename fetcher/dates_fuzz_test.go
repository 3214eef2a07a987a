package fetcher

import (
	"testing"
	"time"
)

// FuzzParseDate checks that parseDate never panics, that what it accepts lies in 1970–9999 in UTC, that it reads
// its own RFC 3339 output back to the same instant, and that white space around the input changes nothing.
func FuzzParseDate(f *testing.F) {
	for _, tt := range dateTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := parseDate(raw, dateTestLoc)
		if !ok {
			if !got.IsZero() {
				t.Errorf("parseDate(%q) = %v, false; want the zero time", raw, got)
			}
			return
		}
		if y := got.Year(); y < 1970 || y > 9999 {
			t.Errorf("parseDate(%q) = %v; year %d out of 1970–9999", raw, got, y)
		}
		if got.Location() != time.UTC {
			t.Errorf("parseDate(%q) = %v in %v; want UTC", raw, got, got.Location())
		}
		s := got.Format(time.RFC3339Nano)
		back, ok := parseDate(s, dateTestLoc)
		if !ok || !back.Equal(got) {
			t.Errorf("parseDate(%q) = %v, %v; want %v, as parseDate(%q)", s, back, ok, got, raw)
		}
		if len(raw)+2 <= dateMaxLen {
			if padded, ok := parseDate(" "+raw+"\t", dateTestLoc); !ok || !padded.Equal(got) {
				t.Errorf("parseDate(%q) = %v, %v; want %v, as without the spaces", " "+raw+"\t", padded, ok, got)
			}
		}
	})
}
