package clientstate

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/token"
	"github.com/floatlic/floatlic/internal/wire"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// chain is a vendor key and a license naming a server's token key, as a
// real setup has them.
type chain struct {
	vendor ed25519.PublicKey
	server ed25519.PrivateKey
	blocks map[string]string // feature → vendor-signed block
}

func testChain(t *testing.T) *chain {
	t.Helper()
	vendorPub, vendor, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, server, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := fmt.Sprintf(`FEATURE cad_pro {
  VENDOR = acme
  VERSION = 2.0
  COUNT = 5
  GRACE = 48
  EXPIRE = 2030-12-31
  TOKEN_KEY = %[1]s
}
FEATURE solver {
  VENDOR = acme
  VERSION = 3.1
  COUNT = 2
  BORROW = 24
  EXPIRE = 2030-12-31
  TOKEN_KEY = %[1]s
}
`, token.PublicText(server))
	signed, err := licfile.Sign("t.tmpl", []byte(tmpl), vendor)
	if err != nil {
		t.Fatal(err)
	}
	f, err := licfile.Parse("t.lic", signed)
	if err != nil {
		t.Fatal(err)
	}
	c := &chain{vendor: vendorPub, server: server, blocks: map[string]string{}}
	for _, ft := range f.Features {
		c.blocks[ft.Name] = string(licfile.Format(ft))
	}
	return c
}

// sign signs tk with the server's key, with the license block of its feature.
func (c *chain) sign(t *testing.T, tk token.Token) string {
	t.Helper()
	tk.License = c.blocks[tk.Feature]
	s, err := token.Sign(c.server, tk)
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
	c := testChain(t)
	st := &State{}
	if g := st.Grace("ann", "ws1", "cad_pro"); g != nil {
		t.Fatalf("grace before any token = %+v", g)
	}
	st.StoreGraceToken("ann", "ws1", "cad_pro", c.sign(t, graceToken("cad_pro")), []string{"lic1:6200"}, t0)
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

	tk, err := g.Verify(c.vendor, "ann", "ws1")
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
	st.StoreGraceToken("ann", "ws1", "cad_pro", c.sign(t, next), []string{"lic1:6200"}, act.Add(2*time.Hour))
	g = st.Grace("ann", "ws1", "cad_pro")
	expect(act.Add(3*time.Hour), GraceActive, exp, zero)

	until := exp.Add(Cooldown)
	expect(exp, GraceCooldown, exp, until)
	expect(until.Add(-time.Second), GraceCooldown, exp, until)
	// A token stored during the cooldown does not end it either.
	st.StoreGraceToken("ann", "ws1", "cad_pro", c.sign(t, next), []string{"lic1:6200"}, exp.Add(time.Hour))
	g = st.Grace("ann", "ws1", "cad_pro")
	expect(exp.Add(2*time.Hour), GraceCooldown, exp, until)

	expect(until, GraceInactive, zero, zero)
	st.StoreGraceToken("ann", "ws1", "cad_pro", c.sign(t, next), []string{"lic1:6200"}, until)
	g = st.Grace("ann", "ws1", "cad_pro")
	if !g.Activated.IsZero() {
		t.Errorf("activation kept after the cooldown: %+v", g)
	}
	expect(until, GraceInactive, zero, zero)
}

func TestGraceIsPerUserAndHost(t *testing.T) {
	c := testChain(t)
	st := &State{}
	st.StoreGraceToken("ann", "ws1", "cad_pro", c.sign(t, graceToken("cad_pro")), []string{"lic1:6200"}, t0)
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
	c := testChain(t)
	good := c.sign(t, graceToken("cad_pro"))
	_, userKey, _ := ed25519.GenerateKey(nil)
	userSigned := func(edit func(*token.Token)) string { // re-signed with a key the user made
		tk := graceToken("cad_pro")
		tk.License = c.blocks["cad_pro"]
		edit(&tk)
		s, _ := token.Sign(userKey, tk)
		return s
	}
	_, otherVendor, _ := ed25519.GenerateKey(nil)
	tests := []struct {
		name                     string
		tok, feature, user, host string
		vendor                   ed25519.PublicKey
		want                     string // "" for valid
	}{
		{name: "good", tok: good},
		{name: "longer grace", tok: tamper(t, good, func(tk *token.Token) { tk.GraceHours = 168 }), want: "not signed by a TOKEN_KEY"},
		{name: "another user in token", tok: tamper(t, good, func(tk *token.Token) { tk.User = "bob" }), want: "not signed by a TOKEN_KEY"},
		{name: "used by another user", tok: good, user: "bob", want: "issued to ann@ws1, not bob@ws1"},
		{name: "used on another host", tok: good, host: "ws2", want: "not ann@ws2"},
		{name: "other feature", tok: good, feature: "solver", want: "was issued for cad_pro"},
		{name: "re-signed by the user", tok: userSigned(func(tk *token.Token) { tk.GraceHours = 168 }), want: "not signed by a TOKEN_KEY"},
		{name: "other vendor key", tok: good, vendor: otherVendor.Public().(ed25519.PublicKey), want: "not signed by the vendor's key"},
		{name: "no vendor key", tok: good, vendor: ed25519.PublicKey{}, want: "no vendor public key is configured"},
		{name: "garbage", tok: "garbage", want: "no signature"},
		{name: "borrow token", tok: c.sign(t, token.Token{Kind: token.KindBorrow, ID: "b", Feature: "cad_pro",
			Version: "2.0", User: "ann", Host: "ws1", Issued: t0, Expires: t0.Add(time.Hour)}), want: "allows 0 hours"},
		{name: "grace token with expiry", tok: c.sign(t, func() token.Token {
			tk := graceToken("cad_pro")
			tk.Expires = t0.Add(time.Hour)
			return tk
		}()), want: "not an inactive token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vendor := c.vendor
			if tt.vendor != nil {
				vendor = tt.vendor
			}
			g := Grace{Feature: or(tt.feature, "cad_pro"), User: "ann", Host: "ws1", Token: tt.tok}
			_, err := g.Verify(vendor, or(tt.user, "ann"), or(tt.host, "ws1"))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Verify = %v", err)
				}
				return
			}
			if e, ok := err.(*wire.Error); !ok || e.Code != wire.CodeTokenInvalid || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("Verify = %v, want token_invalid saying %q", err, tt.want)
			}
		})
	}
}

func TestBorrowVerify(t *testing.T) {
	c := testChain(t)
	exp := t0.Add(24 * time.Hour)
	tok := c.sign(t, token.Token{Kind: token.KindBorrow, ID: "b1", Feature: "solver", Version: "3.1",
		User: "ann", Host: "ws1", Issued: t0, Expires: exp})
	good := Borrow{Feature: "solver", Version: "3.1", User: "ann", Host: "ws1", BorrowID: "b1",
		Expires: exp, Token: tok}
	_, userKey, _ := ed25519.GenerateKey(nil)
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
		{name: "token re-signed by the user", edit: func(b *Borrow) {
			tk, _, _ := token.VerifyChain(c.vendor, b.Token)
			tk.Expires = t0.Add(365 * 24 * time.Hour)
			b.Token, _ = token.Sign(userKey, tk)
			b.Expires = tk.Expires
		}},
		{name: "longer than BORROW, by the server's key", edit: func(b *Borrow) {
			tk, _, _ := token.VerifyChain(c.vendor, b.Token)
			tk.Expires = t0.Add(25 * time.Hour)
			b.Token, _ = token.Sign(c.server, tk)
			b.Expires = tk.Expires
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
			_, err := b.Verify(c.vendor, or(tt.user, "ann"), "ws1")
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
