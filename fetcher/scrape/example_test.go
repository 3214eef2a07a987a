package scrape_test

import (
	"fmt"
	"net/url"
	"time"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
)

func ExampleExtract() {
	page := []byte(`<div class="list-news">
<article><h3><a href="/tin-tuc/hoi-nghi-1001">Hội nghị tổng kết năm</a></h3><span class="time">07/12/2026 - 15:04</span></article>
</div>`)
	sel := scrape.Select{Item: "div.list-news article", Title: "h3 a", Link: "h3 a @href", Date: "span.time"}
	if err := scrape.Check(scrape.FormatHTML, sel); err != nil { // as config validation does
		fmt.Println(err)
		return
	}
	base, _ := url.Parse("https://www.hcmcpv.org.vn/tin-tuc")
	src := scrape.Source{Format: scrape.FormatHTML, Select: sel, Location: time.FixedZone("ICT", 7*3600)}
	doc, err := scrape.Extract(src, page, "text/html; charset=utf-8", base, time.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range doc.Items {
		fmt.Println(it.Title)
		fmt.Println(it.Link)
		fmt.Println(it.DateRaw, "→", it.Date.Format(time.RFC3339))
	}
	// Output:
	// Hội nghị tổng kết năm
	// https://www.hcmcpv.org.vn/tin-tuc/hoi-nghi-1001
	// 07/12/2026 - 15:04 → 2026-12-07T08:04:00Z
}
