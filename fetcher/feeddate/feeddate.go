// Package feeddate reads the dates press sources write, in feeds and on web
// pages, Vietnamese forms included.
//
// Parse takes a date as the source wrote it and the zone of the source; it
// returns the instant in UTC, or false. It reads at most a bounded prefix of
// its input and runs in time linear in it, so a hostile date field costs
// little. Years outside 1970–9999 are never returned.
package feeddate

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// dateMaxLen bounds what Parse reads: the longest form it knows is well under it, and a hostile feed's date
// fields then cost a bounded time each.
const dateMaxLen = 128

// Parse parses a feed date as publishers write it. A date that names no zone is read in loc
// (the feed's timezone; gofeed would read it as UTC, 7 hours off for Vietnamese feeds). ok is false
// when raw holds no date it understands. The result is in UTC.
//
// A nil loc is read as UTC. The forms it knows, with any white space around and between their parts:
//
//	Fri, 27 Nov 2026 10:15:00 +0700      RFC 1123, RFC 5322: weekday, seconds optional; 2- or 4-digit year
//	Friday, 27-Nov-26 10:15:00 GMT       RFC 850
//	2026-11-27T10:15:00.5+07:00          RFC 3339, ISO 8601: T or space; seconds, fraction, time optional
//	Thứ sáu, 27/11/2026, 10:15 (GMT+7)   Vietnamese: day first, never month first; '/', '-' or '.'
//	10:15 27/11/2026                     Vietnamese, time first
//	ngày 27 tháng 11 năm 2026, 10:15     Vietnamese, in words
//	November 27, 2026 10:15 PM           English, month first; also ANSIC, UnixDate, RubyDate, JavaScript
//
// A zone is a numeric offset (+0700, +07:00, +07, GMT+7, UTC-05:00), a name of RFC 5322 (GMT, UT, EST...), UTC,
// Z or ICT, possibly in parentheses; an offset wins over a name, and an unknown name counts as no zone. A time may
// end in AM/PM or the Vietnamese SA/CH. Weekday names are skipped, not checked against the date. Years outside
// 1970–9999, in the text or in UTC, are not ok.
func Parse(raw string, loc *time.Location) (t time.Time, ok bool) {
	if len(raw) > dateMaxLen {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	s := strings.TrimSpace(raw)
	var p dateParser
	if !p.rfc1123(s) {
		p = dateParser{s: s}
		if !p.parse() {
			return time.Time{}, false
		}
	}
	return p.time(loc)
}

// Zone kinds of a dateParser, in increasing precedence.
const (
	dateZoneNone   = iota // read in the feed's zone
	dateZoneName          // a known name: GMT, EST, ICT...
	dateZoneOffset        // a numeric offset: +0700, GMT+7...
)

// dateParser reads one date left to right. Optional parts (weekday, meridiem, zone) put p.i back when they do not
// match; a failed required part fails the whole parse. No method looks more than a few tokens ahead or back, so
// parsing takes time linear in the input.
type dateParser struct {
	s string
	i int

	year, month, day      int
	hour, minute, sec, ns int
	iso                   bool // the date was year first, so a 'T' may follow it
	timed                 bool // the time came inside the date, as in ANSIC's "Mon Jan 2 15:04:05 2006"
	zone                  int  // dateZoneNone, dateZoneName or dateZoneOffset
	off                   int  // seconds east of UTC, unless zone is dateZoneNone
}

// rfc1123 reads the form most feeds use, "Mon, 02 Jan 2006 15:04:05 -0700" or "... GMT" (RFC 1123 §5.2.14), by
// position. It reports false, leaving the rest to parse, for anything else.
func (p *dateParser) rfc1123(s string) bool {
	if len(s) != 29 && len(s) != 31 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
		s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' {
		return false
	}
	var a [12]byte
	if !dateWeekday(dateFold(a[:0], s[:3])) {
		return false
	}
	var ok [6]bool
	p.day, ok[0] = dateAtoi(s[5:7])
	p.year, ok[1] = dateAtoi(s[12:16])
	p.hour, ok[2] = dateAtoi(s[17:19])
	p.minute, ok[3] = dateAtoi(s[20:22])
	p.sec, ok[4] = dateAtoi(s[23:25])
	p.month = dateMonth(dateFold(a[:0], s[8:11]))
	if len(s) == 29 {
		p.off, ok[5] = dateNamedZone(dateFold(a[:0], s[26:]))
		p.zone = dateZoneName
	} else {
		var hhmm int
		hhmm, ok[5] = dateAtoi(s[27:])
		h, m := hhmm/100, hhmm%100
		ok[5] = ok[5] && (s[26] == '+' || s[26] == '-') && h <= 23 && m <= 59
		p.off, p.zone = h*3600+m*60, dateZoneOffset
		if s[26] == '-' {
			p.off = -p.off
		}
	}
	return ok == [6]bool{true, true, true, true, true, true} && p.month != 0
}

// parse reads [weekday] [ngày] date [time] [zone], or [weekday] time date [zone] as Vietnamese sites also write.
// The zone comes last, except in ANSIC-like dates (see monthFirst).
func (p *dateParser) parse() bool {
	p.prefix()
	if p.clockFirst() {
		if !p.clock() {
			return false
		}
		p.sep()
		p.prefix()
		if !p.date() || p.timed {
			return false
		}
	} else {
		if !p.date() {
			return false
		}
		switch {
		case p.timed:
		case p.iso && (p.accept('T') || p.accept('t')):
			if !p.clock() {
				return false
			}
		default:
			p.sep()
			if dateIsDigit(p.peek()) && !p.clock() {
				return false
			}
		}
	}
	if !p.zones(2) {
		return false
	}
	p.space()
	return p.i == len(p.s)
}

// time checks the calendar and returns the instant in UTC.
func (p *dateParser) time(loc *time.Location) (time.Time, bool) {
	if p.year < 1970 || p.year > 9999 || p.month < 1 || p.month > 12 || p.day < 1 ||
		p.day > dateDaysIn(p.year, p.month) || p.hour > 23 || p.minute > 59 || p.sec > 59 {
		return time.Time{}, false
	}
	var t time.Time
	if p.zone == dateZoneNone {
		t = time.Date(p.year, time.Month(p.month), p.day, p.hour, p.minute, p.sec, p.ns, loc).UTC()
	} else {
		// Not time.FixedZone: it allocates, and the offset is all we need.
		t = time.Date(p.year, time.Month(p.month), p.day, p.hour, p.minute, p.sec, p.ns, time.UTC).
			Add(-time.Duration(p.off) * time.Second)
	}
	if y := t.Year(); y < 1970 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

func (p *dateParser) peek() byte { return p.peekAt(0) }

func (p *dateParser) peekAt(k int) byte {
	if p.i+k < len(p.s) {
		return p.s[p.i+k]
	}
	return 0
}

func (p *dateParser) accept(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// space skips white space, including the no-break spaces of scraped HTML.
func (p *dateParser) space() {
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				return
			}
			p.i++
			continue
		}
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if !unicode.IsSpace(r) {
			return
		}
		p.i += n
	}
}

// sep skips what publishers put between weekday, date and time: spaces, a comma, " - " or " | ".
func (p *dateParser) sep() {
	p.space()
	if p.accept(',') {
		p.space()
	}
	// A '-' right before a digit is a zone offset ("27/11/2026 -0500"), not a separator.
	if c := p.peek(); (c == '-' || c == '|') && p.i+1 < len(p.s) && !dateIsDigit(p.peekAt(1)) {
		p.i++
		p.space()
	}
}

// num reads a run of ASCII digits, giving its value and its length; the value counts the first 9 digits only,
// more than any caller accepts.
func (p *dateParser) num() (v, n int) {
	for p.i < len(p.s) && dateIsDigit(p.s[p.i]) {
		if n < 9 {
			v = v*10 + int(p.s[p.i]-'0')
		}
		n++
		p.i++
	}
	return v, n
}

// field reads a number of lo to hi digits into dst.
func (p *dateParser) field(dst *int, lo, hi int) bool {
	v, n := p.num()
	*dst = v
	return lo <= n && n <= hi
}

// word reads a run of letters, with the combining marks of decomposed Vietnamese.
func (p *dateParser) word() string {
	start := p.i
	for p.i < len(p.s) {
		if c := p.s[p.i]; c < utf8.RuneSelf {
			if c|0x20 < 'a' || c|0x20 > 'z' {
				break
			}
			p.i++
			continue
		}
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			break
		}
		p.i += n
	}
	return p.s[start:p.i]
}

// prefix skips a weekday name and the word "ngày" (day), as in "Thứ sáu, ngày 27/11/2026". The weekday is not
// checked against the date: time.Parse ignores it too, and publishers get it wrong more often than the date.
func (p *dateParser) prefix() {
	start := p.i
	var a [12]byte
	switch w := dateFold(a[:0], p.word()); {
	case string(w) == "thu": // English Thu, or Vietnamese Thứ and the day's name or number
		p.vietDay()
	case string(w) == "chu": // Chủ nhật, Sunday
		p.space()
		if string(dateFold(a[:0], p.word())) != "nhat" {
			p.i = start
			return
		}
	case string(w) == "cn" || dateWeekday(w):
	default:
		p.i = start
	}
	if p.i > start {
		p.sep()
	}
	start = p.i
	if string(dateFold(a[:0], p.word())) != "ngay" {
		p.i = start
		return
	}
	p.space()
}

// vietDay reads what follows Thứ: hai, ba, tư, năm, sáu, bảy, or a number 2–7. "Thu 5 Nov" is English: a number
// is a weekday only if a date follows it.
func (p *dateParser) vietDay() {
	q := p.i
	p.space()
	var a [12]byte
	switch string(dateFold(a[:0], p.word())) {
	case "hai", "ba", "tu", "nam", "sau", "bay":
		return
	}
	p.i = q
	p.space()
	if c := p.peek(); '2' <= c && c <= '7' && !dateIsDigit(p.peekAt(1)) {
		p.i++
		r := p.i
		p.sep()
		dated := dateIsDigit(p.peek())
		p.i = r
		if dated {
			return
		}
	}
	p.i = q
}

// date reads a calendar date: 2026-11-27 (year first, ISO 8601), 27/11/2026 (day first, as Vietnamese write it:
// never month first), 27 Nov 2026 (RFC 5322; 27-Nov-26 of RFC 850), or Nov 27, 2026 (see monthFirst).
func (p *dateParser) date() bool {
	n, w := p.num()
	c := p.peek()
	switch {
	case w == 4 && (c == '-' || c == '/'):
		p.i++
		p.year, p.iso = n, true
		return p.field(&p.month, 1, 2) && p.accept(c) && p.field(&p.day, 1, 2)
	case w == 0:
		return p.monthFirst()
	case w > 2:
		return false
	case (c == '/' || c == '-' || c == '.') && dateIsDigit(p.peekAt(1)):
		p.i++
		p.day = n
		return p.field(&p.month, 1, 2) && p.accept(c) && p.field(&p.year, 4, 4)
	}
	p.day = n
	hyphen := p.accept('-')
	p.space()
	var a [12]byte
	name := dateFold(a[:0], p.word())
	if !hyphen && string(name) == "thang" {
		return p.vietWords()
	}
	if p.month = dateMonth(name); p.month == 0 {
		return false
	}
	if hyphen && !p.accept('-') {
		return false
	}
	if !hyphen {
		p.accept('.') // "27 Nov. 2026"
	}
	p.space()
	y, yw := p.num()
	switch {
	case yw == 4:
		p.year = y
	case yw == 2 && y < 50: // RFC 5322 §4.3
		p.year = 2000 + y
	case yw == 2:
		p.year = 1900 + y
	default:
		return false
	}
	return true
}

// vietWords reads the rest of a date written out in Vietnamese words, "7 tháng 12 năm 2026", after "tháng":
// the month's number, "năm" (year) and the year.
func (p *dateParser) vietWords() bool {
	p.space()
	if !p.field(&p.month, 1, 2) {
		return false
	}
	p.space()
	var a [12]byte
	if string(dateFold(a[:0], p.word())) != "nam" {
		return false
	}
	p.space()
	return p.field(&p.year, 4, 4)
}

// monthFirst reads an English date with the month first: "November 27, 2026", "Nov. 27 2026", JavaScript's
// "Nov 27 2026", or ANSIC's "Nov 27 10:15:00 2026" with the time, and perhaps a zone, before the year (UnixDate,
// RubyDate). Numeric dates are never read month first.
func (p *dateParser) monthFirst() bool {
	var a [12]byte
	if p.month = dateMonth(dateFold(a[:0], p.word())); p.month == 0 {
		return false
	}
	p.accept('.')
	p.space()
	if !p.field(&p.day, 1, 2) {
		return false
	}
	p.space()
	if p.accept(',') {
		p.space()
	}
	if p.clockFirst() {
		if !p.clock() || !p.zones(2) {
			return false
		}
		p.space()
		p.timed = true
	}
	return p.field(&p.year, 4, 4)
}

// clockFirst reports whether a time of day comes next.
func (p *dateParser) clockFirst() bool {
	j := p.i
	for j < len(p.s) && dateIsDigit(p.s[j]) {
		j++
	}
	return j > p.i && j < len(p.s) && p.s[j] == ':'
}

// clock reads a time of day: 10:15, 9:05:30 or 10:15:30.123456789 (and 15:4:5, which some feeds write), then
// perhaps AM/PM, a.m./p.m., or the Vietnamese SA/CH (sáng/chiều, as .NET's vi-VN culture writes them).
func (p *dateParser) clock() bool {
	if !p.field(&p.hour, 1, 2) || !p.accept(':') || !p.field(&p.minute, 1, 2) {
		return false
	}
	if p.accept(':') {
		if !p.field(&p.sec, 1, 2) {
			return false
		}
		if p.peek() == '.' && dateIsDigit(p.peekAt(1)) {
			p.i++
			n := 0
			for ; p.i < len(p.s) && dateIsDigit(p.s[p.i]); p.i++ {
				if n < 9 {
					p.ns = p.ns*10 + int(p.s[p.i]-'0')
					n++
				}
			}
			for ; n < 9; n++ {
				p.ns *= 10
			}
		}
	}
	q := p.i
	p.space()
	var a, b [12]byte
	pm := false
	switch w := dateFold(a[:0], p.word()); {
	case string(w) == "am" || string(w) == "sa":
	case string(w) == "pm" || string(w) == "ch":
		pm = true
	case (string(w) == "a" || string(w) == "p") && p.accept('.') && string(dateFold(b[:0], p.word())) == "m":
		pm = w[0] == 'p'
		p.accept('.')
	default:
		p.i = q
		return true
	}
	if p.hour < 1 || p.hour > 12 {
		return false
	}
	p.hour %= 12
	if pm {
		p.hour += 12
	}
	return true
}

// zones reads up to n zones, each perhaps in parentheses, as in "+0700 (ICT)" or "(GMT+7)", and stops at the end
// or before a digit. Words in parentheses that name no zone, as in JavaScript's "GMT+0700 (Indochina Time)", are a
// comment and are skipped (RFC 5322 §3.2.2).
func (p *dateParser) zones(n int) bool {
	for range n {
		q := p.i
		p.space()
		if p.i == len(p.s) || dateIsDigit(p.peek()) {
			p.i = q
			return true
		}
		if !p.accept('(') {
			if !p.zoneItem() {
				return false
			}
			continue
		}
		p.space()
		r, zone, off := p.i, p.zone, p.off
		if p.zoneItem() {
			p.space()
			if p.accept(')') {
				continue
			}
		}
		p.i, p.zone, p.off = r, zone, off
		for !p.accept(')') {
			if p.word() == "" {
				return false
			}
			p.space()
		}
	}
	return true
}

// zoneItem reads an offset, or a name of up to 6 ASCII letters and perhaps an offset after it ("GMT+7").
func (p *dateParser) zoneItem() bool {
	if c := p.peek(); c == '+' || c == '-' {
		return p.offset()
	}
	w := p.word()
	if w == "" || len(w) > 6 || !dateASCII(w) {
		return false
	}
	var a [12]byte
	if off, ok := dateNamedZone(dateFold(a[:0], w)); ok && p.zone == dateZoneNone {
		p.zone, p.off = dateZoneName, off
	}
	q := p.i
	p.space()
	if c := p.peek(); (c == '+' || c == '-') && dateIsDigit(p.peekAt(1)) {
		return p.offset()
	}
	p.i = q
	return true
}

// offset reads a numeric zone: +0700, +07:00, +07, or +7 as after GMT (RFC 5322 §3.3, RFC 3339 §5.6).
func (p *dateParser) offset() bool {
	neg := p.s[p.i] == '-'
	p.i++
	n, w := p.num()
	var h, m int
	switch w {
	case 1, 2:
		h = n
		if p.accept(':') && !p.field(&m, 2, 2) {
			return false
		}
	case 4:
		h, m = n/100, n%100
	default:
		return false
	}
	if h > 23 || m > 59 {
		return false
	}
	if p.zone != dateZoneOffset {
		p.zone, p.off = dateZoneOffset, h*3600+m*60
		if neg {
			p.off = -p.off
		}
	}
	return true
}

// dateFold lower-cases w into buf and drops Vietnamese diacritics ("Thứ" → "thu"), precomposed or decomposed
// alike, so names compare in one switch. It returns nil when w is too long for buf, longer than any name.
func dateFold(buf []byte, w string) []byte {
	for _, r := range w {
		switch {
		case r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r): // a combining tone or vowel mark
			continue
		case len(buf) == cap(buf):
			return nil
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			buf = append(buf, byte(r))
		default:
			buf = append(buf, dateBaseLetter(unicode.ToLower(r)))
		}
	}
	return buf
}

// dateBaseLetter gives the ASCII letter under a lower-case Vietnamese letter, or '?'.
func dateBaseLetter(r rune) byte {
	switch r {
	case 'à', 'á', 'ả', 'ã', 'ạ', 'ă', 'ằ', 'ắ', 'ẳ', 'ẵ', 'ặ', 'â', 'ầ', 'ấ', 'ẩ', 'ẫ', 'ậ':
		return 'a'
	case 'è', 'é', 'ẻ', 'ẽ', 'ẹ', 'ê', 'ề', 'ế', 'ể', 'ễ', 'ệ':
		return 'e'
	case 'ì', 'í', 'ỉ', 'ĩ', 'ị':
		return 'i'
	case 'ò', 'ó', 'ỏ', 'õ', 'ọ', 'ô', 'ồ', 'ố', 'ổ', 'ỗ', 'ộ', 'ơ', 'ờ', 'ớ', 'ở', 'ỡ', 'ợ':
		return 'o'
	case 'ù', 'ú', 'ủ', 'ũ', 'ụ', 'ư', 'ừ', 'ứ', 'ử', 'ữ', 'ự':
		return 'u'
	case 'ỳ', 'ý', 'ỷ', 'ỹ', 'ỵ':
		return 'y'
	case 'đ':
		return 'd'
	}
	return '?'
}

// dateWeekday reports whether a folded name is an English weekday.
func dateWeekday(name []byte) bool {
	switch string(name) {
	case "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs", "thursday",
		"fri", "friday", "sat", "saturday", "sun", "sunday":
		return true
	}
	return false
}

// dateMonth gives the number of a folded English month name, or 0.
func dateMonth(name []byte) int {
	switch string(name) {
	case "jan", "january":
		return 1
	case "feb", "february":
		return 2
	case "mar", "march":
		return 3
	case "apr", "april":
		return 4
	case "may":
		return 5
	case "jun", "june":
		return 6
	case "jul", "july":
		return 7
	case "aug", "august":
		return 8
	case "sep", "sept", "september":
		return 9
	case "oct", "october":
		return 10
	case "nov", "november":
		return 11
	case "dec", "december":
		return 12
	}
	return 0
}

// dateNamedZone gives the offset of a folded zone name: those of RFC 5322 §4.3 (UT, GMT and the US zones), UTC,
// Z, and ICT (Indochina Time), which Vietnamese sites write. Other names, military letters among them, are unknown.
func dateNamedZone(name []byte) (off int, ok bool) {
	const h = 3600
	switch string(name) {
	case "gmt", "ut", "utc", "z":
		return 0, true
	case "edt":
		return -4 * h, true
	case "est", "cdt":
		return -5 * h, true
	case "cst", "mdt":
		return -6 * h, true
	case "mst", "pdt":
		return -7 * h, true
	case "pst":
		return -8 * h, true
	case "ict":
		return 7 * h, true
	}
	return 0, false
}

func dateDaysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func dateIsDigit(c byte) bool { return '0' <= c && c <= '9' }

// dateAtoi reads s, which must be all ASCII digits.
func dateAtoi(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		if !dateIsDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

func dateASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
