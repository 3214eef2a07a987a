package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pressfeed/pressfeed/store"
)

// telegramMax is the longest message text the Bot API takes, in
// characters after entities are parsed; the lead is cut to fit.
const telegramMax = 4096

// telegram sends the batch's item as one sendMessage (Bot API) with
// parse_mode HTML: the headline as a link, the lead, the outlets.
func (s *sender) telegram(ctx context.Context, b *store.Batch, items []store.Item) error {
	if err := s.servedLinks(ctx, items); err != nil {
		return err
	}
	it := items[0]
	names := make([]string, len(it.Members))
	for i, m := range it.Members {
		names[i] = m.Feed
	}
	outlets, err := s.opts.Presenter.Outlets(ctx, names)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"chat_id":    s.d.ChatID,
		"text":       telegramText(&it, outlets),
		"parse_mode": "HTML",
		// One preview card per story would crowd the channel; the headline links the story.
		"link_preview_options": map[string]bool{"is_disabled": true},
	})
	if err != nil {
		return err
	}
	api := strings.TrimRight(s.d.APIURL, "/")
	if api == "" {
		api = "https://api.telegram.org"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"/bot"+s.d.BotToken+"/sendMessage", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("telegram: bad api_url") // the URL holds the token: never print it
	}
	req.Header.Set("Content-Type", "application/json")
	err = post(s.opts.Client, req)
	if re, ok := err.(*ReceiverError); ok {
		// The Bot API says how long to wait in its JSON answer (429).
		var answer struct {
			Parameters struct {
				RetryAfter int `json:"retry_after"`
			} `json:"parameters"`
		}
		if json.Unmarshal([]byte(re.Detail), &answer) == nil && answer.Parameters.RetryAfter > 0 {
			re.RetryAfter = max(re.RetryAfter, time.Duration(answer.Parameters.RetryAfter)*time.Second)
		}
		return re
	}
	return err
}

// telegramText is the message of one story in Telegram's HTML: only <b>,
// <a href> and <i>, text escaped; the lead is cut so that the whole fits
// telegramMax characters.
func telegramText(it *store.Item, outlets []string) string {
	var head strings.Builder
	head.WriteString("<b>")
	if it.Link != "" {
		fmt.Fprintf(&head, `<a href="%s">%s</a>`, html.EscapeString(it.Link), html.EscapeString(it.Title))
	} else {
		head.WriteString(html.EscapeString(it.Title))
	}
	head.WriteString("</b>")
	tail := ""
	if len(outlets) > 0 {
		tail = "\n\n<i>" + html.EscapeString(strings.Join(outlets, ", ")) + "</i>"
	}
	// Characters Telegram counts: the text without tags, entities decoded.
	used := utf8.RuneCountInString(it.Title) + utf8.RuneCountInString(strings.Join(outlets, ", "))
	room := telegramMax - used - 8
	lead := ""
	if it.Summary != "" && room > 1 {
		lead = it.Summary
		if utf8.RuneCountInString(lead) > room {
			r := []rune(lead)
			lead = strings.TrimSpace(string(r[:room-1])) + "…"
		}
		lead = "\n\n" + html.EscapeString(lead)
	}
	return head.String() + lead + tail
}
