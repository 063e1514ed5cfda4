package server

import (
	"net/http"
	"time"

	"github.com/floatlic/floatlic/internal/report"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/wire"
)

// defaultReportSpan is the period of a report without since.
const defaultReportSpan = 24 * time.Hour

// reportHandler serves GET /v1/report?since=&until=&feature=&by=: the usage
// report of package report over the audit trail. since and until are RFC
// 3339 times, dates or durations back from the server's clock (default:
// the last 24 hours); by is user (default), host or feature. The server
// computes it, so licstat and the web page only print it.
func (s *Server) reportHandler() http.Handler {
	pm := s.metrics.path(wire.PathReport)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rep, werr := s.Report(r.URL.Query().Get("since"), r.URL.Query().Get("until"),
			r.URL.Query().Get("feature"), r.URL.Query().Get("by"))
		pm.observe(s.writeReply(w, rep, werr), time.Since(start))
	})
}

// Report computes the usage report for the query's parameters.
func (s *Server) Report(since, until, feature, by string) (*wire.Report, *wire.Error) {
	now := s.clock.Now()
	in := report.Input{Since: now.Add(-defaultReportSpan), Until: now, Feature: feature, By: by}
	var err error
	if since != "" {
		if in.Since, err = report.ParseTime(since, now); err != nil {
			return nil, badRequest("since: %v", err)
		}
	}
	if until != "" {
		if in.Until, err = report.ParseTime(until, now); err != nil {
			return nil, badRequest("until: %v", err)
		}
	}
	switch {
	case in.Until.Before(in.Since):
		return nil, badRequest("until %s is before since %s", in.Until.Format(time.RFC3339), in.Since.Format(time.RFC3339))
	case by != "" && by != wire.ByUser && by != wire.ByHost && by != wire.ByFeature:
		return nil, badRequest("by %q is not user, host or feature", by)
	}
	d, err := s.store.ReportData(in.Since)
	if err != nil {
		return nil, wire.Errorf(wire.CodeUnavailable, "%v", err)
	}
	for _, f := range s.engine.Features() {
		in.Features = append(in.Features, report.Feature{Name: f.Name, Count: f.Count})
	}
	in.Held, in.Events, in.Oldest = holdings(d.Held), d.Events, d.Oldest
	rep := report.Compute(in)
	rep.Instance = s.instance
	return &rep, nil
}

func holdings(held []store.Held) []report.Holding {
	out := make([]report.Holding, len(held))
	for i, h := range held {
		out[i] = report.Holding{ID: h.ID, Feature: h.Feature, User: h.User, Host: h.Host, Count: h.Count, Borrow: h.Borrow}
	}
	return out
}
