package fetcher

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/mmcdole/gofeed"

	"github.com/pressfeed/pressfeed/fetcher/decode"
	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/plaintext"
	"github.com/pressfeed/pressfeed/store"
)

// scrapeSource is fetch's path for a source with no feed (Feed.Format
// html, sitemap or json), from the fetched body on: package scrape reads the
// items, a sitemap index has its sitemaps fetched, and each item becomes a
// store.Incoming through normalizeItem, so that identity, text, link and
// date rules are those of feed items.
func scrapeSource(ctx context.Context, opts *Options, f Feed, res result, body []byte, contentType string, u *url.URL) (result, error) {
	base := u
	if u.Scheme == "file" {
		base = nil
	}
	loc := f.Location
	if loc == nil {
		loc = opts.Location
	}
	src := scrape.Source{Format: f.Format, Select: f.Select, Location: loc}
	now := opts.Now().UTC()
	doc, err := extractBody(ctx, opts, src, body, contentType, base, now)
	if opts.trial != nil {
		opts.trial.Counts = doc.Counts
	}
	if err != nil {
		return result{}, fmt.Errorf("fetch %s: %w: %w", f.Name, ErrParse, err)
	}
	items := doc.Items
	for _, sm := range doc.Sitemaps { // a sitemap index
		if len(items) >= scrape.MaxItems || base == nil {
			break
		}
		child, err := fetchSitemap(ctx, opts, f, src, sm, base.Host, now)
		if err != nil {
			return result{}, fmt.Errorf("fetch %s: sitemap %s: %w", f.Name, canon.Redact(sm), err)
		}
		items = append(items, child.Items[:min(len(child.Items), scrape.MaxItems-len(items))]...)
	}
	res.Title = plaintext.Truncate(plainText(html.EscapeString(doc.Title)), maxTitleRunes)
	res.Items = make([]store.Incoming, 0, len(items))
	for _, it := range items {
		res.Items = append(res.Items, normalizeItem(scrapedItem(it), scrapedKinds, base, loc, now))
		if opts.trial != nil {
			opts.trial.raw = append(opts.trial.raw, it.DateRaw)
		}
	}
	return res, nil
}

// extractBody runs scrape.Extract as opts.Background. Sitemaps and JSON
// get the repairs feeds get first (charset, invalid UTF-8); a page's
// charset is scrape's to find, from its <meta> too.
func extractBody(ctx context.Context, opts *Options, src scrape.Source, body []byte, contentType string, base *url.URL, now time.Time) (scrape.Doc, error) {
	var doc scrape.Doc
	var err error
	if src.Format != scrape.FormatHTML {
		if body, err = decode.Body(body, contentType); err != nil {
			return doc, err
		}
	}
	if cerr := opts.Background.Run(ctx, func() { doc, err = scrape.Extract(src, body, contentType, base, now) }); cerr != nil {
		return doc, cerr
	}
	return doc, err
}

// fetchSitemap fetches and reads one sitemap named by a sitemap index,
// unconditionally: the index's validators cover it. The feed's headers go
// only to the index's own host (a cookie is not handed to another site
// that an index names).
func fetchSitemap(ctx context.Context, opts *Options, f Feed, src scrape.Source, loc, host string, now time.Time) (scrape.Doc, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return scrape.Doc{}, err
	}
	if err := opts.robotsAllow(ctx, f, u); err != nil {
		return scrape.Doc{}, err
	}
	headers := f.requestHeaders()
	if u.Host != host {
		headers = map[string]string{"Accept": acceptFor[scrape.FormatSitemap]}
	}
	resp, body, err := get(ctx, opts, loc, store.FeedState{}, headers)
	if err != nil {
		return scrape.Doc{}, err
	}
	doc, err := extractBody(ctx, opts, src, body, resp.Header.Get("Content-Type"), resp.Request.URL, now)
	if err != nil {
		return scrape.Doc{}, err
	}
	if len(doc.Sitemaps) > 0 {
		return scrape.Doc{}, fmt.Errorf("%w: a sitemap index inside a sitemap index", scrape.ErrFormat)
	}
	return doc, nil
}

// scrapedItem is a scraped item as gofeed would have read it from a feed,
// for normalizeItem: text is escaped, since normalizeItem reads titles and
// summaries as markup, and the date is given parsed (raw dates are for
// feeds, which name their format).
func scrapedItem(it scrape.Item) *gofeed.Item {
	gi := &gofeed.Item{Title: html.EscapeString(it.Title), Link: it.Link}
	summary := it.Summary
	if !it.SummaryHTML {
		summary = html.EscapeString(summary)
	}
	gi.Description = summary
	if it.Image != "" {
		var b strings.Builder
		b.WriteString(`<p><img src="`)
		b.WriteString(html.EscapeString(it.Image))
		b.WriteString(`" alt=""></p>`)
		if summary != "" {
			b.WriteString("<p>" + summary + "</p>")
		}
		gi.Content = b.String()
	}
	if !it.Date.IsZero() {
		d := it.Date
		gi.PublishedParsed = &d
	}
	return gi
}

// selectTag names a source's format and selectors, appended to its body
// hash so that a body read under other selectors is read again: "" for
// feeds, whose body hash stays as it was.
func (f Feed) selectTag() string {
	if f.Format == "" || f.Format == scrape.FormatFeed {
		return ""
	}
	h := xxhash.New()
	for _, s := range []string{f.Format, f.Select.Item, f.Select.Title, f.Select.Link, f.Select.Summary,
		f.Select.Date, f.Select.DateFormat, f.Select.Image} {
		h.WriteString(s)
		h.Write([]byte{0})
	}
	return ":sel" + strconv.FormatUint(h.Sum64(), 16)
}

// sameSelect returns prev, without its validators and body hash when they
// were kept under other selectors (or none): a changed [feeds.select]
// applies at the next fetch, not when the page next changes.
func (f Feed) sameSelect(prev store.FeedState) store.FeedState {
	tag := f.selectTag()
	if tag == "" || prev.BodyHash == "" || strings.HasSuffix(prev.BodyHash, tag) {
		return prev
	}
	prev.ETag, prev.LastModified, prev.BodyHash = "", "", ""
	return prev
}

// acceptFor is the Accept header of each format with no feed: servers that
// negotiate answer a feed's Accept with something else.
var acceptFor = map[string]string{
	scrape.FormatHTML:    "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
	scrape.FormatSitemap: "application/xml, text/xml;q=0.9, */*;q=0.5",
	scrape.FormatJSON:    "application/json, */*;q=0.5",
}

// requestHeaders returns the headers f's requests carry beside those get
// sets: the Accept of its format, unless f.Headers names one, and
// f.Headers.
func (f Feed) requestHeaders() map[string]string {
	accept, ok := acceptFor[f.Format]
	if !ok {
		return f.Headers
	}
	h := map[string]string{"Accept": accept}
	for k, v := range f.Headers {
		if strings.EqualFold(k, "Accept") {
			delete(h, "Accept")
		}
		h[k] = v
	}
	return h
}

// scrapedKinds: scrapedItem escapes what it takes from a page, so every
// field is read as HTML and decoded exactly once.
var scrapedKinds = fieldKinds{plaintext.HTML, plaintext.HTML, plaintext.HTML}
