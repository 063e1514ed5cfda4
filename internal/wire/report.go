package wire

import "time"

// PathReport is the usage report: GET /v1/report?since=&until=&feature=&by=.
const PathReport = "/v1/report"

// Groupings of a report's usage rows (the by parameter).
const (
	ByUser    = "user"
	ByHost    = "host"
	ByFeature = "feature"
)

// Report is the use of the served licenses over a period, computed from the
// audit trail (`licstat report`). Hours are license-hours: a checkout of
// two licenses held for an hour counts two.
type Report struct {
	Instance string `json:"instance"`
	// Since and Until are the period asked for; From is where the report
	// starts: Since, or the oldest event still stored when the trail was
	// pruned (or the server started) after Since. Nothing before From is
	// known, so averages are over From to Until.
	Since   time.Time `json:"since"`
	From    time.Time `json:"from"`
	Until   time.Time `json:"until"`
	Feature string    `json:"feature,omitempty"` // the feature asked for; empty: all
	By      string    `json:"by"`                // user, host or feature
	// Note says why From is not Since, when it is not.
	Note     string       `json:"note,omitempty"`
	Features []FeatureUse `json:"features"`
	Usage    []UsageRow   `json:"usage"`
	Denials  []DenialRow  `json:"denials"`
	Borrows  []BorrowUse  `json:"borrows"`
	Graces   []GraceUse   `json:"graces"`
}

// FeatureUse is one feature's use over the period. Used is licenses out of
// the pool: checked out plus borrowed.
type FeatureUse struct {
	Feature string `json:"feature"`
	Count   int    `json:"count"` // COUNT as served now; 0 for a feature no longer served
	Peak    int    `json:"peak"`  // most licenses used at once
	// Average is the time-weighted mean of licenses used.
	Average float64 `json:"average"`
	Hours   float64 `json:"hours"` // license-hours used (checked out and borrowed)
	// Exhausted are the intervals in which every license was used (used
	// equal to COUNT, or above it after a reload lowered COUNT), cut to
	// the period.
	Exhausted []Interval `json:"exhausted"`
}

// Interval is a span of time.
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// UsageRow is the checkouts of one user, host or feature (Report.By) in the
// period: license-hours held within it, and checkouts granted in it.
type UsageRow struct {
	Key       string  `json:"key"`
	Hours     float64 `json:"hours"`
	Checkouts int     `json:"checkouts"`
}

// DenialRow counts the refused checkouts and borrows of one feature, code
// and user.
type DenialRow struct {
	Feature string `json:"feature"`
	Code    string `json:"code"`
	User    string `json:"user"`
	Count   int    `json:"count"`
}

// BorrowUse is one user's borrows of a feature: made in the period, and
// license-hours borrowed within it.
type BorrowUse struct {
	Feature string  `json:"feature"`
	User    string  `json:"user"`
	Borrows int     `json:"borrows"`
	Hours   float64 `json:"hours"`
}

// GraceUse counts the grace reports of one user and feature in the period:
// grace licenses are used while no server is reachable, so reports, not
// hours, are what the server knows.
type GraceUse struct {
	Feature string `json:"feature"`
	User    string `json:"user"`
	Reports int    `json:"reports"`
}
