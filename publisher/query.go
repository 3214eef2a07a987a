package publisher

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pressfeed/pressfeed/store"
	"github.com/pressfeed/pressfeed/vntext"
)

// maxLimit caps ?limit=, as SPEC says.
const maxLimit = 1000

// query is a parsed ?q=, ?limit=, ?before= of a feed request. The zero value
// asks for the output's first page, which is served from the cache.
type query struct {
	q      string // the keyword phrase as given; "" means none
	kw     vntext.Keyword
	limit  int // 0 means the output's limit
	before cursor
}

// cursor is a position in the newest-first order of items: the next page
// starts with the first item older than (published, id). It travels as
// base64url of an 8-byte big-endian biased Unix second, a 4-byte nanosecond
// and the item id, so it does not depend on page size or filters and stays
// valid for as long as the item it names is older than what comes after.
type cursor struct {
	published time.Time
	id        string
}

func (c cursor) isZero() bool { return c.published.IsZero() }

func (c cursor) String() string {
	b := make([]byte, 12, 12+len(c.id))
	binary.BigEndian.PutUint64(b[:8], uint64(c.published.Unix())^(1<<63))
	binary.BigEndian.PutUint32(b[8:], uint32(c.published.Nanosecond()))
	b = append(b, c.id...)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errCursor = errors.New("before: not a cursor from a next link")

func parseCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) <= 12 || len(b) > 12+256 || !utf8.Valid(b[12:]) {
		return cursor{}, errCursor
	}
	sec := int64(binary.BigEndian.Uint64(b[:8]) ^ (1 << 63))
	nsec := binary.BigEndian.Uint32(b[8:12])
	if nsec >= 1e9 {
		return cursor{}, errCursor
	}
	c := cursor{published: time.Unix(sec, int64(nsec)).UTC(), id: string(b[12:])}
	if c.published.IsZero() {
		return cursor{}, errCursor
	}
	return c, nil
}

// cursorOf returns the cursor that starts the page after it.
func cursorOf(it *store.Item) cursor { return cursor{published: it.Published, id: it.ID} }

// parseQuery reads the query of a feed request. Parameters other than q,
// limit and before are ignored (readers append their own); a bad value of one
// of these is an error whose text is the one-line reason for a 400.
func parseQuery(raw string) (query, error) {
	var qr query
	if raw == "" {
		return qr, nil
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return qr, errors.New("malformed query string")
	}
	for _, k := range []string{"q", "limit", "before"} {
		if len(vals[k]) > 1 {
			return qr, fmt.Errorf("%s: given more than once", k)
		}
	}
	if s := vals.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return qr, fmt.Errorf("limit: want an integer from 1 to %d, got %q", maxLimit, clip(s))
		}
		qr.limit = n
	}
	if s := vals.Get("before"); s != "" {
		if qr.before, err = parseCursor(s); err != nil {
			return qr, err
		}
	}
	if s := strings.TrimSpace(vals.Get("q")); s != "" {
		if !utf8.ValidString(s) {
			return qr, errors.New("q: not UTF-8")
		}
		if qr.kw, err = vntext.ParseKeyword(s); err != nil {
			return qr, fmt.Errorf("q: %v", err)
		}
		qr.q = s
	}
	return qr, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 32 {
		for i := 32; i > 0; i-- {
			if utf8.RuneStart(s[i]) {
				return s[:i] + "…"
			}
		}
	}
	return s
}

// isFirst reports whether qr asks for what the cache holds.
func (qr *query) isFirst() bool { return qr.q == "" && qr.limit == 0 && qr.before.isZero() }

// values returns the canonical query string parameters of qr, with before
// replaced by next (zero: none).
func (qr *query) values(next cursor) url.Values {
	v := url.Values{}
	if qr.q != "" {
		v.Set("q", qr.q)
	}
	if qr.limit != 0 {
		v.Set("limit", strconv.Itoa(qr.limit))
	}
	if !next.isZero() {
		v.Set("before", next.String())
	}
	return v
}

// itemWords are the texts of an item that keywords match (the headline and
// lead of every outlet that carried it, store.Item.SearchTexts), each
// split into words only when a keyword first needs it and then once: most
// items are told apart by the leader's title or summary, and an item
// whose other copies say nothing new costs no more than before.
type itemWords struct {
	texts []string
	words []vntext.Text // the words of texts[:len(words)]
}

// matches reports whether k occurs in one of w's texts.
func (w *itemWords) matches(k vntext.Keyword) bool {
	for i, s := range w.texts {
		if i == len(w.words) {
			w.words = append(w.words, vntext.Split(s))
		}
		if k.Matches(w.words[i]) {
			return true
		}
	}
	return false
}

// page is what a document says about where it sits.
type page struct {
	self string // this document's URL
	next string // the next page's URL; "" when this is the last page
	hubs bool   // advertise the WebSub hubs (the first, unfiltered page)
}

// maxScan bounds the items a reader's page reads (a query, a page after
// the first, a limit of its own): a keyword that matches nothing would
// otherwise read and decode every stored item, tens of microseconds each,
// at every request. Such a page may hold fewer items than its limit, even
// none; its next link goes on from where the reading stopped. The first
// page of an output, rendered ahead of readers and cached, reads as far as
// it takes.
const maxScan = 5000

// selectItems reads the page of o that qr asks for: up to limit items kept
// by o and by qr's keyword, newest first, starting after qr.before, and
// where the next page starts (zero when no older item is kept).
func (h *handler) selectItems(ctx context.Context, o *output, qr *query) (items []store.Item, next cursor, err error) {
	limit := o.limit
	if qr.limit != 0 {
		limit = qr.limit
	}
	keep := o.keep
	if qr.q != "" {
		keep = func(it *store.Item) bool { return o.keepMatching(it, &qr.kw) }
	}
	budget := -1
	if !qr.isFirst() {
		budget = h.maxScan
	}
	var read int
	var last cursor // of the last item read
	err = h.db.Walk(ctx, qr.before.published, qr.before.id, func(it *store.Item) bool {
		if read == budget {
			next = last
			return false
		}
		read++
		if keep(it) {
			if len(items) == limit {
				next = cursorOf(&items[len(items)-1])
				return false
			}
			items = append(items, *it)
		}
		last = cursorOf(it)
		return true
	})
	if err != nil {
		return nil, cursor{}, err
	}
	return items, next, nil
}

// pageLinks returns the self and next links of the page of o in format f,
// whose next page starts at next.
func pageLinks(o *output, f format, qr *query, next cursor) page {
	base := o.selfLinks[f]
	pg := page{self: base, hubs: qr.isFirst()}
	if v := qr.values(qr.before); len(v) > 0 {
		pg.self = base + "?" + v.Encode()
	}
	if !next.isZero() {
		pg.next = base + "?" + qr.values(next).Encode()
	}
	return pg
}
