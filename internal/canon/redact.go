package canon

import (
	"net/url"
	"strings"
)

// Redact masks a password in a URL, for messages, as url.URL.Redacted
// does; a URL that does not parse gets the password of what looks like its
// user info (before the last "@") masked, and keeps the rest, so that the
// message shows what is wrong with it.
func Redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		scheme, rest = "", s
	} else {
		scheme += "://"
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return s
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return s
	}
	return scheme + user + ":xxxxx" + rest[at:]
}
