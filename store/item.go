package store

import (
	"strings"
	"time"
)

// IDPrefix starts every item id. The rest of the id is opaque.
const IDPrefix = "urn:pressfeed:item:"

// Item is one story as stored and published. Text fields are UTF-8 NFC and
// hold only characters that XML 1.0 allows; Link is absolute http(s) or "".
type Item struct {
	ID        string    `json:"id"`                // IDPrefix + opaque; minted once, never changed
	Title     string    `json:"title"`             // plain text
	Link      string    `json:"link,omitempty"`    // the leader's link, without tracking parameters
	Summary   string    `json:"summary,omitempty"` // plain text
	Content   string    `json:"content,omitempty"` // sanitised, well-formed HTML
	Author    string    `json:"author,omitempty"`  // a name, plain text
	Published time.Time `json:"published"`         // the leader's; never after Seen + 10 minutes
	Updated   time.Time `json:"updated,omitzero"`  // last change after first stored: a correction, an outlet joining, a new leader
	Seen      time.Time `json:"seen"`              // first seen; retention counts from here
	Members   []Member  `json:"members"`           // outlets that carried it; Members[0] leads (see Add)
}

// Member is one outlet's copy of a story.
type Member struct {
	Feed  string    `json:"feed"`           // config name of the feed
	Link  string    `json:"link,omitempty"` // that outlet's link
	Title string    `json:"title"`          // that outlet's headline
	By    string    `json:"by"`             // the key that merged it: MergedFirst, MergedLink, MergedTitle, MergedNear
	Seen  time.Time `json:"seen"`
	// Similarity is vntext.Similarity of this copy's headline and lead and
	// the item's when By is MergedNear: the share of the shorter lead's
	// words the other holds, from vntext.NearThreshold to 1.
	Similarity float64 `json:"similarity,omitempty"`
	// Distance is the Hamming distance between the SimHashes of this copy
	// and the item, for members that earlier versions merged as near
	// duplicates (Similarity 0).
	Distance int `json:"distance,omitempty"`
	// Published is this outlet's date of its copy: the fetch time when it
	// gave none (Undated). Zero in records written before members kept
	// it; the leader's is then the item's Published.
	Published time.Time `json:"published,omitzero"`
	Undated   bool      `json:"undated,omitempty"`
	// Lead is the start of this outlet's summary (plain text, at most
	// MaxLead bytes), which keywords match too. Members[0] keeps none: its
	// summary is the item's. Empty in records written before members kept
	// it.
	Lead string `json:"lead,omitempty"`
}

// MaxLead bounds Member.Lead, in bytes: about the first 60 words of a
// Vietnamese lead, which is where outlets word a wire story their own way.
const MaxLead = 400

// How a member joined its item.
const (
	MergedFirst = "first" // the leader: the item was minted for it
	MergedLink  = "link"  // same canonical link as the item
	MergedTitle = "title" // same normalised title within the title window
	MergedNear  = "near"  // a lightly edited copy within the title window (Options.NearDuplicates)
)

// Leader returns the feed name of the member that leads the item.
func (it *Item) Leader() string {
	if len(it.Members) == 0 {
		return ""
	}
	return it.Members[0].Feed
}

// SearchTexts appends to dst the texts keywords match against: the item's
// title and summary (the leader's), then each other outlet's headline and
// lead, leaving out empty ones and those equal to the item's.
func (it *Item) SearchTexts(dst []string) []string {
	dst = append(dst, it.Title, it.Summary)
	for i := range it.Members {
		if i == 0 {
			continue // its headline and lead are the item's
		}
		m := &it.Members[i]
		if m.Title != "" && m.Title != it.Title {
			dst = append(dst, m.Title)
		}
		if m.Lead != "" && !strings.HasPrefix(it.Summary, m.Lead) {
			dst = append(dst, m.Lead)
		}
	}
	return dst
}

// HasFeed reports whether feed carried the item.
func (it *Item) HasFeed(feed string) bool {
	for _, m := range it.Members {
		if m.Feed == feed {
			return true
		}
	}
	return false
}

// Incoming is one item of a fetched document with the keys that identify it.
// The fetcher fills it; Add decides whether it is new, a copy of a known
// story, or a correction.
type Incoming struct {
	Item            // ID, Seen and Members are set by Add
	GUID     string // the source's own id, scoped to its feed; "" when absent
	LinkKey  string // canonical link; "" when absent
	HashKey  string // hash of normalised title and content
	TitleKey string // normalised title; "" when too short to merge on
	Dated    bool   // the source gave a date (else Published is the fetch time)
	// SimHash is not read. Deprecated: near duplicates are found by
	// vntext.Sketch, which Add computes; the field stays so that the
	// fetcher's golden files keep their form.
	SimHash uint64
}

// FeedState is what pressfeed remembers about one feed between fetches.
type FeedState struct {
	Title        string    `json:"title,omitempty"`         // the feed's own title
	ETag         string    `json:"etag,omitempty"`          // validator of the last 200
	LastModified string    `json:"last_modified,omitempty"` // validator of the last 200
	BodyHash     string    `json:"body_hash,omitempty"`     // xxHash64 and length of the last body parsed
	NextPoll     time.Time `json:"next_poll,omitzero"`
	LastFetch    time.Time `json:"last_fetch,omitzero"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
	LastNew      time.Time `json:"last_new,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	ErrorClass   string    `json:"error_class,omitempty"`
	Failures     int       `json:"failures,omitempty"` // consecutive
	Items        int       `json:"items,omitempty"`    // items first stored from this feed

	MovedFrom  string        `json:"moved_from,omitempty"` // the configured URL that answered 301/308
	MovedTo    string        `json:"moved_to,omitempty"`   // where it moved; polled instead while the config says MovedFrom
	Gone       bool          `json:"gone,omitempty"`       // answered 410 Gone: polled once a day
	ErrorSince time.Time     `json:"error_since,omitzero"` // first failure of the current run of failures
	NotBefore  time.Time     `json:"not_before,omitzero"`  // Retry-After: the site is not asked again before this
	TTL        time.Duration `json:"ttl,omitempty"`        // the feed's own <ttl>, kept for unchanged bodies

	// Adaptive polling (fetch.adaptive): what the scheduler learnt of when
	// the feed publishes, and the delay it chose last with its reason.
	Rhythm       []byte        `json:"rhythm,omitempty"`        // opaque to the store (fetcher.Rhythm, 377 bytes)
	PollInterval time.Duration `json:"poll_interval,omitempty"` // the delay to NextPoll when it was chosen
	PollReason   string        `json:"poll_reason,omitempty"`   // why: "learnt: busy hour", "pinned", "backoff" …

	// Parsing is set, to when it started, while a fetched body of the feed
	// is decoded, parsed and stored (DB.MarkParsing, kept beside the file;
	// earlier versions stored it in the state), and cleared by the state
	// written after. Found set at start, it names a feed that was being
	// processed when the process stopped (a crash, the OOM killer), which
	// is then set aside rather than fetched at once.
	Parsing time.Time `json:"parsing,omitzero"`
}
