package deliver

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/pressfeed/pressfeed/deliver/delivertest"
)

// TestEmailDigest sends the digest of a time missed while pressfeed was
// down, once, to a real SMTP server: a Vietnamese subject with the date and
// the count, each story once with its outlets, as text and HTML; a digest
// with nothing new sends no message; a restart sends nothing again.
func TestEmailDigest(t *testing.T) {
	ss := delivertest.StartSMTP(t, "banbientap", "mật-khẩu")
	loc := time.FixedZone("ICT", 7*3600)
	now := time.Now().In(loc)
	at := now.Add(-time.Hour).Format("15:04")
	ds := []Delivery{
		{Name: "digest", Output: "all", Kind: Email, SMTP: "smtp://banbientap:m%E1%BA%ADt-kh%E1%BA%A9u@" + ss.Addr,
			From: "pressfeed@baochi.example", To: []string{"bientap@baochi.example", "lanhdao@baochi.example"}, At: []string{at}},
		{Name: "empty", Output: "xang", Kind: Email, SMTP: "smtp://banbientap:m%E1%BA%ADt-kh%E1%BA%A9u@" + ss.Addr,
			From: "pressfeed@baochi.example", To: []string{"bientap@baochi.example"}, At: []string{at}},
	}
	f := newFixture(t, ds, now.Add(-2*time.Hour))
	f.add(t, "sggp", "Khánh thành cầu", 2)
	f.add(t, "tuoitre", "Khánh thành cầu", 1) // joins story 0
	f.add(t, "tuoitre", "Mưa lớn", 1)
	stop := f.run(t, Options{Location: loc})
	waitFor(t, "a digest", func() bool { return len(ss.Messages()) == 1 })
	waitFor(t, "both digest times recorded", func() bool {
		states, err := f.db.DeliveryStates(context.Background())
		return err == nil && !states["digest"].LastRun.IsZero() && !states["empty"].LastRun.IsZero()
	})
	stop()
	stop = f.run(t, Options{Location: loc}) // a restart: the time is done
	time.Sleep(200 * time.Millisecond)
	stop()

	msgs := ss.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want one digest", len(msgs))
	}
	m := msgs[0]
	if m.From != "pressfeed@baochi.example" || strings.Join(m.To, ",") != "bientap@baochi.example,lanhdao@baochi.example" {
		t.Errorf("envelope from %q to %q", m.From, m.To)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	wantSubject := "Điểm tin all lúc " + at + " ngày " + now.Add(-time.Hour).Format("02/01/2006") + ": 3 tin mới"
	if subject != wantSubject {
		t.Errorf("subject %q, want %q", subject, wantSubject)
	}
	body, err := m.Text()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Khánh thành cầu số 0", "Khánh thành cầu số 1", "Mưa lớn số 0",
		"Đăng trên: Sài Gòn Giải Phóng, Tuổi Trẻ", // the story both carried, once
		"text/html", "<a href=\"https://sggp.example/",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("digest lacks %q:\n%s", want, body)
		}
	}
	if n := strings.Count(body, "Khánh thành cầu số 0</a>"); n != 1 {
		t.Errorf("the shared story is listed %d times in the HTML part, want once", n)
	}
	if n := strings.Count(body, "Đăng trên: Sài Gòn Giải Phóng, Tuổi Trẻ"); n != 2 {
		t.Errorf("the shared story's outlets appear %d times, want once in each part", n)
	}
}
