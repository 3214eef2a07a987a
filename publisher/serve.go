package publisher

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// format is one of the document formats every output is served in.
type format int

const (
	formatRSS format = iota
	formatAtom
	formatJSON
	numFormats
)

var formats = [numFormats]struct{ name, ext, contentType string }{
	formatRSS:  {"rss", ".rss", "application/rss+xml; charset=utf-8"},
	formatAtom: {"atom", ".atom", "application/atom+xml; charset=utf-8"},
	formatJSON: {"json", ".json", "application/feed+json; charset=utf-8"},
}

// document is one rendered (output, format) document in both encodings.
type document struct {
	body     []byte // identity
	gzip     []byte // body gzipped once, at gzip.BestSpeed
	etag     string // of body
	gzipETag string // of gzip; differs from etag, as RFC 9110 8.8.3 asks per representation
	modified time.Time

	// Header values, built once: the hot path assigns them without
	// allocating. Each slice has cap 1, so an Add by anyone reallocates.
	hdrETag, hdrGzipETag, hdrLen, hdrGzipLen, hdrModified []string
}

// newDocument returns the document of body, gzipping and hashing it.
func newDocument(body []byte, modified time.Time) (*document, error) {
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:12])
	d := &document{
		body:     body,
		gzip:     gz.Bytes(),
		etag:     `"` + tag + `"`,
		gzipETag: `"` + tag + `-gz"`,
		modified: modified,
	}
	d.hdrETag = []string{d.etag}
	d.hdrGzipETag = []string{d.gzipETag}
	d.hdrLen = []string{strconv.Itoa(len(d.body))}
	d.hdrGzipLen = []string{strconv.Itoa(len(d.gzip))}
	if !modified.IsZero() && !modified.Equal(time.Unix(0, 0)) {
		d.hdrModified = []string{modified.UTC().Format(http.TimeFormat)}
	}
	return d, nil
}

// Header values shared by every feed response.
var (
	hdrVary         = []string{"Accept-Encoding"}
	hdrCacheControl = []string{"max-age=60"}
	hdrGzip         = []string{"gzip"}
	hdrContentTypes = [numFormats][]string{{formats[0].contentType}, {formats[1].contentType}, {formats[2].contentType}}
)

// readError is a failed store read: the store, not the request, is at fault.
type readError struct{ err error }

func (e *readError) Error() string { return "publisher: read store: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// lookup returns the output and format a file name such as "all.atom" names.
func (h *handler) lookup(file string) (*output, format, bool) {
	for f := range numFormats {
		if name, ok := strings.CutSuffix(file, formats[f].ext); ok {
			o := h.outputs[name]
			return o, f, o != nil
		}
	}
	return nil, 0, false
}

// serveFeed serves /feeds/{file}: the first page from the current
// generation, with conditional GET (RFC 9110 13.1), HEAD and gzip; a page
// asked for with ?q=, ?limit= or ?before= is rendered for the request, with
// the same headers.
func (h *handler) serveFeed(w http.ResponseWriter, r *http.Request) {
	o, f, ok := h.lookup(r.PathValue("file"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	qr, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		http.Error(w, oneLine(err.Error()), http.StatusBadRequest)
		return
	}
	var doc *document
	if qr.isFirst() {
		var g *generation
		if g, err = h.current(r.Context()); err == nil {
			doc = g.doc(o, f)
		}
	} else {
		doc, err = h.render(r.Context(), o, f, &qr)
	}
	if err != nil {
		if r.Context().Err() != nil { // the client hung up while waiting
			return
		}
		if _, ok := errors.AsType[*readError](err); ok { // logged by storeRead
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		h.log.Error("render", "output", o.Name, "format", formats[f].name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.writeDocument(w, r, o, f, doc)
}

// writeDocument answers r with doc, identity or gzip as r accepts, with
// conditional GET (see precondition) and HEAD. Header values are built once
// per document and assigned, so that a cached answer allocates nothing.
func (h *handler) writeDocument(w http.ResponseWriter, r *http.Request, o *output, f format, doc *document) {
	body, etag, etagH, lenH := doc.body, doc.etag, doc.hdrETag, doc.hdrLen
	hd := w.Header()
	if acceptsGzip(r.Header["Accept-Encoding"]) {
		body, etag, etagH, lenH = doc.gzip, doc.gzipETag, doc.hdrGzipETag, doc.hdrGzipLen
		hd["Content-Encoding"] = hdrGzip
	}
	hd["Content-Type"] = hdrContentTypes[f]
	hd["Etag"] = etagH
	hd["Vary"] = hdrVary
	hd["Cache-Control"] = hdrCacheControl
	code := precondition(r.Header, etag, doc.modified, doc.hdrModified != nil)
	if doc.hdrModified != nil {
		hd["Last-Modified"] = doc.hdrModified
	}
	switch code {
	case http.StatusNotModified:
		// RFC 9110 15.4.5: no representation headers on a 304.
		delete(hd, "Content-Type")
		delete(hd, "Content-Encoding")
		w.WriteHeader(code)
		return
	case http.StatusPreconditionFailed:
		delete(hd, "Content-Encoding")
		http.Error(w, "precondition failed", code)
		return
	}
	hd["Content-Length"] = lenH
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		if _, err := w.Write(body); err != nil { // the client hung up: nothing to repair
			h.log.Debug("write", "output", o.Name, "format", formats[f].name, "err", err)
		}
	}
}

// precondition evaluates the conditional request header h against the
// validators of a document, its ETag and, when hasModified, its modified
// time (RFC 9110 13.2.2, in that order): 0 to send it, 304 Not Modified or
// 412 Precondition Failed. Only GET and HEAD reach it. It is the one place
// feeds evaluate preconditions. Range and If-Range are ignored, as RFC 9110
// 14.2 allows: a document is always sent whole.
func precondition(h http.Header, etag string, modified time.Time, hasModified bool) int {
	modified = modified.Truncate(time.Second) // HTTP dates have whole seconds
	if im := h["If-Match"]; im != nil {
		if !matchETag(im, etag, true) {
			return http.StatusPreconditionFailed
		}
	} else if t, ok := httpDate(h, "If-Unmodified-Since"); ok && hasModified && modified.After(t) {
		return http.StatusPreconditionFailed
	}
	if inm := h["If-None-Match"]; inm != nil {
		if matchETag(inm, etag, false) {
			return http.StatusNotModified
		}
	} else if t, ok := httpDate(h, "If-Modified-Since"); ok && hasModified && !modified.After(t) {
		return http.StatusNotModified
	}
	return 0
}

// httpDate returns the HTTP date in field name of h, and whether there is
// a valid one.
func httpDate(h http.Header, name string) (time.Time, bool) {
	v := h.Get(name)
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	return t, err == nil
}

// matchETag reports whether an If-Match or If-None-Match field lists etag
// or is "*": by strong comparison (If-Match), where a weak tag matches
// nothing, else by weak comparison (RFC 9110 8.8.3.2).
func matchETag(fields []string, etag string, strong bool) bool {
	for _, v := range fields {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "*" || part == etag || !strong && strings.TrimPrefix(part, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// render reads the page qr asks for of o from the store and renders it as f.
func (h *handler) render(ctx context.Context, o *output, f format, qr *query) (*document, error) {
	var items []store.Item
	var next cursor
	var states map[string]store.FeedState
	err := h.storeRead(ctx, func(ctx context.Context) error {
		var err error
		if items, next, err = h.selectItems(ctx, o, qr); err != nil || len(items) == 0 {
			return err
		}
		states, err = h.db.FeedStates(ctx) // outlets' own titles
		return err
	}, "output", o.Name, "format", formats[f].name)
	if err != nil {
		return nil, &readError{err}
	}
	h.renders.Add(1)
	body, err := h.encode(o, f, items, states, pageLinks(o, f, qr, next))
	if err != nil {
		return nil, err
	}
	return newDocument(body, lastModified(items))
}

// lastModified returns the newest time at which anything in items changed:
// published, corrected, first seen, or joined by another outlet. It catches
// what the newest item's date misses (a merge, a late item dated in the
// past), so If-Modified-Since alone does not hide them. With no items it is
// the Unix epoch, which ServeContent does not send.
func lastModified(items []store.Item) time.Time {
	t := time.Unix(0, 0).UTC()
	for i := range items {
		it := &items[i]
		t = later(t, later(it.Published, later(it.Updated, it.Seen)))
		for _, m := range it.Members {
			t = later(t, m.Seen)
		}
	}
	return t
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// acceptsGzip reports whether an Accept-Encoding field (RFC 9110 12.5.3)
// allows gzip: named with a non-zero weight, or covered by "*" when not named.
func acceptsGzip(values []string) bool {
	star := false
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				return weight(params) > 0
			case "*":
				star = weight(params) > 0
			}
		}
	}
	return star
}

// weight returns the q parameter of an Accept-Encoding member: 1 when absent,
// 0 when malformed.
func weight(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 || q > 1 {
				return 0
			}
			return q
		}
	}
	return 1
}
