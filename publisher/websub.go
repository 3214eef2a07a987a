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
// (the topic); when a document's bytes change, Run tells each hub with a
// publish request, as the hubs in use (Google's, WebSubHub, Superfeedr)
// accept: POST hub.mode=publish&hub.url=TOPIC.

// maxPingAttempts bounds the retries of one publish request; the next change
// of the document sends a new one anyway.
const maxPingAttempts = 6

// Run watches the store and, when a document of an output changed, sends a
// publish request for it to every WebSub hub, retried with exponential
// backoff. It renders documents ahead of the first request after a change,
// which readers then get from the cache. It never blocks the fetcher: it only
// reads the store, and slow hubs only delay their own pings. Run returns nil
// once ctx is done and its pings have stopped; without hubs it just waits.
func (h *Handler) Run(ctx context.Context) error { return h.h.run(ctx) }

type topic struct {
	o *output
	f format
}

func (h *handler) run(ctx context.Context) error {
	if len(h.hubs) == 0 {
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	var mu sync.Mutex
	// hub + " " + topic URL → a ping is in flight; true: the document
	// changed again meanwhile, so ping once more after it.
	pending := make(map[string]bool)

	etags := make(map[topic]string) // the last document seen of each topic
	var seen uint64
	first := true
	t := time.NewTicker(h.checkEvery)
	defer t.Stop()
	for {
		if v := h.db.Version(); v != seen || first {
			seen = v
			for _, o := range h.order {
				for f := range numFormats {
					d, err := h.document(ctx, o, f)
					if err != nil {
						if ctx.Err() == nil {
							h.log.Warn("websub: render", "output", o.Name, "format", formats[f].name, "err", err)
						}
						continue
					}
					tp := topic{o, f}
					old, known := etags[tp]
					etags[tp] = d.etag
					// A (re)start records what is there: the hubs fetched it
					// when it last changed.
					if first || (known && old == d.etag) {
						continue
					}
					for _, hub := range h.hubs {
						key := hub + " " + o.selfLinks[f]
						mu.Lock()
						_, busy := pending[key]
						pending[key] = busy
						mu.Unlock()
						if busy {
							continue
						}
						wg.Go(func() {
							for {
								h.ping(ctx, hub, o.selfLinks[f])
								mu.Lock()
								again := pending[key] && ctx.Err() == nil
								if !again {
									delete(pending, key)
								} else {
									pending[key] = false
								}
								mu.Unlock()
								if !again {
									return
								}
							}
						})
					}
				}
			}
			first = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
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
