package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"
)

// sampleRecords returns two records: a small one, stored plain, and a
// large one with two members, a time zone, a SimHash and near entries,
// stored compressed.
func sampleRecords() []record {
	ict := time.FixedZone("ICT", 7*3600)
	big := realisticItems("bao-a", 1, t0)[0]
	return []record{
		{Item: Item{ID: IDPrefix + "a", Title: "Tin ngắn", Published: t0, Seen: t0,
			Members: []Member{{Feed: "a", Title: "Tin ngắn", By: MergedFirst, Seen: t0}}}, Keys: []string{"g\x00a\x001"}},
		{Item: Item{ID: IDPrefix + "b", Title: big.Title, Link: big.Link, Summary: big.Summary,
			Content: big.Content, Author: big.Author, Published: t0.In(ict), Updated: t0.Add(time.Minute), Seen: t0,
			Members: []Member{{Feed: "bao-a", Link: big.Link, Title: big.Title, By: MergedFirst, Seen: t0},
				{Feed: "bao-b", Title: "Khác", By: MergedNear, Seen: t0.Add(time.Second), Distance: 3}}},
			Keys: []string{"g\x00bao-a\x00" + big.GUID, "l\x00" + big.Link}, Titles: []string{big.TitleKey}, SimHash: 0xfedcba9876543210, Near: true},
		{Item: Item{ID: IDPrefix + "c", Title: "Tin gốc", Summary: "Lời dẫn của báo gốc", Published: t0.Add(-time.Hour).In(ict), Seen: t0,
			Updated: t0.Add(time.Hour),
			Members: []Member{{Feed: "goc", Title: "Tin gốc", By: MergedTitle, Seen: t0.Add(time.Hour), Published: t0.Add(-time.Hour).In(ict)},
				{Feed: "dang-lai", Title: "Tin gốc", By: MergedFirst, Seen: t0, Published: t0, Undated: true, Lead: "Lời dẫn của báo đăng lại"}}},
			Keys: []string{"g\x00goc\x001", "g\x00dang-lai\x001"}},
	}
}

// TestRecordCodec checks that a record reads back as its JSON form (schema
// 2) did, compressed or not, and that a damaged record is an error.
func TestRecordCodec(t *testing.T) {
	recs := sampleRecords()
	tests := []struct {
		name string
		rec  record
		want byte // envelope
	}{
		{"small, no content", recs[0], recPlain},
		{"large, merged, zones", recs[1], recS2VN},
		{"members with dates and leads", recs[2], recS2VN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := json.Marshal(&tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			var want record
			if err := json.Unmarshal(j, &want); err != nil {
				t.Fatal(err)
			}
			v := encodeRecord(&tt.rec)
			if v[0] != tt.want {
				t.Errorf("envelope %d, want %d", v[0], tt.want)
			}
			got, err := decodeRecord([]byte(tt.rec.ID), v)
			if err != nil || !reflect.DeepEqual(*got, want) {
				t.Fatalf("decodeRecord = %+v, %v;\nwant %+v", got, err, want)
			}
			for n := range len(v) {
				if _, err := decodeRecord([]byte(tt.rec.ID), v[:n]); err == nil {
					t.Errorf("record cut to %d of %d bytes decoded without error", n, len(v))
				}
			}
			if _, err := decodeRecord([]byte(tt.rec.ID), append(v[:len(v):len(v)], 0)); err == nil && v[0] == recPlain {
				t.Error("record with a trailing byte decoded without error")
			}
		})
	}
}

// BenchmarkEncodeRecord measures encoding one new story's record,
// compression included, as Add does before its write transaction. The text is drawn
// at random from Vietnamese words, so that it compresses about as press
// text does, not as a repeated sentence would.
func BenchmarkEncodeRecord(b *testing.B) {
	words := strings.Fields(`thành phố hồ chí minh hà nội quốc hội chính phủ thủ tướng bộ trưởng ủy ban nhân dân
		kế hoạch triển khai giao thông đô thị người dân doanh nghiệp kinh tế xã hội phát triển dự án đầu tư công
		trình tháng năm tuần qua theo báo cáo sở ngành địa phương phối hợp thực hiện đồng tỷ lệ tăng giảm so với
		cùng kỳ giáo dục y tế bệnh viện học sinh trường cơ quan chức năng kiểm tra xử lý vi phạm an toàn`)
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(n int) string {
		var s strings.Builder
		for i := range n {
			if i > 0 {
				s.WriteByte(' ')
			}
			s.WriteString(words[rng.IntN(len(words))])
		}
		return s.String()
	}
	recs := make([]record, 50)
	raw := 0
	for i := range recs {
		it := Item{ID: IDPrefix + "bench", Title: text(14), Link: fmt.Sprintf("https://bao.example/thoi-su/tin-%d.html", i),
			Summary: text(45), Published: t0, Seen: t0}
		it.Content = "<p>" + text(80) + "</p><p>" + text(80) + "</p><p>" + text(80) + "</p>"
		it.Members = []Member{{Feed: "bao-a", Link: it.Link, Title: it.Title, By: MergedFirst, Seen: t0}}
		recs[i] = record{Item: it, Keys: []string{"g\x00bao-a\x00" + it.Link}, Titles: []string{it.Title},
			SimHash: 0xfedcba9876543210, Near: true}
		raw += len(it.Title) + len(it.Link) + len(it.Summary) + len(it.Content)
	}
	b.ResetTimer()
	stored := 0
	for i := range b.N {
		stored += len(encodeRecord(&recs[i%len(recs)]))
	}
	b.ReportMetric(float64(stored)/float64(b.N), "B/record")
	b.ReportMetric(float64(raw)/float64(len(recs)), "text-B/record")
}

// TestStoredRecords checks that records as earlier versions stored them
// still read back. testdata/records-schema3.json holds seven records as
// JSON; records-schema3.bin the same records as the first schema-3
// encoder stored them (plain and zstd envelopes), records-s2vn.bin as
// the recS2VN encoder did (plain and S2VN): each record a uvarint length,
// then the record. These bytes are in users' files: never regenerate
// them; a new envelope gets a file of its own.
func TestStoredRecords(t *testing.T) {
	j, err := os.ReadFile("testdata/records-schema3.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []record
	if err := json.Unmarshal(j, &want); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file string
		tags []byte
	}{
		{"records-schema3.bin", []byte{recPlain, recZstd}},
		{"records-s2vn.bin", []byte{recPlain, recS2VN}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			stored := storedRecords(t, tt.file)
			if len(stored) != len(want) {
				t.Fatalf("%d records, want %d", len(stored), len(want))
			}
			tags := map[byte]int{}
			for i, v := range stored {
				tags[v[0]]++
				got, err := decodeRecord([]byte(want[i].ID), v)
				if err != nil {
					t.Fatalf("record %d (envelope %d): %v", i, v[0], err)
				}
				if !sameRecord(got, &want[i]) {
					t.Errorf("record %d (envelope %d) = %+v;\nwant %+v", i, v[0], got, want[i])
				}
			}
			for _, tag := range tt.tags {
				if tags[tag] == 0 {
					t.Errorf("envelopes in %s: %v; want some %d", tt.file, tags, tag)
				}
			}
		})
	}
}

// storedRecords returns the records of a file of testdata/ as
// TestStoredRecords describes it.
func storedRecords(tb testing.TB, file string) [][]byte {
	bin, err := os.ReadFile("testdata/" + file)
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for len(bin) > 0 {
		n, k := binary.Uvarint(bin)
		if k <= 0 || n > uint64(len(bin)-k) {
			tb.Fatalf("%s: bad length after %d records", file, len(out))
		}
		out = append(out, bin[k:k+int(n)])
		bin = bin[k+int(n):]
	}
	return out
}

// TestVNPack checks that vnUnpack gives back whatever vnPack was given,
// that the letters of vnRunes1 take one byte each, and that packed text
// that vnPack cannot have written is an error.
func TestVNPack(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tests := []struct {
		name string
		in   string
		want int // packed length; -1: not checked
	}{
		{"empty", "", 0},
		{"ascii", "Tin nhanh 24/7: <p>a&amp;b</p>", 30},
		{"letters of the table", vnRunes1, utf8.RuneCountInString(vnRunes1)},
		{"press text", "Người dân TP.HCM đổ về trung tâm – “rất đông” …", 47},
		{"uppercase stays UTF-8", "ĐÀ NẴNG Ủy ban", -1},
		{"other scripts and emoji", "Tokyo 東京, 😀, ß, Ω", len("Tokyo 東京, 😀, ß, Ω")},
		{"invalid UTF-8", "\xff\xfe\x80\xc0\x80\xed\xa0\x80 \xe1\xba", -1},
		{"code bytes as text", "\x80\xc1\xf5\xfd\xfe\xff", 12},
		{"every byte", string(all), -1},
		{"cut sequences at the end", "ẹ\xe1\xbb", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := vnPack(nil, []byte(tt.in))
			if tt.want >= 0 && len(p) != tt.want {
				t.Errorf("packed %q into %d bytes %x, want %d", tt.in, len(p), p, tt.want)
			}
			got, err := vnUnpack([]byte("x"), p)
			if err != nil || string(got) != "x"+tt.in {
				t.Errorf("vnUnpack(vnPack(%q)) = %q, %v", tt.in, got, err)
			}
		})
	}
	for _, bad := range []string{"\xfe", "\xff", "a\xc3", "\xe1\xba", "\xc3\x28", "\xf0\x9f\x98"} {
		if got, err := vnUnpack(nil, []byte(bad)); err == nil {
			t.Errorf("vnUnpack(%q) = %q, want an error", bad, got)
		}
	}
}

// TestVNTableFixed pins the table of recS2VN records: stored records
// depend on it, so a change must come with a new envelope instead.
func TestVNTableFixed(t *testing.T) {
	const want = "331ea9710d75a7fe9620904a48da262dab50e918ea79709597dd4c7df51fbb7a"
	if got := fmt.Sprintf("%x", sha256.Sum256([]byte(vnRunes1))); got != want {
		t.Errorf("vnRunes1 has SHA-256 %s, want %s: stored records depend on it", got, want)
	}
	for c := range 256 {
		r := vnRunes[c]
		switch {
		case c < vnLow && r != 0, c >= vnLow+vnLowN && c < vnHigh && r != 0, c == vnEscape && r != 0:
			t.Errorf("byte %#x decodes to %q; only codes may", c, r)
		case r != 0 && vnTable[r] != byte(c):
			t.Errorf("code %#x decodes to %q, which encodes to %#x", c, r, vnTable[r])
		}
	}
}

// TestS2VNBounds checks that a damaged recS2VN record is an error, and
// that one claiming more than maxRecord bytes fails before allocating.
func TestS2VNBounds(t *testing.T) {
	huge := binary.AppendUvarint([]byte{recS2VN}, maxRecord+1)
	huge = append(huge, 0)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range 10 {
		if _, err := decodeRecord([]byte("x"), huge); err == nil {
			t.Error("a record claiming more than maxRecord bytes decoded")
		}
	}
	runtime.ReadMemStats(&m1)
	if n := m1.TotalAlloc - m0.TotalAlloc; n > 64<<10 {
		t.Errorf("%d bytes allocated rejecting a huge record ten times", n)
	}
	recs := sampleRecords()
	v := encodeRecord(&recs[1])
	for i := 1; i < len(v); i++ {
		bad := bytes.Clone(v)
		bad[i] ^= 0x55
		if rec, err := decodeRecord([]byte(recs[1].ID), bad); err == nil && sameRecord(rec, &recs[1]) {
			t.Errorf("a record with byte %d changed decoded to the original", i)
		}
	}
	// A packed body that vnPack cannot have written.
	bad := append([]byte{recS2VN}, s2.Encode(nil, []byte{recFormat2, 0xfe, 0xfe})...)
	if _, err := decodeRecord([]byte("x"), bad); err == nil {
		t.Error("a body with a byte that is no code decoded")
	}
}
