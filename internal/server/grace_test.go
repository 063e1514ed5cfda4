package server_test

import (
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
	"github.com/floatlic/floatlic/internal/servertest"
	"github.com/floatlic/floatlic/internal/store"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

// graceToken checks cad_pro (GRACE 48) out for c and returns the inactive
// grace token the server signed with it, and its payload.
func graceToken(t *testing.T, addr string, c wire.Client, reqID string) (string, token.Token) {
	t.Helper()
	co, werr := checkout(t, addr, c, reqID, "cad_pro")
	if werr != nil {
		t.Fatal(werr)
	}
	pub, err := token.DecodeKey(co.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := token.Verify(pub, co.GraceToken)
	if err != nil {
		t.Fatal(err)
	}
	return co.GraceToken, tk
}

// report is a grace report of tok activated at activated for its hours.
func report(c wire.Client, tok string, tk token.Token, activated time.Time) wire.GraceReport {
	return wire.GraceReport{Client: c, Token: tok, TokenID: tk.ID, Feature: tk.Feature,
		Activated: activated, Expires: activated.Add(time.Duration(tk.GraceHours) * time.Hour)}
}

// A grace report proves itself with the server-signed token it activated,
// for its user, host and feature, over a period that fits the token.
func TestGraceReportMustProveItself(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Minute, Lease: 3 * time.Minute})
	gus := newClient("gus")
	tok, tk := graceToken(t, s.Addr, gus, "r1")
	fc.Advance(time.Hour) // the server goes away; gus activates an hour later
	at := fc.Now()

	_, priv, _ := ed25519.GenerateKey(nil)
	forged, _ := token.Sign(priv, tk)
	bobTok, _ := graceToken(t, s.Addr, newClient("bob"), "r1")
	tests := []struct {
		name string
		edit func(r *wire.GraceReport)
		code string
	}{
		{"no token", func(r *wire.GraceReport) { r.Token = "" }, wire.CodeBadRequest},
		{"forged token", func(r *wire.GraceReport) { r.Token = forged }, wire.CodeTokenInvalid},
		{"another user's token", func(r *wire.GraceReport) { r.Token = bobTok }, wire.CodeTokenInvalid},
		{"another token id", func(r *wire.GraceReport) { r.TokenID = "tok1" }, wire.CodeTokenInvalid},
		{"another feature", func(r *wire.GraceReport) { r.Feature = "solver" }, wire.CodeTokenInvalid},
		{"longer than GRACE", func(r *wire.GraceReport) { r.Expires = r.Expires.Add(time.Second) }, wire.CodeBadRequest},
		{"until 9999", func(r *wire.GraceReport) { r.Expires = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }, wire.CodeBadRequest},
		{"before the token", func(r *wire.GraceReport) {
			r.Activated, r.Expires = r.Activated.Add(-2*time.Hour), r.Expires.Add(-2*time.Hour)
		}, wire.CodeBadRequest},
		{"in the future", func(r *wire.GraceReport) {
			r.Activated, r.Expires = r.Activated.Add(time.Hour), r.Expires.Add(time.Hour)
		}, wire.CodeBadRequest},
		{"ends before it starts", func(r *wire.GraceReport) { r.Expires = r.Activated }, wire.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report(gus, tok, tk, at)
			tt.edit(&r)
			if _, err := post(t, s.Addr, wire.PathGrace, r, nil); err == nil || err.Code != tt.code {
				t.Fatalf("report: %v, want %s", err, tt.code)
			}
		})
	}
	if st := status(t, s.Addr); len(st.Graces) != 0 {
		t.Fatalf("graces after refused reports: %+v", st.Graces)
	}
	// The real one, a few minutes' clock skew either way, is accepted.
	for _, skew := range []time.Duration{-2 * time.Minute, 2 * time.Minute} {
		if _, err := post(t, s.Addr, wire.PathGrace, report(gus, tok, tk, at.Add(skew)), nil); err != nil {
			t.Fatalf("the real report, %v skew: %v", skew, err)
		}
	}
}

// Made-up reports in bulk (the attack: thousands of them, each shown in
// status and never reaped) are all refused.
func TestMadeUpGraceReportsAreRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	activated := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		r := wire.GraceReport{Client: newClient("gus"), TokenID: "made-up-" + string(rune('a'+i%26)),
			Feature: "cad_pro", Activated: activated, Expires: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}
		if _, err := post(t, s.Addr, wire.PathGrace, r, nil); err == nil {
			t.Fatalf("made-up report %d accepted", i)
		}
	}
	if st := status(t, s.Addr); len(st.Graces) != 0 {
		t.Fatalf("%d made-up graces in status", len(st.Graces))
	}
}

// One user, host and feature count once: a new report replaces the last;
// reports are forgotten once they expire.
func TestGraceReportsCountOncePerUserAndAreReaped(t *testing.T) {
	fc := clock.NewFake(epoch)
	s := servertest.Start(t, servertest.Options{Clock: fc, HeartbeatInterval: time.Minute, Lease: 3 * time.Minute})
	gus := newClient("gus")
	tok1, tk1 := graceToken(t, s.Addr, gus, "r1")
	tok2, tk2 := graceToken(t, s.Addr, gus, "r2") // every checkout brings a new token
	fc.Advance(time.Minute)
	for _, r := range []wire.GraceReport{report(gus, tok1, tk1, fc.Now()), report(gus, tok1, tk1, fc.Now()),
		report(gus, tok2, tk2, fc.Now().Add(time.Minute))} {
		if _, err := post(t, s.Addr, wire.PathGrace, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	st := status(t, s.Addr)
	if len(st.Graces) != 1 || st.Graces[0].TokenID != tk2.ID {
		t.Fatalf("graces = %+v, want gus's latest report only", st.Graces)
	}
	for _, f := range st.Features {
		if f.Name == "cad_pro" && f.Grace != 1 {
			t.Fatalf("cad_pro shows %d grace licenses, want 1", f.Grace)
		}
	}
	fc.Advance(49 * time.Hour)
	db, err := store.Open(filepath.Join(s.DataDir, "licd.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, "the expired grace report to be reaped", func() bool {
		snap, err := db.Load()
		if err != nil {
			t.Fatal(err)
		}
		return len(snap.Graces) == 0
	})
}
