package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShippedConfig(t *testing.T) {
	cfg, err := loadConfig("../../config.toml")
	if err != nil {
		t.Fatalf("shipped config.toml: %v", err)
	}
	def := defaultConfig()
	if cfg.Server.Listen != def.Server.Listen || cfg.Server.BaseURL != def.Server.BaseURL || cfg.Fetch.Interval != def.Fetch.Interval || cfg.Fetch.MaxBody != def.Fetch.MaxBody ||
		cfg.Fetch.Adaptive != def.Fetch.Adaptive || cfg.Fetch.MinInterval != def.Fetch.MinInterval || cfg.Fetch.MaxInterval != def.Fetch.MaxInterval ||
		cfg.Store.Path != def.Store.Path || cfg.Dedup != def.Dedup || cfg.Log != def.Log {
		t.Errorf("shipped config.toml does not repeat the defaults:\n%+v\n%+v", cfg, def)
	}
	outlets := map[string]bool{}
	for _, f := range cfg.Feeds {
		if !strings.HasPrefix(f.URL, "https://") {
			t.Errorf("feed %s: %s is not https", f.Name, f.URL)
		}
		if len(f.Tags) == 0 {
			t.Errorf("feed %s has no tags", f.Name)
		}
		host := strings.TrimPrefix(strings.Split(strings.TrimPrefix(f.URL, "https://"), "/")[0], "www.")
		outlets[host] = true
	}
	if len(outlets) < 12 {
		t.Errorf("shipped config lists %d outlets, want at least 12", len(outlets))
	}
	if len(cfg.Outputs) < 3 || cfg.Outputs[0].Name != "all" {
		t.Errorf("shipped outputs = %+v, want all and two more", cfg.Outputs)
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const minimalFeed = "[[feeds]]\nname = \"a\"\nurl = \"https://a.example/rss\"\n"

func TestConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"unknown key", "[fetch]\nintervall = \"5m\"\n", `line 2: unknown key fetch.intervall; did you mean "fetch.interval"?`},
		{"unknown table", "# c\n[fetchh]\ninterval = \"5m\"\n", `line 2: unknown key fetchh; did you mean "fetch"?`},
		{"unknown key of a feed", minimalFeed + minimalFeed[:11] + "name = \"b\"\nurll = \"x\"\n", `line 6: unknown key feeds.urll; did you mean "feeds.url"?`},
		{"unknown inline key", minimalFeed + "format = \"html\"\nselect = { item = \"li\", titel = \"a\" }\n", `line 5: unknown key feeds.select.titel; did you mean "feeds.select.title"?`},
		{"unknown dotted key", minimalFeed + "select.lnk = \"a\"\n", `line 4: unknown key feeds.select.lnk; did you mean "feeds.select.link"?`},
		{"unknown key, no near miss", "[log]\nfile = \"x\"\n", "line 2: unknown key log.file"},
		{"unparseable url", "[[feeds]]\nname = \"a\"\nurl = \"https://reader:s3cret@bao a.example/rss\"\n",
			`feeds[0] (a).url: invalid URL "https://reader:xxxxx@bao a.example/rss": invalid character " " in host name`},
		{"unparseable hub", "[server]\nwebsub_hubs = [\"https://u:s3cret@hub.example/%zz\"]\n",
			`server.websub_hubs[0]: invalid URL "https://u:xxxxx@hub.example/%zz": invalid URL escape "%zz"`},
		{"wrong type", "[fetch]\ninterval = 15\n", "fetch.interval"},
		{"bad duration", "[fetch]\ninterval = \"soon\"\n", "not a duration"},
		{"timeout not shorter", "[fetch]\ninterval = \"30s\"\ntimeout = \"30s\"\n", "fetch.timeout (30s) must be shorter than fetch.interval (30s)"},
		{"min_interval too short", "[fetch]\nmin_interval = \"5s\"\n", "fetch.min_interval: must be at least 10s, got 5s"},
		{"min_interval over interval", "[fetch]\nmin_interval = \"20m\"\n", "fetch.min_interval (20m0s) must not be longer than fetch.interval (15m0s)"},
		{"max_interval under interval", "[fetch]\nmax_interval = \"10m\"\n", "fetch.max_interval (10m0s) must not be shorter than fetch.interval (15m0s)"},
		{"adaptive not a bool", "[fetch]\nadaptive = \"yes\"\n", "fetch.adaptive"},
		{"bad size", "[fetch]\nmax_body = \"8 parsecs\"\n", "not a size"},
		{"size too small", "[fetch]\nmax_body = 10\n", "fetch.max_body"},
		{"bad url", "[[feeds]]\nname = \"a\"\nurl = \"ftp://a.example/rss\"\n", "feeds[0] (a).url"},
		{"relative file url", "[[feeds]]\nname = \"a\"\nurl = \"file://feeds/a.xml\"\n", "feeds[0] (a).url"},
		{"duplicate feed", minimalFeed + minimalFeed, "feeds[1] (a).name: duplicate feed name"},
		{"bad feed name", "[[feeds]]\nname = \"Báo A\"\nurl = \"https://a.example/rss\"\n", "feeds[0] (Báo A).name"},
		{"output name with underscore", "[[outputs]]\nname = \"tin_moi\"\n", "outputs[0] (tin_moi).name: must match [a-z0-9-]+"},
		{"upper-case delivery name", "[[deliver]]\nname = \"Hook\"\noutput = \"all\"\nkind = \"webhook\"\nurl = \"https://h.example/x\"\n", "deliver[0] (Hook).name: must match [a-z0-9-]+"},
		{"tag with upper case", minimalFeed + "tags = [\"Thoi-su\"]\n", "feeds[0] (a).tags[0]: must match [a-z0-9-]+"},
		{"duplicate output", "[[outputs]]\nname = \"x\"\n[[outputs]]\nname = \"x\"\n", "outputs[1] (x).name: duplicate output name"},
		{"output limit", "[[outputs]]\nname = \"x\"\nlimit = 5000\n", "outputs[0] (x).limit"},
		{"output unknown feed", "[[outputs]]\nname = \"x\"\nfeeds = [\"nope\"]\n", "outputs[0] (x).feeds[0]: no feed named \"nope\""},
		{"output unknown tag", minimalFeed + "[[outputs]]\nname = \"x\"\ntags = [\"nope\"]\n", "outputs[0] (x).tags[0]: no feed has tag"},
		{"empty keyword", "[[outputs]]\nname = \"x\"\ninclude = [\" , \"]\n", "outputs[0] (x).include[0]"},
		{"timezone", "[fetch]\ntimezone = \"Asia/Saigonn\"\n", "fetch.timezone"},
		{"cidr", "[fetch]\nallow_networks = [\"10.0.0.0/33\"]\n", "fetch.allow_networks[0]"},
		{"log level", "[log]\nlevel = \"loud\"\n", "log.level"},
		{"base url", "[server]\nbase_url = \"example.com\"\n", "server.base_url"},
		{"listen", "[server]\nlisten = \"8080\"\n", "server.listen"},
		{"syntax", "[fetch]\ninterval = \"1h\"\ntimeout = = 3\n", "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.body)
			_, err := loadConfig(path)
			var ce *configError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("loadConfig = %v; want a config error containing %q", err, tt.want)
			}
			var stderr bytes.Buffer
			code := exitCode(run(context.Background(), []string{"check", "-config", path}, io.Discard, &stderr), &stderr)
			if code != exitConfig || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("check exit %d, stderr %q; want %d naming %q", code, stderr.String(), exitConfig, tt.want)
			}
			if strings.Contains(stderr.String(), "s3cret") {
				t.Errorf("check shows a password: %q", stderr.String())
			}
		})
	}
}

func TestConfigDefaultsAndSizes(t *testing.T) {
	cfg, err := loadConfig(writeFile(t, minimalFeed+"[fetch]\nmax_body = \"4MiB\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fetch.MaxBody != 4<<20 || time.Duration(cfg.Fetch.Interval) != 15*time.Minute || len(cfg.Outputs) != 1 || cfg.Outputs[0].Name != "all" {
		t.Errorf("cfg = %+v", cfg)
	}
	for in, want := range map[string]int64{"4MiB": 4 << 20, "500KB": 500e3, "1GiB": 1 << 30, "2MB": 2e6, "123": 123, "10 KiB": 10 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if ua := cfg.userAgent("1.2.3"); ua != "pressfeed/1.2.3 (+http://127.0.0.1:8080)" {
		t.Errorf("user agent = %q", ua)
	}
}

// TestConfigAdaptive: adaptive polling is on by default between 2m and 2h;
// an interval outside those default bounds (a file written before them)
// still loads; a feed's own interval pins it.
func TestConfigAdaptive(t *testing.T) {
	tests := []struct {
		name             string
		fetch            string
		adaptive         bool
		interval, lo, hi time.Duration
	}{
		{"defaults", "", true, 15 * time.Minute, 2 * time.Minute, 2 * time.Hour},
		{"set", "adaptive = false\nmin_interval = \"30s\"\nmax_interval = \"6h\"\n", false, 15 * time.Minute, 30 * time.Second, 6 * time.Hour},
		{"short interval, default bounds", "interval = \"1m\"\n", true, time.Minute, time.Minute, 2 * time.Hour},
		{"long interval, default bounds", "interval = \"3h\"\n", true, 3 * time.Hour, 2 * time.Minute, 3 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(writeFile(t, "[fetch]\n"+tt.fetch+minimalFeed+"interval = \"10m\"\n"+
				"[[feeds]]\nname = \"b\"\nurl = \"https://b.example/rss\"\n"))
			if err != nil {
				t.Fatal(err)
			}
			o := cfg.fetcherOptions(nil, "1")
			if o.Adaptive != tt.adaptive || o.Interval != tt.interval || o.MinInterval != tt.lo || o.MaxInterval != tt.hi {
				t.Errorf("options: adaptive %v, interval %s, bounds %s–%s; want %v, %s, %s–%s",
					o.Adaptive, o.Interval, o.MinInterval, o.MaxInterval, tt.adaptive, tt.interval, tt.lo, tt.hi)
			}
			if o.Feeds[0].Interval != 10*time.Minute || o.Feeds[1].Interval != 0 {
				t.Errorf("feed intervals %s, %s; want a pinned 10m and none", o.Feeds[0].Interval, o.Feeds[1].Interval)
			}
		})
	}
}

func TestStorePathUnderStateDirectory(t *testing.T) {
	cfg, err := loadConfig(writeFile(t, minimalFeed))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STATE_DIRECTORY", "/var/lib/pressfeed")
	if got := cfg.storePath(); got != "/var/lib/pressfeed/data/pressfeed.db" {
		t.Errorf("storePath = %q", got)
	}
	cfg.Store.Path = "/srv/p.db"
	if got := cfg.storePath(); got != "/srv/p.db" {
		t.Errorf("absolute storePath = %q", got)
	}
}

func TestCommandLine(t *testing.T) {
	good := writeFile(t, minimalFeed)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"version", []string{"version"}, 0, "pressfeed "},
		{"check before", []string{"-config", good, "check"}, 0, "config " + good + ": ok"},
		{"check after", []string{"check", "-config", good}, 0, "feeds:   1"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"bad flag", []string{"-nope"}, exitUsage, "flag provided but not defined"},
		{"extra args", []string{"check", "-config", good, "x"}, exitUsage, "takes no arguments"},
		{"missing file", []string{"check", "-config", filepath.Join(t.TempDir(), "none.toml")}, exitConfig, "no such file"},
		{"help", []string{"-h"}, 0, "usage: pressfeed"},
		{"command help", []string{"check", "-h"}, 0, "usage: pressfeed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code := exitCode(run(context.Background(), tt.args, &out, &out), &out)
			if code != tt.wantCode || !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("pressfeed %q: exit %d, output %q; want %d and %q", tt.args, code, out.String(), tt.wantCode, tt.wantOut)
			}
		})
	}
}

func TestFetchUnknownFeedName(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, minimalFeed+"[store]\npath = \""+filepath.Join(dir, "p.db")+"\"\n")
	err := run(context.Background(), []string{"fetch", "-config", path, "nope"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `no feed named "nope"`) {
		t.Errorf("fetch nope: %v", err)
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"interval", "adaptive", "min_interval", "max_interval", "timeout", "item", "title"}
	tests := []struct{ word, want string }{
		{"intervall", "interval"},
		{"titel", "title"}, // a swap is one edit
		{"timout", "timeout"},
		{"retries", ""}, // nothing near
		{"xyz", ""},
		{"tiem", "item"},
	}
	for _, tt := range tests {
		if got := closest(tt.word, keys); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "abc", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"thời", "thoi", 1}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
