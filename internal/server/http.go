package server

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	post := func(path string, h func(*http.Request) (any, *wire.Error)) {
		mux.Handle("POST "+path, s.timed(path, s.jsonHandler(h)))
	}
	post(wire.PathCheckout, s.checkout)
	post(wire.PathHeartbeat, s.heartbeat)
	post(wire.PathCheckin, s.checkin)
	post(wire.PathBorrow, s.borrow)
	post(wire.PathReturn, s.giveBack)
	post(wire.PathGrace, s.grace)
	post(wire.PathRemove, s.admin(s.remove))
	post(wire.PathReload, s.admin(s.reload))
	mux.Handle("GET "+wire.PathStatus, s.timed(wire.PathStatus, s.jsonHandler(s.status)))
	mux.HandleFunc("GET "+wire.PathEvents, s.events)
	mux.HandleFunc("GET "+wire.PathMetrics, s.serveMetrics)
	mux.HandleFunc("GET "+wire.PathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(wire.InstanceHeader, s.instance)
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, wire.Errorf(wire.CodeBadRequest, "no endpoint %s %s", r.Method, r.URL.Path), http.StatusNotFound)
	})
	return mux
}

// jsonHandler runs h and writes its reply or error as JSON, with the
// instance id in the header (and in the reply, where it has the field).
func (s *Server) jsonHandler(h func(*http.Request) (any, *wire.Error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply, werr := h(r)
		if werr != nil {
			s.writeError(w, werr, statusOf(werr.Code))
			return
		}
		s.writeJSON(w, http.StatusOK, reply)
	})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		s.writeError(w, wire.Errorf(wire.CodeInternal, "encode reply: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(wire.InstanceHeader, s.instance)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) writeError(w http.ResponseWriter, e *wire.Error, status int) {
	body, _ := json.Marshal(wire.ErrorReply{Error: e})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(wire.InstanceHeader, s.instance)
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
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

// decode reads exactly one JSON object of the request's type: bounded in
// size, with no unknown fields and nothing after it.
func decode(r *http.Request, v any) *wire.Error {
	body := http.MaxBytesReader(nil, r.Body, wire.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return wire.Errorf(wire.CodeBadRequest, "request body has more than one JSON value")
	}
	return nil
}

func decodeError(err error) *wire.Error {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return wire.Errorf(wire.CodeBadRequest, "request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return wire.Errorf(wire.CodeBadRequest, "request body is empty: send a JSON object")
	case errors.As(err, &syntax):
		return wire.Errorf(wire.CodeBadRequest, "request body is not valid JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		return wire.Errorf(wire.CodeBadRequest, "field %q must be a %s, not %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return wire.Errorf(wire.CodeBadRequest, "request has an %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return wire.Errorf(wire.CodeBadRequest, "bad request body: %v", err)
}

// admin guards h with the admin token.
func (s *Server) admin(h func(*http.Request) (any, *wire.Error)) func(*http.Request) (any, *wire.Error) {
	return func(r *http.Request) (any, *wire.Error) {
		if s.cfg.AdminToken == "" {
			return nil, wire.Errorf(wire.CodeUnauthorized, "the admin API is off: start licd with --admin-token-file")
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.AdminToken)) != 1 {
			return nil, wire.Errorf(wire.CodeUnauthorized, "a valid admin token is required (Authorization: Bearer TOKEN)")
		}
		return h(r)
	}
}

// timed records the request's latency and outcome in the metrics.
func (s *Server) timed(path string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.metrics.observe(path, sw.status, time.Since(start))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
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
