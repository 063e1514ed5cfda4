package policy

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
)

var errShape = regexp.MustCompile(`^options f\.opt:[1-9][0-9]*: `)

// FuzzParse: no input panics, every error names the file and a line, and a
// parsed policy survives the JSON trip a HAL set sends it on.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"# only a comment\n\n",
		"RESERVE 1 f USER a\nMAX 2 f GROUP g\nGROUP g a b",
		"INCLUDE f HOST_GROUP h\nHOST_GROUP h x \\\n y",
		"EXCLUDE_BORROW f HOST x\nINCLUDE_BORROW f USER y\nTIMEOUT f 60",
		"MAX 99999999999999999999 f USER a",
		"GROUP \\",
		"\\\n\\\nTIMEOUT f -1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse("f.opt", []byte(text))
		if err != nil {
			if !errShape.MatchString(err.Error()) {
				t.Fatalf("error %q does not name file:line", err)
			}
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back Policy
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Rules, p.Rules) || !reflect.DeepEqual(back.Timeouts, p.Timeouts) {
			t.Fatalf("JSON changed the rules: %s", b)
		}
		s := Compile(&back)
		for _, r := range back.Rules {
			if s.Feature(r.Feature) == nil {
				t.Fatalf("rule %s not indexed", r)
			}
		}
	})
}
