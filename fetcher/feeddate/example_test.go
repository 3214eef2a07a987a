package feeddate_test

import (
	"fmt"
	"time"

	"github.com/pressfeed/pressfeed/fetcher/feeddate"
)

func ExampleParse() {
	vn := time.FixedZone("ICT", 7*3600) // a feed's timezone, e.g. time.LoadLocation("Asia/Ho_Chi_Minh")
	for _, raw := range []string{"Thứ hai, 07/12/2026, 15:04 (GMT+7)", "ngày 7 tháng 12 năm 2026", "Mon, 07 Dec 2026 08:04:00 GMT"} {
		t, ok := feeddate.Parse(raw, vn)
		fmt.Println(t.Format(time.RFC3339), ok)
	}
	t, ok := feeddate.Find("Cập nhật: 07/12/2026 15:04", vn)
	fmt.Println(t.Format(time.RFC3339), ok)
	// Output:
	// 2026-12-07T08:04:00Z true
	// 2026-12-06T17:00:00Z true
	// 2026-12-07T08:04:00Z true
	// 2026-12-07T08:04:00Z true
}
