package server

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/floatlic/floatlic/internal/httpfront"
	"github.com/floatlic/floatlic/internal/wire"
)

// handler answers a request from its body (a GET's is empty).
type handler func(body []byte) (any, *wire.Error)

// routes builds the net/http mux of every endpoint, and the front's routes
// (see package httpfront): the POSTs a client makes, with the same
// handlers and metrics. Admin endpoints need a header, so only net/http
// serves them.
func (s *Server) routes() (http.Handler, map[string]httpfront.Handler) {
	mux := http.NewServeMux()
	fast := map[string]httpfront.Handler{}
	post := func(path string, h handler) {
		mux.Handle("POST "+path, s.jsonHandler(path, nil, h))
		fast["POST "+path] = s.frontHandler(path, h)
	}
	post(wire.PathCheckout, s.checkout)
	post(wire.PathHeartbeat, s.heartbeat)
	post(wire.PathCheckin, s.checkin)
	post(wire.PathBorrow, s.borrow)
	post(wire.PathReturn, s.giveBack)
	post(wire.PathGrace, s.grace)
	mux.Handle("POST "+wire.PathRemove, s.jsonHandler(wire.PathRemove, s.checkAdmin, s.remove))
	mux.Handle("POST "+wire.PathReload, s.jsonHandler(wire.PathReload, s.checkAdmin, s.reload))
	mux.Handle("GET "+wire.PathStatus, s.boosted(s.jsonHandler(wire.PathStatus, nil, s.status)))
	mux.HandleFunc("GET "+wire.PathEvents, s.events)
	mux.HandleFunc("GET "+wire.PathMetrics, s.serveMetrics)
	mux.HandleFunc("GET "+wire.PathHealthz, s.healthz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, wire.Errorf(wire.CodeBadRequest, "no endpoint %s %s", r.Method, r.URL.Path), http.StatusNotFound)
	})
	return mux, fast
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
		buf := bodyBuffers.Get().(*bytes.Buffer)
		defer putBody(buf)
		var reply any
		var werr *wire.Error
		if guard != nil {
			werr = guard(r)
		}
		if werr == nil {
			werr = readBody(r, buf)
		}
		if werr == nil {
			reply, werr = h(buf.Bytes())
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

// frontHandler is jsonHandler for the front: same handler, same reply
// bytes, same metrics. The front hands a body over wire.MaxBodyBytes to
// net/http, which refuses it.
func (s *Server) frontHandler(path string, h handler) httpfront.Handler {
	pm := s.metrics.path(path)
	return func(dst, body []byte) (int, []byte) {
		start := time.Now()
		reply, werr := h(body)
		status, b := appendResult(dst, reply, werr)
		pm.observe(status, time.Since(start))
		return status, b
	}
}

// frontHeader is the header lines of every reply the front writes: those
// writeHead sets for net/http.
func (s *Server) frontHeader() string {
	return "Content-Type: application/json\r\n" + wire.InstanceHeader + ": " + s.instance + "\r\n"
}

// readBody reads r's body into buf, bounded by wire.MaxBodyBytes.
func readBody(r *http.Request, buf *bytes.Buffer) *wire.Error {
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, wire.MaxBodyBytes)); err != nil {
		return decodeError(err)
	}
	return nil
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

// bodyBuffers and replyBuffers are reused for request and reply bodies.
var (
	bodyBuffers  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	replyBuffers = sync.Pool{New: func() any { return new([]byte) }}
)

// putBody returns buf to its pool unless a large body grew it: those are
// rare, and a pool of them would keep the memory.
func putBody(buf *bytes.Buffer) {
	if buf.Cap() <= 2*wire.MaxBodyBytes {
		buf.Reset()
		bodyBuffers.Put(buf)
	}
}

// writeReply writes reply, or werr, as JSON and returns the status written.
func (s *Server) writeReply(w http.ResponseWriter, reply any, werr *wire.Error) int {
	bp := replyBuffers.Get().(*[]byte)
	status, b := appendResult((*bp)[:0], reply, werr)
	s.writeHead(w, status)
	w.Write(b)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		replyBuffers.Put(bp)
	}
	return status
}

// appendResult appends the JSON of reply, or of werr if it is not nil, and
// a newline to b, as json.Encoder would write it, and returns it with its
// HTTP status.
func appendResult(b []byte, reply any, werr *wire.Error) (int, []byte) {
	if werr == nil {
		if out, ok := appendReply(b, reply); ok {
			return http.StatusOK, out
		}
		j, err := json.Marshal(reply)
		if err == nil {
			return http.StatusOK, append(append(b, j...), '\n')
		}
		werr = wire.Errorf(wire.CodeInternal, "encode reply: %v", err)
	}
	return statusOf(werr.Code), appendError(b, werr)
}

// appendError appends e as an error reply and a newline to b.
func appendError(b []byte, e *wire.Error) []byte {
	j, _ := json.Marshal(wire.ErrorReply{Error: e})
	return append(append(b, j...), '\n')
}

// writeHead writes the head of a JSON reply with status: its content type
// and the instance id. (The front writes the same lines: frontHeader.)
func (s *Server) writeHead(w http.ResponseWriter, status int) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h.Set(wire.InstanceHeader, s.instance)
	w.WriteHeader(status)
}

var jsonContentType = []string{"application/json"}

// writeStatus streams a status reply, an element at a time, byte for byte
// what encoding/json writes. At 100,000 sessions its JSON is 32 MB: built
// whole in a buffer it raised licd's RSS by 200 MB for every licstat
// refresh.
func (s *Server) writeStatus(w http.ResponseWriter, st *wire.Status) int {
	s.writeHead(w, http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	streamStatus(bw, st)
	bw.Flush() // a write error means the client went away: nothing to tell it
	return http.StatusOK
}

// streamStatus writes st as encoding/json's Encoder would, newline and all.
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
	w.WriteString("}\n")
}

// writeArray writes items as a JSON array (null when nil), one element at
// a time.
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
		if i%yieldEvery == yieldEvery-1 {
			runtime.Gosched()
		}
		writeValue(w, &items[i]) // a pointer: boxing a row would allocate it
	}
	w.WriteByte(']')
}

// yieldEvery is how many status rows are written between two yields of the
// processor. A status of 100,000 checkouts takes a few tenths of a second to
// write, and licd may run its Go code on one core (see package maxprocs):
// yielding lets the requests waiting on that core in more often than the
// scheduler's 10 ms slices would.
const yieldEvery = 256

// writeValue writes v as JSON, by hand where appendReply knows the type.
// The status types have no field encoding/json can fail on (a time outside
// years 0–9999 aside), so an error writes null.
func writeValue(w *bufio.Writer, v any) {
	if b, ok := appendReply(w.AvailableBuffer(), v); ok {
		w.Write(b[:len(b)-1]) // without the Encoder's newline
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null")
	}
	w.Write(b)
}

// writeError writes e with status and returns the status written.
func (s *Server) writeError(w http.ResponseWriter, e *wire.Error, status int) int {
	s.writeHead(w, status)
	w.Write(appendError(nil, e))
	return status
}

// statusOf maps an error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case wire.CodeBadRequest:
		return http.StatusBadRequest
	case wire.CodeUnauthorized:
		return http.StatusUnauthorized
	case wire.CodeUnknownFeature, wire.CodeUnknownSession, wire.CodeUnknownBorrow:
		return http.StatusNotFound
	case wire.CodeCountExhausted:
		return http.StatusConflict
	case wire.CodeExpired, wire.CodeNotStarted, wire.CodeVersionTooHigh, wire.CodeHostMismatch,
		wire.CodeBorrowNotAllowed, wire.CodeBorrowTooLong, wire.CodeGraceNotAllowed:
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
