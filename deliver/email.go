package deliver

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/pressfeed/pressfeed/store"
)

// digestMax is the most stories one digest lists; the rest wait for the next.
const digestMax = 1000

// mailer sends digests over SMTP: smtp:// with STARTTLS (required unless
// the server is on loopback), smtps:// with TLS from the first byte.
type mailer struct {
	d        Delivery
	host     string
	port     int
	ssl      bool
	user     string
	password string
	loc      *time.Location
	at       []clock // digest times, sorted
}

type clock struct{ h, m int }

// ParseClock reads a digest time "HH:MM".
func ParseClock(s string) (h, m int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return t.Hour(), t.Minute(), nil
}

// ParseSMTP checks an smtp:// or smtps:// URL and returns its host.
func ParseSMTP(raw string) (host string, port int, ssl bool, u *url.URL, err error) {
	u, err = url.Parse(raw)
	if err != nil {
		return "", 0, false, nil, errors.New("not a URL") // the URL may hold a password: never quote it
	}
	switch u.Scheme {
	case "smtp":
		port = 587
	case "smtps":
		ssl, port = true, 465
	default:
		return "", 0, false, nil, fmt.Errorf("scheme %q: want smtp:// (STARTTLS) or smtps:// (TLS)", u.Scheme)
	}
	host = u.Hostname()
	if host == "" {
		return "", 0, false, nil, errors.New("no host")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return "", 0, false, nil, fmt.Errorf("bad port %q", p)
		}
	}
	return host, port, ssl, u, nil
}

func newMailer(d Delivery, loc *time.Location) (*mailer, error) {
	host, port, ssl, u, err := ParseSMTP(d.SMTP)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	m := &mailer{d: d, host: host, port: port, ssl: ssl, loc: loc}
	if u.User != nil {
		m.user = u.User.Username()
		m.password, _ = u.User.Password() // no password: none sent
	}
	for _, a := range d.At {
		h, mi, err := ParseClock(a)
		if err != nil {
			return nil, fmt.Errorf("at: %w", err)
		}
		m.at = append(m.at, clock{h, mi})
	}
	if len(m.at) == 0 {
		return nil, errors.New("at: no digest time")
	}
	slices.SortFunc(m.at, func(a, b clock) int { return (a.h*60 + a.m) - (b.h*60 + b.m) })
	return m, nil
}

// lastDue returns the latest digest time at or before now.
func (m *mailer) lastDue(now time.Time) time.Time {
	now = now.In(m.loc)
	for day := 0; day < 3; day++ {
		d := now.AddDate(0, 0, -day)
		for i := len(m.at) - 1; i >= 0; i-- {
			t := time.Date(d.Year(), d.Month(), d.Day(), m.at[i].h, m.at[i].m, 0, 0, m.loc)
			if !t.After(now) {
				return t
			}
		}
	}
	return time.Time{}
}

// nextDue returns the first digest time after now.
func (m *mailer) nextDue(now time.Time) time.Time {
	now = now.In(m.loc)
	for day := 0; day < 3; day++ {
		d := now.AddDate(0, 0, day)
		for _, c := range m.at {
			t := time.Date(d.Year(), d.Month(), d.Day(), c.h, c.m, 0, 0, m.loc)
			if t.After(now) {
				return t
			}
		}
	}
	return now.Add(24 * time.Hour)
}

// runDigests sends one digest per digest time, with the stories that
// arrived since the last one; none when there are none. A time missed
// while pressfeed was down is sent once, at start.
func (s *sender) runDigests(ctx context.Context) {
	m, err := newMailer(s.d, s.opts.Location)
	if err != nil {
		s.log.Error("digests disabled", "err", err)
		return
	}
	for ctx.Err() == nil {
		states, err := s.db.DeliveryStates(ctx)
		if err != nil {
			s.log.Error("read delivery state", "err", err)
			if !sleep(ctx, s.opts.RetryBase) {
				return
			}
			continue
		}
		st, now := states[s.d.Name], s.opts.Now()
		due := m.lastDue(now)
		if due.IsZero() || !due.After(st.LastRun) || !due.After(st.Since) {
			if !sleep(ctx, m.nextDue(now).Sub(now)) {
				return
			}
			continue
		}
		s.digestAt = due
		sent, wait := s.once(ctx)
		if !sent && wait > 0 { // failed: the same batch again after the backoff
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		// Sent, or nothing to send: this time is done.
		if err := s.db.MarkRun(context.WithoutCancel(ctx), s.d.Name, due); err != nil {
			s.log.Error("record digest", "err", err)
		}
	}
}

// send returns the sender's send function for digests.
func (m *mailer) send(s *sender) func(ctx context.Context, b *store.Batch, items []store.Item) error {
	return func(ctx context.Context, b *store.Batch, items []store.Item) error {
		if err := s.servedLinks(ctx, items); err != nil {
			return err
		}
		outlets := make([][]string, len(items))
		for i := range items {
			names := make([]string, len(items[i].Members))
			for j, mb := range items[i].Members {
				names[j] = mb.Feed
			}
			var err error
			if outlets[i], err = s.opts.Presenter.Outlets(ctx, names); err != nil {
				return err
			}
		}
		at := s.digestAt
		if at.IsZero() {
			at = b.Formed
		}
		msg, err := m.message(b, items, outlets, at.In(m.loc))
		if err != nil {
			return err
		}
		opts := []mail.Option{mail.WithPort(m.port), mail.WithTimeout(30 * time.Second)}
		// The best mechanism the server offers; on loopback, where TLS is
		// not required, PLAIN, which go-mail offers in clear text only there.
		auth := mail.SMTPAuthAutoDiscover
		switch {
		case m.ssl:
			opts = append(opts, mail.WithSSL())
		case isLoopback(m.host):
			opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
			auth = mail.SMTPAuthPlain
		default:
			opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
		}
		if m.user != "" {
			opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(m.user), mail.WithPassword(m.password))
		}
		c, err := mail.NewClient(m.host, opts...)
		if err != nil {
			return fmt.Errorf("smtp %s: %w", m.host, err)
		}
		if err := c.DialAndSendWithContext(ctx, msg); err != nil {
			return fmt.Errorf("smtp %s:%d: %w", m.host, m.port, err)
		}
		return nil
	}
}

// message builds the digest: a Vietnamese subject with the date and the
// count, then each story once with its outlets, as text and as HTML. Its
// Message-ID comes from the batch, so a digest resent after a crash is
// the same message.
func (m *mailer) message(b *store.Batch, items []store.Item, outlets [][]string, at time.Time) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.d.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.d.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(fmt.Sprintf("Điểm tin %s lúc %s ngày %s: %d tin mới", m.d.Output, at.Format("15:04"), at.Format("02/01/2006"), len(items)))
	msg.SetMessageIDWithValue(strings.ToLower(b.ID) + "@pressfeed")
	msg.SetDateWithValue(at)
	var text, page strings.Builder
	fmt.Fprintf(&text, "%d tin mới từ %s\n", len(items), m.d.Output)
	fmt.Fprintf(&page, "<!DOCTYPE html><html lang=\"vi\"><meta charset=\"utf-8\"><body><h1>%d tin mới</h1><ol>", len(items))
	for i := range items {
		it := &items[i]
		carried := strings.Join(outlets[i], ", ")
		fmt.Fprintf(&text, "\n%d. %s\n", i+1, it.Title)
		if it.Link != "" {
			fmt.Fprintf(&text, "   %s\n", it.Link)
		}
		if it.Summary != "" {
			fmt.Fprintf(&text, "   %s\n", it.Summary)
		}
		fmt.Fprintf(&text, "   Đăng trên: %s\n", carried)
		page.WriteString("<li><p><b>")
		if it.Link != "" {
			fmt.Fprintf(&page, `<a href="%s">%s</a>`, html.EscapeString(it.Link), html.EscapeString(it.Title))
		} else {
			page.WriteString(html.EscapeString(it.Title))
		}
		page.WriteString("</b></p>")
		if it.Summary != "" {
			fmt.Fprintf(&page, "<p>%s</p>", html.EscapeString(it.Summary))
		}
		fmt.Fprintf(&page, "<p><i>Đăng trên: %s</i></p></li>", html.EscapeString(carried))
	}
	page.WriteString("</ol></body></html>")
	msg.SetBodyString(mail.TypeTextPlain, text.String())
	msg.AddAlternativeString(mail.TypeTextHTML, page.String())
	return msg, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
