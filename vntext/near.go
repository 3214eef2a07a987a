package vntext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"
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

// CandidateAgreement is the least Agreement of a Candidate.
const CandidateAgreement = minAgree

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

// Packed is Mins four to a word, for an index that compares one sketch
// with many: PackedAgreement counts the equal values a word at a time.
type Packed [NearMins / 4]uint64

// Pack returns m packed.
func (m *Mins) Pack() Packed {
	var p Packed
	for i := range p {
		p[i] = uint64(m[4*i]) | uint64(m[4*i+1])<<16 | uint64(m[4*i+2])<<32 | uint64(m[4*i+3])<<48
	}
	return p
}

// PackedAgreement is Agreement of the packed values.
func PackedAgreement(a, b *Packed) int {
	if a[0]&0xFFFF == 0 || b[0]&0xFFFF == 0 {
		return 0
	}
	const low, high = 0x7FFF7FFF7FFF7FFF, 0x8000800080008000
	n := 0
	for i := range a {
		x := a[i] ^ b[i]
		// The high bit of each 16-bit lane of t is set when the lane of x
		// is not 0, that is when the two values differ.
		t := ((x&low + low) | x) & high
		n += 4 - bits.OnesCount64(t)
	}
	return n
}

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
	h      uint32 // wordHash(w)
	number bool
	name   bool // capitalised, not the first word of a sentence
}

// NewSketch returns the Sketch of a headline and its lead.
//
// It reads only as much of the lead as its first sketchLeadWords canonical
// words need (a summary is often kilobytes long): the text is normalised
// and split into words a piece at a time (see wordReader). Sketches are
// stored, so NewSketch must return what it always has:
// sketch_equiv_test.go checks it against the implementation it replaced.
func NewSketch(title, lead string) Sketch {
	sc := sketchers.Get().(*sketcher)
	defer sc.release()
	sc.r.buf = sc.r.buf[:0]
	sc.r.reset(title, false)
	tt := sc.r.canonical(sc.tt[:0], sketchLeadWords) // a Sketch's lead may be the headline: at most 255 words
	sc.r.reset(lead, true)
	lt := sc.r.canonical(sc.lt[:0], sketchLeadWords)
	sc.tt, sc.lt = tt, lt
	body := lt
	if len(body) == 0 {
		body = tt
	}
	hs := sc.hs[:0]
	for _, t := range body {
		hs = append(hs, t.h)
	}
	sc.hs = hs
	var s Sketch
	s.Mins = minHash(hs)
	lset := sortedSet(append(sc.lset[:0], hs...))
	sc.lset = lset
	// One array for the lead's flags and order, one for the word sets.
	fs := make([]uint8, len(lset)+len(body))
	flags, seq := fs[:len(lset):len(lset)], fs[len(lset):]
	for i, t := range body {
		k, _ := slices.BinarySearch(lset, t.h)
		seq[i] = uint8(k)
		switch {
		case t.number:
			flags[k] |= wordNumber
		case t.name:
			flags[k] |= wordName
		}
	}
	tset, tnums := sc.tset[:0], sc.tnums[:0]
	for _, t := range tt {
		if t.number {
			tnums = append(tnums, t.h)
		}
		if k, ok := slices.BinarySearch(lset, t.h); !ok {
			tset = append(tset, t.h)
		} else if !t.number && len(lt) > 0 {
			flags[k] |= wordKey
		}
	}
	tset, tnums = sortedSet(tset), sortedSet(tnums)
	sc.tset, sc.tnums = tset, tnums
	ws := make([]uint32, len(lset)+len(tset)+len(tnums))
	s.lead = ws[:copy(ws, lset):len(lset)]
	ws = ws[len(lset):]
	if len(tset) > 0 { // nil when empty, as the stored form decodes
		s.title = ws[:copy(ws, tset):len(tset)]
		ws = ws[len(tset):]
	}
	if len(tnums) > 0 {
		s.tnums = ws[:copy(ws, tnums):len(tnums)]
	}
	s.flags, s.seq = flags, seq
	for _, ts := range [2][]token{tt, lt} {
		for _, t := range ts {
			if !signWords.has(t.h) {
				continue
			}
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

// A sketcher holds what NewSketch needs while it works, kept in sketchers
// so that NewSketch allocates only what the Sketch keeps (its word sets and
// its flags) and what Normalize rewrites.
type sketcher struct {
	r                     wordReader
	tt, lt                []token  // the canonical words of the headline and the lead
	hs, lset, tset, tnums []uint32 // their hashes, and the sets a Sketch keeps
}

var sketchers = sync.Pool{New: func() any { return new(sketcher) }}

// release returns sc to sketchers without the text it read.
func (sc *sketcher) release() {
	clear(sc.r.ts)
	clear(sc.tt)
	clear(sc.lt)
	sc.r.raw = ""
	sketchers.Put(sc)
}

// has reports whether w, in either spelling (see spellings), is a word
// of s's headline or lead.
func (s *Sketch) has(w uint32) bool {
	return spelt(s.lead, w) || spelt(s.title, w)
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

// flagsOf returns the flags of w among the words of s's lead, none if
// the lead lacks it.
func (s *Sketch) flagsOf(w uint32) uint8 {
	if k, ok := slices.BinarySearch(s.lead, w); ok {
		return s.flags[k]
	}
	return 0
}

// inLead reports whether w, in either spelling, is a word of s's lead.
func (s *Sketch) inLead(w uint32) bool { return spelt(s.lead, w) }

// spelt reports whether the sorted words ws hold w in either spelling.
func spelt(ws []uint32, w uint32) bool {
	if _, ok := slices.BinarySearch(ws, w); ok {
		return true
	}
	if v, ok := spellings[w]; ok {
		_, ok = slices.BinarySearch(ws, v)
		return ok
	}
	return false
}

// lacks reports whether some word of a's lead with flag f is missing from
// b (its lead only, with inLead).
func lacks(a, b *Sketch, f uint8, leadOnly bool) bool {
	for k, w := range a.lead {
		if a.flags[k]&f == 0 || f == wordKey && inSet(grammarWords, w) {
			continue // a grammatical word is no subject: "hơn", "các"
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
// lacks; each headline states a number the other text lacks; each
// headline has a subject word (one its lead repeats) that the other text
// lacks; one says up where the other says only down, in a word or in a
// two-word term ("xuất siêu" / "nhập siêu"); or their leads differ in
// place (see replaced). Vetoed(a, b) is Vetoed(b, a): the
// leads are aligned in one order whichever came first, so whether two
// copies merge does not depend on which was fetched first.
func Vetoed(a, b *Sketch) bool {
	if before(b, a) {
		a, b = b, a
	}
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
	if opposed(a.signs, b.signs, len(signPairs)) || opposed(a.phraseSigns(), b.phraseSigns(), len(signPhrases)) {
		return true // "tăng" / "giảm", "xuất siêu" / "nhập siêu"
	}
	return replaced(a, b)
}

// signPhrases are two-word terms of direction whose words also stand in
// other terms: "xuất siêu" (a surplus) and "nhập siêu" (a deficit) in
// leads that both speak of "xuất nhập khẩu".
var signPhrases = [][2][2]uint32{
	{{wordHash("xuất"), wordHash("siêu")}, {wordHash("nhập"), wordHash("siêu")}},
	{{wordHash("mua"), wordHash("ròng")}, {wordHash("bán"), wordHash("ròng")}},
	{{wordHash("thặng"), wordHash("dư")}, {wordHash("thâm"), wordHash("hụt")}},
}

// phraseSigns returns the signPhrases s's lead holds: bit 2i for the
// first of signPhrases[i], bit 2i+1 for the second.
func (s *Sketch) phraseSigns() uint32 {
	var out uint32
	for k := 1; k < len(s.seq); k++ {
		p := [2]uint32{s.lead[s.seq[k-1]], s.lead[s.seq[k]]}
		for i, sp := range signPhrases {
			if p == sp[0] {
				out |= 1 << (2 * i)
			} else if p == sp[1] {
				out |= 1 << (2*i + 1)
			}
		}
	}
	return out
}

// opposed reports whether sign sets a and b of n pairs (bit 2i for the
// first of pair i, 2i+1 for the second, as Sketch.signs and phraseSigns
// hold them) have, for one pair, only the first on one side and only the
// second on the other: one says only up, the other only down.
func opposed(a, b uint32, n int) bool {
	for i := range n {
		x, y := uint32(1)<<(2*i), uint32(1)<<(2*i+1)
		if sa, sb := a&(x|y), b&(x|y); sa != sb && sa != x|y && sb != x|y && sa != 0 && sb != 0 {
			return true
		}
	}
	return false
}

// before orders sketches by their MinHash values, then their leads, for
// Vetoed.
func before(a, b *Sketch) bool {
	if c := slices.Compare(a.Mins[:], b.Mins[:]); c != 0 {
		return c < 0
	}
	if c := slices.Compare(a.lead, b.lead); c != 0 {
		return c < 0
	}
	if c := slices.Compare(a.seq, b.seq); c != 0 {
		return c < 0
	}
	return slices.Compare(a.title, b.title) < 0
}

// replaced reports whether the leads, aligned word by word (a longest
// common subsequence), differ by a replacement in place where one side
// has a name, a number or a direction word the other text lacks: "Chợ
// Rẫy" where the other says "Bạch Mai", "CLB Hà Nội" where it says "Công
// an Hà Nội", "giữ nguyên" where it says "giảm"; or by a replacement,
// an addition or a cut within a sentence that brings a content word the
// other text lacks (see content): "cá nhân" where the other says "doanh
// nghiệp", "trên 10 tấn" where it says "dưới 10 tấn", "3 năm tù" where it
// says "3 năm tù nhưng cho hưởng án treo". A copy editor's swap of
// grammar ("cho biết"/"thông tin", "khoảng"/"chừng", "đối với"/"với",
// "khiến"/"làm"), of synonyms the lexicon groups ("người dân"/"bà con"),
// a clause written or cut, a cut sentence or a moved clause is none of
// these. A swap of content words the lexicon does not group ("tổ
// chức"/"tiến hành") is, and such copies stay apart: two stories merged
// hide one, two copies kept show one twice.
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
	gx, gy := grammatical(x), grammatical(y)
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
		if !inPlace {
			continue
		}
		xs, ys := x[i0:i], y[j0:j]
		if turns(xs, ys, a, b) || factsDiffer(xs, ys, a, b) && !lexiconSwap(xs, gx[i0:i], ys, gy[j0:j], a, b) {
			return true
		}
		// Content words replaced where the leads meet again after it
		// ("khách hàng cá nhân" / "khách hàng doanh nghiệp"), unless the
		// lexicon groups them, or added or dropped there ("khách du lịch
		// trong nước" / "khách du lịch"); at their end a change is a cut
		// lead with a clause moved there. An addition of minClause content
		// words or more is a clause one editor wrote or cut (a source, a
		// detail), and counts only where it brings the headline's subject
		// ("3 năm tù" / "3 năm tù nhưng cho hưởng án treo", "tù treo" in
		// the headline) or a conjunct ("quốc tế và nội địa" / "quốc tế").
		if i == n || j == m {
			continue
		}
		if len(ys) == 0 && listed(xs, a, b) || len(xs) == 0 && listed(ys, b, a) {
			return true // "quốc lộ 7 và quốc lộ 16" / "quốc lộ 7"
		}
		if !content(xs, gx[i0:i], a, b) && !content(ys, gy[j0:j], b, a) {
			continue
		}
		// A side whose content words all stand elsewhere in the other
		// lead was moved, not replaced ("áp dụng từ ngày 19/6" / "theo
		// quyết định vừa ban hành", the decision named earlier in the
		// other): what is left is an addition.
		rx, ry := residue(xs, gx[i0:i], a), residue(ys, gy[j0:j], b)
		if len(rx) > 0 && len(ry) > 0 {
			if swaps(rx, ry, 0) {
				continue
			}
			if novel(rx, x, y, b) && novel(ry, y, x, a) {
				return true
			}
		} else if classifies(rx, ry, x[i], a) {
			continue
		}
		if (len(rx) == 0 || len(ry) == 0) && framing(rx, ry) {
			continue // "giảm lãi suất" / "được giảm lãi suất", "4%" / "mức 4%"
		}
		dated := len(rx) == 0 && figure(ys, b, a) || len(ry) == 0 && figure(xs, a, b)
		if len(rx)+len(ry) < minClause && !dated || added(xs, gx[i0:i], a, b) || added(ys, gy[j0:j], b, a) {
			return true
		}
		if !dated && (len(rx) == 0 && restricts(ys) || len(ry) == 0 && restricts(xs)) {
			return true // "cho doanh nghiệp" / "cho doanh nghiệp có doanh thu dưới 10 tỷ đồng"
		}
	}
	return false
}

// restrictors are the words that open a clause restricting the noun
// before it: "doanh nghiệp có doanh thu dưới 10 tỷ đồng", "sinh viên đạt
// điểm thi từ 27 trở lên", "người lao động không có bảo hiểm xã hội".
// Such a clause, added or cut, is a modifier however long: it says who
// is concerned. A clause an editor writes or cuts opens otherwise: a
// source ("theo …"), a cause or a purpose ("sau khi …", "để …").
var restrictors = hashSet("có", "đạt", "thuộc", "không", "dưới", "trên", "từ")

// restricts reports whether run opens with a restrictor.
func restricts(run []uint32) bool {
	return len(run) > 0 && inSet(restrictors, run[0])
}

// framingPhrases are the words an editor adds to frame what both copies
// state, never to restrict it: voice and aspect before a verb ("được
// giảm", "phải nhập viện", "tiếp tục tăng", "diễn ra", "xảy ra"), the
// head of a measure before a figure ("mức 4%", "tổng số 120", "tương
// đương 2%", "với tỷ số 2-1", "dao động 3-5%") and the noun of an
// occasion before an event ("lễ khánh thành", "chương trình", "phiên").
// Added or dropped alone, they state no other fact; a modifier after a
// noun ("khách du lịch trong nước") does, and is not among them, nor is
// "tổng": "tổng vốn đăng ký" (all capital registered) is not "vốn đăng
// ký mới" (new capital).
var framingPhrases = phraseHashes("được|bị|phải|còn|tiếp tục|diễn ra|xảy ra|tiến hành|" +
	"mức|số|tổng số|tỷ lệ|tỷ số|con số|lượng|tương đương|dao động|" +
	"lễ|buổi|chương trình|công tác|hoạt động|phiên")

// framing reports whether an addition (rx or ry, one of them empty) is
// made of framingPhrases only.
func framing(rx, ry []uint32) bool {
	if len(rx) == 0 {
		return madeOf(ry, framingPhrases)
	}
	return madeOf(rx, framingPhrases)
}

// numeric reports whether run, from s's lead, holds a number.
func numeric(run []uint32, s *Sketch) bool {
	return slices.ContainsFunc(run, func(w uint32) bool {
		return s.flagsOf(w)&wordNumber != 0
	})
}

// figure reports whether run, from s's lead, holds a date or a time: a
// word of time that is no rate ("đêm", "năm trước", not "mỗi năm"), or a
// day and a month ("21/6"). An addition that
// does is a date only one copy states ("sau trận mưa lớn đêm 21/6",
// "phiên giao dịch ngày 3/12"), which vetoes no more than the date alone
// would, unless it brings the headline's subject ("có thâm niên trên 10
// năm", the seniority in the headline). A measure is no date: "xe tải
// trên 10 tấn" / "xe tải" restricts what is concerned. One that names a
// name the other text lacks, or joins a conjunct, adds a party or an
// item.
func figure(run []uint32, s, other *Sketch) bool {
	date, prevNum := false, false
	for i, w := range run {
		if s.flagsOf(w)&wordName != 0 && !other.has(w) || inSet(conjunctions, w) {
			return false // a party or an item: "và U22 Uzbekistan", "và quốc lộ 16"
		}
		num := s.flagsOf(w)&wordNumber != 0
		date = date || num && prevNum || inSet(timeWords, w) && (i == 0 || !inSet(rates, run[i-1]))
		prevNum = num
	}
	return date
}

// timeWords are the words of a date or a time of day, and rates the
// words that make one a rate: "mỗi năm".
var (
	timeWords = hashSet("ngày", "tháng", "năm", "tuần", "quý", "giờ", "phút", "hôm", "lúc",
		"sáng", "trưa", "chiều", "tối", "đêm")
	rates = hashSet("mỗi", "hằng", "hàng")
)

// novel reports whether some word of run, from the lead own, is not
// stated elsewhere in the other text: the other headline lacks it, and
// the other lead (other, of o) holds it fewer times than own does. A
// word the other lead holds as often was moved; one it holds fewer times
// was put in place of another ("doanh nghiệp" where the other says "hộ
// kinh doanh", though both name "doanh nghiệp" elsewhere).
func novel(run, own, other []uint32, o *Sketch) bool {
	count := func(seq []uint32, w uint32) (n int) {
		for _, v := range seq {
			if v == w {
				n++
			}
		}
		return n
	}
	for _, w := range run {
		if _, ok := slices.BinarySearch(o.title, w); !ok && count(other, w) < count(own, w) {
			return true
		}
	}
	return false
}

// classifies reports whether an addition (rx or ry, one of them empty) is
// only the kind of the place or body whose name follows it, next: "tỉnh
// Đồng Nai" / "Đồng Nai", "thành phố Hà Nội" / "Hà Nội".
func classifies(rx, ry []uint32, next uint32, s *Sketch) bool {
	run := rx
	if len(run) == 0 {
		run = ry
	}
	if s.flagsOf(next)&wordName == 0 {
		return false
	}
	return madeOf(run, placeKinds)
}

// madeOf reports whether run is a sequence of the phrases of list
// (longest first, as phraseHashes returns them).
func madeOf(run []uint32, list [][]uint32) bool {
	for len(run) > 0 {
		n := 0
		for _, c := range list {
			if len(c) <= len(run) && slices.Equal(run[:len(c)], c) {
				n = len(c)
				break
			}
		}
		if n == 0 {
			return false
		}
		run = run[n:]
	}
	return true
}

// placeKinds are the words that name the kind of a place or body before
// its name.
var placeKinds = phraseHashes("thành phố|tỉnh|huyện|quận|xã|phường|thị xã|thị trấn|đặc khu|sông|cầu|" +
	"công ty|tập đoàn|ngân hàng|bệnh viện|trường|hãng|đảo|quần đảo|vịnh|núi|hồ")

// phraseHashes returns the wordHash of the words of each phrase of list
// ("|" between phrases), longest phrase first: "cho biết" before "cho".
func phraseHashes(list string) (out [][]uint32) {
	for _, p := range strings.Split(list, "|") {
		var ws []uint32
		for _, w := range strings.Fields(p) {
			ws = append(ws, wordHash(w))
		}
		out = append(out, ws)
	}
	slices.SortStableFunc(out, func(a, b []uint32) int { return len(b) - len(a) })
	return out
}

// minClause is the fewest content words an addition within a sentence
// has to count as a clause rather than a modifier: a modifier ("trong
// nước", "toàn diện", "phụ tùng ô tô") has up to four.
const minClause = 5

// anchor reports whether x[i:] and y[j:] start with two common words, or
// with one that ends both: one common word is no anchor.
func anchor(x, y []uint32, i, j int) bool {
	if i >= len(x) || j >= len(y) || x[i] != y[j] {
		return false
	}
	return i+1 == len(x) && j+1 == len(y) || i+1 < len(x) && j+1 < len(y) && x[i+1] == y[j+1]
}

// maxTrade is the longest run on each side of a hunk in which names and
// figures can trade places: a Vietnamese name has three words.
const maxTrade = 3

// factsDiffer reports whether a hunk in place, the run xs of a's lead
// where b's has ys, states another fact: a name, number or direction word
// that the other text lacks replaces another, or names, figures or
// subject words trade places ("50 mã vùng trồng và 12 mã cơ sở" / "12 …
// và 50": in short runs, a name or a figure each, since a longer one is a
// clause moved past an edit).
func factsDiffer(xs, ys []uint32, a, b *Sketch) bool {
	if len(xs) == 0 || len(ys) == 0 {
		return false
	}
	nx, ny := numeric(xs, a), numeric(ys, b)
	return significant(xs, a, b, ny) || significant(ys, b, a, nx) ||
		len(xs) <= maxTrade && len(ys) <= maxTrade && factsOutside(xs, ys, a) && factsOutside(ys, xs, b)
}

// turns reports whether a hunk (either run may be empty: a word added)
// makes a statement another: a qualifier comes or goes ("chủ tịch" /
// "phó chủ tịch", "đồng ý" / "chưa đồng ý"), or the tense turns ("đã rời"
// / "sẽ rời").
func turns(xs, ys []uint32, a, b *Sketch) bool {
	if len(xs) == 0 && clause(ys, b) || len(ys) == 0 && clause(xs, a) {
		return false // a clause written or cut: "nhằm giúp người dân không phải đổi giấy tờ"
	}
	return qualifies(xs, ys, a) || qualifies(ys, xs, b) || contrast(xs, ys)
}

// clause reports whether run, from s's lead, has minClause content words
// or more: a clause rather than a qualifier of the statement both make.
func clause(run []uint32, s *Sketch) bool {
	return len(residue(run, grammatical(run), s)) >= minClause
}

// content reports whether run, from s's lead, has a content word (no
// number, no grammatical word: gram marks those of run) that other
// lacks. Such a word replaced, added or dropped states another fact even
// when no name or figure changes: "khách hàng cá nhân" where the other
// says "khách hàng doanh nghiệp", "tội giết người" where it says "tội cố
// ý gây thương tích". What editors change in a copy is mostly grammar:
// "cho biết" / "thông tin", "khoảng" / "chừng", "đã" / "vừa".
func content(run []uint32, gram []bool, s, other *Sketch) bool {
	for i, w := range run {
		if !gram[i] && s.flagsOf(w)&wordNumber == 0 && !other.has(w) {
			return true
		}
	}
	return false
}

// grammarPhrases are the grammatical words of Vietnamese press leads, and
// the phrases of reporting, that a copy editor swaps without changing a
// fact: aspect (đã, đang, sẽ, vừa, mới), approximation (khoảng, chừng,
// gần, hơn, trên, xấp xỉ), quantity without a figure (các, những, nhiều,
// một số, hàng loạt; "một", read as 1, is "a" as often as "one": "5.000
// đồng một kg" / "5.000 đồng/kg"), prepositions and conjunctions, the
// frame of a date ("từ 1/7" / "từ tháng 7", "sáng 20/12",
// "năm 2025": a date only one side states does not count), the verbs
// of reporting (cho biết, cho hay, thông tin, thông báo, công bố, khẳng
// định, xác nhận), relations (đối với, thuộc, so với, gồm), causes
// (khiến, làm, gây), demonstratives (này, đó, trước đó, cùng ngày) and
// the nouns that make a verb a noun or count a thing (việc, sự, cuộc,
// chiếc). Words whose swap changes a fact are left out: trước and sau,
// dưới, còn and lên, số ("bão số 9"), độ ("40 độ"), được and bị, degree
// (rất, nhất: "mưa to" and "mưa rất to" are two levels of a warning) and
// modality (có thể: a risk is not an event). A swap of one of these for a
// content word is content.
var grammarPhrases = phraseHashes(`đã|đang|sẽ|vừa|mới|từng|sắp|rồi|vẫn|cũng|đều|` +
	`khoảng|chừng|gần|hơn|trên|ngoài|tới|đến|xấp xỉ|ước tính|ước|` +
	`các|những|mọi|mỗi|1|nhiều|ít|vài|1 số|hàng loạt|` +
	`của|cho|với|và|hoặc|hay|nhưng|mà|thì|là|tại|ở|trong|theo|từ|để|nhằm|do|vì|bởi|nên|khi|` +
	`ngày|tháng|năm|hôm|nay|lúc|vào|sáng|trưa|chiều|tối|đêm|rạng sáng|` +
	`cho biết|cho hay|thông tin|thông báo|công bố|khẳng định|xác nhận|chia sẻ|` +
	`đối với|đối|cùng|cùng với|bằng|qua|về|sang|thuộc|giữa|so với|nhờ|gồm|bao gồm|kể từ|tính đến|` +
	`khiến|làm|làm cho|gây|khiến cho|` +
	`này|đó|ấy|kia|đây|trước đó|sau đó|cùng ngày|hôm trước|hôm qua|` +
	`có|chính|việc|sự|cuộc|chiếc|cái`)

// grammarWords are the one-word grammarPhrases, as a hashSet.
var grammarWords = func() []uint32 {
	var ws []uint32
	for _, p := range grammarPhrases {
		if len(p) == 1 {
			ws = append(ws, p[0])
		}
	}
	return sortedSet(ws)
}()

// grammarHeads are the first words of grammarPhrases, as a hashSet.
var grammarHeads = func() []uint32 {
	var ws []uint32
	for _, p := range grammarPhrases {
		ws = append(ws, p[0])
	}
	return sortedSet(ws)
}()

// grammatical marks the words of seq that belong to a grammarPhrase.
func grammatical(seq []uint32) []bool {
	g := make([]bool, len(seq))
	for i := 0; i < len(seq); {
		n := 1
		if !inSet(grammarHeads, seq[i]) {
			i++
			continue
		}
		for _, p := range grammarPhrases {
			if len(p) <= len(seq)-i && slices.Equal(seq[i:i+len(p)], p) {
				n = len(p)
				for k := range p {
					g[i+k] = true
				}
				break
			}
		}
		i += n
	}
	return g
}

// factsOutside reports whether run, from s's lead, has a name, a number
// or a subject word that the other side's run lacks.
func factsOutside(run, other []uint32, s *Sketch) bool {
	for _, w := range run {
		if s.flagsOf(w)&(wordName|wordNumber|wordKey) != 0 && !slices.Contains(other, w) {
			return true
		}
	}
	return false
}

// qualifiers are words that make a statement another when added or
// replaced: negation (không, chưa), rank (phó), sex (nam, nữ), the
// side of a trade (mua, bán) and "dưới", the opposite of the "trên" (more
// than) of a figure ("trên 10 tấn" / "dưới 10 tấn").
var qualifiers = hashSet(strings.Fields("không chưa phó nam nữ mua bán dưới")...)

// contrasts are grammatical words that state opposite things where one
// copy has the one and the other, in the same place, the other: the
// markers of tense ("đã rời cảng" / "sẽ rời cảng": a plan, and the plan
// done; one side's "sẽ" alone is no contrast) and of aspect ("đang thi
// công" / "đã thi công"), inside and outside ("khách trong nước" / "khách
// ngoài nước", "trong giờ" / "ngoài giờ"), many and few, more than and
// nearly ("hơn 1 triệu" / "gần 1 triệu"), all and some ("các hộ dân" /
// "một số hộ dân"), from and to ("từ Đà Nẵng đến Seoul" / "đến Đà Nẵng
// từ Seoul", "từ ngày 1/7" / "đến ngày 1/7"), morning and afternoon.
// "chiều" and "tối" are no contrast: six in the evening is either.
var contrasts = [][2][][]uint32{
	{phraseHashes("sẽ|sắp"), phraseHashes("đã|vừa|mới")},
	{phraseHashes("đang"), phraseHashes("đã")},
	{phraseHashes("trong"), phraseHashes("ngoài")},
	{phraseHashes("nhiều"), phraseHashes("ít")},
	{phraseHashes("hơn|trên"), phraseHashes("gần")},
	{phraseHashes("các|mọi"), phraseHashes("1 số|vài")},
	{phraseHashes("từ"), phraseHashes("đến|tới")},
	{phraseHashes("sáng"), phraseHashes("chiều|tối")},
}

// contrast reports whether one run has a word of a contrast where the
// other has its opposite.
func contrast(xs, ys []uint32) bool {
	for _, c := range contrasts {
		if holds(xs, c[0]) && holds(ys, c[1]) || holds(ys, c[0]) && holds(xs, c[1]) {
			return true
		}
	}
	return false
}

// holds reports whether run holds one of the phrases.
func holds(run []uint32, phrases [][]uint32) bool {
	for i := range run {
		for _, p := range phrases {
			if len(p) <= len(run)-i && slices.Equal(run[i:i+len(p)], p) {
				return true
			}
		}
	}
	return false
}

// qualifies reports whether run, from s's lead, holds a qualifier that
// the other side's run lacks. "nam" and "nữ" in a name are none: "Việt
// Nam", "Nam Định" ("Phó" is a qualifier however it is written).
func qualifies(run, other []uint32, s *Sketch) bool {
	for i, w := range run {
		if !inSet(qualifiers, w) || slices.Contains(other, w) || compound(run, i) {
			continue
		}
		if s.flagsOf(w)&wordName == 0 || !inSet(sexes, w) {
			return true
		}
	}
	return false
}

// sexes are the qualifiers that are also parts of names.
var sexes = hashSet("nam", "nữ")

// compounds are words in which a qualifier is no qualifier: "hàng
// không" (aviation), "bán kết" (a semi-final), "mua sắm" (shopping),
// "miền Nam" (the south).
var compounds = phraseHashes("hàng không|phòng không|không quân|không gian|không khí|không chỉ|" +
	"bán kết|bán đảo|bán lẻ|bán buôn|mua sắm|mua bán|" +
	"miền nam|phía nam|phương nam|đông nam|tây nam|nam bộ|nam phi|nam mỹ|nam cực|nam á")

// compound reports whether run[i] is part of one of the compounds.
func compound(run []uint32, i int) bool {
	for _, c := range compounds {
		for k := range c {
			if c[k] == run[i] && i-k >= 0 && i-k+len(c) <= len(run) && slices.Equal(run[i-k:i-k+len(c)], c) {
				return true
			}
		}
	}
	return false
}

// added reports whether run, from s's lead, added where the other lead
// has only grammar, brings a subject word of s's headline that other
// lacks ("treo" in "3 năm tù treo") or a conjunct: a coordinating word
// whose first content word other lacks ("và nội địa", "nhưng cho hưởng
// án treo"; a name is none: "và Kinh tế số" in an agency's name).
func added(run []uint32, gram []bool, s, other *Sketch) bool {
	for i, w := range run {
		if !gram[i] && s.flagsOf(w)&wordKey != 0 && !other.has(w) {
			return true
		}
		if !inSet(conjunctions, w) {
			continue
		}
		// The conjunct's first content word.
		for c := i + 1; c < len(run); c++ {
			if gram[c] {
				continue
			}
			if s.flagsOf(run[c])&(wordNumber|wordName) == 0 && !other.has(run[c]) {
				return true
			}
			break
		}
	}
	return false
}

// listed reports whether run, from s's lead, added where the other lead
// has nothing, joins a conjunct that holds a number the other text lacks:
// another item of a list ("và quốc lộ 16").
func listed(run []uint32, s, other *Sketch) bool {
	for i, w := range run {
		if !inSet(conjunctions, w) {
			continue
		}
		for _, v := range run[i+1:] {
			if s.flagsOf(v)&wordNumber != 0 && !other.has(v) {
				return true
			}
		}
	}
	return false
}

// conjunctions are the words that add a conjunct.
var conjunctions = hashSet("và", "hoặc", "cùng", "nhưng")

// endRun is the longest run of words on each side that a replacement
// ending both leads may have to count as one in place.
const endRun = 6

// significant reports whether some word of run, from s's lead, is a name,
// a number (when numbers is set: the other side of the hunk states one
// too) or a direction word (tăng, giảm …) that other lacks: "giữ nguyên
// lãi suất" where the other says "giảm lãi suất" is another fact. A
// number put where the other side has only words was not replaced: it is
// a figure or a date only one side states ("phiên" / "chiều 16/10, UBND
// huyện tổ chức"), which vetoes nothing.
func significant(run []uint32, s, other *Sketch, numbers bool) bool {
	f := uint8(wordName)
	if numbers {
		f |= wordNumber
	}
	for _, w := range run {
		if (s.flagsOf(w)&f != 0 || inSet(signHashes, w)) && !other.has(w) {
			return true
		}
	}
	return false
}

// signHashes are the words of signPairs, as a hashSet.
var signHashes = func() []uint32 {
	var ws []string
	for _, p := range signPairs {
		ws = append(ws, p[0], p[1])
	}
	return hashSet(ws...)
}()

// hashSet returns the sorted wordHash of words, for inSet.
func hashSet(words ...string) []uint32 {
	hs := make([]uint32, len(words))
	for i, w := range words {
		hs[i] = wordHash(w)
	}
	return sortedSet(hs)
}

// inSet reports whether the word hash w is in set, made by hashSet.
func inSet(set []uint32, w uint32) bool {
	_, ok := slices.BinarySearch(set, w)
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

// minSeeds are the values each word pair is mixed with, one per MinHash
// value, after mix's first step: mix(p^k) is mixRest(p^p>>30 ^ k^k>>30),
// since a shift distributes over XOR.
var minSeeds = func() (k [NearMins]uint64) {
	for i := range k {
		s := uint64(i+1) * 0x9e3779b97f4a7c15
		k[i] = s ^ s>>30
	}
	return k
}()

// mixRest is mix without its first step: mix(x) = mixRest(x ^ x>>30).
func mixRest(x uint64) uint64 {
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
	var buf [sketchLeadWords]uint64
	ps := buf[:0] // each pair p as p^p>>30
	if len(ws) == 1 {
		p := uint64(ws[0])
		ps = append(ps, p^p>>30)
	}
	for i := 1; i < len(ws); i++ {
		p := uint64(ws[i-1])<<32 | uint64(ws[i])
		ps = append(ps, p^p>>30)
	}
	// Four values a pass over the pairs (NearMins is a multiple of 4): their
	// mixes are independent, so they overlap in the pipeline. Two or eight
	// were slower.
	for i := 0; i < NearMins; i += 4 {
		k0, k1, k2, k3 := minSeeds[i], minSeeds[i+1], minSeeds[i+2], minSeeds[i+3]
		m0, m1, m2, m3 := ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)
		for _, p := range ps {
			m0 = min(m0, mixRest(p^k0))
			m1 = min(m1, mixRest(p^k1))
			m2 = min(m2, mixRest(p^k2))
			m3 = min(m3, mixRest(p^k3))
		}
		out[i] = uint16(mix(m0)) | 1
		out[i+1] = uint16(mix(m1)) | 1
		out[i+2] = uint16(mix(m2)) | 1
		out[i+3] = uint16(mix(m3)) | 1
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

// specialWords holds the hashes of the words wordReader.canonical rewrites
// or looks at: the first words of phrases, the number words, "một" and the
// range words. Any other word is its own canonical word, found without a
// map lookup. signWords holds the words of signPairs.
var specialWords, signWords wordFilter

// A wordFilter is a set of word hashes that may report a word it lacks,
// never the reverse: it keeps bit h mod 1024 of each hash h.
type wordFilter [16]uint64

func (f *wordFilter) add(w string) { h := wordHash(w) & 1023; f[h>>6] |= 1 << (h & 63) }

func (f *wordFilter) has(h uint32) bool { h &= 1023; return f[h>>6]&(1<<(h&63)) != 0 }

func init() {
	for w := range phrases {
		specialWords.add(w)
	}
	for w := range numberWords {
		specialWords.add(w)
	}
	for _, w := range []string{"năm", "một", "đến", "tới"} {
		specialWords.add(w)
	}
	for _, p := range signPairs {
		signWords.add(p[0])
		signWords.add(p[1])
	}
}

// A wordReader reads the words of a text, normalised, as reading the whole
// text at once would, but a piece at a time: the first words of a long
// text cost what they would alone. The pieces end at an ASCII space, where
// both normalising and splitting into words may cut text without changing
// it (TestNormalizePieces, and sketch_equiv_test.go, which reads text in
// pieces of 1 to 17 bytes too):
//
//   - Normalize of the text is Normalize of each piece, joined: a space
//     composes with nothing in NFC, and starts none of NFC's runs of marks;
//     it is an ASCII byte, which never belongs to an invalid sequence; and
//     moveTones looks at most one rune past a syllable and back to its
//     start, and stops at a space either way.
//   - The words of the text are the words of each piece: no word or number
//     goes on past a space, and all tokenize carries from one piece to the
//     next is whether the next word starts a sentence.
type wordReader struct {
	raw   string  // the text not yet read
	start bool    // the next word starts a sentence
	ts    []token // the words read, none of them canonical yet
	buf   []byte  // the words of ts that are not substrings of the text
}

// pieceLen is the least length of a piece of text a wordReader reads. The
// 80 words of a lead take 500 to 550 bytes in NFC Vietnamese, so a lead is
// read in two or three pieces. Tests read text in pieces of other lengths
// too: the words never depend on it.
var pieceLen = 256

// tagLen is how much text from the first non-space character cutTag reads
// at most, with a margin: a tag in parentheses closes within 40 bytes and
// a dash after a tag starts within 30 (41 bytes would do; 36 make
// TestSketchEdgesSameAsReference fail).
const tagLen = 64

// reset starts r on text, the lead of an item if lead (its tag is cut, as
// cutTag cuts it from the whole text).
func (r *wordReader) reset(text string, lead bool) {
	r.raw, r.start, r.ts = text, true, r.ts[:0]
	if !lead {
		return
	}
	// cutTag of the whole text and of a start of it holding at least tagLen
	// bytes after the leading space leave the same words to read. It makes
	// the same choices, on those bytes, and its results differ at most in
	// where they end: the start of the rest of the text, or space, dashes
	// and a colon before the first word, which tokenize skips.
	s := Normalize(r.next())
	for r.raw != "" && len(strings.TrimLeftFunc(s, unicode.IsSpace)) < tagLen {
		s += Normalize(r.next())
	}
	r.tokenize(cutTag(s))
}

// next returns the next piece of r.raw to read: pieceLen bytes or more,
// up to and including an ASCII space, or all that is left.
func (r *wordReader) next() string {
	p := r.raw
	if len(p) > pieceLen {
		if k := strings.IndexByte(p[pieceLen:], ' '); k >= 0 {
			p = p[:pieceLen+k+1]
		}
	}
	r.raw = r.raw[len(p):]
	return p
}

// fill reads pieces of the text until r.ts holds n words or the text
// ends, and reports whether r.ts holds n words.
func (r *wordReader) fill(n int) bool {
	for len(r.ts) < n && r.raw != "" {
		r.tokenize(Normalize(r.next()))
	}
	return len(r.ts) >= n
}

// tokenize appends the words of the normalised text s to r.ts: runs of
// letters and marks, and numbers (digits with the separators between
// them). A run of letters and digits splits where one turns into the other
// ("15h30" is 15, h, 30; "QL20" is ql, 20). A word is lower-cased, and is
// a name when it starts with a capital and does not start a sentence, or
// is all capitals (an abbreviation).
func (r *wordReader) tokenize(s string) {
	start := r.start
	for i := 0; i < len(s); {
		c := s[i]
		if '0' <= c && c <= '9' {
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
			w := r.number(s[i:j])
			r.ts = append(r.ts, token{w: w, h: wordHash(w), number: true})
			start = false
			i = j
			continue
		}
		rn, n := decodeRune(s, i)
		cl := classOf(rn)
		if cl&classWord == 0 {
			if c == '.' || c == '!' || c == '?' || c == ':' || c == ';' {
				start = true
			}
			i += n
			continue
		}
		upper, allUpper, letters, cased := cl&classUpper != 0, true, 0, cl
		j := i + n
		if cl&classLetter != 0 {
			letters++
			allUpper = cl&classUpper != 0
		}
		for j < len(s) {
			r2, n2 := decodeRune(s, j)
			cl2 := classOf(r2)
			if cl2&classWord == 0 {
				break
			}
			if cl2&classLetter != 0 {
				letters++
				if cl2&classUpper == 0 {
					allUpper = false
				}
			}
			cased |= cl2
			j += n2
		}
		w := s[i:j]
		if cased&classCased != 0 {
			w = r.lower(w)
		}
		name := upper && (!start || allUpper && letters > 1)
		r.ts = append(r.ts, token{w: w, h: wordHash(w), name: name})
		start = false
		i = j
	}
	r.start = start
}

// decodeRune returns utf8.DecodeRuneInString(s[i:]), decoding the runes
// of NFC Vietnamese without a call: U+0080 to U+07FF and U+1000 to U+1FFF,
// which hold the letters with two marks (TestDecodeRune).
func decodeRune(s string, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	if i+1 < len(s) {
		c1 := s[i+1]
		if 0xC2 <= c && c <= 0xDF && c1&0xC0 == 0x80 {
			return rune(c&0x1F)<<6 | rune(c1&0x3F), 2
		}
		if c == 0xE1 && i+2 < len(s) && c1&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			return 0x1000 | rune(c1&0x3F)<<6 | rune(s[i+2]&0x3F), 3
		}
	}
	return utf8.DecodeRuneInString(s[i:])
}

// lower returns strings.ToLower(w) for a word w of tokenize, written in r.buf.
func (r *wordReader) lower(w string) string {
	k := len(r.buf)
	for _, c := range w {
		if cl := classOf(c); cl&classCased != 0 {
			switch {
			case c < utf8.RuneSelf:
				c += 'a' - 'A'
			case 0x1EA0 <= c && c <= 0x1EFF:
				c |= 1
			default:
				c = unicode.ToLower(c)
			}
		}
		r.buf = utf8.AppendRune(r.buf, c)
	}
	b := r.buf[k:]
	return unsafe.String(unsafe.SliceData(b), len(b)) // r.buf is only appended to until NewSketch returns
}

// number writes a number one way: thousands separators dropped ("5.000",
// "5,000" → 5000), a decimal comma as a point ("3,5" → 3.5), leading zeros
// dropped.
func (r *wordReader) number(s string) string {
	if s[0] != '0' && !strings.ContainsAny(s, ".,") {
		return s
	}
	k := len(r.buf)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == ',' {
			// Three digits and the end (or another separator) after it: thousands.
			e := i + 1
			for e < len(s) && '0' <= s[e] && s[e] <= '9' {
				e++
			}
			if e-i-1 == 3 {
				continue
			}
			c = '.'
		}
		r.buf = append(r.buf, c)
	}
	b := r.buf[k:]
	z := 0
	for z < len(b) && b[z] == '0' {
		z++
	}
	if z == len(b) || b[z] == '.' {
		z-- // b starts with a digit, so z > 0: keep one zero
	}
	b = b[z:]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Classes of runes, as tokenize sees them.
const (
	classWord   = 1 << iota // a letter or a nonspacing mark: it belongs to a word
	classLetter             // unicode.IsLetter
	classUpper              // unicode.IsUpper
	classCased              // unicode.ToLower changes it
)

// latinClass holds classOf of the runes of the Latin blocks, which NFC
// Vietnamese is written in but for the letters with two marks.
var latinClass = func() (c [0x250]uint8) {
	for r := range rune(len(c)) {
		c[r] = unicodeClass(r)
	}
	return c
}()

// classOf returns the class of r: unicodeClass(r), without unicode's
// table searches for Vietnamese (TestClassOf checks every rune).
func classOf(r rune) uint8 {
	switch {
	case r < rune(len(latinClass)):
		return latinClass[r]
	case 0x1EA0 <= r && r <= 0x1EFF: // Ạ ạ … Ỹ ỹ Ỻ ỻ … Ỿ ỿ: upper case (even), lower case (odd)
		if r&1 == 0 {
			return classWord | classLetter | classUpper | classCased
		}
		return classWord | classLetter
	case 0x300 <= r && r <= 0x36F: // combining diacritical marks
		return classWord
	}
	return unicodeClass(r)
}

func unicodeClass(r rune) uint8 {
	var c uint8
	if unicode.IsLetter(r) {
		c |= classWord | classLetter
	}
	if unicode.Is(unicode.Mn, r) {
		c |= classWord
	}
	if unicode.IsUpper(r) {
		c |= classUpper
	}
	if unicode.ToLower(r) != r {
		c |= classCased
	}
	return c
}

// canonical appends to out the canonical words of the text r reads (see
// the method above) until out holds max words or the text ends. It reads
// on only as far as those words need: a phrase of up to five words, or the
// word after "năm" or a range word, past the last of them.
func (r *wordReader) canonical(out []token, max int) []token {
	for i := 0; len(out) < max && r.fill(i+1); i++ {
		t := r.ts[i]
		if t.number || !specialWords.has(t.h) {
			out = append(out, t)
			continue
		}
		if p := r.phraseAt(i); p != nil {
			n := len(p) - 1
			name := false
			for k := range n {
				name = name || r.ts[i+k].name
			}
			out = append(out, token{w: p[n], h: wordHash(p[n]), name: name})
			i += n - 1
			continue
		}
		if t.w == "năm" && r.fill(i+2) && counted[r.ts[i+1].w] {
			t = token{w: "5", h: wordHash("5"), number: true} // "năm người", not "năm nay"
		} else if d, ok := numberWords[t.w]; ok {
			t = token{w: d, h: wordHash(d), number: true}
		} else if t.w == "một" {
			t = token{w: "1", h: wordHash("1")}
		}
		// "30 đến 50", "từ 30 tới 50": the range words between two numbers go.
		if (t.w == "đến" || t.w == "tới") && len(out) > 0 && out[len(out)-1].number && r.fill(i+2) && r.ts[i+1].number {
			continue
		}
		out = append(out, t)
	}
	return out
}

// phraseAt returns the form of phrases that starts at word i, or nil.
func (r *wordReader) phraseAt(i int) []string {
	for _, p := range phrases[r.ts[i].w] {
		n := len(p) - 1
		if !r.fill(i + n) {
			continue
		}
		ok := true
		for k := range n {
			if t := r.ts[i+k]; t.w != p[k] || t.number {
				ok = false
				break
			}
		}
		// "h" is an hour only right after a number: "15h".
		if ok && (p[n] != "giờ" || i > 0 && r.ts[i-1].number) {
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
