package publisher

import "net/http"

// WithHeaders returns a handler that sets the headers every publisher
// response carries, X-Content-Type-Options: nosniff and a
// Content-Security-Policy that forbids everything, before next runs; next
// may replace the policy (the status page allows its inline styles).
//
// A Handler sets them on what it answers. Wrap with WithHeaders any mux put
// in front of a Handler: an http.ServeMux answers path-cleaning redirects
// (GET //feeds/all.rss), 404s and 405s itself, with an HTML body for the
// redirects, before the Handler sees the request.
func WithHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["X-Content-Type-Options"] = hdrNosniff
		hd["Content-Security-Policy"] = hdrCSPDocument
		next.ServeHTTP(w, r)
	})
}
