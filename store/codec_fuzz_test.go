package store

import (
	"bytes"
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
	// Every envelope that was ever written: records of each in testdata.
	for _, file := range []string{"records-schema3.bin", "records-s2vn.bin"} {
		for _, v := range storedRecords(f, file) {
			f.Add(v)
		}
	}
	f.Add([]byte(`{"id":"x","title":"Tin","members":[{"feed":"a"}]}`)) // schema 2
	f.Add([]byte{recZstd, 0x28, 0xb5, 0x2f, 0xfd})
	f.Add([]byte{recS2VN, 0x05, 0x10, recFormat2, 0x81, 0xff, 0x81, 0x00})
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

// FuzzVNPack checks that vnUnpack gives back whatever vnPack was given,
// and that what vnUnpack accepts packs again to the same bytes' meaning.
func FuzzVNPack(f *testing.F) {
	f.Add([]byte(vnRunes1))
	f.Add([]byte("Người dân TP.HCM \xff\x80\xe1\xba"))
	f.Add([]byte{0x80, 0xc1, 0xf5, 0xfe, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := vnPack(nil, b)
		if got, err := vnUnpack(nil, p); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("vnUnpack(vnPack(%q)) = %q, %v", b, got, err)
		}
		u, err := vnUnpack(nil, b)
		if err != nil {
			return
		}
		if again, err := vnUnpack(nil, vnPack(nil, u)); err != nil || !bytes.Equal(again, u) {
			t.Fatalf("%q unpacked to %q, which packs and unpacks to %q, %v", b, u, again, err)
		}
	})
}
