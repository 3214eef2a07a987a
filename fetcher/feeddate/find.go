package feeddate

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// findMaxLen bounds the text Find looks at: a date on a web page sits in a
// short label ("Cập nhật: 07/12/2026 15:04"); a longer text is cut here.
const findMaxLen = 2 * dateMaxLen

// findMaxSpans bounds how many starts and how many ends Find tries, so a
// hostile text costs at most findMaxSpans² calls of Parse on dateMaxLen
// bytes.
const findMaxSpans = 10

// Find returns the first date Parse understands in text, where a web page
// has put words or brackets around it: "Cập nhật: 07/12/2026 15:04",
// "(07/12/2026)", "07/12/2026 | Lượt xem". It tries each word as a start,
// the longest span first, and gives up after a bounded number of tries.
func Find(text string, loc *time.Location) (time.Time, bool) {
	s := strings.TrimSpace(text)
	if t, ok := Parse(s, loc); ok {
		return t, true
	}
	if len(s) > findMaxLen {
		s = strings.ToValidUTF8(s[:findMaxLen], "")
	}
	starts, ends := spans(s)
	for _, i := range starts {
		for k := len(ends) - 1; k >= 0; k-- {
			j := ends[k]
			if j <= i || j-i > dateMaxLen {
				continue
			}
			if t, ok := Parse(s[i:j], loc); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// spans returns the byte offsets where a word or number begins and where
// one ends in s, at most findMaxSpans of each: the first starts and the
// last ends.
func spans(s string) (starts, ends []int) {
	prev := false // the previous rune was a letter, digit or mark
	for i, r := range s {
		in := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		if in && !prev && len(starts) < findMaxSpans {
			starts = append(starts, i)
		}
		if !in && prev {
			ends = append(ends, i)
		}
		prev = in
	}
	if prev {
		ends = append(ends, len(s))
	}
	if len(ends) > findMaxSpans {
		ends = ends[len(ends)-findMaxSpans:]
	}
	return starts, ends
}

// ParseLayout parses raw with a Go time layout (time.ParseInLocation), read
// in loc when the layout names no zone, and returns the instant in UTC.
// Years outside 1970–9999 are not ok. A layout without a year (web pages
// often write "07/12 15:04") takes the year of now in loc, or the year
// before when that puts the date more than a day in the future.
func ParseLayout(raw, layout string, loc *time.Location, now time.Time) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	raw = strings.TrimSpace(raw)
	if len(raw) > findMaxLen || !utf8.ValidString(raw) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, raw, loc)
	if err != nil {
		return time.Time{}, false
	}
	if t.Year() == 0 && !strings.Contains(layout, "06") {
		n := now.In(loc)
		t = t.AddDate(n.Year(), 0, 0)
		if t.After(n.Add(24 * time.Hour)) {
			t = t.AddDate(-1, 0, 0)
		}
	}
	t = t.UTC()
	if y := t.Year(); y < 1970 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}
