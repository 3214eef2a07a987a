package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Item records (schema 3). A record is one envelope byte, then its body:
//
//	recPlain  the body as is
//	recZstd   the body as one zstd frame
//
// Records written by schema 2 are JSON and start with '{'; getRecord still
// reads them, so a file whose upgrade was interrupted stays readable.
//
// The body is a format byte (recFormat2), then in order: Title, Link,
// Summary, Content, Author (strings), Published, Updated, Seen (times), the
// members (count, then per member Feed, Link, Title, By, Seen, Distance,
// and since recFormat2 Published, a flag byte (memberUndated) and Lead),
// Keys and Titles (count, then strings), a flag byte (flagSimHash,
// flagNear) and, with flagSimHash, the SimHash as 8 big-endian bytes. The
// item ID is the record's key and is not repeated. A string is its length
// as a uvarint, then its bytes; a count is a uvarint; Distance is a varint
// (see similarityVarint).
// A time is a kind byte: timeZero (no more bytes), timeUTC, or timeOffset;
// then the seconds since 1970 as a varint and the nanoseconds as a uvarint;
// timeOffset adds the zone offset in seconds as a varint. Decoding gives
// back the same time.Time values a JSON round trip gave (a zero offset
// reads as UTC; an offset that Local has at that instant reads as Local).
const (
	recPlain byte = 1
	recZstd  byte = 2

	recFormat1 byte = 1 // members without Published, Undated and Lead
	recFormat2 byte = 2

	memberUndated byte = 1 << 0

	flagSimHash byte = 1 << 0
	flagNear    byte = 1 << 1

	timeZero   byte = 0
	timeUTC    byte = 1
	timeOffset byte = 2
)

// minCompress is the body size from which a record is compressed: below
// it, zstd's frame header eats most of the gain.
const minCompress = 192

// maxRecord bounds the decompressed size of one record (Content is capped
// at 256 KiB by the fetcher; this leaves room and stops a corrupt frame
// from allocating without bound).
const maxRecord = 8 << 20

// The zstd coders are shared: EncodeAll and DecodeAll are safe for
// concurrent use and keep their state in internal pools, so no record
// allocates a coder.
var (
	recEncoder, _ = zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderCRC(false), // bbolt pages are not checksummed either; a bad frame still fails to decode
		zstd.WithWindowSize(1<<20),
		zstd.WithLowerEncoderMem(true))
	recDecoder, _ = zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(maxRecord))
)

// The coders make their pools on first use: use them once here, so that
// what a test's synctest bubble does first does not make them the bubble's.
func init() {
	frame := recEncoder.EncodeAll([]byte("pressfeed"), nil)
	if _, err := recDecoder.DecodeAll(frame, nil); err != nil {
		panic("store: zstd: " + err.Error())
	}
}

// encodeRecord returns the stored form of rec.
func encodeRecord(rec *record) []byte {
	n := 64 + len(rec.Title) + len(rec.Link) + len(rec.Summary) + len(rec.Content) + len(rec.Author)
	for _, m := range rec.Members {
		n += 64 + len(m.Feed) + len(m.Link) + len(m.Title) + len(m.By) + len(m.Lead)
	}
	for _, k := range rec.Keys {
		n += 2 + len(k)
	}
	for _, t := range rec.Titles {
		n += 2 + len(t)
	}
	b := make([]byte, 1, n)
	b[0] = recPlain
	b = append(b, recFormat2)
	b = appendString(b, rec.Title)
	b = appendString(b, rec.Link)
	b = appendString(b, rec.Summary)
	b = appendString(b, rec.Content)
	b = appendString(b, rec.Author)
	b = appendTime(b, rec.Published)
	b = appendTime(b, rec.Updated)
	b = appendTime(b, rec.Seen)
	b = binary.AppendUvarint(b, uint64(len(rec.Members)))
	for _, m := range rec.Members {
		b = appendString(b, m.Feed)
		b = appendString(b, m.Link)
		b = appendString(b, m.Title)
		b = appendString(b, m.By)
		b = appendTime(b, m.Seen)
		b = binary.AppendVarint(b, similarityVarint(m))
		b = appendTime(b, m.Published)
		var f byte
		if m.Undated {
			f |= memberUndated
		}
		b = append(b, f)
		b = appendString(b, m.Lead)
	}
	b = binary.AppendUvarint(b, uint64(len(rec.Keys)))
	for _, k := range rec.Keys {
		b = appendString(b, k)
	}
	b = binary.AppendUvarint(b, uint64(len(rec.Titles)))
	for _, t := range rec.Titles {
		b = appendString(b, t)
	}
	var flags byte
	if rec.SimHash != 0 {
		flags |= flagSimHash
	}
	if rec.Near {
		flags |= flagNear
	}
	b = append(b, flags)
	if rec.SimHash != 0 {
		b = binary.BigEndian.AppendUint64(b, rec.SimHash)
	}
	if len(b)-1 < minCompress {
		return b
	}
	z := recEncoder.EncodeAll(b[1:], make([]byte, 1, len(b)/2+16))
	if len(z) >= len(b) {
		return b
	}
	z[0] = recZstd
	return z
}

// decodeRecord decodes a stored record of the item with the given ID.
func decodeRecord(id, v []byte) (*record, error) {
	if len(v) == 0 {
		return nil, errors.New("empty record")
	}
	var body []byte
	switch v[0] {
	case '{': // schema 2
		var rec record
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, err
		}
		return &rec, nil
	case recPlain:
		body = v[1:]
	case recZstd:
		var err error
		if body, err = recDecoder.DecodeAll(v[1:], nil); err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown record envelope %#x", v[0])
	}
	d := recDecoding{b: body}
	format := d.byte()
	if format != recFormat1 && format != recFormat2 {
		if d.err != nil {
			return nil, d.err
		}
		return nil, fmt.Errorf("unknown record format %#x", format)
	}
	rec := &record{}
	rec.ID = string(id)
	rec.Title = d.string()
	rec.Link = d.string()
	rec.Summary = d.string()
	rec.Content = d.string()
	rec.Author = d.string()
	rec.Published = d.time()
	rec.Updated = d.time()
	rec.Seen = d.time()
	if n := d.count(); n > 0 {
		rec.Members = make([]Member, n)
		for i := range rec.Members {
			m := &rec.Members[i]
			m.Feed = d.string()
			m.Link = d.string()
			m.Title = d.string()
			m.By = d.string()
			m.Seen = d.time()
			if v := d.varint(); v < 0 {
				m.Similarity = float64(-v-1) / similarityScale
			} else {
				m.Distance = int(v)
			}
			if format >= recFormat2 {
				m.Published = d.time()
				f := d.byte()
				if f&^memberUndated != 0 {
					d.fail(fmt.Errorf("unknown member flags %#x", f))
				}
				m.Undated = f&memberUndated != 0
				m.Lead = d.string()
			}
		}
	}
	rec.Keys = d.strings()
	rec.Titles = d.strings()
	flags := d.byte()
	rec.Near = flags&flagNear != 0
	if flags&flagSimHash != 0 {
		rec.SimHash = d.uint64()
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d bytes after the record", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return rec, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, timeZero)
	}
	// JSON (RFC 3339) kept the offset to the minute, and read a zero
	// offset as UTC.
	_, off := t.Zone()
	off = off / 60 * 60
	if off == 0 {
		b = append(b, timeUTC)
	} else {
		b = append(b, timeOffset)
	}
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	if off != 0 {
		b = binary.AppendVarint(b, int64(off))
	}
	return b
}

var errShortRecord = errors.New("record cut short")

// recDecoding reads a record body; the first failure sticks in err and
// every later read returns a zero value.
type recDecoding struct {
	b   []byte
	err error
}

func (d *recDecoding) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *recDecoding) byte() byte {
	if len(d.b) < 1 {
		d.fail(errShortRecord)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *recDecoding) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShortRecord)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recDecoding) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShortRecord)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recDecoding) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail(errShortRecord)
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// count reads a count of things that each take at least one byte.
func (d *recDecoding) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail(errShortRecord)
		return 0
	}
	return int(n)
}

func (d *recDecoding) string() string {
	n := d.count()
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *recDecoding) strings() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.string()
	}
	return out
}

func (d *recDecoding) time() time.Time {
	kind := d.byte()
	if kind == timeZero || d.err != nil {
		return time.Time{}
	}
	sec, nsec := d.varint(), d.uvarint()
	if nsec >= 1e9 {
		d.fail(fmt.Errorf("time with %d nanoseconds", nsec))
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	switch kind {
	case timeUTC:
		return t.UTC()
	case timeOffset:
		off := d.varint()
		if off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
			// appendTime writes whole minutes within a day, as RFC 3339 has them
			d.fail(fmt.Errorf("time with a UTC offset of %d seconds", off))
			return time.Time{}
		}
		// As time.Parse does: Local when it has this offset at t, else
		// an unnamed fixed zone.
		if _, lo := t.In(time.Local).Zone(); lo == int(off) {
			return t.In(time.Local)
		}
		return t.In(time.FixedZone("", int(off)))
	}
	d.fail(fmt.Errorf("unknown time kind %#x", kind))
	return time.Time{}
}

// similarityScale is the precision a member's Similarity is kept to.
const similarityScale = 10000

// similarityVarint returns the member's varint field: a Distance (zero or
// more) as earlier versions wrote it, or −1 − Similarity×similarityScale
// for a member with a Similarity, so records of either kind decode.
func similarityVarint(m Member) int64 {
	if m.Similarity > 0 {
		return -1 - int64(math.Round(m.Similarity*similarityScale))
	}
	return int64(m.Distance)
}
