package demo

import (
	_ "embed"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/floatlic/floatlic/internal/admintoken"
)

// HALTemplate is the HAL demo license before signing: Template's features,
// each with HAL_SERVERS = HALServersPlaceholder and, where Template has a
// TOKEN_KEY, TOKEN_KEY = TokenKeyPlaceholder.
//
//go:embed demo_hal.tmpl
var HALTemplate []byte

// HALServersPlaceholder, in HALTemplate, stands for the three nodes' client
// addresses in role order.
const HALServersPlaceholder = "@HAL_SERVERS@"

// HALFiles are the paths SetupHAL wrote and the addresses of the set.
type HALFiles struct {
	License    string    // signed license, served by all three nodes
	VendorKey  string    // vendor private key
	VendorPub  string    // vendor public key
	AdminToken string    // file holding the admin token, shared by the nodes
	Token      string    // the admin token itself
	DataDirs   [3]string // data dirs of nodes #1, #2, #3, each with its own token key
	TokenKeys  [3]string // their base64 public token keys: TOKEN_KEY in role order
	Clients    [3]string // client addresses: HAL_SERVERS in role order
	Raft       [3]string // raft addresses
}

// SetupHAL writes into dir what three licd nodes need to serve HALTemplate
// on the client addresses clients (HAL_SERVERS, role order) and talk raft on
// raft: a vendor key pair, a data dir per node (dir/node1 ...) holding that
// node's token key, the license signed with HAL_SERVERS and TOKEN_KEY
// filled in, and an admin token. ServeArgs gives each node's command line.
func SetupHAL(dir string, clients, raft [3]string) (HALFiles, error) {
	f := HALFiles{
		License:    filepath.Join(dir, "demo-hal.lic"),
		VendorKey:  filepath.Join(dir, "vendor.key"),
		VendorPub:  filepath.Join(dir, "vendor.pub"),
		AdminToken: filepath.Join(dir, "admin.token"),
		Clients:    clients,
		Raft:       raft,
	}
	key, err := vendorKey(dir)
	if err != nil {
		return f, err
	}
	for i := range f.DataDirs {
		f.DataDirs[i] = filepath.Join(dir, "node"+strconv.Itoa(i+1))
		if f.TokenKeys[i], err = serverKey(f.DataDirs[i]); err != nil {
			return f, fmt.Errorf("node #%d: %w", i+1, err)
		}
	}
	lic := strings.NewReplacer(
		HALServersPlaceholder, strings.Join(clients[:], " "),
		TokenKeyPlaceholder, strings.Join(f.TokenKeys[:], " "),
	).Replace(string(HALTemplate))
	if err := signLicense(f.License, "demo_hal.tmpl", []byte(lic), key); err != nil {
		return f, err
	}
	f.Token, err = admintoken.Write(f.AdminToken, true)
	return f, err
}

// ServeArgs returns the arguments of licd that run node id (1, 2 or 3) of
// the set, starting with "serve": its license, vendor key, data dir, admin
// token, client address (--listen) and HAL flags. Add flags after them,
// such as --raft-timeout.
func (f HALFiles) ServeArgs(id int) []string {
	i := id - 1
	return []string{"serve",
		"--license", f.License,
		"--vendor-pub", f.VendorPub,
		"--data", f.DataDirs[i],
		"--admin-token-file", f.AdminToken,
		"--listen", f.Clients[i],
		"--hal-id", strconv.Itoa(id),
		"--raft-listen", f.Raft[i],
		"--raft-peers", strings.Join(f.Raft[:], ","),
	}
}
