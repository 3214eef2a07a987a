package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

var ict = time.FixedZone("ICT", 7*3600)

// reportStore writes a store whose stories were first seen on two days:
//
//	day 1 (2026-12-01): s1 led by sggp, carried by tuoitre too (same link)
//	                    s2 tuoitre alone
//	day 2 (2026-12-02): s3 led by vnexpress, carried by sggp and tuoitre
//	                    s4 chinhphu alone ("Giá xăng" in its title)
//	day 9 (2026-12-09): s5 sggp alone, outside a report to 2026-12-02
func reportStore(t *testing.T, path string) {
	t.Helper()
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, ict)
	db, err := store.Open(path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	story := func(title, link string, published time.Time) store.Incoming {
		return store.Incoming{
			Item:    store.Item{Title: title, Link: link, Summary: "Tóm tắt: " + title, Published: published},
			LinkKey: link, HashKey: "h-" + link, TitleKey: strings.ToLower(title), Dated: true,
		}
	}
	add := func(feed string, items ...store.Incoming) {
		t.Helper()
		if _, err := db.Add(context.Background(), feed, items, &store.FeedState{}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
	}
	s1 := story("Khánh thành cầu Thủ Thiêm 2", "https://a.example/cau", now.Add(-time.Hour))
	add("sggp", s1)
	add("tuoitre", s1, story("Mưa lớn ở Thành phố Hồ Chí Minh", "https://b.example/mua", now))
	now = time.Date(2026, 12, 2, 9, 0, 0, 0, ict)
	s3 := story("Quốc hội thông qua luật đất đai", "https://c.example/luat", now.Add(-time.Hour))
	add("vnexpress", s3)
	add("sggp", s3)
	add("tuoitre", s3)
	add("chinhphu", story("Giá xăng giảm từ chiều nay", "https://d.example/xang", now))
	now = time.Date(2026, 12, 9, 9, 0, 0, 0, ict)
	add("sggp", story("Khai mạc hội chợ", "https://a.example/hoi-cho", now))
}

func reportConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := fmt.Sprintf(`[server]
listen = "127.0.0.1:1"
[store]
path = %q
[[feeds]]
name = "sggp"
url = "https://a.example/rss"
tags = ["bao-in"]
[[feeds]]
name = "tuoitre"
url = "https://b.example/rss"
tags = ["bao-in"]
[[feeds]]
name = "vnexpress"
url = "https://c.example/rss"
[[feeds]]
name = "chinhphu"
url = "https://d.example/rss"
tags = ["chinh-phu"]
[[outputs]]
name = "all"
[[outputs]]
name = "xang"
include = ["gia xang"]
`, filepath.Join(dir, "p.db"))
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCapture(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), err
}

func TestReportCSV(t *testing.T) {
	dir := t.TempDir()
	cfg := reportConfig(t, dir)
	reportStore(t, filepath.Join(dir, "p.db"))
	rng := []string{"-from", "2026-12-01", "-to", "2026-12-02"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"by outlet", []string{"-by", "outlet"}, `group,stories_led,stories_carried,shared_stories
tuoitre,1,3,2
sggp,1,2,2
chinhphu,1,1,0
vnexpress,1,1,1
`},
		{"by day", []string{"-by", "day"}, `group,stories_led,stories_carried,shared_stories
2026-12-01,2,2,1
2026-12-02,2,2,1
`},
		{"by week", []string{"-by", "week"}, `group,stories_led,stories_carried,shared_stories
2026-W49,4,4,2
`},
		{"by month", []string{"-by", "month"}, `group,stories_led,stories_carried,shared_stories
2026-12,4,4,2
`},
		{"by tag", []string{"-by", "tag"}, `group,stories_led,stories_carried,shared_stories
bao-in,2,3,2
(no tag),1,1,1
chinh-phu,1,1,0
`},
		{"one output", []string{"-by", "outlet", "-output", "xang"}, `group,stories_led,stories_carried,shared_stories
chinhphu,1,1,0
`},
		{"one day", []string{"-by", "outlet", "-from", "2026-12-01", "-to", "2026-12-01"}, `group,stories_led,stories_carried,shared_stories
tuoitre,1,2,1
sggp,1,1,1
`},
		{"everything", []string{"-by", "outlet", "-from", "2026-11-01", "-to", "2026-12-31"}, `group,stories_led,stories_carried,shared_stories
sggp,2,3,2
tuoitre,1,3,2
chinhphu,1,1,0
vnexpress,1,1,1
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-config", cfg, "report", "-format", "csv"}, rng...)
			got, err := runCapture(t, append(args, tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("report %v:\n%s\nwant:\n%s", tt.args, got, tt.want)
			}
		})
	}
}

// TestReportAddsUp checks that the stories led, summed over outlets, are
// the stories the store holds, whichever range covers them all.
func TestReportAddsUp(t *testing.T) {
	dir := t.TempDir()
	cfg := reportConfig(t, dir)
	reportStore(t, filepath.Join(dir, "p.db"))
	out, err := runCapture(t, "report", "-config", cfg, "-from", "2000-01-01", "-to", "2100-01-01", "-format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	led := 0
	for _, r := range records[1:] {
		n, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatal(err)
		}
		led += n
	}
	db, err := store.Open(filepath.Join(dir, "p.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored, err := db.Count()
	if err != nil {
		t.Fatal(err)
	}
	if led != stored || led != 5 {
		t.Errorf("stories led summed over outlets = %d; the store holds %d (want 5)", led, stored)
	}
}

func TestReportJSONAndTable(t *testing.T) {
	dir := t.TempDir()
	cfg := reportConfig(t, dir)
	reportStore(t, filepath.Join(dir, "p.db"))
	out, err := runCapture(t, "report", "-config", cfg, "-from", "2026-12-01", "-to", "2026-12-02", "-format", "json", "-by", "day")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		From, To time.Time
		By       string
		Groups   []reportRow
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if !doc.From.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, ict)) || !doc.To.Equal(time.Date(2026, 12, 3, 0, 0, 0, 0, ict)) ||
		doc.By != "day" || len(doc.Groups) != 2 || doc.Groups[0] != (reportRow{"2026-12-01", 2, 2, 1}) {
		t.Errorf("json report = %+v", doc)
	}
	out, err = runCapture(t, "report", "-config", cfg, "-from", "2026-12-01", "-to", "2026-12-02")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"by outlet", "tuoitre", "(all outlets)", "from 2026-12-01 00:00 to 2026-12-03 00:00"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestReportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := reportConfig(t, dir)
	reportStore(t, filepath.Join(dir, "p.db"))
	for _, args := range [][]string{
		{"-by", "year"},
		{"-format", "xml"},
		{"-from", "yesterday"},
		{"-from", "2026-12-05", "-to", "2026-12-01"},
		{"-output", "no-such-output"},
	} {
		_, err := runCapture(t, append([]string{"report", "-config", cfg}, args...)...)
		if code := exitCode(err, &bytes.Buffer{}); code != exitUsage {
			t.Errorf("report %v: exit %d (%v); want %d", args, code, err, exitUsage)
		}
	}
}

// TestReportWithoutStore checks that report creates no store where there
// is none, and names the path it looked at.
func TestReportWithoutStore(t *testing.T) {
	dir := t.TempDir()
	cfg := reportConfig(t, dir)
	_, err := runCapture(t, "report", "-config", cfg)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "p.db")) {
		t.Errorf("report without a store: %v; want an error naming %s", err, filepath.Join(dir, "p.db"))
	}
	if _, err := os.Stat(filepath.Join(dir, "p.db")); !os.IsNotExist(err) {
		t.Errorf("report created %s (stat: %v)", filepath.Join(dir, "p.db"), err)
	}
}
