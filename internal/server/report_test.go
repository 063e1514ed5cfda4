package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/wire"
)

func getReport(t *testing.T, addr string, q url.Values) (wire.Report, *wire.Error) {
	t.Helper()
	resp, err := http.Get("http://" + addr + wire.PathReport + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var er wire.ErrorReply
		json.NewDecoder(resp.Body).Decode(&er)
		return wire.Report{}, er.Error
	}
	var rep wire.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return rep, nil
}

// A history driven through the server with a fake clock, and its report.
// solver has COUNT 2. T is the start:
//
//	T      ann checks out solver
//	T+1h   bob checks out solver: both licenses used
//	T+90m  carl is refused (count_exhausted)
//	T+2h   ann checks in
//	T+3h   the report is asked for
func TestReportOfHistory(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Hour, Lease: 10 * time.Hour})
	start := fc.Now()
	ann, bob := newClient("ann"), newClient("bob")
	co, err := checkout(t, s.Addr, ann, "r1", "solver")
	if err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Hour)
	if _, err := checkout(t, s.Addr, bob, "r1", "solver"); err != nil {
		t.Fatal(err)
	}
	fc.Advance(30 * time.Minute)
	if _, err := checkout(t, s.Addr, newClient("carl"), "r1", "solver"); err == nil || err.Code != wire.CodeCountExhausted {
		t.Fatalf("third checkout of solver: %v", err)
	}
	fc.Advance(30 * time.Minute)
	if _, err := post(t, s.Addr, wire.PathCheckin, wire.CheckinRequest{Client: ann, CheckoutID: co.CheckoutID}, nil); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Hour)

	tests := []struct {
		name  string
		since string
		want  wire.FeatureUse
		usage []wire.UsageRow
	}{
		// 3 h: 1 used for 1 h, 2 for 1 h, 1 (bob) for 1 h: 4 license-hours,
		// average 4/3; ann held 2 h, bob 2 h.
		{"from the start", start.Format(time.RFC3339), wire.FeatureUse{Feature: "solver", Count: 2, Peak: 2, Average: 1.333, Hours: 4,
			Exhausted: []wire.Interval{{Start: start.Add(time.Hour), End: start.Add(2 * time.Hour)}}},
			[]wire.UsageRow{{Key: "ann", Hours: 2, Checkouts: 1}, {Key: "bob", Hours: 2, Checkouts: 1}}},
		// The last 90 minutes ("90m" back from the server's clock): ann and
		// bob hold one each at the start; 2 used for 30 min, 1 for 1 h: 2
		// license-hours over 1.5 h; neither granted in the period.
		{"a duration back", "90m", wire.FeatureUse{Feature: "solver", Count: 2, Peak: 2, Average: 1.333, Hours: 2,
			Exhausted: []wire.Interval{{Start: start.Add(90 * time.Minute), End: start.Add(2 * time.Hour)}}},
			[]wire.UsageRow{{Key: "bob", Hours: 1.5}, {Key: "ann", Hours: 0.5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, werr := getReport(t, s.Addr, url.Values{"since": {tt.since}, "feature": {"solver"}})
			if werr != nil {
				t.Fatal(werr)
			}
			for i := range rep.Features[0].Exhausted { // the JSON round trip leaves them in UTC
				iv := &rep.Features[0].Exhausted[i]
				iv.Start, iv.End = iv.Start.In(start.Location()), iv.End.In(start.Location())
			}
			if len(rep.Features) != 1 || !reflect.DeepEqual(rep.Features[0], tt.want) || !reflect.DeepEqual(rep.Usage, tt.usage) {
				t.Errorf("features %+v\nusage %+v\nwant %+v\n%+v", rep.Features, rep.Usage, tt.want, tt.usage)
			}
			want := []wire.DenialRow{{Feature: "solver", Code: wire.CodeCountExhausted, User: "carl", Count: 1}}
			if !reflect.DeepEqual(rep.Denials, want) || !rep.Until.Equal(fc.Now()) {
				t.Errorf("denials %+v, until %s", rep.Denials, rep.Until)
			}
		})
	}
}

func TestReportRefusesBadParameters(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Clock: clock.NewFake(epoch)})
	for _, q := range []url.Values{
		{"since": {"yesterday"}},
		{"until": {"soon"}},
		{"since": {"1h"}, "until": {"2h"}},
		{"by": {"pid"}},
	} {
		if _, err := getReport(t, s.Addr, q); err == nil || err.Code != wire.CodeBadRequest {
			t.Errorf("%v: %v, want bad_request", q, err)
		}
	}
}

// Features that expire within 30 days are warned of at start and once a
// day of the server's clock, and /metrics tells the days left.
// (23 h pass first: the reaper, every 20 ms, has time to warn too early.)
func TestExpiryWarnings(t *testing.T) {
	fc := clock.NewFake(time.Date(2030, 12, 19, 12, 0, 0, 0, time.UTC)) // cad_pro and solver end with 2030-12-31
	var log logBuffer
	s := servertest.Start(t, servertest.Options{Clock: fc, Logger: log.logger()})
	if n := log.count("level=WARN", "expires in 12 days", "feature=cad_pro"); n != 1 {
		t.Fatalf("%d warnings for cad_pro at start, want 1:\n%s", n, log.String())
	}
	if n := log.count("expires", "feature=cad_view"); n != 0 {
		t.Fatalf("a permanent feature warned of:\n%s", log.String())
	}
	fc.Advance(23 * time.Hour)
	metrics := metricsText(t, s.Addr)
	for _, want := range []string{`floatlic_feature_expiry_days{feature="cad_pro"} 11.542`, `floatlic_feature_expiry_days{feature="solver"} 11.542`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, `floatlic_feature_expiry_days{feature="cad_view"}`) {
		t.Error("metrics give a permanent feature an expiry")
	}
	fc.Advance(time.Hour)
	waitFor(t, "the daily warning", func() bool { return log.count("expires in 11 days", "feature=cad_pro") == 1 })
	// The reaper checked every 20 ms for a day of the fake clock: a
	// warning before the day was out would show here as a third.
	if n := log.count("expires in", "feature=cad_pro"); n != 2 {
		t.Fatalf("%d warnings for cad_pro after a day, want 2:\n%s", n, log.String())
	}
}

// A borrow the admin revokes is a borrow in the report, also when it was
// made before the period (the report then knows it from the remove event
// alone). ann borrows solver at T, the admin revokes it at T+1h, the
// report is asked for at T+2h.
func TestReportOfRevokedBorrow(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Hour, Lease: 10 * time.Hour})
	start := fc.Now()
	var br wire.BorrowReply
	if _, err := post(t, s.Addr, wire.PathBorrow, wire.BorrowRequest{Client: newClient("ann"), RequestID: "b1", Feature: "solver", Hours: 4}, &br); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Hour)
	if code, body := adminPost(t, s.Addr, wire.PathRemove, s.AdminToken, wire.RemoveRequest{BorrowID: br.BorrowID}); code != http.StatusOK {
		t.Fatalf("revoke: %d %s", code, body)
	}
	fc.Advance(time.Hour)
	for _, c := range []struct {
		since time.Time
		want  wire.BorrowUse
	}{
		{start, wire.BorrowUse{Feature: "solver", User: "ann", Borrows: 1, Hours: 1}},
		{start.Add(30 * time.Minute), wire.BorrowUse{Feature: "solver", User: "ann", Hours: 0.5}},
	} {
		rep, werr := getReport(t, s.Addr, url.Values{"since": {c.since.Format(time.RFC3339)}, "feature": {"solver"}})
		if werr != nil {
			t.Fatal(werr)
		}
		if !reflect.DeepEqual(rep.Borrows, []wire.BorrowUse{c.want}) || len(rep.Usage) != 0 {
			t.Errorf("since %s: borrows %+v, usage %+v; want %+v and no checkouts", c.since, rep.Borrows, rep.Usage, c.want)
		}
	}
}
