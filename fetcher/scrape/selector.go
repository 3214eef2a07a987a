package scrape

import (
	"fmt"
	"strings"

	"github.com/andybalholm/cascadia"
	"github.com/antchfx/htmlquery"
	"github.com/antchfx/xpath"
	"golang.org/x/net/html"
)

// field is one compiled HTML selector: CSS or XPath, and perhaps the
// attribute to take instead of the text.
type field struct {
	css   cascadia.Sel // nil for XPath, or for " @attr" of the item itself
	xpath *xpath.Expr
	attr  string
}

// IsXPath reports whether a selector is XPath rather than CSS: it starts
// with "/", "./", ".." or "(", or with a function call or an axis
// ("normalize-space(", "descendant::"), which no CSS selector does, as
// FreshRSS users write them.
func IsXPath(s string) bool {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "..") ||
		strings.HasPrefix(s, "(") {
		return true
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '-') })
	if i <= 0 {
		return false
	}
	if s[i] == '(' {
		return true
	}
	return strings.HasPrefix(s[i:], "::") && xpathAxes[s[:i]]
}

var xpathAxes = map[string]bool{
	"ancestor": true, "ancestor-or-self": true, "attribute": true, "child": true, "descendant": true,
	"descendant-or-self": true, "following": true, "following-sibling": true, "namespace": true,
	"parent": true, "preceding": true, "preceding-sibling": true, "self": true,
}

// compileField compiles a selector as Select documents it. An item
// selector takes no attribute.
func compileField(raw string, item bool) (*field, error) {
	s := strings.TrimSpace(raw)
	f := &field{}
	if IsXPath(s) {
		e, err := xpath.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("%w: XPath %q: %v", ErrSelector, s, err)
		}
		f.xpath = e
		return f, nil
	}
	// In " "+s, " @attr" starts at j: the attribute is s[j:], the selector
	// before it s[:j-1].
	if j := strings.LastIndex(" "+s, " @"); j >= 0 && validAttr(s[j:]) {
		f.attr = strings.ToLower(s[j+1:])
		s = strings.TrimSpace(s[:max(j-1, 0)])
	}
	if item && f.attr != "" {
		return nil, fmt.Errorf("%w: the item selector takes no attribute: %q", ErrSelector, raw)
	}
	if s == "" {
		if f.attr == "" {
			return nil, fmt.Errorf("%w: empty selector", ErrSelector)
		}
		return f, nil // " @href": the item's own attribute
	}
	sel, err := cascadia.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: CSS %q: %v", ErrSelector, s, err)
	}
	f.css = sel
	return f, nil
}

// validAttr reports whether s is an attribute name: letters, digits, '-',
// '_', ':' after the leading '@'.
func validAttr(s string) bool {
	if len(s) < 2 || s[0] != '@' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}

// nodes returns the elements f selects below top, at most limit of them.
func (f *field) nodes(top *html.Node, limit int) []*html.Node {
	var out []*html.Node
	switch {
	case f.xpath != nil:
		v := f.xpath.Evaluate(htmlquery.CreateXPathNavigator(top))
		it, ok := v.(*xpath.NodeIterator)
		if !ok {
			return nil
		}
		for len(out) < limit && it.MoveNext() {
			if nav, ok := it.Current().(*htmlquery.NodeNavigator); ok && nav.NodeType() == xpath.ElementNode {
				out = append(out, nav.Current())
			}
		}
	case f.css != nil:
		out = cascadia.QueryAll(top, f.css)
		if len(out) > limit {
			out = out[:limit]
		}
	}
	return out
}

// value returns what f picks from the item n: the text or attribute of
// the first element it selects, or the string an XPath expression
// computes; ok is false when it selects nothing.
func (f *field) value(n *html.Node) (string, bool) {
	if f.xpath != nil {
		switch v := f.xpath.Evaluate(htmlquery.CreateXPathNavigator(n)).(type) {
		case *xpath.NodeIterator:
			if !v.MoveNext() {
				return "", false
			}
			nav, ok := v.Current().(*htmlquery.NodeNavigator)
			if !ok {
				return "", false
			}
			switch nav.NodeType() {
			case xpath.ElementNode, xpath.RootNode:
				return text(nav.Current()), true
			}
			return collapse(nav.Value()), true
		case string:
			return collapse(v), v != ""
		case float64:
			return fmt.Sprint(v), true
		case bool:
			return fmt.Sprint(v), true
		}
		return "", false
	}
	el := n
	if f.css != nil {
		if el = cascadia.Query(n, f.css); el == nil {
			return "", false
		}
	}
	if f.attr == "" {
		return text(el), true
	}
	for _, a := range el.Attr {
		if a.Namespace == "" && a.Key == f.attr {
			return collapse(a.Val), true
		}
	}
	return "", false
}

// text returns the text of n, without that of scripts and styles, with
// white space collapsed and block elements separating words; it reads at
// most maxField bytes. The parser bounds the depth it recurses to.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && b.Len() < maxField; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				b.WriteString(c.Data)
			case html.ElementNode:
				switch c.Data {
				case "script", "style", "noscript", "template", "iframe", "object":
					continue
				case "br", "p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6":
					b.WriteByte(' ')
					walk(c)
					b.WriteByte(' ')
					continue
				}
				walk(c)
			}
		}
	}
	if n.Type == html.TextNode {
		return collapse(n.Data)
	}
	walk(n)
	return collapse(b.String())
}
