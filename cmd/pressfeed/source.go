package main

import (
	"net/http"
	"sort"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
)

// selectConfig is a feed's [feeds.select]: what to pick out of a page or
// an API's answer. Its fields are scrape.Select's, in order.
type selectConfig struct {
	Item       string `toml:"item"`
	Title      string `toml:"title"`
	Link       string `toml:"link"`
	Summary    string `toml:"summary"`
	Date       string `toml:"date"`
	DateFormat string `toml:"date_format"`
	Image      string `toml:"image"`
}

// reservedHeaders are request headers pressfeed sets itself, or that only
// the transport may set.
var reservedHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"If-None-Match": true, "If-Modified-Since": true, "Accept-Encoding": true, "Te": true,
	"Upgrade": true, "Trailer": true, "Keep-Alive": true, "Proxy-Connection": true,
}

// checkSource validates a feed's format, [feeds.select] and headers, and
// sets the format of a feed that names none to "feed". Messages never hold
// a header's value.
func checkSource(bad badFunc, key string, fd *feedConfig) {
	if fd.Format == "" {
		fd.Format = scrape.FormatFeed
	}
	if err := scrape.Check(fd.Format, scrape.Select(fd.Select)); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			k, msg, _ := strings.Cut(line, ": ")
			bad(key+"."+k, "%s", msg)
		}
	}
	names := make([]string, 0, len(fd.Headers))
	for k := range fd.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case !httpguts.ValidHeaderFieldName(k):
			bad(key+".headers", "%q is not a header name", k)
		case reservedHeaders[http.CanonicalHeaderKey(k)]:
			bad(key+".headers", "%s is set by pressfeed itself", http.CanonicalHeaderKey(k))
		case !httpguts.ValidHeaderFieldValue(fd.Headers[k]):
			bad(key+".headers", "the value of %s holds characters a header cannot", k)
		}
	}
}
