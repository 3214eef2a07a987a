package corpustest

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// CP1258 encodes s as windows-1258 does: tone marks as combining
// characters after the base letter.
func CP1258(tb testing.TB, s string) []byte {
	tb.Helper()
	var b strings.Builder
	for _, r := range s {
		var base, tones []rune
		for _, m := range norm.NFD.String(string(r)) {
			switch m {
			case 0x300, 0x301, 0x303, 0x309, 0x323:
				tones = append(tones, m)
			default:
				base = append(base, m)
			}
		}
		b.WriteString(norm.NFC.String(string(base)))
		b.WriteString(string(tones))
	}
	out, err := charmap.Windows1258.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		tb.Fatalf("encode %q as windows-1258: %v", s, err)
	}
	return out
}

// SeedSentences returns the sentences (longer than 20 bytes) of the seed
// article at path (shared/seed beside the repository, named relative to
// the calling package's folder): press text for benchmarks.
func SeedSentences(tb testing.TB, path string) []string {
	tb.Helper()
	seed, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var sentences []string
	for _, line := range strings.Split(string(seed), "\n") {
		for _, s := range strings.SplitAfter(line, ". ") {
			if s = strings.TrimSpace(s); len(s) > 20 {
				sentences = append(sentences, s)
			}
		}
	}
	return sentences
}
