package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// A story carried by two outlets: the original, published at 08:00, and a
// re-publisher whose copy (same headline, its own lead) went out at 09:00
// and is fetched first.
const (
	leadTitle    = "Khánh thành cầu Rạch Miễu 2 nối Tiền Giang và Bến Tre"
	leadOriginal = "Sáng nay, cầu Rạch Miễu 2 được khánh thành sau 3 năm thi công, tổng vốn hơn 6.800 tỷ đồng."
	// Only the re-publisher names the ferry the bridge replaces.
	leadRepublisher = "(PLO) - Cây cầu thay cho bến phà Rạch Miễu, khánh thành sáng nay sau 3 năm thi công."
	leadOnlyWord    = "bến phà"
	originalLink    = "https://goc.example/cau-rach-mieu-2.html?id=7&utm_source=rss&utm_medium=feed&fbclid=IwAR0abc&zarsrc=30"
	originalServed  = "https://goc.example/cau-rach-mieu-2.html?id=7"
	republisherLink = "https://dang-lai.example/cau-rach-mieu-2.html?gidzl=xyz"
	republisherServ = "https://dang-lai.example/cau-rach-mieu-2.html"
)

func storyRSS(outlet, link, pubDate, lead string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%[1]s</title>`+
		`<link>https://%[1]s.example/</link><description>%[1]s</description>`+
		`<item><title>%[2]s</title><link>%[3]s</link><guid isPermaLink="false">%[1]s-1</guid>`+
		`<pubDate>%[4]s</pubDate><description>%[5]s</description></item></channel></rss>`,
		outlet, leadTitle, strings.ReplaceAll(link, "&", "&amp;"), pubDate, lead)
}

// TestLeaderSearchAndLinksEndToEnd runs the binary on two httptest feeds:
// the re-publisher, fetched first, leads only until the original arrives;
// then the original leads under the same id, the item is updated and names
// the re-publisher; explain finds it by the original's tracked link and
// says which rule merged each copy; the served documents carry no tracking
// parameter; and a word only the re-publisher wrote finds the item.
func TestLeaderSearchAndLinksEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	dbPath := filepath.Join(dir, "data", "pressfeed.db")
	republisher := serveDoc(t, "application/rss+xml", storyRSS("dang-lai", republisherLink, "Fri, 27 Nov 2026 09:00:00 +0700", leadRepublisher))
	original := serveDoc(t, "application/rss+xml", storyRSS("goc", originalLink, "Fri, 27 Nov 2026 08:00:00 +0700", leadOriginal))
	var b strings.Builder
	fmt.Fprintf(&b, "[server]\nlisten = %q\nbase_url = \"http://%s\"\n[store]\npath = %q\n", addr, addr, dbPath)
	b.WriteString("[fetch]\ninterval = \"1h\"\ntimeout = \"5s\"\nallow_networks = [\"127.0.0.0/8\"]\n[log]\nlevel = \"info\"\n")
	fmt.Fprintf(&b, "[[feeds]]\nname = \"dang-lai\"\nurl = %q\ntitle = \"Báo Đăng Lại\"\n", republisher)
	fmt.Fprintf(&b, "[[feeds]]\nname = \"goc\"\nurl = %q\ntitle = \"Báo Gốc\"\n", original)
	b.WriteString("[[outputs]]\nname = \"all\"\ntitle = \"Tất cả\"\n")
	fmt.Fprintf(&b, "[[outputs]]\nname = \"pha\"\ntitle = \"Phà\"\ninclude = [%q]\n", "ben pha")
	fmt.Fprintf(&b, "[[outputs]]\nname = \"khong-pha\"\ntitle = \"Không phà\"\nexclude = [%q]\n", leadOnlyWord)
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	// The re-publisher first: it mints the id and leads, for now.
	if code, out, errOut := pressfeed(t, 20*time.Second, "-config", cfg, "fetch", "dang-lai"); code != 0 {
		t.Fatalf("fetch dang-lai: exit %d\n%s%s", code, out, errOut)
	}
	before := explain(t, cfg, republisherServ)
	if before["leader"] != "dang-lai" || before["updated"] != "" || !strings.HasPrefix(before["id"], store.IDPrefix) {
		t.Fatalf("before the original: %q; want dang-lai leading, not updated", before)
	}
	// Then the original, published an hour earlier.
	if code, out, errOut := pressfeed(t, 20*time.Second, "-config", cfg, "fetch", "goc"); code != 0 || !strings.Contains(out+errOut, "1 merged") {
		t.Fatalf("fetch goc: exit %d, want its copy merged\n%s%s", code, out, errOut)
	}
	// explain finds the item by the original's link as the outlet wrote it,
	// tracking parameters and all (zarsrc included).
	after := explain(t, cfg, "http://www.goc.example/cau-rach-mieu-2.html/?zarsrc=30&id=7&utm_campaign=x#top")
	if after["id"] != before["id"] || after["leader"] != "goc" || after["updated"] == "" ||
		after["link"] != originalServed || after["published"] != "2026-11-27T01:00:00Z" {
		t.Errorf("after the original: %q; want id %s, goc leading with its link and date, updated", after, before["id"])
	}
	for _, want := range []string{
		"1  goc       same title",
		"2  dang-lai  first (minted the id)",
		"2026-11-27T01:00:00Z", "2026-11-27T02:00:00Z",
		republisherServ + "\n",
	} {
		if !strings.Contains(after["raw"], want) {
			t.Errorf("explain lacks %q:\n%s", want, after["raw"])
		}
	}

	p := startProc(t, addr, nil, "-config", cfg, "run")
	waitListening(t, p)
	p.waitTitle(t, leadTitle)
	id := before["id"]
	attribution := `Cũng đăng trên: <a href="` + republisherServ + `">Báo Đăng Lại</a>`

	docs := map[string]string{}
	for _, ext := range []string{"rss", "atom", "json"} {
		code, body := p.get(t, "/feeds/all."+ext)
		if code != http.StatusOK {
			t.Fatalf("GET /feeds/all.%s: %d", ext, code)
		}
		docs[ext] = body
		for _, bad := range []string{"utm_", "fbclid", "zarsrc", "gidzl"} {
			if strings.Contains(body, bad) {
				t.Errorf("all.%s serves %q:\n%s", ext, bad, body)
			}
		}
	}
	var rss struct {
		Items []struct {
			GUID        string   `xml:"guid"`
			Link        string   `xml:"link"`
			Description string   `xml:"description"`
			Categories  []string `xml:"category"`
			Source      string   `xml:"source"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal([]byte(docs["rss"]), &rss); err != nil || len(rss.Items) != 1 {
		t.Fatalf("all.rss: %v, %d items", err, len(rss.Items))
	}
	if it := rss.Items[0]; it.GUID != id || it.Link != originalServed || !strings.Contains(it.Description, attribution) ||
		it.Source != "Báo Gốc" || strings.Join(it.Categories, ",") != "Báo Gốc,Báo Đăng Lại" {
		t.Errorf("rss item %+v; want %s linking %s, source Báo Gốc, naming the re-publisher", it, id, originalServed)
	}
	var atom struct {
		Entries []struct {
			ID      string `xml:"id"`
			Updated string `xml:"updated"`
			Links   []struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(docs["atom"]), &atom); err != nil || len(atom.Entries) != 1 {
		t.Fatalf("all.atom: %v, %d entries", err, len(atom.Entries))
	}
	if e := atom.Entries[0]; e.ID != id || len(e.Links) != 1 || e.Links[0].Href != originalServed ||
		!strings.Contains(e.Content, attribution) || e.Updated != after["updated"] {
		t.Errorf("atom entry %+v; want %s linking %s, updated %s", e, id, originalServed, after["updated"])
	}
	var jf struct {
		Items []struct {
			ID           string `json:"id"`
			URL          string `json:"url"`
			ContentHTML  string `json:"content_html"`
			DateModified string `json:"date_modified"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(docs["json"]), &jf); err != nil || len(jf.Items) != 1 {
		t.Fatalf("all.json: %v, %d items", err, len(jf.Items))
	}
	if it := jf.Items[0]; it.ID != id || it.URL != originalServed || !strings.Contains(it.ContentHTML, attribution) || it.DateModified == "" {
		t.Errorf("json item %+v; want %s with url %s, modified", it, id, originalServed)
	}

	// A word only the re-publisher used finds the item through ?q= and
	// include, and exclude leaves it out.
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/feeds/all.json?q=" + url.QueryEscape(leadOnlyWord), 1},
		{"/feeds/all.json?q=" + url.QueryEscape("ben pha rach mieu"), 1},
		{"/feeds/all.json?q=" + url.QueryEscape("bến phà Tiền Giang"), 0}, // not a phrase of one text
		{"/feeds/pha.json", 1},
		{"/feeds/khong-pha.json", 0},
	} {
		code, body := p.get(t, tt.path)
		var doc jsonDocument
		if code != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil {
			t.Fatalf("GET %s: %d %s", tt.path, code, body)
		}
		if len(doc.Items) != tt.want || (tt.want == 1 && doc.Items[0].ID != id) {
			t.Errorf("GET %s: %d items, want %d (%s)", tt.path, len(doc.Items), tt.want, id)
		}
	}

	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("daemon exit %d\n%s", code, p.stderr.String())
	}
}

var explainLine = regexp.MustCompile(`(?m)^(id|title|link|published|first seen|updated|leader)\s+(\S.*)$`)

// explain runs `pressfeed explain ref` and returns the head lines by name,
// and the whole output as "raw".
func explain(t *testing.T, cfg, ref string) map[string]string {
	t.Helper()
	code, out, errOut := pressfeed(t, 20*time.Second, "-config", cfg, "explain", ref)
	if code != 0 {
		t.Fatalf("explain %s: exit %d\n%s%s", ref, code, out, errOut)
	}
	head, _, _ := strings.Cut(out, "\nmembers")
	m := map[string]string{"raw": out}
	for _, sm := range explainLine.FindAllStringSubmatch(head, -1) {
		m[sm[1]] = strings.TrimSpace(sm[2])
	}
	return m
}

func TestWriteExplain(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	it := &store.Item{ID: store.IDPrefix + "x", Title: "Tin gốc", Link: "https://goc.example/a?utm_source=rss&id=1",
		Published: t0, Seen: t0.Add(time.Hour), Updated: t0.Add(2 * time.Hour),
		Members: []store.Member{
			{Feed: "goc", Title: "Tin gốc", Link: "https://goc.example/a?utm_source=rss&id=1", By: store.MergedTitle, Seen: t0.Add(2 * time.Hour), Published: t0},
			{Feed: "dang-lai", Title: "Tin gốc", Link: "https://dang-lai.example/a?fbclid=z", By: store.MergedFirst, Seen: t0.Add(time.Hour), Published: t0.Add(time.Hour)},
			{Feed: "tong-hop", Title: "Tin gốc đăng lại", By: store.MergedNear, Distance: 4, Seen: t0.Add(3 * time.Hour), Published: t0.Add(3 * time.Hour), Undated: true},
			{Feed: "moi", Title: "Tin gốc, bản mới", By: store.MergedNear, Similarity: 0.83, Seen: t0.Add(4 * time.Hour), Published: t0.Add(4 * time.Hour)},
		}}
	var buf bytes.Buffer
	if err := writeExplain(&buf, it, []string{"guid goc 1"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"link        https://goc.example/a?id=1\n",
		"leader      goc\n",
		"updated     2026-11-27T03:00:00Z\n",
		"1  goc       same title",
		"2  dang-lai  first (minted the id)",
		"3  tong-hop  near duplicate (distance 4",
		"4  moi       near duplicate (similarity 0.83, at least 0.60)",
		"2026-11-27T04:00:00Z (no date: fetched)",
		"https://dang-lai.example/a\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "utm_") || strings.Contains(out, "fbclid") {
		t.Errorf("explain shows tracking parameters:\n%s", out)
	}
}
