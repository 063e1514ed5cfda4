package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The history in testdata/history.json, on 2026-12-01 (UTC). cad has COUNT
// 2, sim COUNT 1.
//
//	08:00 start            08:30 grant cad ann c1    08:45 grant cad bob c2
//	09:30 release bob c2   10:00 grant cad carl c3   10:05, 10:10 deny cad dave
//	10:20 deny cad bob     11:00 expire carl c3      11:00 borrow sim ann b1
//	11:30 deny sim bob     12:00 grace cad eve       12:30 return sim ann b1
//	12:30 grant sim bob c4 13:30 release cad ann c1  13:40 grant cad fay c5
//
// Read at 13:45: c4 (sim, bob) and c5 (cad, fay) are held.
func history(t *testing.T) Input {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	var evs []wire.Event
	if err := json.Unmarshal(b, &evs); err != nil {
		t.Fatal(err)
	}
	return Input{
		Features: []Feature{{"cad", 2}, {"sim", 1}},
		Held: []Holding{
			{ID: "c4", Feature: "sim", User: "bob", Host: "ws2", Count: 1},
			{ID: "c5", Feature: "cad", User: "fay", Host: "ws6", Count: 1},
		},
		Events: evs,
		Oldest: evs[0].Time,
	}
}

func at(hhmm string) time.Time {
	t, err := time.Parse(time.RFC3339, "2026-12-01T"+hhmm+":00Z")
	if err != nil {
		panic(err)
	}
	return t
}

func iv(from, to string) wire.Interval { return wire.Interval{Start: at(from), End: at(to)} }

func TestCompute(t *testing.T) {
	tests := []struct {
		name    string
		since   string
		feature string
		by      string
		want    wire.Report
	}{
		// 09:00 to 13:00 (4 h). Undoing from what is held at 13:45 gives
		// c1 (ann) and c2 (bob) held at 09:00, both granted before it.
		// cad: 2 used 09:00-09:30, 1 to 10:00, 2 to 11:00 (carl), 1 to 13:00
		//   (ann holds c1 to 13:30): 1 + 0.5 + 2 + 2 = 5.5 license-hours,
		//   average 5.5 / 4 = 1.375, peak 2, exhausted 09:00-09:30 and 10:00-11:00.
		// sim: 0 to 11:00, then ann's borrow to 12:30, then bob's c4 from
		//   12:30 at the same instant: 1.5 + 0.5 = 2 hours, average 0.5, one
		//   exhausted interval 11:00-13:00 (never a free license between).
		// Users, checkouts only: ann c1 09:00-13:00 = 4 h, none granted in
		//   the period; bob c2 0.5 h + c4 0.5 h = 1 h, c4 granted; carl c3 1 h.
		//   fay's grant is after 13:00. Ties in hours go by name.
		{"period", "09:00", "", "", wire.Report{By: "user",
			Features: []wire.FeatureUse{
				{Feature: "cad", Count: 2, Peak: 2, Average: 1.375, Hours: 5.5, Exhausted: []wire.Interval{iv("09:00", "09:30"), iv("10:00", "11:00")}},
				{Feature: "sim", Count: 1, Peak: 1, Average: 0.5, Hours: 2, Exhausted: []wire.Interval{iv("11:00", "13:00")}},
			},
			Usage: []wire.UsageRow{{Key: "ann", Hours: 4}, {Key: "bob", Hours: 1, Checkouts: 1}, {Key: "carl", Hours: 1, Checkouts: 1}},
			Denials: []wire.DenialRow{{Feature: "cad", Code: "count_exhausted", User: "bob", Count: 1},
				{Feature: "cad", Code: "count_exhausted", User: "dave", Count: 2}, {Feature: "sim", Code: "count_exhausted", User: "bob", Count: 1}},
			Borrows: []wire.BorrowUse{{Feature: "sim", User: "ann", Borrows: 1, Hours: 1.5}},
			Graces:  []wire.GraceUse{{Feature: "cad", User: "eve", Reports: 1}},
		}},
		// By host: ws1 is ann's 4 h, ws2 bob's 1 h, ws3 carl's 1 h.
		{"by host", "09:00", "", "host", wire.Report{By: "host",
			Usage: []wire.UsageRow{{Key: "ws1", Hours: 4}, {Key: "ws2", Hours: 1, Checkouts: 1}, {Key: "ws3", Hours: 1, Checkouts: 1}}}},
		// By feature: cad 4 + 0.5 + 1 = 5.5 h (carl's grant in the period),
		// sim 0.5 h (bob's c4); the borrow is not a checkout.
		{"by feature", "09:00", "", "feature", wire.Report{By: "feature",
			Usage: []wire.UsageRow{{Key: "cad", Hours: 5.5, Checkouts: 1}, {Key: "sim", Hours: 0.5, Checkouts: 1}}}},
		// sim alone: what the first case says of sim, and nothing of cad.
		{"one feature", "09:00", "sim", "", wire.Report{By: "user", Feature: "sim",
			Features: []wire.FeatureUse{{Feature: "sim", Count: 1, Peak: 1, Average: 0.5, Hours: 2, Exhausted: []wire.Interval{iv("11:00", "13:00")}}},
			Usage:    []wire.UsageRow{{Key: "bob", Hours: 0.5, Checkouts: 1}},
			Denials:  []wire.DenialRow{{Feature: "sim", Code: "count_exhausted", User: "bob", Count: 1}},
			Borrows:  []wire.BorrowUse{{Feature: "sim", User: "ann", Borrows: 1, Hours: 1.5}},
			Graces:   []wire.GraceUse{},
		}},
		// Since 07:00, before the trail's first event (08:00): the report
		// starts at 08:00, 5 h. cad: 0 to 08:30, 1 to 08:45, 2 to 09:30, then
		// as above: 0.25 + 1.5 + 0.5 + 2 + 2 = 6.25 h, average 1.25,
		// exhausted 08:45-09:30 and 10:00-11:00.
		{"before the trail", "07:00", "cad", "", wire.Report{By: "user", Feature: "cad",
			Features: []wire.FeatureUse{{Feature: "cad", Count: 2, Peak: 2, Average: 1.25, Hours: 6.25, Exhausted: []wire.Interval{iv("08:45", "09:30"), iv("10:00", "11:00")}}},
			Usage:    []wire.UsageRow{{Key: "ann", Hours: 4.5, Checkouts: 1}, {Key: "carl", Hours: 1, Checkouts: 1}, {Key: "bob", Hours: 0.75, Checkouts: 1}},
			Denials:  []wire.DenialRow{{Feature: "cad", Code: "count_exhausted", User: "bob", Count: 1}, {Feature: "cad", Code: "count_exhausted", User: "dave", Count: 2}},
			Borrows:  []wire.BorrowUse{},
			Graces:   []wire.GraceUse{{Feature: "cad", User: "eve", Reports: 1}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := history(t)
			in.Since, in.Until, in.Feature, in.By = at(tt.since), at("13:00"), tt.feature, tt.by
			got := Compute(in)
			want := tt.want
			want.Since, want.From, want.Until = in.Since, in.Since, in.Until
			if in.Oldest.After(in.Since) {
				want.From = in.Oldest
			}
			want.Note = got.Note
			if want.Features == nil { // the grouping cases check the usage rows only
				want.Features, want.Denials, want.Borrows, want.Graces = got.Features, got.Denials, got.Borrows, got.Graces
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
			if (got.Note != "") != in.Oldest.After(in.Since) {
				t.Errorf("note %q, with the trail starting at %s and the period at %s", got.Note, in.Oldest, in.Since)
			}
		})
	}
}

// TestPrunedTrail: the events before 09:30 were pruned, so c1 (granted at
// 08:30, released at 13:30) has no grant in the trail; undoing its release
// still finds it held when the report starts, at 09:30. cad from 09:30:
// 1 (ann; bob's c2 is released at that instant) to 10:00, 2 to 11:00, 1 to
// 13:00: 0.5 + 2 + 2 = 4.5 h over 3.5 h.
func TestPrunedTrail(t *testing.T) {
	in := history(t)
	in.Events = in.Events[3:]
	in.Oldest = in.Events[0].Time
	in.Since, in.Until, in.Feature = at("09:00"), at("13:00"), "cad"
	got := Compute(in)
	f := got.Features[0]
	if !got.From.Equal(at("09:30")) || f.Hours != 4.5 || f.Average != round3(4.5/3.5) || f.Peak != 2 ||
		!reflect.DeepEqual(f.Exhausted, []wire.Interval{iv("10:00", "11:00")}) || got.Note == "" {
		t.Errorf("from %s, note %q, cad %+v", got.From, got.Note, f)
	}
}

func TestParseTime(t *testing.T) {
	now := at("12:00")
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-12-01T09:00:00Z", at("09:00"), true},
		{"2026-12-01T10:00:00+01:00", at("09:00"), true},
		{"2026-12-01", at("00:00"), true},
		{"90m", at("10:30"), true},
		{"1d", at("12:00").Add(-24 * time.Hour), true},
		{"-3h", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	} {
		got, err := ParseTime(c.in, now)
		if (err == nil) != c.ok || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %s, %v", c.in, got, err)
		}
	}
}

// TestOutput checks the text, JSON and CSV forms of the first case of
// TestCompute against testdata/output.{txt,json,csv}.
func TestOutput(t *testing.T) {
	in := history(t)
	in.Since, in.Until = at("09:00"), at("13:00")
	rep := Compute(in)
	rep.Instance = "1f2e"
	for _, c := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"output.txt", func(b *bytes.Buffer) error { return WriteText(b, &rep, time.UTC) }},
		{"output.json", func(b *bytes.Buffer) error { return WriteJSON(b, &rep) }},
		{"output.csv", func(b *bytes.Buffer) error { return WriteCSV(b, &rep, time.UTC) }},
	} {
		t.Run(c.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, c.file, b.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to rewrite it):\n%s", path, got)
	}
}

// An options file's TIMEOUT releases a checkout as a checkin does: zed
// holds cad from before the period (08:00) to the timeout at 10:00.
func TestTimeoutReleases(t *testing.T) {
	in := Input{Since: at("09:00"), Until: at("11:00"), Features: []Feature{{"cad", 2}}, Oldest: at("08:00"),
		Events: []wire.Event{
			{Seq: 1, Time: at("08:00"), Kind: wire.EventGrant, Feature: "cad", User: "zed", Checkout: "c9", Count: 1},
			{Seq: 2, Time: at("10:00"), Kind: wire.EventTimeout, Feature: "cad", User: "zed", Checkout: "c9", Count: 1},
		}}
	got := Compute(in)
	if f := got.Features[0]; f.Hours != 1 || f.Average != 0.5 || !reflect.DeepEqual(got.Usage, []wire.UsageRow{{Key: "zed", Hours: 1}}) {
		t.Errorf("cad %+v, usage %+v", f, got.Usage)
	}
}
