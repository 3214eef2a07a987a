package vntext

import (
	"os"
	"strings"
	"testing"
)

// benchItem returns an item as the store sketches it: a headline of a dozen
// words and a lead of about 1.8 KB, the plain-text summary of four
// paragraphs of the seed article.
func benchItem(b *testing.B) (title, lead string) {
	b.Helper()
	data, err := os.ReadFile("testdata/hcm-truyen-thong-khong-gian-mang.txt")
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 5 {
		b.Fatalf("seed article has %d lines, want 5", len(lines))
	}
	title = strings.Join(strings.Fields(lines[0])[:12], " ")
	lead = strings.Join(lines[1:5], " ")
	return title, lead
}

func BenchmarkNewSketch(b *testing.B) {
	title, lead := benchItem(b)
	b.SetBytes(int64(len(title) + len(lead)))
	b.ReportAllocs()
	for b.Loop() {
		NewSketch(title, lead)
	}
}

// BenchmarkRefNewSketch measures the frozen reference (reference_sketch_test.go)
// on the same item, for comparison in one binary.
func BenchmarkRefNewSketch(b *testing.B) {
	title, lead := benchItem(b)
	b.SetBytes(int64(len(title) + len(lead)))
	b.ReportAllocs()
	for b.Loop() {
		refNewSketch(title, lead)
	}
}
