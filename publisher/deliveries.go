package publisher

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pressfeed/pressfeed/store"
)

// Delivery is what the publisher shows of a configured delivery.
type Delivery struct {
	Name, Output, Kind string
}

// DeliveryStatus is the state of one delivery on the status page and in
// /status.json.
type DeliveryStatus struct {
	Name      string    `json:"name"`
	Output    string    `json:"output"`
	Kind      string    `json:"kind"`
	Health    string    `json:"health"`  // ok, failing (the last attempt failed)
	Pending   int       `json:"pending"` // items not yet acknowledged, the batch in flight included
	Sent      int       `json:"sent"`    // items acknowledged since it was configured
	Failures  int       `json:"failures"`
	LastSent  time.Time `json:"last_sent,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// TopStory is a story of today carried by several outlets.
type TopStory struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Link    string   `json:"link,omitempty"`
	Outlets []string `json:"outlets"` // display names, the leader first
}

// topStories is how many stories the status page lists.
const topStories = 10

// deliveryStatus returns the state of every configured delivery.
func (h *handler) deliveryStatus(ctx context.Context) ([]DeliveryStatus, error) {
	if len(h.deliveries) == 0 {
		return []DeliveryStatus{}, nil
	}
	states, err := h.db.DeliveryStates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]DeliveryStatus, 0, len(h.deliveries))
	for _, d := range h.deliveries {
		st := states[d.Name]
		ds := DeliveryStatus{Name: d.Name, Output: d.Output, Kind: d.Kind, Health: "ok", Pending: st.Pending,
			Sent: st.Sent, Failures: st.Failures, LastSent: st.LastSent, LastError: xmlText(st.LastError)}
		if st.Batch != nil {
			ds.Pending += len(st.Batch.Items)
		}
		if st.Failures > 0 {
			ds.Health = "failing"
		}
		out = append(out, ds)
	}
	return out, nil
}

// noteTop keeps it among the top stories of today when two or more
// outlets carried it.
func (s *dayStats) noteTop(h *handler, it *store.Item) {
	if len(it.Members) < 2 {
		return
	}
	if len(s.top) == topStories && len(s.top[topStories-1].Outlets) >= len(it.Members) {
		return
	}
	ts := TopStory{ID: it.ID, Title: xmlText(it.Title), Link: xmlText(it.Link)}
	for _, m := range it.Members {
		title := h.feedTitle(m.Feed)
		if !slices.Contains(ts.Outlets, title) {
			ts.Outlets = append(ts.Outlets, title)
		}
	}
	i, _ := slices.BinarySearchFunc(s.top, len(ts.Outlets), func(t TopStory, n int) int { return n - len(t.Outlets) })
	for i < len(s.top) && len(s.top[i].Outlets) == len(ts.Outlets) {
		i++ // equal counts keep the walk's order: newest first
	}
	s.top = slices.Insert(s.top, i, ts)
	if len(s.top) > topStories {
		s.top = s.top[:topStories]
	}
}

// feedTitle is the configured title of a feed, else its name.
func (h *handler) feedTitle(name string) string {
	if f := h.feeds[name]; f != nil && f.Title != "" {
		return f.Title
	}
	return name
}

var (
	descDeliveryPending = prometheus.NewDesc("pressfeed_delivery_pending_items",
		"Items not yet acknowledged by the delivery's receiver.", []string{"delivery"}, nil)
	descDeliverySent = prometheus.NewDesc("pressfeed_delivery_sent_items_total",
		"Items the delivery's receiver acknowledged since the delivery was configured.", []string{"delivery"}, nil)
	descDeliveryFailures = prometheus.NewDesc("pressfeed_delivery_consecutive_failures",
		"Failed attempts in a row at the delivery's current batch.", []string{"delivery"}, nil)
)

// deliveryCollector reports the deliveries when scraped.
type deliveryCollector struct{ h *handler }

func (c *deliveryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDeliveryPending
	ch <- descDeliverySent
	ch <- descDeliveryFailures
}

func (c *deliveryCollector) Collect(ch chan<- prometheus.Metric) {
	ds, err := c.h.deliveryStatus(context.Background())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descDeliveryPending, err)
		return
	}
	for _, d := range ds {
		ch <- prometheus.MustNewConstMetric(descDeliveryPending, prometheus.GaugeValue, float64(d.Pending), d.Name)
		ch <- prometheus.MustNewConstMetric(descDeliverySent, prometheus.CounterValue, float64(d.Sent), d.Name)
		ch <- prometheus.MustNewConstMetric(descDeliveryFailures, prometheus.GaugeValue, float64(d.Failures), d.Name)
	}
}
