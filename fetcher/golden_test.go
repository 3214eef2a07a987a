package fetcher

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/plaintext"
	"github.com/pressfeed/pressfeed/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden runs every document in testdata/golden through the real fetch
// path (file://, decode, repair, parse, normalise) and compares the items
// with <case>.golden.json. Rewrite them with
// go test ./fetcher -run Golden -update, then read the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 6, 6, 12, 0, 0, 0, time.UTC)
	ran := 0
	for _, path := range files {
		if strings.HasSuffix(path, ".golden.json") {
			continue
		}
		ran++
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			abs, err := filepath.Abs(path)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Location: time.FixedZone("ICT", 7*3600), Now: func() time.Time { return now }}
			opts.setDefaults()
			res, err := fetch(context.Background(), &opts, Feed{Name: "golden", URL: "file://" + abs}, store.FeedState{})
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			for _, in := range res.Items {
				for _, s := range []string{in.Title, in.Summary, in.Content, in.Author, in.GUID, in.Link} {
					if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) || strings.ContainsFunc(s, func(r rune) bool { return !plaintext.IsXMLChar(r) }) {
						t.Errorf("string %q is not valid NFC XML text", s)
					}
				}
			}
			got, err := json.MarshalIndent(struct {
				Title string
				Items []store.Incoming
			}{res.Title, res.Items}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(path, filepath.Ext(path)) + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("items differ from %s (run with -update and read the diff):\n%s", golden, got)
			}
		})
	}
	if ran < 5 {
		t.Errorf("ran %d golden cases, want at least 5", ran)
	}
}
