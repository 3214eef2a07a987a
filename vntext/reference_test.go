package vntext

// The implementations of Normalize, TitleKey and SimHash as they were before they were
// optimised, kept verbatim but for their names: SimHash values and title keys are stored
// (fingerprints are indexed, keys deduplicate items), so the optimised functions must return
// exactly what these return for every input (reference_equiv_test.go).

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	refLeadWords   = 40
	refTitleWeight = 1
	refLeadWeight  = 4
)

// Normalize returns s in Unicode NFC with Vietnamese tone marks placed one way,
// so that the old and new placements ("hoà"/"hòa", "thuỷ"/"thủy", "khoẻ"/"khỏe") compare equal.
// Case is kept. Invalid UTF-8 bytes become U+FFFD, one per byte.
// Normalize returns s itself, without allocating, when s is already normalised.
func refNormalize(s string) string {
	if refIsASCII(s) {
		return s // ASCII is NFC and holds no tone mark
	}
	if !refIsLatinNFC(s) {
		s = refValidUTF8(s)
		if !refIsNFC(s) {
			s = norm.NFC.String(s)
		}
	}
	return refMoveTones(s)
}

// refIsASCII reports whether s is all ASCII.
func refIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// refIsLatinNFC reports whether s is valid UTF-8 made of runes that are each in NFC and cannot
// combine with the rune before them (TestIsLatinNFC), so that s is in NFC. It is a quick check
// for Vietnamese in NFC: ASCII, Latin-1, Latin Extended-A, ơ ư, the Vietnamese letters with two
// marks and general punctuation (“ ” – …). It is several times faster than refIsNFC.
func refIsLatinNFC(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case 0xA0 <= r && r <= 0x17F, r == 'Ơ', r == 'ơ', r == 'Ư', r == 'ư',
			0x1EA0 <= r && r <= 0x1EF9, 0x2010 <= r && r <= 0x2027, 0x2030 <= r && r <= 0x205E:
		default:
			return false // including utf8.RuneError for invalid UTF-8
		}
	}
	return true
}

// refIsNFC reports whether s is in NFC. Unlike norm.NFC.IsNormalString, it does not allocate
// when the quick check answers, as it does for Vietnamese in NFC.
func refIsNFC(s string) bool {
	return norm.NFC.QuickSpanString(s) == len(s) || norm.NFC.IsNormalString(s)
}

// refValidUTF8 returns s with each byte that is not part of valid UTF-8 replaced by U+FFFD,
// the same as ranging over s does.
func refValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// refMoveTones returns the valid NFC text s with the tone mark of every syllable that is an onset
// followed by nothing but "oa", "oe" or "uy" moved to the second vowel of the pair: "hòa" becomes
// "hoà", "thủy" "thuỷ", "khỏe" "khoẻ", "HÒA" "HOÀ". It returns s itself when nothing moves.
//
// Both placements are in use in the Vietnamese press (the article in testdata writes "lan tỏa"
// and "Thành ủy"; other outlets write "lan toả", "Thành uỷ"). The second vowel is the canonical place because
// it is where the mark already is in every longer syllable with these vowels ("hoàn", "khoét",
// "tuyến"), so one placement rule holds for all syllables, and because it is the only correct
// place in "quý", where u belongs to the onset "qu": moving marks to the second vowel leaves
// "quý" and "quỳ" alone and repairs the misspelling "qúy", whereas moving them to the first would
// need an exception for "qu".
//
// The onset may only be consonant letters without marks (b … x, f, j, w, z, đ), so "khuya",
// "tuyên", "hoàn" and "ngoài" (something after the pair) and "hộa", "hòà" (other marks) are
// left alone.
//
// The rule is applied to NFC, where a vowel with one tone mark is always one precomposed rune,
// so moving a mark is replacing two runes by two others, in one pass and one allocation; in NFD
// it would take a decomposition and a recomposition of the whole text. Normalize of any text and
// of its NFD are the same (TestInvariants).
func refMoveTones(s string) string {
	var b strings.Builder // empty until a mark moves
	done := 0             // s[:done] has been written to b
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		start := i
		i += size
		x, tone := refSplitTone(r)
		if !refIsPair(x, s[i:]) || !refWordEnds(s[i+1:]) || !refOnsetBefore(s[:start]) {
			continue
		}
		if done == 0 {
			b.Grow(len(s) + 8)
		}
		b.WriteString(s[done:start])
		b.WriteByte(x)
		b.WriteRune(refWithTone(s[i], tone))
		i++
		done = i
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// The tone marks, in the order of the arrays in refSplitTone and refWithTone.
const (
	refGrave     = iota // U+0300, dấu huyền
	refAcute            // U+0301, dấu sắc
	refTilde            // U+0303, dấu ngã
	refHookAbove        // U+0309, dấu hỏi
	refDotBelow         // U+0323, dấu nặng
)

// refSplitTone returns the base letter and the tone mark of r when r is o, O, u or U with one tone
// mark and no other mark (ò ó õ ỏ ọ ù ú ũ ủ ụ and their upper case); otherwise base is 0.
func refSplitTone(r rune) (base byte, tone int) {
	switch r {
	case 'ò', 'Ò', 'ù', 'Ù':
		tone = refGrave
	case 'ó', 'Ó', 'ú', 'Ú':
		tone = refAcute
	case 'õ', 'Õ', 'ũ', 'Ũ':
		tone = refTilde
	case 'ỏ', 'Ỏ', 'ủ', 'Ủ':
		tone = refHookAbove
	case 'ọ', 'Ọ', 'ụ', 'Ụ':
		tone = refDotBelow
	default:
		return 0, 0
	}
	switch r {
	case 'ò', 'ó', 'õ', 'ỏ', 'ọ':
		base = 'o'
	case 'Ò', 'Ó', 'Õ', 'Ỏ', 'Ọ':
		base = 'O'
	case 'ù', 'ú', 'ũ', 'ủ', 'ụ':
		base = 'u'
	default:
		base = 'U'
	}
	return base, tone
}

// refWithTone returns the precomposed second vowel v (a, e or y, either case) with the tone mark.
func refWithTone(v byte, tone int) rune {
	var toned [5]rune
	switch v {
	case 'a':
		toned = [5]rune{'à', 'á', 'ã', 'ả', 'ạ'}
	case 'A':
		toned = [5]rune{'À', 'Á', 'Ã', 'Ả', 'Ạ'}
	case 'e':
		toned = [5]rune{'è', 'é', 'ẽ', 'ẻ', 'ẹ'}
	case 'E':
		toned = [5]rune{'È', 'É', 'Ẽ', 'Ẻ', 'Ẹ'}
	case 'y':
		toned = [5]rune{'ỳ', 'ý', 'ỹ', 'ỷ', 'ỵ'}
	default:
		toned = [5]rune{'Ỳ', 'Ý', 'Ỹ', 'Ỷ', 'Ỵ'}
	}
	return toned[tone]
}

// refIsPair reports whether the first vowel x (o, O, u, U or 0), followed by the text rest, starts
// "oa", "oe" or "uy" in either case.
func refIsPair(x byte, rest string) bool {
	if x == 0 || rest == "" {
		return false
	}
	switch y := rest[0] | 0x20; x | 0x20 { // ASCII lower case
	case 'o':
		return y == 'a' || y == 'e'
	default:
		return y == 'y'
	}
}

// refWordEnds reports whether the text rest, after the pair, starts with the end of the word.
func refWordEnds(rest string) bool {
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !refIsWordRune(r)
}

// refOnsetBefore reports whether the text before the pair ends with a word start followed by
// consonant letters without marks, or none.
func refOnsetBefore(before string) bool {
	i := len(before)
	for i > 0 {
		c := before[i-1]
		switch c | 0x20 { // ASCII lower case; only A-Z and a-z map to a-z
		case 'b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'q', 'r', 's', 't', 'v', 'w', 'x', 'z':
			i--
			continue
		}
		if (c == 0x90 || c == 0x91) && i >= 2 && before[i-2] == 0xC4 { // Đ is C4 90, đ is C4 91
			i -= 2
			continue
		}
		break
	}
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(before[:i])
	return !refIsWordRune(r)
}

// refIsWordRune reports whether r belongs to a word: a letter, digit or combining mark.
func refIsWordRune(r rune) bool {
	_, word := refLowerWord(r)
	return word
}

// refLowerWord returns unicode.ToLower(r) and true when r is a letter, digit or combining mark,
// else r and false. It answers Vietnamese letters and marks without unicode's table searches
// (TestLowerWord checks it against them for every rune).
func refLowerWord(r rune) (rune, bool) {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r, true
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A', true
		}
		return r, false
	case 0xC0 <= r && r <= 0xDE && r != 0xD7: // À … Þ but ×
		return r + 0x20, true
	case 0xDF <= r && r <= 0xFF && r != 0xF7: // ß à … ÿ but ÷
		return r, true
	case 0x100 <= r && r <= 0x12F, 0x132 <= r && r <= 0x137, 0x1EA0 <= r && r <= 0x1EFF:
		// Pairs of upper case (even) and lower case (odd): Ā ā … Đ đ … Ķ ķ, Ạ ạ … Ỹ ỹ.
		return r | 1, true
	case r == 'Ơ':
		return 'ơ', true
	case r == 'Ư':
		return 'ư', true
	case r == 'ơ', r == 'ư':
		return r, true
	case 0x300 <= r && r <= 0x36F: // combining diacritical marks
		return r, true
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
		return unicode.ToLower(r), true
	}
	return r, false
}

// TitleKey returns the form of a headline used to recognise the same story across outlets:
// Normalize, lower case (Đ→đ), every run of punctuation, symbols and white space collapsed to one
// space, trimmed. Diacritics are kept ("Xăng" and "xang" differ). Letters and digits of any script stay.
// Precisely, TitleKey returns the words of s (see the package comment), lower-cased, joined by
// single spaces, in NFC; it returns s itself, without allocating, when s is already in that form.
func refTitleKey(s string) string {
	s = refNormalize(s)
	if refIsKey(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false   // a separator is pending between two words
	lowered := false // the previous rune was lower-cased
	recheck := false // a lower-cased rune was followed by a mark
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // the common case, without refLowerWord
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				lowered = false
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
				lowered = true
			default:
				space = b.Len() > 0
				lowered = false
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		l, word := refLowerWord(r)
		if !word {
			space = b.Len() > 0
			lowered = false
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if lowered && unicode.IsMark(r) {
			recheck = true
		}
		lowered = l != r
		b.WriteRune(l)
	}
	key := b.String()
	if recheck && !refIsNFC(key) {
		// Some upper-case letters followed by a mark have no precomposed form while their
		// lower case has: "J\u030C" is NFC, "j\u030C" is not, it composes to "ǰ". Lower-casing
		// cannot undo NFC otherwise (TestLowerKeepsNFC).
		key = refNormalize(key)
	}
	return key
}

// refIsKey reports whether the Normalize'd s is already what TitleKey returns.
func refIsKey(s string) bool {
	prevSpace := true // at the start a space is as wrong as after a space
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ':
				if prevSpace {
					return false
				}
				prevSpace = true
				continue
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
				prevSpace = false
				continue
			}
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if l, word := refLowerWord(r); !word || l != r {
			return false
		}
		prevSpace = false
	}
	return !prevSpace || len(s) == 0
}

// Fold returns s lower-cased with every diacritic removed and đ mapped to d ("Hồ Chí Minh" → "ho chi minh"),
// in NFC.
// Diacritics are the nonspacing marks (Unicode category Mn) of the canonical decomposition;
// Hangul syllables stay whole. Invalid UTF-8 bytes become U+FFFD. Fold returns s itself,

// SimHash returns the fingerprint of a headline and its lead (only the first
// refLeadWords words of lead are read). Shingles are pairs of consecutive words
// of TitleKey's form, so composition, tone placement, case and punctuation do
// not count. It returns 0 when there is no word at all.
func refSimHash(title, lead string) uint64 {
	var acc [64]int
	n := 0
	add := func(words []string, w int) {
		if len(words) == 1 {
			refAddFeature(&acc, words[0], w)
			n++
		}
		for i := 0; i+1 < len(words); i++ {
			refAddFeature(&acc, words[i]+" "+words[i+1], w)
			n++
		}
	}
	tw := strings.Fields(refTitleKey(title))
	add(tw, refTitleWeight)
	// The tag is recognised on the composed text: in NFD, "Ý" is a Y and a
	// combining accent, which is not an upper-case letter.
	lw := strings.Fields(refTitleKey(refLeadPrefix(refStripTag(refNormalize(lead)), refLeadWords)))
	add(lw, refLeadWeight)
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

// refStripTag removes the outlet's tag that starts many leads: "(PLO) - ",
// "TTO - ", "(NLĐO)–", "SGGPO – ". A tag is one upper-case word of at most
// eight letters, in parentheses or followed by a dash.
func refStripTag(lead string) string {
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

// refLeadPrefix returns the first n white-space separated words of s.
func refLeadPrefix(s string, n int) string {
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

func refAddFeature(acc *[64]int, f string, w int) {
	h := refFnv64a(f)
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

func refFnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
