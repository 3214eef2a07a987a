package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// secretConfig is a config with a secret in every place one can be: a
// feed URL's password, request headers, a webhook's URL path and signing
// secret, a Telegram bot token, an SMTP password. bad replaces what makes
// each entry wrong, so that check has to report the entries.
func secretConfig(bad map[string]string) string {
	v := func(key, good string) string {
		if b, ok := bad[key]; ok {
			return b
		}
		return good
	}
	return `
[[feeds]]
name = "a"
url = "` + v("feed", "https://reader:feedpass123@a.example/rss") + `"
headers = { Cookie = "session=cookiesecret456", Authorization = "Bearer headertoken789" }
[[deliver]]
name = "hook"
output = "all"
kind = "webhook"
url = "` + v("hook", "https://hooks.example/services/T000/hooktoken321") + `"
secret = "hmacsecret654"
[[deliver]]
name = "tg"
output = "all"
kind = "telegram"
bot_token = "` + v("bot", "123456:telegramtoken987") + `"
chat_id = "@tin-moi"
[[deliver]]
name = "mail"
output = "all"
kind = "email"
smtp = "` + v("smtp", "smtp://mailer:smtppass111@mail.example:587") + `"
from = "tin@example.vn"
to = ["` + v("to", "ban-bien-tap@example.vn") + `"]
at = ["07:00"]
`
}

var secrets = []string{"feedpass123", "cookiesecret456", "headertoken789", "hooktoken321", "hmacsecret654",
	"telegramtoken987", "smtppass111"}

// TestCheckShowsNoSecret: check prints neither a password, a header, a
// webhook token or secret, a bot token nor an SMTP password, whether the
// config is good (the summary) or every entry holding one is wrong (the
// errors).
func TestCheckShowsNoSecret(t *testing.T) {
	tests := []struct {
		name     string
		bad      map[string]string
		wantCode int
		want     []string // in the output, so that the entries were looked at
	}{
		{"good", nil, 0, []string{"feeds:   1", "deliver: hook: output all, webhook → https://hooks.example/…",
			"deliver: tg: output all, telegram → @tin-moi", "deliver: mail: output all, email → ban-bien-tap@example.vn at 07:00 via smtp://mailer:xxxxx@mail.example:587"}},
		{"bad", map[string]string{
			"feed": "https://reader:feedpass123@a example/rss",
			"hook": "ftp://hooks.example/services/T000/hooktoken321",
			"bot":  "123456:telegramtoken987/x",
			"smtp": "imap://mailer:smtppass111@mail.example:587",
			"to":   "nobody",
		}, exitConfig, []string{"feeds[0] (a).url: invalid URL \"https://reader:xxxxx@a example/rss\"", "deliver[0] (hook).url",
			"deliver[1] (tg).bot_token", "deliver[2] (mail).smtp", "deliver[2] (mail).to[0]"}},
		{"unparseable smtp", map[string]string{"smtp": "smtp://mailer:smtppass111@mail example:587"}, exitConfig,
			[]string{"deliver[2] (mail).smtp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, secretConfig(tt.bad))
			var stdout, stderr bytes.Buffer
			code := exitCode(run(context.Background(), []string{"check", "-config", path}, &stdout, &stderr), &stderr)
			out := stdout.String() + stderr.String()
			if code != tt.wantCode {
				t.Fatalf("check exit %d, want %d:\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("check output lacks %q:\n%s", w, out)
				}
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("check shows the secret %q:\n%s", s, out)
				}
			}
		})
	}
}
