package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// heldWriter is a Writer runner with one slot, as the daemon's
// cpu.RunWriter: a test takes the slot to stand for a transaction in
// progress, so that writes queue behind it.
type heldWriter struct{ slot chan struct{} }

func newHeldWriter() *heldWriter { return &heldWriter{slot: make(chan struct{}, 1)} }

func (w *heldWriter) run(ctx context.Context, f func()) error {
	select {
	case w.slot <- struct{}{}:
		defer func() { <-w.slot }()
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	f()
	return nil
}

func (w *heldWriter) hold()    { w.slot <- struct{}{} }
func (w *heldWriter) release() { <-w.slot }

// waitQueued waits until n writes wait in db's queue.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for i := 0; ; i++ {
		db.commits.mu.Lock()
		got := len(db.commits.queue)
		db.commits.mu.Unlock()
		if got == n {
			return
		}
		if i == 10000 {
			t.Fatalf("%d writes queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommitDedup checks that feeds bringing the same story in one
// shared transaction make one story, whatever the order the transaction
// runs them in: same link, same title, near copy.
func TestGroupCommitDedup(t *testing.T) {
	items := map[string][]Incoming{
		"a": {
			incoming("Hà Nội thông xe cầu Tứ Liên sau ba năm thi công", "a1", "https://tin.example/cau-tu-lien", t0),
			incoming("Giá vàng trong nước tăng mạnh phiên sáng nay", "a2", "https://a.example/vang", t0.Add(10*time.Minute)),
			wire(wireTitle, wireLead, "a3", "https://a.example/xang", t0.Add(20*time.Minute)),
		},
		"b": {incoming("Cầu Tứ Liên chính thức thông xe", "b1", "https://tin.example/cau-tu-lien", t0.Add(30*time.Minute))},
		"c": {incoming("Giá vàng trong nước tăng mạnh phiên sáng nay", "c1", "https://c.example/vang", t0.Add(40*time.Minute))},
		"d": {wire("Giá xăng RON 95 giảm 500 đồng/lít từ 15h chiều nay", wireLead, "d1", "https://d.example/xang", t0.Add(50*time.Minute))},
	}
	want := map[string]string{"b": MergedLink, "c": MergedTitle, "d": MergedNear} // the copy's feed → rule
	orders := [][]string{{"a", "b", "c", "d"}, {"d", "c", "b", "a"}, {"b", "a", "d", "c"}, {"c", "d", "a", "b"}}
	for _, feeds := range orders {
		t.Run(strings.Join(feeds, ""), func(t *testing.T) {
			w := newHeldWriter()
			db, _ := openTest(t, Options{Now: (&clock{t0.Add(time.Hour)}).Now, NearDuplicates: true, Writer: w.run})
			before := commits(t, db)
			w.hold()
			res := make([]Result, len(feeds))
			errs := make([]error, len(feeds))
			var wg sync.WaitGroup
			for i, f := range feeds {
				wg.Go(func() { res[i], errs[i] = db.Add(context.Background(), f, items[f], nil) })
				waitQueued(t, db, i+1) // the transaction runs them in this order, but for the first
			}
			w.release()
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if got := commits(t, db) - before; got != 1 {
				t.Errorf("%d commits for 4 queued Adds, want 1", got)
			}
			var sum Result
			for _, r := range res {
				sum.Added += r.Added
				sum.Merged += r.Merged
				sum.Known += r.Known
			}
			if sum.Added != 3 || sum.Merged != 3 || sum.Known != 0 {
				t.Errorf("Adds = %+v, together %+v; want 3 added, 3 merged", res, sum)
			}
			stories, err := db.Latest(context.Background(), 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(stories) != 3 {
				t.Fatalf("%d stories, want 3: %+v", len(stories), stories)
			}
			for _, s := range stories {
				// a's copies are published first: a leads, whichever came first.
				if len(s.Members) != 2 || s.Leader() != "a" {
					t.Errorf("story %q: members %+v, want a leading and one copy", s.Title, s.Members)
					continue
				}
				cp := s.Members[1].Feed
				bys := []string{s.Members[0].By, s.Members[1].By}
				slices.Sort(bys)
				if wantBys := []string{MergedFirst, want[cp]}; !slices.Equal(bys, slices.Sorted(slices.Values(wantBys))) {
					t.Errorf("story %q: members %+v, want %s's copy merged by %s", s.Title, s.Members, cp, want[cp])
				}
			}
		})
	}
}

// liveNear returns the IDs of the live entries of x, sorted.
func liveNear(x *nearIndex) []string {
	var ids []string
	t := x.table.Load()
	for p := int(x.base.Load()); p < int(x.next.Load()); p++ {
		if e := t.entry(p); !e.dead.Load() {
			ids = append(ids, e.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// checkNear fails unless the live entries of db's near index are those a
// rebuild from the file makes, each once.
func checkNear(t *testing.T, db *DB) {
	t.Helper()
	if db.nearReady != nil {
		<-db.nearReady // Open rebuilds the index in the background
	}
	fresh := newNearIndex(db.opts.TitleWindow)
	if err := db.bolt.View(func(tx *bolt.Tx) error { return fresh.load(tx, db.opts.Now()) }); err != nil {
		t.Fatal(err)
	}
	if got, want := liveNear(db.near), liveNear(fresh); !slices.Equal(got, want) {
		t.Errorf("near index has %q; the file %q", got, want)
	}
}

var errBoom = errors.New("boom")

// distinctItems returns n items of feed, each its own story: their words
// are drawn at random (seeded by feed), so that no two are near copies.
func distinctItems(feed string, n int, start time.Time) []Incoming {
	words := strings.Fields("giá vàng xăng dầu cầu đường sân bay bệnh viện trường học bóng đá mưa bão lũ lụt " +
		"chứng khoán ngân hàng lãi suất xuất khẩu gạo cà phê du lịch biển đảo điện gió nhà ở chung cư " +
		"thuế phí giao thông tàu điện học sinh thi cử nông dân thủy sản rừng cháy động đất")
	seed := uint64(len(feed))
	for _, c := range feed {
		seed = seed*31 + uint64(c)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	pick := func(k int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = words[r.IntN(len(words))]
		}
		return strings.Join(out, " ")
	}
	items := make([]Incoming, n)
	for i := range items {
		title := pick(10)
		link := fmt.Sprintf("https://%s.example/%d", feed, i)
		items[i] = wire(title, pick(30), link, link, start.Add(time.Duration(i)*time.Minute))
	}
	return items
}

// TestGroupCommitFailure checks that a write that fails in a shared
// transaction fails alone: the others are committed as if it had not
// been there, and the near index keeps no entry of the failed transaction.
func TestGroupCommitFailure(t *testing.T) {
	ctx := context.Background()
	w := newHeldWriter()
	db, _ := openTest(t, Options{Now: (&clock{t0.Add(time.Hour)}).Now, NearDuplicates: true, Writer: w.run})
	ref, _ := openTest(t, Options{Now: (&clock{t0.Add(time.Hour)}).Now, NearDuplicates: true})
	a, b := distinctItems("bao-a", 3, t0), distinctItems("bao-b", 3, t0.Add(time.Hour))
	states := map[string]FeedState{"bao-c": {ETag: `"c1"`}}
	before := commits(t, db)
	w.hold()
	var wg sync.WaitGroup
	var ra, rb Result
	var errA, errB, errS, errBad error
	undone := 0
	wg.Go(func() { ra, errA = db.Add(ctx, "bao-a", a, nil) })
	waitQueued(t, db, 1)
	wg.Go(func() {
		errBad = db.write(ctx, func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketMeta).Put([]byte("bad"), []byte("1")); err != nil {
				return err
			}
			return errBoom
		}, func() { undone++ })
	})
	waitQueued(t, db, 2)
	wg.Go(func() { rb, errB = db.Add(ctx, "bao-b", b, nil) })
	wg.Go(func() { errS = db.SaveStates(ctx, states) })
	waitQueued(t, db, 4)
	w.release()
	wg.Wait()

	if errA != nil || errB != nil || errS != nil || !errors.Is(errBad, errBoom) {
		t.Fatalf("errors %v, %v, %v, %v; want nil but for the failing write", errA, errB, errS, errBad)
	}
	if ra.Added != 3 || rb.Added != 3 {
		t.Errorf("Adds = %+v, %+v; want 3 added each", ra, rb)
	}
	// The batch rolled back, then each ran alone: three commits.
	if got := commits(t, db) - before; got != 3 {
		t.Errorf("%d commits, want 3", got)
	}
	if undone != 2 {
		t.Errorf("failing write undone %d times, want 2 (in the batch, then alone)", undone)
	}
	mustAdd(t, ref, "bao-a", a...)
	mustAdd(t, ref, "bao-b", b...)
	diffEntries(t, entries(t, db, ""), entries(t, ref, ""))
	got, err := db.FeedStates(ctx)
	if err != nil || len(got) != 1 || got["bao-c"].ETag != `"c1"` {
		t.Errorf("states = %+v, %v; want bao-c's", got, err)
	}
	checkNear(t, db)
	checkTail(t, db)
	// The index still finds the stories: a copy merges.
	for _, orig := range []Incoming{a[1], b[2]} {
		cp := wire("Tin nóng: "+orig.Title, orig.Summary, "x-"+orig.GUID, "https://x.example/"+orig.GUID, orig.Published.Add(time.Hour))
		if r := mustAdd(t, db, "bao-x", cp); r.Merged != 1 {
			t.Errorf("near copy of %q after the failed batch: %+v, want merged", orig.Title, r)
		}
	}
}

// TestGroupCommitOrder checks that a shared transaction runs the write of
// the caller that got the writer first, then the others in the order they
// came, each seeing the writes before it.
func TestGroupCommitOrder(t *testing.T) {
	w := newHeldWriter()
	db, _ := openTest(t, Options{Now: (&clock{t0}).Now, Writer: w.run})
	key := []byte("seq")
	seen := make([]string, 5)
	w.hold()
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			err := db.write(context.Background(), func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketMeta)
				seen[i] = string(b.Get(key))
				return b.Put(key, fmt.Appendf([]byte(seen[i]), "%d", i))
			}, nil)
			if err != nil {
				t.Error(err)
			}
		})
		waitQueued(t, db, i+1)
	}
	before := commits(t, db)
	w.release()
	wg.Wait()
	if got := commits(t, db) - before; got != 1 {
		t.Errorf("%d commits for 5 queued writes, want 1", got)
	}
	var final string
	if err := db.bolt.View(func(tx *bolt.Tx) error { final = string(tx.Bucket(bucketMeta).Get(key)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(final) != 5 {
		t.Fatalf("sequence %q, want each write once", final)
	}
	first := final[0]
	if rest := strings.ReplaceAll("01234", string(first), ""); final[1:] != rest {
		t.Errorf("sequence %q, want %c then the others in order", final, first)
	}
	for i, s := range seen {
		if want := final[:strings.IndexByte(final, byte('0'+i))]; s != want {
			t.Errorf("write %d saw %q, want %q", i, s, want)
		}
	}
}

// TestGroupCommitCancel checks that a write whose context ends while it is
// queued returns the context's error and writes nothing, with the daemon's
// kind of Writer and with none; and that a write a transaction has taken
// is written and waited for, whatever its context.
func TestGroupCommitCancel(t *testing.T) {
	type holder struct{ hold, release func() }
	tests := []struct {
		name string
		open func(t *testing.T) (*DB, holder)
	}{
		{"writer slot", func(t *testing.T) (*DB, holder) {
			w := newHeldWriter()
			db, _ := openTest(t, Options{Now: (&clock{t0}).Now, Writer: w.run})
			return db, holder{w.hold, w.release}
		}},
		{"nil writer, a transaction in progress", func(t *testing.T) (*DB, holder) {
			db, _ := openTest(t, Options{Now: (&clock{t0}).Now})
			proceed, inTx, done := make(chan struct{}), make(chan struct{}), make(chan error)
			hold := func() {
				go func() {
					done <- db.write(context.Background(), func(*bolt.Tx) error { close(inTx); <-proceed; return nil }, nil)
				}()
				<-inTx
			}
			release := func() {
				close(proceed)
				if err := <-done; err != nil {
					t.Error(err)
				}
			}
			return db, holder{hold, release}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, h := tt.open(t)
			h.hold()
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 2)
			go func() {
				_, err := db.Add(ctx, "bao-a", realisticItems("bao-a", 2, t0), nil)
				errc <- err
			}()
			go func() { errc <- db.SaveStates(ctx, map[string]FeedState{"bao-a": {ETag: `"1"`}}) }()
			waitQueued(t, db, 2)
			cancel()
			for range 2 {
				if err := <-errc; !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled while queued: %v, want %v", err, context.Canceled)
				}
			}
			waitQueued(t, db, 0)
			before := commits(t, db)
			h.release()
			n, err := db.Count()
			states, serr := db.FeedStates(context.Background())
			if err != nil || serr != nil || n != 0 || len(states) != 0 {
				t.Errorf("after cancelled writes: %d items, states %v (%v, %v); want none", n, states, err, serr)
			}
			if got := commits(t, db) - before; got > 1 {
				t.Errorf("%d commits after the cancelled writes, want at most the holder's", got)
			}
		})
	}
}

// TestGroupCommitCancelTaken checks that a caller whose context ends while
// the transaction holding its write runs gets that transaction's outcome.
func TestGroupCommitCancelTaken(t *testing.T) {
	w := newHeldWriter()
	db, _ := openTest(t, Options{Now: (&clock{t0}).Now, Writer: w.run})
	w.hold()
	inTx, proceed := make(chan struct{}), make(chan struct{})
	blocker := make(chan error)
	go func() {
		blocker <- db.write(context.Background(), func(*bolt.Tx) error { close(inTx); <-proceed; return nil }, nil)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	added := make(chan error)
	go func() {
		r, err := db.Add(ctx, "bao-a", realisticItems("bao-a", 2, t0), nil)
		if err == nil && r.Added != 2 {
			err = fmt.Errorf("added %d, want 2", r.Added)
		}
		added <- err
	}()
	waitQueued(t, db, 2)
	w.release()
	<-inTx // both writes are in the transaction
	cancel()
	close(proceed)
	if err := <-added; err != nil {
		t.Errorf("Add cancelled once in the transaction: %v, want nil", err)
	}
	if err := <-blocker; err != nil {
		t.Error(err)
	}
	if n, err := db.Count(); err != nil || n != 2 {
		t.Errorf("count = %d, %v; want 2", n, err)
	}
}

// TestGroupCommitDurable checks that everything written by callers that
// got nil, in shared transactions, is in the file after it is closed and
// opened again.
func TestGroupCommitDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pressfeed.db")
	w := newHeldWriter()
	db, err := Open(path, Options{Now: (&clock{t0}).Now, NearDuplicates: true, Writer: w.run})
	if err != nil {
		t.Fatal(err)
	}
	const feeds = 12
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 2*feeds)
	w.hold()
	for i := range feeds {
		feed := fmt.Sprintf("bao-%02d", i)
		wg.Go(func() {
			st := FeedState{ETag: fmt.Sprintf(`"%d"`, i)}
			_, errs[i] = db.Add(ctx, feed, distinctItems(feed, 5, t0.Add(time.Duration(i)*time.Hour)), &st)
		})
		wg.Go(func() {
			errs[feeds+i] = db.SaveStates(ctx, map[string]FeedState{feed + "-mark": {ETag: feed}})
		})
	}
	waitQueued(t, db, 2*feeds)
	w.release()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path, Options{Now: (&clock{t0}).Now, NearDuplicates: true})
	items, err := db.Latest(ctx, 1000, nil)
	if err != nil || len(items) != 5*feeds {
		t.Fatalf("after reopening: %d items, %v; want %d", len(items), err, 5*feeds)
	}
	states, err := db.FeedStates(ctx)
	if err != nil || len(states) != 2*feeds {
		t.Fatalf("after reopening: %d states, %v; want %d", len(states), err, 2*feeds)
	}
	for i := range feeds {
		feed := fmt.Sprintf("bao-%02d", i)
		if st := states[feed]; st.Items != 5 || st.ETag != fmt.Sprintf(`"%d"`, i) {
			t.Errorf("state of %s = %+v, want its ETag and 5 items", feed, st)
		}
		if st := states[feed+"-mark"]; st.ETag != feed {
			t.Errorf("state of %s-mark = %+v", feed, st)
		}
	}
	checkNear(t, db)
}
