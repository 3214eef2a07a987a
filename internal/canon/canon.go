// Package canon owns pressfeed's one rule for what in a link names the page
// and what only names a campaign or a click. The fetcher keys stories by
// Link, the store finds items by it, `explain` looks links up with it and
// the publisher serves Strip's form; keeping the rule here, in a leaf that
// every one of them can import (store, fetcher, publisher and cmd all do,
// and canon imports none of them), is what keeps them agreeing. It also
// owns how a link is shown to people: Redact, with its password masked.
package canon

import (
	"errors"
	"net"
	"net/url"
	"sort"
	"strings"
	"unicode"
)

// trackingParams are query parameters that name a campaign or a click, not a
// page: links that differ only in them are the same story. Any parameter
// starting with "utm_" is one too (see Tracking).
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "_ga": true, "_gl": true,
	"_hsenc": true, "_hsmi": true, "zarsrc": true, "gidzl": true, "utm": true,
	"ref_src": true,
}

// Tracking reports whether the query parameter named name (its decoded
// name, in any case) tracks a campaign or a click rather than naming a page.
func Tracking(name string) bool {
	if len(name) >= 4 && strings.EqualFold(name[:4], "utm_") {
		return true
	}
	return len(name) <= maxTrackingName && trackingParams[strings.ToLower(name)]
}

// maxTrackingName is the length of the longest name in trackingParams.
const maxTrackingName = 7

// ErrNotHTTP means a link is not an absolute http(s) URL with a host.
var ErrNotHTTP = errors.New("not an absolute http(s) URL")

// Link returns the canonical form of an absolute http(s) link, the key that
// recognises one story across feeds: https, lower-case host without "www."
// or a default port, no fragment, no tracking parameters, the query sorted,
// no trailing slash. It is a key, not a link to show (see Strip). Link of
// its own result returns it unchanged.
func Link(raw string) (string, error) {
	u, err := url.Parse(trimSpace(raw))
	if err != nil {
		return "", err
	}
	if s := strings.ToLower(u.Scheme); (s != "http" && s != "https") || !ValidHost(u.Hostname()) {
		return "", ErrNotHTTP
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	// Every leading "www." goes, so that Link of its result is the same:
	// "www.www.example.vn" and "www.example.vn" are example.vn.
	for {
		h, ok := strings.CutPrefix(host, "www.")
		if !ok || !ValidHost(h) {
			break
		}
		host = h
	}
	if port := u.Port(); port != "" && port != "80" && port != "443" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 literal
	}
	q := u.Query()
	for k := range q {
		if Tracking(k) {
			delete(q, k)
		}
	}
	out := "https://" + host + strings.TrimRight(u.EscapedPath(), "/")
	if query := encodeQuery(q); query != "" {
		out += "?" + query
	}
	return out, nil
}

// trimSpace trims white space from both ends of raw, and also from the end
// of its path and of each query parameter: Strip can make any of those the
// end of a link, so Link must treat the space before them as it treats
// trailing space ("a /?utm_source=x" and "a /" name one page).
func trimSpace(raw string) string {
	raw = strings.TrimSpace(raw)
	if strings.IndexFunc(raw, unicode.IsSpace) < 0 {
		return raw
	}
	end := len(raw)
	if h := strings.IndexByte(raw, '#'); h >= 0 {
		end = h
	}
	q := strings.IndexByte(raw[:end], '?')
	if q < 0 {
		return strings.TrimRightFunc(raw[:end], unicode.IsSpace) + raw[end:]
	}
	var b strings.Builder
	b.Grow(len(raw))
	b.WriteString(strings.TrimRightFunc(raw[:q], unicode.IsSpace))
	sep := byte('?')
	for part := range strings.SplitSeq(raw[q+1:end], "&") {
		b.WriteByte(sep)
		b.WriteString(strings.TrimRightFunc(part, unicode.IsSpace))
		sep = '&'
	}
	b.WriteString(raw[end:])
	return b.String()
}

// Strip returns link without its tracking parameters, as pressfeed serves
// links: unlike Link it keeps everything else as the outlet wrote it
// (scheme, host, path, the order and spelling of the other parameters, the
// fragment), since a reader follows it. A link with no tracking parameter
// comes back as it is, without allocating.
func Strip(link string) string {
	end := len(link)
	if h := strings.IndexByte(link, '#'); h >= 0 {
		end = h
	}
	q := strings.IndexByte(link[:end], '?')
	if q < 0 {
		return link
	}
	query := link[q+1 : end]
	if !hasTracking(query) {
		return link
	}
	var b strings.Builder
	b.Grow(len(link))
	b.WriteString(link[:q])
	sep := byte('?')
	for part := range strings.SplitSeq(query, "&") {
		if part == "" || tracks(part) {
			continue
		}
		b.WriteByte(sep)
		b.WriteString(part)
		sep = '&'
	}
	b.WriteString(link[end:])
	return b.String()
}

func hasTracking(query string) bool {
	for part := range strings.SplitSeq(query, "&") {
		if tracks(part) {
			return true
		}
	}
	return false
}

// tracks reports whether the query part name=value is a tracking parameter.
func tracks(part string) bool {
	name, _, _ := strings.Cut(part, "=")
	if strings.ContainsAny(name, "%+") {
		n, err := url.QueryUnescape(name)
		if err != nil {
			return false
		}
		name = n
	}
	return Tracking(name)
}

// ValidHost reports whether h is a host name with no empty label and no
// white space, or an IP literal.
func ValidHost(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || strings.IndexFunc(h, unicode.IsSpace) >= 0 {
		return false // "\u00a0." would be "\u00a0", which Link trims away
	}
	if strings.Contains(h, ":") {
		return true // an IPv6 literal; url.Parse checked the brackets
	}
	// No empty label: strings.Split(h, ".") without "".
	return h[0] != '.' && h[len(h)-1] != '.' && !strings.Contains(h, "..")
}

// encodeQuery is url.Values.Encode with keys sorted and each key's values
// kept in their order.
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}
