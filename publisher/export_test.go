package publisher

import (
	"fmt"

	"github.com/pressfeed/pressfeed/store"
)

// RenderItems renders items as the document ext (".rss", ".atom" or
// ".json") of the output called name, a first page, without the store: for
// the tests of package publisher_test that build items themselves.
func (h *Handler) RenderItems(name, ext string, items []store.Item, states map[string]store.FeedState) ([]byte, error) {
	o := h.h.outputs[name]
	if o == nil {
		return nil, fmt.Errorf("no output %q", name)
	}
	for f := range numFormats {
		if formats[f].ext == ext {
			return h.h.encode(o, f, items, states, page{self: h.h.baseURL + "/feeds/" + name + ext, hubs: true})
		}
	}
	return nil, fmt.Errorf("no format %q", ext)
}
