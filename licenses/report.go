package licenses

import (
	"context"
	"net/http"
	"net/url"

	"github.com/floatlic/floatlic/internal/wire"
)

// Report is a server's usage report over a period (see FetchReport).
type Report = wire.Report

// ReportQuery selects a usage report. Since and Until are RFC 3339 times,
// dates (YYYY-MM-DD, UTC) or durations back from the server's clock
// ("24h", "7d"); empty: the last 24 hours. By groups the usage rows by
// "user" (default), "host" or "feature".
type ReportQuery struct {
	Since, Until, Feature, By string
}

// FetchReport asks the server at addr for its usage report, computed from
// its audit trail. A nil hc uses http.DefaultClient.
func FetchReport(ctx context.Context, addr string, hc *http.Client, q ReportQuery) (*Report, error) {
	v := url.Values{}
	for k, s := range map[string]string{"since": q.Since, "until": q.Until, "feature": q.Feature, "by": q.By} {
		if s != "" {
			v.Set(k, s)
		}
	}
	var rep Report
	if _, err := call(ctx, monitorHTTP(hc), addr, wire.PathReport+"?"+v.Encode(), "", nil, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
