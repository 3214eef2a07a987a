package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pressfeed/pressfeed/deliver"
	"github.com/pressfeed/pressfeed/fetcher"
	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/publisher"
	"github.com/pressfeed/pressfeed/store"
)

// deliverConfig is one [[deliver]] block.
type deliverConfig struct {
	Name   string `toml:"name"`
	Output string `toml:"output"`
	Kind   string `toml:"kind"`

	URL    string `toml:"url"`    // webhook
	Secret string `toml:"secret"` // webhook

	BotToken string `toml:"bot_token"` // telegram
	ChatID   string `toml:"chat_id"`   // telegram
	APIURL   string `toml:"api_url"`   // telegram

	SMTP string   `toml:"smtp"` // email
	From string   `toml:"from"` // email
	To   []string `toml:"to"`   // email
	At   []string `toml:"at"`   // email
}

// validateDeliveries checks the [[deliver]] blocks; outputs holds the
// output names. Errors name the key and never quote a secret.
func (c *config) validateDeliveries(bad badFunc, outputs map[string]bool) {
	names := map[string]bool{}
	for i := range c.Deliver {
		d := &c.Deliver[i]
		key := uniqueName(bad, "deliver", "delivery", i, d.Name, names)
		if !outputs[d.Output] {
			bad(key+".output", "no output named %q", d.Output)
		}
		set := map[string]bool{"url": d.URL != "", "secret": d.Secret != "", "bot_token": d.BotToken != "",
			"chat_id": d.ChatID != "", "api_url": d.APIURL != "", "smtp": d.SMTP != "", "from": d.From != "",
			"to": len(d.To) > 0, "at": len(d.At) > 0}
		var wants []string
		switch d.Kind {
		case deliver.Webhook:
			wants = []string{"url", "secret"}
			if err := checkHTTPURL(d.URL); err != nil {
				// Not quoted: a webhook's path often is its token.
				bad(key+".url", "want an absolute http(s) URL (the value is not shown: it may hold a token)")
			}
		case deliver.Telegram:
			wants = []string{"bot_token", "chat_id", "api_url"}
			if d.BotToken == "" || strings.ContainsAny(d.BotToken, "/?#@ ") {
				bad(key+".bot_token", "want the token BotFather gave (digits, ':', letters)")
			}
			if d.ChatID == "" {
				bad(key+".chat_id", `want "@channel" or a numeric chat id`)
			}
			if d.APIURL != "" {
				if err := checkHTTPURL(d.APIURL); err != nil {
					bad(key+".api_url", "%v", err)
				}
			}
		case deliver.Email:
			wants = []string{"smtp", "from", "to", "at"}
			if _, _, _, _, err := deliver.ParseSMTP(d.SMTP); err != nil {
				bad(key+".smtp", "%v", err)
			}
			if !strings.Contains(d.From, "@") {
				bad(key+".from", "want an e-mail address, got %q", d.From)
			}
			if len(d.To) == 0 {
				bad(key+".to", "want at least one address")
			}
			for j, a := range d.To {
				if !strings.Contains(a, "@") {
					bad(fmt.Sprintf("%s.to[%d]", key, j), "want an e-mail address, got %q", a)
				}
			}
			if len(d.At) == 0 {
				bad(key+".at", `want at least one time of day, e.g. ["07:00", "17:00"]`)
			}
			for j, a := range d.At {
				if _, _, err := deliver.ParseClock(a); err != nil {
					bad(fmt.Sprintf("%s.at[%d]", key, j), "%v", err)
				}
			}
		default:
			bad(key+".kind", `must be "webhook", "telegram" or "email", got %q`, d.Kind)
			continue
		}
		for k, isSet := range set {
			if isSet && !slices.Contains(wants, k) {
				bad(key+"."+k, "is not a key of a %s delivery", d.Kind)
			}
		}
	}
}

// deliveries returns the configured deliveries for package deliver.
func (c *config) deliveries() []deliver.Delivery {
	out := make([]deliver.Delivery, 0, len(c.Deliver))
	for _, d := range c.Deliver {
		out = append(out, deliver.Delivery{Name: d.Name, Output: d.Output, Kind: d.Kind, URL: d.URL, Secret: d.Secret,
			BotToken: d.BotToken, ChatID: d.ChatID, APIURL: d.APIURL, SMTP: d.SMTP, From: d.From, To: d.To, At: d.At})
	}
	return out
}

// deliverOptions configures the senders: webhooks and Telegram go through
// the fetcher's guarded client, so a private receiver must be listed in
// fetch.allow_networks.
func (c *config) deliverOptions(log *slog.Logger, p deliver.Presenter) deliver.Options {
	var allow []netip.Prefix
	for _, n := range c.Fetch.AllowNetworks {
		allow = append(allow, netip.MustParsePrefix(n))
	}
	return deliver.Options{
		Deliveries: c.deliveries(),
		Client:     fetcher.NewHTTPClient(fetcher.Options{Timeout: time.Duration(c.Fetch.Timeout), AllowNetworks: allow}),
		Presenter:  p,
		Location:   c.location,
		Logger:     log,
		UserAgent:  c.userAgent(version()),
	}
}

// routeDeliveries records cfg's deliveries in db (one configured for the
// first time starts now) and routes new items to them from now on.
func routeDeliveries(ctx context.Context, db *store.DB, cfg *config, h *publisher.Handler, r *deliver.Router) error {
	names := make([]string, len(cfg.Deliver))
	for i, d := range cfg.Deliver {
		names[i] = d.Name
	}
	states, err := db.Deliveries(ctx, names, time.Now())
	if err != nil {
		return err
	}
	return r.Configure(cfg.deliveries(), h.Keep, states)
}

// describe says where a delivery sends, for check: a webhook's host only
// (its path often holds a token), never a bot token or an SMTP password.
func (d *deliverConfig) describe() string {
	switch d.Kind {
	case deliver.Webhook:
		if u, err := url.Parse(d.URL); err == nil {
			return "webhook → " + u.Scheme + "://" + u.Host + "/…"
		}
	case deliver.Telegram:
		return "telegram → " + d.ChatID
	case deliver.Email:
		return fmt.Sprintf("email → %s at %s via %s", strings.Join(d.To, ", "), strings.Join(d.At, ", "), canon.Redact(d.SMTP))
	}
	return d.Kind
}
