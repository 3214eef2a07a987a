package publisher

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pressfeed/pressfeed/store"
)

// Keep returns the rule of the output named name: whether an item belongs
// in it (its tags, feeds and keywords, as the merged feed applies them).
// It returns false when no output has that name.
func (h *Handler) Keep(name string) (func(*store.Item) bool, bool) {
	o := h.h.outputs[name]
	if o == nil {
		return nil, false
	}
	return o.keep, true
}

// JSONItems returns items as the JSON Feed 1.1 item objects the output
// named name serves, one per item, for deliveries.
func (h *Handler) JSONItems(ctx context.Context, name string, items []store.Item) ([]json.RawMessage, error) {
	o := h.h.outputs[name]
	if o == nil {
		return nil, fmt.Errorf("publisher: no output %q", name)
	}
	states, err := h.h.feedStates(ctx)
	if err != nil {
		return nil, err
	}
	feed, extras := h.h.feed(o, items, states)
	doc := h.h.json(feed, extras, page{self: o.selfLinks[formatJSON]})
	out := make([]json.RawMessage, len(doc.Items))
	for i, ji := range doc.Items {
		b, err := encodeJSON(ji)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// Outlets returns, for each feed name, the name people know it by: its
// configured title, else its own, else its name.
func (h *Handler) Outlets(ctx context.Context, names []string) ([]string, error) {
	states, err := h.h.feedStates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = h.h.outlet(n, states).title
	}
	return out, nil
}
