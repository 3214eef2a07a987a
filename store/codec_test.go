package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestRecordCodec checks that a record reads back as its JSON form (schema
// 2) did, compressed or not, and that a damaged record is an error.
func TestRecordCodec(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	big := realisticItems("bao-a", 1, t0)[0]
	tests := []struct {
		name string
		rec  record
		want byte // envelope
	}{
		{"small, no content", record{Item: Item{ID: IDPrefix + "a", Title: "Tin ngắn", Published: t0, Seen: t0,
			Members: []Member{{Feed: "a", Title: "Tin ngắn", By: MergedFirst, Seen: t0}}}, Keys: []string{"g\x00a\x001"}}, recPlain},
		{"large, merged, zones", record{Item: Item{ID: IDPrefix + "b", Title: big.Title, Link: big.Link, Summary: big.Summary,
			Content: big.Content, Author: big.Author, Published: t0.In(ict), Updated: t0.Add(time.Minute), Seen: t0,
			Members: []Member{{Feed: "bao-a", Link: big.Link, Title: big.Title, By: MergedFirst, Seen: t0},
				{Feed: "bao-b", Title: "Khác", By: MergedNear, Seen: t0.Add(time.Second), Distance: 3}}},
			Keys: []string{"g\x00bao-a\x00" + big.GUID, "l\x00" + big.Link}, Titles: []string{big.TitleKey}, SimHash: 0xfedcba9876543210, Near: true}, recZstd},
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
