package loadgen

import (
	"context"
	"time"
)

// A reply's arrival is when its first bytes reached licbench's socket, by
// the kernel's clock (Linux, lean transport). The time between that and the
// moment the client goroutine had read the reply is licbench's own delay
// (read lag), as start lag is on the sending side; the latency until the
// arrival is the server's and the network's, with the start lag. The first
// replies after licbench starts may have no arrival: the kernel turns
// receive times on a moment after the first socket asks.

type arrivalKey struct{}

// withArrival returns a context under which the lean transport records the
// arrival of the reply to the request made with it (the last reply, should
// the licenses client send the request more than once).
func withArrival(ctx context.Context) (context.Context, *time.Time) {
	at := new(time.Time)
	return context.WithValue(ctx, arrivalKey{}, at), at
}

func arrivalSlot(ctx context.Context) *time.Time {
	at, _ := ctx.Value(arrivalKey{}).(*time.Time)
	return at
}

// arrivalReader is a connection that knows when the data it reads arrived
// (stampConn).
type arrivalReader interface {
	arm()               // forget the last arrival: the next read's is the next reply's
	arrival() time.Time // when the data of the first read since arm arrived; zero if unknown
}
