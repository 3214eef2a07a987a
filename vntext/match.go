package vntext

import (
	"fmt"
	"strings"
)

// Keyword is a parsed include/exclude/query phrase.
// The zero Keyword has no words and matches nothing.
type Keyword struct {
	phrase string
	words  []keywordWord
}

// keywordWord is one word of a keyword, lower-cased and normalised.
type keywordWord struct {
	w string
	// folded is set when w equals Fold(w), as "ho" and "d" do but "chí" and "đ" do not;
	// w then matches the Fold of a text word, not the text word itself.
	folded bool
}

// ParseKeyword parses a phrase of one or more words. It fails, naming the phrase, when it holds no word.
// Words are found as in TitleKey, so "TP.HCM" is the two words "tp" and "hcm".
func ParseKeyword(phrase string) (Keyword, error) {
	key := TitleKey(phrase)
	if key == "" {
		return Keyword{}, fmt.Errorf("vntext: keyword %q holds no word", phrase)
	}
	words := make([]keywordWord, 0, strings.Count(key, " ")+1)
	for w := range strings.SplitSeq(key, " ") {
		words = append(words, keywordWord{w: w, folded: Fold(w) == w})
	}
	return Keyword{phrase: Normalize(phrase), words: words}, nil
}

// String returns the phrase as given, normalised with Normalize.
func (k Keyword) String() string { return k.phrase }

// Text is a text split into words once, for matching many keywords against it.
// The zero Text has no words.
type Text struct {
	words []textWord
}

// textWord is one word of a Text in the two forms a keyword word compares with.
type textWord struct {
	exact  string // lower-cased and normalised, as in TitleKey
	folded string // Fold(exact)
}

// Split returns the words of s (see the package comment), ready for Matches.
func Split(s string) Text {
	key := TitleKey(s)
	if key == "" {
		return Text{}
	}
	n := strings.Count(key, " ") + 1
	words := make([]textWord, n)
	// Fold works rune by rune, keeps spaces and maps no word rune to a space (TestFoldWordRunes),
	// so the folded key splits into as many words, in the same order; a word of marks only
	// folds to "". Folding the key at once costs one allocation however many words it holds.
	folded := key
	if !isASCII(key) { // lower-case ASCII is its own Fold
		folded = Fold(key)
	}
	for i := range words {
		words[i].exact, key, _ = strings.Cut(key, " ")
		words[i].folded, folded, _ = strings.Cut(folded, " ")
	}
	return Text{words: words}
}

// Matches reports whether k occurs in t as consecutive whole words, case-insensitively.
// A keyword word typed without diacritics matches that word with or without them
// ("ho chi minh" and "ho chí minh" both match "Hồ Chí Minh"; "d" matches "đ");
// a keyword word typed with diacritics matches only the same word with the same diacritics
// ("xăng" does not match "xang"), where NFC/NFD and old/new tone placement never matter.
func (k Keyword) Matches(t Text) bool {
	if len(k.words) == 0 {
		return false
	}
	for i := 0; i+len(k.words) <= len(t.words); i++ {
		if k.matchesAt(t.words[i : i+len(k.words)]) {
			return true
		}
	}
	return false
}

// matchesAt reports whether the words of k match ws, which is as long as k.words.
func (k Keyword) matchesAt(ws []textWord) bool {
	for j, kw := range k.words {
		w := ws[j].exact
		if kw.folded {
			w = ws[j].folded
		}
		if w != kw.w {
			return false
		}
	}
	return true
}
