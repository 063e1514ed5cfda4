package licenses_test

import (
	"context"
	"testing"

	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/licenses"
)

// BenchmarkCheckoutCheckin is one round trip pair to a server on loopback,
// with the state dir lookups a checkout does (borrows, grace reports).
func BenchmarkCheckoutCheckin(b *testing.B) {
	srv := servertest.Start(b, servertest.Options{Sync: "normal"})
	c, _ := newClient(b, licenses.Options{Servers: []string{srv.Addr}})
	ctx := context.Background()
	for b.Loop() {
		lic, err := c.Checkout(ctx, "cad_view", "")
		if err != nil {
			b.Fatal(err)
		}
		if err := lic.Checkin(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckoutFromBorrow is a checkout served by a borrow: no network,
// one locked read and one atomic write of the state file.
func BenchmarkCheckoutFromBorrow(b *testing.B) {
	srv := servertest.Start(b, servertest.Options{})
	c, _ := newClient(b, licenses.Options{Servers: []string{srv.Addr}, VendorKey: vendorKey(b, srv)})
	ctx := context.Background()
	if _, err := c.Borrow(ctx, "solver", "", 4); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Checkout(ctx, "solver", ""); err != nil {
			b.Fatal(err)
		}
	}
}
