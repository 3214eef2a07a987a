package canon

import "testing"

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:secret@bao.example/rss", "https://user:xxxxx@bao.example/rss"},
		{"https://bao.example/rss?token=x", "https://bao.example/rss?token=x"},
		{"https://user@bao.example/rss", "https://user@bao.example/rss"},
		// Does not parse (a space in the host): the password is masked all the same.
		{"https://user:secret@bao example/rss", "https://user:xxxxx@bao example/rss"},
		{"smtp://user:mật khẩu@mail.example:587", "smtp://user:xxxxx@mail.example:587"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
