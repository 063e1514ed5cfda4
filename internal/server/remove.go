package server

import "github.com/floatlic/floatlic/internal/wire"

// maxHoldSeconds bounds a remove's hold: a year.
const maxHoldSeconds = 366 * 24 * 3600

// checkRemove checks that a remove names one kind of target: a checkout, a
// session, a borrow, or checkouts by user, host and feature (the only kind
// a hold goes with).
func checkRemove(req wire.RemoveRequest) *wire.Error {
	selects := req.User != "" || req.Host != "" || req.Feature != ""
	kinds := btoi(req.CheckoutID != "") + btoi(req.Session != "") + btoi(req.BorrowID != "") + btoi(selects)
	switch {
	case kinds != 1:
		return badRequest("give one of checkout_id, session, borrow_id, or user, host and feature")
	case req.HoldSeconds < 0 || req.HoldSeconds > maxHoldSeconds:
		return badRequest("hold_seconds %d is outside 0..%d", req.HoldSeconds, maxHoldSeconds)
	case req.HoldSeconds > 0 && !selects:
		return badRequest("a hold goes with a remove by user, host or feature")
	case len(req.By) > 256:
		return badRequest("by is longer than 256 bytes")
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
