package publisher

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// WebSub (W3C Recommendation, https://www.w3.org/TR/websub/): the first page
// of every document links the hubs with rel="hub" and itself with rel="self"
// (the topic); when a generation changes a document's bytes, Run tells each
// hub with a publish request, as the hubs in use (Google's, WebSubHub, Superfeedr)
// accept: POST hub.mode=publish&hub.url=TOPIC.

// maxPingAttempts bounds the retries of one publish request; the next change
// of the document sends a new one anyway.
const maxPingAttempts = 6

// pinger sends the publish requests of one Run: one goroutine per hub and
// topic with a ping in flight, owned by the pinger and waited for by wait.
type pinger struct {
	h    *handler
	last *generation // the generation last compared
	wg   sync.WaitGroup
	mu   sync.Mutex
	// hub + " " + topic URL → a ping is in flight; true: the document
	// changed again meanwhile, so ping once more after it.
	pending map[string]bool
}

func newPinger(h *handler) *pinger {
	return &pinger{h: h, pending: make(map[string]bool)}
}

// wait waits for the pings under way, which end early once their ctx is done.
func (p *pinger) wait() { p.wg.Wait() }

// notify pings every hub for each document whose bytes differ between g and
// the generation notify saw before. The first generation it sees is pinged
// in full: the store may have changed after the last ping of the process
// before (a crash, a stop between a commit and its ping), and a hub that
// already has those documents only fetches them once more.
func (p *pinger) notify(ctx context.Context, g *generation) {
	if g == nil || g == p.last {
		return
	}
	prev := p.last
	p.last = g
	if len(p.h.hubs) == 0 {
		return
	}
	for i, o := range p.h.order {
		for f := range numFormats {
			if prev == nil || g.docs[i][f].etag != prev.docs[i][f].etag {
				for _, hub := range p.h.hubs {
					p.start(ctx, hub, o.selfLinks[f])
				}
			}
		}
	}
}

// start pings hub for topicURL, or marks a ping in flight for it to go
// again once done.
func (p *pinger) start(ctx context.Context, hub, topicURL string) {
	key := hub + " " + topicURL
	p.mu.Lock()
	_, busy := p.pending[key]
	p.pending[key] = busy
	p.mu.Unlock()
	if busy {
		return
	}
	p.wg.Go(func() {
		for {
			p.h.ping(ctx, hub, topicURL)
			p.mu.Lock()
			again := p.pending[key] && ctx.Err() == nil
			if again {
				p.pending[key] = false
			} else {
				delete(p.pending, key)
			}
			p.mu.Unlock()
			if !again {
				return
			}
		}
	})
}

// ping sends one publish request for topicURL to hub, retrying on network
// errors, 429 and 5xx with exponential backoff. A hub that answers other 4xx
// refuses the topic: retrying would not help, so it is logged.
func (h *handler) ping(ctx context.Context, hub, topicURL string) {
	wait := h.retryBase
	for attempt := 1; ; attempt++ {
		retry, err := h.publish(ctx, hub, topicURL)
		if err == nil {
			h.log.Debug("websub: published", "hub", hub, "topic", topicURL)
			h.metrics.websub(true)
			return
		}
		if !retry || attempt == maxPingAttempts || ctx.Err() != nil {
			if ctx.Err() == nil {
				h.log.Warn("websub: publish failed", "hub", hub, "topic", topicURL, "attempts", attempt, "err", err)
				h.metrics.websub(false)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// publish sends one publish request; retry says whether trying again may help.
func (h *handler) publish(ctx context.Context, hub, topicURL string) (retry bool, err error) {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {topicURL}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub, strings.NewReader(form.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "pressfeed")
	resp, err := h.client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)); err != nil {
		return true, err
	}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return false, nil
	case c == http.StatusTooManyRequests || c >= 500:
		return true, fmt.Errorf("hub answered %s", resp.Status)
	default:
		return false, fmt.Errorf("hub answered %s", resp.Status)
	}
}
