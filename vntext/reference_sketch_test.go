package vntext

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The Sketch of a headline and lead is stored (the store keeps its
// AppendBinary form and indexes its Mins), so NewSketch must keep returning
// what it returned when those were written. This file freezes that
// implementation: NewSketch and the helpers it called, copied verbatim from
// near.go as of commit 35cb2f3, each name prefixed by ref. Normalize, which
// has its own frozen reference (refNormalize), is called as NewSketch
// called it. sketch_equiv_test.go checks NewSketch against refNewSketch.

// refSketchLeadWords is sketchLeadWords when the reference was frozen.
const refSketchLeadWords = 80

// refToken is one canonical word with what the tokenizer learnt of it.
type refToken struct {
	w      string
	number bool
	name   bool // capitalised, not the first word of a sentence
}

// refNewSketch returns the Sketch of a headline and its lead.
func refNewSketch(title, lead string) Sketch {
	tt := refCanonical(refTokenize(Normalize(title)))
	lt := refCanonical(refTokenize(refCutTag(Normalize(lead))))
	if len(lt) > refSketchLeadWords {
		lt = lt[:refSketchLeadWords]
	}
	if len(tt) > refSketchLeadWords {
		tt = tt[:refSketchLeadWords] // a Sketch's lead may be the headline: at most 255 words
	}
	var s Sketch
	body := lt
	if len(body) == 0 {
		body = tt
	}
	hs := make([]uint32, len(body))
	for i, t := range body {
		hs[i] = refWordHash(t.w)
	}
	s.Mins = refMinHash(hs)
	s.lead = refSortedSet(slices.Clone(hs))
	s.flags = make([]uint8, len(s.lead))
	s.seq = make([]uint8, len(body))
	for i, t := range body {
		k, _ := slices.BinarySearch(s.lead, hs[i])
		s.seq[i] = uint8(k)
		switch {
		case t.number:
			s.flags[k] |= wordNumber
		case t.name:
			s.flags[k] |= wordName
		}
	}
	for _, t := range tt {
		h := refWordHash(t.w)
		if t.number {
			s.tnums = append(s.tnums, h)
		}
		if k, ok := slices.BinarySearch(s.lead, h); !ok {
			s.title = append(s.title, h)
		} else if !t.number && len(lt) > 0 {
			s.flags[k] |= wordKey
		}
	}
	s.title = refSortedSet(s.title)
	s.tnums = refSortedSet(s.tnums)
	for _, ts := range [][]refToken{tt, lt} {
		for _, t := range ts {
			for i, p := range refSignPairs {
				if t.w == p[0] {
					s.signs |= 1 << (2 * i)
				} else if t.w == p[1] {
					s.signs |= 1 << (2*i + 1)
				}
			}
		}
	}
	return s
}

// refSignPairs are words of direction: a report that prices went up and one
// that they went down are two stories however alike.
var refSignPairs = [][2]string{
	{"tăng", "giảm"}, {"thắng", "thua"}, {"lãi", "lỗ"}, {"bơm", "hút"}, {"lên", "xuống"},
	{"cao", "thấp"}, {"mở", "đóng"}, {"nhập", "xuất"},
}

func refSortedSet(xs []uint32) []uint32 {
	slices.Sort(xs)
	return slices.Compact(xs)
}

// refWordHash is FNV-1a folded to 24 bits (the stored width): two words of
// a vocabulary of 100,000 share a hash with probability 0.6%, and a
// Sketch compares a few hundred pairs of them.
func refWordHash(w string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(w); i++ {
		h = (h ^ uint32(w[i])) * 16777619
	}
	return (h>>24 ^ h) & 0xFFFFFF
}

func refMix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// refMinHash returns the MinHash values of the pairs of consecutive words of
// ws (the word itself when there is one), 16 bits each, never 0.
func refMinHash(ws []uint32) Mins {
	var out Mins
	if len(ws) == 0 {
		return out
	}
	var mins [NearMins]uint64
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	add := func(sh uint64) {
		for i := range mins {
			if v := refMix(sh ^ uint64(i+1)*0x9e3779b97f4a7c15); v < mins[i] {
				mins[i] = v
			}
		}
	}
	if len(ws) == 1 {
		add(uint64(ws[0]))
	}
	for i := 1; i < len(ws); i++ {
		add(uint64(ws[i-1])<<32 | uint64(ws[i]))
	}
	for i, m := range mins {
		out[i] = uint16(refMix(m)) | 1
	}
	return out
}

// refCutTag removes the outlet's tag before a lead: "(PLO)-", "TTO -",
// "(NLĐO) -", "(Dân trí) -", "SGGP -", "VOV.VN -", "(VTC News) –". A tag
// is at most four words in parentheses (a dash may follow), or at most
// three words before a dash, each written with a capital or holding a dot.
func refCutTag(lead string) string {
	s := strings.TrimLeftFunc(lead, unicode.IsSpace)
	if strings.HasPrefix(s, "(") {
		end := strings.IndexByte(s, ')')
		if end < 0 || end > 40 || len(strings.Fields(s[1:end])) > 4 {
			return lead
		}
		return refCutDash(s[end+1:])
	}
	for _, d := range []string{" - ", " – ", " — ", "- ", "– "} {
		i := strings.Index(s, d)
		if i <= 0 || i > 30 {
			continue
		}
		ws := strings.Fields(s[:i])
		if len(ws) > 3 {
			continue
		}
		ok := true
		for _, w := range ws {
			r, _ := utf8.DecodeRuneInString(w)
			if !unicode.IsUpper(r) && !strings.Contains(w, ".") {
				ok = false
			}
		}
		if ok {
			return strings.TrimLeftFunc(s[i+len(d):], unicode.IsSpace)
		}
	}
	return lead
}

func refCutDash(s string) string {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	for _, d := range []string{"-", "–", "—", ":"} {
		if after, ok := strings.CutPrefix(t, d); ok {
			return strings.TrimLeftFunc(after, unicode.IsSpace)
		}
	}
	return t
}

// refTokenize splits normalised text into lower-case words: runs of letters
// and marks, and numbers (digits with the separators between them). A run
// of letters and digits splits where one turns into the other ("15h30" is
// 15, h, 30; "QL20" is ql, 20). A word is a name when it starts with a
// capital and does not start a sentence, or is all capitals (an
// abbreviation).
func refTokenize(s string) []refToken {
	var out []refToken
	start := true // the next word starts a sentence
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case '0' <= r && r <= '9':
			j := i
			for j < len(s) {
				c := s[j]
				if '0' <= c && c <= '9' {
					j++
					continue
				}
				if (c == '.' || c == ',') && j+1 < len(s) && '0' <= s[j+1] && s[j+1] <= '9' {
					j++
					continue
				}
				break
			}
			out = append(out, refToken{w: refCanonNumber(s[i:j]), number: true})
			start = false
			i = j
		case refIsLetter(r):
			j := i
			upper, allUpper, letters := unicode.IsUpper(r), true, 0
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if !refIsLetter(r2) {
					break
				}
				if unicode.IsLetter(r2) {
					letters++
					if !unicode.IsUpper(r2) {
						allUpper = false
					}
				}
				j += n2
			}
			name := upper && (!start || allUpper && letters > 1)
			out = append(out, refToken{w: strings.ToLower(s[i:j]), name: name})
			start = false
			i = j
		default:
			if r == '.' || r == '!' || r == '?' || r == ':' || r == ';' {
				start = true
			}
			i += n
		}
	}
	return out
}

func refIsLetter(r rune) bool { return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) }

// refCanonNumber writes a number one way: thousands separators dropped
// ("5.000", "5,000" → 5000), a decimal comma as a point ("3,5" → 3.5),
// leading zeros dropped.
func refCanonNumber(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == ',' {
			// Three digits and the end (or another separator) after it: thousands.
			k := i + 1
			for k < len(s) && '0' <= s[k] && s[k] <= '9' {
				k++
			}
			if k-i-1 == 3 {
				continue
			}
			b.WriteByte('.')
			continue
		}
		b.WriteByte(c)
	}
	n := strings.TrimLeft(b.String(), "0")
	if n == "" || n[0] == '.' {
		n = "0" + n
	}
	return n
}

// refNumberWords are the counts written out that outlets also write in
// digits. "năm" is five only before a counted noun (else it is a year);
// "một" (one, and a) is written 1 among the words but is no number a
// Sketch compares.
var refNumberWords = map[string]string{
	"hai": "2", "ba": "3", "bốn": "4", "sáu": "6", "bảy": "7", "tám": "8", "chín": "9", "mười": "10",
}

// refCounted are the nouns after which "năm" is five, not a year.
var refCounted = map[string]bool{"năm": true, "người": true, "ngày": true, "tháng": true, "tuần": true,
	"giờ": true, "lần": true, "ca": true, "chiếc": true, "căn": true, "xã": true, "tỉnh": true, "trường": true,
	"đội": true, "km": true, "tấn": true, "triệu": true, "tỷ": true, "nghìn": true}

// refPhrases maps the first word of each long form of the press's common
// names, and of their abbreviations, to the forms that start with it
// (longest first), each followed by the one word it becomes.
var refPhrases = map[string][][]string{}

func init() {
	for short, longs := range map[string][]string{
		"tphcm": {"thành phố hồ chí minh", "tp hồ chí minh", "tp hcm", "hcm city", "tphcm"},
		"nhnn":  {"ngân hàng nhà nước"},
		"gdđt":  {"giáo dục và đào tạo", "giáo dục đào tạo", "gd đt", "gd và đt"},
		"gtvt":  {"giao thông vận tải"},
		"ubnd":  {"ủy ban nhân dân", "uỷ ban nhân dân"},
		"hđnd":  {"hội đồng nhân dân"},
		"csgt":  {"cảnh sát giao thông"},
		"thpt":  {"trung học phổ thông"},
		"thcs":  {"trung học cơ sở"},
		"đbscl": {"đồng bằng sông cửu long"},
		"bhyt":  {"bảo hiểm y tế"},
		"bhxh":  {"bảo hiểm xã hội"},
		"ql":    {"quốc lộ"},
		"hcv":   {"huy chương vàng"},
		"hcb":   {"huy chương bạc"},
		"hcđ":   {"huy chương đồng"},
		"vđv":   {"vận động viên"},
		"hlv":   {"huấn luyện viên"},
		"đh":    {"đại học"},
		"pccc":  {"phòng cháy chữa cháy", "phòng cháy và chữa cháy"},
		"cdc":   {"trung tâm kiểm soát bệnh tật"},
		"kcn":   {"khu công nghiệp"},
		"clb":   {"câu lạc bộ"},
		"ttxvn": {"thông tấn xã việt nam"},
		"vksnd": {"viện kiểm sát nhân dân"},
		"tand":  {"tòa án nhân dân", "toà án nhân dân"},
		"giờ":   {"h"},
	} {
		for _, l := range longs {
			ws := strings.Fields(Normalize(l))
			refPhrases[ws[0]] = append(refPhrases[ws[0]], append(ws, short))
		}
	}
	for _, ps := range refPhrases {
		slices.SortFunc(ps, func(a, b []string) int { return len(b) - len(a) })
	}
}

// refCanonical rewrites tokens into their canonical words (see the method
// above).
func refCanonical(ts []refToken) []refToken {
	out := ts[:0:0]
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if !t.number {
			if p := refPhraseAt(ts, i); p != nil {
				n := len(p) - 1
				name := false
				for k := range n {
					name = name || ts[i+k].name
				}
				out = append(out, refToken{w: p[n], name: name})
				i += n - 1
				continue
			}
			if t.w == "năm" && i+1 < len(ts) && refCounted[ts[i+1].w] {
				t = refToken{w: "5", number: true} // "năm người", not "năm nay"
			} else if d, ok := refNumberWords[t.w]; ok {
				t = refToken{w: d, number: true}
			} else if t.w == "một" {
				t = refToken{w: "1"}
			}
		}
		// "30 đến 50", "từ 30 tới 50": the range words between two numbers go.
		if (t.w == "đến" || t.w == "tới") && len(out) > 0 && out[len(out)-1].number && i+1 < len(ts) && ts[i+1].number {
			continue
		}
		out = append(out, t)
	}
	return out
}

// refPhraseAt returns the form of refPhrases that starts at ts[i], or nil.
func refPhraseAt(ts []refToken, i int) []string {
	for _, p := range refPhrases[ts[i].w] {
		n := len(p) - 1
		if i+n > len(ts) {
			continue
		}
		ok := true
		for k := range n {
			if ts[i+k].w != p[k] || ts[i+k].number {
				ok = false
				break
			}
		}
		// "h" is an hour only right after a number: "15h".
		if ok && (p[n] != "giờ" || i > 0 && ts[i-1].number) {
			return p
		}
	}
	return nil
}
