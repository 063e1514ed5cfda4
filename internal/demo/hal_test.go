package demo

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/token"
)

func TestSetupHAL(t *testing.T) {
	clients := [3]string{"127.0.0.1:7001", "127.0.0.2:7002", "127.0.0.3:7003"}
	raft := [3]string{"127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103"}
	f, err := SetupHAL(t.TempDir(), clients, raft)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := licfile.ReadPublicKey(f.VendorPub)
	if err != nil {
		t.Fatal(err)
	}
	lic, err := licfile.Load(f.License, pub)
	if err != nil {
		t.Fatalf("the HAL demo license does not load: %v", err)
	}
	for i, dir := range f.DataDirs {
		key, err := token.LoadKey(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := token.PublicText(key); got != f.TokenKeys[i] {
			t.Errorf("node #%d's token key is %s, HALFiles says %s", i+1, got, f.TokenKeys[i])
		}
	}
	single, err := licfile.Parse("demo.tmpl", bytes.ReplaceAll(Template, []byte(TokenKeyPlaceholder), []byte(f.TokenKeys[0])))
	if err != nil {
		t.Fatal(err)
	}
	if len(lic.Features) != len(single.Features) {
		t.Fatalf("HAL demo has %d features, the single demo %d", len(lic.Features), len(single.Features))
	}
	for _, want := range single.Features {
		t.Run(want.Name, func(t *testing.T) {
			got := lic.Lookup(want.Name)
			if got == nil {
				t.Fatal("missing from the HAL demo license")
			}
			if got.Count != want.Count || got.Version != want.Version || got.Grace != want.Grace ||
				got.Borrow != want.Borrow || got.Expire != want.Expire {
				t.Errorf("HAL demo %+v differs from the single demo %+v", got, want)
			}
			if !slices.Equal(got.HALServers, clients[:]) {
				t.Errorf("HAL_SERVERS = %v, want %v", got.HALServers, clients)
			}
			wantKeys := []string(nil)
			if want.TokenKey != nil {
				wantKeys = f.TokenKeys[:]
			}
			if !slices.Equal(got.TokenKey, wantKeys) {
				t.Errorf("TOKEN_KEY = %v, want %v", got.TokenKey, wantKeys)
			}
		})
	}
	if b, err := os.ReadFile(f.AdminToken); err != nil || strings.TrimSpace(string(b)) != f.Token {
		t.Errorf("admin token file holds %q (%v), want %q", b, err, f.Token)
	}
}

func TestServeArgs(t *testing.T) {
	f := HALFiles{
		License: "l.lic", VendorPub: "v.pub", AdminToken: "a.token",
		DataDirs: [3]string{"d1", "d2", "d3"},
		Clients:  [3]string{"c1:1", "c2:2", "c3:3"},
		Raft:     [3]string{"r1:1", "r2:2", "r3:3"},
	}
	got := strings.Join(f.ServeArgs(2), " ")
	want := "serve --license l.lic --vendor-pub v.pub --data d2 --admin-token-file a.token " +
		"--listen c2:2 --hal-id 2 --raft-listen r2:2 --raft-peers r1:1,r2:2,r3:3"
	if got != want {
		t.Errorf("ServeArgs(2) = %s\nwant %s", got, want)
	}
}
