package publisher

import (
	"net/url"
	"strings"
)

// How the status page words a feed's last fetch error: its class (the
// fetcher's store.FeedState.ErrorClass) in Vietnamese for the operator, the
// Go error text folded beneath it, without the feed's URL, which the card
// shows already.

// errorClassWords are the fetcher's error classes in Vietnamese.
var errorClassWords = map[string]string{
	"timeout":           "hết thời gian chờ",
	"http":              "máy chủ trả lỗi",
	"gone":              "nguồn tin đã bị gỡ (410)",
	"moved":             "nguồn tin đã chuyển địa chỉ",
	"too_large":         "quá lớn",
	"too_deep":          "tài liệu bất thường",
	"too_many_items":    "tài liệu bất thường",
	"too_many_elements": "tài liệu bất thường",
	"not_feed":          "không phải nguồn tin RSS, Atom hay JSON Feed",
	"parse":             "không đọc được",
	"blocked":           "địa chỉ bị chặn",
	"robots":            "robots.txt không cho phép",
	"bot_protection":    "bị lớp chống bot chặn",
	"dns":               "không tìm thấy tên miền",
	"tls":               "lỗi kết nối bảo mật (TLS)",
	"connect":           "không kết nối được",
	"interrupted":       "bị gián đoạn khi xử lý",
}

// errorWords returns the Vietnamese words for an error class; "lỗi khác"
// (another error) for "other", none or a class this version does not know.
func errorWords(class string) string {
	if w, ok := errorClassWords[class]; ok {
		return w
	}
	return "lỗi khác"
}

// errorDetail returns the error text msg of the feed called name at
// feedURL without what the card shows already: Go's errors repeat the URL
// ("Get \"https://…\": dial tcp: …") and the fetcher's start with the
// feed's name ("fetch vnexpress: fetcher: HTTP 503 …"). The URL is removed
// as written and with its password masked (net/url writes "xxxxx",
// net/http "***"), so no password is shown either.
func errorDetail(msg, name, feedURL string) string {
	msg = strings.TrimPrefix(msg, "fetch "+name+": ")
	forms := []string{feedURL}
	if u, err := url.Parse(feedURL); err == nil && u.User != nil {
		forms = append(forms, u.Redacted())
		if pw, ok := u.User.Password(); ok {
			forms = append(forms, strings.Replace(feedURL, ":"+pw+"@", ":***@", 1))
		}
	}
	for _, f := range forms {
		if f == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, `"`+f+`"`, f)
		for _, verb := range []string{"Get ", "Head ", ""} {
			msg = strings.ReplaceAll(msg, verb+f+": ", "")
		}
		msg = strings.ReplaceAll(msg, f, "")
	}
	msg = strings.ReplaceAll(msg, "fetcher: ", "")
	return oneLine(msg)
}
