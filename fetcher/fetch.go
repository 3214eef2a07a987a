// Package fetcher fetches press feeds, turns their items into store items
// and schedules the polls.
//
// It owns everything that touches a source: HTTP (conditional GET, size and
// time bounds, the network guard), parsing with gofeed, normalisation of
// items, the item identity keys that the store deduplicates on, and the
// schedule. The libraries it applies sit below it and never import it:
// decode (charsets and repair of broken bytes), sanitize (an item's HTML,
// its links and characters), feeddate (dates) and scrape (sources with no
// feed). Nothing from a source is trusted: every string it hands on is
// UTF-8 NFC with only characters XML allows, every link absolute http(s),
// every date in UTC and not in the future.
package fetcher

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"

	"github.com/pressfeed/pressfeed/fetcher/decode"
	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/store"
)

var (
	ErrTooLarge = errors.New("fetcher: response body too large")
	ErrNotFeed  = errors.New("fetcher: not a feed")
	ErrBlocked  = errors.New("fetcher: address not allowed")
	ErrScheme   = errors.New("fetcher: unsupported URL scheme")
	ErrParse    = errors.New("fetcher: parse")
	ErrRedirect = errors.New("fetcher: redirect refused")
	ErrBot      = errors.New("fetcher: blocked by bot protection")
)

// maxLifetime caps how far Cache-Control, Expires and <ttl> may push the
// next poll.
const maxLifetime = 24 * time.Hour

// StatusError is a response that is neither 2xx nor 304.
type StatusError struct {
	Code       int
	RetryAfter time.Duration // from Retry-After on 429 and 503; 0 when absent
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("fetcher: HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Feed is one configured source.
type Feed struct {
	Name     string         // unique, the key of its state and items
	URL      string         // http(s):// or file://
	Title    string         // the operator's title; "" uses the feed's own
	Interval time.Duration  // 0 means Options.Interval
	Location *time.Location // zone of dates without one; nil means Options.Location

	Format  string            // scrape.FormatFeed (also ""), FormatHTML, FormatSitemap or FormatJSON
	Select  scrape.Select     // what to pick out of an html or json source
	Headers map[string]string // sent with every request for the feed (Cookie, Referer…); never logged
}

// Options configure fetching and polling. The zero value works.
type Options struct {
	// Background runs parsing and extraction, the CPU-bound part of a
	// fetch; nil runs it on the fetching goroutine. The daemon passes its
	// CPU policy.
	Background store.Runner

	Feeds         []Feed
	Interval      time.Duration  // default 15m
	Adaptive      bool           // learn each feed's rhythm (see Rhythm); feeds with their own Interval stay pinned
	MinInterval   time.Duration  // adaptive: never more often; default 2m (at most Interval)
	MaxInterval   time.Duration  // adaptive: never less often; default 2h (at least Interval)
	Timeout       time.Duration  // whole request; default 30s
	Concurrency   int            // fetches in flight; default 8
	PerHost       int            // fetches in flight per registrable domain; default 2
	MaxBody       int64          // bytes after decompression; default 8 MiB
	UserAgent     string         // default "pressfeed"
	Location      *time.Location // default UTC
	AllowNetworks []netip.Prefix // private or loopback networks feeds may use
	Logger        *slog.Logger   // default discards
	Client        *http.Client   // default: NewHTTPClient(opts)
	OnFetch       func(Report)   // called after every fetch, from the fetching goroutine; nil: none
	Now           func() time.Time

	robots *robotsCache // each site's robots.txt; set by setDefaults
	trial  *Trial       // set by Try: what fetch read, beside its result
}

// Defaults of Options: the zero value of a field means these, and the
// config's defaults (config.toml documents them) are these too.
const (
	DefaultInterval    = 15 * time.Minute
	DefaultMinInterval = 2 * time.Minute // adaptive polling
	DefaultMaxInterval = 2 * time.Hour   // adaptive polling
	DefaultTimeout     = 30 * time.Second
	DefaultConcurrency = 8
	DefaultPerHost     = 2
	DefaultMaxBody     = 8 << 20 // bytes, after decompression
)

func (o *Options) setDefaults() {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.UserAgent == "" {
		o.UserAgent = "pressfeed"
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = NewHTTPClient(*o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.robots == nil {
		o.robots = &robotsCache{}
	}
}

// NewHTTPClient returns the one client pressfeed fetches with: bounded in
// time, at most 10 redirects and never from https to http, and a dialer that
// refuses every address that is not globally reachable (CheckAddr) unless
// opts.AllowNetworks lists it. The check runs at dial
// time, so neither a redirect nor a DNS change gets around it.
func NewHTTPClient(opts Options) *http.Client {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	allow := opts.AllowNetworks
	dialer := &net.Dialer{
		Timeout:   min(timeout, 10*time.Second),
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrBlocked, address)
			}
			return CheckAddr(ap.Addr(), allow)
		},
	}
	tr := &http.Transport{
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    min(timeout, 10*time.Second),
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrRedirect, maxRedirects)
			}
			if prev := via[len(via)-1]; prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: from https to %s", ErrRedirect, req.URL.Scheme)
			}
			return nil
		},
	}
}

// maxRedirects is how many redirects one fetch follows.
const maxRedirects = 10

// addrAllowed reports whether a feed may connect to a (see CheckAddr).
func addrAllowed(a netip.Addr, allow []netip.Prefix) bool {
	return CheckAddr(a, allow) == nil
}

// result is what one fetch brought.
type result struct {
	NotModified  bool // 304, or the same bytes as last time: nothing to parse
	Title        string
	Items        []store.Incoming
	ETag         string
	LastModified string
	BodyHash     string
	MovedTo      string        // the target of 301/308 redirects from the URL asked for; "" when none
	Lifetime     time.Duration // how long the response may be cached (Cache-Control max-age, Expires)
	TTL          time.Duration // the feed's <ttl>; 0 when absent or not parsed
}

// Fetch fetches and parses one feed, sending the validators in prev
// (RFC 9110 conditional GET). A response over MaxBody, a status other than
// 2xx or 304, or a body that is not a feed is an error.
//
// The URL fetched is f.URL, or where a permanent redirect from it led
// (prev.MovedTo).
func fetch(ctx context.Context, opts *Options, f Feed, prev store.FeedState) (result, error) {
	return fetchMarked(ctx, opts, f, prev, nil)
}

// fetchMarked is fetch calling mark, when not nil, once it has a new body
// and before it decodes and parses it; an error from mark ends the fetch.
// The poller marks the feed in flight there (see Poller.setAside).
func fetchMarked(ctx context.Context, opts *Options, f Feed, prev store.FeedState, mark func() error) (result, error) {
	prev = f.sameSelect(prev)
	body, contentType, u, res, err := retrieve(ctx, opts, f, prev)
	if err != nil || res.NotModified {
		return res, err
	}
	res.BodyHash = bodyHash(body) + f.selectTag()
	if res.BodyHash == prev.BodyHash {
		res.NotModified = true
		return res, nil
	}
	if mark != nil {
		if err := mark(); err != nil {
			return result{}, fmt.Errorf("fetch %s: %w", f.Name, err)
		}
	}
	if f.Format != "" && f.Format != scrape.FormatFeed {
		return scrapeSource(ctx, opts, f, res, body, contentType, u)
	}
	clean, err := decode.Body(body, contentType)
	if err != nil {
		return result{}, fmt.Errorf("fetch %s: %w", f.Name, err)
	}
	return parseBody(ctx, opts, f, res, clean, u)
}

// retrieve reads f's document: a file, or an HTTP GET with prev's
// validators. A 304 comes back as res.NotModified and no body; u is where
// the document came from, after redirects.
func retrieve(ctx context.Context, opts *Options, f Feed, prev store.FeedState) (body []byte, contentType string, u *url.URL, res result, err error) {
	feedURL := effectiveURL(f, prev)
	u, err = url.Parse(feedURL)
	if err != nil {
		return nil, "", nil, result{}, fmt.Errorf("fetch %s: %w", f.Name, err)
	}
	res = result{ETag: prev.ETag, LastModified: prev.LastModified}
	switch u.Scheme {
	case "file":
		body, err = readFile(u.Path, opts.MaxBody)
	case "http", "https":
		if err = opts.robotsAllow(ctx, f, u); err != nil {
			break
		}
		var resp *http.Response
		resp, body, err = get(ctx, opts, feedURL, prev, f.requestHeaders())
		if resp != nil {
			res.MovedTo = movedTo(resp, feedURL)
			if resp.Request != nil && resp.Request.URL != nil {
				u = resp.Request.URL // relative links resolve against where the document came from
			}
			res.Lifetime = lifetime(resp.Header, opts.Now())
			res.TTL = prev.TTL
			if resp.StatusCode == http.StatusNotModified {
				res.NotModified = true
				return nil, "", u, res, nil
			}
			contentType = resp.Header.Get("Content-Type")
			res.ETag = validator(resp.Header.Get("ETag"))
			res.LastModified = validator(resp.Header.Get("Last-Modified"))
			if err == nil && resp.Header.Get("Cf-Mitigated") != "" {
				// A challenge page served with 200 (Cloudflare).
				err = fmt.Errorf("%w (cf-mitigated: %s)", ErrBot, resp.Header.Get("Cf-Mitigated"))
			}
		}
	default:
		err = fmt.Errorf("%w %q", ErrScheme, u.Scheme)
	}
	if err != nil {
		return nil, "", nil, result{}, fmt.Errorf("fetch %s: %w", f.Name, err)
	}
	return body, contentType, u, res, nil
}

// parseBody parses the decoded document clean of f, fetched from u, into
// res's items, and names what is wrong when it cannot: a refused shape,
// no feed (or a bot challenge), or a parse error.
func parseBody(ctx context.Context, opts *Options, f Feed, res result, clean []byte, u *url.URL) (result, error) {
	// gofeed's Parse cannot be cancelled: its time and memory are bounded
	// by MaxBody, by the shape checkShape lets through (depth, items,
	// elements) and by Options.Background (the daemon's CPU policy).
	var doc *gofeed.Feed
	var ttl time.Duration
	var err error
	loc := f.Location
	if loc == nil {
		loc = opts.Location
	}
	base := u
	if u.Scheme == "file" {
		base = nil
	}
	if cerr := opts.Background.Run(ctx, func() {
		if doc, ttl, err = parseDocument(clean); err == nil {
			res.Title = feedTitle(doc)
			res.Items = normalize(doc, base, loc, opts.Now().UTC())
			opts.trial.setFeed(doc)
		}
	}); cerr != nil {
		return result{}, fmt.Errorf("fetch %s: %w", f.Name, cerr)
	}
	if err != nil {
		if errors.Is(err, ErrTooDeep) || errors.Is(err, ErrTooManyItems) || errors.Is(err, ErrTooManyNodes) {
			return result{}, fmt.Errorf("fetch %s: %w", f.Name, err)
		}
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			if challengePage(clean) {
				return result{}, fmt.Errorf("fetch %s: %w (challenge page)", f.Name, ErrBot)
			}
			return result{}, fmt.Errorf("fetch %s: %w", f.Name, ErrNotFeed)
		}
		return result{}, fmt.Errorf("fetch %s: %w: %w", f.Name, ErrParse, err)
	}
	res.TTL = ttl
	return res, nil
}

// bodyHash names a body's bytes, so that a 200 with the very same body is
// neither parsed nor written: xxHash64 and the length, which hash hundreds
// of kilobytes in microseconds. Only the publisher's own bodies are
// compared, so a crafted collision could only hide that publisher's update.
func bodyHash(b []byte) string {
	return "xxh64:" + strconv.FormatUint(xxhash.Sum64(b), 16) + ":" + strconv.Itoa(len(b))
}

func get(ctx context.Context, opts *Options, feedURL string, prev store.FeedState, headers map[string]string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feedURL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", opts.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if v := validator(prev.ETag); v != "" { // a longer one may be in a state written before maxValidator
		req.Header.Set("If-None-Match", v)
	}
	if v := validator(prev.LastModified); v != "" {
		req.Header.Set("If-Modified-Since", v)
	}
	resp, err := opts.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return resp, nil, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Read a little: enough to recognise a challenge page, and so
		// that the connection can be reused.
		head, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if rerr != nil {
			head = nil
		}
		se := &StatusError{Code: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			se.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), opts.Now())
		}
		if cf := resp.Header.Get("Cf-Mitigated"); cf != "" {
			return resp, nil, fmt.Errorf("%w (cf-mitigated: %s): %w", ErrBot, cf, se)
		}
		if (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusServiceUnavailable) && challengePage(head) {
			return resp, nil, fmt.Errorf("%w (challenge page): %w", ErrBot, se)
		}
		return resp, nil, se
	}
	// The transport has decompressed gzip already (we do not set
	// Accept-Encoding ourselves), so the limit counts decompressed bytes.
	body, err := readLimited(resp.Body, opts.MaxBody)
	return resp, body, err
}

func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w (over %d bytes)", ErrTooLarge, limit)
	}
	return body, nil
}

// maxValidator bounds the ETag and Last-Modified kept for a feed, so that
// every one a server could take back is kept and sent: servers commonly
// refuse a request header line over 8 KiB (nginx, Apache answer 400 or
// 431), and sending a longer one would fail every later fetch of the feed.
// Kept, it would also go into the feed's state at every checkpoint (the
// response header limit lets one run to 64 KiB).
const maxValidator = 8000

// validator returns v, or "" when it is too long to keep: the next fetch is
// then unconditional, and an unchanged body is still known by its hash.
func validator(v string) string {
	if len(v) > maxValidator {
		return ""
	}
	return v
}

// parseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date
// (RFC 9110 section 10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 7*24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 7*24*time.Hour)
	}
	return 0
}

// classify names the kind of a fetch error, for health reports: dns,
// connect, tls, timeout, http, too_large, too_deep, too_many_items,
// too_many_elements (a document refused for its shape, see checkShape),
// not_feed, parse, blocked (the network guard), bot_protection, robots
// (robots.txt disallows), moved (a redirect refused: a loop, too many,
// https to http), gone (410), store or other. The poller also reports
// interrupted: a feed set aside as it was being processed when pressfeed
// stopped.
func classify(err error) string {
	var se *StatusError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var tlsErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBlocked):
		return "blocked"
	case errors.Is(err, ErrBot):
		return "bot_protection"
	case errors.Is(err, ErrRobots):
		return "robots"
	case errors.Is(err, ErrRedirect):
		return "moved"
	case errors.As(err, &se) && se.Code == http.StatusGone:
		return "gone"
	case errors.As(err, &se):
		return "http"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrTooDeep):
		return "too_deep"
	case errors.Is(err, ErrTooManyItems):
		return "too_many_items"
	case errors.Is(err, ErrTooManyNodes):
		return "too_many_elements"
	case errors.Is(err, ErrNotFeed):
		return "not_feed"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timeout"
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.As(err, &tlsErr), errors.As(err, &recErr):
		return "tls"
	case errors.As(err, &opErr):
		return "connect"
	case errors.Is(err, ErrParse), errors.Is(err, decode.ErrCharset):
		return "parse"
	}
	return "other"
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// effectiveURL is the URL to fetch for f: where a permanent redirect led,
// as long as the configuration still names the URL that redirected, except
// after an odd number of failures in a row: then the configured URL, so
// that a move to a URL that stopped working (a maintenance page, a
// botched migration) is not followed for ever. A success there learns the
// move again, or ends it (see pollOnce); a failure there leaves it.
func effectiveURL(f Feed, st store.FeedState) string {
	if st.MovedTo != "" && st.MovedFrom == f.URL && st.Failures%2 == 0 {
		return st.MovedTo
	}
	return f.URL
}

// movedTo returns the URL that the permanent redirects (301, 308) at the
// start of resp's redirect chain led to, or "" when the first hop was not
// permanent (RFC 9110 section 15.4: only 301 and 308 ask clients to update
// their links).
func movedTo(resp *http.Response, asked string) string {
	var hops []*http.Request // the requests the redirects created, last first
	for r := resp.Request; r != nil && r.Response != nil; r = r.Response.Request {
		hops = append(hops, r)
	}
	moved := ""
	for i := len(hops) - 1; i >= 0; i-- {
		code := hops[i].Response.StatusCode
		if code != http.StatusMovedPermanently && code != http.StatusPermanentRedirect {
			break
		}
		moved = hops[i].URL.String()
	}
	if moved == asked {
		return ""
	}
	return moved
}

// lifetime returns how long a response may be reused, from Cache-Control
// max-age (less Age) or else Expires (less Date), per RFC 9111 section
// 4.2.1; 0 when neither says, or no-cache/no-store.
func lifetime(h http.Header, now time.Time) time.Duration {
	cc := strings.ToLower(strings.Join(h.Values("Cache-Control"), ","))
	for d := range strings.SplitSeq(cc, ",") {
		d = strings.TrimSpace(d)
		if d == "no-cache" || d == "no-store" {
			return 0
		}
	}
	for d := range strings.SplitSeq(cc, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(d), "max-age=")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
		if err != nil || n <= 0 {
			return 0
		}
		// Both in [0, maxLifetime] before the subtraction: an Age of
		// 2^40 s would overflow the Duration and come out positive.
		limit := int64(maxLifetime / time.Second)
		age, _ := strconv.ParseInt(h.Get("Age"), 10, 64)
		return max(time.Duration(min(n, limit)-min(max(age, 0), limit))*time.Second, 0)
	}
	if e := h.Get("Expires"); e != "" {
		exp, err := http.ParseTime(e)
		if err != nil {
			return 0 // an invalid Expires means already expired
		}
		base := now
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			base = d
		}
		return min(max(exp.Sub(base), 0), maxLifetime)
	}
	return 0
}

// challengePage reports whether body looks like the interstitial page of a
// bot-protection service rather than content.
func challengePage(body []byte) bool {
	head := bytes.ToLower(body[:min(len(body), 64<<10)])
	for _, m := range challengeMarkers {
		if bytes.Contains(head, m) {
			return true
		}
	}
	return false
}

var challengeMarkers = [][]byte{
	[]byte("/cdn-cgi/challenge-platform/"),
	[]byte("cf-browser-verification"),
	[]byte("cf_chl_opt"),
	[]byte("<title>just a moment...</title>"),
	[]byte("<title>attention required! | cloudflare</title>"),
	[]byte("_incapsula_resource"),
	[]byte("ddos-guard"),
	[]byte("captcha-delivery.com"),
	[]byte("sucuri website firewall"),
}

// parseDocument parses a decoded and repaired document and, when gofeed
// rejects it, tries the repairs that only a failed parse calls for, each at
// most once: a DTD dropped (its internal subset hid the root from type
// detection), JSON Feed members of the wrong type fixed, the outer
// containers of a truncated XML document closed. gofeed sees no document,
// repaired or not, that checkShape refuses; the error is then checkShape's.
func parseDocument(clean []byte) (*gofeed.Feed, time.Duration, error) {
	if err := checkShape(clean); err != nil {
		return nil, 0, err
	}
	doc, ttl, err := parseFeed(clean)
	if err == nil {
		return doc, ttl, nil
	}
	var fixes []func([]byte) ([]byte, bool)
	switch {
	case decode.IsJSON(clean):
		fixes = append(fixes, decode.RepairJSONFeed)
	case errors.Is(err, gofeed.ErrFeedTypeNotDetected):
		fixes = append(fixes, decode.StripDoctype)
	default:
		fixes = append(fixes, decode.CloseTruncated)
	}
	for _, fix := range fixes {
		if fixed, ok := fix(clean); ok && checkShape(fixed) == nil {
			if d, t, ferr := parseFeed(fixed); ferr == nil {
				return d, t, nil
			}
		}
	}
	return nil, 0, err
}

// parseFeed parses a repaired document with gofeed, translating at most
// maxItems items, and returns the RSS <ttl> as a duration (0 when absent).
func parseFeed(b []byte) (*gofeed.Feed, time.Duration, error) {
	var ttl time.Duration
	p := gofeed.NewParser()
	p.RSSTranslator = translatorFunc(func(feed any) (*gofeed.Feed, error) {
		if f, ok := feed.(*rss.Feed); ok {
			if len(f.Items) > maxItems {
				f.Items = f.Items[:maxItems]
			}
			if n, err := strconv.Atoi(strings.TrimSpace(f.TTL)); err == nil && n > 0 {
				ttl = time.Duration(min(n, int(maxLifetime/time.Minute))) * time.Minute // capped before it can overflow
			}
		}
		// pressfeed uses no item image: skip the HTML parse of every item
		// that gofeed does to find one.
		return (&gofeed.DefaultRSSTranslator{DisableContentImageScan: true}).Translate(feed)
	})
	p.AtomTranslator = translatorFunc(func(feed any) (*gofeed.Feed, error) {
		if f, ok := feed.(*atom.Feed); ok && len(f.Entries) > maxItems {
			f.Entries = f.Entries[:maxItems]
		}
		return (&gofeed.DefaultAtomTranslator{}).Translate(feed)
	})
	p.JSONTranslator = translatorFunc(func(feed any) (*gofeed.Feed, error) {
		if f, ok := feed.(*json.Feed); ok && len(f.Items) > maxItems {
			f.Items = f.Items[:maxItems]
		}
		return (&gofeed.DefaultJSONTranslator{}).Translate(feed)
	})
	doc, err := p.Parse(bytes.NewReader(b))
	return doc, ttl, err
}

type translatorFunc func(feed any) (*gofeed.Feed, error)

func (t translatorFunc) Translate(feed any) (*gofeed.Feed, error) { return t(feed) }
