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

// fixtureHub is the WebSub hub the golden documents advertise.
const fixtureHub = "https://pubsubhubbub.appspot.com/"

// renderFixture returns the three documents of output "all" for the fixture,
// as the first page or, with a query, the page it asks for.
func renderFixture(t *testing.T, query string) map[string][]byte {
	t.Helper()
	h, _, _ := newFixtureHandler(t, Options{WebSubHubs: []string{fixtureHub}})
	docs := make(map[string][]byte)
	for f := range numFormats {
		file := "all" + formats[f].ext
		w := get(h, http.MethodGet, "/feeds/"+file+query)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", file, w.Code, w.Body)
		}
		docs[file] = w.Body.Bytes()
	}
	return docs
}

func TestGolden(t *testing.T) {
	for file, got := range renderFixture(t, "") {
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
// PRESSFEED_PUBLISHER_OUT, for CI's independent validators, and the first
// page of ?limit=2 (with its next link) to the subfolder paged/, and a
// query no story matches to empty/.
func TestWriteFixtureOutputs(t *testing.T) {
	writeFixtureOutputs(t, "", "", fixtureN)
	writeFixtureOutputs(t, "?limit=2", "paged", 2)
	writeFixtureOutputs(t, "?q=kh%C3%B4ng+c%C3%B3+tin+n%C3%A0y", "empty", 0) // dated, authored, no entries
}

func writeFixtureOutputs(t *testing.T, query, sub string, entries int) {
	docs := renderFixture(t, query)
	dir := os.Getenv("PRESSFEED_PUBLISHER_OUT")
	if dir != "" && sub != "" {
		dir = filepath.Join(dir, sub)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
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
	if err := os.WriteFile(filepath.Join(dir, "expected-entries"), []byte(strconv.Itoa(entries)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
