package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// unknownKeys is the error for keys the file at path sets that config does
// not have: one line per key, with the line of the file that sets it and
// the known key of the same table it is a typo of, if any:
//
//	config config.toml: line 12: unknown key fetch.intervall; did you mean "fetch.interval"?
//
// A key inside an unknown table is not listed apart from its table.
func unknownKeys(path string, keys []toml.Key) error {
	var lines []string
	if b, err := os.ReadFile(path); err == nil {
		lines = strings.Split(string(b), "\n")
	}
	var errs []error
	for _, k := range keys {
		if slices.ContainsFunc(keys, func(p toml.Key) bool { return len(p) < len(k) && slices.Equal(p, k[:len(p)]) }) {
			continue // in a table already reported
		}
		where := ""
		if n := keyLine(lines, k); n > 0 {
			where = fmt.Sprintf("line %d: ", n)
		}
		msg := fmt.Sprintf("config %s: %sunknown key %s", path, where, k)
		parent, last := k[:len(k)-1], k[len(k)-1]
		if m := closest(last, knownKeys(parent)); m != "" {
			msg += fmt.Sprintf("; did you mean %q?", strings.Join(append(slices.Clone([]string(parent)), m), "."))
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}

// knownKeys returns the keys config has in the table at path (nil for
// none): the toml tags of the struct that decodes it.
func knownKeys(path []string) []string {
	t := reflect.TypeFor[config]()
	for _, seg := range path {
		f, ok := tomlField(t, seg)
		if !ok {
			return nil
		}
		t = f.Type
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
	}
	var keys []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

func tomlField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ","); name == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// tomlKeyRE matches a key (bare, quoted or dotted) before "=" at the start
// of a line, or one inside an inline table after "{" or ",".
var tomlKeyRE = regexp.MustCompile(`(?:^|[{,])\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=`)

// keyLine returns the 1-based number of the first line of lines that sets
// key (a table header, a key = value line, or a key of an inline table),
// or 0. It reads TOML line by line, which is enough for the keys of
// config.toml: it does not follow multi-line strings or arrays.
func keyLine(lines []string, key toml.Key) int {
	want := strings.Join(key, ".")
	var table []string
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			h := strings.Trim(line[:strings.IndexByte(line+"]", ']')], "[ ")
			table = splitKey(h)
			if strings.Join(table, ".") == want {
				return i + 1
			}
			continue
		}
		prefix := table
		for j, m := range tomlKeyRE.FindAllStringSubmatch(line, -1) {
			full := strings.Join(append(slices.Clone(prefix), splitKey(m[1])...), ".")
			if full == want {
				return i + 1
			}
			if j == 0 && strings.Contains(line, "{") {
				prefix = append(slices.Clone(table), splitKey(m[1])...) // the inline table's keys
			}
		}
	}
	return 0
}

// splitKey splits a dotted TOML key into its parts, unquoted.
func splitKey(s string) []string {
	var parts []string
	for _, p := range strings.Split(s, ".") {
		parts = append(parts, strings.Trim(strings.TrimSpace(p), `"'`))
	}
	return parts
}
