package sanitize

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/plaintext"
)

// Bounds on one item's HTML.
const (
	// MaxContent is how many bytes of an item's HTML are read, and the
	// most HTML written for it.
	MaxContent = 256 << 10
	// TextRunes is how much text WithText collects: enough for a summary
	// of TextRunes runes, cut where the summary is.
	TextRunes = 600
)

// ErrNotHTTP is AbsoluteURL's error for a link that is not an absolute
// http(s) URL once resolved.
var ErrNotHTTP = errors.New("not an absolute http(s) URL")

// AbsoluteURL resolves ref against base and returns it, through Text, when
// it is an http(s) URL with a valid host; "" and no error for an empty
// ref.
func AbsoluteURL(base *url.URL, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", nil
	}
	u := &url.URL{Path: ref} // what url.Parse returns for a plain path
	if !plainPath(ref) {
		var err error
		if u, err = url.Parse(ref); err != nil {
			return "", err
		}
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || !canon.ValidHost(u.Hostname()) {
		return "", ErrNotHTTP
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return Text(u.String()), nil
}

// Text returns s as NFC, without characters XML 1.0 forbids, and with
// invalid UTF-8 replaced. Tone-mark placement is the publisher's and stays.
func Text(s string) string {
	if cleanNFC(s) {
		return s // the common case, checked in one pass without norm's tables
	}
	// Not ASCII only (cleanNFC passes clean ASCII): find whether anything
	// must go before normalising.
	clean := true
	for i := 0; i < len(s) && clean; {
		if c := s[i]; c < utf8.RuneSelf {
			clean = c >= 0x20 || c == '\t' || c == '\n' || c == '\r'
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		clean = !(r == utf8.RuneError && n == 1) && plaintext.IsXMLChar(r)
		i += n
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if !plaintext.IsXMLChar(r) {
				return -1
			}
			return r
		}, strings.ToValidUTF8(s, "\uFFFD"))
	}
	return norm.NFC.String(s)
}
