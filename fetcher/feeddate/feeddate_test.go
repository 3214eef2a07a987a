package feeddate

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// dateTestLoc stands for a Vietnamese feed's zone. A fixed zone keeps the tests independent of the tzdata on the
// machine; loading "Asia/Ho_Chi_Minh" is the caller's job (TestParseLoc checks it when tzdata is there).
var dateTestLoc = time.FixedZone("ICT", 7*3600)

// dateTests are read in dateTestLoc; want is the instant in RFC 3339, "" when the input must not parse. They also
// seed FuzzParse.
var dateTests = []struct{ name, in, want string }{
	// RFC 1123 / RFC 822 (RFC 5322 §3.3, §4.3).
	{"rfc1123z", "Fri, 27 Nov 2026 10:15:00 +0700", "2026-11-27T03:15:00Z"},
	{"rfc1123 gmt", "Fri, 27 Nov 2026 10:15:00 GMT", "2026-11-27T10:15:00Z"},
	{"no weekday", "27 Nov 2026 10:15:00 +0700", "2026-11-27T03:15:00Z"},
	{"two-digit year", "Fri, 27 Nov 26 10:15:00 +0700", "2026-11-27T03:15:00Z"},
	{"two-digit year 1990s", "Tue, 01 Jan 99 00:00:00 GMT", "1999-01-01T00:00:00Z"},
	{"one-digit day", "Fri, 6 Nov 2026 10:15:00 +0700", "2026-11-06T03:15:00Z"},
	{"one-digit day, no weekday", "6 Nov 2026 10:15:00 +0700", "2026-11-06T03:15:00Z"},
	{"no seconds", "Fri, 27 Nov 2026 10:15 +0700", "2026-11-27T03:15:00Z"},
	{"no time", "Fri, 27 Nov 2026", "2026-11-26T17:00:00Z"},
	{"offset +07:00", "Fri, 27 Nov 2026 10:15:00 +07:00", "2026-11-27T03:15:00Z"},
	{"offset +07", "Fri, 27 Nov 2026 10:15:00 +07", "2026-11-27T03:15:00Z"},
	{"offset -0500", "Fri, 27 Nov 2026 10:15:00 -0500", "2026-11-27T15:15:00Z"},
	{"offset +0530", "Fri, 27 Nov 2026 10:15:00 +0530", "2026-11-27T04:45:00Z"},
	{"offset -0000", "Fri, 27 Nov 2026 10:15:00 -0000", "2026-11-27T10:15:00Z"},
	{"UT", "Fri, 27 Nov 2026 10:15:00 UT", "2026-11-27T10:15:00Z"},
	{"UTC", "Fri, 27 Nov 2026 10:15:00 UTC", "2026-11-27T10:15:00Z"},
	{"Z", "Fri, 27 Nov 2026 10:15:00 Z", "2026-11-27T10:15:00Z"},
	{"EST", "Fri, 27 Nov 2026 10:15:00 EST", "2026-11-27T15:15:00Z"},
	{"EDT", "Fri, 27 Nov 2026 10:15:00 EDT", "2026-11-27T14:15:00Z"},
	{"CST", "Fri, 27 Nov 2026 10:15:00 CST", "2026-11-27T16:15:00Z"},
	{"CDT", "Fri, 27 Nov 2026 10:15:00 CDT", "2026-11-27T15:15:00Z"},
	{"MST", "Fri, 27 Nov 2026 10:15:00 MST", "2026-11-27T17:15:00Z"},
	{"MDT", "Fri, 27 Nov 2026 10:15:00 MDT", "2026-11-27T16:15:00Z"},
	{"PST", "Fri, 27 Nov 2026 10:15:00 PST", "2026-11-27T18:15:00Z"},
	{"PDT", "Fri, 27 Nov 2026 10:15:00 PDT", "2026-11-27T17:15:00Z"},
	{"ICT", "Fri, 27 Nov 2026 10:15:00 ICT", "2026-11-27T03:15:00Z"},
	{"lower-case zone", "Fri, 27 Nov 2026 10:15:00 est", "2026-11-27T15:15:00Z"},
	{"GMT+7", "Fri, 27 Nov 2026 10:15:00 GMT+7", "2026-11-27T03:15:00Z"},
	{"GMT+07:00", "Fri, 27 Nov 2026 10:15:00 GMT+07:00", "2026-11-27T03:15:00Z"},
	{"GMT+0700", "Fri, 27 Nov 2026 10:15:00 GMT+0700", "2026-11-27T03:15:00Z"},
	{"UTC+7", "Fri, 27 Nov 2026 10:15:00 UTC+7", "2026-11-27T03:15:00Z"},
	{"UTC+07:00", "Fri, 27 Nov 2026 10:15:00 UTC+07:00", "2026-11-27T03:15:00Z"},
	{"GMT-5", "Fri, 27 Nov 2026 10:15:00 GMT-5", "2026-11-27T15:15:00Z"},
	{"offset and comment", "Fri, 27 Nov 2026 10:15:00 +0700 (ICT)", "2026-11-27T03:15:00Z"},
	{"offset wins over name", "Fri, 27 Nov 2026 10:15:00 EST +0700", "2026-11-27T03:15:00Z"},
	{"unknown zone is feed zone", "Fri, 27 Nov 2026 10:15:00 CET", "2026-11-27T03:15:00Z"},
	{"unknown zone, 4-digit", "Fri, 27 Nov 2026 10:15:00 AEST", "2026-11-27T03:15:00Z"},
	{"military letter is unknown", "Fri, 27 Nov 2026 10:15:00 A", "2026-11-27T03:15:00Z"},
	{"no zone", "Fri, 27 Nov 2026 10:15:00", "2026-11-27T03:15:00Z"},
	{"rfc850", "Friday, 27-Nov-26 10:15:00 GMT", "2026-11-27T10:15:00Z"},
	{"lower case", "fri, 27 nov 2026 10:15:00 +0700", "2026-11-27T03:15:00Z"},
	{"upper case long names", "FRIDAY, 27 NOVEMBER 2026 10:15:00 +0700", "2026-11-27T03:15:00Z"},
	{"Sept", "Sun, 27 Sept 2026 10:15:00 +0700", "2026-09-27T03:15:00Z"},
	{"September", "27 September 2026 10:15 +0700", "2026-09-27T03:15:00Z"},
	{"Thu is English", "Thu, 26 Nov 2026 10:15:00 +0700", "2026-11-26T03:15:00Z"},
	{"Thu without comma", "Thu 5 Nov 2026 10:15:00 +0700", "2026-11-05T03:15:00Z"},
	{"weekday not checked", "Mon, 27 Nov 2026 10:15:00 +0700", "2026-11-27T03:15:00Z"},
	{"extra spaces", "  Fri,   27  Nov   2026   10:15:00    +0700  ", "2026-11-27T03:15:00Z"},
	{"tabs and newlines", "\n\tFri, 27 Nov 2026\t10:15:00 +0700\r\n", "2026-11-27T03:15:00Z"},
	{"no-break spaces", "\u00a0Fri,\u00a027\u00a0Nov\u00a02026 10:15:00 +0700\u00a0", "2026-11-27T03:15:00Z"},
	{"AM/PM", "Fri, 27 Nov 2026 2:15:00 PM +0700", "2026-11-27T07:15:00Z"},
	{"12 AM", "Fri, 27 Nov 2026 12:05 am +0700", "2026-11-26T17:05:00Z"},
	{"12 PM", "Fri, 27 Nov 2026 12:05PM +0700", "2026-11-27T05:05:00Z"},
	{"p.m.", "Fri, 27 Nov 2026 2:15 p.m. +0700", "2026-11-27T07:15:00Z"},
	{"a.m.", "Fri, 27 Nov 2026 9:15 A.M.", "2026-11-27T02:15:00Z"},
	{"one-digit minute and second", "Fri, 27 Nov 2026 10:5:7 +0700", "2026-11-27T03:05:07Z"},
	{"month abbreviation with dot", "27 Nov. 2026 10:15 +0700", "2026-11-27T03:15:00Z"},

	// English month first, as gofeed's list has them; numeric dates are never month first.
	{"month first", "November 27, 2026 10:15 PM", "2026-11-27T15:15:00Z"},
	{"month first, weekday", "Friday, November 27, 2026", "2026-11-26T17:00:00Z"},
	{"month first, dot", "Nov. 27, 2026, 2:15 p.m.", "2026-11-27T07:15:00Z"},
	{"ANSIC", "Fri Nov 27 10:15:00 2026", "2026-11-27T03:15:00Z"},
	{"ANSIC one-digit day", "Fri Nov  6 10:15:00 2026", "2026-11-06T03:15:00Z"},
	{"UnixDate", "Fri Nov 27 10:15:00 EST 2026", "2026-11-27T15:15:00Z"},
	{"RubyDate", "Fri Nov 27 10:15:00 -0500 2026", "2026-11-27T15:15:00Z"},
	{"JavaScript", "Fri Nov 27 2026 10:15:00 GMT+0700 (Indochina Time)", "2026-11-27T03:15:00Z"},
	{"JavaScript, Vietnamese", "Fri Nov 27 2026 10:15:00 GMT+0700 (Giờ Đông Dương)", "2026-11-27T03:15:00Z"},
	{"comment alone", "Fri, 27 Nov 2026 10:15:00 (Indochina Time)", "2026-11-27T03:15:00Z"},
	{"name in comment", "Fri, 27 Nov 2026 10:15:00 (EST time)", "2026-11-27T03:15:00Z"},

	// RFC 3339 / ISO 8601.
	{"rfc3339 offset", "2026-11-27T10:15:00+07:00", "2026-11-27T03:15:00Z"},
	{"rfc3339 Z", "2026-11-27T03:15:00Z", "2026-11-27T03:15:00Z"},
	{"rfc3339 lower case", "2026-11-27t03:15:00z", "2026-11-27T03:15:00Z"},
	{"rfc3339 space", "2026-11-27 10:15:00+07:00", "2026-11-27T03:15:00Z"},
	{"space before offset", "2026-11-27 10:15:00 +07:00", "2026-11-27T03:15:00Z"},
	{"iso no seconds", "2026-11-27T10:15+07:00", "2026-11-27T03:15:00Z"},
	{"iso offset +0700", "2026-11-27T10:15:00+0700", "2026-11-27T03:15:00Z"},
	{"iso offset +07", "2026-11-27T10:15:00+07", "2026-11-27T03:15:00Z"},
	{"fraction", "2026-11-27T10:15:00.123456789+07:00", "2026-11-27T03:15:00.123456789Z"},
	{"short fraction", "2026-11-27T10:15:00.5Z", "2026-11-27T10:15:00.5Z"},
	{"long fraction truncated", "2026-11-27T10:15:00.12345678987654321Z", "2026-11-27T10:15:00.123456789Z"},
	{"iso no zone", "2026-11-27T10:15:00", "2026-11-27T03:15:00Z"},
	{"iso space no zone", "2026-11-27 10:15", "2026-11-27T03:15:00Z"},
	{"iso date only", "2026-11-27", "2026-11-26T17:00:00Z"},
	{"iso slashes", "2026/11/27 10:15", "2026-11-27T03:15:00Z"},
	{"leap day", "2028-02-29T00:00:00Z", "2028-02-29T00:00:00Z"},
	{"first second", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
	{"last second", "9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z"},

	// Vietnamese sites: day first.
	{"vn", "27/11/2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn seconds", "27/11/2026 10:15:30", "2026-11-27T03:15:30Z"},
	{"vn time first", "10:15 27/11/2026", "2026-11-27T03:15:00Z"},
	{"vn time first, comma", "10:15, 27/11/2026", "2026-11-27T03:15:00Z"},
	{"vn date only", "27/11/2026", "2026-11-26T17:00:00Z"},
	{"vn hyphens", "27-11-2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn dots", "27.11.2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn one digit", "1/2/2026 9:05", "2026-02-01T02:05:00Z"},
	{"vn GMT+7", "27/11/2026 10:15 GMT+7", "2026-11-27T03:15:00Z"},
	{"vn (GMT+7)", "27/11/2026 10:15 (GMT+7)", "2026-11-27T03:15:00Z"},
	{"vn ( GMT+7 )", "27/11/2026 10:15 ( GMT+7 )", "2026-11-27T03:15:00Z"},
	{"vn +07:00", "27/11/2026 10:15 +07:00", "2026-11-27T03:15:00Z"},
	{"vn -0500", "27/11/2026 10:15 -0500", "2026-11-27T15:15:00Z"},
	{"vn GMT", "27/11/2026 10:15 GMT", "2026-11-27T10:15:00Z"},
	{"vn date only GMT+7", "27/11/2026 (GMT+7)", "2026-11-26T17:00:00Z"},
	{"vn time first GMT+7", "10:15 27/11/2026 (GMT+7)", "2026-11-27T03:15:00Z"},
	{"vn weekday", "Thứ sáu, 27/11/2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn Sunday", "Chủ nhật, 29/11/2026, 08:00 (GMT+7)", "2026-11-29T01:00:00Z"},
	{"vn Monday", "Thứ Hai, 23/11/2026 08:00", "2026-11-23T01:00:00Z"},
	{"vn Tuesday", "Thứ ba, 24/11/2026 08:00", "2026-11-24T01:00:00Z"},
	{"vn Wednesday", "Thứ Tư, 25/11/2026 08:00", "2026-11-25T01:00:00Z"},
	{"vn Thursday", "Thứ năm, 26/11/2026 08:00", "2026-11-26T01:00:00Z"},
	{"vn Saturday", "Thứ Bảy, 28/11/2026 08:00", "2026-11-28T01:00:00Z"},
	{"vn weekday number", "Thứ 6, 27/11/2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn weekday number, no comma", "Thứ 6 27/11/2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn CN", "CN, 29/11/2026 08:00", "2026-11-29T01:00:00Z"},
	{"vn upper case", "THỨ SÁU, 27/11/2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn decomposed", "Thu\u031b\u0301 sa\u0301u, 27/11/2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn windows-1258 marks", "Thư\u0301 sa\u0301u, 27/11/2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn Sunday decomposed", "Chu\u0309 nhâ\u0323t, 29/11/2026 08:00", "2026-11-29T01:00:00Z"},
	{"vn without diacritics", "Thu sau, 27/11/2026 10:15", "2026-11-27T03:15:00Z"},
	{"vn ngày", "Thứ Sáu, ngày 27/11/2026 - 10:15", "2026-11-27T03:15:00Z"},
	{"vn dash", "Thứ sáu, 27/11/2026 - 10:15 (GMT+7)", "2026-11-27T03:15:00Z"},
	{"vn bar", "27/11/2026 | 10:15", "2026-11-27T03:15:00Z"},
	{"vn time first, weekday", "10:15 Thứ sáu, 27/11/2026", "2026-11-27T03:15:00Z"},
	{"vn SA", "27/11/2026 9:15:30 SA", "2026-11-27T02:15:30Z"},
	{"vn CH", "27/11/2026 2:15:30 CH", "2026-11-27T07:15:30Z"},
	{"vn extra spaces", "  27/11/2026    10:15   GMT+7 ", "2026-11-27T03:15:00Z"},
	{"vn no-break space", "27/11/2026\u00a010:15", "2026-11-27T03:15:00Z"},

	// Forms web pages write, read in the feed's zone.
	{"page: day first, time", "07/12/2026 15:04", "2026-12-07T08:04:00Z"},
	{"page: time first", "15:04 07/12/2026", "2026-12-07T08:04:00Z"},
	{"page: hyphens, no time", "07-12-2026", "2026-12-06T17:00:00Z"},
	{"page: weekday, GMT+7", "Thứ hai, 07/12/2026, 15:04 (GMT+7)", "2026-12-07T08:04:00Z"},
	{"page: in words", "ngày 7 tháng 12 năm 2026", "2026-12-06T17:00:00Z"},
	{"page: in words, time", "Ngày 07 tháng 12 năm 2026 15:04", "2026-12-07T08:04:00Z"},
	{"page: in words, weekday", "Thứ Hai, ngày 7 tháng 12 năm 2026", "2026-12-06T17:00:00Z"},
	{"page: dash before time", "07/12/2026 - 15:04", "2026-12-07T08:04:00Z"},
	{"page: in words, no year word", "7 tháng 12 2026", ""},
	{"page: in words, month 13", "7 tháng 13 năm 2026", ""},
	// Not dates, or not ones we understand.
	{"empty", "", ""},
	{"blank", "  \t ", ""},
	{"word", "hôm qua", ""},
	{"number", "1732677300", ""},
	{"31 February", "31/02/2026 10:15", ""},
	{"29 February, not leap", "29/02/2026", ""},
	{"29 February 2100", "2100-02-29", ""},
	{"month 13", "27/13/2026 10:15", ""},
	{"day 0", "0/11/2026", ""},
	{"hour 25", "27/11/2026 25:00", ""},
	{"hour 24", "2026-11-27T24:00:00Z", ""},
	{"minute 60", "27/11/2026 10:60", ""},
	{"second 60", "2026-11-27T10:15:60Z", ""},
	{"month first", "11/27/2026", ""},
	{"two-digit year, slashes", "27/11/26", ""},
	{"three-digit year", "27 Nov 026 10:15", ""},
	{"year 1969", "1969-12-31T23:59:59Z", ""},
	{"1970 in the feed zone is 1969 in UTC", "01/01/1970 05:00", ""},
	{"two-digit year 1969", "Wed, 31 Dec 69 10:15:00 GMT", ""},
	{"year 0001", "0001-01-01T00:00:00Z", ""},
	{"year 10000 in UTC", "9999-12-31T23:00:00-05:00", ""},
	{"five-digit year", "10000-01-01", ""},
	{"unknown month", "Fri, 27 Foo 2026 10:15:00 +0700", ""},
	{"unknown weekday", "Fry, 27 Nov 2026 10:15:00 +0700", ""},
	{"offset hour 25", "27/11/2026 10:15 +2500", ""},
	{"offset minute 60", "27/11/2026 10:15 +0760", ""},
	{"three-digit offset", "27/11/2026 10:15 +070", ""},
	{"bare sign", "27/11/2026 10:15 +", ""},
	{"trailing dash", "27/11/2026 -", ""},
	{"non-ASCII zone", "27/11/2026 10:15 giờ", ""},
	{"long zone name", "27/11/2026 10:15 Indochina", ""},
	{"trailing garbage", "Fri, 27 Nov 2026 10:15:00 +0700 + 1", ""},
	{"three zones", "27/11/2026 10:15 GMT (ICT) UTC", ""},
	{"unclosed parenthesis", "27/11/2026 10:15 (GMT+7", ""},
	{"13 PM", "27/11/2026 13:15 PM", ""},
	{"0 AM", "27/11/2026 0:15 AM", ""},
	{"T after day-first date", "27/11/2026T10:15", ""},
	{"T alone", "2026-11-27T", ""},
	{"hour only", "2026-11-27T10", ""},
	{"three-digit minute", "27/11/2026 10:005", ""},
	{"bad zone in parentheses", "27/11/2026 10:15 (GMT+25)", ""},
	{"unclosed comment", "27/11/2026 10:15 (Indochina Time", ""},
	{"digits in comment", "27/11/2026 10:15 (Indochina 7)", ""},
	{"month first, no year", "Nov 27 10:15:00", ""},
	{"month first, two-digit year", "Nov 27, 26", ""},
	{"ANSIC, two zones and a year", "Fri Nov 27 10:15:00 EST EDT UTC 2026", ""},
	{"two times", "10:15 Nov 27 10:15 2026", ""},
	{"mixed separators", "27/11-2026", ""},
	{"Chủ alone", "Chủ, 29/11/2026", ""},
	{"invalid UTF-8", "27/11/2026 \xff", ""},
	{"NUL", "27/11/2026\x00", ""},
	{"too long", strings.Repeat(" ", 120) + "27/11/2026", ""},
}

func TestParse(t *testing.T) {
	for _, tt := range dateTests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.in, dateTestLoc)
			if tt.want == "" {
				if ok || !got.IsZero() {
					t.Errorf("Parse(%q) = %v, %v; want not ok", tt.in, got, ok)
				}
				return
			}
			want, err := time.Parse(time.RFC3339Nano, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, ok, want)
			}
		})
	}
}

// TestParseLoc checks that a date without a zone is read in the zone given, and one with a zone is not.
func TestParseLoc(t *testing.T) {
	tests := []struct {
		name string
		loc  *time.Location
		in   string
		want string
	}{
		{"UTC", time.UTC, "27/11/2026 10:15", "2026-11-27T10:15:00Z"},
		{"nil is UTC", nil, "27/11/2026 10:15", "2026-11-27T10:15:00Z"},
		{"New York offset", time.FixedZone("", -5*3600), "Fri, 27 Nov 2026 10:15:00", "2026-11-27T15:15:00Z"},
		{"unknown name", time.FixedZone("", -5*3600), "Fri, 27 Nov 2026 10:15:00 CET", "2026-11-27T15:15:00Z"},
		{"zone given", time.FixedZone("", -5*3600), "27/11/2026 10:15 GMT+7", "2026-11-27T03:15:00Z"},
		{"fast path, zone given", time.FixedZone("", -5*3600), "Fri, 27 Nov 2026 10:15:00 GMT", "2026-11-27T10:15:00Z"},
	}
	if hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		tests = append(tests, struct {
			name string
			loc  *time.Location
			in   string
			want string
		}{"Asia/Ho_Chi_Minh", hcm, "Thứ sáu, 27/11/2026 10:15", "2026-11-27T03:15:00Z"})
	} else {
		t.Logf("no tzdata, Asia/Ho_Chi_Minh not checked: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.in, tt.loc)
			want, err := time.Parse(time.RFC3339, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("Parse(%q, %v) = %v, %v; want %v", tt.in, tt.loc, got, ok, want)
			}
		})
	}
}

// TestParseFastPath checks that the positional RFC 1123 reader agrees with the general one.
func TestParseFastPath(t *testing.T) {
	tests := []struct {
		in   string
		fast bool // whether the fast path takes it
	}{
		{"Fri, 27 Nov 2026 10:15:00 +0700", true},
		{"Fri, 27 Nov 2026 10:15:00 -0530", true},
		{"fri, 27 NOV 2026 10:15:00 GMT", true},
		{"Fri, 27 Nov 2026 10:15:00 EST", true},
		{"Fri, 27 Nov 2026 10:15:00 CET", false}, // unknown name: read in loc by the general path
		{"Fri, 27 Nov 2026 10:15:00 +2400", false},
		{"Fri, 27 Nov 2026 10:15:00 *0700", false},
		{"Fri, 27 Nov 2026 10:15:00 +07:0", false},
		{"Fri, 27 Nov 2026 10:15:0x +0700", false},
		{"Fri, 27 Nox 2026 10:15:00 +0700", false},
		{"Fry, 27 Nov 2026 10:15:00 +0700", false},
		{"Fri, 31 Feb 2026 10:15:00 +0700", true}, // taken, then refused by the calendar check
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var fast dateParser
			if got := fast.rfc1123(tt.in); got != tt.fast {
				t.Fatalf("rfc1123(%q) = %v; want %v", tt.in, got, tt.fast)
			}
			slow := dateParser{s: tt.in}
			if !slow.parse() {
				if tt.fast {
					t.Fatalf("parse(%q) failed where rfc1123 did not", tt.in)
				}
				return
			}
			if !tt.fast {
				return
			}
			ft, fok := fast.time(dateTestLoc)
			st, sok := slow.time(dateTestLoc)
			if fok != sok || !ft.Equal(st) {
				t.Errorf("%q: rfc1123 gives %v, %v; parse gives %v, %v", tt.in, ft, fok, st, sok)
			}
		})
	}
}

// TestParseRoundTrip formats pseudo-random instants with Go's layouts and the Vietnamese ones, in several
// zones, and checks that Parse reads each back exactly.
func TestParseRoundTrip(t *testing.T) {
	zones := []*time.Location{time.UTC, dateTestLoc, time.FixedZone("", -5*3600), time.FixedZone("", 5*3600+1800)}
	layouts := []struct {
		layout   string
		twoDigit bool // a two-digit year: RFC 5322 reads 00–49 as 20xx, 50–99 as 19xx
		zoned    bool // the text names the zone; otherwise it is read in dateTestLoc
		sec      time.Duration
	}{
		{time.RFC1123Z, false, true, time.Second},
		{time.RFC1123, false, true, time.Second},
		{time.RFC822Z, true, true, time.Minute},
		{time.RFC850, true, true, time.Second},
		{time.RFC3339, false, true, time.Second},
		{time.RFC3339Nano, false, true, 1},
		{"2006-01-02 15:04:05.999Z07:00", false, true, time.Millisecond},
		{"2 Jan 2006 15:04 -07:00", false, true, time.Minute},
		{"Monday, 2 January 2006 3:04:05 PM (MST)", false, true, time.Second},
		{"02/01/2006 15:04:05", false, false, time.Second},
		{"2/1/2006 15:04 GMT-07:00", false, true, time.Minute},
		{"15:04 02-01-2006", false, false, time.Minute},
		{time.ANSIC, false, false, time.Second},
		{time.UnixDate, false, true, time.Second},
		{time.RubyDate, false, true, time.Second},
		{"Mon Jan 02 2006 15:04:05 GMT-0700 (Indochina Time)", false, true, time.Second},
		{"January 2, 2006 3:04:05.999999 PM -07:00", false, true, time.Microsecond},
	}
	r := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9998, 12, 31, 0, 0, 0, 0, time.UTC).Unix()
	for range 2000 {
		in := time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9)).UTC()
		for _, l := range layouts {
			if l.twoDigit && in.Year() >= 2050 {
				continue
			}
			zone := zones[r.IntN(len(zones))]
			if !l.zoned {
				zone = dateTestLoc
			}
			s := in.In(zone).Format(l.layout)
			want := in.In(zone).Truncate(l.sec)
			got, ok := Parse(s, dateTestLoc)
			if !ok || !got.Equal(want) {
				t.Fatalf("Parse(%q) = %v, %v; want %v", s, got, ok, want.UTC())
			}
		}
	}
}

func TestParseMaxLen(t *testing.T) {
	in := "27/11/2026 10:15"
	in = strings.Repeat(" ", dateMaxLen-len(in)) + in
	if _, ok := Parse(in, dateTestLoc); !ok {
		t.Errorf("Parse of %d bytes failed; want ok", len(in))
	}
	if _, ok := Parse(" "+in, dateTestLoc); ok {
		t.Errorf("Parse of %d bytes is ok; want not ok", len(in)+1)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bb := range []struct{ name, in string }{
		{"rfc1123z", "Fri, 27 Nov 2026 10:15:00 +0700"},
		{"rfc1123 gmt", "Fri, 27 Nov 2026 10:15:00 GMT"},
		{"rfc822 no zone", "Fri, 27 Nov 2026 10:15:00"},
		{"rfc822 GMT+7", "Fri, 6 Nov 26 10:15 GMT+7"},
		{"rfc3339", "2026-11-27T10:15:00+07:00"},
		{"rfc3339 fraction", "2026-11-27T10:15:00.123456Z"},
		{"vn", "27/11/2026 10:15"},
		{"vn weekday", "Thứ sáu, 27/11/2026, 10:15 (GMT+7)"},
		{"vn time first", "10:15 27/11/2026"},
		{"invalid", "not a date at all"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Parse(bb.in, dateTestLoc)
			}
		})
	}
}

func TestFind(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bare", "07/12/2026 15:04", "2026-12-07T08:04:00Z"},
		{"label", "Cập nhật: 07/12/2026 15:04", "2026-12-07T08:04:00Z"},
		{"brackets", "(07/12/2026)", "2026-12-06T17:00:00Z"},
		{"words after", "07/12/2026 15:04 | Lượt xem: 1234", "2026-12-07T08:04:00Z"},
		{"label, in words", "Đăng ngày 7 tháng 12 năm 2026", "2026-12-06T17:00:00Z"},
		{"no date", "Lượt xem: 1234", ""},
		{"empty", "", ""},
		{"long text", strings.Repeat("chữ ", 200) + "07/12/2026", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Find(tt.in, dateTestLoc)
			if tt.want == "" {
				if ok {
					t.Errorf("Find(%q) = %v; want not ok", tt.in, got)
				}
				return
			}
			want, err := time.Parse(time.RFC3339, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || !got.Equal(want) {
				t.Errorf("Find(%q) = %v, %v; want %v", tt.in, got, ok, want)
			}
		})
	}
}

func TestParseLayout(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // 16:00 in Vietnam
	tests := []struct{ name, in, layout, want string }{
		{"day first", "07/12/2026 15:04", "02/01/2006 15:04", "2026-12-07T08:04:00Z"},
		{"zone in layout", "2026.12.07 15:04 +0000", "2006.01.02 15:04 -0700", "2026-12-07T15:04:00Z"},
		{"no year", "07/12 15:04", "02/01 15:04", "2026-12-07T08:04:00Z"},
		{"no year, last year", "31/12 23:00", "02/01 15:04", "2025-12-31T16:00:00Z"},
		{"mismatch", "7 tháng 12", "02/01/2006", ""},
		{"year 1969", "31/12/1969", "02/01/2006", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseLayout(tt.in, tt.layout, dateTestLoc, now)
			if tt.want == "" {
				if ok {
					t.Errorf("ParseLayout(%q, %q) = %v; want not ok", tt.in, tt.layout, got)
				}
				return
			}
			want, err := time.Parse(time.RFC3339, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || !got.Equal(want) {
				t.Errorf("ParseLayout(%q, %q) = %v, %v; want %v", tt.in, tt.layout, got, ok, want)
			}
		})
	}
}
