package store

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/vntext"
)

// testMins returns story k's MinHash values: its own, so that two stories
// share a band only by chance.
func testMins(k int) vntext.Mins {
	var m vntext.Mins
	for j := range m {
		z := uint64(k)<<8 | uint64(j) + 0x9e3779b97f4a7c15 // splitmix64
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		m[j] = uint16(z ^ z>>31)
	}
	return m
}

var nearT0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// addTestStory adds story k to x, first seen and published k seconds
// after nearT0.
func addTestStory(x *nearIndex, k int) int {
	at := nearT0.Add(time.Duration(k) * time.Second)
	return x.add("pf:"+strconv.Itoa(k), "feed"+strconv.Itoa(k%3), at, at, testMins(k))
}

func storyOf(t *testing.T, c nearCand) int {
	t.Helper()
	k, err := strconv.Atoi(strings.TrimPrefix(c.id, "pf:"))
	if err != nil {
		t.Fatalf("candidate id %q", c.id)
	}
	return k
}

// TestNearIndexWindow: entries older than the window leave the index, and
// the chunks that held only them are dropped; a withdrawn entry is never
// a candidate; what is left is found.
func TestNearIndexWindow(t *testing.T) {
	const window, n = 1000, 5000
	x := newNearIndex(window * time.Second)
	for k := range n {
		if pos := addTestStory(x, k); pos != k {
			t.Fatalf("story %d at position %d", k, pos)
		}
	}
	if got := x.len(); got != window+1 {
		t.Errorf("len = %d, want %d (the stories within the window)", got, window+1)
	}
	if got, max := len(x.table.Load().chunks), window/nearChunkSize+2; got > max {
		t.Errorf("%d chunks for %d entries, want at most %d", got, x.len(), max)
	}
	x.withdraw(n - 2)
	for _, tc := range []struct {
		k    int
		want bool
	}{{n - 1, true}, {n - 2, false}, {n - window, true}, {n - window - 2, false}, {0, false}} {
		m := testMins(tc.k)
		cands := x.candidates("another", &m, 0, nearT0.Add(2*n*time.Second).UnixNano(), nil)
		found := len(cands) > 0 && storyOf(t, cands[0]) == tc.k && cands[0].agree == vntext.NearMins
		if found != tc.want {
			t.Errorf("story %d: found %v, want %v (candidates %v)", tc.k, found, tc.want, cands)
		}
	}
	m := testMins(n - 1)
	if cands := x.candidates("feed"+strconv.Itoa((n-1)%3), &m, 0, nearT0.Add(2*n*time.Second).UnixNano(), nil); len(cands) != 0 {
		t.Errorf("the story's own feed is a candidate: %v", cands)
	}
}

// TestNearIndexConcurrentLookups runs lookups beside the writer, as Add's
// read pass does (run it with -race): every story published before a
// lookup starts and still within the window is found, and every candidate
// is whole, its fields those its writer gave it.
func TestNearIndexConcurrentLookups(t *testing.T) {
	const window, n, readers = 1500, 6000, 4
	x := newNearIndex(window * time.Second)
	var published atomic.Int64 // stories 0 to published-1 are in the index
	var wg sync.WaitGroup
	wg.Go(func() {
		for k := range n {
			addTestStory(x, k)
			published.Store(int64(k + 1))
		}
	})
	var lookups, failures atomic.Int64
	for r := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for failures.Load() < 5 {
				last := int(published.Load()) - 1
				if last < 0 {
					continue
				}
				k := max(0, last-window/2+rng.IntN(window/2+1)) // within the window for a while yet
				m := testMins(k)
				cands := x.candidates("another", &m, 0, nearT0.Add(2*n*time.Second).UnixNano(), nil)
				lookups.Add(1)
				if len(cands) == 0 || storyOf(t, cands[0]) != k || cands[0].agree != vntext.NearMins {
					failures.Add(1)
					t.Errorf("story %d (of %d published) not found first: %v", k, last+1, cands)
				}
				for _, c := range cands {
					j := storyOf(t, c)
					mj := testMins(j)
					want := nearT0.Add(time.Duration(j) * time.Second).UnixNano()
					if c.published != want || c.seen != want || c.agree != vntext.Agreement(&m, &mj) {
						failures.Add(1)
						t.Errorf("candidate %d torn: published %d seen %d agree %d", j, c.published, c.seen, c.agree)
					}
				}
				if last == n-1 {
					return
				}
			}
		})
	}
	wg.Wait()
	if lookups.Load() < readers {
		t.Errorf("only %d lookups ran", lookups.Load())
	}
}
