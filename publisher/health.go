package publisher

import "github.com/pressfeed/pressfeed/store"

// Health is the verdict /status.json gives a feed in the state st: "never"
// (not fetched yet), "ok", "failing" or "down". Other views of the feed
// states (the feeds command) use it so that they say the same word.
func Health(st store.FeedState) string { return health(st) }
