package sanitize

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// The allowlist below is bluemonday's UGCPolicy (v1.0.27) with what
// pressfeed adds to it: http, https and mailto links (relative ones made
// absolute by the tidier), parseable URLs only, title on every element,
// figure, figcaption and picture. The tidier applies it while it reads the
// raw HTML, as bluemonday's Sanitize does token by token, so that one pass
// over the markup gives what bluemonday's output read again gave (see
// TestPolicyTables, which compares these tables with bluemonday's policy,
// and TestSanitizeReference).

// Patterns of bluemonday's helpers.go and policies.go, as written there.
var (
	reCellAlign         = regexp.MustCompile(`(?i)^(center|justify|left|right|char)$`)
	reCellVerticalAlign = regexp.MustCompile(`(?i)^(baseline|bottom|middle|top)$`)
	reDirection         = regexp.MustCompile(`(?i)^(rtl|ltr)$`)
	reImageAlign        = regexp.MustCompile(`(?i)^(left|right|top|texttop|middle|absmiddle|baseline|bottom|absbottom)$`)
	reInteger           = regexp.MustCompile(`^[0-9]+$`)
	reISO8601           = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2}([ T][0-9]{2}(:[0-9]{2}){1,2}(.[0-9]{1,6})` +
		`?Z?([\+-][0-9]{2}:[0-9]{2})?)?)?)?$`)
	reListType             = regexp.MustCompile(`(?i)^(circle|disc|square|a|A|i|I|1)$`)
	reSpaceSeparatedTokens = regexp.MustCompile(`^([\s\p{L}\p{N}_-]+)$`)
	reNumber               = regexp.MustCompile(`^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$`)
	reNumberOrPercent      = regexp.MustCompile(`^[0-9]+[%]?$`)
	reParagraph            = regexp.MustCompile(`^[\p{L}\p{N}\s\-_',\[\]!\./\\\(\)]*$`)
	reLang                 = regexp.MustCompile(`[a-zA-Z]{2,20}`)
	reID                   = regexp.MustCompile(`[a-zA-Z0-9\:\-_\.]+`)
	reOpen                 = regexp.MustCompile(`(?i)^(|open)$`)
	reMapName              = regexp.MustCompile(`^([\p{L}\p{N}_-]+)$`)
	reCoords               = regexp.MustCompile(`^([0-9]+,)+[0-9]+$`)
	reShape                = regexp.MustCompile(`(?i)^(default|circle|rect|poly)$`)
	reUsemap               = regexp.MustCompile(`(?i)^#[\p{L}\p{N}_-]+$`)
	reScope                = regexp.MustCompile(`(?i)(?:row|col)(?:group)?`)
	reNowrap               = regexp.MustCompile(`(?i)|nowrap`)
)

// attrRules maps an attribute to the patterns one of which its value must
// match; a nil pattern lets any value through.
type attrRules map[string][]*regexp.Regexp

// policyElements maps every element the policy keeps to the attributes it
// keeps on it (besides policyGlobal's).
var policyElements = func() map[string]attrRules {
	els := map[string]attrRules{}
	for _, e := range []string{"abbr", "acronym", "article", "aside", "b", "br", "caption", "cite", "code", "dd",
		"dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "hr",
		"i", "mark", "p", "picture", "pre", "rp", "rt", "ruby", "s", "samp", "section", "small", "span", "strike",
		"strong", "sub", "summary", "sup", "tt", "u", "var", "wbr"} {
		els[e] = attrRules{}
	}
	allow := func(re *regexp.Regexp, attrs []string, elements ...string) {
		for _, e := range elements {
			if els[e] == nil {
				els[e] = attrRules{}
			}
			for _, a := range attrs {
				els[e][a] = append(els[e][a], re)
			}
		}
	}
	list := func(s ...string) []string { return s }
	allow(nil, list("href"), "a")
	allow(reParagraph, list("alt"), "area")
	allow(reCoords, list("coords"), "area")
	allow(nil, list("href"), "area")
	allow(reSpaceSeparatedTokens, list("rel"), "area")
	allow(reShape, list("shape"), "area")
	allow(reDirection, list("dir"), "bdi", "bdo")
	allow(nil, list("cite"), "blockquote", "q")
	allow(reParagraph, list("cite"), "del", "ins")
	allow(reISO8601, list("datetime"), "del", "ins", "time")
	allow(reOpen, list("open"), "details")
	allow(reImageAlign, list("align"), "img")
	allow(reParagraph, list("alt"), "img")
	allow(reNumberOrPercent, list("height", "width"), "img", "table", "col", "colgroup", "td", "th")
	allow(nil, list("src"), "img")
	allow(reUsemap, list("usemap"), "img")
	allow(reListType, list("type"), "ol", "ul", "li")
	allow(reInteger, list("value"), "li")
	allow(reMapName, list("name"), "map")
	allow(reNumber, list("value", "min", "max", "low", "high", "optimum"), "meter")
	allow(reNumber, list("value", "max"), "progress")
	allow(reParagraph, list("summary"), "table")
	allow(reCellAlign, list("align"), "col", "colgroup", "thead", "tr", "td", "th", "tbody", "tfoot")
	allow(reInteger, list("span"), "col", "colgroup")
	allow(reCellVerticalAlign, list("valign"), "col", "colgroup", "thead", "tr", "td", "th", "tbody", "tfoot")
	allow(reParagraph, list("abbr"), "td", "th")
	allow(reInteger, list("colspan", "rowspan"), "td", "th")
	allow(reSpaceSeparatedTokens, list("headers"), "td", "th")
	allow(reScope, list("scope"), "td", "th")
	allow(reNowrap, list("nowrap"), "td", "th")
	return els
}()

// policyGlobal: the attributes kept on every element kept. Title takes any
// value: pressfeed allows it without bluemonday's Paragraph pattern.
var policyGlobal = attrRules{
	"dir":   {reDirection},
	"lang":  {reLang},
	"id":    {reID},
	"title": {reParagraph, nil},
}

// policyAttrNames holds every attribute name the policy keeps somewhere,
// each mapped to itself.
var policyAttrNames = func() map[string]string {
	names := map[string]string{}
	for _, rules := range append(slices.Collect(maps.Values(policyElements)), policyGlobal) {
		for a := range rules {
			names[a] = a
		}
	}
	return names
}()

// policyNeedsAttrs: the elements kept only with an attribute left (those
// missing from bluemonday's setOfElementsAllowedWithoutAttrs); without one
// the tag goes and its content stays.
var policyNeedsAttrs = map[string]bool{"a": true, "area": true, "bdo": true, "img": true, "map": true,
	"meter": true, "progress": true}

// policySkipContent: the elements whose content goes with them (until as
// many end tags as start tags were read, as bluemonday counts).
var policySkipContent = map[string]bool{"frame": true, "frameset": true, "iframe": true, "noembed": true,
	"noframes": true, "noscript": true, "nostyle": true, "object": true, "script": true, "style": true,
	"title": true}

// allowlist is bluemonday's state while it reads a document.
type allowlist struct {
	skipContent   bool // inside an element in policySkipContent
	skipDepth     int64
	skipEnds      []string // end tags to drop: of elements dropped for want of an attribute
	scriptOrStyle string   // the most recent start tag when it was script or style, else ""
}

// start applies the policy to a start tag (selfClosing false) or a
// self-closing tag named name with attributes attrs, and returns whether
// it stays and its attributes, made from attrs' storage.
func (l *allowlist) start(name []byte, attrs []html.Attribute, selfClosing bool) (bool, []html.Attribute) {
	// string(name) in a comparison or a map index does not allocate.
	script, style := string(name) == "script", string(name) == "style"
	if !selfClosing {
		switch {
		case script:
			l.scriptOrStyle = "script"
		case style:
			l.scriptOrStyle = "style"
		default:
			l.scriptOrStyle = ""
		}
	}
	if script || style {
		return false, nil
	}
	rules, ok := policyElements[string(name)]
	if !ok {
		if !selfClosing && policySkipContent[string(name)] {
			l.skipContent = true
			l.skipDepth++
		}
		return false, nil
	}
	if len(attrs) != 0 {
		attrs = policyAttrs(string(name), attrs, rules)
	}
	if len(attrs) == 0 && policyNeedsAttrs[string(name)] {
		if !selfClosing {
			l.skipEnds = append(l.skipEnds, string(name))
		}
		return false, nil
	}
	return !l.skipContent, attrs
}

// end applies the policy to an end tag and reports whether it stays.
func (l *allowlist) end(name []byte) bool {
	if l.scriptOrStyle != "" && l.scriptOrStyle == string(name) {
		l.scriptOrStyle = ""
	}
	if string(name) == "script" || string(name) == "style" {
		return false
	}
	if len(l.skipEnds) > 0 && l.skipEnds[len(l.skipEnds)-1] == string(name) {
		l.skipEnds = l.skipEnds[:len(l.skipEnds)-1]
		return false
	}
	if _, ok := policyElements[string(name)]; !ok {
		if policySkipContent[string(name)] {
			// bluemonday counts down past zero: a stray end tag makes
			// the next such element hide everything after it.
			if l.skipDepth--; l.skipDepth == 0 {
				l.skipContent = false
			}
		}
		return false
	}
	return !l.skipContent
}

// text reports whether text read now stays.
func (l *allowlist) text() bool {
	return !l.skipContent && l.scriptOrStyle == ""
}

// policyAttrs returns the attributes of element el that the policy keeps,
// in their order, with URLs checked and rewritten as bluemonday's
// validURL does, and rel="nofollow" on links; it reuses attrs' storage.
func policyAttrs(el string, attrs []html.Attribute, rules attrRules) []html.Attribute {
	clean := attrs[:0]
	for _, at := range attrs {
		if matchAny(rules[at.Key], at.Val) || matchAny(policyGlobal[at.Key], at.Val) {
			clean = append(clean, at)
		}
	}
	if len(clean) == 0 {
		return clean
	}
	var urlAttr string
	switch el {
	case "a", "area", "base", "link":
		urlAttr = "href"
	case "blockquote", "del", "ins", "q":
		urlAttr = "cite"
	case "audio", "embed", "iframe", "img", "script", "source", "track", "video":
		urlAttr = "src"
	}
	if urlAttr != "" {
		kept := clean[:0]
		for _, at := range clean {
			if at.Key == urlAttr {
				u, ok := policyURL(at.Val)
				if !ok {
					continue
				}
				if u != at.Val && !matchAny(rules[at.Key], u) && !matchAny(policyGlobal[at.Key], u) {
					// Written as a URL it fails its pattern ("\" becomes
					// "%5C", which the cite of del and ins refuses): kept, it
					// would go the next time the output is sanitised.
					continue
				}
				at.Val = u
			}
			kept = append(kept, at)
		}
		clean = kept
	}
	if urlAttr == "href" && len(clean) > 0 {
		href, rel := false, false
		for _, at := range clean {
			href = href || at.Key == "href"
		}
		if href {
			for i := range clean {
				if clean[i].Key == "rel" {
					if !strings.Contains(clean[i].Val, "nofollow") {
						clean[i].Val += " nofollow"
					}
					rel = true
				}
			}
			if !rel {
				clean = append(clean, html.Attribute{Key: "rel", Val: "nofollow"})
			}
		}
	}
	return clean
}

func matchAny(res []*regexp.Regexp, v string) bool {
	for _, re := range res {
		if re == nil || re.MatchString(v) {
			return true
		}
	}
	return false
}

// policyURL is bluemonday's validURL for the policy: a URL that parses,
// with no white space inside, http, https, mailto or relative; it returns
// the URL as url.URL.String writes it. (bluemonday lets white space through
// only in data: URLs, which the policy then refuses.)
func policyURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if plainPath(raw) {
		return raw, true // what url.Parse and String make of it
	}
	if strings.ContainsAny(raw, " \t\n") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto" {
		return "", false
	}
	s := u.String()
	return s, s != ""
}

// plainPath reports whether s is an absolute path of unreserved characters
// (RFC 3986, section 2.3) and slashes: "/tin/1.html". url.Parse returns it
// as &url.URL{Path: s} (no scheme, authority, query or fragment; nothing to
// unescape, so no RawPath) and String writes it back as it is (nothing to
// escape, no colon to guard): TestPlainPath checks both.
func plainPath(s string) bool {
	if len(s) == 0 || s[0] != '/' || len(s) > 1 && s[1] == '/' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !unreserved[s[i]] && s[i] != '/' {
			return false
		}
	}
	return true
}

var unreserved = func() (set [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") {
		set[c] = true
	}
	return set
}()
