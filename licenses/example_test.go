package licenses_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/floatlic/floatlic/licenses"
)

// vendorPub is the vendor's public key as the application carries it:
// compiled in, for example with
// go build -ldflags "-X main.vendorPub=BASE64". Here it is the key of the
// examples' demo server, set by TestMain.
var vendorPub string

// An application checks a license out when it starts, lets automatic
// heartbeats keep it, and checks everything in when it ends. The servers
// come from LIC_SERVER here; a HAL license would pass its HAL_SERVERS.
func Example() {
	ctx := context.Background()
	vendorKey, err := licenses.ParseVendorKey(vendorPub)
	if err != nil {
		log.Fatal(err)
	}
	c, err := licenses.New(licenses.Options{
		AutoHeartbeat: true,      // heartbeat at the interval the server asks for
		AllowGrace:    true,      // run on a grace license if the server is gone
		VendorKey:     vendorKey, // grace and borrow tokens must chain to it
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	lic, err := c.Checkout(ctx, "cad_pro", "2.0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(lic.Feature(), lic.Version(), lic.Source())
	// Output: cad_pro 2.0 server
}

// A refusal is an *Error with a code to act on.
func ExampleClient_Checkout_refused() {
	ctx := context.Background()
	c, err := licenses.New(licenses.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	_, err = c.Checkout(ctx, "cad_pro", "9.0")
	switch {
	case licenses.IsCode(err, licenses.CodeCountExhausted):
		fmt.Println("all licenses are in use, try again later")
	case licenses.IsCode(err, licenses.CodeVersionTooHigh):
		fmt.Println("the license does not cover this version")
	case err != nil:
		fmt.Println("no license:", licenses.ErrorCode(err))
	}
	// Output: the license does not cover this version
}

// The exit callback replaces LM-X's default (print the reason, exit the
// process) when the application would rather save its work first; OnLost
// hears of a license the server could not give back after a restart.
func ExampleOptions_heartbeats() {
	c, err := licenses.New(licenses.Options{
		AutoHeartbeat:      true,
		HeartbeatInterval:  30 * time.Second,
		HeartbeatAttempts:  5,
		MaxRestartsPerHour: 10,
		OnExit: func(reason error) {
			log.Printf("licensing stopped: %v", reason) // save work, then exit
		},
		OnLost: func(feature string, err error) {
			log.Printf("lost %s: %v", feature, err)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())
	fmt.Println(len(c.Servers()), "server")
	// Output: 1 server
}

// Borrowing takes a license out of the pool for some hours: until then the
// application runs with no network, and Return gives it back early. The
// borrowed token is trusted offline only through the vendor's key.
func ExampleClient_Borrow() {
	ctx := context.Background()
	vendorKey, err := licenses.ParseVendorKey(vendorPub)
	if err != nil {
		log.Fatal(err)
	}
	c, err := licenses.New(licenses.Options{VendorKey: vendorKey})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	b, err := c.Borrow(ctx, "solver", "3.0", 8)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("borrowed %s %s for %v\n", b.Feature, b.Version, b.Expires.Sub(b.Since).Round(time.Hour))

	lic, err := c.Checkout(ctx, "solver", "") // no server call
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("checked out from", lic.Source())

	if err := c.Return(ctx, "solver"); err != nil {
		log.Fatal(err)
	}
	list, _ := c.Borrows()
	fmt.Println(len(list), "borrowed now")
	// Output:
	// borrowed solver 3.1 for 8h0m0s
	// checked out from borrow
	// 0 borrowed now
}

// Each checkout of a feature with GRACE stores an inactive grace token when
// the application allows grace, and the token chains to the vendor's key.
func ExampleClient_Grace() {
	ctx := context.Background()
	vendorKey, err := licenses.ParseVendorKey(vendorPub)
	if err != nil {
		log.Fatal(err)
	}
	c, err := licenses.New(licenses.Options{AllowGrace: true, VendorKey: vendorKey})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil {
		log.Fatal(err)
	}
	g, err := c.Grace("cad_pro")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Feature, g.State, g.Hours, "hours")
	// Output: cad_pro inactive 48 hours
}

func ExampleParseServers() {
	fmt.Println(licenses.ParseServers("lic1:6200,lic2:6200"))
	fmt.Println(licenses.ParseServers("lic1:6200 lic2:6200 lic3:6200"))
	// Output:
	// [lic1:6200 lic2:6200]
	// [lic1:6200 lic2:6200 lic3:6200]
}
