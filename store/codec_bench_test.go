package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/pressfeed/pressfeed/plaintext"
)

// farmVocab is the bench farm's vocabulary (bench/farm.go): records built
// from it are what the bench's cold ingest stores.
var farmVocab = strings.Fields(`thành phố hồ chí minh hà nội đà nẵng cần thơ hải phòng quốc hội chính phủ thủ tướng bộ trưởng
ủy ban nhân dân hội đồng giá xăng dầu vàng đô la lãi suất ngân hàng doanh nghiệp xuất khẩu nhập khẩu
kinh tế tăng trưởng lạm phát đầu tư công cao tốc metro sân bay cảng biển bão lũ mưa lớn ngập nắng nóng
giáo dục học sinh sinh viên thi tốt nghiệp y tế bệnh viện bác sĩ vắc xin dịch bệnh công an điều tra
khởi tố bắt giữ tòa án xét xử bóng đá đội tuyển việt nam thái lan hòa thắng thua trận đấu giải
văn hóa du lịch lễ hội khai mạc bế mạc hội nghị tổng kết triển khai nhiệm vụ năm kế hoạch dự án
người dân cử tri kiến nghị chính sách luật nghị định thông tư quy định mới từ ngày tháng sáng chiều tối nay`)

// farmSentence is bench/farm.go's sentence.
func farmSentence(rng *rand.Rand, words int) string {
	var s strings.Builder
	for w := range words {
		if w > 0 {
			s.WriteByte(' ')
		}
		word := farmVocab[rng.IntN(len(farmVocab))]
		if w == 0 {
			r, size := utf8.DecodeRuneInString(word)
			word = string(unicode.ToUpper(r)) + word[size:]
		}
		s.WriteString(word)
	}
	s.WriteByte('.')
	return s.String()
}

// storyRecord returns the record a new story gets, as the fetcher and Add
// make it: a title, a link, a 600-rune summary cut from the text, the
// sanitised HTML, one member, a GUID and a link key, a title key.
func storyRecord(feed string, k int, title string, paras []string) record {
	link := fmt.Sprintf("http://127.0.0.1:33757/%s/tin/%d.html", feed, k)
	content := "<p>" + strings.Join(paras, "</p><p>") + "</p>"
	summary := plaintext.TruncateWords(strings.Join(paras, " "), 600)
	pub := time.Date(2026, 11, 27, 8, k, 0, 0, time.UTC)
	seen := t0.Add(time.Duration(k) * 1234567 * time.Nanosecond)
	it := Item{ID: IDPrefix + "bench", Title: title, Link: link, Summary: summary, Content: content,
		Published: pub, Seen: seen,
		Members: []Member{{Feed: feed, Link: link, Title: title, By: MergedFirst, Seen: seen, Published: pub}}}
	return record{Item: it, Keys: []string{fmt.Sprintf("g\x00%s\x00b%d", feed, k), "l\x00" + strings.Replace(link, "http:", "https:", 1)},
		Titles: []string{strings.ToLower(strings.TrimSuffix(title, "."))}}
}

// farmRecords returns n records of items as the bench farm serves them
// (bench/farm.go renderFeed): a 10–17-word title, five paragraphs of
// 50–69 words drawn from its vocabulary.
func farmRecords(n int) []record {
	recs := make([]record, n)
	for k := range recs {
		rng := rand.New(rand.NewPCG(uint64(k%400), uint64(k)))
		title := farmSentence(rng, 10+rng.IntN(8))
		paras := make([]string, 5)
		for p := range paras {
			paras[p] = farmSentence(rng, 50+rng.IntN(20))
		}
		recs[k] = storyRecord(fmt.Sprintf("bao-%d", k%400), k, title, paras)
	}
	return recs
}

// pressRecords returns n records of real Vietnamese press text: the
// hand-written stories of vntext's near-duplicate set, each record a
// story's headline and five leads, its own first, so that the vocabulary
// is the press's rather than a fixed word list.
func pressRecords(tb testing.TB, n int) []record {
	f, err := os.Open("../vntext/testdata/nearset/stories.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var titles, leads []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), " | ")
		if strings.HasPrefix(sc.Text(), "#") || len(fields) < 4 {
			continue
		}
		titles = append(titles, fields[1])
		leads = append(leads, fields[3])
	}
	if err := sc.Err(); err != nil || len(leads) < 10 {
		tb.Fatalf("stories: %d read, %v", len(leads), err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	recs := make([]record, n)
	for k := range recs {
		s := k % len(titles)
		paras := []string{leads[s]}
		for len(paras) < 5 {
			paras = append(paras, leads[rng.IntN(len(leads))])
		}
		recs[k] = storyRecord(fmt.Sprintf("bao-%d", k%40), k, titles[s], paras)
	}
	return recs
}

// A recCodec is one way of compressing a record body, for comparison.
type recCodec struct {
	name   string
	encode func(dst, src []byte) []byte
	decode func(dst, src []byte) ([]byte, error) // appends to dst
}

// zstdCodec is zstd as recZstd records were written, with opts added; a
// dictionary given in opts is registered with the decoder as id 1.
func zstdCodec(name string, dict []byte, opts ...zstd.EOption) recCodec {
	enc, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false),
		zstd.WithWindowSize(1 << 20), zstd.WithLowerEncoderMem(true)}, opts...)...)
	if err != nil {
		panic(err)
	}
	dopts := []zstd.DOption{zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxRecord)}
	if dict != nil {
		dopts = append(dopts, zstd.WithDecoderDictRaw(1, dict))
	}
	dec, err := zstd.NewReader(nil, dopts...)
	if err != nil {
		panic(err)
	}
	return recCodec{name, func(dst, src []byte) []byte { return enc.EncodeAll(src, dst) },
		func(dst, src []byte) ([]byte, error) { return dec.DecodeAll(src, dst) }}
}

// packed returns c with vnPack before it.
func packed(c recCodec) recCodec {
	var buf, pbuf []byte // the benchmarks run one goroutine at a time
	return recCodec{"vnpack+" + c.name,
		func(dst, src []byte) []byte {
			buf = vnPack(buf[:0], src)
			return c.encode(dst, buf)
		},
		func(dst, src []byte) ([]byte, error) {
			p, err := c.decode(pbuf[:0], src)
			if err != nil {
				return nil, err
			}
			pbuf = p
			return vnUnpack(dst[:0], p)
		}}
}

// benchCodecs returns the ways of compressing records compared. The
// dictionary variants use a word list made from the press stories
// themselves, which flatters them on the press records.
func benchCodecs(tb testing.TB) []recCodec {
	dict := protoDict(tb, 60000)
	sd := s2.MakeDict(dict, nil)
	s2Decode := func(dst, src []byte) ([]byte, error) { return s2.Decode(dst[:cap(dst)], src) }
	s2Codec := recCodec{"s2", s2.Encode, s2Decode}
	s2Better := recCodec{"s2-better", s2.EncodeBetter, s2Decode}
	zstdFastest := zstdCodec("zstd-fastest", nil) // what recZstd records hold
	return []recCodec{
		zstdFastest,
		zstdCodec("zstd-fastest-noentropy", nil, zstd.WithNoEntropyCompression(true)),
		zstdCodec("zstd-fastest-window32k", nil, zstd.WithWindowSize(32<<10)),
		zstdCodec("zstd-fastest-dict", dict, zstd.WithEncoderDictRaw(1, dict)),
		zstdCodec("zstd-fastest-dict-noentropy", dict, zstd.WithEncoderDictRaw(1, dict), zstd.WithNoEntropyCompression(true)),
		s2Codec,
		s2Better,
		{"s2-dict", sd.Encode, func(dst, src []byte) ([]byte, error) { return sd.Decode(dst[:cap(dst)], src) }},
		{"s2-better-dict", sd.EncodeBetter, func(dst, src []byte) ([]byte, error) { return sd.Decode(dst[:cap(dst)], src) }},
		packed(zstdFastest),
		packed(s2Codec), // what recS2VN records hold
		packed(s2Better),
	}
}

// recordBodies returns the bodies (envelope byte dropped) of the records.
func recordBodies(recs []record) (bodies [][]byte, total int) {
	for i := range recs {
		b := appendBody(nil, &recs[i])
		bodies = append(bodies, b)
		total += len(b)
	}
	return bodies, total
}

// BenchmarkRecordCodecs compares ways of compressing record bodies of the
// bench farm's text and of real press text: ns/op, MB/s and CPU time per
// body, the stored bytes per record and as a share of the body (ratio).
// The decode benchmarks time the way back.
func BenchmarkRecordCodecs(b *testing.B) {
	sets := []struct {
		name string
		recs []record
	}{{"farm", farmRecords(200)}, {"press", pressRecords(b, 200)}}
	for _, set := range sets {
		bodies, total := recordBodies(set.recs)
		for _, c := range benchCodecs(b) {
			stored := make([][]byte, len(bodies))
			size := 0
			for i, body := range bodies {
				stored[i] = c.encode(nil, body)
				size += len(stored[i])
				if d, err := c.decode(nil, stored[i]); err != nil || string(d) != string(body) {
					b.Fatalf("%s: round trip: %v", c.name, err)
				}
			}
			b.Run("encode/"+set.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(total / len(bodies)))
				dst := make([]byte, 0, 8<<10)
				i := 0
				stop := cpuTimer(b)
				for b.Loop() {
					dst = c.encode(dst[:0], bodies[i%len(bodies)])
					i++
				}
				stop()
				b.ReportMetric(float64(size)/float64(total), "ratio")
				b.ReportMetric(float64(size)/float64(len(bodies)), "B/rec")
			})
			b.Run("decode/"+set.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(total / len(bodies)))
				var dst []byte
				i := 0
				stop := cpuTimer(b)
				for b.Loop() {
					var err error
					if dst, err = c.decode(dst[:0], stored[i%len(stored)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				stop()
			})
		}
	}
}

// protoDict returns a raw dictionary for zstd and S2: the syllables of
// vntext's press stories, most frequent last (nearest), at most max bytes.
func protoDict(tb testing.TB, max int) []byte {
	data, err := os.ReadFile("../vntext/testdata/nearset/stories.txt")
	if err != nil {
		tb.Fatal(err)
	}
	count := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(line), func(r rune) bool { return !unicode.IsLetter(r) }) {
			count[w]++
		}
	}
	words := make([]string, 0, len(count))
	for w := range count {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if count[words[i]] != count[words[j]] {
			return count[words[i]] > count[words[j]]
		}
		return words[i] < words[j]
	})
	var b []byte
	for _, w := range words {
		if len(b)+len(w)+1 > max {
			break
		}
		b = append(b, w...)
		b = append(b, ' ')
	}
	// most frequent last
	fields := strings.Fields(string(b))
	slices.Reverse(fields)
	return []byte(" " + strings.Join(fields, " ") + " ")
}

// threadCPU returns the CPU time the calling thread has used, in
// nanoseconds: on a shared machine a benchmark's wall time also counts
// the time other processes held the core.
func threadCPU() int64 {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// cpuTimer starts counting the CPU time of the calling goroutine's
// thread; the returned func reports it per op as cpu-ns/op. On a shared
// machine the wall time of a benchmark also counts the time other
// processes held the core; this does not.
func cpuTimer(b *testing.B) (stop func()) {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
		runtime.UnlockOSThread()
	}
}

// BenchmarkVNPack times vnPack and vnUnpack on the bench farm's record
// bodies.
func BenchmarkVNPack(b *testing.B) {
	bodies, total := recordBodies(farmRecords(50))
	b.Run("pack", func(b *testing.B) {
		b.SetBytes(int64(total / len(bodies)))
		var dst []byte
		i := 0
		stop := cpuTimer(b)
		for b.Loop() {
			dst = vnPack(dst[:0], bodies[i%len(bodies)])
			i++
		}
		stop()
	})
	packed := make([][]byte, len(bodies))
	for i := range bodies {
		packed[i] = vnPack(nil, bodies[i])
	}
	b.Run("unpack", func(b *testing.B) {
		b.SetBytes(int64(total / len(bodies)))
		var dst []byte
		i := 0
		stop := cpuTimer(b)
		for b.Loop() {
			var err error
			if dst, err = vnUnpack(dst[:0], packed[i%len(packed)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		stop()
	})
}
