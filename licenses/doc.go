// Package licenses is the floatlic client that applications embed: it checks
// floating licenses out of a license server (licd), keeps them alive with
// automatic heartbeats, fails over between servers, falls back on grace
// licenses when no server can be reached, and runs from borrowed licenses
// with no network at all.
//
// # Checking out
//
// A Client is one client process: it makes one random session id, and the
// server ties every checkout to that session, not to a connection. Checkout
// sends a client-chosen request id and retries lost replies with the same
// id, so a reconnect or a server restart never costs a second license:
//
//	c, err := licenses.New(licenses.Options{Servers: []string{"lic1:6200"}, AutoHeartbeat: true})
//	...
//	lic, err := c.Checkout(ctx, "cad_pro", "2.0")
//	if licenses.IsCode(err, licenses.CodeCountExhausted) { ... }
//	defer c.Close(ctx)
//
// Refusals are *Error values with a code (count_exhausted, version_too_high,
// no_server, ...): match them with IsCode or ErrorCode.
//
// # Heartbeats
//
// The server reclaims a session's licenses when its lease runs out, so a
// client must heartbeat. With Options.AutoHeartbeat a goroutine does it every
// HeartbeatInterval (by default the interval the server asks for). Until
// HeartbeatAttempts heartbeats in a row have failed it only tries the server
// the licenses came from; then it tries the other servers, and when none
// answers it calls Options.OnExit (by default: print the reason and exit the
// process). When a heartbeat finds that the server restarted or no longer
// knows the session, the client checks out again what the application holds,
// with the same request ids; a refusal is reported to Options.OnLost and on
// the License's Lost channel. Options.MaxRestartsPerHour stops the
// application when the server restarts too often (LM-X's anti-overuse
// counter).
//
// # Grace and borrowing
//
// With Options.AllowGrace the client stores the inactive grace token that a
// server hands out with each checkout of a feature that has GRACE. When no
// server can be reached at checkout, it activates the token: the License is
// then a grace license valid for the feature's GRACE hours. It does so only
// when the server that issued the token is among those that cannot be
// reached: Options.Servers naming only addresses that never answered (a
// typo) fail with no_server and leave the token unused. A server coming
// back does not reset that expiry, and after it the user gets no new grace
// for the feature for 7 days. The client reports grace use to the server the
// next time it reaches one.
//
// Client.Borrow takes a license out of the server's pool for some hours and
// stores the server-signed token; until it expires, Checkout of that feature
// is served from the borrow without any server. Client.Return gives it back
// early.
//
// Grace tokens, borrows and the latest time seen live in a per-user state
// dir (Options.StateDir; LIC_STATE_DIR; the user's config dir), shared
// safely by several processes of the same user. A clock set back by more
// than 5 minutes makes grace and borrow refuse with clock_windback.
//
// # Trust
//
// The user can edit the state dir, so nothing in it is trusted on its own.
// Each token carries the vendor-signed FEATURE block of its license, whose
// TOKEN_KEY names the license server key(s) that may sign tokens; the client
// checks the block with Options.VendorKey (the vendor's public key, which
// the application carries, compiled in), then the token's signature with a
// key the block names, then the token's feature, version, GRACE or BORROW
// hours, user and host. A token that does not chain is refused with
// token_invalid. Without a VendorKey no token can be trusted: Borrow
// refuses before taking a license, grace tokens are not kept, stored ones
// are refused.
package licenses
