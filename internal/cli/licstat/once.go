package licstat

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/views"
	"github.com/floatlic/floatlic/internal/wire"
)

// onceLoc is the zone of the clock times --once prints; tests set UTC.
var onceLoc = time.Local

// printOnce prints the views as plain aligned tables, like lmstat: a line
// about the server, then FEATURES, CHECKOUTS, BORROWS, GRACE and SERVERS.
// Ages and time left are measured from the server's clock.
func printOnce(ctx context.Context, o options, w io.Writer) error {
	st, addr, err := fetchStatus(ctx, o.servers)
	if err != nil {
		return err
	}
	now := st.Server.Now
	if now.IsZero() {
		now = time.Now()
	}
	if _, err := fmt.Fprintf(w, "%s\n", serverLine(st, addr, now)); err != nil {
		return err
	}
	if p := st.Policy; p != nil {
		if _, err := fmt.Fprintf(w, "options: %s, %d rules\n", p.Path, p.Rules); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	return views.WriteTables(w, st, now, onceLoc)
}

// serverLine describes the server that answered:
// "License server 127.0.0.1:6200: single, serving, instance 9f3c2a7e, version 0.1.0, up 1d02h, at 2026-03-04T09:30:00Z".
func serverLine(st *wire.Status, addr string, now time.Time) string {
	s := st.Server
	parts := []string{s.Role}
	if s.Serving {
		parts = append(parts, "serving")
	} else {
		parts = append(parts, "not serving")
	}
	if s.Instance != "" {
		parts = append(parts, "instance "+s.Instance)
	}
	if s.Version != "" {
		parts = append(parts, "version "+s.Version)
	}
	if !s.Started.IsZero() {
		parts = append(parts, "up "+common.Age(s.Started, now))
	}
	parts = append(parts, "at "+now.In(onceLoc).Format(time.RFC3339))
	return fmt.Sprintf("License server %s: %s", addr, strings.Join(parts, ", "))
}
