package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
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
		{"large, merged, zones", recs[1], recZstd},
		{"members with dates and leads", recs[2], recZstd},
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

// BenchmarkEncodeRecord measures encoding one new story's record, zstd
// included, as Add does before its write transaction. The text is drawn
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
// still read back: testdata/records-schema3.bin holds records encoded by
// the first schema-3 encoder (plain and zstd envelopes; each a uvarint
// length, then the record), records-schema3.json the same records as
// JSON. These bytes are on disk in users' files: never regenerate them.
func TestStoredRecords(t *testing.T) {
	bin, err := os.ReadFile("testdata/records-schema3.bin")
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile("testdata/records-schema3.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []record
	if err := json.Unmarshal(j, &want); err != nil {
		t.Fatal(err)
	}
	tags := map[byte]int{}
	for i := range want {
		n, k := binary.Uvarint(bin)
		if k <= 0 || n > uint64(len(bin)-k) {
			t.Fatalf("record %d: bad length in testdata", i)
		}
		v := bin[k : k+int(n)]
		bin = bin[k+int(n):]
		tags[v[0]]++
		got, err := decodeRecord([]byte(want[i].ID), v)
		if err != nil {
			t.Fatalf("record %d (envelope %d): %v", i, v[0], err)
		}
		if !sameRecord(got, &want[i]) {
			t.Errorf("record %d (envelope %d) = %+v;\nwant %+v", i, v[0], got, want[i])
		}
	}
	if len(bin) != 0 {
		t.Errorf("%d bytes after the last record", len(bin))
	}
	if tags[recPlain] == 0 || tags[recZstd] == 0 {
		t.Errorf("envelopes in testdata: %v; want each of plain and zstd", tags)
	}
}
