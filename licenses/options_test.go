package licenses

import (
	"crypto/tls"
	"slices"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/clock"
)

func TestParseServers(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a:1", []string{"a:1"}},
		{"a:1,b:2", []string{"a:1", "b:2"}},
		{" a:1 , b:2 ,", []string{"a:1", "b:2"}},
		{"a:1 b:2\tc:3", []string{"a:1", "b:2", "c:3"}},
	}
	for _, tt := range tests {
		if got := ParseServers(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ParseServers(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewServers(t *testing.T) {
	tests := []struct {
		name    string
		servers []string
		tls     bool
		want    []string
		wantErr bool
	}{
		{name: "host:port", servers: []string{"lic1:6200", "lic2:6200"}, want: []string{"lic1:6200", "lic2:6200"}},
		{name: "duplicates", servers: []string{"lic1:6200", "lic1:6200"}, want: []string{"lic1:6200"}},
		{name: "url", servers: []string{"https://lic1:6200/"}, want: []string{"https://lic1:6200"}},
		{name: "tls", servers: []string{"lic1:6200"}, tls: true, want: []string{"https://lic1:6200"}},
		{name: "no port", servers: []string{"lic1"}, wantErr: true},
		{name: "bad scheme", servers: []string{"ftp://lic1:6200"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Servers: tt.servers, StateDir: t.TempDir()}
			if tt.tls {
				o.TLSConfig = &tls.Config{}
			}
			c, err := New(o)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New accepted %q", tt.servers)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Servers(); !slices.Equal(got, tt.want) {
				t.Errorf("Servers() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvServer, "a:1,b:2")
	t.Setenv(EnvStateDir, dir)
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Servers(); !slices.Equal(got, []string{"a:1", "b:2"}) {
		t.Errorf("servers from %s = %q", EnvServer, got)
	}
	if c.StateDir() != dir {
		t.Errorf("state dir = %s, want %s from %s", c.StateDir(), dir, EnvStateDir)
	}
	if c.User() == "" || c.Host() == "" {
		t.Errorf("user %q host %q", c.User(), c.Host())
	}
	if len(c.Session()) != 32 {
		t.Errorf("session %q is not 32 hex digits", c.Session())
	}
	if c.opts.HeartbeatAttempts != DefaultHeartbeatAttempts || c.opts.RequestTimeout != DefaultRequestTimeout || c.opts.OnExit == nil {
		t.Errorf("defaults: attempts %d timeout %v", c.opts.HeartbeatAttempts, c.opts.RequestTimeout)
	}
	other, _ := New(Options{})
	if other.Session() == c.Session() {
		t.Error("two clients share a session id")
	}
}

func TestHeartbeatInterval(t *testing.T) {
	c, _ := New(Options{StateDir: t.TempDir()})
	if got := c.interval(); got != DefaultHeartbeatInterval {
		t.Errorf("interval before any reply = %v, want %v", got, DefaultHeartbeatInterval)
	}
	c.serverInterval = 30 * time.Second
	if got := c.interval(); got != 30*time.Second {
		t.Errorf("interval = %v, want the server's 30s", got)
	}
	c.opts.HeartbeatInterval = 45 * time.Second
	if got := c.interval(); got != 45*time.Second {
		t.Errorf("interval = %v, want the option's 45s", got)
	}
}

func TestRestartCounter(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	c, _ := New(Options{StateDir: t.TempDir(), Clock: fake, MaxRestartsPerHour: 2})
	c.observe("a:1", "i1")
	for i, inst := range []string{"i2", "i3"} { // two restarts: allowed
		fake.Advance(10 * time.Minute)
		c.observe("a:1", inst)
		if err := c.checkRestarts(); err != nil {
			t.Fatalf("restart %d: %v", i+1, err)
		}
	}
	c.observe("b:2", "j1") // another server's first reply is no restart
	c.observe("a:1", "i3") // nor is the same instance again
	if err := c.checkRestarts(); err != nil {
		t.Fatal(err)
	}
	fake.Advance(10 * time.Minute)
	c.observe("a:1", "i4")
	if err := c.checkRestarts(); !IsCode(err, CodeTooManyRestarts) {
		t.Fatalf("third restart within the hour: %v, want too_many_restarts", err)
	}
	fake.Advance(45 * time.Minute) // the first two are now over an hour old
	if err := c.checkRestarts(); err != nil {
		t.Errorf("an hour later: %v", err)
	}
	if !c.takeRestart("a:1") || c.takeRestart("a:1") || c.takeRestart("b:2") {
		t.Error("restart flags wrong")
	}
}

func TestOrderPrefersLastServer(t *testing.T) {
	c, _ := New(Options{Servers: []string{"a:1", "b:2", "c:3"}, StateDir: t.TempDir()})
	if got := c.order(); !slices.Equal(got, []string{"a:1", "b:2", "c:3"}) {
		t.Errorf("order = %q", got)
	}
	c.preferred = "b:2"
	if got := c.order(); !slices.Equal(got, []string{"b:2", "a:1", "c:3"}) {
		t.Errorf("order = %q", got)
	}
	c.preferred = "x:9" // a primary named by not_primary, not in the list
	if got := c.order(); !slices.Equal(got, []string{"x:9", "a:1", "b:2", "c:3"}) {
		t.Errorf("order = %q", got)
	}
}
