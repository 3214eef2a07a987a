package main

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// farm serves a deterministic set of RSS feeds: feed i at pass p holds
// items v-M+1 … v, where v counts the passes in which the feed changed.
// Text is realistic Vietnamese built from a fixed vocabulary, so documents
// weigh what press feeds weigh (about 2 KB per item).
type farm struct {
	feeds, items int
	churn        float64 // share of feeds that change per pass
	vocab        []string
	validators   bool // send ETag and answer 304
	faults       int  // the first faults feeds answer 503 or broken XML
	pass         atomic.Int64
	requests     atomic.Int64

	mu    sync.Mutex
	cache map[[2]int][]byte // (feed, version) → document, bounded
}

func newFarm(feeds, items int, churn float64, validators bool, faults int, vocab []string) *farm {
	return &farm{feeds: feeds, items: items, churn: churn, validators: validators, faults: faults, vocab: vocab, cache: map[[2]int][]byte{}}
}

// version returns how often feed i changed up to the current pass.
func (f *farm) version(i int) int {
	v := 0
	for p := 1; p <= int(f.pass.Load()); p++ {
		if frac(uint64(i)<<20|uint64(p)) < f.churn {
			v++
		}
	}
	return v
}

func frac(x uint64) float64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(x >> (8 * i))
	}
	h.Write(b[:])
	return float64(h.Sum64()>>11) / float64(1<<53)
}

func (f *farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/f/"), ".xml"))
	if err != nil || i < 0 || i >= f.feeds {
		http.NotFound(w, r)
		return
	}
	if i < f.faults {
		if i%2 == 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		} else {
			w.Write([]byte("<rss><channel><item><title>cut"))
		}
		return
	}
	v := f.version(i)
	etag := fmt.Sprintf(`"%d-%d"`, i, v)
	if f.validators {
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(f.doc(i, v, r.Host))
}

// doc returns feed i's document at version v, its links on the farm at
// host (so that a reader that follows them, for an icon say, stays on
// loopback).
func (f *farm) doc(i, v int, host string) []byte {
	key := [2]int{i, v}
	f.mu.Lock()
	b, ok := f.cache[key]
	f.mu.Unlock()
	if ok {
		return b
	}
	b = renderFeed(i, v, f.items, f.vocab, host)
	f.mu.Lock()
	if len(f.cache) > 2000 {
		clear(f.cache)
	}
	f.cache[key] = b
	f.mu.Unlock()
	return b
}

var vocab = strings.Fields(`thành phố hồ chí minh hà nội đà nẵng cần thơ hải phòng quốc hội chính phủ thủ tướng bộ trưởng
ủy ban nhân dân hội đồng giá xăng dầu vàng đô la lãi suất ngân hàng doanh nghiệp xuất khẩu nhập khẩu
kinh tế tăng trưởng lạm phát đầu tư công cao tốc metro sân bay cảng biển bão lũ mưa lớn ngập nắng nóng
giáo dục học sinh sinh viên thi tốt nghiệp y tế bệnh viện bác sĩ vắc xin dịch bệnh công an điều tra
khởi tố bắt giữ tòa án xét xử bóng đá đội tuyển việt nam thái lan hòa thắng thua trận đấu giải
văn hóa du lịch lễ hội khai mạc bế mạc hội nghị tổng kết triển khai nhiệm vụ năm kế hoạch dự án
người dân cử tri kiến nghị chính sách luật nghị định thông tư quy định mới từ ngày tháng sáng chiều tối nay`)

// smallVocab is the small-vocabulary farm's: 24 words, so every item
// shares most of its words with every other, as templated reports (prices,
// weather, scores) do. It is what made a SimHash index slow: its bands
// collided for most items.
var smallVocab = strings.Fields(`giá vàng xăng tăng giảm hôm nay sáng chiều thị trường trong nước đồng lít
lượng mua bán ra vào ngân hàng lãi suất mức`)

// vocabs are the farms' vocabularies by name (the -vocab flag).
var vocabs = map[string][]string{"varied": vocab, "small": smallVocab}

// renderFeed builds the RSS document of feed i at version v: m items, the
// newest numbered v+m-1.
func renderFeed(i, v, m int, vocab []string, host string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<rss version="2.0"><channel><title>Báo số %d</title><link>http://%s/bao%d/</link><description>Tin tức tổng hợp</description>`+"\n", i, host, i)
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	for k := v + m - 1; k >= v; k-- {
		rng := rand.New(rand.NewPCG(uint64(i), uint64(k)))
		title := sentence(rng, vocab, 10+rng.IntN(8))
		fmt.Fprintf(&b, "<item><title>%s</title><link>http://%s/bao%d/tin/%d-%d.html?utm_source=rss</link><guid isPermaLink=\"false\">b%d-%d</guid><pubDate>%s</pubDate><description><![CDATA[",
			title, host, i, i, k, i, k, base.Add(time.Duration(k)*time.Minute).Format(time.RFC1123Z))
		for range 5 {
			b.WriteString("<p>")
			b.WriteString(sentence(rng, vocab, 50+rng.IntN(20)))
			b.WriteString("</p>")
		}
		b.WriteString("]]></description></item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes()
}

func sentence(rng *rand.Rand, vocab []string, words int) string {
	var s strings.Builder
	for w := range words {
		if w > 0 {
			s.WriteByte(' ')
		}
		word := vocab[rng.IntN(len(vocab))]
		if w == 0 {
			r, size := utf8.DecodeRuneInString(word)
			word = string(unicode.ToUpper(r)) + word[size:]
		}
		s.WriteString(word)
	}
	s.WriteByte('.')
	return s.String()
}
