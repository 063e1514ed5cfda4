package server

import (
	"bufio"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/web"
	"github.com/floatlic/floatlic/internal/wire"
)

// handler answers a request from its body (a GET's is empty).
type handler func(body []byte) (any, *wire.Error)

// routes builds the mux of every endpoint. Admin endpoints need the admin
// token.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	post := func(path string, guard func(*http.Request) *wire.Error, h handler) {
		mux.Handle("POST "+path, s.jsonHandler(path, guard, h))
	}
	post(wire.PathCheckout, s.halGate, s.checkout)
	post(wire.PathHeartbeat, s.halGate, s.heartbeat)
	post(wire.PathCheckin, s.halGate, s.checkin)
	post(wire.PathBorrow, s.halGate, s.borrow)
	post(wire.PathReturn, s.halGate, s.giveBack)
	post(wire.PathGrace, s.halGate, s.grace)
	post(wire.PathRemove, s.adminGate, s.remove)
	post(wire.PathReload, s.adminGate, s.reload)
	post(wire.PathStop, s.checkAdmin, s.stopRequest)
	mux.HandleFunc("GET "+wire.PathBackup, s.backup)
	mux.Handle("GET "+wire.PathStatus, s.boosted(s.jsonHandler(wire.PathStatus, nil, s.status)))
	mux.HandleFunc("GET "+wire.PathEvents, s.events)
	mux.Handle("GET "+wire.PathReport, s.reportHandler())
	mux.HandleFunc("GET "+wire.PathMetrics, s.serveMetrics)
	mux.HandleFunc("GET "+wire.PathHealthz, s.healthz)
	page := web.Handler() // the status page: exactly "/", and its files
	mux.Handle("GET /{$}", page)
	mux.Handle("GET "+web.AssetPrefix, page)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, wire.Errorf(wire.CodeBadRequest, "no endpoint %s %s", r.Method, r.URL.Path), http.StatusNotFound)
	})
	return mux
}

// healthz answers ok, or 503 with the reason while the ledger cannot record
// (a full disk, a damaged or removed database): a server that refuses every
// change is not healthy, whatever else it still answers.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set(wire.InstanceHeader, s.instance)
	if err := s.engine.Health(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "unavailable: %v\n", err)
		return
	}
	io.WriteString(w, "ok\n")
}

// jsonHandler runs guard, if any, reads the body (refusing one over
// wire.MaxBodyBytes), runs h, and writes the reply or error as JSON with the
// instance id in the header (and in the reply, where it has the field). It
// records the request's latency and status in path's metrics.
func (s *Server) jsonHandler(path string, guard func(*http.Request) *wire.Error, h handler) http.Handler {
	pm := s.metrics.path(path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var reply any
		var werr *wire.Error
		if guard != nil {
			werr = guard(r)
		}
		var body []byte
		if werr == nil {
			body, werr = readBody(r)
		}
		if werr == nil {
			reply, werr = h(body)
		}
		var status int
		if st, ok := reply.(*wire.Status); ok && werr == nil {
			status = s.writeStatus(w, st)
		} else {
			status = s.writeReply(w, reply, werr)
		}
		pm.observe(status, time.Since(start))
	})
}

// bigStatus is the number of sessions above which a status reply is boosted
// (Config.Boost): at 10,000 it takes licd about 30 ms to build and write.
const bigStatus = 10_000

// boosted calls Config.Boost around h when the site is big.
func (s *Server) boosted(h http.Handler) http.Handler {
	if s.cfg.Boost == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.engine.Sessions() >= bigStatus {
			defer s.cfg.Boost()()
		}
		h.ServeHTTP(w, r)
	})
}

// readBody reads r's body whole, bounded by wire.MaxBodyBytes.
func readBody(r *http.Request) ([]byte, *wire.Error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, wire.MaxBodyBytes))
	if err != nil {
		return nil, readError(err)
	}
	return b, nil
}

// writeReply writes reply, or werr, as JSON and returns the status written.
func (s *Server) writeReply(w http.ResponseWriter, reply any, werr *wire.Error) int {
	if werr == nil {
		b, err := json.Marshal(reply)
		if err == nil {
			s.writeHead(w, http.StatusOK)
			w.Write(append(b, '\n'))
			return http.StatusOK
		}
		werr = wire.Errorf(wire.CodeInternal, "encode reply: %v", err)
	}
	return s.writeError(w, werr, statusOf(werr.Code))
}

// writeHead writes the head of a JSON reply with status: its content type
// and the instance id.
func (s *Server) writeHead(w http.ResponseWriter, status int) {
	h := w.Header()
	h["Content-Type"] = jsonContentType // keys in canonical form: Set would canonicalise them on every reply
	h[wire.InstanceHeader] = s.instanceHeader
	w.WriteHeader(status)
}

var jsonContentType = []string{"application/json"}

// writeStatus streams a status reply a row at a time, as encoding/json
// would write it whole. At 100,000 sessions its JSON is 32 MB: built whole
// in a buffer it raised licd's RSS by 200 MB for every licstat refresh.
func (s *Server) writeStatus(w http.ResponseWriter, st *wire.Status) int {
	s.writeHead(w, http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	streamStatus(bw, st)
	bw.Flush() // a write error means the client went away: nothing to tell it
	return http.StatusOK
}

// streamStatus writes st as json.Marshal would, and a newline.
func streamStatus(w *bufio.Writer, st *wire.Status) {
	w.WriteString(`{"server":`)
	writeValue(w, st.Server)
	w.WriteString(`,"features":`)
	writeArray(w, st.Features)
	w.WriteString(`,"checkouts":`)
	writeArray(w, st.Checkouts)
	w.WriteString(`,"borrows":`)
	writeArray(w, st.Borrows)
	w.WriteString(`,"graces":`)
	writeArray(w, st.Graces)
	w.WriteString(`,"servers":`)
	writeArray(w, st.Servers)
	if st.Policy != nil {
		w.WriteString(`,"policy":`)
		writeValue(w, st.Policy)
	}
	if len(st.Queue) > 0 { // omitempty, as json.Marshal
		w.WriteString(`,"queue":`)
		writeArray(w, st.Queue)
	}
	w.WriteString("}\n")
}

// writeArray writes items as a JSON array (null when nil), a row at a time.
func writeArray[T any](w *bufio.Writer, items []T) {
	if items == nil {
		w.WriteString("null")
		return
	}
	w.WriteByte('[')
	for i := range items {
		if i > 0 {
			w.WriteByte(',')
		}
		writeValue(w, &items[i])
	}
	w.WriteByte(']')
}

// writeValue writes v as JSON. The status types have no field
// encoding/json can fail on (a time outside years 0–9999 aside), so an
// error writes null.
func writeValue(w *bufio.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null")
	}
	w.Write(b)
}

// writeError writes e with status and returns the status written.
func (s *Server) writeError(w http.ResponseWriter, e *wire.Error, status int) int {
	b, _ := json.Marshal(wire.ErrorReply{Error: e}) // strings only: cannot fail
	s.writeHead(w, status)
	w.Write(append(b, '\n'))
	return status
}

// statusOf maps an error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case wire.CodeBadRequest:
		return http.StatusBadRequest
	case wire.CodeUnauthorized:
		return http.StatusUnauthorized
	case wire.CodeUnknownFeature, wire.CodeUnknownSession, wire.CodeUnknownBorrow, wire.CodeUnknownCheckout:
		return http.StatusNotFound
	case wire.CodeCountExhausted, wire.CodeMaxReached, wire.CodeReserved:
		return http.StatusConflict
	case wire.CodeExpired, wire.CodeNotStarted, wire.CodeVersionTooHigh, wire.CodeHostMismatch,
		wire.CodeBorrowNotAllowed, wire.CodeBorrowTooLong, wire.CodeGraceNotAllowed, wire.CodeTokenInvalid,
		wire.CodeClockWindback, wire.CodeExcluded, wire.CodeRemovedHold:
		return http.StatusForbidden
	case wire.CodeNotPrimary:
		return http.StatusMisdirectedRequest
	case wire.CodeNoQuorum, wire.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// checkAdmin refuses a request without the admin token.
func (s *Server) checkAdmin(r *http.Request) *wire.Error {
	if s.cfg.AdminToken == "" {
		return wire.Errorf(wire.CodeUnauthorized, "the admin API is off: start licd with --admin-token-file")
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.AdminToken)) != 1 {
		return wire.Errorf(wire.CodeUnauthorized, "a valid admin token is required (Authorization: Bearer TOKEN)")
	}
	return nil
}

// checkClient validates the caller fields every state-changing request has.
func checkClient(c wire.Client) *wire.Error {
	switch {
	case !validID(c.Session):
		return wire.Errorf(wire.CodeBadRequest, "session %q must be 1 to 64 letters, digits, '-' or '_'", clip(c.Session))
	case c.User == "" || len(c.User) > 256:
		return wire.Errorf(wire.CodeBadRequest, "user must be 1 to 256 bytes")
	case c.Host == "" || len(c.Host) > 256:
		return wire.Errorf(wire.CodeBadRequest, "host must be 1 to 256 bytes")
	case c.PID < 0:
		return wire.Errorf(wire.CodeBadRequest, "pid %d is negative", c.PID)
	}
	return nil
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func badRequest(format string, args ...any) *wire.Error {
	return &wire.Error{Code: wire.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}
