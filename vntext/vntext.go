// Package vntext normalises Vietnamese text for comparison and keyword matching.
//
// Its invariants, relied on by cross-outlet dedup (title keys are stored as dedup keys) and by
// keyword filters:
//
//   - Normalize, TitleKey and Fold return valid UTF-8, and are idempotent.
//   - Normalize and TitleKey return NFC, with the tone mark of a syllable ending in
//     "oa", "oe" or "uy" on the second vowel ("hoà", "khoẻ", "thuỷ").
//   - A word is a maximal run of letters, digits and combining marks; everything else
//     separates words. TitleKey, Split and ParseKeyword all use this rule.
//
// Changing what Normalize or TitleKey return changes stored dedup keys, so the same story
// fetched before and after the change would no longer be recognised.
package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in Unicode NFC with Vietnamese tone marks placed one way,
// so that the old and new placements ("hoà"/"hòa", "thuỷ"/"thủy", "khoẻ"/"khỏe") compare equal.
// Case is kept. Invalid UTF-8 bytes become U+FFFD, one per byte.
// Normalize returns s itself, without allocating, when s is already normalised.
func Normalize(s string) string {
	if isASCII(s) {
		return s // ASCII is NFC and holds no tone mark
	}
	if !isLatinNFC(s) {
		// NFC.String returns s itself when its quick check finds s in NFC. When the check
		// cannot tell, composing s at once costs less than asking whether it is in NFC first
		// (isNFC), and NFC text comes back the same, so s itself is kept.
		s = validUTF8(s)
		if t := norm.NFC.String(s); t != s {
			s = t
		}
	}
	return moveTones(s)
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isLatinNFC reports whether s is valid UTF-8 made of runes that are each in NFC and cannot
// combine with the rune before them (TestIsLatinNFC), so that s is in NFC. It is a quick check
// for Vietnamese in NFC: ASCII, Latin-1, Latin Extended-A, ơ ư, the Vietnamese letters with two
// marks and general punctuation (“ ” – …). It is several times faster than isNFC.
func isLatinNFC(s string) bool {
	// The runes are matched on their UTF-8 bytes, without decoding them
	// (TestIsLatinNFCReference checks every rune and every short byte string).
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		switch {
		case 0xC2 <= c && c <= 0xC6: // U+0080 … U+01BF
			if i+1 >= len(s) {
				return false
			}
			c1 := s[i+1]
			switch c {
			case 0xC2: // U+00A0 … U+00BF
				if c1 < 0xA0 || c1 > 0xBF {
					return false
				}
			case 0xC6: // Ơ ơ Ư ư
				if c1 != 0xA0 && c1 != 0xA1 && c1 != 0xAF && c1 != 0xB0 {
					return false
				}
			default: // U+00C0 … U+017F
				if c1 < 0x80 || c1 > 0xBF {
					return false
				}
			}
			i += 2
		case c == 0xE1 || c == 0xE2:
			if i+2 >= len(s) {
				return false
			}
			c1, c2 := s[i+1], s[i+2]
			if c2 < 0x80 || c2 > 0xBF {
				return false
			}
			var ok bool
			if c == 0xE1 {
				ok = c1 == 0xBA && c2 >= 0xA0 || c1 == 0xBB && c2 <= 0xB9 // U+1EA0 … U+1EF9
			} else {
				ok = c1 == 0x80 && (0x90 <= c2 && c2 <= 0xA7 || 0xB0 <= c2) || // U+2010 … U+2027, U+2030 … U+203F
					c1 == 0x81 && c2 <= 0x9E // U+2040 … U+205E
			}
			if !ok {
				return false
			}
			i += 3
		default:
			return false // including invalid UTF-8
		}
	}
	return true
}

// isNFC reports whether s is in NFC. Unlike norm.NFC.IsNormalString, it does not allocate
// when the quick check answers, as it does for Vietnamese in NFC.
func isNFC(s string) bool {
	return norm.NFC.QuickSpanString(s) == len(s) || norm.NFC.IsNormalString(s)
}

// validUTF8 returns s with each byte that is not part of valid UTF-8 replaced by U+FFFD,
// the same as ranging over s does.
func validUTF8(s string) string {
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

// moveTones returns the valid NFC text s with the tone mark of every syllable that is an onset
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
func moveTones(s string) string {
	var b strings.Builder // empty until a mark moves
	done := 0             // s[:done] has been written to b
	// A mark moves only from a rune just before an a, e or y (either case), so the scan looks
	// for those bytes after a non-ASCII byte and decodes only the rune before them.
	for i := 1; i < len(s); i++ {
		if c := s[i] | 0x20; c != 'a' && c != 'e' && c != 'y' || s[i-1] < utf8.RuneSelf {
			continue
		}
		r, size := utf8.DecodeLastRuneInString(s[:i])
		start := i - size
		x, tone := splitTone(r)
		if !isPair(x, s[i:]) || !wordEnds(s[i+1:]) || !onsetBefore(s[:start]) {
			continue
		}
		if done == 0 {
			b.Grow(len(s) + 8)
		}
		b.WriteString(s[done:start])
		b.WriteByte(x)
		b.WriteRune(withTone(s[i], tone))
		done = i + 1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// The tone marks, in the order of the arrays in splitTone and withTone.
const (
	grave     = iota // U+0300, dấu huyền
	acute            // U+0301, dấu sắc
	tilde            // U+0303, dấu ngã
	hookAbove        // U+0309, dấu hỏi
	dotBelow         // U+0323, dấu nặng
)

// splitTone returns the base letter and the tone mark of r when r is o, O, u or U with one tone
// mark and no other mark (ò ó õ ỏ ọ ù ú ũ ủ ụ and their upper case); otherwise base is 0.
func splitTone(r rune) (base byte, tone int) {
	switch r {
	case 'ò', 'Ò', 'ù', 'Ù':
		tone = grave
	case 'ó', 'Ó', 'ú', 'Ú':
		tone = acute
	case 'õ', 'Õ', 'ũ', 'Ũ':
		tone = tilde
	case 'ỏ', 'Ỏ', 'ủ', 'Ủ':
		tone = hookAbove
	case 'ọ', 'Ọ', 'ụ', 'Ụ':
		tone = dotBelow
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

// withTone returns the precomposed second vowel v (a, e or y, either case) with the tone mark.
func withTone(v byte, tone int) rune {
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

// isPair reports whether the first vowel x (o, O, u, U or 0), followed by the text rest, starts
// "oa", "oe" or "uy" in either case.
func isPair(x byte, rest string) bool {
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

// wordEnds reports whether the text rest, after the pair, starts with the end of the word.
func wordEnds(rest string) bool {
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !isWordRune(r)
}

// onsetBefore reports whether the text before the pair ends with a word start followed by
// consonant letters without marks, or none.
func onsetBefore(before string) bool {
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
	return !isWordRune(r)
}

// isWordRune reports whether r belongs to a word: a letter, digit or combining mark.
func isWordRune(r rune) bool {
	_, word := lowerWord(r)
	return word
}

// lowerWord returns unicode.ToLower(r) and true when r is a letter, digit or combining mark,
// else r and false. It answers Vietnamese letters and marks without unicode's table searches
// (TestLowerWord checks it against them for every rune).
func lowerWord(r rune) (rune, bool) {
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
	case 0x14A <= r && r <= 0x177:
		// Pairs of upper case (even) and lower case (odd): Ŋ ŋ … Ũ ũ … Ŷ ŷ.
		return r | 1, true
	case 0x139 <= r && r <= 0x148, 0x179 <= r && r <= 0x17E:
		// Pairs of upper case (odd) and lower case (even): Ĺ ĺ … Ň ň, Ź ź … Ž ž.
		return (r + 1) &^ 1, true
	case r == 'Ơ':
		return 'ơ', true
	case r == 'Ư':
		return 'ư', true
	case r == 'ơ', r == 'ư':
		return r, true
	case 0x300 <= r && r <= 0x36F: // combining diacritical marks
		return r, true
	case 0x2000 <= r && r <= 0x206F: // general punctuation: spaces, dashes, quotes, format characters
		return r, false
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
func TitleKey(s string) string {
	s = Normalize(s)
	if isKey(s) {
		return s
	}
	key, recheck := appendKey(make([]byte, 0, len(s)), s)
	if len(key) == 0 {
		return ""
	}
	k := unsafe.String(unsafe.SliceData(key), len(key)) // key is not written again: one allocation
	if recheck && !isNFC(k) {
		// Some upper-case letters followed by a mark have no precomposed form while their
		// lower case has: "J\u030C" is NFC, "j\u030C" is not, it composes to "ǰ". Lower-casing
		// cannot undo NFC otherwise (TestLowerKeepsNFC).
		k = Normalize(k)
	}
	return k
}

// appendKey appends to the empty slice key the words of the Normalize'd s lower-cased and
// joined by single spaces, which is TitleKey(s) unless recheck is set: then the key may have
// to be normalised again.
func appendKey(key []byte, s string) (_ []byte, recheck bool) {
	space := false   // a separator is pending between two words
	lowered := false // the previous rune was lower-cased
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // the common case, without lowerWord
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				lowered = false
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
				lowered = true
			default:
				space = len(key) > 0
				lowered = false
				continue
			}
			if space {
				key = append(key, ' ')
				space = false
			}
			key = append(key, c)
			continue
		}
		if c, l, lower, ok := lowerLatin(s[i:]); ok { // the common Vietnamese letters
			if space {
				key = append(key, ' ')
				space = false
			}
			key = append(key, c, l)
			i += 2
			lowered = lower
			continue
		}
		if c := s[i]; c == 0xE1 && i+2 < len(s) && (s[i+1] == 0xBA || s[i+1] == 0xBB) {
			// U+1E80 … U+1EFF; the Vietnamese letters from U+1EA0 on are pairs of upper case
			// (even) and lower case (odd), so lower-casing sets the low bit (lowerWord).
			if c2 := s[i+2]; c2 <= 0xBF && (s[i+1] == 0xBB && c2 >= 0x80 || c2 >= 0xA0) {
				if space {
					key = append(key, ' ')
					space = false
				}
				key = append(key, 0xE1, s[i+1], c2|1)
				i += 3
				lowered = c2&1 == 0
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		l, word := lowerWord(r)
		if !word {
			space = len(key) > 0
			lowered = false
			continue
		}
		if space {
			key = append(key, ' ')
			space = false
		}
		if lowered && unicode.IsMark(r) {
			recheck = true
		}
		lowered = l != r
		key = utf8.AppendRune(key, l)
	}
	return key, recheck
}

// lowerLatin returns, when s starts with a two-byte letter of Latin-1, Latin Extended-A, ơ or
// ư, the UTF-8 of its lower case c, l (always two bytes), whether lower-casing changed it, and ok.
// For other text ok is false. It is lowerWord for these letters, without decoding
// (TestLowerLatin).
func lowerLatin(s string) (c, l byte, lower, ok bool) {
	if len(s) < 2 {
		return 0, 0, false, false
	}
	c, l = s[0], s[1]
	if l < 0x80 || l > 0xBF {
		return 0, 0, false, false
	}
	switch c {
	case 0xC3: // U+00C0 … U+00FF
		switch {
		case l == 0x97 || l == 0xB7: // × ÷
			return 0, 0, false, false
		case l <= 0x9E: // À … Þ
			return c, l + 0x20, true, true
		}
		return c, l, false, true // ß à … ÿ
	case 0xC4: // U+0100 … U+013F
		if l <= 0xAF || 0xB2 <= l && l <= 0xB7 { // Ā ā … Đ đ … Į į, Ĳ ĳ … Ķ ķ
			return c, l | 1, l&1 == 0, true
		}
	case 0xC6:
		switch l {
		case 0xA0, 0xAF: // Ơ Ư
			return c, l + 1, true, true
		case 0xA1, 0xB0: // ơ ư
			return c, l, false, true
		}
	}
	return 0, 0, false, false
}

// isKey reports whether the Normalize'd s is already what TitleKey returns.
func isKey(s string) bool {
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
		prevSpace = false
		if _, _, lower, ok := lowerLatin(s[i:]); ok { // the common Vietnamese letters
			if lower {
				return false
			}
			i += 2
			continue
		}
		if c == 0xE1 && i+2 < len(s) && s[i+2] <= 0xBF &&
			(s[i+1] == 0xBA && s[i+2] >= 0xA0 || s[i+1] == 0xBB && s[i+2] >= 0x80) {
			// U+1EA0 … U+1EFF, Vietnamese letters in pairs of upper case (even) and lower
			// case (odd), as in appendKey.
			if s[i+2]&1 == 0 {
				return false
			}
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if l, word := lowerWord(r); !word || l != r {
			return false
		}
	}
	return !prevSpace || len(s) == 0
}

// Fold returns s lower-cased with every diacritic removed and đ mapped to d ("Hồ Chí Minh" → "ho chi minh"),
// in NFC.
// Diacritics are the nonspacing marks (Unicode category Mn) of the canonical decomposition;
// Hangul syllables stay whole. Invalid UTF-8 bytes become U+FFFD. Fold returns s itself,
// without allocating, when s is ASCII without upper case.
func Fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	writeFold(&b, s)
	out := b.String()
	if !isASCII(out) {
		// Decomposing a letter of another script (Balinese ᭁ = ᬿ + ᬵ)
		// leaves it decomposed: compose again, so that Fold's result is
		// NFC like every other string compared with it.
		out = norm.NFC.String(out)
	}
	return out
}

// writeFold writes Fold(s) to b.
func writeFold(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if c := foldLatin(r); c != 0 {
			b.WriteByte(c)
			i += size
			continue
		}
		// Decomposition is the full canonical decomposition, or nil, as for Hangul syllables,
		// whose jamo are letters and so are better kept composed.
		if d := norm.NFD.PropertiesString(s[i:]).Decomposition(); d != nil {
			for len(d) > 0 {
				r, n := utf8.DecodeRune(d)
				d = d[n:]
				writeFoldRune(b, r)
			}
		} else {
			writeFoldRune(b, r)
		}
		i += size
	}
}

// foldLatin returns Fold(string(r)) when that is one ASCII letter and r is a Latin letter
// (Latin-1, Latin Extended-A, ơ, ư, the Vietnamese letters with two marks), else 0.
// It saves writeFold a decomposition for most Vietnamese letters (TestFoldRunes).
func foldLatin(r rune) byte {
	const (
		latin      = "aaaaaa.ceeeeiiii.nooooo..uuuuy..aaaaaa.ceeeeiiii.nooooo..uuuuy.yaaaaaaccccccccddddeeeeeeeeeegggggggghh..iiiiiiiii...jjkk.llllll....nnnnnn...oooooo..rrrrrrsssssssstttt..uuuuuuuuuuuuwwyyyzzzzzz."
		vietnamese = "aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy"
	)
	var c byte
	switch {
	case 0xC0 <= r && r <= 0x17F:
		c = latin[r-0xC0] // '.': no single ASCII letter
	case 0x1EA0 <= r && r <= 0x1EF9:
		c = vietnamese[r-0x1EA0]
	case r == 'Ơ', r == 'ơ':
		c = 'o'
	case r == 'Ư', r == 'ư':
		c = 'u'
	}
	if c == '.' {
		return 0
	}
	return c
}

// writeFoldRune writes r to b lower-cased, with đ mapped to d, unless r is a nonspacing mark.
func writeFoldRune(b *strings.Builder, r rune) {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteByte(byte(r))
		return
	case 0x300 <= r && r <= 0x36F: // combining diacritical marks, all Mn
		return
	}
	r = unicode.ToLower(r)
	switch {
	case r == 'đ':
		b.WriteByte('d')
	case !unicode.Is(unicode.Mn, r):
		b.WriteRune(r)
	}
}
