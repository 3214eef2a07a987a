package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/store"
)

// ErrRobots is wrapped when a site's robots.txt disallows a page, or could
// not be read for a reason that RFC 9309 says means "disallowed for now".
var ErrRobots = errors.New("fetcher: disallowed by robots.txt")

// robotsTTL is how long a site's robots.txt is trusted (RFC 9309 section
// 2.4 asks crawlers not to keep one over 24 hours).
const robotsTTL = time.Hour

// maxRobots is how much of a robots.txt is read: RFC 9309 section 2.5 asks
// for at least 500 KiB.
const maxRobots = 500 << 10

// robotsCache keeps each site's robots.txt, read at most once per
// robotsTTL.
type robotsCache struct {
	mu    sync.Mutex
	sites map[string]*robotsSite // by scheme://host:port
}

type robotsSite struct {
	mu    sync.Mutex // held while the file is fetched, so one fetch per site
	rules *robotstxt.RobotsData
	until time.Time
}

// robotsAllow returns nil when f may fetch u: f is a feed or a JSON API
// (robots.txt is for crawlers of pages), u is not http(s), or the site's
// robots.txt allows u for pressfeed's user agent. A robots.txt that
// answers 4xx allows everything; one that answers 5xx or cannot be reached
// disallows everything until it can (RFC 9309 section 2.3.1).
func (o *Options) robotsAllow(ctx context.Context, f Feed, u *url.URL) error {
	if f.Format != scrape.FormatHTML && f.Format != scrape.FormatSitemap || o.robots == nil ||
		(u.Scheme != "http" && u.Scheme != "https") {
		return nil
	}
	key := u.Scheme + "://" + u.Host
	o.robots.mu.Lock()
	if o.robots.sites == nil {
		o.robots.sites = map[string]*robotsSite{}
	}
	s := o.robots.sites[key]
	if s == nil {
		s = &robotsSite{}
		o.robots.sites[key] = s
	}
	o.robots.mu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if now := o.Now(); now.After(s.until) {
		rules, err := o.readRobots(ctx, key+"/robots.txt")
		if err != nil {
			return fmt.Errorf("%w: %s/robots.txt could not be read: %w", ErrRobots, key, err)
		}
		s.rules, s.until = rules, now.Add(robotsTTL)
	}
	if s.rules == nil {
		return nil
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !s.rules.TestAgent(path, robotsAgent(o.UserAgent)) {
		return fmt.Errorf("%w: %s", ErrRobots, canon.Redact(u.String()))
	}
	return nil
}

// readRobots fetches and parses one robots.txt. A nil result with a nil
// error means everything is allowed.
func (o *Options) readRobots(ctx context.Context, robotsURL string) (*robotstxt.RobotsData, error) {
	ro := *o
	ro.MaxBody = min(o.MaxBody, maxRobots)
	_, body, err := get(ctx, &ro, robotsURL, store.FeedState{}, nil)
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Code >= 400 && se.Code < 500:
		return nil, nil // "unavailable": no rules
	case errors.Is(err, ErrTooLarge):
		return nil, nil // no parseable rules within the limit
	case err != nil:
		return nil, err
	}
	return robotstxt.FromStatusAndBytes(http.StatusOK, body)
}

// robotsAgent is the product token of a User-Agent, the name robots.txt
// groups use: "pressfeed" of "pressfeed/1.2 (+https://…)".
func robotsAgent(ua string) string {
	if i := strings.IndexAny(ua, "/ "); i > 0 {
		return ua[:i]
	}
	return ua
}
