package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pressfeed/pressfeed/vntext"
)

// realisticItems returns n items shaped like a Vietnamese outlet's: an
// 80-character headline, a 60-word lead, 1.5 KB of HTML, a GUID and a link.
func realisticItems(feed string, n int, start time.Time) []Incoming {
	lead := strings.Repeat("Ủy ban nhân dân thành phố vừa ban hành kế hoạch triển khai ", 6)
	content := "<p>" + strings.Repeat("Theo báo cáo, các sở ngành đã phối hợp chặt chẽ với địa phương để thực hiện. ", 18) + "</p>"
	out := make([]Incoming, n)
	for i := range out {
		title := fmt.Sprintf("Tin %s số %d: thành phố triển khai kế hoạch mới về giao thông đô thị", feed, i)
		link := fmt.Sprintf("https://%s.example/thoi-su/tin-%d-ke-hoach-giao-thong.html", feed, i)
		out[i] = Incoming{
			Item: Item{Title: title, Link: link, Summary: fmt.Sprintf("%s (%d)", lead, i), Content: content,
				Author: "Phóng viên", Published: start.Add(time.Duration(i) * time.Minute)},
			GUID: fmt.Sprintf("https://%s.example/%d", feed, i), LinkKey: link, HashKey: fmt.Sprintf("%032x", i),
			TitleKey: strings.ToLower(title), Dated: true,
		}
	}
	return out
}

// BenchmarkBytesPerItem reports the store's size per item for 1,000
// realistic items added in batches of 50, with and without the near index:
// the pages in use (bytes/item), the pages in use after Compact, and the
// file on disk (bbolt grows it in powers of two up to 1 GiB).
func BenchmarkBytesPerItem(b *testing.B) {
	for _, near := range []bool{false, true} {
		b.Run(fmt.Sprintf("near=%v", near), func(b *testing.B) {
			var perItem, compacted, file float64
			for b.Loop() {
				path := filepath.Join(b.TempDir(), "size.db")
				db, err := Open(path, Options{NearDuplicates: near, Now: func() time.Time { return t0 }})
				if err != nil {
					b.Fatal(err)
				}
				items := realisticItems("bao-a", 1000, t0.Add(-48*time.Hour))
				for i := 0; i < len(items); i += 50 {
					if _, err := db.Add(context.Background(), "bao-a", items[i:i+50], nil); err != nil {
						b.Fatal(err)
					}
				}
				size, err := db.Size()
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				st, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := Compact(context.Background(), path, Options{}); err != nil {
					b.Fatal(err)
				}
				db, err = Open(path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				live, err := db.Size()
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				perItem = float64(size) / 1000
				compacted = float64(live) / 1000
				file = float64(st.Size()) / 1000
			}
			b.ReportMetric(perItem, "bytes/item")
			b.ReportMetric(compacted, "compacted-bytes/item")
			b.ReportMetric(file, "file-bytes/item")
		})
	}
}

func TestRealisticItemsStored(t *testing.T) {
	db, _ := openTest(t, Options{NearDuplicates: true, Now: func() time.Time { return t0 }})
	r, err := db.Add(context.Background(), "bao-a", realisticItems("bao-a", 100, t0.Add(-time.Hour)), nil)
	if err != nil || r.Added != 100 {
		t.Fatalf("Add = %+v, %v; want 100 added", r, err)
	}
	if got := countBucket(t, db, bucketSketches); got != 100 {
		t.Errorf("sketches = %d, want 100", got)
	}
}

// BenchmarkFindNear measures one near-duplicate lookup among n stories
// published within the title window (every stored story is a candidate by
// time; the bands keep the reads few).
func BenchmarkFindNear(b *testing.B) {
	syllables := strings.Fields("thành phố hà nội giá xăng dầu giảm tăng bão lũ quét cháy nhà xưởng khởi công cao tốc " +
		"bắc nam học sinh thi tốt nghiệp ngân hàng lãi suất vàng miếng đất đai luật quốc hội thủ tướng yêu cầu " +
		"tai nạn giao thông cầu đường sân bay khách du lịch xuất khẩu gạo cà phê bệnh viện y tế công an bắt giữ")
	// The bench's small-vocabulary farm: every story shares most of its
	// words with every other, and its bands collide.
	small := strings.Fields("giá vàng xăng tăng giảm hôm nay sáng chiều thị trường trong nước đồng lít " +
		"lượng mua bán ra vào ngân hàng lãi suất mức")
	rng := rand.New(rand.NewPCG(1, 2))
	var vocab []string
	text := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[rng.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	for _, c := range []struct {
		name  string
		n     int
		vocab []string
	}{{"10000", 10_000, syllables}, {"50000", 50_000, syllables}, {"small-vocabulary-20000", 20_000, small}} {
		n := c.n
		vocab = c.vocab
		b.Run(c.name, func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "near.db"), Options{NearDuplicates: true, Now: func() time.Time { return t0 }})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			batch := make([]Incoming, 0, 1000)
			for i := range n {
				title := text(12)
				batch = append(batch, Incoming{
					Item: Item{Title: title, Summary: text(40), Published: t0.Add(-time.Duration(i) * time.Second)},
					GUID: fmt.Sprint(i), TitleKey: title,
				})
				if len(batch) == cap(batch) {
					if _, err := db.Add(context.Background(), "bao-a", batch, nil); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			probe := Incoming{Item: Item{Title: text(12), Summary: text(40), Published: t0}}
			sk := vntext.NewSketch(probe.Title, probe.Summary)
			b.ResetTimer()
			for b.Loop() {
				err := db.bolt.View(func(tx *bolt.Tx) error {
					_, _, err := db.findNear(tx, "bao-b", &probe, &sk, nil)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
