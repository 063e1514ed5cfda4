package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/wire"
)

// A bad options file stops licd at start: exit 2, one line naming file:line.
func TestLicdRefusesABadOptionsFile(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown keyword", "# site rules\nRESERV 1 cad_pro USER ann\n", `site.opt:2: unknown keyword "RESERV"`},
		{"reservations over COUNT", "RESERVE 3 cad_pro USER ann\nRESERVE 3 cad_pro USER bob\n", "site.opt:2: RESERVE brings the licenses reserved of cad_pro to 6, more than its COUNT of 5"},
		{"unknown feature", "MAX 1 cad_ultra USER ann\n", "site.opt:1: feature cad_ultra is not served by the licenses"},
		{"undefined group", "INCLUDE solver GROUP design\n", "site.opt:1: GROUP design is not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opt := filepath.Join(dir, "site.opt")
			os.WriteFile(opt, []byte(tc.text), 0o644)
			_, stderr, code := run(t, "licd", serveArgs(t, dir, "--options", opt, "--listen", "127.0.0.1:0")...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, stderr)
			}
			oneLine(t, stderr, tc.want)
		})
	}
}

// policyClient asks a licd for licenses as users and hosts of its choice.
type policyClient struct {
	t    *testing.T
	addr string
	n    int
}

// checkout asks for n cad_pro (or feature) licenses as user@host and
// returns the refusal, or nil.
func (c *policyClient) checkout(userHost, feature string, n int) *wire.Error {
	c.t.Helper()
	c.n++
	user, host, _ := strings.Cut(userHost, "@")
	cl := wire.Client{Session: "e2e0policy0" + user + "0" + host, User: user, Host: host, PID: 1}
	var r wire.CheckoutReply
	werr, err := call(c.addr, wire.PathCheckout, wire.CheckoutRequest{Client: cl, RequestID: "r" + string(rune('a'+c.n)),
		Feature: feature, Count: n}, &r)
	if err != nil {
		c.t.Fatal(err)
	}
	return werr
}

// expect fails unless a refusal is want (nil: granted) and its message
// holds msg.
func expect(t *testing.T, got *wire.Error, code, msg string) {
	t.Helper()
	switch {
	case code == "" && got != nil:
		t.Fatalf("refused: %v", got)
	case code != "" && got == nil:
		t.Fatalf("granted, want %s", code)
	case code != "" && (got.Code != code || !strings.Contains(got.Message, msg)):
		t.Fatalf("got %v\nwant %s: ...%s...", got, code, msg)
	}
}

// reloadOptions asks licd to reload through the admin API.
func reloadOptions(t *testing.T, addr, token string) (wire.ReloadReply, *wire.Error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+wire.PathReload, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var er wire.ErrorReply
		json.NewDecoder(resp.Body).Decode(&er)
		return wire.ReloadReply{}, er.Error
	}
	var r wire.ReloadReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r, nil
}

// licd serve --options refuses by the rules with their codes, each message
// naming its rule; a reload with a bad file keeps the rules in force, and
// one lowering a reservation frees its licenses at once.
func TestOptionsFileRulesAndReload(t *testing.T) {
	dir := t.TempDir()
	files, err := demo.Setup(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := filepath.Join(dir, "site.opt")
	rules := "GROUP design ann bob\nRESERVE 2 cad_pro GROUP design\nMAX 2 cad_pro USER carol\nEXCLUDE solver USER mallory\n"
	os.WriteFile(opt, []byte(rules), 0o644)
	p := startLicd(t, "serve", "--license", files.License, "--vendor-pub", files.VendorPub, "--options", opt,
		"--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--admin-token-file", files.AdminToken, "--log-level", "warn")
	c := &policyClient{t: t, addr: p.addr}

	expect(t, c.checkout("mallory@ws1", "solver", 1), wire.CodeExcluded, "EXCLUDE solver USER mallory (site.opt:4): mallory may not use solver")
	expect(t, c.checkout("carol@ws1", "cad_pro", 2), "", "")
	expect(t, c.checkout("carol@ws2", "cad_pro", 1), wire.CodeMaxReached, "MAX 2 cad_pro USER carol (site.opt:3): carol holds 2, 1 more asked for")
	expect(t, c.checkout("dave@ws3", "cad_pro", 2), wire.CodeReserved, "RESERVE 2 cad_pro GROUP design (site.opt:2): 2 of the 3 free licenses of cad_pro are reserved for others")
	expect(t, c.checkout("ann@ws4", "cad_pro", 1), "", "")
	if st := getStatus(t, p.addr); st.Policy == nil || st.Policy.Path != opt || st.Policy.Rules != 4 {
		t.Fatalf("status policy %+v, want %s with 4 rules", st.Policy, opt)
	}

	// A bad file: refused, and the rules in force stay.
	os.WriteFile(opt, []byte("MAX 1 cad_pro USER carol\nRESERVE two cad_pro USER ann\n"), 0o644)
	if _, werr := reloadOptions(t, p.addr, files.Token); werr == nil || werr.Code != wire.CodeBadRequest || !strings.Contains(werr.Message, "site.opt:2: RESERVE count \"two\"") {
		t.Fatalf("reload of a bad file: %v, want bad_request naming site.opt:2", werr)
	}
	expect(t, c.checkout("dave@ws3", "cad_pro", 2), wire.CodeReserved, "RESERVE 2 cad_pro GROUP design (site.opt:2): 1 of the 2 free licenses of cad_pro are reserved for others, 2 asked for")

	// Lowering the reservation frees its unused license for anyone.
	os.WriteFile(opt, []byte(strings.Replace(rules, "RESERVE 2", "RESERVE 1", 1)), 0o644)
	reply, werr := reloadOptions(t, p.addr, files.Token)
	if werr != nil || reply.Options == nil || reply.Options.Rules != 4 || len(reply.Overcommitted) != 0 {
		t.Fatalf("reload lowering the reservation: %+v, %v", reply, werr)
	}
	expect(t, c.checkout("dave@ws3", "cad_pro", 2), "", "")

	// Raising it above what is free: the licenses held stay, the reply
	// says so, and none is granted outside the reservation until fewer
	// are held.
	os.WriteFile(opt, []byte(strings.Replace(rules, "RESERVE 2", "RESERVE 3", 1)), 0o644)
	reply, werr = reloadOptions(t, p.addr, files.Token)
	if werr != nil || len(reply.Overcommitted) != 1 || !strings.HasPrefix(reply.Overcommitted[0], "cad_pro: 5 in use and 0 borrowed, and 2 reserved not in use, over its COUNT of 5") {
		t.Fatalf("reload raising the reservation: %+v, %v", reply, werr)
	}
	if f := featureOf(getStatus(t, p.addr), "cad_pro"); f.InUse != 5 {
		t.Fatalf("cad_pro %+v after the reload, want 5 still in use", f)
	}
	c.checkinAll("dave@ws3")
	expect(t, c.checkout("erin@ws5", "cad_pro", 1), wire.CodeReserved, "RESERVE 3 cad_pro GROUP design (site.opt:2): 2 of the 2 free")
	expect(t, c.checkout("bob@ws6", "cad_pro", 2), "", "")
}

// checkinAll checks in everything userHost's session holds.
func (c *policyClient) checkinAll(userHost string) {
	c.t.Helper()
	user, host, _ := strings.Cut(userHost, "@")
	cl := wire.Client{Session: "e2e0policy0" + user + "0" + host, User: user, Host: host, PID: 1}
	var r wire.CheckinReply
	if werr, err := call(c.addr, wire.PathCheckin, wire.CheckinRequest{Client: cl, All: true}, &r); err != nil || werr != nil || r.Released == 0 {
		c.t.Fatalf("checkin %s: %+v %v %v", userHost, r, werr, err)
	}
}
