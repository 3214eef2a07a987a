package vntext

import (
	"bytes"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The SimHash rule for wire copies, which earlier versions of the store
// merged on: a 64-bit SimHash (Charikar; used for web pages by Manku,
// Jain and Das Sarma, WWW 2007) over word shingles of the headline and the
// start of the lead. The store now merges by Sketch (near.go), which
// finds far more of the copies outlets really write; SimHash and
// NearDistance remain to explain the members earlier versions merged.
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
	var c simCounter
	var buf [512]byte // the keys of most headlines and leads fit
	key := keyBytes(buf[:0], Normalize(title))
	c.addShingles(key, titleWeight)
	// The tag is recognised on the composed text: in NFD, "Ý" is a Y and a
	// combining accent, which is not an upper-case letter. The words that
	// remain are already normalised: cutting normalised text after a tag and
	// before white space leaves each part normalised.
	key = keyBytes(key[:0], leadPrefix(stripTag(Normalize(lead)), LeadWords))
	c.addShingles(key, leadWeight)
	return c.sum()
}

// keyBytes appends TitleKey(s) to the empty slice key, for s already normalised.
func keyBytes(key []byte, s string) []byte {
	key, recheck := appendKey(key, s)
	if recheck {
		if k := string(key); !isNFC(k) {
			key = append(key[:0], Normalize(k)...)
		}
	}
	return key
}

// simCounter adds up SimHash's features: for each of the 64 bits, the weight of the features
// that have it set. The counts are kept eight bits wide, eight to a word, and carried into
// ints before they could overflow, so adding a feature takes eight additions instead of 64.
type simCounter struct {
	// Byte j of lanes[k] counts bit 8j+k of the features added since the last flush.
	lanes   [8]uint64
	pending int     // the weight added to lanes since the last flush, at most 255
	set     [64]int // the weight of the features with each bit set, flushed
	total   int     // the weight of all features
	n       int     // the number of features
}

// add counts the feature whose FNV-1a hash is h with weight w, at most maxWeight.
func (c *simCounter) add(h uint64, w int) {
	// Spread FNV's weak low bits: a splitmix64 finaliser.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	const ones = 0x0101010101010101
	uw := uint64(w)
	for k := range c.lanes {
		c.lanes[k] += (h >> k & ones) * uw
	}
	c.pending += w
	c.total += w
	c.n++
	if c.pending > 255-maxWeight {
		c.flush()
	}
}

const maxWeight = max(titleWeight, leadWeight)

// flush carries the byte counts of lanes into set.
func (c *simCounter) flush() {
	for k, l := range c.lanes {
		for j := range 8 {
			c.set[8*j+k] += int(l >> (8 * j) & 0xFF)
		}
		c.lanes[k] = 0
	}
	c.pending = 0
}

// addShingles counts the shingles of key, words joined by single spaces as TitleKey
// returns them: every pair of consecutive words, or the word when there is one, each
// hashed as the string of the two words joined by a space.
func (c *simCounter) addShingles(key []byte, w int) {
	if len(key) == 0 {
		return
	}
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	var shingle uint64 // the hash of the previous word and a space, continued with this word
	first := true
	for len(key) > 0 {
		end := bytes.IndexByte(key, ' ')
		if end < 0 {
			end = len(key)
		}
		word := key[:end]
		h := uint64(offset) // the hash of this word alone
		for _, b := range word {
			h = (h ^ uint64(b)) * prime
			shingle = (shingle ^ uint64(b)) * prime
		}
		if end == len(key) && first {
			c.add(h, w) // the only word
			return
		}
		if !first {
			c.add(shingle, w)
		}
		first = false
		shingle = (h ^ ' ') * prime
		key = key[min(end+1, len(key)):]
	}
}

// sum returns the fingerprint: the bits set in more of the weight of the features than not.
func (c *simCounter) sum() uint64 {
	if c.n == 0 {
		return 0
	}
	c.flush()
	var h uint64
	for i, v := range c.set {
		// The sum of +w for the features with bit i set and -w for the others is positive.
		if 2*v > c.total {
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
		sp := isSpace(r)
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

// isSpace is unicode.IsSpace without its table search for letters (TestIsSpace).
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	switch r {
	case 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

// Distance returns the Hamming distance between two fingerprints.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// numbers returns the numbers written in s, in order, with thousands
// separators removed ("1.200" and "1,200" are both "1200"; "2-1" is "2", "1").
func numbers(s string) []string {
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

// sameNumbers reports whether two headlines write the same numbers, ignoring
// order and repetition. Two reports that differ in a number (a score, a toll,
// a price, a date) are different stories however alike their words are.
func sameNumbers(a, b string) bool {
	na, nb := numbers(a), numbers(b)
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
	ok := d <= NearDistance && sameNumbers(titleA, titleB) &&
		sameNumbers(leadPrefix(leadA, LeadWords), leadPrefix(leadB, LeadWords))
	return d, ok
}
