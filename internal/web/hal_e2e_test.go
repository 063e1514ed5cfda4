package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/childproc"
	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/licenses"
)

// TestPageOfAHALSet opens the page of HAL node #3, which does not serve:
// it shows a checkout made through the serving node from its own copy of
// the ledger, itself and the serving node up, the third node as not known
// there, and answers a remove with its not_primary refusal and a link to
// the serving node's page. Following the link, the serving node's page
// shows all three nodes up, removes the checkout, and shows #3 down once
// it is stopped.
func TestPageOfAHALSet(t *testing.T) {
	findChromium(t) // skip before starting three nodes
	addrs, release, err := childproc.ReserveAddrs(6)
	if err != nil {
		t.Fatal(err)
	}
	files, err := demo.SetupHAL(t.TempDir(), [3]string(addrs[:3]), [3]string(addrs[3:]))
	if err != nil {
		t.Fatal(err)
	}
	release()
	var stops [3]func()
	for i := range 3 {
		_, stops[i] = runLicd(t, append(files.ServeArgs(i+1), "--raft-timeout", "500ms")...)
	}
	c, err := licenses.New(licenses.Options{Servers: files.Clients[:], User: "ann", Host: "ws-ann", StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.Checkout(ctx, "cad_pro", ""); err != nil { // retried until the set has elected
		t.Fatalf("checkout: %v", err)
	}

	// #2 may serve first, and hands the service back once #1 has caught
	// up: wait for that, so that the serving node stays the same below.
	node1 := &site{addr: files.Clients[0]}
	for deadline := time.Now().Add(60 * time.Second); !node1.status(t).Server.Serving; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node #1 did not serve within 60s")
		}
	}

	b := startBrowser(t, 1280, 900)
	b.navigate("http://" + files.Clients[2] + "/")
	b.waitFor("ann's checkout and a serving node", `document.body.dataset.state === "live" &&
		document.querySelectorAll('#servers tr[data-node] .tag.accent').length === 1 &&
		document.querySelector('#checkouts tr[data-user="ann"]')`)
	nodes := serverRows(b)
	serving := -1
	for i, n := range nodes {
		if strings.Contains(n, "serving") {
			serving = i
		}
	}
	if serving < 0 || serving == 2 {
		t.Fatalf("node #3's page shows %q: want #1 or #2 serving", nodes)
	}
	other := 1 - serving // the node #3 does not hear from
	want := make([]string, 3)
	want[serving] = fmt.Sprintf("#%d %s", serving+1, files.Clients[serving])
	want[other] = fmt.Sprintf("#%d %s", other+1, files.Clients[other])
	want[2] = "#3 " + files.Clients[2] + "this page quorum up"
	for i := range want {
		if !strings.HasPrefix(nodes[i], want[i]) {
			t.Errorf("node #3's page shows %q, want %q first", nodes[i], want[i])
		}
	}
	if !strings.HasSuffix(nodes[serving], "up serving") || !strings.HasSuffix(nodes[other], "not known here") {
		t.Errorf("node #3's page shows %q: want #%d up and serving, #%d not known there", nodes, serving+1, other+1)
	}

	b.eval(`document.querySelector('#checkouts tr[data-user="ann"] button[data-remove]').click()`, nil)
	b.waitFor("the remove dialog", `document.querySelector('#remove').open`)
	b.eval(fmt.Sprintf(`document.querySelector('#token').value = %q;
		document.querySelector('#remove-form').requestSubmit()`, files.Token), nil)
	b.waitFor("node #3's refusal", `!document.querySelector('#remove-error').hidden`)
	var refusal struct{ Text, Href string }
	b.eval(`({text: document.querySelector('#remove-error').textContent,
		href: (document.querySelector('#remove-error a') || {}).href || ""})`, &refusal)
	if want := "http://" + files.Clients[serving] + "/"; !strings.HasPrefix(refusal.Text, "not_primary: ") || refusal.Href != want {
		t.Fatalf("the refusal shows %q linking to %q, want not_primary and a link to %s", refusal.Text, refusal.Href, want)
	}

	b.eval(`document.querySelector('#remove-error a').click()`, nil)
	b.waitFor("the serving node's page with all three nodes up", fmt.Sprintf(`location.host === %q &&
		document.body.dataset.state === "live" &&
		document.querySelectorAll('#servers tr[data-node] .tag.good').length === 3`, files.Clients[serving]))
	b.eval(`document.querySelector('#checkouts tr[data-user="ann"] button[data-remove]').click()`, nil)
	b.waitFor("the remove dialog", `document.querySelector('#remove').open`)
	b.eval(fmt.Sprintf(`document.querySelector('#token').value = %q;
		document.querySelector('#remove-form').requestSubmit()`, files.Token), nil)
	b.waitFor("ann's checkout removed", `!document.querySelector('#remove').open &&
		!document.querySelector('#checkouts tr[data-user="ann"]')`)

	stops[2]()
	b.waitFor("node #3 down on the serving node's page", `document.querySelector('#servers tr[data-node="3"] .tag.bad')`)
	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the page reported problems: %q", p)
	}
}

// serverRows reads the servers table: "#N ADDR[this page] ROLE STATE...".
func serverRows(b *browser) []string {
	b.t.Helper()
	var rows []string
	b.eval(`[...document.querySelectorAll('#servers tr[data-node]')].map((tr) =>
		[...tr.cells].map((td) => td.textContent).join(" ").replace(/(up|down|serving|not known here)(?=\S)/g, "$1 "))`, &rows)
	return rows
}
