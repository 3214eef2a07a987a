package store

import "context"

// Runner runs f on behalf of ctx and waits for it, or returns the
// context's cause without running f when ctx ends first. It is how the
// daemon applies its CPU policy (package cpu) to the work of the store,
// the fetcher and the publisher, which themselves know nothing of it. The
// nil Runner runs f on the calling goroutine.
type Runner func(ctx context.Context, f func()) error

// Run runs f with r, or directly when r is nil.
func (r Runner) Run(ctx context.Context, f func()) error {
	if r != nil {
		return r(ctx, f)
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	f()
	return nil
}
