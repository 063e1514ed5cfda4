package clientstate

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testKey(t *testing.T) (ed25519.PrivateKey, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return priv, token.EncodeKey(pub)
}

func sign(t *testing.T, key ed25519.PrivateKey, tk token.Token) string {
	t.Helper()
	s, err := token.Sign(key, tk)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tamper rewrites a field of a signed token's payload and keeps the old
// signature, as a user editing the state file would.
func tamper(t *testing.T, s string, edit func(*token.Token)) string {
	t.Helper()
	p, sig, _ := strings.Cut(s, ".")
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		t.Fatal(err)
	}
	var tk token.Token
	if err := json.Unmarshal(raw, &tk); err != nil {
		t.Fatal(err)
	}
	edit(&tk)
	raw, _ = json.Marshal(tk)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + sig
}

func graceToken(feature string) token.Token {
	return token.Token{Kind: token.KindGrace, ID: "g1", Feature: feature, Version: "2.0",
		User: "ann", Host: "ws1", Issued: t0, GraceHours: 48}
}

func TestGraceStateMachine(t *testing.T) {
	key, pub := testKey(t)
	st := &State{}
	if g := st.Grace("ann", "ws1", "cad_pro"); g != nil {
		t.Fatalf("grace before any token = %+v", g)
	}
	st.StoreGraceToken("ann", "ws1", "cad_pro", sign(t, key, graceToken("cad_pro")), pub, t0)
	g := st.Grace("ann", "ws1", "cad_pro")
	expect := func(now time.Time, state string, expires, until time.Time) {
		t.Helper()
		s, e, u := g.StateAt(now)
		if s != state || !e.Equal(expires) || !u.Equal(until) {
			t.Errorf("at %s: state %s expires %s cooldown_until %s; want %s %s %s", now, s, e, u, state, expires, until)
		}
	}
	zero := time.Time{}
	expect(t0, GraceInactive, zero, zero)

	tk, err := g.Verify("ann", "ws1")
	if err != nil {
		t.Fatal(err)
	}
	act := t0.Add(time.Hour)
	rep := g.Activate(tk, act)
	exp := act.Add(48 * time.Hour)
	if rep.TokenID != "g1" || rep.Token != g.Token || !rep.Expires.Equal(exp) || !rep.Activated.Equal(act) {
		t.Errorf("report = %+v", rep)
	}
	expect(act, GraceActive, exp, zero)
	expect(exp.Add(-time.Second), GraceActive, exp, zero)

	// A server coming back hands out a new token: the expiry stays.
	next := graceToken("cad_pro")
	next.ID = "g2"
	st.StoreGraceToken("ann", "ws1", "cad_pro", sign(t, key, next), pub, act.Add(2*time.Hour))
	g = st.Grace("ann", "ws1", "cad_pro")
	expect(act.Add(3*time.Hour), GraceActive, exp, zero)

	until := exp.Add(Cooldown)
	expect(exp, GraceCooldown, exp, until)
	expect(until.Add(-time.Second), GraceCooldown, exp, until)
	// A token stored during the cooldown does not end it either.
	st.StoreGraceToken("ann", "ws1", "cad_pro", sign(t, key, next), pub, exp.Add(time.Hour))
	g = st.Grace("ann", "ws1", "cad_pro")
	expect(exp.Add(2*time.Hour), GraceCooldown, exp, until)

	expect(until, GraceInactive, zero, zero)
	st.StoreGraceToken("ann", "ws1", "cad_pro", sign(t, key, next), pub, until)
	g = st.Grace("ann", "ws1", "cad_pro")
	if !g.Activated.IsZero() {
		t.Errorf("activation kept after the cooldown: %+v", g)
	}
	expect(until, GraceInactive, zero, zero)
}

func TestGraceIsPerUserAndHost(t *testing.T) {
	key, pub := testKey(t)
	st := &State{}
	st.StoreGraceToken("ann", "ws1", "cad_pro", sign(t, key, graceToken("cad_pro")), pub, t0)
	for _, who := range [][2]string{{"bob", "ws1"}, {"ann", "ws2"}} {
		if g := st.Grace(who[0], who[1], "cad_pro"); g != nil {
			t.Errorf("%s@%s sees ann's grace record", who[0], who[1])
		}
	}
	if n := len(st.GracesOf("ann", "ws1")); n != 1 {
		t.Errorf("GracesOf(ann) = %d records, want 1", n)
	}
}

func TestGraceVerify(t *testing.T) {
	key, pub := testKey(t)
	_, otherPub := testKey(t)
	good := sign(t, key, graceToken("cad_pro"))
	tests := []struct {
		name                          string
		tok, key, feature, user, host string
		ok                            bool
	}{
		{name: "good", tok: good, key: pub, ok: true},
		{name: "longer grace", tok: tamper(t, good, func(tk *token.Token) { tk.GraceHours = 168 }), key: pub},
		{name: "another user in token", tok: tamper(t, good, func(tk *token.Token) { tk.User = "bob" }), key: pub},
		{name: "used by another user", tok: good, key: pub, user: "bob"},
		{name: "used on another host", tok: good, key: pub, host: "ws2"},
		{name: "other feature", tok: good, key: pub, feature: "solver"},
		{name: "other server key", tok: good, key: otherPub},
		{name: "bad key", tok: good, key: "AAAA"},
		{name: "garbage", tok: "garbage", key: pub},
		{name: "borrow token", tok: sign(t, key, token.Token{Kind: token.KindBorrow, ID: "b", Feature: "cad_pro",
			User: "ann", Host: "ws1", Expires: t0.Add(time.Hour)}), key: pub},
		{name: "grace token with expiry", tok: sign(t, key, func() token.Token {
			tk := graceToken("cad_pro")
			tk.Expires = t0.Add(time.Hour)
			return tk
		}()), key: pub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Grace{Feature: or(tt.feature, "cad_pro"), User: "ann", Host: "ws1", Token: tt.tok, ServerKey: tt.key}
			_, err := g.Verify(or(tt.user, "ann"), or(tt.host, "ws1"))
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify = %v", err)
				}
				return
			}
			if e, ok := err.(*wire.Error); !ok || e.Code != wire.CodeTokenInvalid {
				t.Fatalf("Verify = %v, want token_invalid", err)
			}
		})
	}
}

func TestBorrowVerify(t *testing.T) {
	key, pub := testKey(t)
	exp := t0.Add(24 * time.Hour)
	tok := sign(t, key, token.Token{Kind: token.KindBorrow, ID: "b1", Feature: "solver", Version: "3.1",
		User: "ann", Host: "ws1", Issued: t0, Expires: exp})
	good := Borrow{Feature: "solver", Version: "3.1", User: "ann", Host: "ws1", BorrowID: "b1",
		Expires: exp, Token: tok, ServerKey: pub}
	tests := []struct {
		name string
		edit func(*Borrow)
		user string
		ok   bool
	}{
		{name: "good", edit: func(*Borrow) {}, ok: true},
		{name: "record expiry edited", edit: func(b *Borrow) { b.Expires = exp.Add(240 * time.Hour) }},
		{name: "token expiry edited", edit: func(b *Borrow) {
			b.Token = tamper(t, b.Token, func(tk *token.Token) { tk.Expires = exp.Add(240 * time.Hour) })
			b.Expires = exp.Add(240 * time.Hour)
		}},
		{name: "token host edited", edit: func(b *Borrow) {
			b.Token = tamper(t, b.Token, func(tk *token.Token) { tk.Host = "ws9" })
		}},
		{name: "other user", edit: func(*Borrow) {}, user: "bob"},
		{name: "other id", edit: func(b *Borrow) { b.BorrowID = "b2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := good
			tt.edit(&b)
			_, err := b.Verify(or(tt.user, "ann"), "ws1")
			if tt.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestBorrowRecords(t *testing.T) {
	st := &State{}
	st.PutBorrow(Borrow{Feature: "solver", User: "ann", Host: "ws1", Expires: t0.Add(time.Hour)})
	st.PutBorrow(Borrow{Feature: "cad_pro", User: "ann", Host: "ws1", Expires: t0.Add(2 * time.Hour)})
	st.PutBorrow(Borrow{Feature: "solver", User: "bob", Host: "ws1", Expires: t0.Add(time.Hour)})
	st.PutBorrow(Borrow{Feature: "solver", User: "ann", Host: "ws1", BorrowID: "new", Expires: t0.Add(time.Hour)})
	got := st.BorrowsOf("ann", "ws1")
	if len(got) != 2 || got[0].Feature != "cad_pro" || got[1].BorrowID != "new" {
		t.Errorf("BorrowsOf(ann) = %+v", got)
	}
	st.PruneBorrows(t0.Add(time.Hour))
	if got := st.BorrowsOf("ann", "ws1"); len(got) != 1 || got[0].Feature != "cad_pro" {
		t.Errorf("after prune = %+v", got)
	}
	st.DeleteBorrow("ann", "ws1", "cad_pro")
	if len(st.Borrows) != 0 {
		t.Errorf("after delete = %+v", st.Borrows)
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
