package deliver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pressfeed/pressfeed/store"
)

// webhookBatch is the most items a webhook request carries.
const webhookBatch = 50

// webhookBody is what a webhook receives.
type webhookBody struct {
	Delivery string            `json:"delivery"`
	Output   string            `json:"output"`
	Items    []json.RawMessage `json:"items"` // JSON Feed 1.1 item objects
}

// Signature returns the X-Pressfeed-Signature value of body under secret:
// "sha256=" and the hex HMAC-SHA256 of the body.
func Signature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// webhook POSTs the batch as one JSON document.
func (s *sender) webhook(ctx context.Context, b *store.Batch, items []store.Item) error {
	objs, err := s.opts.Presenter.JSONItems(ctx, s.d.Output, items)
	if err != nil {
		return err
	}
	body, err := json.Marshal(webhookBody{Delivery: s.d.Name, Output: s.d.Output, Items: objs})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.d.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Pressfeed-Delivery", b.ID)
	if s.d.Secret != "" {
		req.Header.Set("X-Pressfeed-Signature", Signature(s.d.Secret, body))
	}
	if s.opts.UserAgent != "" {
		req.Header.Set("User-Agent", s.opts.UserAgent)
	}
	return post(s.opts.Client, req)
}

// post sends req and turns any answer but 2xx into a *ReceiverError.
func post(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		// Errors quote the URL, whose path may hold a token (a webhook's
		// secret path, Telegram's bot token): keep the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = req.URL.Scheme + "://" + req.URL.Host + "/…"
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return nil
	}
	detail, err := io.ReadAll(io.LimitReader(resp.Body, 512)) // only for the error text
	if err != nil {
		detail = nil
	}
	return &ReceiverError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Detail: oneLine(string(detail))}
}

// retryAfter reads a Retry-After value: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}

// oneLine folds s onto one line of at most 200 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
