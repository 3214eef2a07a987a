package publisher

import "github.com/pressfeed/pressfeed/store"

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
