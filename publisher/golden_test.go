package publisher

import (
	"bytes"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// renderFixture returns the three documents of output "all" for the fixture.
func renderFixture(t *testing.T) map[string][]byte {
	t.Helper()
	h, _, _ := newFixtureHandler(t, Options{})
	docs := make(map[string][]byte)
	for f := range numFormats {
		file := "all" + formats[f].ext
		w := get(h, http.MethodGet, "/feeds/"+file)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", file, w.Code, w.Body)
		}
		docs[file] = w.Body.Bytes()
	}
	return docs
}

func TestGolden(t *testing.T) {
	for file, got := range renderFixture(t) {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./publisher -run Golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (rewrite with -update and read the diff):\n%s", file, path, got)
			}
		})
	}
}

// TestWriteFixtureOutputs writes the fixture documents to the folder named by
// PRESSFEED_PUBLISHER_OUT, for CI's independent validators.
func TestWriteFixtureOutputs(t *testing.T) {
	docs := renderFixture(t)
	dir := os.Getenv("PRESSFEED_PUBLISHER_OUT")
	for file, body := range docs {
		if len(body) == 0 {
			t.Errorf("%s is empty", file)
		}
		if dir == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, file), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if dir == "" {
		t.Log("PRESSFEED_PUBLISHER_OUT unset: documents rendered, not written")
		return
	}
	// The validators check every document carries exactly the fixture's stories.
	if err := os.WriteFile(filepath.Join(dir, "expected-entries"), []byte(strconv.Itoa(fixtureN)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
