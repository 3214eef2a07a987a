package sanitize

import (
	"maps"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"unsafe"
)

// TestPolicyTables compares the allowlist that sanitize applies with the
// bluemonday policy the previous pipeline built (read from its unexported
// fields): the same elements, attributes and patterns, the same elements
// that need an attribute or lose their content, the same URL schemes, and
// none of the options the tidier does not mirror (styles, data attributes,
// comments, element patterns, target="_blank", sandboxing, …).
func TestPolicyTables(t *testing.T) {
	p := reflect.ValueOf(refHTMLPolicy()).Elem()
	field := func(v reflect.Value, name string) reflect.Value {
		f := v.FieldByName(name)
		if !f.IsValid() {
			t.Fatalf("bluemonday.Policy has no field %s", name)
		}
		return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	}
	patterns := func(v reflect.Value) []string { // of a []attrPolicy
		var out []string
		for i := range v.Len() {
			re := field(v.Index(i), "regexp").Interface().(*regexp.Regexp)
			if re == nil {
				out = append(out, "any")
			} else {
				out = append(out, re.String())
			}
		}
		return out
	}
	ours := func(res []*regexp.Regexp) []string {
		var out []string
		for _, re := range res {
			if re == nil {
				out = append(out, "any")
			} else {
				out = append(out, re.String())
			}
		}
		return out
	}
	keys := func(m reflect.Value) []string {
		var out []string
		for _, k := range m.MapKeys() {
			out = append(out, k.String())
		}
		slices.Sort(out)
		return out
	}

	els := field(p, "elsAndAttrs")
	if got, want := slices.Sorted(maps.Keys(policyElements)), keys(els); !slices.Equal(got, want) {
		t.Errorf("elements:\n%v\nbluemonday:\n%v", got, want)
	}
	for _, e := range keys(els) {
		attrs := els.MapIndex(reflect.ValueOf(e))
		if got, want := slices.Sorted(maps.Keys(policyElements[e])), keys(attrs); !slices.Equal(got, want) {
			t.Errorf("<%s> attributes %v, bluemonday %v", e, got, want)
		}
		for _, a := range keys(attrs) {
			if got, want := ours(policyElements[e][a]), patterns(attrs.MapIndex(reflect.ValueOf(a))); !slices.Equal(got, want) {
				t.Errorf("<%s %s> patterns %q, bluemonday %q", e, a, got, want)
			}
		}
	}
	global := field(p, "globalAttrs")
	if got, want := slices.Sorted(maps.Keys(policyGlobal)), keys(global); !slices.Equal(got, want) {
		t.Errorf("global attributes %v, bluemonday %v", got, want)
	}
	for _, a := range keys(global) {
		if got, want := ours(policyGlobal[a]), patterns(global.MapIndex(reflect.ValueOf(a))); !slices.Equal(got, want) {
			t.Errorf("global %s patterns %q, bluemonday %q", a, got, want)
		}
	}
	noAttrs := field(p, "setOfElementsAllowedWithoutAttrs")
	for _, e := range keys(els) {
		if without := noAttrs.MapIndex(reflect.ValueOf(e)).IsValid(); without == policyNeedsAttrs[e] {
			t.Errorf("<%s>: needs an attribute %v, bluemonday allows it without %v", e, policyNeedsAttrs[e], without)
		}
	}
	for e := range policyNeedsAttrs {
		if _, ok := policyElements[e]; !ok {
			t.Errorf("policyNeedsAttrs holds <%s>, which the policy drops", e)
		}
	}
	if got, want := slices.Sorted(maps.Keys(policySkipContent)), keys(field(p, "setOfElementsToSkipContent")); !slices.Equal(got, want) {
		t.Errorf("elements whose content goes %v, bluemonday %v", got, want)
	}
	if got := keys(field(p, "allowURLSchemes")); !slices.Equal(got, []string{"http", "https", "mailto"}) {
		t.Errorf("URL schemes %v", got)
	}
	for name, want := range map[string]bool{
		"requireNoFollow": true, "requireParseableURLs": true, "allowRelativeURLs": true,
		"addSpaces": false, "requireNoFollowFullyQualifiedLinks": false, "requireNoReferrer": false,
		"requireNoReferrerFullyQualifiedLinks": false, "requireCrossOriginAnonymous": false,
		"addTargetBlankToFullyQualifiedLinks": false, "allowDataAttributes": false, "allowComments": false,
		"allowUnsafe": false,
	} {
		if got := field(p, name).Bool(); got != want {
			t.Errorf("bluemonday's %s = %v, the tidier mirrors %v", name, got, want)
		}
	}
	for _, name := range []string{"elsMatchingAndAttrs", "elsAndStyles", "elsMatchingAndStyles", "globalStyles",
		"allowURLSchemeRegexps", "setOfElementsMatchingAllowedWithoutAttrs", "requireSandboxOnIFrame"} {
		if n := field(p, name).Len(); n != 0 {
			t.Errorf("bluemonday's %s has %d entries, which the tidier does not mirror", name, n)
		}
	}
	if !field(p, "srcRewriter").IsNil() {
		t.Error("bluemonday's srcRewriter is set, which the tidier does not mirror")
	}
}
