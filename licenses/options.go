package licenses

import (
	"crypto/ed25519"
	"crypto/tls"
	"net/http"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/wire"
)

// EnvServer names the environment variable with the default server list:
// comma-separated host:port.
const EnvServer = "LIC_SERVER"

// EnvStateDir names the environment variable that overrides the state dir.
const EnvStateDir = "LIC_STATE_DIR"

// Defaults of the options.
const (
	DefaultHeartbeatInterval = 2 * time.Minute
	DefaultHeartbeatAttempts = 5
	DefaultRequestTimeout    = 10 * time.Second
)

// Error codes an application may want to match with IsCode.
const (
	CodeUnknownFeature   = wire.CodeUnknownFeature
	CodeCountExhausted   = wire.CodeCountExhausted
	CodeExpired          = wire.CodeExpired
	CodeVersionTooHigh   = wire.CodeVersionTooHigh
	CodeHostMismatch     = wire.CodeHostMismatch
	CodeBorrowNotAllowed = wire.CodeBorrowNotAllowed
	CodeBorrowTooLong    = wire.CodeBorrowTooLong
	CodeNotPrimary       = wire.CodeNotPrimary
	CodeNoQuorum         = wire.CodeNoQuorum
	CodeNoServer         = wire.CodeNoServer
	CodeClockWindback    = wire.CodeClockWindback
	CodeGraceCooldown    = wire.CodeGraceCooldown
	CodeTokenInvalid     = wire.CodeTokenInvalid
	CodeUnknownBorrow    = wire.CodeUnknownBorrow
	CodeTooManyRestarts  = wire.CodeTooManyRestarts
	CodeHeartbeatsFailed = wire.CodeHeartbeatsFailed
	// Refusals by the server's options file (RESERVE, MAX, INCLUDE, EXCLUDE).
	CodeExcluded   = wire.CodeExcluded
	CodeMaxReached = wire.CodeMaxReached
	CodeReserved   = wire.CodeReserved
	// CodeRemovedHold: an admin removed the license and holds the user or
	// host off the feature for a while; a held license is lost with it.
	CodeRemovedHold = wire.CodeRemovedHold
)

// Clock tells the time. Tests pass a fake clock so that grace hours, borrow
// expiry and the grace cooldown pass without sleeping.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

// Now returns the system time.
func (realClock) Now() time.Time { return time.Now() }

// Options configure a Client. The zero value is usable: servers from
// LIC_SERVER, user and host from the OS, no automatic heartbeats, no grace.
type Options struct {
	// Servers are the license servers, host:port or URLs, in the order to
	// try them; for a HAL license, its HAL_SERVERS (#1, #2, #3). Empty means
	// LIC_SERVER. ParseServers splits either form.
	Servers []string
	// User and Host name this client to the server and own its grace and
	// borrowed licenses. Empty means the OS user name and host name.
	User, Host string
	// TLSConfig, when set, makes the client speak HTTPS to servers given as
	// host:port.
	TLSConfig *tls.Config
	// HTTPClient replaces the client's own HTTP client (TLSConfig is then
	// ignored).
	HTTPClient *http.Client
	// RequestTimeout bounds each request to a server; 0 means 10 s.
	RequestTimeout time.Duration
	// Clock reads the time; nil means the system clock.
	Clock Clock
	// StateDir holds grace tokens and borrowed licenses. Empty means
	// LIC_STATE_DIR, or "floatlic" in the user's config dir.
	StateDir string

	// AutoHeartbeat starts a goroutine that heartbeats the servers for
	// every license the application holds.
	AutoHeartbeat bool
	// HeartbeatInterval is the time between automatic heartbeats. 0 means
	// the interval the server asks for, or 2 min when it asks for none.
	HeartbeatInterval time.Duration
	// HeartbeatAttempts is how many heartbeats in a row may fail before the
	// client tries the other servers and, when none answers, calls OnExit.
	// 0 means 5.
	HeartbeatAttempts int
	// OnExit is called, on a goroutine of its own, when automatic
	// heartbeats give up (reason has code heartbeats_failed) or the server
	// restarted too often (too_many_restarts). Automatic heartbeats stop
	// before it is called. nil means: print the reason to stderr and exit
	// the process with status 1.
	OnExit func(reason error)
	// OnLost is called, on a goroutine of its own, when a license the
	// application holds could not be checked out again after the server
	// restarted or forgot the session; err is the server's refusal.
	OnLost func(feature string, err error)
	// MaxRestartsPerHour, when above 0, is the most server restarts the
	// client accepts within an hour; one more calls OnExit with
	// too_many_restarts (LM-X's anti-overuse counter).
	MaxRestartsPerHour int

	// AllowGrace lets Checkout fall back on a grace license when no server
	// can be reached, and makes it keep the grace tokens servers hand out.
	AllowGrace bool

	// VendorKey is the vendor's Ed25519 public key, the one that signs the
	// licenses: the trust anchor of every grace and borrow token, which the
	// client verifies through the vendor-signed license block it carries
	// (the block's TOKEN_KEY names the server key that signed the token).
	// The application carries it — compiled in, never read from a file or
	// variable its user controls (ParseVendorKey reads the text of a .pub
	// file). Without it, tokens cannot be trusted: Borrow refuses, grace
	// tokens are not kept, and stored ones are refused with token_invalid.
	VendorKey ed25519.PublicKey
}

// ParseVendorKey parses a vendor public key written as the text of the .pub
// file licgen keygen writes, or as the bare base64 line in it (handy for
// go build -ldflags "-X main.vendorKey=BASE64").
func ParseVendorKey(text string) (ed25519.PublicKey, error) {
	return licfile.ParsePublicKey([]byte(text))
}

// ParseServers splits a server list written as LIC_SERVER
// ("a:6200,b:6200") or as HAL_SERVERS ("a:6200 b:6200 c:6200").
func ParseServers(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == ';'
	})
}

// withDefaults fills in what the application left out.
func (o Options) withDefaults() Options {
	if len(o.Servers) == 0 {
		o.Servers = ParseServers(os.Getenv(EnvServer))
	}
	if o.User == "" {
		o.User = currentUser()
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
		if o.Host == "" {
			o.Host = "localhost"
		}
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.StateDir == "" {
		o.StateDir = os.Getenv(EnvStateDir)
	}
	if o.HeartbeatAttempts <= 0 {
		o.HeartbeatAttempts = DefaultHeartbeatAttempts
	}
	if o.OnExit == nil {
		o.OnExit = defaultExit
	}
	return o
}

// currentUser returns the login name, without a Windows domain.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		name := u.Username
		if i := strings.LastIndexByte(name, '\\'); i >= 0 {
			name = name[i+1:]
		}
		return name
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}

func defaultExit(reason error) {
	os.Stderr.WriteString("floatlic: " + reason.Error() + "\n")
	os.Exit(1)
}
