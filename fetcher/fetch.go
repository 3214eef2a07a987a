// Package fetcher fetches press feeds, turns their items into store items
// and schedules the polls.
//
// It owns everything that touches a source: HTTP (conditional GET, size and
// time bounds, the network guard), charsets and repair of broken bytes,
// parsing with gofeed, normalisation of text, links and dates, and the
// item identity keys that the store deduplicates on. Nothing from a source
// is trusted: every string it hands on is UTF-8 NFC with only characters XML
// allows, every link absolute http(s), every date in UTC and not in the
// future.
package fetcher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
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

	"github.com/mmcdole/gofeed"

	"github.com/pressfeed/pressfeed/store"
)

// Version names this build in the User-Agent; main sets it.
var Version = "dev"

var (
	ErrTooLarge = errors.New("fetcher: response body too large")
	ErrNotFeed  = errors.New("fetcher: not a feed")
	ErrBlocked  = errors.New("fetcher: address not allowed")
	ErrScheme   = errors.New("fetcher: unsupported URL scheme")
	ErrParse    = errors.New("fetcher: parse")
)

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
}

// Options configure fetching and polling. The zero value works.
type Options struct {
	Feeds         []Feed
	Interval      time.Duration  // default 15m
	Timeout       time.Duration  // whole request; default 30s
	Concurrency   int            // fetches in flight; default 8
	PerHost       int            // fetches in flight per registrable domain; default 2
	MaxBody       int64          // bytes after decompression; default 8 MiB
	UserAgent     string         // default "pressfeed/" + Version
	Location      *time.Location // default UTC
	AllowNetworks []netip.Prefix // private or loopback networks feeds may use
	Retention     time.Duration  // prune items first seen longer ago; 0 keeps all
	Logger        *slog.Logger   // default discards
	Client        *http.Client   // default: NewHTTPClient(opts)
	OnFetch       func(Report)   // called after every fetch, from the fetching goroutine; nil: none
	Now           func() time.Time
}

func (o *Options) setDefaults() {
	if o.Interval <= 0 {
		o.Interval = 15 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.PerHost <= 0 {
		o.PerHost = 2
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 8 << 20
	}
	if o.UserAgent == "" {
		o.UserAgent = "pressfeed/" + Version
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
}

// NewHTTPClient returns the one client pressfeed fetches with: bounded in
// time, at most 10 redirects and never from https to http, and a dialer that
// refuses loopback, private, link-local, multicast and unspecified
// addresses unless opts.AllowNetworks lists them. The check runs at dial
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
			if !addrAllowed(ap.Addr(), allow) {
				return fmt.Errorf("%w: %s", ErrBlocked, ap.Addr())
			}
			return nil
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
			if len(via) >= 10 {
				return errors.New("fetcher: more than 10 redirects")
			}
			if prev := via[len(via)-1]; prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("fetcher: redirect from https to %s refused", req.URL.Scheme)
			}
			return nil
		},
	}
}

// addrAllowed reports whether a feed may connect to a.
func addrAllowed(a netip.Addr, allow []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range allow {
		if p.Contains(a) {
			return true
		}
	}
	return !(a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsMulticast() || a.IsInterfaceLocalMulticast() || a.IsUnspecified())
}

// Result is what one fetch brought.
type Result struct {
	NotModified  bool // 304, or the same bytes as last time: nothing to parse
	Title        string
	Items        []store.Incoming
	ETag         string
	LastModified string
	BodyHash     string
}

// Fetch fetches and parses one feed, sending the validators in prev
// (RFC 9110 conditional GET). A response over MaxBody, a status other than
// 2xx or 304, or a body that is not a feed is an error.
func fetch(ctx context.Context, opts *Options, f Feed, prev store.FeedState) (Result, error) {
	u, err := url.Parse(f.URL)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", f.Name, err)
	}
	var body []byte
	var contentType string
	res := Result{ETag: prev.ETag, LastModified: prev.LastModified}
	switch u.Scheme {
	case "file":
		body, err = readFile(u.Path, opts.MaxBody)
	case "http", "https":
		var resp *http.Response
		resp, body, err = get(ctx, opts, f.URL, prev)
		if resp != nil {
			if resp.StatusCode == http.StatusNotModified {
				res.NotModified = true
				return res, nil
			}
			contentType = resp.Header.Get("Content-Type")
			res.ETag = resp.Header.Get("ETag")
			res.LastModified = resp.Header.Get("Last-Modified")
		}
	default:
		err = fmt.Errorf("%w %q", ErrScheme, u.Scheme)
	}
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", f.Name, err)
	}
	sum := sha256.Sum256(body)
	res.BodyHash = hex.EncodeToString(sum[:])
	if res.BodyHash == prev.BodyHash {
		res.NotModified = true
		return res, nil
	}
	clean, err := decodeBody(body, contentType)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", f.Name, err)
	}
	doc, err := gofeed.NewParser().Parse(bytes.NewReader(clean))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return Result{}, fmt.Errorf("fetch %s: %w", f.Name, ErrNotFeed)
		}
		return Result{}, fmt.Errorf("fetch %s: %w: %w", f.Name, ErrParse, err)
	}
	loc := f.Location
	if loc == nil {
		loc = opts.Location
	}
	res.Title = truncateRunes(plainText(doc.Title), maxTitleRunes)
	base := u
	if u.Scheme == "file" {
		base = nil
	}
	res.Items = normalize(doc, base, loc, opts.Now().UTC())
	return res, nil
}

func get(ctx context.Context, opts *Options, feedURL string, prev store.FeedState) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feedURL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", opts.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
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
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		se := &StatusError{Code: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			se.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), opts.Now())
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

// Classify names the kind of a fetch error, for health reports: dns,
// connect, tls, timeout, http, too_large, not_feed, parse, blocked, store or
// other.
func Classify(err error) string {
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
	case errors.As(err, &se):
		return "http"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
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
	case errors.Is(err, ErrParse), errors.Is(err, ErrCharset):
		return "parse"
	}
	return "other"
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
