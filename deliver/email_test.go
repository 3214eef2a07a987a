package deliver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server (go-smtp) on loopback that keeps what it
// receives and wants PLAIN authentication as user/password.
type smtpServer struct {
	addr string
	mu   sync.Mutex
	msgs []smtpMessage
}

type smtpMessage struct {
	from string
	to   []string
	data []byte
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ss := &smtpServer{}
	srv := smtp.NewServer(smtpBackend{ss})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback, no TLS
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ss.addr = ln.Addr().String()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	return ss
}

func (ss *smtpServer) messages() []smtpMessage {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]smtpMessage(nil), ss.msgs...)
}

type smtpBackend struct{ ss *smtpServer }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{ss: b.ss}, nil }

type smtpSession struct {
	ss     *smtpServer
	authed bool
	msg    smtpMessage
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "banbientap" || pass != "mật-khẩu" {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.msg.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = b
	s.ss.mu.Lock()
	s.ss.msgs = append(s.ss.msgs, s.msg)
	s.ss.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.msg = smtpMessage{} }
func (s *smtpSession) Logout() error { return nil }

// TestEmailDigest sends the digest of a time missed while pressfeed was
// down, once, to a real SMTP server: a Vietnamese subject with the date and
// the count, each story once with its outlets, as text and HTML; a digest
// with nothing new sends no message; a restart sends nothing again.
func TestEmailDigest(t *testing.T) {
	ss := startSMTP(t)
	loc := time.FixedZone("ICT", 7*3600)
	now := time.Now().In(loc)
	at := now.Add(-time.Hour).Format("15:04")
	ds := []Delivery{
		{Name: "digest", Output: "all", Kind: Email, SMTP: "smtp://banbientap:m%E1%BA%ADt-kh%E1%BA%A9u@" + ss.addr,
			From: "pressfeed@baochi.example", To: []string{"bientap@baochi.example", "lanhdao@baochi.example"}, At: []string{at}},
		{Name: "empty", Output: "xang", Kind: Email, SMTP: "smtp://banbientap:m%E1%BA%ADt-kh%E1%BA%A9u@" + ss.addr,
			From: "pressfeed@baochi.example", To: []string{"bientap@baochi.example"}, At: []string{at}},
	}
	f := newFixture(t, ds, now.Add(-2*time.Hour))
	f.add(t, "sggp", "Khánh thành cầu", 2)
	f.add(t, "tuoitre", "Khánh thành cầu", 1) // joins story 0
	f.add(t, "tuoitre", "Mưa lớn", 1)
	stop := f.run(t, Options{Location: loc})
	waitFor(t, "a digest", func() bool { return len(ss.messages()) == 1 })
	waitFor(t, "both digest times recorded", func() bool {
		states, err := f.db.DeliveryStates(context.Background())
		return err == nil && !states["digest"].LastRun.IsZero() && !states["empty"].LastRun.IsZero()
	})
	stop()
	stop = f.run(t, Options{Location: loc}) // a restart: the time is done
	time.Sleep(200 * time.Millisecond)
	stop()

	msgs := ss.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want one digest", len(msgs))
	}
	m := msgs[0]
	if m.from != "pressfeed@baochi.example" || strings.Join(m.to, ",") != "bientap@baochi.example,lanhdao@baochi.example" {
		t.Errorf("envelope from %q to %q", m.from, m.to)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.data))
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
	body := decodeParts(t, m.data)
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

// decodeParts returns the message with its quoted-printable and base64
// parts decoded, for searching.
func decodeParts(t *testing.T, data []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	mr := multipartReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p) // multipart decodes quoted-printable itself
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(p.Header.Get("Content-Type") + "\n")
		out.Write(b)
		out.WriteString("\n")
	}
	return out.String()
}

func multipartReader(r io.Reader, boundary string) *multipart.Reader {
	return multipart.NewReader(r, boundary)
}
