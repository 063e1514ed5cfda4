package licstat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// printJSON prints the server's status as one indented JSON object
// (wire.Status: every time RFC 3339 with its zone).
func printJSON(ctx context.Context, o options, w io.Writer) error {
	st, _, err := fetchStatus(ctx, o.servers)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
