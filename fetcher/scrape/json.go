package scrape

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// extractJSON reads a JSON API's answer: Item is a GJSON path to the array
// of items, the other selectors paths inside one item. A summary is taken
// as HTML, as APIs send it; a numeric date is Unix time in seconds, or in
// milliseconds when it is too large for seconds.
func extractJSON(src Source, body []byte, base *url.URL, now time.Time) (Doc, error) {
	if !gjson.ValidBytes(body) {
		return Doc{}, fmt.Errorf("%w: not valid JSON", ErrFormat)
	}
	sel := src.Select
	arr := gjson.GetBytes(body, sel.Item)
	var elems []gjson.Result
	if arr.IsArray() {
		arr.ForEach(func(_, v gjson.Result) bool {
			elems = append(elems, v)
			return len(elems) < MaxItems
		})
	}
	doc := Doc{Counts: []Count{{Key: "select.item", Found: len(elems)}}}
	paths := []string{sel.Title, sel.Link, sel.Summary, sel.Date, sel.Image}
	for i, f := range sel.fields()[1:] {
		if paths[i] != "" {
			doc.Counts = append(doc.Counts, Count{Key: "select." + f.key, In: len(elems)})
		}
	}
	for _, e := range elems {
		var vals [5]gjson.Result
		k := 1
		for i, p := range paths {
			if p == "" {
				continue
			}
			vals[i] = e.Get(p)
			if vals[i].Exists() && vals[i].String() != "" {
				doc.Counts[k].Found++
			}
			k++
		}
		it := Item{
			Title:       collapse(vals[0].String()),
			Link:        resolve(base, vals[1].String()),
			Summary:     strings.TrimSpace(capField(vals[2].String())),
			SummaryHTML: true,
			Image:       resolve(base, vals[4].String()),
		}
		it.DateRaw, it.Date = jsonDate(vals[3], sel.DateFormat, src.Location, now)
		if it.Title == "" && it.Link == "" {
			continue
		}
		doc.Items = append(doc.Items, it)
	}
	return doc, nothing(doc.Counts)
}

// jsonDate reads a date field: a string as an HTML page's, a number as
// Unix time.
func jsonDate(v gjson.Result, layout string, loc *time.Location, now time.Time) (string, time.Time) {
	if v.Type != gjson.Number {
		raw := collapse(v.String())
		return raw, readDate(raw, layout, loc, now)
	}
	n := v.Int()
	if n > 1e11 { // milliseconds: 1e11 seconds is the year 5138
		n /= 1000
	}
	t := time.Unix(n, 0).UTC()
	if y := t.Year(); y < 1970 || y > 9999 {
		return v.Raw, time.Time{}
	}
	return v.Raw, t
}

// capField cuts s to maxField bytes at a character boundary.
func capField(s string) string {
	if len(s) > maxField {
		return strings.ToValidUTF8(s[:maxField], "")
	}
	return s
}

// checkJSONPath reports whether p is a GJSON path worth trying: not empty,
// with balanced brackets and a closed query.
func checkJSONPath(p string) error {
	depth := 0
	for _, c := range p {
		switch c {
		case '[', '(', '{':
			depth++
		case ']', ')', '}':
			depth--
		}
		if depth < 0 {
			break
		}
	}
	if strings.TrimSpace(p) == "" || depth != 0 {
		return fmt.Errorf("%w: GJSON path %s", ErrSelector, strconv.Quote(p))
	}
	return nil
}
