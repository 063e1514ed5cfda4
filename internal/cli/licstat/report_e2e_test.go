package licstat

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// TestReportEndToEnd starts a real licd, uses up solver (COUNT 2), has a
// third checkout refused, and reads the report with the licstat binary in
// each of its forms.
func TestReportEndToEnd(t *testing.T) {
	bin := binaries(t)
	addr := startLicd(t, bin)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := time.Now()
	for _, user := range []string{"ann", "bob", "carl"} {
		c, err := licenses.New(licenses.Options{Servers: []string{addr}, User: user, Host: "ws-" + user, StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		_, err = c.Checkout(ctx, "solver", "")
		var le *licenses.Error
		if user == "carl" != (errors.As(err, &le) && le.Code == wire.CodeCountExhausted) {
			t.Fatalf("checkout for %s: %v", user, err)
		}
	}

	var rep wire.Report
	if err := json.Unmarshal([]byte(licstat(t, bin, "report", "--server", addr, "--since", "1h", "--json")), &rep); err != nil {
		t.Fatalf("report --json: %v", err)
	}
	var solver wire.FeatureUse
	for _, f := range rep.Features {
		if f.Feature == "solver" {
			solver = f
		}
	}
	// licd demo started less than an hour ago: the report starts at its
	// first event, with a note, and solver has been exhausted since bob's
	// checkout, to the end of the period.
	if rep.Note == "" || rep.From.Before(before.Add(-time.Minute)) || solver.Count != 2 || solver.Peak != 2 ||
		len(solver.Exhausted) != 1 || !solver.Exhausted[0].End.Equal(rep.Until) {
		t.Errorf("report: from %s, note %q, solver %+v", rep.From, rep.Note, solver)
	}
	want := []wire.DenialRow{{Feature: "solver", Code: wire.CodeCountExhausted, User: "carl", Count: 1}}
	if len(rep.Usage) != 2 || rep.Usage[0].Checkouts != 1 || !slices.Equal(rep.Denials, want) {
		t.Errorf("usage %+v, denials %+v", rep.Usage, rep.Denials)
	}

	text := licstat(t, bin, "--server", addr, "report", "--by", "host", "--feature", "solver") // --server before the command works too
	for _, re := range []string{`(?m)^Usage from \S+ to \S+ \(\S+\), feature solver$`, `(?m)^  solver\s+2\s+2\s`,
		`(?m)^USAGE BY HOST`, `(?m)^  ws-ann\s`, `(?m)^  solver\s+count_exhausted\s+carl\s+1$`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("text report does not match %s:\n%s", re, text)
		}
	}
	csv := licstat(t, bin, "report", "--server", addr, "--csv", "--feature", "solver")
	if !strings.HasPrefix(csv, "section,feature,key,code,start,end,count,peak,average,hours\nfeatures,solver,") ||
		!strings.Contains(csv, "\ndenials,solver,carl,count_exhausted,,,1,,,\n") {
		t.Errorf("csv report:\n%s", csv)
	}

	cmd := exec.Command(filepath.Join(bin, "licstat"), "report", "--server", addr, "--since", "last week")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), `"last week" is not an RFC 3339 time`) {
		t.Errorf("a bad --since: %v\n%s", err, out)
	}
}
