package vntext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Wire copies. One story that several outlets carry keeps the agency's
// lead, mostly word for word, while each outlet writes its own headline,
// puts its tag before the lead ("(PLO)-", "TTO -"), and writes numbers,
// names and tone marks its own way ("hai"/"2", "15h"/"15 giờ",
// "TP.HCM"/"Thành phố Hồ Chí Minh", "hoà"/"hòa"). Templated reports of
// different events (prices, storms, accidents) share the wording too, and
// differ in a number, a name or a direction (tăng/giảm).
//
// The method, chosen by measurement on the tuning half of
// testdata/nearset (see near_test.go; SimHash merged one copy in eight of
// that set):
//
//  1. Canonical words. Headline and lead are normalised (NFC, one tone
//     placement, lower case), the outlet's tag is cut from the lead,
//     numbers are written one way (digits; "5.000" → 5000, "3,5" → 3.5;
//     "hai" → 2; "15h30" → 15 giờ 30; "30 đến 50" → 30 50), and the
//     common abbreviations of the press are contracted ("Thành phố Hồ Chí
//     Minh", "TP HCM" → tphcm; "Ngân hàng Nhà nước" → nhnn).
//  2. Candidates: NearMins MinHash values of the lead's word pairs, kept
//     16 bits wide. An index of NearBands bands (pairs of values) finds
//     the items that share a band, and Candidate keeps those that agree
//     on enough of the values (an estimate of the pairs' Jaccard
//     similarity) before any text is compared. Pairs, not words, so that
//     text of a small vocabulary does not make every item a candidate.
//  3. Verification on the Sketch alone: the share of the shorter lead's
//     word pairs found in the other lead (containment; a lead cut after
//     its first sentence still matches) is at least NearThreshold (copies
//     in the tuning half: 0.81 and more), and nothing
//     vetoes the pair: no number stated by both sides differently (a
//     number, a date or a year only one side states does not veto), no
//     name (a capitalised word that does not start a sentence) on both
//     sides that the other lacks, no direction word (tăng/giảm, thắng/thua
//     …) on one side whose opposite stands alone on the other.
//
// Sketch is all that verification needs, so a store keeps it beside its
// index and never reads a stored item to compare.

// NearThreshold is the least Similarity of two copies of one story.
const NearThreshold = 0.6

// NearMins is the number of MinHash values of a Sketch, and NearBands the
// number of bands an index keys them by: band i is values 2i and 2i+1.
// Two leads whose word pairs have Jaccard similarity J share a band with
// probability 1 − (1 − J²)^NearBands: 0.98 at J = 0.43 (containment 0.6
// between leads of one length), 0.85 at J = 0.3 (a lead and its first
// third).
const (
	NearMins  = 40
	NearBands = NearMins / 2
)

// minAgree is how many of the NearMins values a candidate shares at
// least: 12, an estimated Jaccard similarity of 0.3 (leads at the
// similarity threshold and of one length have 0.43). Copies in the tuning
// half share 17 to 40; text of a 24-word vocabulary (J ≈ 0.07) shares 2.6
// on average, and even the entries that share a band with it seldom reach
// 12, so the band index's chance collisions there cost 40 comparisons
// each, not a Sketch read and compared.
const minAgree = 12

// Mins are the MinHash values of a Sketch's lead, 16 bits each; all 0
// for an empty lead.
type Mins [NearMins]uint16

// Bands returns the index keys of m: band i hashes values 2i and 2i+1.
func (m *Mins) Bands() [NearBands]uint16 {
	var b [NearBands]uint16
	for i := range b {
		b[i] = uint16(mix(uint64(i)<<32|uint64(m[2*i])<<16|uint64(m[2*i+1]))) | 1
	}
	return b
}

// Candidate reports whether two sketches' values agree enough to compare
// their text: at least minAgree of them equal (never for an empty lead).
func Candidate(a, b *Mins) bool { return Agreement(a, b) >= minAgree }

// Agreement returns how many of two sketches' values are equal (0 for an
// empty lead): NearMins times an estimate of the Jaccard similarity of
// their leads' word pairs.
func Agreement(a, b *Mins) int {
	if a[0] == 0 || b[0] == 0 {
		return 0
	}
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

// sketchLeadWords bounds how much of a lead (and of a headline) a Sketch
// reads.
const sketchLeadWords = 80

// A Sketch is what near-duplicate verification needs of one headline and
// lead: hashes of their canonical words, which of them are numbers, names
// and subject words, the lead's word order, its direction words and its
// MinHash bands for an index. The zero Sketch has no words and matches
// nothing.
type Sketch struct {
	// Mins are the MinHash values of the lead's word pairs.
	Mins Mins

	lead  []uint32 // distinct canonical words of the lead (of the headline when the lead is empty), sorted
	flags []uint8  // per word of lead: wordNumber, wordName, wordKey
	seq   []uint8  // the lead in order, as indexes into lead
	title []uint32 // distinct canonical words of the headline that the lead lacks, sorted
	tnums []uint32 // distinct numbers the headline states, sorted
	signs uint32   // direction words present: bit 2i for the first of signPairs[i], bit 2i+1 for the second
}

// The flags of a word of a Sketch's lead.
const (
	wordNumber uint8 = 1 << iota
	wordName
	wordKey // a word of the headline that the lead repeats: its subject (numbers excluded)
)

// Empty reports whether s has no words.
func (s *Sketch) Empty() bool { return len(s.lead) == 0 }

// token is one canonical word with what the tokenizer learnt of it.
type token struct {
	w      string
	number bool
	name   bool // capitalised, not the first word of a sentence
}

// NewSketch returns the Sketch of a headline and its lead.
func NewSketch(title, lead string) Sketch {
	tt := canonical(tokenize(Normalize(title)))
	lt := canonical(tokenize(cutTag(Normalize(lead))))
	if len(lt) > sketchLeadWords {
		lt = lt[:sketchLeadWords]
	}
	if len(tt) > sketchLeadWords {
		tt = tt[:sketchLeadWords] // a Sketch's lead may be the headline: at most 255 words
	}
	var s Sketch
	body := lt
	if len(body) == 0 {
		body = tt
	}
	hs := make([]uint32, len(body))
	for i, t := range body {
		hs[i] = wordHash(t.w)
	}
	s.Mins = minHash(hs)
	s.lead = sortedSet(slices.Clone(hs))
	s.flags = make([]uint8, len(s.lead))
	s.seq = make([]uint8, len(body))
	for i, t := range body {
		k, _ := slices.BinarySearch(s.lead, hs[i])
		s.seq[i] = uint8(k)
		switch {
		case t.number:
			s.flags[k] |= wordNumber
		case t.name:
			s.flags[k] |= wordName
		}
	}
	for _, t := range tt {
		h := wordHash(t.w)
		if t.number {
			s.tnums = append(s.tnums, h)
		}
		if k, ok := slices.BinarySearch(s.lead, h); !ok {
			s.title = append(s.title, h)
		} else if !t.number && len(lt) > 0 {
			s.flags[k] |= wordKey
		}
	}
	s.title = sortedSet(s.title)
	s.tnums = sortedSet(s.tnums)
	for _, ts := range [][]token{tt, lt} {
		for _, t := range ts {
			for i, p := range signPairs {
				if t.w == p[0] {
					s.signs |= 1 << (2 * i)
				} else if t.w == p[1] {
					s.signs |= 1 << (2*i + 1)
				}
			}
		}
	}
	return s
}

// has reports whether w is a word of s's headline or lead.
func (s *Sketch) has(w uint32) bool {
	if _, ok := slices.BinarySearch(s.lead, w); ok {
		return true
	}
	_, ok := slices.BinarySearch(s.title, w)
	return ok
}

// numberOutside reports whether s's headline states a number that other's
// headline and lead both lack.
func (s *Sketch) numberOutside(other *Sketch) bool {
	for _, w := range s.tnums {
		if !other.has(w) {
			return true
		}
	}
	return false
}

// inLead reports whether w is a word of s's lead.
func (s *Sketch) inLead(w uint32) bool {
	_, ok := slices.BinarySearch(s.lead, w)
	return ok
}

// lacks reports whether some word of a's lead with flag f is missing from
// b (its lead only, with inLead).
func lacks(a, b *Sketch, f uint8, leadOnly bool) bool {
	for k, w := range a.lead {
		if a.flags[k]&f == 0 {
			continue
		}
		if leadOnly && !b.inLead(w) || !leadOnly && !b.has(w) {
			return true
		}
	}
	return false
}

// signPairs are words of direction: a report that prices went up and one
// that they went down are two stories however alike.
var signPairs = [][2]string{
	{"tăng", "giảm"}, {"thắng", "thua"}, {"lãi", "lỗ"}, {"bơm", "hút"}, {"lên", "xuống"},
	{"cao", "thấp"}, {"mở", "đóng"}, {"nhập", "xuất"},
}

// Similarity returns the share of the word pairs of the shorter lead
// (consecutive canonical words) that the other lead holds: 1 for a lead
// and its first sentence, near 1 for a copy with a word or two edited, 0
// when a Sketch is empty. Pairs, not words: text drawn from a small
// vocabulary shares most of its words and few of its pairs.
func Similarity(a, b *Sketch) float64 {
	x, y := a.pairs(), b.pairs()
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	n, i, j := 0, 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] < y[j]:
			i++
		case x[i] > y[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return float64(n) / float64(min(len(x), len(y)))
}

// pairs returns the distinct pairs of consecutive words of s's lead (the
// word itself when there is one), sorted.
func (s *Sketch) pairs() []uint64 {
	if len(s.seq) == 1 {
		return []uint64{uint64(s.lead[s.seq[0]])}
	}
	out := make([]uint64, 0, len(s.seq))
	for i := 1; i < len(s.seq); i++ {
		out = append(out, uint64(s.lead[s.seq[i-1]])<<32|uint64(s.lead[s.seq[i]]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SameStory reports whether two sketches are copies of one story (see the
// method above) and returns their Similarity.
func SameStory(a, b *Sketch) (float64, bool) {
	sim := Similarity(a, b)
	if sim < NearThreshold || min(len(a.seq), len(b.seq)) < minLeadWords {
		return sim, false
	}
	return sim, !Vetoed(a, b)
}

// minLeadWords is the shortest lead (in canonical words) that can make
// two items one story: a lead of a word or three ("Nội dung", "Video",
// "Ảnh: TTXVN") says nothing of the story, and the same one under two
// headlines is no evidence. The shortest real leads of the labelled set
// ("Giá 5.000 đồng/kg.") have four.
const minLeadWords = 4

// Vetoed reports whether two sketches state different facts: each lead
// states a number the other lead lacks, or names a name the other lead
// lacks; each headline states a number the other text lacks; each headline has a subject word (one its lead repeats) that the
// other text lacks; or one says up where the other says only down.
func Vetoed(a, b *Sketch) bool {
	if lacks(a, b, wordNumber, true) && lacks(b, a, wordNumber, true) {
		return true
	}
	if a.numberOutside(b) && b.numberOutside(a) {
		return true // the headlines state different numbers: "Tin số 51", "Tin số 40"
	}
	if lacks(a, b, wordName, true) && lacks(b, a, wordName, true) {
		return true
	}
	if lacks(a, b, wordKey, false) && lacks(b, a, wordKey, false) {
		return true
	}
	for i := range signPairs {
		x, y := uint32(1)<<(2*i), uint32(1)<<(2*i+1)
		sa, sb := a.signs&(x|y), b.signs&(x|y)
		if sa != sb && sa != x|y && sb != x|y && sa != 0 && sb != 0 {
			return true // one side says only up, the other only down
		}
	}
	return replaced(a, b)
}

// replaced reports whether the leads, aligned word by word (a longest
// common subsequence), differ by a replacement in place where one side
// has a name, a number or a direction word the other text lacks: "Chợ
// Rẫy" where the other says "Bạch Mai", "CLB Hà Nội" where it says "Công
// an Hà Nội", "giữ nguyên" where it says "giảm". A copy
// editor's synonym ("cho biết"/"thông tin"), a cut sentence, an added
// detail or a moved clause is none of these.
func replaced(a, b *Sketch) bool {
	n, m := len(a.seq), len(b.seq)
	if n == 0 || m == 0 {
		return false
	}
	x := make([]uint32, n+m)
	y := x[n:]
	x = x[:n]
	for i, k := range a.seq {
		x[i] = a.lead[k]
	}
	for j, k := range b.seq {
		y[j] = b.lead[k]
	}
	// l[i][j] is the length of the LCS of x[i:] and y[j:].
	l := make([]uint16, (n+1)*(m+1))
	at := func(i, j int) *uint16 { return &l[i*(m+1)+j] }
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				*at(i, j) = *at(i+1, j+1) + 1
			} else {
				*at(i, j) = max(*at(i+1, j), *at(i, j+1))
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		if i < n && j < m && x[i] == y[j] {
			i++
			j++
			continue
		}
		// A hunk: advance until the sequences meet again.
		i0, j0 := i, j
		for (i < n || j < m) && !anchor(x, y, i, j) {
			if j == m || i < n && *at(i+1, j) >= *at(i, j+1) {
				i++
			} else {
				j++
			}
		}
		// In place: the leads meet again after it, or it ends both with a
		// few words each ("bảng E" / "bảng D", "trước ngày 30/6" / "31/8").
		// A longer replacement at the end is a cut lead with a clause
		// moved there.
		inPlace := i < n && j < m || i-i0 <= endRun && j-j0 <= endRun
		if inPlace && hunkDiffers(x[i0:i], y[j0:j], a, b) {
			return true
		}
	}
	return false
}

// anchor reports whether x[i:] and y[j:] start with two common words, or
// with one that ends both: one common word is no anchor.
func anchor(x, y []uint32, i, j int) bool {
	if i >= len(x) || j >= len(y) || x[i] != y[j] {
		return false
	}
	return i+1 == len(x) && j+1 == len(y) || i+1 < len(x) && j+1 < len(y) && x[i+1] == y[j+1]
}

// hunkDiffers reports whether a hunk in place, the run xs of a's lead
// where b's has ys (either may be empty: a word added), states another
// fact: a name, number or direction word that the other text lacks
// replaces another; names, figures or subject words trade places ("50
// mã vùng trồng và 12 mã cơ sở" / "12 … và 50"); or a qualifier comes or
// goes ("chủ tịch" / "phó chủ tịch", "đồng ý" / "chưa đồng ý").
func hunkDiffers(xs, ys []uint32, a, b *Sketch) bool {
	if len(xs) > 0 && len(ys) > 0 {
		if significant(xs, a, b) || significant(ys, b, a) {
			return true
		}
		if factsOutside(xs, ys, a) && factsOutside(ys, xs, b) {
			return true
		}
	}
	return qualifies(xs, ys) || qualifies(ys, xs)
}

// factsOutside reports whether run, from s's lead, has a name, a number
// or a subject word that the other side's run lacks.
func factsOutside(run, other []uint32, s *Sketch) bool {
	for _, w := range run {
		k, _ := slices.BinarySearch(s.lead, w)
		if s.flags[k]&(wordName|wordNumber|wordKey) != 0 && !slices.Contains(other, w) {
			return true
		}
	}
	return false
}

// qualifiers are words that make a statement another when added or
// replaced: negation (không, chưa), rank (phó), sex (nam, nữ) and the
// side of a trade (mua, bán).
var qualifiers = func() []uint32 {
	var hs []uint32
	for _, w := range strings.Fields("không chưa phó nam nữ mua bán") {
		hs = append(hs, wordHash(w))
	}
	return sortedSet(hs)
}()

// qualifies reports whether run holds a qualifier that the other side's
// run lacks.
func qualifies(run, other []uint32) bool {
	for _, w := range run {
		if _, ok := slices.BinarySearch(qualifiers, w); ok && !slices.Contains(other, w) {
			return true
		}
	}
	return false
}

// endRun is the longest run of words on each side that a replacement
// ending both leads may have to count as one in place.
const endRun = 6

// significant reports whether some word of run, from s's lead, is a name,
// a number or a direction word (tăng, giảm …) that other lacks: "giữ
// nguyên lãi suất" where the other says "giảm lãi suất" is another fact.
func significant(run []uint32, s, other *Sketch) bool {
	for _, w := range run {
		k, _ := slices.BinarySearch(s.lead, w)
		if (s.flags[k]&(wordName|wordNumber) != 0 || isSign(w)) && !other.has(w) {
			return true
		}
	}
	return false
}

// signHashes are the wordHash of the words of signPairs, sorted.
var signHashes = func() []uint32 {
	var hs []uint32
	for _, p := range signPairs {
		hs = append(hs, wordHash(p[0]), wordHash(p[1]))
	}
	return sortedSet(hs)
}()

// isSign reports whether w is the hash of a direction word.
func isSign(w uint32) bool {
	_, ok := slices.BinarySearch(signHashes, w)
	return ok
}

func sortedSet(xs []uint32) []uint32 {
	slices.Sort(xs)
	return slices.Compact(xs)
}

// wordHash is FNV-1a folded to 24 bits (the stored width): two words of
// a vocabulary of 100,000 share a hash with probability 0.6%, and a
// Sketch compares a few hundred pairs of them.
func wordHash(w string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(w); i++ {
		h = (h ^ uint32(w[i])) * 16777619
	}
	return (h>>24 ^ h) & 0xFFFFFF
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// minHash returns the MinHash values of the pairs of consecutive words of
// ws (the word itself when there is one), 16 bits each, never 0.
func minHash(ws []uint32) Mins {
	var out Mins
	if len(ws) == 0 {
		return out
	}
	var mins [NearMins]uint64
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	add := func(sh uint64) {
		for i := range mins {
			if v := mix(sh ^ uint64(i+1)*0x9e3779b97f4a7c15); v < mins[i] {
				mins[i] = v
			}
		}
	}
	if len(ws) == 1 {
		add(uint64(ws[0]))
	}
	for i := 1; i < len(ws); i++ {
		add(uint64(ws[i-1])<<32 | uint64(ws[i]))
	}
	for i, m := range mins {
		out[i] = uint16(mix(m)) | 1
	}
	return out
}

// cutTag removes the outlet's tag before a lead: "(PLO)-", "TTO -",
// "(NLĐO) -", "(Dân trí) -", "SGGP -", "VOV.VN -", "(VTC News) –". A tag
// is at most four words in parentheses (a dash may follow), or at most
// three words before a dash, each written with a capital or holding a dot.
func cutTag(lead string) string {
	s := strings.TrimLeftFunc(lead, unicode.IsSpace)
	if strings.HasPrefix(s, "(") {
		end := strings.IndexByte(s, ')')
		if end < 0 || end > 40 || len(strings.Fields(s[1:end])) > 4 {
			return lead
		}
		return cutDash(s[end+1:])
	}
	for _, d := range []string{" - ", " – ", " — ", "- ", "– "} {
		i := strings.Index(s, d)
		if i <= 0 || i > 30 {
			continue
		}
		ws := strings.Fields(s[:i])
		if len(ws) > 3 {
			continue
		}
		ok := true
		for _, w := range ws {
			r, _ := utf8.DecodeRuneInString(w)
			if !unicode.IsUpper(r) && !strings.Contains(w, ".") {
				ok = false
			}
		}
		if ok {
			return strings.TrimLeftFunc(s[i+len(d):], unicode.IsSpace)
		}
	}
	return lead
}

func cutDash(s string) string {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	for _, d := range []string{"-", "–", "—", ":"} {
		if after, ok := strings.CutPrefix(t, d); ok {
			return strings.TrimLeftFunc(after, unicode.IsSpace)
		}
	}
	return t
}

// tokenize splits normalised text into lower-case words: runs of letters
// and marks, and numbers (digits with the separators between them). A run
// of letters and digits splits where one turns into the other ("15h30" is
// 15, h, 30; "QL20" is ql, 20). A word is a name when it starts with a
// capital and does not start a sentence, or is all capitals (an
// abbreviation).
func tokenize(s string) []token {
	var out []token
	start := true // the next word starts a sentence
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case '0' <= r && r <= '9':
			j := i
			for j < len(s) {
				c := s[j]
				if '0' <= c && c <= '9' {
					j++
					continue
				}
				if (c == '.' || c == ',') && j+1 < len(s) && '0' <= s[j+1] && s[j+1] <= '9' {
					j++
					continue
				}
				break
			}
			out = append(out, token{w: canonNumber(s[i:j]), number: true})
			start = false
			i = j
		case isLetter(r):
			j := i
			upper, allUpper, letters := unicode.IsUpper(r), true, 0
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if !isLetter(r2) {
					break
				}
				if unicode.IsLetter(r2) {
					letters++
					if !unicode.IsUpper(r2) {
						allUpper = false
					}
				}
				j += n2
			}
			name := upper && (!start || allUpper && letters > 1)
			out = append(out, token{w: strings.ToLower(s[i:j]), name: name})
			start = false
			i = j
		default:
			if r == '.' || r == '!' || r == '?' || r == ':' || r == ';' {
				start = true
			}
			i += n
		}
	}
	return out
}

func isLetter(r rune) bool { return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) }

// canonNumber writes a number one way: thousands separators dropped
// ("5.000", "5,000" → 5000), a decimal comma as a point ("3,5" → 3.5),
// leading zeros dropped.
func canonNumber(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == ',' {
			// Three digits and the end (or another separator) after it: thousands.
			k := i + 1
			for k < len(s) && '0' <= s[k] && s[k] <= '9' {
				k++
			}
			if k-i-1 == 3 {
				continue
			}
			b.WriteByte('.')
			continue
		}
		b.WriteByte(c)
	}
	n := strings.TrimLeft(b.String(), "0")
	if n == "" || n[0] == '.' {
		n = "0" + n
	}
	return n
}

// numberWords are the counts written out that outlets also write in
// digits. "năm" is five only before a counted noun (else it is a year);
// "một" (one, and a) is written 1 among the words but is no number a
// Sketch compares.
var numberWords = map[string]string{
	"hai": "2", "ba": "3", "bốn": "4", "sáu": "6", "bảy": "7", "tám": "8", "chín": "9", "mười": "10",
}

// counted are the nouns after which "năm" is five, not a year.
var counted = map[string]bool{"năm": true, "người": true, "ngày": true, "tháng": true, "tuần": true,
	"giờ": true, "lần": true, "ca": true, "chiếc": true, "căn": true, "xã": true, "tỉnh": true, "trường": true,
	"đội": true, "km": true, "tấn": true, "triệu": true, "tỷ": true, "nghìn": true}

// phrases maps the first word of each long form of the press's common
// names, and of their abbreviations, to the forms that start with it
// (longest first), each followed by the one word it becomes.
var phrases = map[string][][]string{}

func init() {
	for short, longs := range map[string][]string{
		"tphcm": {"thành phố hồ chí minh", "tp hồ chí minh", "tp hcm", "hcm city", "tphcm"},
		"nhnn":  {"ngân hàng nhà nước"},
		"gdđt":  {"giáo dục và đào tạo", "giáo dục đào tạo", "gd đt", "gd và đt"},
		"gtvt":  {"giao thông vận tải"},
		"ubnd":  {"ủy ban nhân dân", "uỷ ban nhân dân"},
		"hđnd":  {"hội đồng nhân dân"},
		"csgt":  {"cảnh sát giao thông"},
		"thpt":  {"trung học phổ thông"},
		"thcs":  {"trung học cơ sở"},
		"đbscl": {"đồng bằng sông cửu long"},
		"bhyt":  {"bảo hiểm y tế"},
		"bhxh":  {"bảo hiểm xã hội"},
		"ql":    {"quốc lộ"},
		"hcv":   {"huy chương vàng"},
		"hcb":   {"huy chương bạc"},
		"hcđ":   {"huy chương đồng"},
		"vđv":   {"vận động viên"},
		"hlv":   {"huấn luyện viên"},
		"đh":    {"đại học"},
		"pccc":  {"phòng cháy chữa cháy", "phòng cháy và chữa cháy"},
		"cdc":   {"trung tâm kiểm soát bệnh tật"},
		"kcn":   {"khu công nghiệp"},
		"clb":   {"câu lạc bộ"},
		"ttxvn": {"thông tấn xã việt nam"},
		"vksnd": {"viện kiểm sát nhân dân"},
		"tand":  {"tòa án nhân dân", "toà án nhân dân"},
		"giờ":   {"h"},
	} {
		for _, l := range longs {
			ws := strings.Fields(Normalize(l))
			phrases[ws[0]] = append(phrases[ws[0]], append(ws, short))
		}
	}
	for _, ps := range phrases {
		slices.SortFunc(ps, func(a, b []string) int { return len(b) - len(a) })
	}
}

// canonical rewrites tokens into their canonical words (see the method
// above).
func canonical(ts []token) []token {
	out := ts[:0:0]
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if !t.number {
			if p := phraseAt(ts, i); p != nil {
				n := len(p) - 1
				name := false
				for k := range n {
					name = name || ts[i+k].name
				}
				out = append(out, token{w: p[n], name: name})
				i += n - 1
				continue
			}
			if t.w == "năm" && i+1 < len(ts) && counted[ts[i+1].w] {
				t = token{w: "5", number: true} // "năm người", not "năm nay"
			} else if d, ok := numberWords[t.w]; ok {
				t = token{w: d, number: true}
			} else if t.w == "một" {
				t = token{w: "1"}
			}
		}
		// "30 đến 50", "từ 30 tới 50": the range words between two numbers go.
		if (t.w == "đến" || t.w == "tới") && len(out) > 0 && out[len(out)-1].number && i+1 < len(ts) && ts[i+1].number {
			continue
		}
		out = append(out, t)
	}
	return out
}

// phraseAt returns the form of phrases that starts at ts[i], or nil.
func phraseAt(ts []token, i int) []string {
	for _, p := range phrases[ts[i].w] {
		n := len(p) - 1
		if i+n > len(ts) {
			continue
		}
		ok := true
		for k := range n {
			if ts[i+k].w != p[k] || ts[i+k].number {
				ok = false
				break
			}
		}
		// "h" is an hour only right after a number: "15h".
		if ok && (p[n] != "giờ" || i > 0 && ts[i-1].number) {
			return p
		}
	}
	return nil
}

// AppendBinary appends the stored form of s to b: the signs (a uvarint),
// the MinHash values (2 bytes each), the lead's words (a uvarint count, then 3
// bytes each), three bitmaps over them (numbers, names, subject words),
// the lead in order (a uvarint count, then a byte each), the headline's
// other words and the headline's numbers (each a count, 3 bytes a word).
func (s *Sketch) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(s.signs))
	for _, x := range s.Mins {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	b = appendWords(b, s.lead)
	for _, f := range []uint8{wordNumber, wordName, wordKey} {
		var m uint8
		for k, fl := range s.flags {
			if fl&f != 0 {
				m |= 1 << (k % 8)
			}
			if k%8 == 7 || k == len(s.flags)-1 {
				b = append(b, m)
				m = 0
			}
		}
	}
	b = binary.AppendUvarint(b, uint64(len(s.seq)))
	b = append(b, s.seq...)
	b = appendWords(b, s.title)
	return appendWords(b, s.tnums)
}

func appendWords(b []byte, ws []uint32) []byte {
	b = binary.AppendUvarint(b, uint64(len(ws)))
	for _, w := range ws {
		b = append(b, byte(w), byte(w>>8), byte(w>>16))
	}
	return b
}

var errSketch = errors.New("vntext: malformed sketch")

// SketchMins returns the MinHash values of a Sketch's stored form without
// decoding the rest.
func SketchMins(b []byte) (Mins, error) {
	var m Mins
	_, n := binary.Uvarint(b)
	if n <= 0 || len(b[n:]) < 2*NearMins {
		return m, errSketch
	}
	for i := range m {
		m[i] = binary.LittleEndian.Uint16(b[n+2*i:])
	}
	return m, nil
}

// sketchDecoder reads a stored Sketch; err is set at the first fault.
type sketchDecoder struct {
	b   []byte
	err error
}

func (d *sketchDecoder) count(size int) int {
	c, n := binary.Uvarint(d.b)
	if n <= 0 || c > uint64(len(d.b[n:])/size) {
		d.err = errSketch
		return 0
	}
	d.b = d.b[n:]
	return int(c)
}

func (d *sketchDecoder) words() []uint32 {
	c := d.count(3)
	if d.err != nil {
		return nil
	}
	ws := make([]uint32, c)
	for i := range ws {
		ws[i] = uint32(d.b[3*i]) | uint32(d.b[3*i+1])<<8 | uint32(d.b[3*i+2])<<16
	}
	d.b = d.b[3*c:]
	if !slices.IsSorted(ws) {
		d.err = errSketch
	}
	return ws
}

// DecodeSketch decodes the stored form AppendBinary wrote. The result
// shares no memory with b.
func DecodeSketch(b []byte) (Sketch, error) {
	var s Sketch
	mins, err := SketchMins(b)
	if err != nil {
		return s, err
	}
	s.Mins = mins
	sg, n := binary.Uvarint(b)
	s.signs = uint32(sg)
	d := sketchDecoder{b: b[n+2*NearMins:]}
	s.lead = d.words()
	if d.err != nil {
		return Sketch{}, d.err
	}
	m := (len(s.lead) + 7) / 8
	if len(d.b) < 3*m {
		return Sketch{}, errSketch
	}
	s.flags = make([]uint8, len(s.lead))
	for j, f := range []uint8{wordNumber, wordName, wordKey} {
		for k := range s.flags {
			if d.b[j*m+k/8]&(1<<(k%8)) != 0 {
				s.flags[k] |= f
			}
		}
	}
	d.b = d.b[3*m:]
	c := d.count(1)
	if d.err != nil {
		return Sketch{}, d.err
	}
	s.seq = bytes.Clone(d.b[:c])
	d.b = d.b[c:]
	for _, k := range s.seq {
		if int(k) >= len(s.lead) {
			return Sketch{}, errSketch
		}
	}
	s.title = d.words()
	s.tnums = d.words()
	if d.err != nil || len(d.b) != 0 {
		return Sketch{}, errSketch
	}
	return s, nil
}
