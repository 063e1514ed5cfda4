package licenses

import (
	"context"
	"net/http"

	"github.com/floatlic/floatlic/internal/wire"
)

// RemoveReply is what an admin's remove did: the checkouts removed, the
// queued requests dropped, the borrow revoked, the hold's end.
type RemoveReply = wire.RemoveReply

// Remove asks the server at addr to remove what req names on the admin's
// behalf (see wire.RemoveRequest: a checkout, a session, a borrow, or
// checkouts by user, host and feature, with a hold). Without a valid
// adminToken the server refuses with unauthorized.
func Remove(ctx context.Context, addr, adminToken string, hc *http.Client, req RemoveRequest) (*RemoveReply, error) {
	var reply wire.RemoveReply
	if _, err := call(ctx, monitorHTTP(hc), addr, wire.PathRemove, adminToken, req, &reply); err != nil {
		return nil, err
	}
	return &reply, nil
}
