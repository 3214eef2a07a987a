package feeddate

import (
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that what it accepts lies in 1970–9999 in UTC, that it reads
// its own RFC 3339 output back to the same instant, and that white space around the input changes nothing.
func FuzzParse(f *testing.F) {
	for _, tt := range dateTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := Parse(raw, dateTestLoc)
		if !ok {
			if !got.IsZero() {
				t.Errorf("Parse(%q) = %v, false; want the zero time", raw, got)
			}
			return
		}
		if y := got.Year(); y < 1970 || y > 9999 {
			t.Errorf("Parse(%q) = %v; year %d out of 1970–9999", raw, got, y)
		}
		if got.Location() != time.UTC {
			t.Errorf("Parse(%q) = %v in %v; want UTC", raw, got, got.Location())
		}
		s := got.Format(time.RFC3339Nano)
		back, ok := Parse(s, dateTestLoc)
		if !ok || !back.Equal(got) {
			t.Errorf("Parse(%q) = %v, %v; want %v, as Parse(%q)", s, back, ok, got, raw)
		}
		if len(raw)+2 <= dateMaxLen {
			if padded, ok := Parse(" "+raw+"\t", dateTestLoc); !ok || !padded.Equal(got) {
				t.Errorf("Parse(%q) = %v, %v; want %v, as without the spaces", " "+raw+"\t", padded, ok, got)
			}
		}
	})
}

// FuzzFind checks that Find never panics, that what it finds lies in
// 1970–9999, and that a date Parse reads is found as it is.
func FuzzFind(f *testing.F) {
	for _, tt := range dateTests {
		f.Add(tt.in)
	}
	f.Add("Cập nhật: 07/12/2026 15:04 | Lượt xem: 12")
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := Find(raw, dateTestLoc)
		if ok {
			if y := got.Year(); y < 1970 || y > 9999 {
				t.Errorf("Find(%q) = %v; year %d out of 1970–9999", raw, got, y)
			}
		}
		if want, pok := Parse(raw, dateTestLoc); pok && (!ok || !got.Equal(want)) {
			t.Errorf("Find(%q) = %v, %v; want %v as Parse reads it", raw, got, ok, want)
		}
	})
}
