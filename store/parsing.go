package store

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// In-flight marks. Before it parses a fetched body, the fetcher marks the
// feed (MarkParsing); a committed state of the feed without a mark (Add's,
// SaveStates') or UnmarkParsing ends it. A mark found at start names a
// feed that was being processed when the process stopped, perhaps because
// of it, and FeedStates reports it as FeedState.Parsing.
//
// The marks live beside the file, in path + ".parsing", one line per
// change appended with one write, and not in a transaction: what they
// guard against is the process dying (a stack overflow, the OOM killer),
// after which the kernel still holds every write it made, so they need
// no fdatasync, and a commit of their own cost two per parsed body. A
// machine that loses power loses them, which costs nothing: no feed
// killed it. The file goes at Close when no mark is left.

// parsingCompactAt is the size of the marks file past which it is
// rewritten with the marks it holds.
const parsingCompactAt = 64 << 10

type parsingMarks struct {
	mu   sync.Mutex
	path string
	f    *os.File // nil until the first mark
	size int64
	at   map[string]time.Time
}

// load reads the marks a stopped process left.
func (m *parsingMarks) load() error {
	m.at = make(map[string]time.Time)
	f, err := os.Open(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: in-flight marks: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 2 {
			continue
		}
		switch line[0] {
		case '+':
			ts, q, ok := strings.Cut(line[1:], " ")
			t, terr := time.Parse(time.RFC3339Nano, ts)
			name, qerr := strconv.Unquote(q)
			if ok && terr == nil && qerr == nil {
				m.at[name] = t
			}
		case '-':
			if name, err := strconv.Unquote(line[1:]); err == nil {
				delete(m.at, name)
			}
		}
	}
	return sc.Err()
}

// append writes line, opening the file first if need be, and rewrites the
// file once it is large. m.mu is held.
func (m *parsingMarks) append(line string) error {
	if m.f == nil || m.size > parsingCompactAt {
		if err := m.rewrite(); err != nil {
			return err
		}
	}
	n, err := m.f.WriteString(line)
	m.size += int64(n)
	return err
}

// rewrite replaces the file with one holding the marks in m.at and opens
// it for appending. m.mu is held.
func (m *parsingMarks) rewrite() error {
	var b strings.Builder
	for name, t := range m.at {
		b.WriteString(markLine(name, t))
	}
	tmp := m.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("store: in-flight marks: %w", err)
	}
	if err := os.Rename(tmp, m.path); err != nil {
		return fmt.Errorf("store: in-flight marks: %w", err)
	}
	if m.f != nil {
		m.f.Close()
	}
	f, err := os.OpenFile(m.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		m.f = nil
		return fmt.Errorf("store: in-flight marks: %w", err)
	}
	m.f, m.size = f, int64(b.Len())
	return nil
}

func markLine(name string, t time.Time) string {
	return "+" + t.UTC().Format(time.RFC3339Nano) + " " + strconv.Quote(name) + "\n"
}

// MarkParsing marks feed as being processed from at (see above).
func (db *DB) MarkParsing(feed string, at time.Time) error {
	m := &db.marks
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.append(markLine(feed, at)); err != nil {
		return err
	}
	m.at[feed] = at
	return nil
}

// UnmarkParsing ends feed's mark, if any.
func (db *DB) UnmarkParsing(feed string) error {
	m := &db.marks
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.at[feed]; !ok {
		return nil
	}
	if err := m.append("-" + strconv.Quote(feed) + "\n"); err != nil {
		return err
	}
	delete(m.at, feed)
	return nil
}

// unmarkCommitted ends the marks of the feeds whose states, without a
// mark of their own, a transaction committed.
func (db *DB) unmarkCommitted(states map[string]FeedState) {
	for name, st := range states {
		if st.Parsing.IsZero() {
			if err := db.UnmarkParsing(name); err != nil {
				db.opts.Logger.Error("clear in-flight mark", "feed", name, "err", err)
			}
		}
	}
}

// withMarks sets Parsing in states for the feeds marked.
func (db *DB) withMarks(states map[string]FeedState) {
	m := &db.marks
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, t := range m.at {
		st := states[name]
		if st.Parsing.IsZero() {
			st.Parsing = t
			states[name] = st
		}
	}
}

// closeMarks closes the marks file, and removes it when no mark is left.
func (m *parsingMarks) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.f == nil {
		return nil
	}
	err := m.f.Close()
	m.f = nil
	if len(m.at) == 0 {
		err = errors.Join(err, os.Remove(m.path))
	}
	return err
}
