// Package delivertest provides receivers for tests of deliveries: a real
// SMTP server on loopback.
package delivertest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPServer is an SMTP server (go-smtp) on loopback that keeps the
// messages it receives. It wants PLAIN authentication as User/Password.
type SMTPServer struct {
	Addr           string // host:port
	User, Password string

	mu   sync.Mutex
	msgs []Message
}

// Message is one message received.
type Message struct {
	From string
	To   []string
	Data []byte
}

// StartSMTP starts a server for the test; it stops when the test ends.
func StartSMTP(t testing.TB, user, password string) *SMTPServer {
	t.Helper()
	ss := &SMTPServer{User: user, Password: password}
	srv := smtp.NewServer(backend{ss})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback, no TLS
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ss.Addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		<-done
	})
	return ss
}

// Messages returns the messages received so far.
func (ss *SMTPServer) Messages() []Message {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]Message(nil), ss.msgs...)
}

type backend struct{ ss *SMTPServer }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{ss: b.ss}, nil }

type session struct {
	ss     *SMTPServer
	authed bool
	msg    Message
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.ss.User || pass != s.ss.Password {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.msg.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = b
	s.ss.mu.Lock()
	s.ss.msgs = append(s.ss.msgs, s.msg)
	s.ss.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.msg = Message{} }
func (s *session) Logout() error { return nil }

// Text returns the parts of the message, each after its Content-Type
// line, with their transfer encodings (quoted-printable) decoded.
func (m Message) Text() (string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return "", err
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return "", err
	}
	var out strings.Builder
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out.String(), nil
		}
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(p) // multipart decodes quoted-printable itself
		if err != nil {
			return "", err
		}
		out.WriteString(p.Header.Get("Content-Type") + "\n")
		out.Write(b)
		out.WriteString("\n")
	}
}
