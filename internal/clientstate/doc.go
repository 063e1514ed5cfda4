// Package clientstate keeps a license client's local state for one user: the
// inactive grace tokens a server handed out and their activations, the
// licenses borrowed to this user and host, and the latest time the client
// has seen (to notice a clock set back).
//
// Design: the whole state is one small JSON file, state.json, in a per-user
// directory (mode 0700; the file 0600). Every change takes an exclusive
// flock on state.lock, reads the file, applies the change and writes the new
// file atomically (temporary file, fsync, rename, fsync of the directory),
// so several processes of the same user can share the directory and a crash
// never leaves half a file. Readers take a shared lock.
//
// The tokens in the file are signed by the license server (package token)
// and carry the vendor-signed license block that names the server's key.
// This package verifies them against the vendor's public key, which the
// caller (the vendor's application) supplies, never against anything stored
// in the file, and against the user and host of the caller: a hand-edited
// or re-signed token is refused. What the file records about activations (when a grace period
// started) is not signed: the server hears of every activation when the
// client reaches it again, which is where overuse shows.
package clientstate
