package publisher

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// TestKeywordsMatchEveryOutlet: a story two outlets carried is found by a
// word only the second outlet wrote, in its headline or in its lead,
// through ?q= and include, and exclude leaves it out; an item none of
// whose outlets wrote the word is not.
func TestKeywordsMatchEveryOutlet(t *testing.T) {
	c := &clock{t: time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)}
	db := openDB(t, c)
	const title = "Khánh thành cầu Rạch Miễu 2 sau 3 năm thi công"
	const key = "khánh thành cầu rạch miễu 2 sau 3 năm thi công"
	add(t, db, "goc", nil, incoming("g1", key, store.Item{Title: title, Link: "https://goc.example/cau",
		Summary: "Cầu nối Tiền Giang và Bến Tre khánh thành sáng nay.", Published: time.Date(2025, 6, 1, 7, 0, 0, 0, ict)}))
	c.t = c.t.Add(time.Minute)
	add(t, db, "dang-lai", nil, incoming("d1", key, store.Item{Title: title, Link: "https://dang-lai.example/cau",
		Summary: "Cây cầu thay cho bến phà Rạch Miễu đã thông xe.", Published: time.Date(2025, 6, 1, 7, 30, 0, 0, ict)}))
	add(t, db, "khac", nil, incoming("k1", "giá vàng hôm nay tăng mạnh", store.Item{Title: "Giá vàng hôm nay tăng mạnh",
		Link: "https://khac.example/vang", Summary: "Vàng miếng tăng 500.000 đồng mỗi lượng.", Published: time.Date(2025, 6, 1, 7, 40, 0, 0, ict)}))
	// A third outlet's headline only: what it wrote in its title counts too.
	c.t = c.t.Add(time.Minute)
	add(t, db, "ba", nil, incoming("b1", "", store.Item{Title: "Thông xe cầu Rạch Miễu 2, bỏ phà", Link: "https://goc.example/cau",
		Published: time.Date(2025, 6, 1, 7, 50, 0, 0, ict)}))
	items, err := db.Latest(t.Context(), 10, nil)
	if err != nil || len(items) != 2 || len(items[1].Members) != 3 || items[1].Leader() != "goc" {
		t.Fatalf("store holds %+v, %v; want the bridge story carried by three outlets, led by goc", items, err)
	}
	bridge, gold := items[1].ID, items[0].ID

	h, err := newHandler(db, Options{Outputs: []Output{
		{Name: "all"},
		{Name: "pha", Include: []string{"ben pha"}},
		{Name: "bo-pha", Include: []string{"bỏ phà"}},
		{Name: "khong-pha", Exclude: []string{"bến phà"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want []string
	}{
		{"/feeds/all.json?q=" + url.QueryEscape("bến phà"), []string{bridge}},
		{"/feeds/all.json?q=" + url.QueryEscape("thay cho ben pha"), []string{bridge}},
		{"/feeds/all.json?q=" + url.QueryEscape("bo pha"), []string{bridge}},
		{"/feeds/all.json?q=" + url.QueryEscape("phà Tiền Giang"), nil}, // words of two texts: no phrase
		{"/feeds/all.json?q=" + url.QueryEscape("tăng mạnh"), []string{gold}},
		{"/feeds/pha.json", []string{bridge}},
		{"/feeds/bo-pha.rss", []string{bridge}},
		{"/feeds/khong-pha.atom", []string{gold}},
	}
	for _, tt := range tests {
		w := get(h, http.MethodGet, tt.path)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", tt.path, w.Code, w.Body)
		}
		f := formatJSON
		switch {
		case strings.Contains(tt.path, ".rss"):
			f = formatRSS
		case strings.Contains(tt.path, ".atom"):
			f = formatAtom
		}
		if got := parseIDs(t, f, w.Body.Bytes()); !slices.Equal(got, tt.want) {
			t.Errorf("GET %s = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestServedLinksStripped renders items as stored before links lost their
// tracking parameters: the item's link and each outlet's link in the
// attribution are served without them, in every format.
func TestServedLinksStripped(t *testing.T) {
	h, err := newHandler(openDB(t, nil), Options{Feeds: fixtureFeeds})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
	items := []store.Item{{
		ID: store.IDPrefix + "a", Title: "Tin có liên kết theo dõi", Published: t0, Seen: t0,
		Link: "https://vnexpress.net/tin-1.html?utm_source=rss&utm_medium=feed&id=7&fbclid=IwAR0&zarsrc=30&_ga=2.1#binh-luan",
		Members: []store.Member{
			{Feed: "vnexpress", Link: "https://vnexpress.net/tin-1.html?utm_source=rss&utm_medium=feed&id=7&fbclid=IwAR0&zarsrc=30&_ga=2.1#binh-luan"},
			{Feed: "tuoitre", Link: "https://tuoitre.vn/tin-1.htm?gidzl=abc&gclid=x"},
		},
	}}
	const served = "https://vnexpress.net/tin-1.html?id=7#binh-luan"
	o := h.outputs["all"]
	for f := range numFormats {
		body, err := h.encode(o, f, items, nil, page{self: o.selfLinks[f]})
		if err != nil {
			t.Fatal(err)
		}
		doc := string(body)
		for _, bad := range []string{"utm_", "fbclid", "zarsrc", "_ga", "gidzl", "gclid"} {
			if strings.Contains(doc, bad) {
				t.Errorf("%s serves %q:\n%s", formats[f].name, bad, doc)
			}
		}
		for _, want := range []string{served, "https://tuoitre.vn/tin-1.htm"} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s lacks %q:\n%s", formats[f].name, want, doc)
			}
		}
	}
}

// BenchmarkKeepMatching measures what a keyword costs per item read for a
// query page or a filtered output, when it matches nothing (every text is
// read): a story one outlet carried, and one three outlets carried, each
// with its own headline and lead.
func BenchmarkKeepMatching(b *testing.B) {
	lead := "Liên Bộ Công Thương - Tài chính vừa điều chỉnh giá bán lẻ xăng dầu. Từ 15h chiều nay, mỗi lít xăng RON 95 giảm 500 đồng, xăng E5 RON 92 giảm 420 đồng, dầu diesel giảm 310 đồng so với kỳ điều hành trước."
	one := store.Item{Title: "Giá xăng RON 95 giảm 500 đồng mỗi lít từ 15h chiều nay", Summary: lead,
		Members: []store.Member{{Feed: "a"}}}
	three := one
	three.Members = []store.Member{{Feed: "a"},
		{Feed: "b", Title: "Xăng giảm giá 500 đồng từ 15 giờ hôm nay", Lead: "(PLO) - " + lead},
		{Feed: "c", Title: "Giá xăng dầu đồng loạt giảm chiều nay", Lead: "TTO - Từ 15 giờ, giá xăng RON 95 giảm 500 đồng một lít, dầu diesel giảm 310 đồng."}}
	h, err := newHandler(openDB(b, nil), Options{})
	if err != nil {
		b.Fatal(err)
	}
	o := h.outputs["all"]
	qr, err := parseQuery("q=" + url.QueryEscape("bóng đá"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		it   *store.Item
	}{{"one outlet", &one}, {"three outlets", &three}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if o.keepMatching(bc.it, &qr.kw) {
					b.Fatal("matched")
				}
			}
		})
	}
}
