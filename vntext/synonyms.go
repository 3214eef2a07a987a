package vntext

import (
	_ "embed"
	"slices"
	"strings"
)

// synonymsText is the lexicon of editors' synonyms: one group a line,
// phrases joined by " | "; "#" starts a comment. See synonyms.txt.
//
//go:embed synonyms.txt
var synonymsText string

// synonymGroups maps the content words of a phrase of the lexicon (its
// canonical words without numbers and grammatical words, as phraseKey
// writes them) to the groups it belongs to.
var synonymGroups = parseSynonyms(synonymsText)

// spellings maps each word of the lexicon's groups of one-word spellings
// ("tỷ | tỉ", "quý | quí": words equal but for i and y) to the other
// spelling, so that a copy in the other outlet's spelling lacks no word.
var spellings = parseSpellings(synonymsText)

func parseSpellings(text string) map[uint32]uint32 {
	iy := strings.NewReplacer("y", "i", "ý", "í", "ỳ", "ì", "ỷ", "ỉ", "ỹ", "ĩ", "ỵ", "ị")
	out := map[uint32]uint32{}
	for line := range strings.Lines(text) {
		line, _, _ = strings.Cut(line, "#")
		ws := strings.Split(line, "|")
		if len(ws) != 2 {
			continue
		}
		x, y := strings.TrimSpace(ws[0]), strings.TrimSpace(ws[1])
		if x == y || strings.ContainsRune(x, ' ') || strings.ContainsRune(y, ' ') || iy.Replace(x) != iy.Replace(y) {
			continue
		}
		out[wordHash(x)], out[wordHash(y)] = wordHash(y), wordHash(x)
	}
	return out
}

// maxSynonymWords is the most content words a phrase of the lexicon has.
const maxSynonymWords = 4

func parseSynonyms(text string) map[string][]int {
	groups := map[string][]int{}
	g := 0
	for line := range strings.Lines(text) {
		line, _, _ = strings.Cut(line, "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		for p := range strings.SplitSeq(line, "|") {
			rest := phraseWords(p)
			if len(rest) == 0 || len(rest) > maxSynonymWords {
				continue // grammar already, or too long to be a swap
			}
			var buf [3 * maxSynonymWords]byte
			k := string(phraseKey(&buf, rest))
			if !slices.Contains(groups[k], g) {
				groups[k] = append(groups[k], g)
			}
		}
		g++
	}
	return groups
}

// phraseWords returns the canonical words of phrase p that are neither
// grammatical nor numbers: what a hunk's residue holds where p was written.
func phraseWords(p string) []uint32 {
	var r wordReader
	r.reset(p, false)
	ws := r.canonical(nil, maxSynonymWords+8)
	seq := make([]uint32, len(ws))
	for i, t := range ws {
		seq[i] = t.h
	}
	gram := grammatical(seq)
	var rest []uint32
	for i, t := range ws {
		if !gram[i] && !t.number {
			rest = append(rest, t.h)
		}
	}
	return rest
}

// phraseKey writes the word hashes of ws (at most maxSynonymWords) into
// buf, as the key of synonymGroups.
func phraseKey(buf *[3 * maxSynonymWords]byte, ws []uint32) []byte {
	b := buf[:0]
	for _, w := range ws {
		b = append(b, byte(w), byte(w>>8), byte(w>>16))
	}
	return b
}

// lexiconSwap reports whether a hunk (runs xs of a's lead and ys of b's,
// gx and gy marking their grammatical words) replaces words with their
// synonyms in the lexicon: it states no other fact even where a synonym
// also reads as a name or a subject word ("qua đời" / "từ trần", where
// "Trần" is a name too).
func lexiconSwap(xs []uint32, gx []bool, ys []uint32, gy []bool, a, b *Sketch) bool {
	rx, ry := residue(xs, gx, a), residue(ys, gy, b)
	return len(rx) > 0 && len(ry) > 0 && swaps(rx, ry, 0)
}

// residue returns the words of run that are neither grammatical nor
// numbers.
func residue(run []uint32, gram []bool, s *Sketch) []uint32 {
	var out []uint32
	for i, w := range run {
		if !gram[i] && s.flagsOf(w)&wordNumber == 0 {
			out = append(out, w)
		}
	}
	return out
}

// swaps reports whether x and y split into the same number of pieces,
// each piece of x the same word as its piece of y or a phrase of one of
// its groups. depth bounds the work on long runs.
func swaps(x, y []uint32, depth int) bool {
	if len(x) == 0 || len(y) == 0 {
		return len(x) == len(y)
	}
	if depth > 8 {
		return false
	}
	if x[0] == y[0] && swaps(x[1:], y[1:], depth+1) {
		return true
	}
	var buf [3 * maxSynonymWords]byte
	for a := 1; a <= min(len(x), maxSynonymWords); a++ {
		gx := synonymGroups[string(phraseKey(&buf, x[:a]))]
		if len(gx) == 0 {
			continue
		}
		for b := 1; b <= min(len(y), maxSynonymWords); b++ {
			gy := synonymGroups[string(phraseKey(&buf, y[:b]))]
			if slices.ContainsFunc(gx, func(g int) bool { return slices.Contains(gy, g) }) &&
				swaps(x[a:], y[b:], depth+1) {
				return true
			}
		}
	}
	return false
}
