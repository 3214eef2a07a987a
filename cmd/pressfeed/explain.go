package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pressfeed/pressfeed/internal/canon"
	"github.com/pressfeed/pressfeed/store"
	"github.com/pressfeed/pressfeed/vntext"
)

// runExplain implements `pressfeed explain ID-or-URL`: the item, the
// outlets that carried it and the key that merged each one. While the
// daemon runs it reads a copy the daemon sends (see backup.go).
func runExplain(ctx context.Context, inv *invocation) (err error) {
	if err := inv.wantArgs(1, 1); err != nil {
		return err
	}
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	logger := inv.logger(cfg)
	opts := cfg.storeOptions(logger)
	opts.LockTimeout = 300 * time.Millisecond
	db, err := openExisting(cfg, opts)
	if errors.Is(err, store.ErrLocked) {
		dir, derr := os.MkdirTemp("", "pressfeed-explain-")
		if derr != nil {
			return derr
		}
		defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
		cp := filepath.Join(dir, "copy.db")
		if werr := writeFileAtomic(cp, func(w io.Writer) error {
			_, err := copyFromDaemon(ctx, cfg, w)
			return err
		}, nil); werr != nil {
			return werr
		}
		db, err = store.Open(cp, opts)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()

	ref := strings.TrimSpace(inv.args[0])
	it, err := db.Find(ctx, ref) // by id, or by a link in any form with the same canon.Link key
	if err != nil {
		return err
	}
	if it == nil {
		return fmt.Errorf("explain: no stored item has the id or link %q", ref)
	}
	keys, _, err := db.Keys(ctx, it.ID) // the SimHash is no longer what merges copies
	if err != nil {
		return err
	}
	return writeExplain(inv.stdout, it, keys)
}

func writeExplain(w io.Writer, it *store.Item, keys []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	line("id", it.ID)
	line("title", it.Title)
	line("link", canon.Strip(it.Link))
	line("published", ts(it.Published))
	line("first seen", ts(it.Seen))
	line("updated", ts(it.Updated))
	line("leader", it.Leader())
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nmembers (%d; the first leads, as published first):\n", len(it.Members))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tfeed\tmerged by\tpublished\tseen\theadline\tlink")
	for i, m := range it.Members {
		by := m.By
		switch m.By {
		case store.MergedFirst:
			by = "first (minted the id)"
		case store.MergedLink:
			by = "same link"
		case store.MergedTitle:
			by = "same title"
		case store.MergedNear:
			by = fmt.Sprintf("near duplicate (similarity %.2f, at least %.2f)", m.Similarity, vntext.NearThreshold)
			if m.Similarity == 0 { // merged by an earlier version, by SimHash distance
				by = fmt.Sprintf("near duplicate (distance %d of ≤ %d)", m.Distance, vntext.NearDistance)
			}
		}
		published := ts(m.Published)
		switch {
		case m.Undated:
			published += " (no date: fetched)"
		case published == "" && i == 0:
			published = ts(it.Published) // stored before members kept their dates
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, m.Feed, by, published, ts(m.Seen), m.Title, canon.Strip(m.Link))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(keys) > 0 {
		fmt.Fprintf(w, "\ndedup keys (%d):\n", len(keys))
		for _, k := range keys {
			fmt.Fprintf(w, "  %s\n", k)
		}
	}
	return nil
}
