package licenses

import (
	"context"
	"fmt"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// DefaultQueuePollInterval is how often CheckoutWait asks about a queued
// request when the heartbeat interval is not shorter.
const DefaultQueuePollInterval = 2 * time.Second

// CheckoutWait is Checkout that waits for a license when none is free: the
// server puts the request in the feature's queue, first come first served,
// and grants it as soon as a license is checked in, returned or removed.
// Meanwhile the call asks the server again every heartbeat interval (at
// most every DefaultQueuePollInterval), which keeps the session's lease,
// and calls position, if set, whenever its place in the queue changes (1
// is next, of the queue's length). ctx bounds the wait: when it ends, the
// request leaves the queue and the call returns ctx's error.
//
// Only "not now" refusals wait (count_exhausted, and site policy limits);
// any other refusal is returned at once, as from Checkout.
func (c *Client) CheckoutWait(ctx context.Context, feature, version string, position func(position, of int)) (*License, error) {
	if position == nil {
		position = func(int, int) {}
	}
	return c.checkout(ctx, feature, version, position)
}

// waitInQueue repeats a queued checkout request (same request id) until
// the server grants it, refuses it, or ctx ends.
func (c *Client) waitInQueue(ctx context.Context, req wire.CheckoutRequest, rep *wire.CheckoutReply, addr string, wait func(int, int)) (string, error) {
	last := [2]int{}
	for rep.Queued {
		if now := [2]int{rep.Position, rep.QueueLength}; now != last {
			wait(rep.Position, rep.QueueLength)
			last = now
		}
		t := time.NewTimer(c.queuePoll())
		select {
		case <-ctx.Done():
			t.Stop()
			c.cancelQueued(addr, req.RequestID)
			return "", fmt.Errorf("waiting in the queue of %s: %w", req.Feature, ctx.Err())
		case <-t.C:
		}
		*rep = wire.CheckoutReply{}
		got, err := c.exchange(ctx, withFirst(c.order(), addr), wire.PathCheckout, req, rep, sendTries)
		if err != nil {
			if ctx.Err() != nil {
				c.cancelQueued(addr, req.RequestID)
			}
			return "", err
		}
		addr = got
	}
	return addr, nil
}

func (c *Client) queuePoll() time.Duration {
	return min(c.interval(), DefaultQueuePollInterval)
}

// cancelQueued takes a request out of the queue when the caller gave up:
// on its own context, as the caller's has ended. A failure is left to the
// lease, which ends the entry when the session stops heartbeating.
func (c *Client) cancelQueued(addr, requestID string) {
	c.mu.Lock()
	c.sessionServers[addr] = true // Close checks in whatever was granted meanwhile
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rep wire.CheckinReply
	_ = c.post(ctx, addr, wire.PathCheckin, wire.CheckinRequest{Client: c.wireClient(), RequestID: requestID}, &rep, 1)
}
