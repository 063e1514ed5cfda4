package server

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/engine"
)

// ExpiryWarning is how long before the end of its EXPIRE day a feature is
// warned of: in licd's log, in licstat and in /metrics.
const ExpiryWarning = 30 * 24 * time.Hour

// expiryEvery is how often licd logs the warnings again while it runs.
const expiryEvery = 24 * time.Hour

// expiryLog logs, at start, after a reload and once a day by the server's
// clock, each served feature that expires within ExpiryWarning.
type expiryLog struct {
	mu   sync.Mutex
	last time.Time // when the warnings were last logged
}

// warnExpiry logs the features that expire soon or have expired, as of now.
func (s *Server) warnExpiry(features []*engine.Feature, now time.Time) {
	s.expiry.mu.Lock()
	s.expiry.last = now
	s.expiry.mu.Unlock()
	for _, f := range features {
		if f.Expires.IsZero() {
			continue
		}
		left := f.Expires.Sub(now)
		switch {
		case left <= 0:
			s.log.Warn("feature has expired: every checkout of it is refused", "feature", f.Name, "expire", f.Expire)
		case left < ExpiryWarning:
			s.log.Warn("feature expires in "+daysText(left)+": renew its license", "feature", f.Name, "expire", f.Expire,
				"days_left", fmt.Sprintf("%.1f", left.Hours()/24))
		}
	}
}

// warnExpiryDaily logs the warnings again when a day has passed on the
// server's clock since they were last logged (or the clock went back).
func (s *Server) warnExpiryDaily(now time.Time) {
	s.expiry.mu.Lock()
	due := now.Sub(s.expiry.last) >= expiryEvery || now.Before(s.expiry.last)
	s.expiry.mu.Unlock()
	if due {
		s.warnExpiry(s.engine.Features(), now)
	}
}

// daysText says how long d is in whole days, or hours when less than one.
func daysText(d time.Duration) string {
	if d < 24*time.Hour {
		return fmt.Sprintf("%d hours", int(math.Ceil(d.Hours())))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// writeExpiry exports the days until each dated feature's EXPIRE day ends
// (negative once it has); permanent features have no series.
func writeExpiry(b *strings.Builder, features []*engine.Feature, now time.Time) {
	gauge(b, "floatlic_feature_expiry_days", "Days until the end of the feature's EXPIRE day (negative once expired); permanent features are omitted.")
	for _, f := range features {
		if !f.Expires.IsZero() {
			fmt.Fprintf(b, "floatlic_feature_expiry_days{feature=%q} %.3f\n", f.Name, f.Expires.Sub(now).Hours()/24)
		}
	}
}
