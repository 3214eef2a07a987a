package fetcher

import (
	"context"

	"github.com/mmcdole/gofeed"

	"github.com/pressfeed/pressfeed/fetcher/scrape"
	"github.com/pressfeed/pressfeed/store"
)

// Trial is what one fetch of a feed would store.
type Trial struct {
	Title  string
	Items  []TrialItem
	Counts []scrape.Count // what each selector found (sources with no feed)

	raw  []string     // the scraped items' dates as read
	feed *gofeed.Feed // a feed's document, for its dates as read
}

// TrialItem is one item a fetch would store, and its date as the source
// wrote it.
type TrialItem struct {
	store.Incoming
	DateRaw string
}

// setFeed keeps a feed's parsed document, when t is not nil.
func (t *Trial) setFeed(doc *gofeed.Feed) {
	if t != nil {
		t.feed = doc
	}
}

// Try fetches f once as the poller would, with no validators, and returns
// what it would store. It stores nothing. When a selector found nothing,
// the error wraps scrape.ErrNothing and the Trial still holds the counts.
func Try(ctx context.Context, opts Options, f Feed) (Trial, error) {
	opts.setDefaults()
	t := &Trial{}
	opts.trial = t
	res, err := fetch(ctx, &opts, f, store.FeedState{})
	if err != nil {
		return Trial{Counts: t.Counts}, err
	}
	t.Title = res.Title
	var raws []string
	if t.feed != nil {
		for _, gi := range t.feed.Items[:min(len(t.feed.Items), maxItems)] {
			if gi == nil {
				continue
			}
			raw := gi.Published
			if raw == "" {
				raw = gi.Updated
			}
			raws = append(raws, raw)
		}
	} else {
		raws = t.raw
	}
	for i, in := range res.Items {
		it := TrialItem{Incoming: in}
		if i < len(raws) {
			it.DateRaw = raws[i]
		}
		t.Items = append(t.Items, it)
	}
	return Trial{Title: t.Title, Items: t.Items, Counts: t.Counts}, nil
}
