package publisher

import (
	"net/http"
	"testing"
	"time"
)

// TestPreconditions checks conditional requests on a feed against RFC 9110
// 13.2.2: If-Match before If-Unmodified-Since, If-None-Match before
// If-Modified-Since, weak comparison for If-None-Match and strong for
// If-Match, and Range ignored (the whole document, 200).
func TestPreconditions(t *testing.T) {
	h, _, _ := newFixtureHandler(t, Options{})
	first := get(h, http.MethodGet, "/feeds/all.atom")
	etag, lm := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("ETag %q, Last-Modified %q", etag, lm)
	}
	modified, err := http.ParseTime(lm)
	if err != nil {
		t.Fatal(err)
	}
	before := modified.Add(-time.Second).Format(http.TimeFormat)
	after := modified.Add(time.Hour).Format(http.TimeFormat)
	gz := get(h, http.MethodGet, "/feeds/all.atom", "Accept-Encoding", "gzip").Header().Get("ETag")
	tests := []struct {
		name   string
		header []string
		code   int
	}{
		{"none", nil, 200},
		{"If-None-Match", []string{"If-None-Match", etag}, 304},
		{"If-None-Match weak", []string{"If-None-Match", "W/" + etag}, 304},
		{"If-None-Match list", []string{"If-None-Match", `"x", ` + etag}, 304},
		{"If-None-Match star", []string{"If-None-Match", "*"}, 304},
		{"If-None-Match other", []string{"If-None-Match", `"x"`}, 200},
		{"If-None-Match gzip tag on identity", []string{"If-None-Match", gz}, 200},
		{"If-None-Match gzip", []string{"If-None-Match", gz, "Accept-Encoding", "gzip"}, 304},
		{"If-Modified-Since same", []string{"If-Modified-Since", lm}, 304},
		{"If-Modified-Since later", []string{"If-Modified-Since", after}, 304},
		{"If-Modified-Since earlier", []string{"If-Modified-Since", before}, 200},
		{"If-Modified-Since bad", []string{"If-Modified-Since", "yesterday"}, 200},
		{"If-None-Match wins over If-Modified-Since", []string{"If-None-Match", `"x"`, "If-Modified-Since", after}, 200},
		{"If-Match", []string{"If-Match", etag}, 200},
		{"If-Match star", []string{"If-Match", "*"}, 200},
		{"If-Match weak", []string{"If-Match", "W/" + etag}, 412},
		{"If-Match other", []string{"If-Match", `"x"`}, 412},
		{"If-Unmodified-Since earlier", []string{"If-Unmodified-Since", before}, 412},
		{"If-Unmodified-Since same", []string{"If-Unmodified-Since", lm}, 200},
		{"If-Match wins over If-Unmodified-Since", []string{"If-Match", etag, "If-Unmodified-Since", before}, 200},
		{"If-Match then If-None-Match", []string{"If-Match", etag, "If-None-Match", etag}, 304},
		{"Range ignored", []string{"Range", "bytes=0-9"}, 200},
		{"If-Range ignored", []string{"Range", "bytes=0-9", "If-Range", etag}, 200},
	}
	for _, tt := range tests {
		w := get(h, http.MethodGet, "/feeds/all.atom", tt.header...)
		if w.Code != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, w.Code, tt.code)
			continue
		}
		switch tt.code {
		case 200:
			if w.Body.Len() == 0 || w.Header().Get("Content-Length") == "" {
				t.Errorf("%s: %d bytes, Content-Length %q", tt.name, w.Body.Len(), w.Header().Get("Content-Length"))
			}
		case 304:
			if w.Body.Len() != 0 || w.Header().Get("Content-Type") != "" || w.Header().Get("ETag") == "" {
				t.Errorf("%s: 304 with %d bytes, header %v", tt.name, w.Body.Len(), w.Header())
			}
		}
	}
}
