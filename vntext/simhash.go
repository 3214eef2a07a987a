package vntext

import (
	"math/bits"
	"strings"
	"unicode"
)

// Near-duplicate detection for wire copies: one story that several outlets
// carry with a word or two of the headline changed and the same lead. The
// fingerprint is a 64-bit SimHash (Charikar; used for web pages by Manku,
// Jain and Das Sarma, WWW 2007) over word shingles of the headline and the
// start of the lead.
const (
	// NearDistance is the largest Hamming distance between two fingerprints
	// of one story. An index of NearDistance+1 bands finds every pair within
	// it (pigeonhole: 4 differing bits leave at least one of 5 bands equal).
	NearDistance = 4
	// LeadWords is how much of the lead the fingerprint reads.
	LeadWords = 40
	// A lead shingle counts four times a headline shingle: a wire copy
	// keeps the agency's lead and edits the headline. Measured on
	// testdata/neardup.txt, equal weights put copies 2 to 9 bits apart.
	titleWeight = 1
	leadWeight  = 4
)

// SimHash returns the fingerprint of a headline and its lead (only the first
// LeadWords words of lead are read). Shingles are pairs of consecutive words
// of TitleKey's form, so composition, tone placement, case and punctuation do
// not count. It returns 0 when there is no word at all.
func SimHash(title, lead string) uint64 {
	var acc [64]int
	n := 0
	add := func(words []string, w int) {
		if len(words) == 1 {
			addFeature(&acc, words[0], w)
			n++
		}
		for i := 0; i+1 < len(words); i++ {
			addFeature(&acc, words[i]+" "+words[i+1], w)
			n++
		}
	}
	tw := strings.Fields(TitleKey(title))
	add(tw, titleWeight)
	// The tag is recognised on the composed text: in NFD, "Ý" is a Y and a
	// combining accent, which is not an upper-case letter.
	lw := strings.Fields(TitleKey(leadPrefix(stripTag(Normalize(lead)), LeadWords)))
	add(lw, leadWeight)
	if n == 0 {
		return 0
	}
	var h uint64
	for i, v := range acc {
		if v > 0 {
			h |= 1 << i
		}
	}
	if h == 0 {
		h = 1 // 0 means "no fingerprint"
	}
	return h
}

// stripTag removes the outlet's tag that starts many leads: "(PLO) - ",
// "TTO - ", "(NLĐO)–", "SGGPO – ". A tag is one upper-case word of at most
// eight letters, in parentheses or followed by a dash.
func stripTag(lead string) string {
	s := strings.TrimLeftFunc(lead, unicode.IsSpace)
	paren := strings.HasPrefix(s, "(")
	if paren {
		s = s[1:]
	}
	n := 0
	for i, r := range s {
		if !unicode.IsUpper(r) {
			if n < 2 {
				return lead
			}
			rest := s[i:]
			if paren {
				if r != ')' {
					return lead
				}
				rest = rest[1:]
			}
			t := strings.TrimLeftFunc(rest, unicode.IsSpace)
			for _, d := range []string{"-", "–", "—"} {
				if after, ok := strings.CutPrefix(t, d); ok {
					return strings.TrimLeftFunc(after, unicode.IsSpace)
				}
			}
			if paren {
				return t
			}
			return lead
		}
		if n++; n > 8 {
			return lead
		}
	}
	return lead
}

// leadPrefix returns the first n white-space separated words of s.
func leadPrefix(s string, n int) string {
	i, words, in := 0, 0, false
	for j, r := range s {
		sp := unicode.IsSpace(r)
		if !sp && !in {
			words++
			if words > n {
				return s[:i]
			}
		}
		if sp && in {
			i = j
		}
		in = !sp
	}
	return s
}

func addFeature(acc *[64]int, f string, w int) {
	h := fnv64a(f)
	// Spread FNV's weak low bits: a splitmix64 finaliser.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	for i := range acc {
		if h&(1<<i) != 0 {
			acc[i] += w
		} else {
			acc[i] -= w
		}
	}
}

func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Distance returns the Hamming distance between two fingerprints.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Numbers returns the numbers written in s, in order, with thousands
// separators removed ("1.200" and "1,200" are both "1200"; "2-1" is "2", "1").
func Numbers(s string) []string {
	var out []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			n := strings.TrimLeft(string(cur), "0")
			if n == "" {
				n = "0"
			}
			out = append(out, n)
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case '0' <= r && r <= '9':
			cur = append(cur, byte(r))
		case (r == '.' || r == ',') && len(cur) > 0 && i+1 < len(rs) && '0' <= rs[i+1] && rs[i+1] <= '9':
			// a separator inside a number
		default:
			flush()
		}
	}
	flush()
	return out
}

// SameNumbers reports whether two headlines write the same numbers, ignoring
// order and repetition. Two reports that differ in a number (a score, a toll,
// a price, a date) are different stories however alike their words are.
func SameNumbers(a, b string) bool {
	na, nb := Numbers(a), Numbers(b)
	set := make(map[string]bool, len(na))
	for _, n := range na {
		set[n] = true
	}
	for _, n := range nb {
		if !set[n] {
			return false
		}
	}
	seen := make(map[string]bool, len(nb))
	for _, n := range nb {
		seen[n] = true
	}
	for _, n := range na {
		if !seen[n] {
			return false
		}
	}
	return true
}

// NearDuplicate reports whether two items, each a headline, a lead and the
// SimHash of both, are copies of one story: fingerprints within NearDistance,
// and the same numbers in the headlines and in the start of the leads (daily
// reports of prices, scores and tolls share their wording and differ in their
// numbers). It also returns the distance.
func NearDuplicate(titleA, leadA string, ha uint64, titleB, leadB string, hb uint64) (int, bool) {
	if ha == 0 || hb == 0 {
		return 64, false
	}
	d := Distance(ha, hb)
	ok := d <= NearDistance && SameNumbers(titleA, titleB) &&
		SameNumbers(leadPrefix(leadA, LeadWords), leadPrefix(leadB, LeadWords))
	return d, ok
}
