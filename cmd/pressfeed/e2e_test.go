package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Stories of the end-to-end fixture. Outlets A, B and C carry some of the
// same stories under different links, GUIDs and Unicode forms.
const (
	s1 = "Thành phố Hồ Chí Minh khởi công tuyến metro số 2"
	s2 = "Giá xăng dầu đồng loạt giảm từ 15 giờ chiều nay"
	s3 = "Mưa lớn gây ngập nhiều tuyến đường ở Thủ Đức"
	s4 = "Quốc hội thông qua Luật Thủ đô sửa đổi"
	s5 = "Đội tuyển Việt Nam thắng Thái Lan 2-1"
	s6 = "Hoà giải thành công tranh chấp đất đai tại quận 7"
)

func rssA() string {
	item := func(title, link, guid, date string) string {
		return fmt.Sprintf(`<item><title>%s</title><link>%s</link><guid isPermaLink="false">%s</guid><pubDate>%s</pubDate><description>&lt;p&gt;%s. Nội dung chi tiết.&lt;/p&gt;</description></item>`,
			title, link, guid, date, title)
	}
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo A</title><link>https://www.bao-a.example/</link><description>Tin A</description>` +
		item(s1, "https://www.bao-a.example/metro-so-2.html?utm_source=rss&amp;utm_medium=feed", "a-1", "Fri, 27 Nov 2026 08:00:00 +0700") +
		item(s2, "https://www.bao-a.example/gia-xang.html", "a-2", "Fri, 27 Nov 2026 09:00:00 +0700") +
		item(s3, "https://www.bao-a.example/mua-lon.html", "a-3", "27/11/2026 10:00") + // no zone: Asia/Ho_Chi_Minh
		`</channel></rss>`
}

func atomB() string {
	entry := func(title, link, id, date string) string {
		return fmt.Sprintf(`<entry><title>%s</title><link href="%s"/><id>%s</id><updated>%s</updated><summary>%s.</summary></entry>`,
			title, link, id, date, title)
	}
	return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Báo B</title><id>urn:b</id><updated>2026-11-27T04:00:00Z</updated><link href="https://bao-b.example/"/>` +
		// The same story as A's s1: http, no www, a fragment, another GUID.
		entry(norm.NFD.String(s1), "http://bao-a.example/metro-so-2.html#top", "tag:b,2026:1", "2026-11-27T01:05:00Z") +
		// The same headline as A's s2 in NFD, on B's own site.
		entry(norm.NFD.String(s2), "https://bao-b.example/xang-dau-giam", "tag:b,2026:2", "2026-11-27T02:10:00Z") +
		entry(norm.NFD.String(s6), "https://bao-b.example/hoa-giai", "tag:b,2026:6", "2026-11-27T02:30:00Z") +
		`</feed>`
}

func jsonC() string {
	type item struct {
		ID          string `json:"id"`
		URL         string `json:"url"`
		Title       string `json:"title"`
		ContentHTML string `json:"content_html"`
		Date        string `json:"date_published"`
	}
	doc := map[string]any{
		"version": "https://jsonfeed.org/version/1.1",
		"title":   "Báo C",
		"items": []item{
			{"c-1", "https://bao-a.example/metro-so-2.html/?fbclid=XYZ", s1, "<p>Metro</p>", "2026-11-27T08:30:00+07:00"},
			{"c-4", "https://bao-c.example/luat-thu-do", s4, "<p>Luật</p>", "2026-11-27T07:00:00+07:00"},
			{"c-5", "https://bao-c.example/bong-da", s5, "<p>Bóng đá <script>alert(1)</script></p>", "2026-11-26T21:00:00+07:00"},
		},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

const wantStories = 6

func serveDoc(t *testing.T, contentType, body string) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("ETag", fmt.Sprintf(`"%x"`, len(body)))
		if r.Header.Get("If-None-Match") == w.Header().Get("ETag") {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// freeAddr returns a loopback address no listener holds, for a daemon
// to be started on. The port is taken below the kernel's ephemeral
// range, so that between this call and the daemon's bind no test server
// listening on port 0 and no client socket can be given it; ports are
// handed out in turn, so two daemons of one test run never share one.
func freeAddr(t *testing.T) string {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	if portNext == 0 {
		lo := 32768
		if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
			if f := strings.Fields(string(b)); len(f) == 2 {
				if n, err := strconv.Atoi(f[0]); err == nil && n > 12000 {
					lo = n
				}
			}
		}
		portLow = lo - 10000
		portNext = portLow + rand.IntN(5000)
	}
	for range 10000 {
		port := portNext
		portNext++
		if portNext >= portLow+10000 {
			portNext = portLow
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}

var (
	portMu            sync.Mutex
	portLow, portNext int
)

func writeConfig(t *testing.T, dir, addr string, feeds map[string]string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[server]\nlisten = %q\nbase_url = \"http://%s\"\n[store]\npath = %q\n", addr, addr, filepath.Join(dir, "data", "pressfeed.db"))
	b.WriteString("[fetch]\ninterval = \"1h\"\ntimeout = \"10s\"\nallow_networks = [\"127.0.0.0/8\", \"::1/128\"]\n[log]\nlevel = \"warn\"\n")
	names := make([]string, 0, len(feeds))
	for n := range feeds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = %q\ntags = [\"tin-%s\"]\n", n, feeds[n], n)
	}
	b.WriteString("[[outputs]]\nname = \"all\"\ntitle = \"Tin tổng hợp\"\n")
	b.WriteString("[[outputs]]\nname = \"tphcm\"\ntitle = \"Tin TP.HCM\"\ninclude = [\"ho chi minh\", \"thủ đức\"]\n")
	b.WriteString("[[outputs]]\nname = \"bao-c\"\ntitle = \"Báo C\"\ntags = [\"tin-c\"]\nexclude = [\"thai lan\"]\n")
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// daemon runs "pressfeed run" until the test stops it.
type daemon struct {
	base   string
	cancel context.CancelFunc
	done   chan error
}

func startDaemon(t *testing.T, cfgPath, addr string) *daemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{base: "http://" + addr, cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- run(ctx, []string{"-config", cfgPath, "run"}, io.Discard, io.Discard) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(d.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("daemon not healthy after 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *daemon) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("daemon exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("daemon did not stop within 15s")
	}
}

func (d *daemon) get(t *testing.T, path string) ([]byte, http.Header) {
	t.Helper()
	resp, err := http.Get(d.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	return body, resp.Header
}

type rssDocument struct {
	Items []struct {
		Title      string   `xml:"title"`
		Link       string   `xml:"link"`
		GUID       string   `xml:"guid"`
		Categories []string `xml:"category"`
	} `xml:"channel>item"`
}

type atomDocument struct {
	Entries []struct {
		ID    string `xml:"id"`
		Title string `xml:"title"`
	} `xml:"entry"`
}

type jsonDocument struct {
	Version string `json:"version"`
	Items   []struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		ContentHTML string `json:"content_html"`
	} `json:"items"`
}

// documents fetches the three formats of an output and returns the ids and
// titles of each, checking that they agree.
func documents(t *testing.T, d *daemon, output string) (ids, titles []string, raw map[string][]byte) {
	t.Helper()
	raw = map[string][]byte{}
	for _, ext := range []string{"rss", "atom", "json"} {
		raw[ext], _ = d.get(t, "/feeds/"+output+"."+ext)
	}
	var r rssDocument
	if err := xml.Unmarshal(raw["rss"], &r); err != nil {
		t.Fatalf("%s.rss: %v", output, err)
	}
	var a atomDocument
	if err := xml.Unmarshal(raw["atom"], &a); err != nil {
		t.Fatalf("%s.atom: %v", output, err)
	}
	var j jsonDocument
	if err := json.Unmarshal(raw["json"], &j); err != nil {
		t.Fatalf("%s.json: %v", output, err)
	}
	if len(r.Items) != len(a.Entries) || len(r.Items) != len(j.Items) {
		t.Fatalf("%s: %d RSS items, %d Atom entries, %d JSON items", output, len(r.Items), len(a.Entries), len(j.Items))
	}
	for i := range r.Items {
		if r.Items[i].GUID != a.Entries[i].ID || r.Items[i].GUID != j.Items[i].ID {
			t.Errorf("%s item %d ids differ: %q %q %q", output, i, r.Items[i].GUID, a.Entries[i].ID, j.Items[i].ID)
		}
		if !strings.HasPrefix(r.Items[i].GUID, "urn:pressfeed:item:") {
			t.Errorf("%s item %d id %q", output, i, r.Items[i].GUID)
		}
		if strings.Contains(j.Items[i].ContentHTML, "<script") {
			t.Errorf("%s item %d keeps a script: %s", output, i, j.Items[i].ContentHTML)
		}
		ids = append(ids, r.Items[i].GUID)
		titles = append(titles, r.Items[i].Title)
	}
	return ids, titles, raw
}

func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	feeds := map[string]string{
		"a": serveDoc(t, "application/rss+xml", rssA()),
		"b": serveDoc(t, "application/atom+xml; charset=utf-8", atomB()),
		"c": serveDoc(t, "application/feed+json", jsonC()),
	}
	addr := freeAddr(t)
	cfgPath := writeConfig(t, dir, addr, feeds)
	ctx := context.Background()

	if err := run(ctx, []string{"check", "-config", cfgPath}, io.Discard, io.Discard); err != nil {
		t.Fatalf("check: %v", err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"-config", cfgPath, "fetch"}, &out, &out); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "fetched 3 feeds: 6 new items, 3 merged, 0 failed") {
		t.Errorf("fetch output:\n%s", out.String())
	}

	d := startDaemon(t, cfgPath, addr)
	ids, titles, first := documents(t, d, "all")
	if len(ids) != wantStories {
		t.Errorf("all has %d items, want %d: %q", len(ids), wantStories, titles)
	}
	seen := map[string]int{}
	for i, title := range titles {
		seen[norm.NFC.String(title)]++
		if !norm.NFC.IsNormalString(title) {
			t.Errorf("title %q is not NFC", title)
		}
		if seen[title] > 1 {
			t.Errorf("story %q appears twice (id %s)", title, ids[i])
		}
	}
	for _, s := range []string{s1, s2, s3, s4, s5, s6} {
		if seen[s] != 1 {
			t.Errorf("story %q appears %d times, want once", s, seen[s])
		}
	}
	// s3 had no zone: 10:00 in Asia/Ho_Chi_Minh is 03:00 UTC, the newest.
	if titles[0] != s3 {
		t.Errorf("newest item = %q, want %q (a date without zone read in the feed's zone)", titles[0], s3)
	}
	var r rssDocument
	_ = xml.Unmarshal(first["rss"], &r)
	for _, it := range r.Items {
		if it.Title == s1 && len(it.Categories) < 3 {
			t.Errorf("merged story s1 has categories %q, want one per outlet", it.Categories)
		}
	}
	_, hcm, _ := documents(t, d, "tphcm")
	if strings.Join(hcm, "|") != s3+"|"+s1 {
		t.Errorf("tphcm output = %q, want [%s %s]", hcm, s3, s1)
	}
	_, onlyC, _ := documents(t, d, "bao-c")
	if strings.Join(onlyC, "|") != s1+"|"+s4 {
		t.Errorf("bao-c output = %q, want [%s %s] (tag filter, thai lan excluded)", onlyC, s1, s4)
	}
	_, h1 := d.get(t, "/feeds/all.atom")
	d.stop(t)

	// A restart and another fetch change nothing: same ids, same bytes.
	out.Reset()
	if err := run(ctx, []string{"fetch", "-config", cfgPath}, &out, &out); err != nil {
		t.Fatalf("second fetch: %v", err)
	}
	if !strings.Contains(out.String(), "fetched 3 feeds: 0 new items, 0 merged, 0 failed") {
		t.Errorf("second fetch output:\n%s", out.String())
	}
	d = startDaemon(t, cfgPath, addr)
	ids2, _, second := documents(t, d, "all")
	_, h2 := d.get(t, "/feeds/all.atom")
	d.stop(t)
	if strings.Join(ids, " ") != strings.Join(ids2, " ") {
		t.Errorf("ids changed across a restart:\n%q\n%q", ids, ids2)
	}
	for ext := range first {
		if !bytes.Equal(first[ext], second[ext]) {
			t.Errorf("all.%s changed across a restart", ext)
		}
	}
	if h1.Get("ETag") == "" || h1.Get("ETag") != h2.Get("ETag") {
		t.Errorf("ETag %q then %q, want the same non-empty one", h1.Get("ETag"), h2.Get("ETag"))
	}

	if dir := os.Getenv("PRESSFEED_E2E_OUT"); dir != "" {
		for ext, b := range first {
			if err := os.WriteFile(filepath.Join(dir, "all."+ext), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "expected-entries"), []byte(strconv.Itoa(wantStories)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("merged %d items from 3 outlets into %d stories", 9, len(ids))
}
