package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Item records (schema 3). A record is one envelope byte, then its body:
//
//	recPlain  the body as is
//	recZstd   the body as one zstd frame (written until recS2VN came)
//	recS2VN   the body packed by vnPack (table vnRunes1), as one S2 block
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
	recS2VN  byte = 3

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
// it there is little to gain (it was set for zstd, whose frame header
// ate most of it; S2's header is one or two bytes).
const minCompress = 192

// maxRecord bounds the decompressed size of one record (Content is capped
// at 256 KiB by the fetcher; this leaves room and stops a corrupt frame
// from allocating without bound).
const maxRecord = 8 << 20

// The zstd decoder reads the recZstd records of earlier versions. It is
// shared: DecodeAll is safe for concurrent use and keeps its state in
// internal pools, so no record allocates a decoder.
var recDecoder, _ = zstd.NewReader(nil,
	zstd.WithDecoderConcurrency(0),
	zstd.WithDecoderMaxMemory(maxRecord))

// The decoder makes its pools on first use: use it once here, so that
// what a test's synctest bubble does first does not make them the bubble's.
func init() {
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x09, 0x49, 0x00, 0x00, 'p', 'r', 'e', 's', 's', 'f', 'e', 'e', 'd'}
	if b, err := recDecoder.DecodeAll(frame, nil); err != nil || string(b) != "pressfeed" {
		panic(fmt.Sprintf("store: zstd: %q, %v", b, err))
	}
}

// encodeRecord returns the stored form of rec.
//
// Records are compressed with S2 after vnPack rather than with zstd: on
// 2–3 KB of Vietnamese press text zstd's fastest level spent most of its
// time building entropy tables per record (about 23 µs a record, 10% of
// a cold ingest); S2 has no entropy stage, and vnPack makes up for it
// on Vietnamese text by writing each accented letter as one byte, so the
// records come out about as small as zstd's (see BenchmarkRecordCodecs).
func encodeRecord(rec *record) []byte {
	b := appendBody(make([]byte, 1, bodySize(rec)+1), rec)
	b[0] = recPlain
	if len(b)-1 < minCompress {
		return b
	}
	buf := codecBufs.Get().(*codecBuf)
	defer buf.release()
	buf.packed = vnPack(buf.packed[:0], b[1:])
	if n := s2.MaxEncodedLen(len(buf.packed)); cap(buf.out) < n {
		buf.out = make([]byte, n)
	}
	z := s2.Encode(buf.out[:cap(buf.out)], buf.packed)
	if len(z)+1 >= len(b) {
		return b
	}
	out := make([]byte, 1+len(z))
	out[0] = recS2VN
	copy(out[1:], z)
	return out
}

// codecBuf holds the scratch space of encoding or decoding a record.
type codecBuf struct{ packed, out []byte }

var codecBufs = sync.Pool{New: func() any { return new(codecBuf) }}

// release returns buf to codecBufs, without the space of a huge record.
func (buf *codecBuf) release() {
	if cap(buf.packed) > 1<<20 {
		buf.packed = nil
	}
	if cap(buf.out) > 1<<20 {
		buf.out = nil
	}
	codecBufs.Put(buf)
}

// decodeS2VN returns the body of a recS2VN record given without its
// envelope; the body is in buf.
func (buf *codecBuf) decodeS2VN(v []byte) ([]byte, error) {
	n, err := s2.DecodedLen(v)
	if err != nil {
		return nil, err
	}
	if n > maxRecord {
		return nil, fmt.Errorf("record of %d bytes", n)
	}
	if cap(buf.packed) < n {
		buf.packed = make([]byte, n)
	}
	packed, err := s2.Decode(buf.packed[:cap(buf.packed)], v)
	if err != nil {
		return nil, err
	}
	buf.out, err = vnUnpack(buf.out[:0], packed)
	return buf.out, err
}

// bodySize returns about how many bytes rec's body takes.
func bodySize(rec *record) int {
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
	return n
}

// appendBody appends the body of rec's record to b.
func appendBody(b []byte, rec *record) []byte {
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
	return b
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
	case recS2VN:
		buf := codecBufs.Get().(*codecBuf)
		defer buf.release() // the record's strings are copies
		var err error
		if body, err = buf.decodeS2VN(v[1:]); err != nil {
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

// vnRunes1 are the runes vnPack writes as one byte: the 67 lowercase
// letters of Vietnamese with their marks (NFC), Đ, and the punctuation
// press text uses most outside ASCII. Stored records depend on this
// table: never change it; a new table needs a new envelope.
const vnRunes1 = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ" +
	"Đ\u00a0…–—“”’"

// vnPack's codes: the i-th rune of vnRunes1 is byte 0x80+i, then from
// 0xF5 on; no valid UTF-8 starts with these bytes. vnEscape precedes a
// byte that stands for itself (a byte of invalid UTF-8, or one of the
// codes' own values).
const (
	vnLow    = 0x80 // first code
	vnLowN   = 0xC2 - vnLow
	vnHigh   = 0xF5 // codes after the first vnLowN
	vnEscape = 0xFF
)

var (
	vnTable [0x2030]byte  // rune → code; 0: none
	vnRunes [0x100]rune   // code → rune; 0: not a code
	vnUTF8  [0x100]uint32 // code → its rune's UTF-8, little-endian
	vnLen   [0x100]uint8  // code → length of vnUTF8; 0: not a code
)

func init() {
	i := 0
	for _, r := range vnRunes1 {
		c := byte(vnLow + i)
		if i >= vnLowN {
			c = byte(vnHigh + i - vnLowN)
		}
		if int(r) >= len(vnTable) || c >= vnEscape || vnTable[r] != 0 {
			panic("store: bad vnRunes1")
		}
		vnTable[r], vnRunes[c] = c, r
		var b [4]byte
		vnLen[c] = uint8(utf8.EncodeRune(b[:], r))
		vnUTF8[c] = binary.LittleEndian.Uint32(b[:])
		i++
	}
}

// vnPack appends src to dst with each rune of vnRunes1 written as its
// one-byte code: an accented Vietnamese letter takes one byte instead of
// two or three, which makes up much of what S2 gives away to zstd by not
// entropy-coding. Other valid UTF-8 and ASCII stay as they are; bytes
// that are not valid UTF-8 are escaped. vnUnpack reverses it for any src.
func vnPack(dst, src []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(src))[:n+2*len(src)] // at most every byte escaped
	out, o := dst[n:], 0
	for i := 0; i < len(src); {
		if k := asciiPrefix(out[o:], src[i:]); k > 0 {
			i, o = i+k, o+k
			continue
		}
		c := src[i]
		if c < utf8.RuneSelf {
			out[o] = c
			o++
			i++
			continue
		}
		// The two- and three-byte forms of vnRunes1 (C2–DF xx, E1 xx
		// yy, E2 xx yy) are valid whenever their continuation bytes are.
		if c >= 0xC2 && c < 0xE0 && i+1 < len(src) && src[i+1]&0xC0 == 0x80 {
			if k := vnTable[rune(c&0x1F)<<6|rune(src[i+1]&0x3F)]; k != 0 {
				out[o] = k
				o++
			} else {
				out[o], out[o+1] = c, src[i+1]
				o += 2
			}
			i += 2
			continue
		}
		if (c == 0xE1 || c == 0xE2) && i+2 < len(src) && src[i+1]&0xC0 == 0x80 && src[i+2]&0xC0 == 0x80 {
			if r := rune(c&0x0F)<<12 | rune(src[i+1]&0x3F)<<6 | rune(src[i+2]&0x3F); r < rune(len(vnTable)) && vnTable[r] != 0 {
				out[o] = vnTable[r]
				o++
			} else {
				o += copy(out[o:], src[i:i+3])
			}
			i += 3
			continue
		}
		if _, size := utf8.DecodeRune(src[i:]); size > 1 {
			o += copy(out[o:], src[i:i+size])
			i += size
			continue
		}
		out[o], out[o+1] = vnEscape, c
		o += 2
		i++
	}
	return dst[:n+o]
}

// vnUnpack appends the bytes that src, packed by vnPack, stands for.
func vnUnpack(dst, src []byte) ([]byte, error) {
	n := len(dst)
	// A code gives at most three bytes; the slack lets each write four.
	dst = slices.Grow(dst, 3*len(src)+8)[:n+3*len(src)+8]
	out, o := dst[n:], 0
	for i := 0; i < len(src); {
		if k := asciiPrefix(out[o:], src[i:]); k > 0 {
			i, o = i+k, o+k
			continue
		}
		c := src[i]
		if c < utf8.RuneSelf {
			out[o] = c
			o++
			i++
			continue
		}
		if l := vnLen[c]; l != 0 {
			binary.LittleEndian.PutUint32(out[o:], vnUTF8[c])
			o += int(l)
			i++
			continue
		}
		if c == vnEscape {
			if i+1 >= len(src) {
				return nil, errShortRecord
			}
			out[o] = src[i+1]
			o++
			i += 2
			continue
		}
		_, size := utf8.DecodeRune(src[i:])
		if size == 1 {
			return nil, fmt.Errorf("packed text: byte %#x at %d", c, i)
		}
		o += copy(out[o:], src[i:i+size])
		i += size
	}
	return dst[:n+o], nil
}

// asciiPrefix copies the ASCII bytes at the start of src, up to eight, to
// out and returns how many; 0 when src or out has fewer than eight bytes
// left. (It writes eight bytes to out whatever it returns.)
func asciiPrefix(out, src []byte) int {
	if len(src) < 8 || len(out) < 8 {
		return 0
	}
	w := binary.LittleEndian.Uint64(src)
	binary.LittleEndian.PutUint64(out, w)
	return bits.TrailingZeros64(w&0x8080808080808080) >> 3
}
