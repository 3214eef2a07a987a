package store

import (
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeRecord feeds decodeRecord arbitrary bytes, as a damaged file
// would: it must return a record or an error, never panic or allocate
// beyond the input, and whatever it returns must survive being stored
// again unchanged.
func FuzzDecodeRecord(f *testing.F) {
	seeds := sampleRecords()
	for i := range seeds {
		f.Add(encodeRecord(&seeds[i]))
	}
	f.Add([]byte(`{"id":"x","title":"Tin","members":[{"feed":"a"}]}`)) // schema 2
	f.Add([]byte{recZstd, 0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, v []byte) {
		const id = IDPrefix + "fuzz"
		rec, err := decodeRecord([]byte(id), v)
		if err != nil {
			if rec != nil {
				t.Fatalf("decodeRecord returned a record and the error %v", err)
			}
			return
		}
		if rec == nil {
			t.Fatal("decodeRecord returned neither a record nor an error")
		}
		if v[0] == '{' {
			rec.ID = id // schema 2 records carry their own ID; stored again, they take the key's
		}
		again, err := decodeRecord([]byte(id), encodeRecord(rec))
		if err != nil {
			t.Fatalf("a decoded record, encoded again, does not decode: %v\nrecord %+v", err, rec)
		}
		if !sameRecord(rec, again) {
			t.Fatalf("a decoded record changed when stored again:\nfirst  %+v\nsecond %+v", rec, again)
		}
	})
}

// sameRecord reports whether a and b hold the same record, comparing times
// as instants with the same UTC offset (a zone's name is not stored) and an
// empty list as none.
func sameRecord(a, b *record) bool {
	times := func(r *record) []time.Time {
		ts := []time.Time{r.Published, r.Updated, r.Seen}
		for _, m := range r.Members {
			ts = append(ts, m.Seen, m.Published)
		}
		return ts
	}
	ta, tb := times(a), times(b)
	if len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		_, oa := ta[i].Zone()
		_, ob := tb[i].Zone()
		if !ta[i].Equal(tb[i]) || oa != ob || ta[i].IsZero() != tb[i].IsZero() {
			return false
		}
	}
	if len(a.Members) != len(b.Members) {
		return false
	}
	ca, cb := *a, *b
	ca.Item.Members, cb.Item.Members = nil, nil
	for _, c := range []*record{&ca, &cb} {
		if len(c.Keys) == 0 {
			c.Keys = nil
		}
		if len(c.Titles) == 0 {
			c.Titles = nil
		}
	}
	ca.Published, ca.Updated, ca.Seen = time.Time{}, time.Time{}, time.Time{}
	cb.Published, cb.Updated, cb.Seen = time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(ca, cb) {
		return false
	}
	for i := range a.Members {
		ma, mb := a.Members[i], b.Members[i]
		ma.Seen, mb.Seen = time.Time{}, time.Time{}
		ma.Published, mb.Published = time.Time{}, time.Time{}
		if ma != mb {
			return false
		}
	}
	return true
}
